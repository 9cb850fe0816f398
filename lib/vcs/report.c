/*
 * report.c - a finished scan's results to the VCS; see report.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "forge.h"
#include "github.h"
#include "keys.h"
#include "log.h"
#include "redact.h"
#include "report.h"
#include "sarif.h"
#include "util.h"

/* -- loading --------------------------------------------------------------- */

static void finding_release(struct report_finding *f)
{
	free(f->rf_tool);
	free(f->rf_rule);
	free(f->rf_level);
	free(f->rf_path);
	free(f->rf_message);
}

void report_release(struct report *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->rp_nnew; i++)
		finding_release(&rp->rp_new[i]);
	for (size_t i = 0; i < rp->rp_nfixed; i++)
		finding_release(&rp->rp_fixed[i]);
	for (size_t i = 0; i < rp->rp_ntools; i++) {
		free(rp->rp_tools[i].rt_tool);
		free(rp->rp_tools[i].rt_reason);
	}
	free(rp->rp_new);
	free(rp->rp_fixed);
	free(rp->rp_tools);
	free(rp->rp_repo);
	free(rp->rp_provider);
	free(rp->rp_sha);
	free(rp->rp_ref);
	free(rp->rp_state);
	free(rp->rp_mode);
	free(rp->rp_kind);
	free(rp->rp_link);
	free(rp->rp_base_branch);
	memset(rp, 0, sizeof(*rp));
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static int report_load_scan(struct db *db, const struct config *cfg, const char *id,
			    struct report *rp)
{
	const char *base = config_v(cfg)->dashboard_url;
	PGresult *res = NULL;
	int r;

	r = DB_QUERY(db, &res, "SELECT s.org_id, s.repository_id, s.commit_sha, "
		     "coalesce(s.pr_number, 0), s.state, r.full_name, r.provider, r.report_mode, "
		     "coalesce(r.integration_id, 0), coalesce(i.kind, ''), s.ref, "
		     "coalesce(s.base_scan_id, 0), b.branch "
		     "FROM scans s JOIN repositories r ON r.id = s.repository_id "
		     "LEFT JOIN integrations i ON i.id = r.integration_id "
		     "LEFT JOIN scans b ON b.id = s.base_scan_id WHERE s.id = $1", id);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -ENOENT;
	}
	rp->rp_org_id = db_int(res, 0, 0);
	rp->rp_repo_id = db_int(res, 0, 1);
	rp->rp_sha = dup_or_empty(db_value(res, 0, 2));
	rp->rp_pr = (int)db_int(res, 0, 3);
	rp->rp_state = dup_or_empty(db_value(res, 0, 4));
	rp->rp_repo = dup_or_empty(db_value(res, 0, 5));
	rp->rp_provider = dup_or_empty(db_value(res, 0, 6));
	rp->rp_mode = dup_or_empty(db_value(res, 0, 7));
	rp->rp_integration_id = db_int(res, 0, 8);
	rp->rp_kind = dup_or_empty(db_value(res, 0, 9));
	rp->rp_ref = dup_or_empty(db_value(res, 0, 10));
	rp->rp_base_scan = db_int(res, 0, 11);
	rp->rp_base_branch = dup_or_empty(db_value(res, 0, 12));
	rp->rp_link = xasprintf("%s%sscans/%s", base, base[0] && base[strlen(base) - 1] == '/'
				? "" : "/", id);
	PQclear(res);
	return 0;
}

/* Findings whose column col is this scan; total counts beyond the limit. */
static int report_load_findings(struct db *db, const char *sql, const char *id,
				struct report_finding **out, size_t *n, size_t *total)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, sql, id);

	if (r < 0)
		return r;
	*n = (size_t)PQntuples(res);
	*total = *n ? (size_t)db_int(res, 0, 7) : 0;
	*out = xcalloc(*n ? *n : 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		struct report_finding *f = &(*out)[i];

		f->rf_tool = dup_or_empty(db_value(res, (int)i, 0));
		f->rf_rule = dup_or_empty(db_value(res, (int)i, 1));
		f->rf_level = dup_or_empty(db_value(res, (int)i, 2));
		f->rf_path = dup_or_empty(db_value(res, (int)i, 3));
		f->rf_start = (int)db_int(res, (int)i, 4);
		f->rf_end = (int)db_int(res, (int)i, 5);
		f->rf_message = dup_or_empty(db_value(res, (int)i, 6));
	}
	PQclear(res);
	return 0;
}

#define REPORT_FINDINGS_SQL(cond) \
	"SELECT tool, rule_id, level, path, coalesce(start_line, 0), coalesce(end_line, 0), " \
	"message, count(*) OVER () FROM findings WHERE " cond " AND NOT suppressed_in_code " \
	"ORDER BY CASE level WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, path, " \
	"start_line, id LIMIT 1000"

/*
 * A push's new and fixed findings are its branch's: first seen, or fixed,
 * by this scan.  A pull request's are judged against the last complete scan
 * of the branch it targets (scans.base_scan_id): new, what this scan saw
 * and that one did not; fixed, what that one saw and this one did not, of a
 * tool that ran to completion here or had nothing left to scan.
 */
static const char sql_push_new[] = REPORT_FINDINGS_SQL("first_scan_id = $1 AND state = 'open'");
static const char sql_push_fixed[] = REPORT_FINDINGS_SQL("fixed_scan_id = $1 AND state = 'fixed'");
static const char sql_pull_new[] = REPORT_FINDINGS_SQL(
	"id IN (SELECT finding_id FROM scan_findings WHERE scan_id = $1 AND introduced)");
static const char sql_pull_fixed[] = REPORT_FINDINGS_SQL(
	"id IN (SELECT bf.finding_id FROM scan_findings bf JOIN scans s ON bf.scan_id = s.base_scan_id "
	" WHERE s.id = $1) "
	"AND fingerprint NOT IN (SELECT f.fingerprint FROM scan_findings sf "
	" JOIN findings f ON f.id = sf.finding_id WHERE sf.scan_id = $1) "
	"AND tool IN (SELECT tool FROM scan_tools WHERE scan_id = $1 "
	" AND status IN ('complete', 'not_applicable'))");

static int report_load_tools(struct db *db, const char *id, struct report *rp)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, "SELECT count(*) FROM findings WHERE last_scan_id = $1 "
			 "AND state = 'open' AND NOT suppressed_in_code", id);

	if (r < 0)
		return r;
	rp->rp_open_total = (size_t)db_int(res, 0, 0);
	PQclear(res);
	r = DB_QUERY(db, &res, "SELECT tool, coalesce(reason, '') FROM scan_tools "
		     "WHERE scan_id = $1 AND status = 'incomplete' ORDER BY tool LIMIT 100", id);
	if (r < 0)
		return r;
	rp->rp_ntools = (size_t)PQntuples(res);
	rp->rp_tools = xcalloc(rp->rp_ntools + 1, sizeof(*rp->rp_tools));
	for (size_t i = 0; i < rp->rp_ntools; i++) {
		rp->rp_tools[i].rt_tool = dup_or_empty(db_value(res, (int)i, 0));
		rp->rp_tools[i].rt_reason = dup_or_empty(db_value(res, (int)i, 1));
	}
	PQclear(res);
	return 0;
}

int report_load(struct db *db, const struct config *cfg, int64_t scan_id, struct report *rp)
{
	char id[24];
	int r;

	memset(rp, 0, sizeof(*rp));
	rp->rp_scan_id = scan_id;
	i64s(scan_id, id);
	r = report_load_scan(db, cfg, id, rp);
	if (r == 0)
		r = report_load_findings(db, rp->rp_pr > 0 ? sql_pull_new : sql_push_new, id,
					 &rp->rp_new, &rp->rp_nnew, &rp->rp_new_total);
	if (r == 0)
		r = report_load_findings(db, rp->rp_pr > 0 ? sql_pull_fixed : sql_push_fixed, id,
					 &rp->rp_fixed, &rp->rp_nfixed, &rp->rp_fixed_total);
	if (r == 0)
		r = report_load_tools(db, id, rp);
	if (r < 0)
		report_release(rp);
	return r;
}

/* -- GitHub ------------------------------------------------------------------ */

struct gh {
	const struct http_client *hc;
	const char *api, *token, *owner_repo;
	const struct github_app *app;	/* the token's app; NULL: a stored token */
};

static int gh_call(const struct gh *g, const char *method, const char *path,
		   json_object *body, json_object **out)
{
	char *url = xasprintf("%s/repos/%s%s", g->api, g->owner_repo, path);
	struct http_req rq = { .rq_method = method, .rq_url = url, .rq_auth_scheme = "Bearer",
			       .rq_auth = g->token, .rq_body = body,
			       .rq_accept = "application/vnd.github+json",
			       .rq_headers = github_api_headers };
	struct http_resp rs;
	int r = http_request(g->hc, &rq, &rs);

	if (r == 0 && out)
		*out = json_object_get(rs.rs_json);
	http_resp_release(&rs);
	json_object_put(body);
	free(url);
	return r;
}

static json_object *jstr_redacted(const char *s)
{
	char *t = redact_text(s, NULL);
	json_object *j = json_object_new_string(t);

	free(t);
	return j;
}

static json_object *gh_annotation(const struct report_finding *f)
{
	json_object *a = json_object_new_object();
	const char *level = !strcmp(f->rf_level, "error") ? "failure"
			    : !strcmp(f->rf_level, "warning") ? "warning" : "notice";
	int start = f->rf_start > 0 ? f->rf_start : 1;
	char *name = xasprintf("%s/%s", f->rf_tool, f->rf_rule);
	char *title = text_clean(name, REPORT_TITLE_MAX);

	json_object_object_add(a, "path", jstr_redacted(f->rf_path));
	json_object_object_add(a, "start_line", json_object_new_int(start));
	json_object_object_add(a, "end_line", json_object_new_int(f->rf_end >= start ? f->rf_end
								 : start));
	json_object_object_add(a, "annotation_level", json_object_new_string(level));
	json_object_object_add(a, "message", jstr_redacted(f->rf_message));
	json_object_object_add(a, "title", jstr_redacted(title));
	free(title);
	free(name);
	return a;
}

/* The check run's output with annotations [from, from + REPORT_BATCH). */
static json_object *gh_output(const struct report *rp, const char *title, const char *summary,
			      size_t from)
{
	json_object *o = json_object_new_object(), *anns = json_object_new_array();

	for (size_t i = from; i < rp->rp_nnew && i < from + REPORT_BATCH; i++)
		json_object_array_add(anns, gh_annotation(&rp->rp_new[i]));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "summary", json_object_new_string(summary));
	json_object_object_add(o, "annotations", anns);
	return o;
}

static int gh_check_run(const struct gh *g, const struct report *rp)
{
	char *title = report_title(rp), *summary = report_markdown(rp, 0, REPORT_GITHUB_TEXT_MAX), *path = NULL;
	json_object *body = json_object_new_object(), *resp = NULL, *id;
	const char *concl = strcmp(rp->rp_state, "complete") ? "neutral"
			    : report_has_errors(rp) ? "failure" : "success";
	int r;

	json_object_object_add(body, "name", json_object_new_string("Lethe"));
	json_object_object_add(body, "head_sha", json_object_new_string(rp->rp_sha));
	json_object_object_add(body, "status", json_object_new_string("completed"));
	json_object_object_add(body, "conclusion", json_object_new_string(concl));
	json_object_object_add(body, "details_url", json_object_new_string(rp->rp_link));
	json_object_object_add(body, "output", gh_output(rp, title, summary, 0));
	r = gh_call(g, "POST", "/check-runs", body, &resp);
	if (r == 0 && (!json_object_object_get_ex(resp, "id", &id) ||
		       json_object_get_int64(id) <= 0))
		r = -EPROTO;
	if (r == 0)
		path = xasprintf("/check-runs/%lld", (long long)json_object_get_int64(id));
	for (size_t from = REPORT_BATCH; r == 0 && from < rp->rp_nnew; from += REPORT_BATCH) {
		body = json_object_new_object();
		json_object_object_add(body, "output", gh_output(rp, title, summary, from));
		r = gh_call(g, "PATCH", path, body, NULL);
	}
	json_object_put(resp);
	free(path);
	free(title);
	free(summary);
	return r;
}

static int gh_status(const struct gh *g, const struct report *rp)
{
	json_object *body = json_object_new_object();
	char *title = report_title(rp), *path = xasprintf("/statuses/%s", rp->rp_sha);
	const char *state = !strcmp(rp->rp_state, "failed") ? "error"
			    : report_has_errors(rp) ? "failure" : "success";
	int r;

	json_object_object_add(body, "state", json_object_new_string(state));
	json_object_object_add(body, "target_url", json_object_new_string(rp->rp_link));
	json_object_object_add(body, "description", json_object_new_string(title));
	json_object_object_add(body, "context", json_object_new_string("lethe"));
	r = gh_call(g, "POST", path, body, NULL);
	free(path);
	free(title);
	return r;
}

/* One page of a list at url (absolute); *next gets the following page's URL. */
static int gh_page(const struct gh *g, const char *url, json_object **list, char **next)
{
	struct http_req rq = { .rq_method = "GET", .rq_url = url, .rq_auth_scheme = "Bearer",
			       .rq_auth = g->token, .rq_accept = "application/vnd.github+json",
			       .rq_headers = github_api_headers };
	struct http_resp rs;
	int r = http_request(g->hc, &rq, &rs);

	*next = NULL;
	if (r == 0 && !json_object_is_type(rs.rs_json, json_type_array))
		r = -EPROTO;
	if (r == 0) {
		*list = json_object_get(rs.rs_json);
		/* Follow only links to the same API, where the token belongs. */
		if (!strncmp(rs.rs_link_next, g->api, strlen(g->api)))
			*next = xstrdup(rs.rs_link_next);
	}
	http_resp_release(&rs);
	return r;
}

/* Lethe's comment in a page: the marker, written by login (anyone may post the marker). */
static int64_t gh_marked(json_object *list, const char *login)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *c = json_object_array_get_idx(list, i), *b, *u, *id;

		if (json_object_object_get_ex(c, "body", &b) &&
		    !strncmp(json_object_get_string(b), REPORT_MARKER, strlen(REPORT_MARKER)) &&
		    json_object_object_get_ex(c, "user", &u) &&
		    json_object_object_get_ex(u, "login", &u) &&
		    json_object_is_type(u, json_type_string) &&
		    !strcmp(json_object_get_string(u), login) &&
		    json_object_object_get_ex(c, "id", &id))
			return json_object_get_int64(id);
	}
	return 0;
}

#define GH_COMMENT_PAGES 20

/* The id of Lethe's own comment on the pull request (marker and author), 0 if none. */
static int gh_find_comment(const struct gh *g, int pr, int64_t *id)
{
	char *url = xasprintf("%s/repos/%s/issues/%d/comments?per_page=100", g->api,
			      g->owner_repo, pr), *next = NULL, *login = NULL;
	int r = g->app ? github_app_login(g->hc, g->app, &login)
		       : github_user_login(g->hc, g->api, g->token, &login);

	*id = 0;
	for (int page = 0; url && page < GH_COMMENT_PAGES && !*id && r == 0; page++) {
		json_object *list = NULL;

		r = gh_page(g, url, &list, &next);
		if (r == 0)
			*id = gh_marked(list, login);
		json_object_put(list);
		free(url);
		url = steal_pointer(&next);
	}
	free(url);
	free(login);
	return r;
}

static int gh_comment(const struct gh *g, const struct report *rp)
{
	json_object *body = json_object_new_object();
	char *text = report_markdown(rp, 1, REPORT_GITHUB_TEXT_MAX), *path;
	int64_t id;
	int r = gh_find_comment(g, rp->rp_pr, &id);

	json_object_object_add(body, "body", json_object_new_string(text));
	if (r < 0) {
		json_object_put(body);
		free(text);
		return r;
	}
	path = id ? xasprintf("/issues/comments/%lld", (long long)id)
		  : xasprintf("/issues/%d/comments", rp->rp_pr);
	r = gh_call(g, id ? "PATCH" : "POST", path, body, NULL);
	free(path);
	free(text);
	return r;
}

int report_github(const struct http_client *hc, const char *api_url, const char *token,
		  const struct github_app *app, const struct report *rp)
{
	struct gh g = { hc, api_url, token, rp->rp_repo, app };
	int app_token = app != NULL;
	int r = 0, r2 = 0;

	if (strstr(rp->rp_mode, "check-run") && !app_token)
		log_msg(LOG_WARNING, "repository %s: check runs take a GitHub App token, not a "
			"stored one: a commit status instead", rp->rp_repo);
	if (strstr(rp->rp_mode, "check-run") && app_token)
		r = gh_check_run(&g, rp);
	else if (strstr(rp->rp_mode, "status") || strstr(rp->rp_mode, "check-run"))
		r = gh_status(&g, rp);
	if (strstr(rp->rp_mode, "comment") && rp->rp_pr > 0)
		r2 = gh_comment(&g, rp);	/* tried even when the first part failed */
	return r < 0 ? r : r2;
}

static unsigned report_scopes(const char *mode, int pr)
{
	unsigned s = 0;

	if (strstr(mode, "check-run"))
		s |= GITHUB_CHECKS;
	else if (strstr(mode, "status"))
		s |= GITHUB_STATUSES;
	if (strstr(mode, "comment") && pr > 0)
		s |= GITHUB_COMMENTS;
	return s;
}

const char *report_api_default(const struct config *cfg, const char *provider)
{
	if (!strcmp(provider, "github"))
		return config_v(cfg)->github_api_url;
	if (!strcmp(provider, "gitlab"))
		return config_v(cfg)->gitlab_api_url;
	if (!strcmp(provider, "bitbucket"))
		return config_v(cfg)->bitbucket_api_url;
	if (!strcmp(provider, "bitbucket-dc") && *config_v(cfg)->bitbucket_dc_api_url)
		return config_v(cfg)->bitbucket_dc_api_url;
	return NULL;	/* Gitea is always self-hosted */
}

int report_token_open(struct db *db, const struct keyring *kr, int64_t org, int64_t repo,
		      struct secbuf *tok)
{
	PGresult *res = NULL;
	char id[24];
	int r;

	r = DB_QUERY(db, &res, "SELECT r.report_token_enc, i.id, i.report_token_enc "
		     "FROM repositories r LEFT JOIN integrations i ON i.id = r.integration_id "
		     "WHERE r.id = $1", i64s(repo, id));
	if (r < 0)
		return r;
	if (PQntuples(res) != 1 || (!db_value(res, 0, 0) && !db_value(res, 0, 2)))
		r = -ENOENT;
	else if (db_value(res, 0, 0))
		r = secret_open(db, kr, org, "repositories", "report_token_enc", repo,
				db_value(res, 0, 0), tok);
	else
		r = secret_open(db, kr, org, "integrations", "report_token_enc", db_int(res, 0, 1),
				db_value(res, 0, 2), tok);
	PQclear(res);
	return r;
}

/* A provider with a stored reporting token: the repository's, else its integration's. */
static int report_forge(struct db *db, const struct keyring *kr, const struct config *cfg,
			const struct report *rp, int *done)
{
	struct secbuf tok = { 0 };
	struct http_client hc;
	PGresult *res = NULL;
	const char *api;
	char id[24];
	int r;

	i64s(rp->rp_repo_id, id);
	r = DB_QUERY(db, &res, "SELECT coalesce(r.api_url, i.api_url) FROM repositories r "
		     "LEFT JOIN integrations i ON i.id = r.integration_id WHERE r.id = $1", id);
	if (r < 0)
		return r;
	api = PQntuples(res) == 1 && db_value(res, 0, 0) ? db_value(res, 0, 0)
	      : report_api_default(cfg, rp->rp_provider);
	r = api ? report_token_open(db, kr, rp->rp_org_id, rp->rp_repo_id, &tok) : -ENOENT;
	if (r == -ENOENT) {
		r = 0;	/* nothing to report with, or nowhere: not an error */
		goto out;
	}
	http_client_configure(&hc, cfg);
	if (r == 0 && !strcmp(rp->rp_provider, "github"))	/* a stored GitHub token */
		r = report_github(&hc, api, (const char *)tok.data, NULL, rp);
	else if (r == 0)
		r = forge_report(&hc, rp->rp_provider, api, (const char *)tok.data, rp);
	*done = r == 0;
out:
	secbuf_release(&tok);
	PQclear(res);
	return r;
}

static int report_github_app(struct db *db, const struct keyring *kr, const struct config *cfg,
			     const struct report *rp, int *done)
{
	struct github_app app = { 0 };
	struct github_token tok = { 0 };
	struct http_client hc;
	unsigned scopes = report_scopes(rp->rp_mode, rp->rp_pr);
	int r = github_app_load(db, kr, cfg, rp->rp_integration_id, &app);

	http_client_configure(&hc, cfg);
	if (r == 0)
		r = github_token_get(&hc, &app, rp->rp_repo, scopes, &tok);
	if (r == 0)
		r = report_github(&hc, app.ga_api_url, (const char *)tok.gt_token.data, &app, rp);
	*done = r == 0;
	github_token_release(&tok);
	github_app_release(&app);
	return r;
}

int report_scan(struct db *db, const struct keyring *kr, const struct config *cfg,
		int64_t scan_id, int *done)
{
	struct report rp;
	int r;

	*done = 0;
	r = report_load(db, cfg, scan_id, &rp);
	if (r < 0)
		return r;
	if (!strcmp(rp.rp_mode, "none") || !report_scopes(rp.rp_mode, rp.rp_pr))
		r = 0;
	else if (!strcmp(rp.rp_kind, "github-app"))
		r = report_github_app(db, kr, cfg, &rp, done);
	else
		r = report_forge(db, kr, cfg, &rp, done);
	report_release(&rp);
	return r;
}
