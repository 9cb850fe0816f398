/*
 * report_test - check runs in batches, commit statuses, the pull-request
 * comment edited in place, redaction and failures, against the stand-in
 * GitHub API with real installation tokens.
 */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "db.h"
#include "github.h"
#include "keys.h"
#include "redact.h"
#include "report.h"
#include "sarif.h"
#include "standin.h"
#include "stack.h"
#include "tap.h"

#define LEAK "ghp_0123456789abcdefghijABCDEFGHIJ012345"
#define SHA  "0123456789abcdef0123456789abcdef01234567"

/* A fresh RSA key: the private PEM returned, the public one written to pubpath (if set). */
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
	if (pubpath)
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
	free(rp.rp_fixed[1].rf_path);
	rp.rp_fixed[1].rf_path = xstrdup("package-lock.json");
	rp.rp_fixed[1].rf_start = rp.rp_fixed[1].rf_end = 0;
	md = report_markdown(&rp, 1, REPORT_GITHUB_TEXT_MAX);
	title = report_title(&rp);
	ok(!strncmp(md, REPORT_MARKER "\n", strlen(REPORT_MARKER) + 1), "the comment starts with the marker");
	ok(!strcmp(title, "Lethe: 60 new findings, 2 fixed, incomplete"), "title: '%s'", title);
	ok(!strstr(md, LEAK) && strstr(md, REDACT_MARK), "a token in a message is redacted");
	ok(strstr(md, "`buffer \\| overflow`") != NULL, "a '|' cannot break out of its cell");
	ok(strstr(md, "10 more findings: see the dashboard.") != NULL, "rows beyond 50 are counted");
	ok(strstr(md, "`bandit`: `timed out`") != NULL, "incomplete tools are listed");
	ok(strstr(md, "`lib/old.c` line 3 | ") && strstr(md, "`package-lock.json` | ") &&
	   !strstr(md, "line 0"), "a finding without a line (a manifest's dependency) shows no line");
	free(md);
	free(title);
	report_release(&rp);
}

/* What a pull request's author can name files, rules and messages. */
static const char *const HOSTILE[] = {
	"[x](http://evil.example/a)", "![i](http://evil.example/i.png)", "@victim",
	"<img src=x onerror=alert(1)>", "a`b``c", "p|q", "new\nline\r", "http://evil.example/b",
	"<script>evil()</script>", "**bold** _it_", "| x | y |", "`` ` ``", "\\`[y](http://evil.example/c)",
	"<a href=\"http://evil.example/d\">d</a>", "&lt;img src=x&gt;", "#42 victim/app#1",
	"a|[z](http://evil.example/e)|b",
};
#define NHOSTILE ARRAY_SIZE(HOSTILE)

/* The HTML cmark-gfm renders md to, as GitHub would (raw HTML kept), or NULL. */
static char *md_render(const char *md)
{
	char path[] = "/tmp/lethe-md.XXXXXX", *cmd, *html = NULL;
	int fd = mkstemp(path);
	FILE *p;
	size_t len = 0, got;
	char buf[4096];

	if (fd < 0 || write(fd, md, strlen(md)) != (ssize_t)strlen(md)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	cmd = xasprintf("cmark-gfm --unsafe -e table -e autolink -e strikethrough '%s'", path);
	p = popen(cmd, "r");
	while (p && (got = fread(buf, 1, sizeof(buf), p)) > 0) {
		html = xrealloc(html, len + got + 1);
		memcpy(html + len, buf, got);
		len += got;
		html[len] = '\0';
	}
	if (p && pclose(p) != 0) {
		free(html);
		html = NULL;
	}
	unlink(path);
	free(cmd);
	return html;
}

/* html without the contents of its <code> elements (in place). */
static char *md_outside_code(char *html)
{
	char *w = html, *r = html;

	while (*r) {
		if (!strncmp(r, "<code>", 6)) {
			char *end = strstr(r, "</code>");

			if (!end)
				break;
			r = end + 7;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return html;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * Every value in the comment is a code span: names, rules, levels, paths,
 * messages, tools and their reasons made of Markdown and HTML render as
 * text, as each provider's comment limit cuts them (GitHub and Gitea
 * 65,535 bytes, GitLab 1,000,000, Bitbucket Cloud and Data Center 32,768).
 */
static void test_text_hostile(void)
{
	static const size_t limits[] = { REPORT_GITHUB_TEXT_MAX, 1000000, 32768 };
	struct report rp;

	fill(&rp, NHOSTILE, NHOSTILE, "comment");
	for (size_t i = 0; i < NHOSTILE; i++) {
		struct report_finding *v[] = { &rp.rp_new[i], &rp.rp_fixed[i] };

		for (size_t k = 0; k < 2; k++) {
			char **field[] = { &v[k]->rf_tool, &v[k]->rf_rule, &v[k]->rf_level,
					   &v[k]->rf_path, &v[k]->rf_message };

			for (size_t j = 0; j < ARRAY_SIZE(field); j++) {
				free(*field[j]);
				*field[j] = xstrdup(HOSTILE[(i + j) % NHOSTILE]);
			}
		}
	}
	for (size_t i = 0; i < rp.rp_ntools; i++) {
		free(rp.rp_tools[i].rt_tool);
		free(rp.rp_tools[i].rt_reason);
	}
	free(rp.rp_tools);
	rp.rp_tools = xcalloc(NHOSTILE, sizeof(*rp.rp_tools));
	rp.rp_ntools = NHOSTILE;
	for (size_t i = 0; i < NHOSTILE; i++)
		rp.rp_tools[i] = (struct report_tool){ xstrdup(HOSTILE[i]),
						      xstrdup(HOSTILE[(i + 1) % NHOSTILE]) };
	for (size_t l = 0; l < ARRAY_SIZE(limits); l++) {
		char *md = report_markdown(&rp, 1, limits[l]), *html = md_render(md);

		if (!html) {
			skip(2, "cmark-gfm (Debian's cmark-gfm) did not render the comment");
			free(md);
			continue;
		}
		ok(count(html, "<tr>") == 2 * ((int)NHOSTILE + 1) &&
		   count(html, "<td>") == 2 * 4 * (int)NHOSTILE && count(html, "<li>") == (int)NHOSTILE,
		   "%zu bytes: every row, cell and tool stays whole, newlines and pipes included",
		   limits[l]);
		md_outside_code(html);
		ok(count(html, "<a ") == 1 && strstr(html, "<a href=\"http://dash.example/scans/42\">") &&
		   !strstr(html, "<img") && !strstr(html, "<script") && !strstr(html, "evil") &&
		   !strstr(html, "victim") && !strstr(html, "bold") && !strstr(html, "<em>"),
		   "%zu bytes: outside code spans only Lethe's own link, no image, HTML, mention, "
		   "reference or emphasis", limits[l]);
		free(html);
		free(md);
	}
	report_release(&rp);
}

/* Long paths of two-byte characters, cut anywhere; the text's size bounded. */
static void test_text_limits(void)
{
	struct report rp;
	char *md;

	fill(&rp, 1000, 0, "check-run");
	for (size_t i = 0; i < rp.rp_nnew; i++) {
		free(rp.rp_new[i].rf_path);
		rp.rp_new[i].rf_path = xstrdup("a");
		for (int k = 0; k < 200; k++) {
			char *p = xasprintf("%s\xc3\xa9", rp.rp_new[i].rf_path);

			free(rp.rp_new[i].rf_path);
			rp.rp_new[i].rf_path = p;
		}
		free(rp.rp_new[i].rf_message);
		rp.rp_new[i].rf_message = xstrdup("Caf\xc3\xa9 `x` <b>@team</b>");
	}
	md = report_markdown(&rp, 1, REPORT_GITHUB_TEXT_MAX);
	ok(utf8_valid(md, strlen(md)), "a path cut in the comment stays valid UTF-8");
	ok(strstr(md, "``Caf\xc3\xa9 `x` <b>@team</b>``") != NULL,
	   "a message is a code span: no markup, no mention");
	free(md);
	md = report_markdown(&rp, 1, 8000);
	ok(strlen(md) <= 8000 && strstr(md, " more findings: see the dashboard.") &&
	   strstr(md, "`bandit`: `timed out`"),
	   "bounded to 8000 bytes (%zu): rows dropped and counted, the tools still listed",
	   strlen(md));
	free(md);
	md = report_markdown(&rp, 1, 1000);
	ok(strlen(md) <= 1000 && strstr(md, "1 incomplete tool: see the dashboard."),
	   "bounded to 1000 bytes (%zu): even the tools only counted", strlen(md));
	free(md);
	report_release(&rp);
}

/* The stand-in's app 9, installation 5, with the private key priv; github_app_release it. */
static void app_init(struct github_app *app, const struct standin *s, const char *priv)
{
	memset(app, 0, sizeof(*app));
	app->ga_app_id = xstrdup("9");
	app->ga_installation_id = xstrdup("5");
	app->ga_api_url = xstrdup(s->url);
	secbuf_alloc(&app->ga_key, strlen(priv) + 1);
	memcpy(app->ga_key.data, priv, strlen(priv));
}

static int token(const struct github_app *app, unsigned scopes, struct github_token *t)
{
	struct http_client hc;

	http_client_init(&hc);
	return github_token_get(&hc, app, "acme/app", scopes, t);
}

/*
 * The pull request's comments as the holder of token (not Lethe) sees
 * them, or with text the comment it posts: the answer (put it), NULL on
 * failure.
 */
static json_object *pr_comments(const struct standin *s, int pr, const char *token,
				const char *text)
{
	char *url = xasprintf("%s/repos/acme/app/issues/%d/comments", s->url, pr);
	struct http_req rq = { .rq_method = text ? "POST" : "GET", .rq_url = url,
			       .rq_auth_scheme = "Bearer", .rq_auth = token,
			       .rq_headers = github_api_headers };
	struct http_client hc;
	struct http_resp rs;
	json_object *out = NULL;

	http_client_init(&hc);
	if (text) {
		rq.rq_body = json_object_new_object();
		json_object_object_add(rq.rq_body, "body", json_object_new_string(text));
	}
	if (http_request(&hc, &rq, &rs) == 0)
		out = json_object_get(rs.rs_json);
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	free(url);
	return out;
}

/* How many comments in list login wrote starting with prefix. */
static int comments_by(json_object *list, const char *login, const char *prefix)
{
	int n = 0;

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *c = json_object_array_get_idx(list, i), *u, *b;

		if (json_object_object_get_ex(c, "user", &u) &&
		    json_object_object_get_ex(u, "login", &u) &&
		    !strcmp(json_object_get_string(u), login) &&
		    json_object_object_get_ex(c, "body", &b) &&
		    !strncmp(json_object_get_string(b), prefix, strlen(prefix)))
			n++;
	}
	return n;
}

#define BAIT REPORT_MARKER "\n[Lethe: all clear](http://evil.example)"

/*
 * A pull request's author posts Lethe's marker first: Lethe (an App's bot,
 * or a stored token's user) writes and then edits its own comment, never
 * hers.
 */
static void hijack_one(const struct standin *s, const struct github_app *app, const char *token,
		       int pr, const char *me)
{
	struct http_client hc;
	struct report rp;
	json_object *list = pr_comments(s, pr, "mallory-token", BAIT), *id;
	int64_t planted = list && json_object_object_get_ex(list, "id", &id) ?
			  json_object_get_int64(id) : 0;
	int r;

	json_object_put(list);
	http_client_init(&hc);
	hc.hc_retries = 0;
	fill(&rp, 2, 0, "comment");
	rp.rp_pr = pr;
	r = report_github(&hc, s->url, token, app, &rp);
	if (r == 0)
		r = report_github(&hc, s->url, token, app, &rp);
	list = pr_comments(s, pr, "mallory-token", NULL);
	ok(planted > 0 && r == 0 && comments_by(list, "mallory", BAIT) == 1,
	   "%s: two reports on a pull request whose author posted the marker first leave her "
	   "comment as she wrote it (r=%d)", me, r);
	ok(list && json_object_array_length(list) == 2 &&
	   comments_by(list, me, REPORT_MARKER "\n### ") == 1,
	   "%s: Lethe wrote one comment of its own and edited it", me);
	json_object_put(list);
	report_release(&rp);
}

static void test_hijack(const struct standin *s, const struct github_app *app)
{
	struct github_token t;
	int r = token(app, GITHUB_COMMENTS, &t);

	if (r == 0)
		hijack_one(s, app, (const char *)t.gt_token.data, 8, "lethe[bot]");
	else
		skip(2, "no installation token");
	github_token_release(&t);
	hijack_one(s, NULL, "lethe-token", 9, "lethe-reporter");
}

static void test_github(const struct standin *s, const struct github_app *app)
{
	struct github_token t;
	struct http_client hc;
	struct report rp;
	char *fail = xasprintf("%s/_standin/fail", s->url), *log;
	int r;

	http_client_init(&hc);
	hc.hc_backoff_ms = 10;
	hc.hc_retries = 1;

	r = token(app, GITHUB_CHECKS | GITHUB_COMMENTS, &t);
	ok(r == 0, "a reporting token with checks and pull_requests (r=%d)", r);
	fill(&rp, 120, 1, "check-run+comment");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, app, &rp);
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
	r = report_github(&hc, s->url, (char *)t.gt_token.data, app, &rp);
	ok(r == 0 && standin_count(s, "\"method\": \"PATCH\", \"path\": \"/repos/acme/app/issues/comments/") == 1 &&
	   standin_count(s, "\"method\": \"POST\", \"path\": \"/repos/acme/app/issues/7/comments\"") == 1,
	   "a second report edits the same comment instead of adding one");
	log = standin_log(s);
	ok(!strstr(log, LEAK) && strstr(log, REDACT_MARK), "the leaked token never reached the VCS");
	free(log);
	report_release(&rp);

	fill(&rp, 2, 0, "status");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, app, &rp);
	ok(r == -EACCES, "a token without statuses: write cannot set a status (r=%d)", r);
	github_token_release(&t);
	r = token(app, GITHUB_STATUSES, &t);
	if (r == 0)
		r = report_github(&hc, s->url, (char *)t.gt_token.data, app, &rp);
	/* Two status requests logged: the one refused above and this one. */
	ok(r == 0 && standin_count(s, "\"target_url\": \"http://dash.example/scans/42\"") == 2 &&
	   standin_count(s, "\"state\": \"failure\"") == 2,
	   "with statuses: write, a failure status links to the dashboard (r=%d)", r);
	report_release(&rp);

	fill(&rp, 2, 0, "check-run");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, NULL, &rp);
	ok(r == 0 && standin_count(s, "\"state\": \"failure\"") == 3 &&
	   standin_count(s, "\"method\": \"POST\", \"path\": \"/repos/acme/app/check-runs\"") == 2,
	   "check-run with a stored token: a commit status instead, no check run (r=%d)", r);
	report_release(&rp);
	github_token_release(&t);
	ok(standin_count(s, "\"api_version\": \"" GITHUB_API_VERSION "\"") > 10 &&
	   standin_count(s, "\"api_version\": null") == 0,
	   "every GitHub request pins X-GitHub-Api-Version " GITHUB_API_VERSION);

	{
		struct http_req rq = { .rq_method = "POST", .rq_url = fail };
		struct http_resp rs;

		rq.rq_body = json_tokener_parse("{\"prefix\": \"/repos/acme/app/check-runs\", "
						"\"status\": 503, \"count\": 99}");
		http_request(&hc, &rq, &rs);
		http_resp_release(&rs);
		json_object_put(rq.rq_body);
	}
	token(app, GITHUB_CHECKS | GITHUB_COMMENTS, &t);
	fill(&rp, 1, 0, "check-run+comment");
	r = report_github(&hc, s->url, (char *)t.gt_token.data, app, &rp);
	ok(r == -EAGAIN && standin_count(s, "\"method\": \"PATCH\", \"path\": \"/repos/acme/app/issues/comments/") == 2,
	   "a check-run API that keeps failing is a temporary error, the comment still updated");
	report_release(&rp);
	github_token_release(&t);
	free(fail);
}


/* -- through the database: report_scan() and the clone token ------------- */

struct fx {
	struct db *admin, *scanner, *reporter;	/* as lethectl, lethe-scan, lethe-report */
	struct keyring *kr;
	const struct config *cfg;
	char org[24], integ[24], repo[24], scan[24], base[24];
};

static int fx_one(struct fx *f, char *out, const char *sql, int n, const char *const *p)
{
	PGresult *res = NULL;
	int r = db_exec(f->admin, &res, sql, n, p);

	if (r < 0)
		diag("fixture: %s", db_error(f->admin));
	if (r == 0 && PQntuples(res) == 1)
		snprintf(out, 24, "%s", db_value(res, 0, 0));
	else if (r == 0)
		r = -EIO;
	PQclear(res);
	return r;
}
#define FX_ONE(f, out, sql, ...) \
	fx_one((f), (out), (sql), DB_NARGS(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ })

static int fx_key(struct fx *f, const char *pem)
{
	char *blob = NULL;
	int r = secret_seal(f->admin, f->kr, atoll(f->org), "integrations", "app_key_enc",
			    atoll(f->integ), pem, strlen(pem), &blob);

	if (r == 0)
		r = DB_QUERY(f->admin, NULL, "UPDATE integrations SET app_key_enc = $1 "
			     "WHERE id = $2", blob, f->integ);
	free(blob);
	return r;
}

/*
 * Pull request 7 against main: main's last complete scan saw rule-old and
 * rule-gone; the pull request's scan sees rule-old again and two new ones.
 */
#define FX_FINDING "WITH v(branch, fp, rule, level, path, line, msg, scan, introduced) AS (VALUES " \
	"('main', 'a1', 'rule-old', 'warning', 'src/c.c', 7, 'was here before', $4::bigint, false), " \
	"('main', 'b2', 'rule-gone', 'note', 'src/d.c', 3, 'now fixed', $4::bigint, false), " \
	"('pull/7', 'a1', 'rule-old', 'warning', 'src/c.c', 7, 'was here before', $3::bigint, false), " \
	"('pull/7', 'c3', 'rule-new-1', 'error', 'src/a.c', 12, 'token " LEAK " in a string', " \
	" $3::bigint, true), " \
	"('pull/7', 'd4', 'rule-new-2', 'warning', 'src/b.c', 40, 'strcpy without bound', " \
	" $3::bigint, true)), " \
	"f AS (INSERT INTO findings (org_id, repository_id, branch, fingerprint, tool, rule_id, " \
	" level, path, start_line, end_line, message, first_scan_id, last_scan_id) " \
	" SELECT $1, $2, branch, repeat(fp, 8), 'flawfinder', rule, level, path, line, line, msg, " \
	" scan, scan FROM v RETURNING id, branch, fingerprint, last_scan_id, start_line) " \
	"INSERT INTO scan_findings (scan_id, finding_id, org_id, start_line, introduced) " \
	" SELECT f.last_scan_id, f.id, $1, f.start_line, v.introduced FROM f JOIN v " \
	" ON v.branch = f.branch AND repeat(v.fp, 8) = f.fingerprint RETURNING $3::text"

static int fx_setup(struct fx *f, const char *api, const char *inst, const char *pem)
{
	char name[40], hook[40];
	int r;

	snprintf(name, sizeof(name), "vcstest-%d", (int)getpid());
	snprintf(hook, sizeof(hook), "vcstesthook%011d", (int)getpid());
	r = FX_ONE(f, f->org, "INSERT INTO orgs (name) VALUES ($1) RETURNING id", name);
	if (r == 0)
		r = orgkey_create(f->admin, f->kr, atoll(f->org));
	if (r == 0)
		r = FX_ONE(f, f->integ, "INSERT INTO integrations (org_id, provider, kind, api_url, "
			   "app_id, installation_id) VALUES ($1, 'github', 'github-app', $2, '9', $3) "
			   "RETURNING id", f->org, api, inst);
	if (r == 0)
		r = fx_key(f, pem);
	if (r == 0)
		r = FX_ONE(f, f->repo, "INSERT INTO repositories (org_id, integration_id, provider, "
			   "full_name, clone_url, hook_id, report_mode) VALUES ($1, $2, 'github', "
			   "'acme/app', 'https://github.example/acme/app.git', $3, "
			   "'check-run+comment') RETURNING id", f->org, f->integ, hook);
	if (r == 0)
		r = FX_ONE(f, f->base, "INSERT INTO scans (org_id, repository_id, commit_sha, "
			   "branch, state, finished_at) VALUES ($1, $2, '" SHA "', 'main', 'complete', "
			   "now()) RETURNING id", f->org, f->repo);
	if (r == 0)
		r = FX_ONE(f, f->scan, "INSERT INTO scans (org_id, repository_id, commit_sha, "
			   "branch, pr_number, state, finished_at, base_scan_id) VALUES ($1, $2, '" SHA "', "
			   "'pull/7', 7, 'complete', now(), $3) RETURNING id", f->org, f->repo, f->base);
	if (r == 0)
		r = DB_QUERY(f->admin, NULL, "INSERT INTO scan_tools (org_id, scan_id, tool, "
			     "status, reason) VALUES ($1, $2, 'bandit', 'incomplete', 'timed out'), "
			     "($1, $2, 'flawfinder', 'complete', NULL)", f->org, f->scan);
	if (r == 0)
		r = DB_QUERY(f->admin, NULL, FX_FINDING, f->org, f->repo, f->scan, f->base);
	return r;
}

/* A GitLab repository with a stored reporting token sealed to its row. */
static void test_db_gitlab(const struct standin *s, struct fx *f)
{
	char repo[24] = "", scan[24] = "", hook[40], *api = xasprintf("%s/gitlab/api/v4", s->url);
	char *blob = NULL;
	int r, done = 0;

	snprintf(hook, sizeof(hook), "vcstestgitlab%011d", (int)getpid());
	r = FX_ONE(f, repo, "INSERT INTO repositories (org_id, provider, full_name, clone_url, "
		   "api_url, hook_id, report_mode) VALUES ($1, 'gitlab', 'acme/app', "
		   "'https://gitlab.example/acme/app.git', $2, $3, 'status+comment') RETURNING id",
		   f->org, api, hook);
	if (r == 0)
		r = secret_seal(f->admin, f->kr, atoll(f->org), "repositories", "report_token_enc",
				atoll(repo), "gl-report", 9, &blob);
	if (r == 0)
		r = DB_QUERY(f->admin, NULL, "UPDATE repositories SET report_token_enc = $1 "
			     "WHERE id = $2", blob, repo);
	if (r == 0)
		r = FX_ONE(f, scan, "INSERT INTO scans (org_id, repository_id, commit_sha, pr_number, "
			   "state) VALUES ($1, $2, '" SHA "', 3, 'complete') RETURNING id", f->org, repo);
	if (r == 0)
		r = report_scan(f->reporter, f->kr, f->cfg, atoll(scan), &done);
	ok(r == 0 && done && standin_count(s, "\"path\": \"/gitlab/api/v4/projects/acme%2Fapp/"
					   "statuses/" SHA "\"") == 1 &&
	   standin_count(s, "\"method\": \"POST\", \"path\": \"/gitlab/api/v4/projects/"
			 "acme%2Fapp/merge_requests/3/notes\"") == 1,
	   "a GitLab repository reports with its stored api-scoped token (r=%d)", r);
	free(blob);
	free(api);
}

static void test_db(const struct standin *s, const char *inst, const char *priv,
		    const char *other_priv, struct fx *f)
{
	struct github_token t;
	char *log, *cmp;
	int r, done = 0;

	if (!ok(fx_setup(f, s->url, inst, priv) == 0, "an org, a github-app integration, a "
		"repository and a finished scan stored"))
		return;
	r = github_repo_token(f->scanner, f->kr, f->cfg, atoll(f->repo), GITHUB_CLONE, &t);
	/* The issued grant is the record's last field before its status. */
	ok(r == 0 && standin_count(s, "\"repositories\": [\"app\"], \"permissions\": "
				   "{\"contents\": \"read\"}}, \"status\": 201") == 1,
	   "the clone token for the repository is contents: read alone (r=%d)", r);
	github_token_release(&t);

	r = report_scan(f->reporter, f->kr, f->cfg, atoll(f->scan), &done);
	ok(r == 0 && done, "report_scan reports the scan (r=%d)", r);
	ok(standin_count(s, "\"repositories\": [\"app\"], \"permissions\": "
			 "{\"checks\": \"write\", \"pull_requests\": \"write\"}}, \"status\": 201") == 1,
	   "with a separate token: checks and pull_requests write only");
	log = standin_log(s);
	ok(strstr(log, "rule-new-1") && strstr(log, "rule-new-2") && strstr(log, "rule-gone") &&
	   !strstr(log, "rule-old") && standin_count(s, "\"annotation_level\"") == 2,
	   "two new findings annotated and listed, the fixed one listed, the old one not");
	ok(!strstr(log, LEAK), "the secret in a finding's message never left");
	cmp = xasprintf("Compared with scan %s of `main`", f->base);
	ok(strstr(log, cmp) && strstr(log, "Fixed by this pull request") &&
	   strstr(log, "Introduced by this pull request"),
	   "the pull request is compared with its target branch's last complete scan");
	free(cmp);
	free(log);

	r = report_scan(f->reporter, f->kr, f->cfg, atoll(f->scan), &done);
	ok(r == 0 && standin_count(s, "\"method\": \"POST\", \"path\": \"/repos/acme/app/issues/7/comments\"") == 1 &&
	   standin_count(s, "\"method\": \"PATCH\", \"path\": \"/repos/acme/app/issues/comments/") == 1,
	   "reporting again edits the one comment (r=%d)", r);

	fx_key(f, other_priv);
	r = report_scan(f->reporter, f->kr, f->cfg, atoll(f->scan), &done);
	ok(r == -EACCES && !done && http_error_permanent(r),
	   "a wrong app key is a permanent error: access refused (r=%d)", r);
	r = DB_QUERY(f->reporter, NULL, "SELECT 1 FROM findings WHERE last_scan_id = $1", f->scan);
	ok(r == 0, "the scan's findings are still there after the failed report");
	test_db_gitlab(s, f);
}

#define DB_TESTS 11

static void run_db(void)
{
	struct fx f = { 0 };
	struct config *cfg = stack_config();
	struct standin s = { 0 };
	char inst[24], *conf = NULL, *pub = NULL, *priv = NULL, *other = NULL, why[256];

	snprintf(inst, sizeof(inst), "%d", 900000 + (int)getpid());
	if (!cfg || db_open(cfg, DB_ROLE_ADMIN, &f.admin) < 0 ||
	    db_open(cfg, DB_ROLE_SCAN, &f.scanner) < 0 || db_open(cfg, DB_ROLE_REPORT, &f.reporter) < 0 ||
	    DB_QUERY(f.admin, NULL, "SELECT 1 FROM integrations LIMIT 0") < 0 ||
	    keyring_load(cfg, &f.kr, why, sizeof(why)) < 0) {
		skip(DB_TESTS, "no stack (no LETHE_CONFIG or $LETHE_RUN/lethe.conf, or no database)");
		goto out;
	}
	f.cfg = cfg;
	conf = xasprintf("{\"apps\": {\"9\": {\"public_key\": \"app.pub\"}}, \"installations\": "
			 "{\"%s\": {\"app_id\": \"9\", \"account\": \"acme\", \"repositories\": "
			 "[\"app\"], \"permissions\": {\"contents\": \"read\", \"checks\": \"write\", "
			 "\"pull_requests\": \"write\"}}}, \"tokens\": {\"gl-report\": {\"provider\": "
			 "\"gitlab\", \"repos\": [\"acme/app\"], \"scopes\": [\"api\"]}}}", inst);
	if (standin_start(&s, conf) < 0) {
		skip(DB_TESTS, "the stand-in VCS API needs /usr/bin/python3");
		goto out;
	}
	pub = xasprintf("%s/app.pub", s.dir);
	priv = gen_key(pub);
	other = gen_key(NULL);
	test_db(&s, inst, priv, other, &f);
out:
	if (f.admin && f.org[0])
		DB_QUERY(f.admin, NULL, "DELETE FROM orgs WHERE id = $1", f.org);
	standin_stop(&s);
	keyring_free(f.kr);
	db_free(f.reporter);
	db_free(f.scanner);
	db_free(f.admin);
	config_free(cfg);
	free(conf);
	free(pub);
	free(priv);
	free(other);
}

int main(void)
{
	struct standin s = { 0 };
	struct github_app app;
	char *priv, *pub;

	plan(7 + 4 + 6 + 12 + 4 + DB_TESTS);
	test_text();
	test_text_limits();
	test_text_hostile();
	if (standin_start(&s, "{\"apps\": {\"9\": {\"public_key\": \"app.pub\"}}, "
			  "\"installations\": {\"5\": {\"app_id\": \"9\", \"account\": \"acme\", "
			  "\"repositories\": [\"app\"], \"permissions\": {\"contents\": \"read\", "
			  "\"checks\": \"write\", \"statuses\": \"write\", "
			  "\"pull_requests\": \"write\"}}}, \"tokens\": {"
			  "\"mallory-token\": {\"provider\": \"github\", \"repos\": [\"acme/app\"], "
			  "\"scopes\": [\"repo\"], \"user\": \"mallory\"}, "
			  "\"lethe-token\": {\"provider\": \"github\", \"repos\": [\"acme/app\"], "
			  "\"scopes\": [\"repo\"], \"user\": \"lethe-reporter\"}}}") == 0) {
		pub = xasprintf("%s/app.pub", s.dir);
		priv = gen_key(pub);
		app_init(&app, &s, priv);
		test_github(&s, &app);
		test_hijack(&s, &app);
		github_app_release(&app);
		free(priv);
		free(pub);
	} else {
		skip(12 + 4, "the stand-in VCS API needs /usr/bin/python3");
	}
	standin_stop(&s);
	run_db();
	return tap_exit();
}
