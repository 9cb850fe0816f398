/*
 * fix-seal seal ORG FIX FILE | fix-seal open ORG FIX - seal FILE as fix
 * FIX's patch through lib/fixseal (as the fix job will), or print the
 * sealed patch of FIX (as the API will); the configuration is
 * $LETHE_CONFIG's.  Built for the tests of sealed patches (t8004).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixseal.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	struct db *db = NULL;
	struct secbuf out = { 0 };
	char why[512], *text = NULL;
	int64_t org, fix;
	size_t len;
	int r;

	if (argc < 4 || parse_i64(argv[2], 1, INT64_MAX, &org) < 0 ||
	    parse_i64(argv[3], 1, INT64_MAX, &fix) < 0 ||
	    (strcmp(argv[1], "seal") || argc != 5) == (strcmp(argv[1], "open") || argc != 4)) {
		fputs("usage: fix-seal seal ORG FIX FILE | fix-seal open ORG FIX\n", stderr);
		return 2;
	}
	if (config_load(NULL, &cfg, why, sizeof(why)) < 0 ||
	    keyring_load(cfg, &kr, why, sizeof(why)) < 0 || db_open(cfg, DB_ROLE_FIX, &db) < 0) {
		fprintf(stderr, "fix-seal: %s\n", why);
		return 1;
	}
	if (argc == 5) {
		r = read_file(argv[4], FIXSEAL_MAX, &text, &len);
		if (r == 0)
			r = fixseal_store(db, kr, cfg, org, fix, text, len);
		free(text);
	} else {
		r = fixseal_open(db, kr, org, fix, &out);
		if (r == 0 && write_all(1, out.data, out.len) < 0)
			r = -EIO;
		secbuf_release(&out);
	}
	if (r < 0)
		fprintf(stderr, "fix-seal: %s\n", r == -ENOENT ? "no sealed patch" :
			r == -EBADMSG ? "the sealed patch does not open" : strerror(-r));
	db_free(db);
	keyring_free(kr);
	config_free(cfg);
	return r < 0;
}
