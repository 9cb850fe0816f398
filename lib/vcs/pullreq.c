/*
 * pullreq.c - the pull (merge) request of a pushed fix; see pullreq.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forge.h"
#include "github.h"
#include "pullreq.h"
#include "util.h"

#define PULLREQ_URL_DEPTH 4

struct pullreq {
	const char *repo, *head, *base, *title, *body;
};

struct pullreq_api {
	const char *provider;
	const char *path;			/* {repo} */
	json_object *(*make)(const struct pullreq *p);	/* NULL: flat, named by f_flat */
	const char *f_flat[4];			/* head, base, title, body */
	const char *f_number;
	const char *f_url[PULLREQ_URL_DEPTH];	/* the web page; "0": an array's first */
};

static void jadd(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* {k1: {k2: {"name"-or-"id": v}}} one level below o. */
static json_object *jnest(json_object *o, const char *k, const char *k2, const char *f,
			  const char *v)
{
	json_object *in = json_object_new_object(), *leaf = k2 ? json_object_new_object() : in;

	jadd(leaf, f, v);
	if (k2)
		json_object_object_add(in, k2, leaf);
	json_object_object_add(o, k, in);
	return in;
}

static json_object *pr_bitbucket(const struct pullreq *p)
{
	json_object *b = json_object_new_object();

	jadd(b, "title", p->title);
	jadd(b, "description", p->body);
	jnest(b, "source", "branch", "name", p->head);
	jnest(b, "destination", "branch", "name", p->base);
	return b;
}

/* Data Center: refs by full name, both of this repository. */
static void dc_ref(json_object *b, const char *key, const char *branch, const char *repo)
{
	const char *slash = strchr(repo, '/');
	char *id = xasprintf("refs/heads/%s", branch), *proj = xstrndup(repo, (size_t)(slash - repo));
	json_object *ref = jnest(b, key, NULL, "id", id), *r = json_object_new_object();

	jadd(r, "slug", slash + 1);
	jnest(r, "project", NULL, "key", proj);
	json_object_object_add(ref, "repository", r);
	free(proj);
	free(id);
}

static json_object *pr_dc(const struct pullreq *p)
{
	json_object *b = json_object_new_object();

	jadd(b, "title", p->title);
	jadd(b, "description", p->body);
	dc_ref(b, "fromRef", p->head, p->repo);
	dc_ref(b, "toRef", p->base, p->repo);
	return b;
}

#define PR_HUB { "head", "base", "title", "body" }

static const struct pullreq_api PULLREQ_APIS[] = {
	{ "github", "/repos/{repo}/pulls", NULL, PR_HUB, "number", { "html_url" } },
	{ "gitlab", "/projects/{repo}/merge_requests", NULL,
	  { "source_branch", "target_branch", "title", "description" }, "iid", { "web_url" } },
	{ "gitea", "/repos/{repo}/pulls", NULL, PR_HUB, "number", { "html_url" } },
	{ "bitbucket", "/repositories/{repo}/pullrequests", pr_bitbucket, { NULL }, "id",
	  { "links", "html", "href" } },
	{ "bitbucket-dc", "/rest/api/latest/projects/{repo}/pull-requests", pr_dc, { NULL }, "id",
	  { "links", "self", "0", "href" } },
};

static json_object *pullreq_body(const struct pullreq_api *a, const struct pullreq *p)
{
	const char *v[] = { p->head, p->base, p->title, p->body };
	json_object *b;

	if (a->make)
		return a->make(p);
	b = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		jadd(b, a->f_flat[i], v[i]);
	return b;
}

static const struct pullreq_api *pullreq_api_find(const char *provider)
{
	for (size_t i = 0; i < ARRAY_SIZE(PULLREQ_APIS); i++)
		if (!strcmp(PULLREQ_APIS[i].provider, provider))
			return &PULLREQ_APIS[i];
	return NULL;
}

/* The answer's web page: a string at the end of the field path. */
static const char *pullreq_web(const struct pullreq_api *a, json_object *o)
{
	for (size_t i = 0; i < PULLREQ_URL_DEPTH && a->f_url[i] && o; i++) {
		if (!strcmp(a->f_url[i], "0"))
			o = json_object_is_type(o, json_type_array) ? json_object_array_get_idx(o, 0) : NULL;
		else if (!json_object_object_get_ex(o, a->f_url[i], &o))
			o = NULL;
	}
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static int pullreq_answer(const struct pullreq_api *a, json_object *o, int64_t *number,
			  char *url, size_t urllen)
{
	const char *web = pullreq_web(a, o);
	json_object *n;

	if (!json_object_object_get_ex(o, a->f_number, &n) || !json_object_is_type(n, json_type_int) ||
	    json_object_get_int64(n) <= 0 || !web ||
	    (strncmp(web, "https://", 8) && strncmp(web, "http://", 7)))
		return -EBADMSG;
	*number = json_object_get_int64(n);
	snprintf(url, urllen, "%s", web);
	return 0;
}

/* Whether a refusal says a request of this branch is open already. */
static int pullreq_exists(long status, json_object *o)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "";

	return (status == 409 || status == 422 || status == 400) &&
	       (strcasestr(s, "already exist") || strcasestr(s, "already an open") ||
		strcasestr(s, "only one pull request may be open"));
}

static void pullreq_why(int r, const struct http_resp *rs, const char *head, char *why,
			size_t whylen)
{
	if (r == -EPROTO && pullreq_exists(rs->rs_status, rs->rs_json))
		snprintf(why, whylen, "a pull request of branch '%.200s' exists already", head);
	else if (r == -EACCES)
		snprintf(why, whylen, "the token was refused (HTTP %ld)", rs->rs_status);
	else if (r == -ENOENT)
		snprintf(why, whylen, "repository not found, or not visible to the token");
	else if (r == -EPERM)
		snprintf(why, whylen, "the API URL is not one clone_hosts allows");
	else if (r == -EBADMSG)
		snprintf(why, whylen, "the answer names no pull request");
	else if (r == -EPROTO)
		snprintf(why, whylen, "the pull request was refused (HTTP %ld)", rs->rs_status);
	else
		snprintf(why, whylen, "the forge did not answer (HTTP %ld), try again later",
			 rs->rs_status);
}

static int pullreq_args(const char *provider, const char *api_url, const char *token,
			const struct pullreq *p)
{
	const char *v[] = { provider, api_url, token, p->repo, p->head, p->base, p->title, p->body };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (!v[i] || (i != 7 && !*v[i]))
			return -EINVAL;
	return strchr(p->repo, '/') ? 0 : -EINVAL;
}

int pullreq_open(const struct http_client *hc, const char *provider, const char *api_url,
		 const char *token, const char *full_name, const char *head_branch,
		 const char *base_branch, const char *title, const char *body,
		 int64_t *number, char *url, size_t urllen, char *why, size_t whylen)
{
	struct pullreq p = { full_name, head_branch, base_branch, title, body };
	const struct pullreq_api *a = pullreq_api_find(provider ? provider : "");
	int hub = a && !strcmp(a->provider, "github");
	struct http_req rq = { .rq_method = "POST" };
	struct http_resp rs;
	char *u;
	int r;

	if (!a) {
		snprintf(why, whylen, "no pull requests for provider '%.32s'", provider ? provider : "");
		return -EPROTONOSUPPORT;
	}
	if (pullreq_args(provider, api_url, token, &p) < 0) {
		snprintf(why, whylen, "a pull request needs its repository, branches, title and token");
		return -EINVAL;
	}
	u = forge_repo_url(provider, api_url, full_name, a->path);
	rq.rq_url = u;
	rq.rq_auth_scheme = hub ? "Bearer" : forge_auth_scheme(provider);
	rq.rq_auth = token;
	rq.rq_body = pullreq_body(a, &p);
	rq.rq_accept = hub ? "application/vnd.github+json" : NULL;
	rq.rq_headers = hub ? github_api_headers : NULL;
	r = http_request(hc, &rq, &rs);
	if (r == 0)
		r = pullreq_answer(a, rs.rs_json, number, url, urllen);
	if (r < 0)
		pullreq_why(r, &rs, head_branch, why, whylen);
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	free(u);
	return r;
}
