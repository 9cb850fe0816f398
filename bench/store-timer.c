/*
 * store-timer.c - the measuring half of bench/store.
 * Usage: store-timer CONFIG ORG REPO JOB N|SARIF; stores a made-up analysis
 * of N results (five tools, every tenth result suppressed in code, the
 * secrets tool's with a secret digest, and a dependencies and a workflows
 * run with facts), or the analysis in file SARIF (lethe-analyze's output),
 * for job JOB of repository REPO of org ORG twice, as lethe-scan does
 * (lib/store/scanstore.h, as lethe_scan, fingerprints and secrets keyed
 * with a random key): a first scan that finds everything new and a second
 * scan of the same branch that finds it all again.  Prints "FIRST_MS
 * AGAIN_MS FINDINGS NEW" (NEW: of the first scan).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "queue.h"
#include "scanstore.h"
#include "util.h"

static const char *const TOOLS[] = { "flawfinder", "cppcheck", "shellcheck", "bandit",
				     "lethe-secrets" };
#define NTOOLS ARRAY_SIZE(TOOLS)
#define NDEPS 60
#define NWORKFLOWS 20

static char *hex_of(const char *what, size_t i)
{
	char n[I64S_MAX], hex[65];
	const char *f[3] = { "bench", what, i64s((int64_t)i, n) };

	sarif_fingerprint(f, ARRAY_SIZE(f), hex);
	return xstrdup(hex);
}

static void result_fill(struct sarif_result *r, size_t tool, size_t i)
{
	static const char *const LEVELS[] = { "error", "warning", "note" };

	r->rule_id = xasprintf("%s/rule-%zu", TOOLS[tool], i % 37);
	r->level = xstrdup(LEVELS[i % 3]);
	r->path = xasprintf("src/dir%zu/file%zu.c", i % 17, i % 359);
	r->message = xasprintf("%s reports rule %zu here", TOOLS[tool], i % 37);
	r->fingerprint = hex_of("fingerprint", i);
	r->cwe = i % 4 ? xstrdup("CWE-120,CWE-20") : NULL;
	r->start_line = (int)(i % 900) + 1;
	r->end_line = r->start_line + (int)(i % 3);
	r->suppressed = i % 10 == 0;
	r->suppress_reason = r->suppressed ? xstrdup("reviewed") : NULL;
	if (!strcmp(TOOLS[tool], "lethe-secrets"))
		r->secret_sha256 = hex_of("secret", i);
}

static void run_name(struct sarif_run *run, const char *tool)
{
	run->tool = xstrdup(tool);
	run->version = xstrdup("1.0");
	run->complete = true;
	run->meta_json = xstrdup("{}");
}

static char *facts_text(void)
{
	char *deps = xstrdup(""), *wf = xstrdup(""), *next, *out;

	for (size_t i = 0; i < NDEPS; i++) {
		next = xasprintf("%s%s{\"ecosystem\":\"npm\",\"name\":\"pkg-%zu\",\"version\":\"1.%zu.0\","
				 "\"direct\":true,\"manifest\":\"package-lock.json\",\"line\":%zu}",
				 deps, i ? "," : "", i, i, i + 1);
		free(deps);
		deps = next;
	}
	for (size_t i = 0; i < NWORKFLOWS; i++) {
		next = xasprintf("%s%s{\"system\":\"github-actions\",\"path\":\".github/workflows/ci.yml\","
				 "\"workflow\":\"CI\",\"job\":\"test\",\"kind\":\"action\","
				 "\"value\":\"actions/step-%zu@v4\",\"pinning\":\"tag\"}", wf, i ? "," : "", i);
		free(wf);
		wf = next;
	}
	out = xasprintf("{\"dependencies\":[%s],\"workflows\":[%s]}", deps, wf);
	free(deps);
	free(wf);
	return out;
}

/* N results spread over the tools, then the two runs with facts. */
static void log_make(struct sarif_log *log, size_t n)
{
	log->nruns = NTOOLS + 2;
	log->runs = xcalloc(log->nruns, sizeof(*log->runs));
	for (size_t t = 0; t < NTOOLS; t++) {
		struct sarif_run *run = &log->runs[t];

		run_name(run, TOOLS[t]);
		run->results_alloc = n / NTOOLS + 1;
		run->results = xcalloc(run->results_alloc, sizeof(*run->results));
	}
	for (size_t i = 0; i < n; i++) {
		struct sarif_run *run = &log->runs[i % NTOOLS];

		result_fill(&run->results[run->nresults++], i % NTOOLS, i);
	}
	run_name(&log->runs[NTOOLS], "lethe-deps");
	run_name(&log->runs[NTOOLS + 1], "lethe-workflows");
	log->runs[NTOOLS].facts_json = facts_text();
	log->runs[NTOOLS + 1].facts_json = facts_text();
}

/* The analysis in file path, parsed as lethe-scan parses the sandbox's output. */
static int log_read(struct sarif_log *log, const char *path)
{
	struct sarif_limits lim;
	char *text = NULL, why[200];
	size_t len = 0;
	int r;

	sarif_limits_default(&lim);
	lim.base = "/workspace";
	lim.max_runs = 1024;
	r = read_file(path, 256 << 20, &text, &len);
	if (r == 0 && sarif_parse(text, len, &lim, log, why, sizeof(why)) < 0) {
		fprintf(stderr, "store-timer: '%s' refused: %s\n", path, why);
		r = -EINVAL;
	}
	for (size_t i = 0; r == 0 && i < log->nruns; i++)
		sarif_run_check_refused(&log->runs[i]);
	free(text);
	return r;
}

/* One scan of job storing n results: how long scanstore_results took, in us. */
static int scan_store(struct db *db, struct queue_job *job, const struct secbuf *key, size_t n,
		      const char *sarif, int64_t *us, struct scanstore *ss)
{
	struct sarif_log log;
	char *base = NULL, *branch = scanstore_branch(job);
	int64_t scan = 0, t0;
	int r;

	sarif_log_init(&log);
	r = 0;
	if (sarif)
		r = log_read(&log, sarif);
	else
		log_make(&log, n);
	if (r == 0)
		r = scanstore_insert(db, job, "main", &scan, &base);
	if (r == 0) {
		scanstore_init(ss, job, scan, branch, base);
		t0 = mono_usec();
		r = scanstore_results(db, ss, &log, key);
		*us = mono_usec() - t0;
	}
	sarif_log_release(&log);
	free(base);
	free(branch);
	return r;
}

int main(int argc, char **argv)
{
	struct queue_job job = { .qj_commit = "abcdef1234567", .qj_ref = "refs/heads/main",
				 .qj_branch = "main" };
	struct config *cfg = NULL;
	struct secbuf key = { 0 };
	struct scanstore first, again;
	struct db *db = NULL;
	char why[256] = "";
	const char *sarif = NULL;
	int64_t n = 0, us[2];

	if (argc != 6 || parse_i64(argv[2], 1, INT64_MAX, &job.qj_org) < 0 ||
	    parse_i64(argv[3], 1, INT64_MAX, &job.qj_repo) < 0 ||
	    parse_i64(argv[4], 1, INT64_MAX, &job.qj_id) < 0 ||
	    (parse_i64(argv[5], 1, 1000000, &n) < 0 && !strchr(argv[5], '/'))) {
		fprintf(stderr, "usage: store-timer CONFIG ORG REPO JOB N|SARIF\n");
		return 2;
	}
	if (config_load(argv[1], &cfg, why, sizeof(why)) < 0 || db_open(cfg, DB_ROLE_SCAN, &db) < 0) {
		fprintf(stderr, "store-timer: %s\n", why[0] ? why : db ? db_error(db) : "no database");
		return 1;
	}
	if (!n)
		sarif = argv[5];
	if (secbuf_alloc(&key, 32) < 0 || crypto_random(key.data, key.len) < 0) {
		fprintf(stderr, "store-timer: unable to make a key\n");
		return 1;
	}
	if (scan_store(db, &job, &key, (size_t)n, sarif, &us[0], &first) < 0 ||
	    scan_store(db, &job, &key, (size_t)n, sarif, &us[1], &again) < 0) {
		fprintf(stderr, "store-timer: unable to store the findings: %s\n", db_error(db));
		return 1;
	}
	printf("%.1f %.1f %lld %lld\n", us[0] / 1000.0, us[1] / 1000.0, (long long)first.ss_findings,
	       (long long)first.ss_new);
	secbuf_release(&key);
	db_free(db);
	config_free(cfg);
	return 0;
}
