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
 * SARIF 2.1.0, one run per tool: rules by id, results with their location,
 * a partial fingerprint, and suppressions from triage or from the code.
 * Messages and paths only: no snippet, no region text, no source line.
 */
int api_scan_sarif(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "scan not found",
		"WITH s AS (SELECT s.*, r.clone_url FROM scans s JOIN repositories r ON r.id = s.repository_id "
		"  WHERE s.id = $1 AND s.org_id = $2), "
		"res AS (SELECT f.tool, f.rule_id, jsonb_strip_nulls(jsonb_build_object("
		"  'ruleId', f.rule_id, 'level', f.level, 'message', jsonb_build_object('text', f.message), "
		"  'locations', jsonb_build_array(jsonb_build_object('physicalLocation', jsonb_build_object("
		"    'artifactLocation', jsonb_build_object('uri', f.path), "
		"    'region', CASE WHEN coalesce(sf.start_line, f.start_line) >= 1 THEN jsonb_build_object("
		"      'startLine', coalesce(sf.start_line, f.start_line)) END))), "
		"  'partialFingerprints', jsonb_build_object('lethe/v1', f.fingerprint), "
		"  'properties', CASE WHEN f.cwe IS NOT NULL THEN jsonb_build_object('cwe', f.cwe) END, "
		"  'suppressions', CASE WHEN tr.id IS NOT NULL THEN jsonb_build_array(jsonb_build_object("
		"      'kind', 'external', 'status', 'accepted', 'justification', tr.state || ': ' || tr.reason)) "
		"    WHEN f.suppressed_in_code THEN jsonb_build_array(jsonb_build_object('kind', 'inSource')) END"
		"  )) AS result FROM s JOIN scan_findings sf ON sf.scan_id = s.id "
		"  JOIN findings f ON f.id = sf.finding_id "
		"  LEFT JOIN triage tr ON tr.repository_id = f.repository_id AND tr.fingerprint = f.fingerprint "
		"    AND (tr.expires_at IS NULL OR tr.expires_at > now())), "
		"tools AS (SELECT t.tool, t.version, t.status FROM s JOIN scan_tools t ON t.scan_id = s.id "
		"  UNION SELECT DISTINCT res.tool, NULL, 'complete' FROM res "
		"  WHERE res.tool NOT IN (SELECT t.tool FROM s JOIN scan_tools t ON t.scan_id = s.id)) "
		"SELECT jsonb_build_object('$schema', "
		"  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json', "
		"  'version', '2.1.0', 'runs', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object("
		"    'tool', jsonb_build_object('driver', jsonb_build_object('name', tools.tool, "
		"      'version', tools.version, 'rules', (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object("
		"        'id', res.rule_id)), '[]') FROM res WHERE res.tool = tools.tool))), "
		"    'invocations', jsonb_build_array(jsonb_build_object('executionSuccessful', "
		"      tools.status = 'complete')), "
		"    'versionControlProvenance', jsonb_build_array(jsonb_build_object("
		"      'repositoryUri', s.clone_url, 'revisionId', s.commit_sha, 'branch', s.branch)), "
		"    'results', (SELECT coalesce(jsonb_agg(res.result), '[]') FROM res WHERE res.tool = tools.tool))) "
		"  ORDER BY tools.tool) FROM tools), '[]')) FROM s",
		id, req->org);
}

/* A finding's state as people see it: triage (while it lasts) over the scanner's. */
#define FINDING_STATE \
	"CASE WHEN tr.id IS NOT NULL AND (tr.expires_at IS NULL OR tr.expires_at > now()) " \
	"THEN tr.state ELSE f.state END"
#define FINDING_FROM \
	"FROM findings f JOIN repositories r ON r.id = f.repository_id " \
	"LEFT JOIN triage tr ON tr.repository_id = f.repository_id AND tr.fingerprint = f.fingerprint "
#define FINDING_FIELDS \
	"f.id, f.repository_id AS repository, r.full_name, f.branch, f.fingerprint, f.tool, f.rule_id, " \
	"f.level, f.path, f.start_line, f.end_line, f.message, f.cwe, " FINDING_STATE " AS state, " \
	"f.state AS scan_state, f.suppressed_in_code, f.first_scan_id, f.last_scan_id, f.fixed_scan_id, " \
	"f.created_at, f.updated_at, CASE WHEN tr.id IS NOT NULL THEN json_build_object('state', tr.state, " \
	"'reason', tr.reason, 'expires_at', tr.expires_at, 'by', tr.created_by, 'at', tr.created_at) END AS triage "

int api_findings_list(struct api_req *req, struct api_resp *resp)
{
	char b[3][24], state[32], level[32], tool[128], branch[256];
	const char *v[3];

	if (page_params(req, resp, b, v) < 0)
		return 0;
	return API_QUERY_JSON(req, resp, "no findings",
		"SELECT json_build_object('findings', coalesce(json_agg(t ORDER BY t.id DESC), '[]')) FROM ("
		"SELECT " FINDING_FIELDS FINDING_FROM "WHERE f.org_id = $1 "
		"AND ($2::bigint IS NULL OR f.repository_id = $2::bigint) "
		"AND ($3::bigint IS NULL OR f.id < $3::bigint) "
		"AND ($5::text IS NULL OR " FINDING_STATE " = $5) AND ($6::text IS NULL OR f.level = $6) "
		"AND ($7::text IS NULL OR f.tool = $7) AND ($8::text IS NULL OR f.branch = $8) "
		"ORDER BY f.id DESC LIMIT $4::integer) t",
		req->org, v[0], v[1], v[2], api_param(req, "state", state, sizeof(state)),
		api_param(req, "level", level, sizeof(level)), api_param(req, "tool", tool, sizeof(tool)),
		api_param(req, "branch", branch, sizeof(branch)));
}

int api_finding_get(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "finding not found",
		"SELECT row_to_json(t) FROM (SELECT " FINDING_FIELDS FINDING_FROM
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
