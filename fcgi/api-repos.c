/*
 * api-repos.c - repositories: list, connect, change settings, disconnect
 * (everything about it goes, counted and audited), dependencies, workflow facts, and the
 * checkouts that are live right now.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api.h"
#include "audit.h"
#include "repo.h"
#include "util.h"

#define REPO_COLUMNS \
	"SELECT r.id, r.provider, r.full_name, r.clone_url, r.default_branch, r.report_mode, " \
	"r.hook_id, r.created_at, r.webhook_secret_enc IS NOT NULL AS has_webhook_secret, " \
	"(SELECT max(s.started_at) FROM scans s WHERE s.repository_id = r.id) AS last_scan_at, " \
	"(SELECT count(*) FROM findings f WHERE f.repository_id = r.id AND f.state = 'open') AS open_findings " \
	"FROM repositories r WHERE r.org_id = $1"

int api_repos_list(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no repositories",
		"SELECT json_build_object('repositories', coalesce(json_agg(t ORDER BY t.id), '[]')) "
		"FROM (" REPO_COLUMNS ") t", req->org);
}

int api_repo_get(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "repository not found",
		"SELECT row_to_json(t) FROM (" REPO_COLUMNS " AND r.id = $2) t", req->org, id);
}

static int connect_fail(struct api_resp *resp, int r)
{
	if (r == -EEXIST)
		return api_error(resp, 409, "repository already connected");
	if (r == -EINVAL)
		return api_error(resp, 400, "invalid repository: provider, full_name (owner/name) "
				 "and an http(s) clone_url required");
	if (r == -ENOENT)
		return api_error(resp, 409, "this org has no data key yet");
	return r;
}

/* The tokens the caller may give. */
static const char *const given[] = { "clone_token", "report_token" };

/* GitHub's Checks API takes App installation tokens only, never a stored one. */
static int check_run_stored(struct api_req *req)
{
	const char *provider = api_body_str(req, "provider"), *mode = api_body_str(req, "report_mode");
	const char *tok = api_body_str(req, "report_token");

	return provider && !strcmp(provider, "github") && mode && strstr(mode, "check-run") &&
	       tok && *tok;
}

/* Secret field of the body into b (when a non-empty string), the body's copy zeroed. */
static int take_secret(struct api_req *req, const char *field, struct secbuf *b)
{
	char *s = (char *)api_body_str(req, field);
	size_t n = s ? strlen(s) : 0;
	int r = n ? secbuf_alloc(b, n) : 0;

	if (r == 0 && n)
		memcpy(b->data, s, n);
	if (n)
		OPENSSL_cleanse(s, n);
	return r;
}

/* The answer: the new repository's id, hook and webhook secret (shown this once). */
static int connect_answer(struct api_resp *resp, const struct repo_new *n, int64_t id,
			  const char *hook)
{
	struct json_object *o = json_object_new_object();
	char *path = xasprintf("/hooks/%s/%s", n->provider, hook);

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "hook_id", json_object_new_string(hook));
	json_object_object_add(o, "webhook_path", json_object_new_string(path));
	json_object_object_add(o, "webhook_secret",
			       json_object_new_string_len((const char *)n->webhook_secret->data,
							  (int)n->webhook_secret->len));
	free(path);
	return api_json_obj(resp, 201, o);
}

int api_repo_connect(struct api_req *req, struct api_resp *resp)
{
	struct repo_new n = {
		.provider = api_body_str(req, "provider"), .full_name = api_body_str(req, "full_name"),
		.clone_url = api_body_str(req, "clone_url"),
		.default_branch = api_body_str(req, "default_branch"),
		.report_mode = api_body_str(req, "report_mode"),
	};
	struct secbuf secret = { 0 }, clone = { 0 }, report = { 0 };
	char hook[44], why[400];
	struct target t;
	int64_t id;
	int r;

	if (check_run_stored(req)) {
		for (size_t i = 0; i < ARRAY_SIZE(given); i++) {
			char *tok = (char *)api_body_str(req, given[i]);

			if (tok)
				OPENSSL_cleanse(tok, strlen(tok));
		}
		return api_error(resp, 400, "report_mode check-run needs a GitHub App integration: "
				 "with a report_token, use status or status+comment");
	}
	if (n.clone_url && target_check(req->ctx->targets, n.clone_url, &t, why, sizeof(why)) < 0) {
		char *msg = xasprintf("clone_url refused: %s", why);

		r = api_error(resp, 400, msg);
		free(msg);
		return r;
	}
	r = take_secret(req, "clone_token", &clone);
	if (r == 0)
		r = take_secret(req, "report_token", &report);
	if (r == 0)
		r = repo_new_webhook_secret(&secret);
	n.webhook_secret = &secret;
	n.clone_token = clone.data ? &clone : NULL;
	n.report_token = report.data ? &report : NULL;
	if (r == 0)
		r = repo_create(req->db, req->ctx->keyring, req->org_id, req->actor_type, req->actor, &n,
				&id, hook);
	r = r == 0 ? connect_answer(resp, &n, id, hook) : connect_fail(resp, r);
	secbuf_release(&secret);
	secbuf_release(&clone);
	secbuf_release(&report);
	return r;
}

/* The fields PATCH takes: the plain ones, then the secrets. */
static const char *const update_fields[] = {
	"api_url", "report_mode", "default_branch", "report_token", "clone_token",
};

/* A one-line reason in why when the body is not an object of update_fields' strings. */
static int update_body_check(struct api_req *req, char *why, size_t len)
{
	int known = 0;

	if (!req->body || !json_object_is_type(req->body, json_type_object)) {
		snprintf(why, len, "a JSON object required");
		return -EINVAL;
	}
	json_object_object_foreach(req->body, key, val) {
		size_t i = 0;

		while (i < ARRAY_SIZE(update_fields) && strcmp(key, update_fields[i]))
			i++;
		if (i == ARRAY_SIZE(update_fields)) {
			snprintf(why, len, "unknown field '%.40s'", key);
			return -EINVAL;
		}
		if (!json_object_is_type(val, json_type_string) || (i >= 3 && !json_object_get_string_len(val))) {
			snprintf(why, len, "%s must be a%s string", key, i >= 3 ? " non-empty" : "");
			return -EINVAL;
		}
		known++;
	}
	if (!known)
		snprintf(why, len, "one of api_url, report_mode, default_branch, report_token, "
			 "clone_token required");
	return known ? 0 : -EINVAL;
}

int api_repo_update(struct api_req *req, struct api_resp *resp)
{
	struct secbuf report = { 0 }, clone = { 0 };
	struct repo_settings set = { 0 };
	char why[256], target[40], id[24], *details = NULL;
	PGresult *res = NULL;
	int r = take_secret(req, "report_token", &report);

	api_id_text(req, 0, id);
	/* Another org's repository is a 404 whatever the body. */
	if (r == 0 && (r = take_secret(req, "clone_token", &clone)) == 0 &&
	    (r = DB_QUERY(req->db, &res, "SELECT 1 FROM repositories WHERE id = $1 AND org_id = $2 "
			  "FOR UPDATE", id, req->org)) == 0 && PQntuples(res) == 0)
		r = -ENOENT;
	PQclear(res);
	if (r == 0 && (r = update_body_check(req, why, sizeof(why))) == 0) {
		set.api_url = api_body_str(req, "api_url");
		set.report_mode = api_body_str(req, "report_mode");
		set.default_branch = api_body_str(req, "default_branch");
		set.report_token = report.data ? &report : NULL;
		set.clone_token = clone.data ? &clone : NULL;
		r = repo_update(req->db, req->ctx->keyring, req->ctx->targets, req->org_id, req->id[0],
				&set, &details,
				why, sizeof(why));
	}
	secbuf_release(&report);
	secbuf_release(&clone);
	if (r == -EINVAL)
		return api_error(resp, 400, why);
	if (r == -ENOENT)
		return api_error(resp, 404, "repository not found");
	snprintf(target, sizeof(target), "repository:%lld", (long long)req->id[0]);
	if (r == 0)
		r = audit_append(req->db, req->org_id, req->actor_type, req->actor, "repository.update",
				 target, details, NULL);
	if (r == 0) {
		struct json_object *o = json_tokener_parse(details);

		json_object_object_add(o, "id", json_object_new_int64(req->id[0]));
		api_json_obj(resp, 200, o);
	}
	free(details);
	return r;
}

/* 404 or 409 answered (1) when the repository cannot go now. */
static int disconnect_check(struct api_req *req, struct api_resp *resp, const char *id)
{
	PGresult *res;
	int r = DB_QUERY(req->db, &res, "SELECT "
			 "(SELECT count(*) FROM checkouts c WHERE c.repository_id = r.id AND c.destroyed_at IS NULL) + "
			 "(SELECT count(*) FROM jobs j WHERE j.repository_id = r.id AND j.state = 'running') "
			 "FROM repositories r WHERE r.id = $1 AND r.org_id = $2 FOR UPDATE", id, req->org);

	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = (api_error(resp, 404, "repository not found"), 1);
	else if (db_int(res, 0, 0) > 0)
		r = (api_error(resp, 409, "a scan of this repository is running; "
			      "retry once its checkout is destroyed"), 1);
	PQclear(res);
	return r;
}

int api_repo_disconnect(struct api_req *req, struct api_resp *resp)
{
	struct json_object *o;
	char id[24], *counts = NULL;
	int r;

	api_id_text(req, 0, id);
	r = disconnect_check(req, resp, id);
	if (r == 0)
		r = repo_delete(req->db, req->org_id, req->id[0], req->actor_type, req->actor, &counts);
	if (r == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(req->id[0]));
		json_object_object_add(o, "deleted", json_tokener_parse(counts));
		api_json_obj(resp, 200, o);
	}
	free(counts);
	return r > 0 ? 0 : r;
}

/* Facts of the latest finished scan of a repository of the caller's org. */
#define LATEST_SCAN \
	"(SELECT max(s.id) FROM scans s WHERE s.repository_id = r.id AND s.state <> 'running')"

int api_repo_dependencies(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "repository not found",
		"SELECT json_build_object('repository', r.id, 'scan', " LATEST_SCAN ", 'dependencies', "
		"(SELECT coalesce(json_agg(json_build_object('ecosystem', d.ecosystem, 'name', d.name, "
		"'version', d.version, 'constraint', d.constraint_spec, 'direct', d.direct, "
		"'manifest', d.manifest_path, 'line', d.line) ORDER BY d.manifest_path, d.name), '[]') "
		"FROM dependencies d WHERE d.scan_id = " LATEST_SCAN ")) "
		"FROM repositories r WHERE r.id = $1 AND r.org_id = $2", id, req->org);
}

int api_repo_workflows(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "repository not found",
		"SELECT json_build_object('repository', r.id, 'scan', " LATEST_SCAN ", 'facts', "
		"(SELECT coalesce(json_agg(json_build_object('system', w.system, 'path', w.path, "
		"'workflow', w.workflow, 'job', w.job, 'kind', w.kind, 'value', w.value, "
		"'pinning', w.pinning) ORDER BY w.path, w.id), '[]') "
		"FROM workflow_facts w WHERE w.scan_id = " LATEST_SCAN ")) "
		"FROM repositories r WHERE r.id = $1 AND r.org_id = $2", id, req->org);
}

int api_checkouts(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no checkouts",
		"SELECT json_build_object('checkouts', coalesce(json_agg(json_build_object("
		"'id', c.id, 'repository', c.repository_id, 'full_name', r.full_name, 'job', c.job_id, "
		"'commit_sha', j.commit_sha, 'branch', j.branch, 'pr_number', j.pr_number, "
		"'host', c.host, 'backend', c.backend, 'cipher', c.cipher, 'created_at', c.created_at, "
		"'deadline', c.deadline, 'age_seconds', floor(extract(epoch FROM now() - c.created_at))::bigint, "
		"'seconds_left', greatest(0, ceil(extract(epoch FROM c.deadline - now())))::bigint) "
		"ORDER BY c.deadline), '[]'), 'now', now()) "
		"FROM checkouts c JOIN repositories r ON r.id = c.repository_id LEFT JOIN jobs j ON j.id = c.job_id "
		"WHERE c.org_id = $1 AND c.destroyed_at IS NULL", req->org);
}

/*
 * Destroyed checkouts, newest first, with how each ended as its destroyer
 * recorded it (sql/115_checkout_ended.sql): lethe-scan destroys its own when
 * the scan ends, lethe-scrub one past its deadline or orphaned by its job.
 * Both record the time, the reason and how long the teardown took.
 */
int api_checkouts_history(struct api_req *req, struct api_resp *resp)
{
	char b[3][24];
	const char *repo, *before, *limit;

	if (api_param_int(req, "repository", 1, INT64_MAX, b[0], &repo) < 0
	    || api_param_int(req, "before", 1, INT64_MAX, b[1], &before) < 0
	    || api_param_int(req, "limit", 1, 500, b[2], &limit) < 0)
		return api_error(resp, 400, "repository and before must be ids, limit 1 to 500");
	return API_QUERY_JSON(req, resp, "no checkouts",
		"SELECT json_build_object('checkouts', coalesce(json_agg(t ORDER BY t.id DESC), '[]'), "
		"'next_before', CASE WHEN count(*) = $4::integer THEN min(t.id) END) FROM ("
		"SELECT c.id, c.repository_id AS repository, r.full_name, c.job_id AS job, j.commit_sha, "
		"c.host, c.backend, c.cipher, c.created_at, c.deadline, c.destroyed_at, "
		"c.destroy_reason AS reason, c.ended, CASE c.ended WHEN 'scan' THEN 'lethe-scan' "
		"WHEN 'deadline' THEN 'lethe-scrub' WHEN 'orphaned' THEN 'lethe-scrub' END AS destroyed_by, "
		"floor(extract(epoch FROM c.destroyed_at - c.created_at) * 1000)::bigint "
		"AS lived_ms, c.teardown_usec FROM checkouts c JOIN repositories r ON r.id = c.repository_id "
		"LEFT JOIN jobs j ON j.id = c.job_id WHERE c.org_id = $1 AND c.destroyed_at IS NOT NULL "
		"AND ($2::bigint IS NULL OR c.repository_id = $2::bigint) "
		"AND ($3::bigint IS NULL OR c.id < $3::bigint) ORDER BY c.id DESC LIMIT $4::integer) t",
		req->org, repo, before, limit ? limit : "100");
}

/* Scans waiting for a worker or running now. */
int api_jobs_list(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no jobs",
		"SELECT json_build_object('jobs', coalesce(json_agg(json_build_object('id', j.id, "
		"'repository', j.repository_id, 'full_name', r.full_name, 'state', j.state, "
		"'commit_sha', j.commit_sha, 'branch', j.branch, 'pr_number', j.pr_number, "
		"'attempts', j.attempts, 'max_attempts', j.max_attempts, 'last_error', j.last_error, "
		"'created_at', j.created_at, 'not_before', j.not_before, 'started_at', j.started_at) "
		"ORDER BY j.state DESC, j.id), '[]')) "
		"FROM jobs j JOIN repositories r ON r.id = j.repository_id "
		"WHERE j.org_id = $1 AND j.state IN ('queued', 'running')", req->org);
}
