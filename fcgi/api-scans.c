/*
 * api-scans.c - scans, their SARIF export (metadata only, never source),
 * findings with filters, and triage keyed by fingerprint so that it
 * survives later scans.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "audit.h"
#include "sarif.h"
#include "util.h"

#define PAGE_MAX 200

/* repository, before and limit parameters; -1 when one is bad (400 answered). */
static int page_params(struct api_req *req, struct api_resp *resp, char b[3][24], const char *v[3])
{
	if (api_param_int(req, "repository", 1, INT64_MAX, b[0], &v[0]) < 0
	    || api_param_int(req, "before", 1, INT64_MAX, b[1], &v[1]) < 0
	    || api_param_int(req, "limit", 1, PAGE_MAX, b[2], &v[2]) < 0) {
		api_error(resp, 400, "repository and before must be ids, limit 1 to 200");
		return -1;
	}
	if (!v[2])
		v[2] = "50";
	return 0;
}

int api_scans_list(struct api_req *req, struct api_resp *resp)
{
	char b[3][24], state[32];
	const char *v[3];

	if (page_params(req, resp, b, v) < 0)
		return 0;
	return API_QUERY_JSON(req, resp, "no scans",
		"SELECT json_build_object('scans', coalesce(json_agg(t ORDER BY t.id DESC), '[]')) FROM ("
		"SELECT s.id, s.repository_id AS repository, r.full_name, s.commit_sha, s.ref, s.branch, "
		"s.pr_number, s.state, s.started_at, s.finished_at, s.stats "
		"FROM scans s JOIN repositories r ON r.id = s.repository_id WHERE s.org_id = $1 "
		"AND ($2::bigint IS NULL OR s.repository_id = $2::bigint) "
		"AND ($3::bigint IS NULL OR s.id < $3::bigint) AND ($5::text IS NULL OR s.state = $5) "
		"ORDER BY s.id DESC LIMIT $4::integer) t",
		req->org, v[0], v[1], v[2], api_param(req, "state", state, sizeof(state)));
}

int api_scan_get(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "scan not found",
		"SELECT json_build_object('id', s.id, 'repository', s.repository_id, 'full_name', r.full_name, "
		"'commit_sha', s.commit_sha, 'ref', s.ref, 'branch', s.branch, 'pr_number', s.pr_number, "
		"'base_sha', s.base_sha, 'state', s.state, 'started_at', s.started_at, "
		"'finished_at', s.finished_at, 'stats', s.stats, "
		"'tools', (SELECT coalesce(json_agg(json_build_object('tool', t.tool, 'version', t.version, "
		"'status', t.status, 'reason', t.reason, 'results', t.result_count) ORDER BY t.tool), '[]') "
		"FROM scan_tools t WHERE t.scan_id = s.id), "
		"'findings', (SELECT count(*) FROM scan_findings sf WHERE sf.scan_id = s.id), "
		"'introduced', (SELECT count(*) FROM scan_findings sf WHERE sf.scan_id = s.id AND sf.introduced)) "
		"FROM scans s JOIN repositories r ON r.id = s.repository_id WHERE s.id = $1 AND s.org_id = $2",
		id, req->org);
}

/*
 * The SARIF export is written by lib/sarif (Lethe's one SARIF writer: one run
 * per tool, rules, locations, "lethe/v1" fingerprints, CWE tags); the API
 * then adds what only it knows: triage as suppressions and the commit as
 * version-control provenance.  Messages and paths only, never source text.
 */
#define SARIF_TOOLS \
	"SELECT t.tool, t.version, t.status, t.reason, t.sarif_meta->'automationDetails'->>'id' " \
	"FROM scan_tools t WHERE t.scan_id = $1 " \
	"UNION SELECT DISTINCT f.tool, NULL, 'complete', NULL, NULL FROM scan_findings sf JOIN findings f " \
	"ON f.id = sf.finding_id WHERE sf.scan_id = $1 AND f.tool NOT IN " \
	"(SELECT t.tool FROM scan_tools t WHERE t.scan_id = $1) ORDER BY 1"
#define SARIF_RESULTS \
	"SELECT f.tool, f.rule_id, f.level, f.path, coalesce(sf.start_line, f.start_line), " \
	"CASE WHEN sf.start_line IS NULL OR sf.start_line = f.start_line THEN f.end_line END, " \
	"f.message, f.fingerprint, f.cwe, CASE WHEN tr.id IS NOT NULL THEN tr.state || ': ' || tr.reason END, " \
	"f.suppressed_in_code FROM scan_findings sf JOIN findings f ON f.id = sf.finding_id " \
	"LEFT JOIN triage tr ON tr.repository_id = f.repository_id AND tr.fingerprint = f.fingerprint " \
	"AND (tr.expires_at IS NULL OR tr.expires_at > now()) WHERE sf.scan_id = $1 " \
	"ORDER BY f.tool, f.path, 5, f.id"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The run of tool (its index in *i), or NULL. */
static struct sarif_run *sarif_run_of(struct sarif_log *log, const char *tool, size_t *i)
{
	for (*i = 0; *i < log->nruns; (*i)++)
		if (!strcmp(log->runs[*i].tool, tool))
			return &log->runs[*i];
	return NULL;
}

/* Runs and results from the rows; at[row] gets "run index, result index". */
static void sarif_fill(struct sarif_log *log, PGresult *tools, PGresult *res, size_t (*at)[2])
{
	int i;

	for (i = 0; i < PQntuples(tools); i++) {
		struct sarif_run *run = sarif_log_add_run(log, db_value(tools, i, 0), db_value(tools, i, 1));
		const char *status = PQgetvalue(tools, i, 2);

		run->category = dup_or_null(db_value(tools, i, 4));
		if (!strcmp(status, "not_applicable"))
			sarif_run_not_applicable(run, db_value(tools, i, 3));
		else if (strcmp(status, "complete"))
			sarif_run_fail(run, db_value(tools, i, 3) ? db_value(tools, i, 3) : "incomplete");
	}
	for (i = 0; i < PQntuples(res); i++) {
		struct sarif_run *run = sarif_run_of(log, db_value(res, i, 0), &at[i][0]);
		struct sarif_result *r;

		if (!run)
			continue;
		at[i][1] = run->nresults;
		r = sarif_run_add_result(run);
		r->rule_id = dup_or_null(db_value(res, i, 1));
		r->level = dup_or_null(db_value(res, i, 2));
		r->path = dup_or_null(db_value(res, i, 3));
		r->start_line = (int)db_int(res, i, 4);
		r->end_line = (int)db_int(res, i, 5);
		r->message = dup_or_null(db_value(res, i, 6));
		r->fingerprint = dup_or_null(db_value(res, i, 7));
		r->cwe = dup_or_null(db_value(res, i, 8));
	}
}

static void suppression_add(struct json_object *result, const char *kind, const char *why)
{
	struct json_object *list = json_object_new_array(), *s = json_object_new_object();

	json_object_object_add(s, "kind", json_object_new_string(kind));
	if (why) {
		json_object_object_add(s, "status", json_object_new_string("accepted"));
		json_object_object_add(s, "justification", json_object_new_string(why));
	}
	json_object_array_add(list, s);
	json_object_object_add(result, "suppressions", list);
}

static struct json_object *provenance(PGresult *scan)
{
	struct json_object *list = json_object_new_array(), *v = json_object_new_object();

	json_object_object_add(v, "repositoryUri", json_object_new_string(db_value(scan, 0, 0)));
	json_object_object_add(v, "revisionId", json_object_new_string(db_value(scan, 0, 1)));
	if (db_value(scan, 0, 2))
		json_object_object_add(v, "branch", json_object_new_string(db_value(scan, 0, 2)));
	json_object_array_add(list, v);
	return list;
}

/* Triage and provenance on top of sarif_write's document. */
static struct json_object *sarif_annotate(const char *text, PGresult *scan, PGresult *res,
					  size_t (*at)[2])
{
	struct json_object *doc = json_tokener_parse(text), *runs, *run, *results, *r;
	size_t i;
	int row;

	json_object_object_get_ex(doc, "runs", &runs);
	for (i = 0; i < json_object_array_length(runs); i++)
		json_object_object_add(json_object_array_get_idx(runs, i), "versionControlProvenance",
				       provenance(scan));
	for (row = 0; row < PQntuples(res); row++) {
		run = json_object_array_get_idx(runs, at[row][0]);
		if (!run || !json_object_object_get_ex(run, "results", &results))
			continue;
		r = json_object_array_get_idx(results, at[row][1]);
		if (r && db_value(res, row, 9))
			suppression_add(r, "external", db_value(res, row, 9));
		else if (r && !strcmp(PQgetvalue(res, row, 10), "t"))
			suppression_add(r, "inSource", NULL);
	}
	return doc;
}

int api_scan_sarif(struct api_req *req, struct api_resp *resp)
{
	PGresult *scan = NULL, *tools = NULL, *res = NULL;
	struct sarif_log log;
	size_t (*at)[2];
	char id[24], *text;
	int r;

	api_id_text(req, 0, id);
	r = DB_QUERY(req->db, &scan, "SELECT r.clone_url, s.commit_sha, s.branch FROM scans s JOIN "
		     "repositories r ON r.id = s.repository_id WHERE s.id = $1 AND s.org_id = $2", id, req->org);
	if (r < 0)
		return r;
	if (PQntuples(scan) == 0) {
		PQclear(scan);
		return api_error(resp, 404, "scan not found");
	}
	if ((r = DB_QUERY(req->db, &tools, SARIF_TOOLS, id)) == 0 &&
	    (r = DB_QUERY(req->db, &res, SARIF_RESULTS, id)) == 0) {
		at = xcalloc((size_t)PQntuples(res) + 1, sizeof(*at));
		sarif_log_init(&log);
		sarif_fill(&log, tools, res, at);
		text = sarif_write(&log);
		api_json_obj(resp, 200, sarif_annotate(text, scan, res, at));
		free(text);
		free(at);
		sarif_log_release(&log);
	}
	PQclear(scan);
	PQclear(tools);
	PQclear(res);
	return r;
}

/* A finding's state as people see it: triage (while it lasts) over the scanner's. */
#define FINDING_STATE \
	"CASE WHEN tr.id IS NOT NULL AND (tr.expires_at IS NULL OR tr.expires_at > now()) " \
	"THEN tr.state ELSE f.state END"
/* A finding with its repository, its triage and its newest fix (fx: none, or one row). */
#define FINDING_FROM \
	"FROM findings f JOIN repositories r ON r.id = f.repository_id " \
	"LEFT JOIN triage tr ON tr.repository_id = f.repository_id AND tr.fingerprint = f.fingerprint " \
	"LEFT JOIN LATERAL (SELECT x.id, x.state FROM fixes x WHERE x.finding_id = f.id " \
	"ORDER BY x.id DESC LIMIT 1) fx ON true "
/* A vulnerable dependency's advisory (lib/store/vulns.h): what the finding says, and the stored record's dates. */
#define FINDING_ADVISORY \
	"CASE WHEN f.rule_id = 'lethe/vulnerable-dependency' THEN f.properties || coalesce((" \
	"SELECT jsonb_build_object('summary', a.summary, 'modified', a.modified, 'published', " \
	"a.published, 'cvss_vector', a.cvss_vector) FROM advisories a " \
	"WHERE a.id = f.properties ->> 'advisory'), '{}') END"
#define FINDING_FIELDS \
	"f.id, f.repository_id AS repository, r.full_name, f.branch, f.fingerprint, f.tool, f.rule_id, " \
	"f.level, f.path, f.start_line, f.end_line, f.message, f.cwe, " FINDING_STATE " AS state, " \
	"f.state AS scan_state, f.suppressed_in_code, f.first_scan_id, f.last_scan_id, f.fixed_scan_id, " \
	"f.created_at, f.updated_at, CASE WHEN tr.id IS NOT NULL THEN json_build_object('state', tr.state, " \
	"'reason', tr.reason, 'expires_at', tr.expires_at, 'by', tr.created_by, 'at', tr.created_at) END AS triage, " \
	FINDING_ADVISORY " AS advisory, " \
	"CASE WHEN fx.id IS NOT NULL THEN json_build_object('id', fx.id, 'state', fx.state) END AS fix "

int api_findings_list(struct api_req *req, struct api_resp *resp)
{
	char b[3][24], state[32], level[32], tool[128], branch[256], pr[24];
	const char *v[3], *prv;

	if (page_params(req, resp, b, v) < 0)
		return 0;
	if (api_param_int(req, "pull_request", 1, INT32_MAX, pr, &prv) < 0)
		return api_error(resp, 400, "pull_request must be a pull request number");
	return API_QUERY_JSON(req, resp, "no findings",
		"SELECT json_build_object('findings', coalesce(json_agg(t ORDER BY t.id DESC), '[]')) FROM ("
		"SELECT " FINDING_FIELDS FINDING_FROM "WHERE f.org_id = $1 "
		"AND ($2::bigint IS NULL OR f.repository_id = $2::bigint) "
		"AND ($3::bigint IS NULL OR f.id < $3::bigint) "
		"AND ($5::text IS NULL OR " FINDING_STATE " = $5) AND ($6::text IS NULL OR f.level = $6) "
		"AND ($7::text IS NULL OR f.tool = $7) AND ($8::text IS NULL OR f.branch = $8) "
		"AND ($9::integer IS NULL OR EXISTS (SELECT 1 FROM scan_findings sf JOIN scans s ON "
		"s.id = sf.scan_id WHERE sf.finding_id = f.id AND s.pr_number = $9::integer)) "
		"ORDER BY f.id DESC LIMIT $4::integer) t",
		req->org, v[0], v[1], v[2], api_param(req, "state", state, sizeof(state)),
		api_param(req, "level", level, sizeof(level)), api_param(req, "tool", tool, sizeof(tool)),
		api_param(req, "branch", branch, sizeof(branch)), prv);
}

int api_finding_get(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "finding not found",
		"SELECT row_to_json(t) FROM (SELECT " FINDING_FIELDS ", (SELECT coalesce(json_agg("
		"json_build_object('id', s.id, 'commit_sha', s.commit_sha, 'started_at', s.started_at) "
		"ORDER BY s.id), '[]') FROM scan_findings sf JOIN scans s ON s.id = sf.scan_id "
		"WHERE sf.finding_id = f.id) AS scans " FINDING_FROM
		"WHERE f.id = $1 AND f.org_id = $2) t", id, req->org);
}

static int triage_audit(struct api_req *req, const char *action, const char *id, const char *details)
{
	char target[40];

	snprintf(target, sizeof(target), "finding:%s", id);
	return audit_append(req->db, req->org_id, req->actor_type, req->actor, action, target, details, NULL);
}

static const char TRIAGE_USAGE[] = "state (suppressed or false_positive), reason (1 to 1000 "
	"characters) and an optional future expires_at required";

static int triage_invalid(struct api_req *req, struct api_resp *resp, int r)
{
	const char *st = db_sqlstate(req->db);

	if (r == -EIO && (!strncmp(st, "22", 2) || !strncmp(st, "23", 2)))
		return api_error(resp, 400, TRIAGE_USAGE);
	return r;
}

/* 0 when expires is a time in the future; 1 when not (400 answered). */
static int expiry_check(struct api_req *req, struct api_resp *resp, const char *expires)
{
	PGresult *res;
	int r = DB_QUERY(req->db, &res, "SELECT $1::timestamptz > now()", expires);

	if (r < 0)
		return triage_invalid(req, resp, r) < 0 ? r : 1;
	r = strcmp(PQgetvalue(res, 0, 0), "t") ? (api_error(resp, 400, "expires_at must be in the future"), 1) : 0;
	PQclear(res);
	return r;
}

int api_finding_triage(struct api_req *req, struct api_resp *resp)
{
	const char *state = api_body_str(req, "state"), *reason = api_body_str(req, "reason");
	const char *expires = api_body_str(req, "expires_at");
	char id[24];
	PGresult *res;
	int r;

	api_id_text(req, 0, id);
	if (!state || (strcmp(state, "suppressed") && strcmp(state, "false_positive")) || !reason)
		return api_error(resp, 400, TRIAGE_USAGE);
	if (expires && (r = expiry_check(req, resp, expires)) != 0)
		return r < 0 ? r : 0;
	r = DB_QUERY(req->db, &res, "INSERT INTO triage (org_id, repository_id, fingerprint, state, reason, "
		     "expires_at, created_by) SELECT f.org_id, f.repository_id, f.fingerprint, $3, $4, "
		     "$5::timestamptz, $6 "
		     "FROM findings f WHERE f.id = $1 AND f.org_id = $2 "
		     "ON CONFLICT (repository_id, fingerprint) DO UPDATE SET state = excluded.state, "
		     "reason = excluded.reason, expires_at = excluded.expires_at, "
		     "created_by = excluded.created_by, created_at = now() "
		     "RETURNING json_build_object('finding', $1::bigint, 'state', state, 'reason', reason, "
		     "'expires_at', expires_at)::text",
		     id, req->org, state, reason, expires, req->actor);
	if (r < 0)
		return triage_invalid(req, resp, r);
	if (PQntuples(res) == 0)
		r = api_error(resp, 404, "finding not found");
	else if ((r = triage_audit(req, "finding.triage", id, PQgetvalue(res, 0, 0))) == 0)
		api_json(resp, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

int api_finding_reopen(struct api_req *req, struct api_resp *resp)
{
	char id[24];
	PGresult *res;
	int r;

	api_id_text(req, 0, id);
	r = DB_QUERY(req->db, &res, "SELECT f.id, (SELECT count(*) FROM triage tr WHERE "
		     "tr.repository_id = f.repository_id AND tr.fingerprint = f.fingerprint) "
		     "FROM findings f WHERE f.id = $1 AND f.org_id = $2", id, req->org);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0 || db_int(res, 0, 1) == 0)
		r = api_error(resp, 404, PQntuples(res) ? "finding is not triaged" : "finding not found");
	else if ((r = DB_QUERY(req->db, NULL, "DELETE FROM triage tr USING findings f WHERE f.id = $1 "
			       "AND tr.repository_id = f.repository_id AND tr.fingerprint = f.fingerprint",
			       id)) == 0
		 && (r = triage_audit(req, "finding.reopen", id, NULL)) == 0)
		api_finding_get(req, resp);
	PQclear(res);
	return r;
}
