/*
 * fix-run TREE TASK SOCKET - run lethe-agent in a fix's sandbox through
 * lib/fixrun (as the fix job will), with $LETHE_CONFIG's sandbox limits;
 * print the agent's standard output, then its standard error on ours, and
 * exit with its status.  Built for the sandbox test of the agent (t8005).
 */
#include <stdio.h>
#include <string.h>

#include "fixrun.h"

int main(int argc, char **argv)
{
	struct fixrun f = { .wall_secs = 120 };
	struct sandbox_result r;
	struct config *cfg = NULL;
	char why[512];
	int rc;

	if (argc != 4) {
		fputs("usage: fix-run TREE TASK SOCKET\n", stderr);
		return 2;
	}
	f.tree = argv[1];
	f.task = argv[2];
	f.socket = argv[3];
	if (config_load(NULL, &cfg, why, sizeof(why)) < 0) {
		fprintf(stderr, "fix-run: %s\n", why);
		return 1;
	}
	rc = fixrun_agent(cfg, &f, &r);
	if (rc < 0)
		fprintf(stderr, "fix-run: the sandbox could not be set up: %s\n", strerror(-rc));
	else
		rc = r.exit_status;
	fputs(r.out ? r.out : "", stdout);
	fputs(r.err ? r.err : "", stderr);
	sandbox_result_release(&r);
	config_free(cfg);
	return rc < 0 ? 1 : rc;
}
