/* scanstore.c - a scan's rows: scans, scan_tools, findings, facts, vulnerabilities. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "facts.h"
#include "scanstore.h"
#include "secrethash.h"
#include "vulns.h"

char *scanstore_branch(const struct queue_job *job)
{
	if (job->qj_pr > 0)
		return xasprintf("pull/%d", job->qj_pr);
	if (job->qj_branch)
		return xstrdup(job->qj_branch);
	return xstrdup(job->qj_ref ? job->qj_ref : "detached");
}

int scanstore_insert(struct db *db, const struct queue_job *job, const char *default_branch,
		     int64_t *scan_id, char **base_scan)
{
	char org[I64S_MAX], repo[I64S_MAX], id[I64S_MAX], pr[I64S_MAX];
	char *branch = scanstore_branch(job);
	PGresult *res = NULL;
	int r;

	r = DB_QUERY(db, &res,
		     "INSERT INTO scans (org_id, repository_id, job_id, commit_sha, ref, branch, "
		     " pr_number, base_sha, base_scan_id) VALUES ($1, $2, $3, $4, $5, $6, "
		     " nullif($7, '0')::int, $8, CASE WHEN $7 <> '0' THEN (SELECT b.id FROM scans b "
		     "  WHERE b.repository_id = $2::bigint AND b.branch = coalesce($9, $10) "
		     "  AND b.pr_number IS NULL AND b.state = 'complete' ORDER BY b.id DESC LIMIT 1) END) "
		     "RETURNING id, base_scan_id",
		     i64s(job->qj_org, org), i64s(job->qj_repo, repo), i64s(job->qj_id, id),
		     job->qj_commit, job->qj_ref, branch, i64s(job->qj_pr, pr),
		     job->qj_base, job->qj_branch, default_branch);
	free(branch);
	if (r < 0)
		return r;
	*scan_id = db_int(res, 0, 0);
	*base_scan = xstrdup(db_value(res, 0, 1) ? db_value(res, 0, 1) : "");
	PQclear(res);
	return 0;
}

void scanstore_init(struct scanstore *ss, const struct queue_job *job, int64_t scan_id,
		    const char *branch, const char *base_scan)
{
	*ss = (struct scanstore){ .ss_org = job->qj_org, .ss_scan = scan_id };
	ss->ss_target = (struct findings_target){
		i64s(job->qj_org, ss->ss_ids[0]), i64s(job->qj_repo, ss->ss_ids[1]), branch,
		i64s(scan_id, ss->ss_ids[2]), job->qj_pr > 0, base_scan };
}

/* Store one run's row; *stored is 0 when the tool appeared twice. */
static int store_tool(struct db *db, const struct scanstore *ss, const struct sarif_run *run,
		      int *stored)
{
	char n[I64S_MAX];
	PGresult *res = NULL;
	int r;

	r = DB_QUERY(db, &res,
		     "INSERT INTO scan_tools (org_id, scan_id, tool, version, status, reason, "
		     " result_count, sarif_meta) VALUES ($1, $2, $3, $4, $5, $6, $7, "
		     " coalesce($8::jsonb, '{}')) ON CONFLICT (scan_id, tool) DO NOTHING",
		     ss->ss_target.org, ss->ss_target.scan, run->tool, run->version,
		     run->not_applicable ? "not_applicable" : run->complete ? "complete" : "incomplete",
		     run->reason,
		     i64s((int64_t)run->nresults, n), run->meta_json);
	if (r == 0)
		*stored = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return r;
}

/*
 * A result without a fingerprint (a scanner added by configuration that
 * writes SARIF itself, or one whose fingerprint could not be keyed) is
 * tracked by SHA-256 of tool, rule, path and message: it survives the code
 * moving.  The message is Lethe's text for the rule (lib/parse/ruletext.h), so
 * this hashes no file content and is not keyed.
 */
static char *fingerprint_fallback(const char *tool, const struct sarif_result *res)
{
	char *id = xasprintf("lethe-host-v1%c%s%c%s%c%s%c%s", 0, tool, 0,
			     res->rule_id ? res->rule_id : "", 0, res->path, 0,
			     res->message ? res->message : "");
	size_t n = strlen("lethe-host-v1") + 4 + strlen(tool) +
		   strlen(res->rule_id ? res->rule_id : "") + strlen(res->path) +
		   strlen(res->message ? res->message : "");
	unsigned char md[32];
	char *hex = xmalloc(65);

	crypto_sha256(id, n, md);
	hex_encode(md, sizeof(md), hex);
	free(id);
	return hex;
}

static int fingerprint_ok(const char *fp)
{
	size_t n = fp ? strspn(fp, "0123456789abcdef") : 0;

	return n >= 16 && n <= 128 && fp[n] == '\0';
}

static const char *level_of(const struct sarif_result *res)
{
	static const char *const ok[] = { "error", "warning", "note", "none" };
	size_t i;

	for (i = 0; res->level && i < ARRAY_SIZE(ok); i++)
		if (!strcmp(res->level, ok[i]))
			return ok[i];
	return "warning";
}

static json_object *json_line(int line)
{
	return line > 0 ? json_object_new_int(line) : NULL;
}

/* The run's results as sql_results' recordset. */
static char *results_json(struct scanstore *ss, const struct sarif_run *run)
{
	json_object *a = json_object_new_array();
	char *out;
	size_t i;

	for (i = 0; i < run->nresults; i++) {
		const struct sarif_result *res = &run->results[i];
		char *fallback = NULL;
		json_object *o;

		if (!fingerprint_ok(res->fingerprint))
			fallback = fingerprint_fallback(run->tool, res);
		o = json_object_new_object();
		json_object_object_add(o, "i", json_object_new_int64((int64_t)i));
		json_object_object_add(o, "fp", json_object_new_string(fallback ? fallback :
								       res->fingerprint));
		json_object_object_add(o, "rule", json_object_new_string(res->rule_id ?
									 res->rule_id : "unknown"));
		json_object_object_add(o, "level", json_object_new_string(level_of(res)));
		json_object_object_add(o, "path", json_object_new_string(res->path));
		json_object_object_add(o, "sl", json_line(res->start_line));
		json_object_object_add(o, "el", json_line(res->end_line ? res->end_line :
								  res->start_line));
		json_object_object_add(o, "msg", json_object_new_string(res->message ?
									res->message : ""));
		if (res->cwe)
			json_object_object_add(o, "cwe", json_object_new_string(res->cwe));
		json_object_array_add(a, o);
		ss->ss_findings++;
		free(fallback);
	}
	out = xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return out;
}

static int store_results(struct db *db, struct scanstore *ss, const struct sarif_run *run)
{
	char *list = results_json(ss, run);
	int64_t nnew = 0;
	int r = findings_store(db, &ss->ss_target, run->tool, list, &nnew);

	free(list);
	ss->ss_new += nnew;
	return r;
}

/* Open findings of a complete tool run that this scan did not see are fixed. */
static int store_fixed(struct db *db, struct scanstore *ss, const char *tool)
{
	PGresult *res = NULL;
	int r;

	r = DB_QUERY(db, &res,
		     "UPDATE findings SET state = 'fixed', fixed_scan_id = $1, updated_at = now() "
		     "WHERE repository_id = $2 AND branch = $3 AND tool = $4 AND state = 'open' "
		     " AND last_scan_id IS DISTINCT FROM $1::bigint",
		     ss->ss_target.scan, ss->ss_target.repo, ss->ss_target.branch, tool);
	if (r == 0)
		ss->ss_fixed += strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return r;
}

/* Dependencies and workflow facts, in-code suppressions and secret hashes (lib/facts). */
static int store_facts(struct db *db, const struct scanstore *ss, const struct sarif_run *run)
{
	const struct findings_target *t = &ss->ss_target;
	int r = facts_store(db, t->org, t->repo, t->scan, run, NULL);

	return r < 0 ? r : facts_mark_findings(db, t->repo, t->branch, t->scan, run, NULL);
}

static int store_run(struct db *db, struct scanstore *ss, const struct sarif_run *run)
{
	int r, stored = 0;

	r = store_tool(db, ss, run, &stored);
	if (r == 0 && stored && run->nresults > 0)
		r = store_results(db, ss, run);
	if (r == 0 && stored && run->complete)
		r = store_fixed(db, ss, run->tool);
	if (r == 0 && stored)
		r = store_facts(db, ss, run);
	return r;
}

/* The dependencies just stored, matched against the imported advisories (lib/vulns). */
static int store_vulns(struct db *db, struct scanstore *ss)
{
	struct vulns_count n = { 0 };
	int r = vulns_evaluate(db, &ss->ss_target, &n);

	ss->ss_findings += n.found;
	ss->ss_new += n.added;
	ss->ss_fixed += n.fixed;
	return r;
}

/*
 * Secrets come out of the sandbox with their plain SHA-256, and every
 * result with a fingerprint that hashes its lines; neither may be stored
 * as it is: key them with the org's secret hash key.  Without it, secrets
 * are stored without a hash and results are tracked by the fallback
 * fingerprint (lib/secret/secrethash.h).
 */
static void results_key(struct scanstore *ss, struct sarif_log *log, const struct secbuf *key)
{
	if (key) {
		secrethash_apply(key, log, &ss->ss_unkeyed);
		ss->ss_fp_failed = secrethash_fingerprints(key, log) < 0;
	} else {
		secrethash_drop(log, &ss->ss_unkeyed);
		secrethash_fingerprints_drop(log, &ss->ss_unkeyed_fps);
	}
}

static int scan_done(struct db *db, struct scanstore *ss, const struct sarif_log *log)
{
	char *stats;
	int r;

	stats = xasprintf("{\"findings\": %" PRId64 ", \"new\": %" PRId64 ", \"fixed\": %" PRId64
			  ", \"refused\": %" PRId64 ", \"tools\": %zu, \"stripped\": %zu}",
			  ss->ss_findings, ss->ss_new, ss->ss_fixed, ss->ss_refused, log->nruns,
			  log->stripped);
	/* Reported to the VCS by lethe-report, unless the repository says none. */
	r = DB_QUERY(db, NULL, "UPDATE scans SET state = $2, finished_at = now(), "
		     "stats = $3::jsonb, report_next_at = now(), report_state = (SELECT "
		     "CASE WHEN report_mode = 'none' THEN NULL ELSE 'pending' END "
		     "FROM repositories WHERE id = scans.repository_id) WHERE id = $1",
		     ss->ss_target.scan, ss->ss_state, stats);
	free(stats);
	return r;
}

int scanstore_results(struct db *db, struct scanstore *ss, struct sarif_log *log,
		      const struct secbuf *key)
{
	int complete = log->nruns > 0, r;
	size_t i;

	results_key(ss, log, key);
	r = db_begin(db);
	/* Fingerprints stored before they were keyed (sql/094): keyed now. */
	if (r == 0 && key)
		r = secrethash_rekey(db, key, ss->ss_org, &ss->ss_rekeyed);
	for (i = 0; r == 0 && i < log->nruns; i++) {
		complete &= log->runs[i].complete;
		ss->ss_refused += (int64_t)log->runs[i].refused;
		r = store_run(db, ss, &log->runs[i]);
	}
	if (r == 0)
		r = store_vulns(db, ss);
	ss->ss_state = complete ? "complete" : "incomplete";
	if (r == 0)
		r = scan_done(db, ss, log);
	if (r == 0)
		r = db_commit(db);
	if (r < 0)
		db_rollback(db);
	return r;
}

int scanstore_failed(struct db *db, int64_t scan_id, const char *why)
{
	char id[I64S_MAX];

	return DB_QUERY(db, NULL, "UPDATE scans SET state = 'failed', finished_at = now(), "
			"stats = jsonb_build_object('error', $2::text) WHERE id = $1",
			i64s(scan_id, id), why);
}
