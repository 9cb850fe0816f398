/*
 * webhook_test.c - signature verifiers against the published and derived
 * vectors of the webhooks corpus, extraction of every corpus payload, and
 * the form decoder.  The corpus is found as corpus.h says (set CORPUS).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "corpus.h"
#include "util.h"
#include "webhook.h"

static int ntest;
static int nfail;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nfail += !cond;
}

static char *corpus;	/* the corpus's webhooks folder */

static struct json_object *load_json(const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	return json_object_from_file(path);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Headers for one check, looked up by CGI name. */
struct hdrs { const char *names[8]; const char *values[8]; };

static const char *hdr_get(const char *name, void *arg)
{
	struct hdrs *h = arg;

	for (int i = 0; i < 8 && h->names[i]; i++)
		if (strcmp(h->names[i], name) == 0)
			return h->values[i];
	return NULL;
}

static int check(enum webhook_provider p, struct hdrs *hd, const char *secret, const char *body,
		 size_t len, int64_t now)
{
	struct webhook_headers h;

	webhook_headers_get(p, hdr_get, hd, &h);
	return webhook_verify(p, &h, (const unsigned char *)secret, strlen(secret), body, len,
			      now, 300);
}

static int one(enum webhook_provider p, const char *cgi, const char *value, const char *secret,
	       const char *body)
{
	struct hdrs hd = { { cgi }, { value } };

	return check(p, &hd, secret, body, strlen(body), 0);
}

/* Published vectors: GitHub docs, octokit, Standard Webhooks. */
static void test_published(void)
{
	struct json_object *v = load_json("signature-vectors.json"), *arr;

	json_object_object_get_ex(v, "vectors", &arr);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *id = jstr(e, "id"), *hv = jstr(e, "header_value");
		const char *secret = jstr(e, "secret"), *payload = jstr(e, "payload");

		if (!hv || !secret || strcmp(jstr(e, "header"), "X-Hub-Signature-256"))
			continue;
		ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", hv, secret, payload) == 0,
		   "github vector %s verifies", id);
		ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", hv, "foo", payload) == -EACCES,
		   "github vector %s refused with another secret", id);
	}
	json_object_put(v);
}

static void test_github_docs(void)
{
	const char *sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	const char *s = "It's a Secret to Everybody";
	char trunc[80];

	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", sig, s, "Hello, World!") == 0,
	   "github documented vector");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", sig, s, "Hello, World?") == -EACCES,
	   "github vector refused for another body");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", NULL, s, "Hello, World!") == -ENOMSG,
	   "missing signature");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", "", s, "Hello, World!") == -ENOMSG,
	   "empty signature counts as missing");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", "sha256=", s, "Hello, World!") == -ENOMSG,
	   "bare prefix counts as missing");
	snprintf(trunc, sizeof(trunc), "%.*s", (int)strlen(sig) - 2, sig);
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", trunc, s, "Hello, World!") == -EBADMSG,
	   "truncated signature");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", "foo", s, "Hello, World!") == -EBADMSG,
	   "octokit negative: header 'foo'");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256",
	       "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", s, "Hello, World!") == -EBADMSG,
	   "sha1 signature refused");
	ok(one(WH_GITEA, "HTTP_X_GITEA_SIGNATURE", sig + 7, s, "Hello, World!") == 0,
	   "gitea bare hex");
	ok(one(WH_GITEA, "HTTP_X_FORGEJO_SIGNATURE", sig + 7, s, "Hello, World!") == 0,
	   "forgejo bare hex");
	ok(one(WH_GITEA, "HTTP_X_GITEA_SIGNATURE", "", s, "Hello, World!") == -ENOMSG,
	   "gitea without secret sends an empty header: refused");
	ok(one(WH_GITEA, "HTTP_X_GITEA_SIGNATURE", sig, s, "Hello, World!") == -EBADMSG,
	   "gitea refuses a prefixed signature");
	ok(one(WH_BITBUCKET, "HTTP_X_HUB_SIGNATURE", sig, s, "Hello, World!") == 0,
	   "bitbucket sha256 in X-Hub-Signature");
	ok(one(WH_BITBUCKET_DC, "HTTP_X_HUB_SIGNATURE", sig, s, "Hello, World!") == 0,
	   "bitbucket data center sha256 in X-Hub-Signature");
	ok(one(WH_GITLAB, "HTTP_X_GITLAB_TOKEN", s, s, "{}") == 0, "gitlab token");
	ok(one(WH_GITLAB, "HTTP_X_GITLAB_TOKEN", "It's a Secret to Everybod", s, "{}") == -EACCES,
	   "gitlab token prefix refused");
	ok(one(WH_GITLAB, "HTTP_X_GITLAB_TOKEN", "", s, "{}") == -ENOMSG, "gitlab empty token");
	ok(one(WH_GITHUB, "HTTP_X_HUB_SIGNATURE_256", sig, "", "Hello, World!") == -ENOKEY,
	   "no secret configured: refused");
}

static void test_standard_webhooks(void)
{
	struct hdrs hd = {
		{ "HTTP_WEBHOOK_ID", "HTTP_WEBHOOK_TIMESTAMP", "HTTP_WEBHOOK_SIGNATURE" },
		{ "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
		  "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
	};
	const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	const char *body = "{\"test\": 2432232314}";
	int64_t t = 1614265330;

	ok(check(WH_GITLAB, &hd, secret, body, strlen(body), t) == 0,
	   "standard webhooks reference vector");
	ok(check(WH_GITLAB, &hd, secret, body, strlen(body), t + 301) == -ETIME,
	   "standard webhooks: stale timestamp refused");
	ok(check(WH_GITLAB, &hd, secret, body, strlen(body), t - 301) == -ETIME,
	   "standard webhooks: future timestamp refused");
	hd.values[2] = "v1a,xxxx v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsIDAxMjM0NTY3ODk= "
		       "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
	ok(check(WH_GITLAB, &hd, secret, body, strlen(body), t) == 0,
	   "standard webhooks: one of several signatures matches");
	hd.values[2] = "v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsIDAxMjM0NTY3ODk=";
	ok(check(WH_GITLAB, &hd, secret, body, strlen(body), t) == -EACCES,
	   "standard webhooks: wrong signature refused");
	hd.values[2] = "";
	ok(check(WH_GITLAB, &hd, secret, body, strlen(body), t) == -ENOMSG,
	   "standard webhooks: empty signature counts as missing");
}

static enum webhook_provider dir_provider(const char *file)
{
	if (!strncmp(file, "github/", 7))
		return WH_GITHUB;
	if (!strncmp(file, "gitlab/", 7))
		return WH_GITLAB;
	if (!strncmp(file, "bitbucket-cloud/", 16))
		return WH_BITBUCKET;
	if (!strncmp(file, "bitbucket-dc/", 13))
		return WH_BITBUCKET_DC;
	return WH_GITEA;
}

static char *read_corpus(const char *file, size_t *len)
{
	char path[4200], *body = NULL;

	snprintf(path, sizeof(path), "%s/%s", corpus, file);
	if (read_file(path, 1 << 24, &body, len) < 0)
		return NULL;
	return body;
}

/* Derived: the headers each VCS would send for every corpus file. */
static void test_derived(void)
{
	struct json_object *d = load_json("signatures-derived.json"), *files;
	const char *secret = jstr(d, "hmac_secret"), *token = jstr(d, "gitlab_signing_token");
	int64_t t = 1614265330;

	json_object_object_get_ex(d, "files", &files);
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *f = json_object_array_get_idx(files, i), *hj;
		const char *file = jstr(f, "file");
		enum webhook_provider p = dir_provider(file);
		size_t len;
		char *body = read_corpus(file, &len);
		struct hdrs hd = { { "HTTP_X_HUB_SIGNATURE_256", "HTTP_X_HUB_SIGNATURE",
				     "HTTP_X_GITEA_SIGNATURE", "HTTP_X_FORGEJO_SIGNATURE",
				     "HTTP_X_GITLAB_TOKEN", "HTTP_WEBHOOK_ID",
				     "HTTP_WEBHOOK_TIMESTAMP", "HTTP_WEBHOOK_SIGNATURE" }, { NULL } };
		const char *keys[] = { "X-Hub-Signature-256", "X-Hub-Signature", "X-Gitea-Signature",
				       "X-Forgejo-Signature", "X-Gitlab-Token", "webhook-id",
				       "webhook-timestamp", "webhook-signature" };

		json_object_object_get_ex(f, "headers", &hj);
		for (int k = 0; k < 8; k++)
			hd.values[k] = jstr(hj, keys[k]);
		ok(body && check(p, &hd, secret, body, len, t) == 0, "%s verifies", file);
		ok(body && check(p, &hd, "wrong secret", body, len, t) == -EACCES,
		   "%s refused under another secret", file);
		/* GitLab's token covers no body: its signing token does. */
		ok(body && len > 1 && check(p, &hd, p == WH_GITLAB ? token : secret, body, len - 1, t) == -EACCES,
		   "%s refused when the body is cut short", file);
		if (p == WH_GITLAB)
			ok(body && check(p, &hd, token, body, len, t) == 0,
			   "%s verifies with the signing token", file);
		free(body);
	}
	json_object_put(d);
}

/* Expected extraction of each corpus payload: the documented outcome. */
struct expect {
	const char *file, *event;
	enum webhook_outcome outcome;
	const char *repo, *sha_prefix, *ref;
	int64_t pr;
};

static const struct expect expects[] = {
	{ "github/push-basic.json", "push", WE_IGNORE, "Codertocat/Hello-World", "0000000", "refs/tags/simple-tag", 0 },
	{ "github/push-new-branch.json", "push", WE_SCAN, NULL, NULL, "refs/heads/", 0 },
	{ "github/pull_request-opened.json", "pull_request", WE_SCAN, NULL, "ec26c3e5", NULL, 2 },
	{ "github/pull_request-synchronize.json", "pull_request", WE_SCAN, NULL, NULL, NULL, -1 },
	{ "github/pull_request-closed.json", "pull_request", WE_IGNORE, NULL, NULL, NULL, -1 },
	{ "github/ping-with-organization.json", "ping", WE_RECORD, "", NULL, NULL, 0 },
	{ "github/installation-created.json", "installation", WE_RECORD, NULL, NULL, NULL, 0 },
	{ "github/delete-basic.json", "delete", WE_IGNORE, NULL, NULL, NULL, 0 },
	{ "github/check_suite-requested.json", "check_suite", WE_IGNORE, NULL, NULL, NULL, 0 },
	{ "gitlab/push-basic.json", "Push Hook", WE_SCAN, NULL, NULL, "refs/heads/", 0 },
	{ "gitlab/tag_push-basic.json", "Tag Push Hook", WE_IGNORE, NULL, NULL, NULL, 0 },
	{ "gitlab/merge_request-basic.json", "Merge Request Hook", WE_SCAN, NULL, NULL, NULL, 1 },
	{ "gitlab/merge_request-group.json", "Merge Request Hook", WE_IGNORE, NULL, NULL, NULL, -1 },
	{ "gitlab/merge_request-service.json", "Merge Request Hook", WE_SCAN, NULL, NULL, NULL, -1 },
	{ "gitlab/pipeline-basic.json", "Pipeline Hook", WE_IGNORE, NULL, NULL, NULL, 0 },
	{ "bitbucket-cloud/repo_push-basic.json", "repo:push", WE_SCAN, NULL, NULL, "refs/heads/", 0 },
	{ "bitbucket-cloud/pullrequest_created-atlantis.json", "pullrequest:created", WE_SCAN, NULL, NULL, NULL, -1 },
	{ "bitbucket-cloud/pullrequest_fulfilled-basic.json", "pullrequest:fulfilled", WE_IGNORE, NULL, NULL, NULL, -1 },
	{ "bitbucket-dc/repo_refs_changed-branch-delete.json", "repo:refs_changed", WE_IGNORE, NULL, NULL, "refs/heads/", 0 },
	{ "bitbucket-dc/pr_opened-basic.json", "pr:opened", WE_SCAN, NULL, NULL, NULL, -1 },
	{ "bitbucket-dc/pr_merged-basic.json", "pr:merged", WE_IGNORE, NULL, NULL, NULL, -1 },
	{ "gitea/push-basic.json", "push", WE_SCAN, NULL, NULL, "refs/heads/", 0 },
	{ "gitea/pull_request-basic.json", "pull_request", WE_SCAN, NULL, NULL, NULL, 2 },
	{ "gitea/create-basic.json", "create", WE_IGNORE, NULL, NULL, NULL, 0 },
};

static void test_extract(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(expects); i++) {
		const struct expect *e = &expects[i];
		struct webhook_event ev;
		size_t len;
		char *body = read_corpus(e->file, &len);
		int r = body ? webhook_extract(dir_provider(e->file), e->event, body, len, &ev) : -1;
		int good = r == 0 && ev.outcome == e->outcome;

		if (good && e->repo)
			good = strcmp(ev.repo, e->repo) == 0;
		if (good && e->sha_prefix)
			good = strncmp(ev.sha, e->sha_prefix, strlen(e->sha_prefix)) == 0;
		if (good && e->ref)
			good = strncmp(ev.ref, e->ref, strlen(e->ref)) == 0;
		if (good && e->pr >= 0)
			good = ev.pr == e->pr;
		if (good && e->outcome == WE_SCAN)
			good = ev.repo[0] && strlen(ev.sha) >= 12 && ev.branch[0];
		ok(good, "%s: outcome %d repo '%s' sha '%s' ref '%s' pr %lld", e->file,
		   r == 0 ? (int)ev.outcome : r, ev.repo, ev.sha, ev.ref, (long long)ev.pr);
		free(body);
	}
}

/* A pull request's branch is the one it targets, with each provider's key;
 * its ref stays the source's. */
static const struct {
	const char *file, *event, *target[4];
} pulls[] = {
	{ "github/pull_request-opened.json", "pull_request",
	  { "pull_request", "base", "ref" } },
	{ "gitea/pull_request-basic.json", "pull_request", { "pull_request", "base", "ref" } },
	{ "gitlab/merge_request-basic.json", "Merge Request Hook",
	  { "object_attributes", "target_branch" } },
	{ "bitbucket-cloud/pullrequest_created-atlantis.json", "pullrequest:created",
	  { "pullrequest", "destination", "branch", "name" } },
	{ "bitbucket-dc/pr_opened-basic.json", "pr:opened", { "pullRequest", "toRef", "displayId" } },
};

static void test_pull_target(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(pulls); i++) {
		struct webhook_event ev;
		size_t len;
		char *body = read_corpus(pulls[i].file, &len);
		json_object *o = body ? json_tokener_parse(body) : NULL, *v = o;
		int r = body ? webhook_extract(dir_provider(pulls[i].file), pulls[i].event, body,
					       len, &ev) : -1;
		const char *want;

		for (size_t k = 0; k < 4 && pulls[i].target[k] && v; k++)
			v = json_object_object_get_ex(v, pulls[i].target[k], &v) ? v : NULL;
		want = v ? json_object_get_string(v) : NULL;
		ok(r == 0 && want && *want && !strcmp(ev.branch, want) &&
		   !strncmp(ev.ref, "refs/", 5) && ev.pr > 0,
		   "%s: the pull request targets '%s' (branch '%s', ref '%s')", pulls[i].file,
		   want ? want : "?", r == 0 ? ev.branch : "", r == 0 ? ev.ref : "");
		json_object_put(o);
		free(body);
	}
}

static void test_extract_bad(void)
{
	static const char nohex[] =
		"{\"ref\":\"refs/heads/m\",\"after\":\"zzzzzzzz\",\"repository\":{\"full_name\":\"a/b\"}}";
	struct webhook_event ev;
	char deep[200];

	ok(webhook_extract(WH_GITHUB, "push", "{\"ref\":", 7, &ev) == -EBADMSG &&
	   ev.outcome == WE_UNPARSABLE && !strcmp(ev.event, "push"),
	   "truncated json: unparsable, the event kept");
	ok(webhook_extract(WH_GITHUB, "push", "[1]", 3, &ev) == -EBADMSG, "json array refused");
	ok(webhook_extract(WH_GITHUB, "push", "{} x", 4, &ev) == -EBADMSG, "trailing garbage");
	ok(webhook_extract(WH_GITHUB, "push", "", 0, &ev) == -EBADMSG && ev.outcome == WE_UNPARSABLE,
	   "no body: unparsable");
	ok(webhook_extract(WH_GITHUB, "push", "{\"ref\":\"refs/heads/main\"}", 25, &ev) == -ENODATA &&
	   ev.outcome == WE_INCOMPLETE && !strcmp(ev.ref, "refs/heads/main"),
	   "branch push without a commit is incomplete, its ref kept");
	ok(webhook_extract(WH_GITHUB, NULL, "{}", 2, &ev) == -EINVAL && ev.outcome == WE_INCOMPLETE &&
	   !ev.event[0], "no event header: incomplete");
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	ok(webhook_extract(WH_GITHUB, "ping", deep, 200, &ev) == -EBADMSG, "nesting over the limit");
	ok(webhook_extract(WH_GITHUB, "push", nohex, strlen(nohex), &ev) == -ENODATA && ev.outcome == WE_INCOMPLETE && !ev.sha[0],
	   "non-hex commit: incomplete, the commit dropped");
}

static void test_form(void)
{
	const char *body = "a=1&payload=%7B%22x%22%3A+1%7D&b=2";
	char *out = NULL;
	size_t n = 0;
	const char *sd;
	size_t sl;

	ok(webhook_form_payload(body, strlen(body), &out, &n) == 0 && n == 8 &&
	   strcmp(out, "{\"x\": 1}") == 0, "form payload decoded");
	free(out);
	ok(webhook_form_payload("payload=%4", 10, &out, &n) == -EINVAL, "bad escape refused");
	ok(webhook_form_payload("other=1", 7, &out, &n) == -ENOENT, "no payload field");
	ok(webhook_signed_bytes(WH_GITHUB, 1, body, strlen(body), &sd, &sl, &out) == 0 &&
	   sd == body && !out, "github signs the form as sent");
	ok(webhook_signed_bytes(WH_GITEA, 1, body, strlen(body), &sd, &sl, &out) == 0 &&
	   sl == 8 && strcmp(sd, "{\"x\": 1}") == 0, "gitea signs the json inside");
	free(out);
	ok(webhook_signed_bytes(WH_GITLAB, 1, body, strlen(body), &sd, &sl, &out) == -EPROTONOSUPPORT,
	   "gitlab sends no forms");
}

/* Change i of a push's changes array, copied so that it can be edited. */
static struct json_object *change_copy(struct json_object *changes, size_t i)
{
	struct json_object *c = NULL;

	json_object_deep_copy(json_object_array_get_idx(changes, i), &c, NULL);
	return c;
}

static void set_path(struct json_object *o, const char *a, const char *b, struct json_object *v)
{
	struct json_object *in = o;

	if (b && json_object_object_get_ex(o, a, &in))
		a = b;
	json_object_object_add(in, a, v);
}

static void extract_json(enum webhook_provider p, const char *event, struct json_object *o,
			 struct webhook_event *ev, int *r)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	*r = webhook_extract(p, event, s, strlen(s), ev);
}

/*
 * A Bitbucket Cloud push of three branches, a tag and a deletion, made
 * from the real one-branch push: every branch tip gets its job.
 */
static void test_push_cloud(void)
{
	struct json_object *o = load_json("bitbucket-cloud/repo_push-basic.json"), *changes = NULL;
	static const char *const names[] = { "main", "feature/a", "tag-v1", "gone", "feature/b" };
	static const char *const hashes[] = { "1111111111111111111111111111111111111111",
		"2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333",
		"", "4444444444444444444444444444444444444444" };
	struct webhook_event ev;
	int r = -1;

	if (o && json_object_object_get_ex(json_object_object_get(o, "push"), "changes", &changes)) {
		struct json_object *one = change_copy(changes, 0);

		json_object_array_del_idx(changes, 0, 1);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			struct json_object *c = NULL, *nw = NULL;

			json_object_deep_copy(one, &c, NULL);
			json_object_object_get_ex(c, "new", &nw);
			set_path(nw, "name", NULL, json_object_new_string(names[i]));
			set_path(nw, "target", "hash", json_object_new_string(hashes[i]));
			if (i == 2)
				set_path(nw, "type", NULL, json_object_new_string("tag"));
			if (i == 3)
				json_object_object_add(c, "new", NULL);	/* a deletion */
			json_object_array_add(changes, c);
		}
		json_object_put(one);
		extract_json(WH_BITBUCKET, "repo:push", o, &ev, &r);
	}
	ok(r == 0 && ev.outcome == WE_SCAN && !strcmp(ev.ref, "refs/heads/main") &&
	   !strcmp(ev.branch, "main") && !strcmp(ev.sha, hashes[0]) && ev.nmore == 2 &&
	   !strcmp(ev.more[0].ref, "refs/heads/feature/a") && !strcmp(ev.more[0].branch, "feature/a") &&
	   !strcmp(ev.more[0].sha, hashes[1]) && !strcmp(ev.more[1].branch, "feature/b") &&
	   !strcmp(ev.more[1].sha, hashes[4]),
	   "bitbucket cloud: a push of three branches, a tag and a deletion scans the three "
	   "(r=%d, %d more)", r, r == 0 ? ev.nmore : -1);
	if (changes) {
		struct json_object *c = json_object_array_get_idx(changes, 4), *nw = NULL;

		json_object_object_get_ex(c, "new", &nw);
		set_path(nw, "target", "hash", json_object_new_string("not-hex"));
		extract_json(WH_BITBUCKET, "repo:push", o, &ev, &r);
	}
	ok(r == -ENODATA && ev.outcome == WE_INCOMPLETE && ev.nmore == 0,
	   "bitbucket cloud: one branch without a commit makes the push incomplete (r=%d)", r);
	json_object_put(o);
}

/* A Data Center push made from the real deletion: two branches and a tag added too. */
static void test_push_dc(void)
{
	struct json_object *o = load_json("bitbucket-dc/repo_refs_changed-branch-delete.json");
	struct json_object *changes = NULL;
	static const char *const ids[] = { "refs/heads/main", "refs/tags/v1", "refs/heads/next" };
	static const char *const types[] = { "UPDATE", "ADD", "ADD" };
	static const char *const refs[] = { "BRANCH", "TAG", "BRANCH" };
	struct webhook_event ev;
	int r = -1;

	if (o && json_object_object_get_ex(o, "changes", &changes)) {
		for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
			struct json_object *c = change_copy(changes, 0);
			char hash[41];

			memset(hash, (int)('a' + i), 40);
			hash[40] = '\0';
			set_path(c, "refId", NULL, json_object_new_string(ids[i]));
			set_path(c, "ref", "id", json_object_new_string(ids[i]));
			set_path(c, "ref", "type", json_object_new_string(refs[i]));
			set_path(c, "type", NULL, json_object_new_string(types[i]));
			set_path(c, "toHash", NULL, json_object_new_string(hash));
			json_object_array_add(changes, c);
		}
		extract_json(WH_BITBUCKET_DC, "repo:refs_changed", o, &ev, &r);
	}
	ok(r == 0 && ev.outcome == WE_SCAN && !strcmp(ev.ref, "refs/heads/main") &&
	   !strcmp(ev.branch, "main") && !strncmp(ev.sha, "aaaa", 4) && ev.nmore == 1 &&
	   !strcmp(ev.more[0].ref, "refs/heads/next") && !strcmp(ev.more[0].branch, "next") &&
	   !strncmp(ev.more[0].sha, "cccc", 4),
	   "bitbucket dc: a deletion, two branches and a tag scan the two branches (r=%d, %d more)",
	   r, r == 0 ? ev.nmore : -1);
	json_object_put(o);
}

/* More branch tips than WEBHOOK_TIPS_MAX: the first WEBHOOK_TIPS_MAX are scanned. */
static void test_push_many(void)
{
	struct json_object *o = json_object_new_object(), *changes = json_object_new_array();
	struct webhook_event ev;
	int r;

	for (int i = 0; i < WEBHOOK_TIPS_MAX + 3; i++) {
		struct json_object *c = json_object_new_object(), *ref = json_object_new_object();
		char id[32], hash[41];

		snprintf(id, sizeof(id), "refs/heads/b%d", i);
		snprintf(hash, sizeof(hash), "%040x", i + 1);
		json_object_object_add(ref, "type", json_object_new_string("BRANCH"));
		json_object_object_add(c, "ref", ref);
		json_object_object_add(c, "refId", json_object_new_string(id));
		json_object_object_add(c, "toHash", json_object_new_string(hash));
		json_object_object_add(c, "type", json_object_new_string("UPDATE"));
		json_object_array_add(changes, c);
	}
	json_object_object_add(o, "changes", changes);
	json_object_object_add(o, "repository", json_tokener_parse(
		"{\"slug\": \"r\", \"project\": {\"key\": \"P\"}}"));
	extract_json(WH_BITBUCKET_DC, "repo:refs_changed", o, &ev, &r);
	ok(r == 0 && ev.nmore == WEBHOOK_TIPS_MAX - 1 && !strcmp(ev.branch, "b0") &&
	   !strcmp(ev.more[WEBHOOK_TIPS_MAX - 2].branch, "b31"),
	   "a push of %d branches scans the first %d (r=%d, %d more)", WEBHOOK_TIPS_MAX + 3,
	   WEBHOOK_TIPS_MAX, r, ev.nmore);
	json_object_put(o);
}

int main(void)
{
	test_github_docs();
	test_standard_webhooks();
	test_form();
	test_extract_bad();
	corpus = corpus_file("webhooks");
	if (!corpus) {
		printf("ok %d # SKIP webhooks corpus not found (set CORPUS)\n", ++ntest);
	} else {
		test_published();
		test_derived();
		test_extract();
		test_pull_target();
		test_push_cloud();
		test_push_dc();
	}
	test_push_many();
	free(corpus);
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
