/*
 * an-flawfinder.c - flawfinder writes SARIF itself (--sarif); its output
 * goes through the whitelist reader like any other SARIF (an-json.c).
 */
#include "an.h"

int an_flawfinder_build(const struct an_ctx *ctx, struct an_argv *argv,
			struct sarif_run *run)
{
	an_argv_add(argv, "flawfinder");
	an_argv_add(argv, "--sarif");
	an_argv_add(argv, "--");
	an_argv_add(argv, ".");
	return 0;
}
