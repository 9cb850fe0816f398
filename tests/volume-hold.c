/*
 * volume-hold STATE_DIR RUN_DIR NAME - create a checkout volume through
 * lib/volume as lethe-scan does, put one file in it, print "BACKEND
 * CIPHER" and wait to be killed: a scan that died with its volume up.
 * Built by the tests that need it (tests/lib-volume.sh).
 */
#include <stdio.h>
#include <unistd.h>

#include "volume.h"

int main(int argc, char **argv)
{
	struct volume_opts o = { "auto", argv[1], argv[2], argv[3], 64 << 20 };
	struct volume *v;
	char why[256] = "usage: volume-hold STATE_DIR RUN_DIR NAME";
	FILE *f;

	if (argc != 4 || volume_create(&o, &v, why, sizeof(why)) < 0) {
		fprintf(stderr, "volume-hold: %s\n", why);
		return 1;
	}
	if (chdir(volume_workdir(v)) < 0 || !(f = fopen("main.c", "w"))) {
		perror("volume-hold: main.c");
		return 1;
	}
	fputs("int main(void) { return 0; }\n", f);
	fclose(f);
	printf("%s %s\n", volume_backend(v), volume_cipher(v));
	fflush(stdout);
	pause();
	return 0;
}
