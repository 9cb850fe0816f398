/*
 * api-fixes.c - fixes of findings: ask for one (its fix job queued at the
 * commit the finding was last seen at), read its proposed patch (opened
 * from its seal for this request only, never stored open), approve it (its
 * push job queued: lethe-fix(8) pushes the branch and opens the pull
 * request) or reject it (its sealed patch destroyed at once).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "audit.h"
#include "fixseal.h"
#include "util.h"

#define INSTRUCTION_MAX 2000

static int fix_audit(struct api_req *req, const char *action, int64_t fix, const char *details)
{
	char target[40];

	snprintf(target, sizeof(target), "fix:%lld", (long long)fix);
	return audit_append(req->db, req->org_id, req->actor_type, req->actor, action, target,
			    details, NULL);
}

#define FIX_JSON "json_build_object('id', x.id, 'finding', x.finding_id, 'state', x.state, " \
	"'requested_by', x.requested_by, 'instruction', x.instruction, 'created_at', x.created_at, " \
	"'sealed_at', x.sealed_at, 'deadline', x.deadline, 'patch_bytes', x.patch_bytes, " \
	"'destroyed_at', x.destroyed_at, 'destroy_reason', x.destroy_reason, 'failure', x.failure, " \
	"'approved_by', x.approved_by, 'approved_at', x.approved_at, 'rejected_by', x.rejected_by, " \
	"'branch', x.branch, " \
	"'pull_request', x.pr_number, 'pull_request_url', x.pr_url, 'pushed_at', x.pushed_at)"

int api_fix_request(struct api_req *req, struct api_resp *resp)
{
	json_object *v = NULL;
	const char *instr = api_body_str(req, "instruction");
	char id[24];
	PGresult *res = NULL;
	int r;

	api_id_text(req, 0, id);
	if ((req->body && json_object_object_get_ex(req->body, "instruction", &v) && !instr) ||
	    (instr && (!*instr || strlen(instr) > INSTRUCTION_MAX)))
		return api_error(resp, 400, "instruction, when given, is a string of 1 to 2000 "
				 "characters");
	r = DB_QUERY(req->db, &res, "SELECT state, last_scan_id IS NOT NULL FROM findings "
		     "WHERE id = $1 AND org_id = $2", id, req->org);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0 || strcmp(db_value(res, 0, 0), "open") ||
	    strcmp(db_value(res, 0, 1), "t")) {
		r = api_error(resp, PQntuples(res) ? 409 : 404, PQntuples(res) == 0 ?
			      "finding not found" : strcmp(db_value(res, 0, 0), "open") ?
			      "the finding is fixed already" : "the finding has no scan to fix from");
		PQclear(res);
		return r;
	}
	PQclear(res);
	/* The fix and its job, at the commit of the scan that last saw the finding. */
	r = DB_QUERY(req->db, &res, "WITH s AS (SELECT d.repository_id, c.commit_sha, c.ref, "
		     "c.branch FROM findings d JOIN scans c ON c.id = d.last_scan_id "
		     "WHERE d.id = $1 AND d.org_id = $2), "
		     "x AS (INSERT INTO fixes (org_id, finding_id, requested_by, instruction) "
		     "SELECT $2, $1, $3, $4 FROM s WHERE NOT EXISTS (SELECT 1 FROM fixes "
		     "WHERE finding_id = $1 AND state IN ('queued', 'running', 'proposed', 'approved')) "
		     "RETURNING *), "
		     "j AS (INSERT INTO jobs (org_id, repository_id, kind, commit_sha, ref, branch, "
		     "fix_id) SELECT x.org_id, s.repository_id, 'fix', s.commit_sha, s.ref, s.branch, "
		     "x.id FROM x, s) "
		     "SELECT x.id, " FIX_JSON "::text FROM x",
		     id, req->org, req->actor, instr);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = api_error(resp, 409, "the finding has a fix on the way already");
	else if ((r = fix_audit(req, "fix.request", db_int(res, 0, 0), NULL)) == 0)
		api_json(resp, 201, PQgetvalue(res, 0, 1));
	PQclear(res);
	return r;
}

int api_fix_get(struct api_req *req, struct api_resp *resp)
{
	struct secbuf patch = { 0 };
	json_object *o;
	char id[24];
	PGresult *res = NULL;
	int r;

	api_id_text(req, 0, id);
	r = DB_QUERY(req->db, &res, "SELECT " FIX_JSON "::text, x.patch_enc IS NOT NULL "
		     "FROM fixes x WHERE x.id = $1 AND x.org_id = $2", id, req->org);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return api_error(resp, 404, "fix not found");
	}
	o = json_tokener_parse(PQgetvalue(res, 0, 0));
	if (!strcmp(db_value(res, 0, 1), "t")) {
		r = fixseal_open(req->db, req->ctx->keyring, req->org_id, req->id[0], &patch);
		if (r == 0)
			json_object_object_add(o, "patch", json_object_new_string_len(
						       (const char *)patch.data, (int)patch.len));
		secbuf_release(&patch);
	}
	if (!json_object_object_get_ex(o, "patch", NULL))
		json_object_object_add(o, "patch", NULL);
	PQclear(res);
	return r == -ENOENT || r == 0 ? api_json_obj(resp, 200, o) : (json_object_put(o), r);
}

/*
 * The answer to a state change of fix id run as sql (its parameters: the
 * fix, the org, the actor; it returns the fix's JSON, or no row when the
 * fix is not in a state it changes): 200 and an audit event of action, or
 * 409 with conflict, or 404.
 */
static int fix_change(struct api_req *req, struct api_resp *resp, const char *sql,
		      const char *action, const char *conflict)
{
	char id[24];
	PGresult *res = NULL;
	int r;

	api_id_text(req, 0, id);
	r = DB_QUERY(req->db, &res, sql, id, req->org, req->actor);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		r = DB_QUERY(req->db, &res, "SELECT state FROM fixes WHERE id = $1 AND org_id = $2",
			     id, req->org);
		if (r == 0)
			r = PQntuples(res) ? api_error(resp, 409, conflict)
					   : api_error(resp, 404, "fix not found");
	} else if ((r = fix_audit(req, action, req->id[0], NULL)) == 0) {
		api_json(resp, 200, PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return r;
}

int api_fix_reject(struct api_req *req, struct api_resp *resp)
{
	return fix_change(req, resp, "WITH x AS (UPDATE fixes SET state = 'rejected', "
			  "destroyed_at = CASE WHEN patch_enc IS NULL THEN destroyed_at ELSE now() END, "
			  "destroy_reason = CASE WHEN patch_enc IS NULL THEN destroy_reason "
			  "ELSE 'rejected' END, patch_enc = NULL, rejected_by = $3 "
			  "WHERE id = $1 AND org_id = $2 AND state IN ('queued', 'running', 'proposed') "
			  "RETURNING *) SELECT " FIX_JSON "::text FROM x", "fix.reject",
			  "the fix is approved, pushed, rejected, expired or failed already");
}

/*
 * Approve a proposed fix whose sealed patch is still there: its push job is
 * queued in the same statement.
 */
int api_fix_approve(struct api_req *req, struct api_resp *resp)
{
	return fix_change(req, resp, "WITH x AS (UPDATE fixes SET state = 'approved', "
			  "approved_by = $3, approved_at = now() WHERE id = $1 AND org_id = $2 "
			  "AND state = 'proposed' AND patch_enc IS NOT NULL AND deadline > now() "
			  "RETURNING *), "
			  "j AS (INSERT INTO jobs (org_id, repository_id, kind, commit_sha, ref, "
			  "branch, fix_id) SELECT f.org_id, f.repository_id, 'push', f.commit_sha, "
			  "f.ref, f.branch, f.fix_id FROM jobs f JOIN x ON f.fix_id = x.id "
			  "WHERE f.kind = 'fix') "
			  "SELECT " FIX_JSON "::text FROM x", "fix.approve",
			  "only a proposed fix whose patch is still sealed can be approved");
}
