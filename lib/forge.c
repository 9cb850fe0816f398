/*
 * forge.c - commit statuses and the edited comment for GitLab, Gitea and
 * Bitbucket Cloud; see forge.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "forge.h"
#include "util.h"

#define FORGE_PAGES 20

struct forge {
	const char *name;
	const char *auth;			/* Authorization scheme */
	int escape_repo;			/* "owner%2Fname" in paths */
	const char *status_path;		/* {repo} {sha} */
	const char *st_ok, *st_fail, *st_error;	/* state values */
	const char *f_url, *f_context;		/* field names */
	const char *list_path;			/* {repo} {pr} */
	const char *edit_path;			/* {repo} {pr} {id} */
	const char *edit_method;
	int nested_body;			/* Bitbucket: content.raw */
	const char *commit_path;		/* {repo} {sha}: a commit by a short hash */
	const char *commit_field;		/* ... and its full SHA's field */
};

static const struct forge FORGES[] = {
	{ "gitlab", "Bearer", 1, "/projects/{repo}/statuses/{sha}", "success", "failed", "failed",
	  "target_url", "name", "/projects/{repo}/merge_requests/{pr}/notes?per_page=100",
	  "/projects/{repo}/merge_requests/{pr}/notes/{id}", "PUT", 0, NULL, NULL },
	{ "gitea", "token", 0, "/repos/{repo}/statuses/{sha}", "success", "failure", "error",
	  "target_url", "context", "/repos/{repo}/issues/{pr}/comments",
	  "/repos/{repo}/issues/comments/{id}", "PATCH", 0, NULL, NULL },
	{ "bitbucket", "Bearer", 0, "/repositories/{repo}/commit/{sha}/statuses/build",
	  "SUCCESSFUL", "FAILED", "FAILED", "url", "key",
	  "/repositories/{repo}/pullrequests/{pr}/comments?pagelen=100",
	  "/repositories/{repo}/pullrequests/{pr}/comments/{id}", "PUT", 1,
	  "/repositories/{repo}/commit/{sha}", "hash" },
};

struct fctx {
	const struct forge *f;
	const struct http_client *hc;
	const char *api, *token;
	const struct report *rp;
};

/* Fill a path template; the values are checked names, numbers and hex. */
static char *forge_path(const struct fctx *c, const char *tmpl, int64_t id)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fputs(c->api, f);
	for (const char *p = tmpl; *p; p++) {
		if (!strncmp(p, "{repo}", 6) && c->f->escape_repo) {
			for (const char *r = c->rp->rp_repo; *r; r++)
				*r == '/' ? fputs("%2F", f) : fputc(*r, f);
			p += 5;
		} else if (!strncmp(p, "{repo}", 6)) {
			fputs(c->rp->rp_repo, f), p += 5;
		} else if (!strncmp(p, "{sha}", 5)) {
			fputs(c->rp->rp_sha, f), p += 4;
		} else if (!strncmp(p, "{pr}", 4)) {
			fprintf(f, "%d", c->rp->rp_pr), p += 3;
		} else if (!strncmp(p, "{id}", 4)) {
			fprintf(f, "%lld", (long long)id), p += 3;
		} else {
			fputc(*p, f);
		}
	}
	fclose(f);
	return buf;
}

static int forge_call(const struct fctx *c, const char *method, const char *url,
		      json_object *body, struct http_resp *rs)
{
	struct http_req rq = { .rq_method = method, .rq_url = url, .rq_auth_scheme = c->f->auth,
			       .rq_auth = c->token, .rq_body = body };
	struct http_resp tmp;
	int r = http_request(c->hc, &rq, rs ? rs : &tmp);

	if (!rs)
		http_resp_release(&tmp);
	json_object_put(body);
	return r;
}

static int forge_status(const struct fctx *c)
{
	const struct report *rp = c->rp;
	json_object *b = json_object_new_object();
	char *title = report_title(rp), *url = forge_path(c, c->f->status_path, 0);
	const char *st = !strcmp(rp->rp_state, "failed") ? c->f->st_error
			 : report_has_errors(rp) ? c->f->st_fail : c->f->st_ok;
	int r;

	json_object_object_add(b, "state", json_object_new_string(st));
	json_object_object_add(b, c->f->f_url, json_object_new_string(rp->rp_link));
	json_object_object_add(b, "description", json_object_new_string(title));
	json_object_object_add(b, c->f->f_context, json_object_new_string("lethe"));
	r = forge_call(c, "POST", url, b, NULL);
	free(url);
	free(title);
	return r;
}

static const char *forge_text(const struct fctx *c, json_object *item)
{
	json_object *v;

	if (c->f->nested_body && (!json_object_object_get_ex(item, "content", &item)))
		return NULL;
	if (!json_object_object_get_ex(item, c->f->nested_body ? "raw" : "body", &v))
		return NULL;
	return json_object_get_string(v);
}

/* Look for the marked comment in one page; *next: the page after, if any. */
static int64_t forge_marked(const struct fctx *c, json_object *page, char **next)
{
	json_object *list = page, *v;

	if (c->f->nested_body) {
		if (json_object_object_get_ex(page, "next", &v) &&
		    !strncmp(json_object_get_string(v), c->api, strlen(c->api)))
			*next = xstrdup(json_object_get_string(v));
		if (!json_object_object_get_ex(page, "values", &list))
			return 0;
	}
	if (!json_object_is_type(list, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *it = json_object_array_get_idx(list, i);
		const char *t = forge_text(c, it);

		if (t && !strncmp(t, REPORT_MARKER, strlen(REPORT_MARKER)) &&
		    json_object_object_get_ex(it, "id", &v))
			return json_object_get_int64(v);
	}
	return 0;
}

static int forge_find(const struct fctx *c, int64_t *id)
{
	char *url = forge_path(c, c->f->list_path, 0), *next = NULL;
	int r = 0;

	*id = 0;
	for (int page = 0; url && page < FORGE_PAGES && !*id && r == 0; page++) {
		struct http_resp rs;

		r = forge_call(c, "GET", url, NULL, &rs);
		if (r == 0)
			*id = forge_marked(c, rs.rs_json, &next);
		if (r == 0 && !next && !strncmp(rs.rs_link_next, c->api, strlen(c->api)))
			next = xstrdup(rs.rs_link_next);
		http_resp_release(&rs);
		free(url);
		url = steal_pointer(&next);
	}
	free(url);
	return r;
}

static json_object *forge_comment_body(const struct fctx *c, const char *text)
{
	json_object *b = json_object_new_object(), *content;

	if (!c->f->nested_body) {
		json_object_object_add(b, "body", json_object_new_string(text));
		return b;
	}
	content = json_object_new_object();
	json_object_object_add(content, "raw", json_object_new_string(text));
	json_object_object_add(b, "content", content);
	return b;
}

static int forge_comment(const struct fctx *c)
{
	char *text, *url;
	int64_t id;
	int r = forge_find(c, &id);

	if (r < 0)
		return r;
	text = report_markdown(c->rp, 1);
	url = id ? forge_path(c, c->f->edit_path, id) : forge_path(c, c->f->list_path, 0);
	if (!id && strchr(url, '?'))
		*strchr(url, '?') = '\0';
	r = forge_call(c, id ? c->f->edit_method : "POST", url, forge_comment_body(c, text), NULL);
	free(url);
	free(text);
	return r;
}

static const struct forge *forge_find_provider(const char *provider)
{
	for (size_t i = 0; i < ARRAY_SIZE(FORGES); i++)
		if (!strcmp(FORGES[i].name, provider))
			return &FORGES[i];
	return NULL;
}

int forge_resolves(const char *provider)
{
	const struct forge *f = forge_find_provider(provider);

	return f && f->commit_path;
}

/* The full SHA must be 40 hex digits that start with the short one. */
static int forge_full_sha(json_object *commit, const char *field, const char *prefix,
			  char full[FORGE_SHA_LEN + 1])
{
	json_object *v;
	const char *h;

	if (!json_object_object_get_ex(commit, field, &v) || !json_object_is_type(v, json_type_string))
		return -EBADMSG;
	h = json_object_get_string(v);
	if (strlen(h) != FORGE_SHA_LEN || strspn(h, "0123456789abcdef") != FORGE_SHA_LEN ||
	    strncmp(h, prefix, strlen(prefix)))
		return -EBADMSG;
	memcpy(full, h, FORGE_SHA_LEN + 1);
	return 0;
}

int forge_commit_resolve(const struct http_client *hc, const char *provider, const char *api_url,
			 const char *token, const char *repo, const char *sha,
			 char full[FORGE_SHA_LEN + 1])
{
	struct report rp = { .rp_repo = (char *)repo, .rp_sha = (char *)sha };
	struct fctx c = { forge_find_provider(provider), hc, api_url, token, &rp };
	struct http_resp rs;
	char *url;
	int r;

	if (!c.f || !c.f->commit_path)
		return -EPROTONOSUPPORT;
	if (strlen(sha) < 7 || strlen(sha) > FORGE_SHA_LEN || strspn(sha, "0123456789abcdef") != strlen(sha))
		return -EINVAL;
	url = forge_path(&c, c.f->commit_path, 0);
	r = forge_call(&c, "GET", url, NULL, &rs);
	if (r == 0)
		r = forge_full_sha(rs.rs_json, c.f->commit_field, sha, full);
	http_resp_release(&rs);
	free(url);
	return r;
}

int forge_report(const struct http_client *hc, const char *provider, const char *api_url,
		 const char *token, const struct report *rp)
{
	struct fctx c = { forge_find_provider(provider), hc, api_url, token, rp };
	int r = 0, r2 = 0;

	if (!c.f)
		return -EPROTONOSUPPORT;
	if (strstr(rp->rp_mode, "status") || strstr(rp->rp_mode, "check-run"))
		r = forge_status(&c);	/* a check run is GitHub's: a status elsewhere */
	if (strstr(rp->rp_mode, "comment") && rp->rp_pr > 0)
		r2 = forge_comment(&c);
	return r < 0 ? r : r2;
}
