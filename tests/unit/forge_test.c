/*
 * forge_test - commit statuses and the edited comment on GitLab, Gitea,
 * Bitbucket Cloud and Data Center, against the stand-in, with reporting and
 * read-only tokens.
 */
#include <errno.h>
#include <string.h>

#include "forge.h"
#include "redact.h"
#include "standin.h"
#include "tap.h"

#define SHA  "89abcdef0123456789abcdef0123456789abcdef"
#define LEAK "glpat-abcdefghij0123456789"

static const struct {
	const char *provider, *prefix, *rw, *ro, *status_path, *comment_path, *edit;
	const char *ref;	/* the branch in the status, NULL where there is no field */
	int ro_lists;	/* the read-only token may list comments, and so tries to add one */
	const char *auth, *text_field;	/* how a user comments: scheme, JSON field */
} CASES[] = {
	{ "gitlab", "/gitlab/api/v4", "gl-report", "gl-clone",
	  "/projects/acme%2Fapp/statuses/" SHA, "/projects/acme%2Fapp/merge_requests/7/notes",
	  "\"method\": \"PUT\", \"path\": \"/gitlab/api/v4/projects/acme%2Fapp/merge_requests/7/notes/",
	  "\"ref\": \"feature\"", 0, "Bearer", "body" },
	{ "gitea", "/gitea/api/v1", "gt-report", "gt-clone",
	  "/repos/acme/app/statuses/" SHA, "/repos/acme/app/issues/7/comments",
	  "\"method\": \"PATCH\", \"path\": \"/gitea/api/v1/repos/acme/app/issues/comments/", NULL, 0,
	  "token", "body" },
	{ "bitbucket", "/bitbucket/2.0", "bb-report", "bb-clone",
	  "/repositories/acme/app/commit/" SHA "/statuses/build",
	  "/repositories/acme/app/pullrequests/7/comments",
	  "\"method\": \"PUT\", \"path\": \"/bitbucket/2.0/repositories/acme/app/pullrequests/7/comments/",
	  "\"refname\": \"feature\"", 0, "Bearer", "content" },
	{ "bitbucket-dc", "/bitbucket-dc", "dc-report", "dc-clone",
	  "/rest/api/latest/projects/acme/repos/app/commits/" SHA "/builds",
	  "/rest/api/latest/projects/acme/repos/app/pull-requests/7/comments",
	  "\"method\": \"PUT\", \"path\": \"/bitbucket-dc/rest/api/latest/projects/acme/repos/app/pull-requests/7/comments/",
	  "\"ref\": \"refs/heads/feature\"", 1, "Bearer", "text" },
};

static const char *CONFIG =
	"{\"apps\": {}, \"installations\": {}, \"tokens\": {"
	"\"gl-report\": {\"provider\": \"gitlab\", \"repos\": [\"acme/app\"], \"scopes\": [\"api\"]},"
	"\"gl-clone\": {\"provider\": \"gitlab\", \"repos\": [\"acme/app\"], \"scopes\": [\"read_repository\"]},"
	"\"gt-report\": {\"provider\": \"gitea\", \"repos\": [\"acme/app\"], "
	"  \"scopes\": [\"write:repository\", \"write:issue\", \"read:user\"]},"
	"\"gt-clone\": {\"provider\": \"gitea\", \"repos\": [\"acme/app\"], \"scopes\": [\"read:repository\"]},"
	"\"bb-report\": {\"provider\": \"bitbucket\", \"repos\": [\"acme/app\"], "
	"  \"scopes\": [\"repository:write\", \"pullrequest:write\", \"account\"]},"
	"\"bb-clone\": {\"provider\": \"bitbucket\", \"repos\": [\"acme/app\"], \"scopes\": [\"repository\"]},"
	"\"dc-report\": {\"provider\": \"bitbucket-dc\", \"repos\": [\"acme/app\"], \"scopes\": [\"REPO_WRITE\"]},"
	"\"dc-clone\": {\"provider\": \"bitbucket-dc\", \"repos\": [\"acme/app\"], \"scopes\": [\"REPO_READ\"]},"
	/* A pull request's author on each, who may comment too. */
	"\"gitlab-mallory\": {\"provider\": \"gitlab\", \"repos\": [\"acme/app\"], \"scopes\": [\"api\"], "
	"  \"user\": \"mallory\"},"
	"\"gitea-mallory\": {\"provider\": \"gitea\", \"repos\": [\"acme/app\"], \"scopes\": [\"write:issue\"], "
	"  \"user\": \"mallory\"},"
	"\"bitbucket-mallory\": {\"provider\": \"bitbucket\", \"repos\": [\"acme/app\"], "
	"  \"scopes\": [\"pullrequest:write\"], \"user\": \"mallory\"},"
	"\"bitbucket-dc-mallory\": {\"provider\": \"bitbucket-dc\", \"repos\": [\"acme/app\"], "
	"  \"scopes\": [\"REPO_WRITE\"], \"user\": \"mallory\"}"
	"}}";

/* 250 bytes of two-byte characters: a long directory name. */
#define LONG_DIR "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define LONG_PATH LONG_DIR "/" LONG_DIR "/" LONG_DIR "/" LONG_DIR "/" LONG_DIR

static void fill(struct report *rp, int nnew)
{
	memset(rp, 0, sizeof(*rp));
	rp->rp_scan_id = 9;
	rp->rp_repo = xstrdup("acme/app");
	rp->rp_sha = xstrdup(SHA);
	rp->rp_pr = 7;
	rp->rp_state = xstrdup("complete");
	rp->rp_mode = xstrdup("status+comment");
	rp->rp_link = xstrdup("http://dash.example/scans/9");
	rp->rp_new = xcalloc((size_t)nnew + 1, sizeof(*rp->rp_new));
	rp->rp_nnew = rp->rp_new_total = (size_t)nnew;
	rp->rp_ref = xstrdup("refs/heads/feature");
	for (int i = 0; i < nnew; i++)
		rp->rp_new[i] = (struct report_finding){ xstrdup("bandit"), xasprintf("B%03d", i),
			xstrdup("error"), xasprintf("%s/app.py", nnew > 100 ? LONG_PATH : "."),
			xstrdup("key " LEAK), i + 1, i + 1 };
	rp->rp_fixed = xcalloc(1, sizeof(*rp->rp_fixed));
	rp->rp_tools = xcalloc(1, sizeof(*rp->rp_tools));
}

static void one(const struct standin *s, size_t k)
{
	char *api = xasprintf("%s%s", s->url, CASES[k].prefix), *needle, *log;
	const char *p = CASES[k].provider;
	struct http_client hc;
	struct report rp;
	int r;

	http_client_init(&hc);
	hc.hc_retries = 0;
	fill(&rp, 2);
	r = forge_report(&hc, p, api, CASES[k].ro, &rp);
	ok(r == -EACCES, "%s: the read-only clone token cannot report (r=%d)", p, r);
	r = forge_report(&hc, p, api, CASES[k].rw, &rp);
	needle = xasprintf("\"method\": \"POST\", \"path\": \"%s%s\"", CASES[k].prefix,
			   CASES[k].status_path);
	ok(r == 0 && standin_count(s, needle) == 2,
	   "%s: the reporting token set a status (r=%d)", p, r);
	ok(CASES[k].ref ? standin_count(s, CASES[k].ref) == 2 : standin_count(s, "refs/heads") == 0,
	   "%s: the status names the branch %s", p, CASES[k].ref ? CASES[k].ref : "(no such field)");
	free(needle);
	needle = xasprintf("\"method\": \"POST\", \"path\": \"%s%s\"", CASES[k].prefix,
			   CASES[k].comment_path);
	ok(standin_count(s, needle) == 1 + CASES[k].ro_lists, "%s: and created one comment", p);
	report_release(&rp);

	fill(&rp, 1);
	r = forge_report(&hc, p, api, CASES[k].rw, &rp);
	ok(r == 0 && standin_count(s, needle) == 1 + CASES[k].ro_lists &&
	   standin_count(s, CASES[k].edit) == 1,
	   "%s: the next scan edits that comment (r=%d)", p, r);
	log = standin_log(s);
	ok(!strstr(log, LEAK) && strstr(log, REDACT_MARK) && strstr(log, "B000"),
	   "%s: findings listed, the token in a message redacted", p);
	free(log);
	free(needle);
	report_release(&rp);

	fill(&rp, 1000);
	r = forge_report(&hc, p, api, CASES[k].rw, &rp);
	ok(r == 0, "%s: a comment on 1000 findings with long paths fits the API's limit (r=%d)", p, r);
	report_release(&rp);
	free(api);
}

/* s with its first "/7/" (pull request 7) made "/8/". */
static char *pr8(const char *s)
{
	const char *at = strstr(s, "/7/");

	return at ? xasprintf("%.*s/8/%s", (int)(at - s), s, at + 3) : xstrdup(s);
}

/* Comment on pull request 8 as mallory, Lethe's marker first; the comment's id, 0 on failure. */
static int64_t bait(const struct standin *s, size_t k)
{
	char *path = pr8(CASES[k].comment_path);
	char *url = xasprintf("%s%s%s", s->url, CASES[k].prefix, path);
	char *tok = xasprintf("%s-mallory", CASES[k].provider);
	struct http_req rq = { .rq_method = "POST", .rq_url = url, .rq_auth_scheme = CASES[k].auth,
			       .rq_auth = tok };
	const char *text = REPORT_MARKER "\n[Lethe: all clear](http://evil.example)";
	struct http_client hc;
	struct http_resp rs;
	json_object *id, *raw;
	int64_t n = 0;

	http_client_init(&hc);
	rq.rq_body = json_object_new_object();
	if (!strcmp(CASES[k].text_field, "content")) {
		raw = json_object_new_object();
		json_object_object_add(raw, "raw", json_object_new_string(text));
		json_object_object_add(rq.rq_body, "content", raw);
	} else {
		json_object_object_add(rq.rq_body, CASES[k].text_field, json_object_new_string(text));
	}
	if (http_request(&hc, &rq, &rs) == 0 && json_object_object_get_ex(rs.rs_json, "id", &id))
		n = json_object_get_int64(id);
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	free(tok);
	free(url);
	free(path);
	return n;
}

/*
 * A pull request's author posted the marker first: two reports make and
 * then edit Lethe's own comment (the token's user's), never hers.
 */
static void hijack(const struct standin *s, size_t k)
{
	char *api = xasprintf("%s%s", s->url, CASES[k].prefix), *hers, *edit = pr8(CASES[k].edit);
	const char *p = CASES[k].provider;
	int64_t planted = bait(s, k);
	int edits = standin_count(s, edit), r;
	struct http_client hc;
	struct report rp;

	http_client_init(&hc);
	hc.hc_retries = 0;
	fill(&rp, 1);
	rp.rp_pr = 8;
	free(rp.rp_mode);
	rp.rp_mode = xstrdup("comment");
	r = forge_report(&hc, p, api, CASES[k].rw, &rp);
	if (r == 0)
		r = forge_report(&hc, p, api, CASES[k].rw, &rp);
	hers = xasprintf("%s%lld\"", edit, (long long)planted);
	ok(planted > 0 && r == 0 && standin_count(s, hers) == 0 && standin_count(s, edit) == edits + 1,
	   "%s: with the marker posted first by the pull request's author, Lethe adds its own "
	   "comment and edits that one, never hers (r=%d)", p, r);
	free(hers);
	free(edit);
	report_release(&rp);
	free(api);
}

/* A short hash: only Bitbucket Cloud resolves one; hex only; unknown is -ENOENT. */
static void resolve(const struct standin *s)
{
	char *api = xasprintf("%s/bitbucket/2.0", s->url), full[FORGE_SHA_LEN + 1];
	struct http_client hc;
	int r;

	http_client_init(&hc);
	hc.hc_retries = 0;
	ok(!forge_resolves("gitlab") && forge_resolves("bitbucket") &&
	   forge_commit_resolve(&hc, "gitea", api, "bb-clone", "acme/app", "89abcdef0123", full) ==
	   -EPROTONOSUPPORT, "only Bitbucket Cloud resolves a short hash");
	ok(forge_commit_resolve(&hc, "bitbucket", api, "bb-clone", "acme/app", "89ABCDEF0123", full) ==
	   -EINVAL, "a short hash that is not lower-case hex is refused");
	r = forge_commit_resolve(&hc, "bitbucket", api, "bb-clone", "acme/app", "89abcdef0123", full);
	ok(r == -ENOENT, "a commit the API does not know is -ENOENT (r=%d)", r);
	free(api);
}

int main(void)
{
	struct standin s = { 0 };
	struct http_client hc;
	struct report rp;

	plan((int)ARRAY_SIZE(CASES) * 8 + 4);
	http_client_init(&hc);
	fill(&rp, 0);
	ok(forge_report(&hc, "svn", "http://127.0.0.1:9", "t", &rp) == -EPROTONOSUPPORT,
	   "a provider without an adapter says so");
	report_release(&rp);
	if (standin_start(&s, CONFIG) == 0) {
		for (size_t k = 0; k < ARRAY_SIZE(CASES); k++) {
			one(&s, k);
			hijack(&s, k);
		}
		resolve(&s);
	} else {
		skip((int)ARRAY_SIZE(CASES) * 8 + 3, "the stand-in VCS API needs /usr/bin/python3");
	}
	standin_stop(&s);
	return tap_exit();
}
