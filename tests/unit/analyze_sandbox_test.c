/*
 * analyze_sandbox_test.c - lethe-analyze inside the real sandbox (lib/sandbox)
 * on the fixture repository: every scanner runs to completion there, and
 * the host's reader takes the document with nothing to strip.
 *
 * Needs root, bubblewrap and the lethe-sandbox user (scripts/deps); skips
 * otherwise.  Run from the top of the tree, as make check does.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "sarif.h"
#include "tap.h"
#include "util.h"

static const char *const scanners[] = { "flawfinder", "cppcheck", "shellcheck", "bandit" };

static const char *missing(void)
{
	if (geteuid() != 0)
		return "not root";
	if (access(SANDBOX_BWRAP, X_OK) < 0)
		return "no bubblewrap";
	if (!getpwnam(SANDBOX_USER))
		return "no " SANDBOX_USER " user";
	if (access("bin/lethe-analyze", X_OK) < 0 ||
	    access("tests/fixtures/vulnrepo", R_OK) < 0)
		return "not run from a built tree";
	return NULL;
}

/* The program and a copy of the fixtures where the sandbox user can read. */
static int stage(const char *dir)
{
	_cleanup_free_ char *cmd = xasprintf(
		"mkdir -p '%s/bin' && cp bin/lethe-analyze '%s/bin/' && "
		"cp -r tests/fixtures/vulnrepo '%s/ws' && chmod -R a+rX '%s'",
		dir, dir, dir, dir);

	return system(cmd) == 0 ? 0 : -EIO;
}

static void check_runs(const struct sarif_log *log)
{
	for (size_t i = 0; i < ARRAY_SIZE(scanners); i++) {
		const struct sarif_run *run = i < log->nruns ? &log->runs[i] : NULL;

		ok(run && strcmp(run->tool, scanners[i]) == 0 && run->complete &&
		   run->nresults > 0 && run->version,
		   "%s runs to completion in the sandbox with results", scanners[i]);
	}
}

int main(void)
{
	char dir[] = "/tmp/lethe-analyze-sb.XXXXXX";
	const char *why = missing();
	struct sandbox_bind bind = { .dst = "/opt/lethe" };
	const char *argv[] = { "/opt/lethe/lethe-analyze", "--tool-timeout", "300", NULL };
	struct sandbox_opts o = { .argv = argv, .ro_binds = &bind, .n_ro_binds = 1 };
	struct sandbox_result res = { 0 };
	struct sarif_log log;
	char reason[256];
	int r;

	if (why) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	if (!mkdtemp(dir) || stage(dir) < 0) {
		printf("Bail out! unable to stage the fixtures in %s\n", dir);
		return 1;
	}
	_cleanup_free_ char *bin = xasprintf("%s/bin", dir);
	_cleanup_free_ char *ws = xasprintf("%s/ws", dir);

	bind.src = bin;
	o.workspace = ws;
	sandbox_limits_default(&o.lim);
	r = sandbox_run(&o, &res);
	if (res.err_len)
		diag("stderr: %.300s", res.err);
	if (res.err && strstr(res.err, "LeakSanitizer has encountered a fatal error"))
		skip(1, "LeakSanitizer needs ptrace, which the sandbox refuses (SANITIZE=1)");
	else
		ok(r == 0 && res.exit_status == 0 && !res.timed_out && !res.output_truncated,
		   "lethe-analyze exits 0 in the sandbox (sandbox_run %d, status %d)", r,
		   res.exit_status);
	r = sarif_parse(res.out ? res.out : "", res.out_len, NULL, &log, reason, sizeof(reason));
	ok(r == 0 && log.nruns == 9 && log.stripped == 0,
	   "its output (five scanners, four analyzers) is SARIF the host reads with nothing to strip");
	check_runs(&log);
	sarif_log_release(&log);
	sandbox_result_release(&res);
	_cleanup_free_ char *rm = xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		diag("unable to remove %s", dir);
	return done_testing();
}
