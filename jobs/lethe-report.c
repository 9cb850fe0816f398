/*
 * lethe-report - tell the VCS about finished scans, with retries.
 *
 * lethe-scan marks a scan report_state 'pending' in the transaction that
 * completes it (unless its repository's report_mode is none).  Each run
 * claims due pending scans one at a time (FOR UPDATE SKIP LOCKED, the row
 * stays locked while it is sent, so two workers never send the same
 * report), sends it with the reporting token through report_scan(), and
 * records the attempt in report_attempts: when, how long, what came back,
 * never a token or a body.  A temporary failure (5xx, 429, a network
 * error) is tried again after report_retry_base, doubled each attempt, up
 * to report_give_up after the scan finished; a refusal (any other 4xx) is
 * not retried.  A pending report that a newer scan of the same pull
 * request (or, outside pull requests, of the same branch) makes stale is
 * marked superseded and never sent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "http.h"
#include "keys.h"
#include "log.h"
#include "report.h"
#include "util.h"

#define REPORT_RUN_MAX   100	/* reports per run: the timer starts the next */
#define REPORT_WAIT_MAX  3600	/* longest wait between attempts, seconds */

#define USAGE "usage: lethe-report [--once] [--verbose] | --help | --version\n"

static int supersede(struct db *db)
{
	return DB_QUERY(db, NULL, "UPDATE scans o SET report_state = 'superseded', "
			"report_next_at = NULL WHERE o.report_state = 'pending' AND EXISTS ("
			"SELECT 1 FROM scans n WHERE n.repository_id = o.repository_id AND n.id > o.id "
			"AND n.report_state IS NOT NULL AND n.report_state <> 'superseded' AND "
			"(n.pr_number = o.pr_number OR (o.pr_number IS NULL AND n.pr_number IS NULL "
			"AND n.branch IS NOT DISTINCT FROM o.branch)))");
}

/* What an error says in report_attempts.error and in the log. */
static const char *error_class(int r)
{
	switch (r) {
	case -EAGAIN: return "temporary: 5xx, 429 or network error after the client's retries";
	case -EACCES: return "access refused (401/403)";
	case -ENOENT: return "not found (404)";
	case -EPROTO: return "request refused (4xx)";
	case -EFBIG: return "response too large";
	case -EBADMSG: return "response not JSON";
	case -EINVAL: return "malformed API URL";
	case -EPERM: return "API URL refused by clone_hosts";
	default: return strerror(-r);
	}
}

enum rstate { RS_SENT, RS_FAILED, RS_GAVE_UP, RS_PENDING };
static const char *const rstate_name[] = { "sent", "failed", "gave_up", "pending" };

/* The state after an attempt, and when to try next (s from now), if pending. */
static enum rstate report_next(const struct config *cfg, int r, int done, int64_t tries,
			       int64_t age, int64_t *wait)
{
	int64_t base = config_v(cfg)->report_retry_base;

	*wait = base;
	for (int64_t i = 1; i < tries && *wait < REPORT_WAIT_MAX; i++)
		*wait *= 2;
	if (*wait > REPORT_WAIT_MAX)
		*wait = REPORT_WAIT_MAX;
	if (r == 0)
		return done ? RS_SENT : RS_FAILED;	/* nothing to report with */
	if (r != -EAGAIN && http_error_permanent(r))
		return RS_FAILED;
	if (age + *wait > config_v(cfg)->report_give_up)
		return RS_GAVE_UP;
	return RS_PENDING;
}

/* Record the attempt and its result; the caller commits. */
static int report_record(struct db *db, const struct config *cfg, const char *scan,
			 int r, int done, int64_t ms, int64_t tries, int64_t age)
{
	int64_t wait;
	enum rstate state = report_next(cfg, r, done, tries, age, &wait);
	const char *outcome = r == 0 ? (done ? "sent" : "nothing") : r == -EAGAIN ? "temporary"
			      : "refused";
	char msbuf[24], waitbuf[24];
	int q;

	snprintf(msbuf, sizeof(msbuf), "%" PRId64, ms);
	snprintf(waitbuf, sizeof(waitbuf), "%" PRId64, wait);
	q = DB_QUERY(db, NULL, "INSERT INTO report_attempts (scan_id, duration_ms, outcome, error) "
		     "VALUES ($1, $2, $3, $4)", scan, msbuf, outcome, r ? error_class(r) : NULL);
	if (q == 0)
		q = DB_QUERY(db, NULL, "UPDATE scans SET report_state = $2, report_reason = $3, "
			     "report_next_at = CASE WHEN $2 = 'pending' THEN now() + "
			     "make_interval(secs => $4::bigint) END WHERE id = $1",
			     scan, rstate_name[state], r ? error_class(r) : done ? NULL
			     : "no reporting token or API URL", waitbuf);
	if (state == RS_PENDING)
		log_notice("report of scan %s failed: %s; tried again in %" PRId64 " s",
			   scan, error_class(r), wait);
	else if (r < 0)
		log_warning("report of scan %s %s: %s", scan,
			    state == RS_FAILED ? "refused" : "given up", error_class(r));
	else if (done)
		log_info("scan %s reported to the VCS", scan);
	return q;
}

/* 1: one report handled, 0: none due, <0: database error. */
static int report_one(struct db *db, const struct keyring *kr, const struct config *cfg)
{
	PGresult *res = NULL;
	int64_t t0, tries, age;
	char scan[24];
	int r, done = 0, sent;

	r = db_begin(db);
	if (r == 0)
		r = DB_QUERY(db, &res, "SELECT s.id, (SELECT count(*) FROM report_attempts a "
			     "WHERE a.scan_id = s.id), extract(epoch FROM now() - s.finished_at)::bigint "
			     "FROM scans s WHERE s.report_state = 'pending' AND s.report_next_at <= now() "
			     "ORDER BY s.report_next_at, s.id LIMIT 1 FOR UPDATE SKIP LOCKED");
	if (r < 0 || PQntuples(res) == 0) {
		PQclear(res);
		db_rollback(db);
		return r;
	}
	snprintf(scan, sizeof(scan), "%s", db_value(res, 0, 0));
	tries = db_int(res, 0, 1) + 1;
	age = db_int(res, 0, 2);
	PQclear(res);
	t0 = mono_usec();
	sent = report_scan(db, kr, cfg, strtoll(scan, NULL, 10), &done);
	r = report_record(db, cfg, scan, sent, done, (mono_usec() - t0) / 1000, tries, age);
	if (r == 0)
		r = db_commit(db);
	if (r < 0)
		db_rollback(db);
	return r < 0 ? r : 1;
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	struct db *db = NULL;
	char why[512];
	int once = 0, verbose = 0, r = 0, n;

	std_options(argc, argv, USAGE);
	log_init("lethe-report");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--once"))
			once = 1;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else {
			fputs(USAGE, stderr);
			return EXIT_USAGE;
		}
	}
	log_set_verbose(verbose);
	cfg = config_start();
	if (keyring_load(cfg, &kr, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	if (db_open(cfg, DB_ROLE_REPORT, &db) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to connect to the database: %s", db_error(db));
	r = supersede(db);
	for (n = 0; r >= 0 && n < (once ? 1 : REPORT_RUN_MAX); n++)
		if ((r = report_one(db, kr, cfg)) == 0)
			break;
	if (r < 0)
		log_err("unable to record a report: %s", db_error(db));
	db_free(db);
	keyring_free(kr);
	config_free(cfg);
	return r < 0 ? EXIT_TEMPFAIL : EXIT_OK;
}
