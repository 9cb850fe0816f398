/*
 * report_test - check runs in batches, commit statuses, the pull-request
 * comment edited in place, redaction and failures, against the stand-in
 * GitHub API with real installation tokens.
 */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "github.h"
#include "redact.h"
#include "report.h"
#include "standin.h"
#include "tap.h"

#define LEAK "ghp_0123456789abcdefghijABCDEFGHIJ012345"
#define SHA  "0123456789abcdef0123456789abcdef01234567"

static char *gen_key(const char *pubpath)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	BIO *b1 = BIO_new(BIO_s_mem()), *b2 = BIO_new(BIO_s_mem());
	char *p, *priv;
	long n;

	PEM_write_bio_PrivateKey(b1, pk, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_PUBKEY(b2, pk);
	n = BIO_get_mem_data(b1, &p);
	priv = xstrndup(p, (size_t)n);
	n = BIO_get_mem_data(b2, &p);
	write_file_atomic(pubpath, p, (size_t)n, 0600);
	BIO_free(b1);
	BIO_free(b2);
	EVP_PKEY_free(pk);
	return priv;
}

static void fill(struct report *rp, size_t nnew, size_t nfixed, const char *mode)
{
	memset(rp, 0, sizeof(*rp));
	rp->rp_scan_id = 42;
	rp->rp_repo = xstrdup("acme/app");
	rp->rp_provider = xstrdup("github");
	rp->rp_sha = xstrdup(SHA);
	rp->rp_pr = 7;
	rp->rp_state = xstrdup("complete");
	rp->rp_mode = xstrdup(mode);
	rp->rp_link = xstrdup("http://dash.example/scans/42");
	rp->rp_new = xcalloc(nnew + 1, sizeof(*rp->rp_new));
	rp->rp_nnew = rp->rp_new_total = nnew;
	for (size_t i = 0; i < nnew; i++) {
		rp->rp_new[i] = (struct report_finding){
			xstrdup("flawfinder"), xasprintf("rule-%zu", i),
			xstrdup(i ? "warning" : "error"), xasprintf("src/f%zu.c", i),
			xstrdup(i ? "buffer | overflow" : "token " LEAK " committed"),
			(int)i + 1, (int)i + 1 };
	}
	rp->rp_fixed = xcalloc(nfixed + 1, sizeof(*rp->rp_fixed));
	rp->rp_nfixed = rp->rp_fixed_total = nfixed;
	for (size_t i = 0; i < nfixed; i++)
		rp->rp_fixed[i] = (struct report_finding){
			xstrdup("cppcheck"), xstrdup("nullPointer"), xstrdup("warning"),
			xstrdup("lib/old.c"), xstrdup("was fixed"), 3, 3 };
	rp->rp_tools = xcalloc(2, sizeof(*rp->rp_tools));
	rp->rp_ntools = 1;
	rp->rp_tools[0] = (struct report_tool){ xstrdup("bandit"), xstrdup("timed out") };
	rp->rp_open_total = nnew + 5;
}

static void test_text(void)
{
	struct report rp;
	char *md, *title;

	fill(&rp, 60, 2, "check-run");
	md = report_markdown(&rp, 1);
	title = report_title(&rp);
	ok(!strncmp(md, REPORT_MARKER "\n", strlen(REPORT_MARKER) + 1), "the comment starts with the marker");
	ok(!strcmp(title, "Lethe: 60 new findings, 2 fixed, incomplete"), "title: '%s'", title);
	ok(!strstr(md, LEAK) && strstr(md, REDACT_MARK), "a token in a message is redacted");
	ok(strstr(md, "buffer \\| overflow") != NULL, "a '|' cannot break out of its cell");
	ok(strstr(md, "…and 10 more on the dashboard.") != NULL, "rows beyond 50 are counted");
	ok(strstr(md, "bandit: timed out") != NULL, "incomplete tools are listed");
	free(md);
	free(title);
	report_release(&rp);
}

static int token(const struct standin *s, const char *priv, unsigned scopes,
		 struct github_token *t)
{
	struct github_app app = { .ga_app_id = "9", .ga_installation_id = "5",
				  .ga_api_url = (char *)s->url };
	struct http_client hc;
	int r;

	http_client_init(&hc);
	secbuf_alloc(&app.ga_key, strlen(priv) + 1);
	memcpy(app.ga_key.data, priv, strlen(priv));
	r = github_token_get(&hc, &app, "acme/app", scopes, t);
	secbuf_release(&app.ga_key);
	return r;
}

static void test_github(const struct standin *s, const char *priv)
{
	struct github_token t;
	struct http_client hc;
	struct report rp;
	char *fail = xasprintf("%s/_standin/fail", s->url), *log;
	int r;

	http_client_init(&hc);
	hc.hc_backoff_ms = 10;
	hc.hc_retries = 1;

	r = token(s, priv, GITHUB_CHECKS | GITHUB_COMMENTS, &t);
	ok(r == 0, "a reporting token with checks and pull_requests (r=%d)", r);
	fill(&rp, 120, 1, "check-run+comment");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, &rp);
	ok(r == 0, "a check run and a comment for 120 new findings (r=%d)", r);
	ok(standin_count(s, "\"method\": \"POST\", \"path\": \"/repos/acme/app/check-runs\"") == 1 &&
	   standin_count(s, "\"method\": \"PATCH\", \"path\": \"/repos/acme/app/check-runs/") == 2,
	   "one create and two updates: annotations in batches of 50, 50, 20");
	ok(standin_count(s, "\"annotation_level\"") == 120 &&
	   standin_count(s, "\"annotation_level\": \"failure\"") == 1,
	   "every new finding annotated once, the error as a failure");
	ok(standin_count(s, "\"path\": \"/repos/acme/app/issues/7/comments\", \"auth\": \"token\", "
			 "\"time\"") == 2, "the comments were listed, then one created");
	report_release(&rp);

	fill(&rp, 3, 0, "check-run+comment");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, &rp);
	ok(r == 0 && standin_count(s, "\"method\": \"PATCH\", \"path\": \"/repos/acme/app/issues/comments/") == 1 &&
	   standin_count(s, "\"method\": \"POST\", \"path\": \"/repos/acme/app/issues/7/comments\"") == 1,
	   "a second report edits the same comment instead of adding one");
	log = standin_log(s);
	ok(!strstr(log, LEAK) && strstr(log, REDACT_MARK), "the leaked token never reached the VCS");
	free(log);
	report_release(&rp);

	fill(&rp, 2, 0, "status");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, &rp);
	ok(r == -EACCES, "a token without statuses: write cannot set a status (r=%d)", r);
	github_token_release(&t);
	r = token(s, priv, GITHUB_STATUSES, &t);
	if (r == 0)
		r = report_github(&hc, s->url, (char *)t.gt_token.data, &rp);
	/* Two status requests logged: the one refused above and this one. */
	ok(r == 0 && standin_count(s, "\"target_url\": \"http://dash.example/scans/42\"") == 2 &&
	   standin_count(s, "\"state\": \"failure\"") == 2,
	   "with statuses: write, a failure status links to the dashboard (r=%d)", r);
	report_release(&rp);
	github_token_release(&t);

	{
		struct http_req rq = { .rq_method = "POST", .rq_url = fail };
		struct http_resp rs;

		rq.rq_body = json_tokener_parse("{\"prefix\": \"/repos/acme/app/check-runs\", "
						"\"status\": 503, \"count\": 99}");
		http_request(&hc, &rq, &rs);
		http_resp_release(&rs);
		json_object_put(rq.rq_body);
	}
	token(s, priv, GITHUB_CHECKS | GITHUB_COMMENTS, &t);
	fill(&rp, 1, 0, "check-run+comment");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, &rp);
	ok(r == -EAGAIN && standin_count(s, "\"method\": \"PATCH\", \"path\": \"/repos/acme/app/issues/comments/") == 2,
	   "a check-run API that keeps failing is a temporary error, the comment still updated");
	report_release(&rp);
	github_token_release(&t);
	free(fail);
}

int main(void)
{
	struct standin s = { 0 };
	char *priv, *pub;

	plan(6 + 10);
	test_text();
	if (standin_start(&s, "{\"apps\": {\"9\": {\"public_key\": \"app.pub\"}}, "
			  "\"installations\": {\"5\": {\"app_id\": \"9\", \"account\": \"acme\", "
			  "\"repositories\": [\"app\"], \"permissions\": {\"contents\": \"read\", "
			  "\"checks\": \"write\", \"statuses\": \"write\", "
			  "\"pull_requests\": \"write\"}}}}") == 0) {
		pub = xasprintf("%s/app.pub", s.dir);
		priv = gen_key(pub);
		test_github(&s, priv);
		free(priv);
		free(pub);
	} else {
		skip(10, "the stand-in VCS API needs /usr/bin/python3");
	}
	standin_stop(&s);
	return tap_exit();
}
