/*
 * forge.c - commit statuses (builds) and the edited comment for GitLab,
 * Gitea, Bitbucket Cloud and Bitbucket Data Center; see forge.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "forge.h"
#include "util.h"

#define FORGE_PAGES 20

enum forge_body {
	FB_BODY,		/* {"body": TEXT} */
	FB_CONTENT_RAW,		/* Bitbucket Cloud: {"content": {"raw": TEXT}} */
	FB_TEXT,		/* Bitbucket Data Center: {"text": TEXT}, edits with "version" */
};

struct forge {
	const char *name;
	const char *auth;			/* Authorization scheme */
	const char *repo_sep;			/* the "/" of owner/name in {repo}; NULL: "/" */
	const char *status_path;		/* {repo} {sha} */
	const char *st_ok, *st_fail, *st_error;	/* state values */
	const char *f_url, *f_context, *f_name;	/* field names; f_name may be NULL */
	const char *f_ref;			/* the branch the status is for */
	int ref_full;				/* ... as "refs/heads/NAME", else NAME */
	size_t comment_max;			/* bytes of a comment's text */
	const char *list_path;			/* {repo} {pr}: where the comment is looked for */
	const char *create_path;		/* {repo} {pr} */
	const char *edit_path;			/* {repo} {pr} {id} */
	const char *edit_method;
	enum forge_body body;
	const char *page_values;		/* the list in a page object; NULL: a bare array */
	const char *item_comment;		/* the comment in a list item; NULL: the item */
	const char *commit_path;		/* {repo} {sha}: a commit by a short hash */
	const char *commit_field;		/* ... and its full SHA's field */
	const char *self_path;			/* who the token is; NULL: X-AUSERNAME */
	const char *self_field;			/* ... the field naming them */
	const char *author_obj, *author_field;	/* a comment's author, as self_field says */
};

#define DC_PR "/rest/api/latest/projects/{repo}/pull-requests/{pr}"

static const struct forge FORGES[] = {
	{ .name = "gitlab", .auth = "Bearer", .repo_sep = "%2F",
	  .status_path = "/projects/{repo}/statuses/{sha}",
	  .st_ok = "success", .st_fail = "failed", .st_error = "failed",
	  .f_url = "target_url", .f_context = "name", .f_ref = "ref",
	  .comment_max = 1000000,	/* GitLab's notes: 1,000,000 characters */
	  .list_path = "/projects/{repo}/merge_requests/{pr}/notes?per_page=100",
	  .create_path = "/projects/{repo}/merge_requests/{pr}/notes",
	  .edit_path = "/projects/{repo}/merge_requests/{pr}/notes/{id}", .edit_method = "PUT",
	  .self_path = "/user", .self_field = "username",
	  .author_obj = "author", .author_field = "username" },
	{ .name = "gitea", .auth = "token", .status_path = "/repos/{repo}/statuses/{sha}",
	  .st_ok = "success", .st_fail = "failure", .st_error = "error",
	  .f_url = "target_url", .f_context = "context",
	  .comment_max = 65535,		/* Gitea documents none: GitHub's */
	  .list_path = "/repos/{repo}/issues/{pr}/comments",
	  .create_path = "/repos/{repo}/issues/{pr}/comments",
	  .edit_path = "/repos/{repo}/issues/comments/{id}", .edit_method = "PATCH",
	  .self_path = "/user", .self_field = "login", .author_obj = "user", .author_field = "login" },
	{ .name = "bitbucket", .auth = "Bearer",
	  .status_path = "/repositories/{repo}/commit/{sha}/statuses/build",
	  .st_ok = "SUCCESSFUL", .st_fail = "FAILED", .st_error = "FAILED",
	  .f_url = "url", .f_context = "key", .f_ref = "refname",
	  .comment_max = 32768,		/* Bitbucket documents none: Data Center's */
	  .list_path = "/repositories/{repo}/pullrequests/{pr}/comments?pagelen=100",
	  .create_path = "/repositories/{repo}/pullrequests/{pr}/comments",
	  .edit_path = "/repositories/{repo}/pullrequests/{pr}/comments/{id}", .edit_method = "PUT",
	  .body = FB_CONTENT_RAW, .page_values = "values",
	  .commit_path = "/repositories/{repo}/commit/{sha}", .commit_field = "hash",
	  .self_path = "/user", .self_field = "uuid", .author_obj = "user", .author_field = "uuid" },
	{ .name = "bitbucket-dc", .auth = "Bearer", .repo_sep = "/repos/",
	  .status_path = "/rest/api/latest/projects/{repo}/commits/{sha}/builds",
	  .st_ok = "SUCCESSFUL", .st_fail = "FAILED", .st_error = "FAILED",
	  .f_url = "url", .f_context = "key", .f_name = "name", .f_ref = "ref", .ref_full = 1,
	  .comment_max = 32768,		/* Data Center's comment text: 32,768 characters */
	  .list_path = DC_PR "/activities?limit=100", .create_path = DC_PR "/comments",
	  .edit_path = DC_PR "/comments/{id}", .edit_method = "PUT",
	  .body = FB_TEXT, .page_values = "values", .item_comment = "comment",
	  .author_obj = "author", .author_field = "name" },
};

struct fctx {
	const struct forge *f;
	const struct http_client *hc;
	const char *api, *token;
	const struct report *rp;
	char *self;			/* who the token is (its comments' author) */
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
		if (!strncmp(p, "{repo}", 6)) {
			for (const char *r = c->rp->rp_repo; *r; r++)
				*r == '/' && c->f->repo_sep ? fputs(c->f->repo_sep, f) : fputc(*r, f);
			p += 5;
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
	if (c->f->f_name)
		json_object_object_add(b, c->f->f_name, json_object_new_string("Lethe"));
	/* Tied to the branch, so that it shows on the pull or merge request too. */
	if (c->f->f_ref && !strncmp(rp->rp_ref, "refs/heads/", 11) && rp->rp_ref[11])
		json_object_object_add(b, c->f->f_ref, json_object_new_string(c->f->ref_full
					? rp->rp_ref : rp->rp_ref + 11));
	r = forge_call(c, "POST", url, b, NULL);
	free(url);
	free(title);
	return r;
}

static const char *forge_text(const struct fctx *c, json_object *item)
{
	json_object *v;

	if (c->f->body == FB_CONTENT_RAW && !json_object_object_get_ex(item, "content", &item))
		return NULL;
	if (!json_object_object_get_ex(item, c->f->body == FB_BODY ? "body"
				       : c->f->body == FB_TEXT ? "text" : "raw", &v))
		return NULL;
	return json_object_get_string(v);
}

/* The page after this one: Bitbucket Cloud's "next", Data Center's "nextPageStart". */
static char *forge_next(const struct fctx *c, json_object *page)
{
	json_object *v;
	char *base, *url;

	if (json_object_object_get_ex(page, "next", &v) &&
	    !strncmp(json_object_get_string(v), c->api, strlen(c->api)))
		return xstrdup(json_object_get_string(v));
	if (!json_object_object_get_ex(page, "isLastPage", &v) || json_object_get_boolean(v) ||
	    !json_object_object_get_ex(page, "nextPageStart", &v))
		return NULL;
	base = forge_path(c, c->f->list_path, 0);
	url = xasprintf("%s&start=%lld", base, (long long)json_object_get_int64(v));
	free(base);
	return url;
}

/* 1 if the comment item was written by the token's own user. */
static int forge_own(const struct fctx *c, json_object *item)
{
	json_object *a, *v;

	return c->self && json_object_object_get_ex(item, c->f->author_obj, &a) &&
	       json_object_object_get_ex(a, c->f->author_field, &v) &&
	       json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), c->self);
}

/*
 * Lethe's comment on one page (the marker, by the token's own user: anyone
 * may post the marker), its version; *next: the page after, if any.
 */
static int64_t forge_marked(const struct fctx *c, json_object *page, char **next, int64_t *version)
{
	json_object *list = page, *v;
	int64_t id;

	if (c->f->page_values) {
		*next = forge_next(c, page);
		if (!json_object_object_get_ex(page, c->f->page_values, &list))
			return 0;
	}
	if (!json_object_is_type(list, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *it = json_object_array_get_idx(list, i);
		const char *t;

		if (c->f->item_comment && !json_object_object_get_ex(it, c->f->item_comment, &it))
			continue;
		t = forge_text(c, it);
		if (!t || strncmp(t, REPORT_MARKER, strlen(REPORT_MARKER)) || !forge_own(c, it) ||
		    !json_object_object_get_ex(it, "id", &v))
			continue;
		id = json_object_get_int64(v);
		*version = json_object_object_get_ex(it, "version", &v) ? json_object_get_int64(v) : 0;
		return id;
	}
	return 0;
}

/* Who the token is, as its comments name their author (c->self). */
static int forge_self(struct fctx *c)
{
	char *url = forge_path(c, c->f->self_path, 0);
	struct http_resp rs;
	json_object *v;
	int r = forge_call(c, "GET", url, NULL, &rs);

	if (r == 0 && (!json_object_object_get_ex(rs.rs_json, c->f->self_field, &v) ||
		       !json_object_is_type(v, json_type_string) || !*json_object_get_string(v)))
		r = -EPROTO;
	if (r == 0)
		c->self = xstrdup(json_object_get_string(v));
	http_resp_release(&rs);
	free(url);
	return r;
}

static int forge_find(struct fctx *c, int64_t *id, int64_t *version)
{
	char *url = forge_path(c, c->f->list_path, 0), *next = NULL;
	int r = c->f->self_path ? forge_self(c) : 0;

	*id = 0;
	for (int page = 0; url && page < FORGE_PAGES && !*id && r == 0; page++) {
		struct http_resp rs;

		r = forge_call(c, "GET", url, NULL, &rs);
		if (r == 0 && !c->self && rs.rs_username[0])	/* Data Center says who */
			c->self = xstrdup(rs.rs_username);
		if (r == 0)
			*id = forge_marked(c, rs.rs_json, &next, version);
		if (r == 0 && !next && !strncmp(rs.rs_link_next, c->api, strlen(c->api)))
			next = xstrdup(rs.rs_link_next);
		http_resp_release(&rs);
		free(url);
		url = steal_pointer(&next);
	}
	free(next);
	free(url);
	return r;
}

static json_object *forge_comment_body(const struct fctx *c, const char *text, int64_t id,
				       int64_t version)
{
	json_object *b = json_object_new_object(), *content;

	if (c->f->body == FB_CONTENT_RAW) {
		content = json_object_new_object();
		json_object_object_add(content, "raw", json_object_new_string(text));
		json_object_object_add(b, "content", content);
		return b;
	}
	json_object_object_add(b, c->f->body == FB_TEXT ? "text" : "body",
			       json_object_new_string(text));
	if (c->f->body == FB_TEXT && id)
		json_object_object_add(b, "version", json_object_new_int64(version));
	return b;
}

static int forge_comment(struct fctx *c)
{
	char *text, *url;
	int64_t id, version = 0;
	int r = forge_find(c, &id, &version);

	if (r < 0)
		return r;
	text = report_markdown(c->rp, 1, c->f->comment_max);
	url = forge_path(c, id ? c->f->edit_path : c->f->create_path, id);
	r = forge_call(c, id ? c->f->edit_method : "POST", url,
		       forge_comment_body(c, text, id, version), NULL);
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

const char *forge_auth_scheme(const char *provider)
{
	const struct forge *f = forge_find_provider(provider);

	return f ? f->auth : NULL;
}

char *forge_repo_url(const char *provider, const char *api, const char *repo, const char *tmpl)
{
	static const struct forge plain = { .name = "" };
	struct report rp = { .rp_repo = (char *)repo };
	struct fctx c = { forge_find_provider(provider), NULL, api, NULL, &rp, NULL };

	if (!c.f)
		c.f = &plain;
	return forge_path(&c, tmpl, 0);
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
	struct fctx c = { forge_find_provider(provider), hc, api_url, token, &rp, NULL };
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
	struct fctx c = { forge_find_provider(provider), hc, api_url, token, rp, NULL };
	int r = 0, r2 = 0;

	if (!c.f)
		return -EPROTONOSUPPORT;
	if (strstr(rp->rp_mode, "status") || strstr(rp->rp_mode, "check-run"))
		r = forge_status(&c);	/* a check run is GitHub's: a status elsewhere */
	if (strstr(rp->rp_mode, "comment") && rp->rp_pr > 0)
		r2 = forge_comment(&c);
	free(c.self);
	return r < 0 ? r : r2;
}
