/*
 * ghinstall_test - GitHub App installation events connect and disconnect
 * repositories, verified against the app's secret first; run as the
 * lethe_hook role on the local stack (skipped without one).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "ghinstall.h"
#include "http.h"
#include "keys.h"
#include "stack.h"
#include "tap.h"
#include "util.h"
#include "webhook.h"

#define APP  "31"
#define WEB  "https://github.example"

struct fx {
	struct db *admin, *hook;
	struct keyring *kr;
	char org[24], integ[24], inst[24], old[24];
	char secret[65];
	char other_org[24], other_inst[24], other_secret[65];	/* another tenant of the app */
};

static int one(struct db *db, char *out, const char *sql, int n, const char *const *p)
{
	PGresult *res = NULL;
	int r = db_exec(db, &res, sql, n, p);

	if (r == 0 && PQntuples(res) == 1 && out)
		snprintf(out, 24, "%s", db_value(res, 0, 0) ? db_value(res, 0, 0) : "");
	else if (r == 0 && out)
		r = -ENOENT;
	if (r == -EIO)
		diag("%s", db_error(db));
	PQclear(res);
	return r;
}
#define ONE(db, out, sql, ...) \
	one((db), (out), (sql), DB_NARGS(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ })

/*
 * An org (named after tag) with a github-app integration of APP for
 * installation inst, its own random webhook secret sealed in it.
 */
static int tenant_add(struct fx *f, const char *tag, const char *inst, char *org, char *integ,
		      char *secret)
{
	unsigned char raw[32];
	char name[48], *blob = NULL;
	int r;

	crypto_random(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), secret);
	snprintf(name, sizeof(name), "ghinstall-%s%d", tag, (int)getpid());
	r = ONE(f->admin, org, "INSERT INTO orgs (name) VALUES ($1) RETURNING id", name);
	if (r == 0)
		r = orgkey_create(f->admin, f->kr, atoll(org));
	if (r == 0)
		r = ONE(f->admin, integ, "INSERT INTO integrations (org_id, provider, kind, app_id, "
			"installation_id) VALUES ($1, 'github', 'github-app', '" APP "', $2) "
			"RETURNING id", org, inst);
	if (r == 0)
		r = secret_seal(f->admin, f->kr, atoll(org), "integrations", "webhook_secret_enc",
				atoll(integ), secret, strlen(secret), &blob);
	if (r == 0)
		r = ONE(f->admin, NULL, "UPDATE integrations SET webhook_secret_enc = $1 WHERE id = $2",
			blob, integ);
	free(blob);
	return r;
}

static int setup(struct fx *f)
{
	char hook[40];
	int r;

	snprintf(hook, sizeof(hook), "ghinstallhook%011d", (int)getpid());
	snprintf(f->inst, sizeof(f->inst), "%d", 700000 + (int)getpid());
	r = tenant_add(f, "", f->inst, f->org, f->integ, f->secret);
	if (r == 0)
		r = ONE(f->admin, f->old, "INSERT INTO repositories (org_id, integration_id, provider, "
			"full_name, clone_url, hook_id) VALUES ($1, $2, 'github', 'acme/old', "
			"'" WEB "/acme/old.git', $3) RETURNING id", f->org, f->integ, hook);
	if (r == 0)
		r = ONE(f->admin, NULL, "WITH s AS (INSERT INTO scans (org_id, repository_id, "
			"commit_sha, state) VALUES ($1, $2, '0123456789abcdef0123456789abcdef01234567', "
			"'complete') RETURNING id) INSERT INTO findings (org_id, repository_id, branch, "
			"fingerprint, tool, rule_id, level, path, message, first_scan_id, last_scan_id) "
			"SELECT $1, $2, 'main', '0123456789abcdef', 'cppcheck', 'r', 'note', 'a.c', "
			"'m', s.id, s.id FROM s", f->org, f->old);
	return r;
}

/* Another org with its own integration of the same (public) app and its own secret. */
static int setup_other(struct fx *f)
{
	char integ[24];

	snprintf(f->other_inst, sizeof(f->other_inst), "%d", 800000 + (int)getpid());
	return tenant_add(f, "other-", f->other_inst, f->other_org, integ, f->other_secret);
}

static int deliver(struct fx *f, const char *event, const char *body, const char *secret,
		   struct ghinstall_result *res, char *why)
{
	unsigned char mac[32];
	char hex[65], sig[80];
	struct webhook_headers h = { .event = event, .delivery = "d", .signature = sig };

	crypto_hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
	hex_encode(mac, sizeof(mac), hex);
	snprintf(sig, sizeof(sig), "sha256=%s", hex);
	return ghinstall_handle(f->hook, f->kr, APP, &h, body, strlen(body), WEB, res, why, 200);
}

static int count(struct fx *f, const char *sql)
{
	char n[24] = "";

	if (ONE(f->admin, n, sql, f->org) < 0)
		return -1;
	return atoi(n);
}

static void run(struct fx *f)
{
	struct ghinstall_result res;
	char why[200], *ev;
	int r;

	ev = xasprintf("{\"action\": \"created\", \"installation\": {\"id\": %s}, \"repositories\": "
		       "[{\"id\": 1, \"full_name\": \"acme/app\"}, {\"id\": 2, \"full_name\": "
		       "\"acme/web\"}]}", f->inst);
	r = deliver(f, "installation", ev, "not the secret", &res, why);
	ok(r == -EACCES && count(f, "SELECT count(*) FROM repositories WHERE org_id = $1") == 1,
	   "a wrong signature is refused and changes nothing (%s)", why);
	r = deliver(f, "installation", ev, f->secret, &res, why);
	ok(r == 0 && res.gi_connected == 2 &&
	   count(f, "SELECT count(*) FROM repositories WHERE org_id = $1 AND clone_url = '"
		 WEB "/acme/app.git'") == 1,
	   "installation created connects its two repositories (r=%d %s)", r, r ? why : "");
	ok(count(f, "SELECT count(*) FROM audit_events WHERE org_id = $1 AND "
		 "action = 'installation.connect' AND details->>'repositories' = '2'") == 1,
	   "with an audit event");
	free(ev);

	ev = xasprintf("{\"action\": \"removed\", \"installation\": {\"id\": %s}, "
		       "\"repositories_removed\": [{\"full_name\": \"acme/web\"}]}", f->inst);
	r = deliver(f, "installation_repositories", ev, f->secret, &res, why);
	ok(r == 0 && res.gi_deleted == 1 &&
	   count(f, "SELECT count(*) FROM repositories WHERE org_id = $1") == 2,
	   "a repository removed from the installation is deleted (r=%d)", r);
	free(ev);

	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": 999%s}}", f->inst);
	r = deliver(f, "installation", ev, f->secret, &res, why);
	ok(r == -ENOENT, "an unknown installation is a clear error: %s", why);
	free(ev);

	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}}", f->inst);
	r = deliver(f, "installation", ev, f->other_secret, &res, why);
	ok(r == -EACCES && count(f, "SELECT count(*) FROM repositories WHERE org_id = $1") == 2,
	   "another tenant of the same app cannot uninstall this installation: %s", why);
	free(ev);
	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}, "
		       "\"install\\u0061tion\": {\"id\": %s}}", f->other_inst, f->inst);
	r = deliver(f, "installation", ev, f->other_secret, &res, why);
	ok(r == -EPROTO && count(f, "SELECT count(*) FROM repositories WHERE org_id = $1") == 2 &&
	   count(f, "SELECT count(*) FROM integrations WHERE org_id = $1") == 1,
	   "nor by naming it a second time, where only the parser sees it: %s", why);
	free(ev);
	r = deliver(f, "installation", "{\"action\": \"deleted\", \"x\": [1, 2", f->secret, &res, why);
	ok(r == -EACCES, "a body without a readable installation id is refused unverified: %s", why);

	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}}", f->inst);
	r = deliver(f, "installation", ev, f->secret, &res, why);
	ok(r == 0 && res.gi_deleted == 2 &&
	   count(f, "SELECT count(*) FROM repositories WHERE org_id = $1") == 0 &&
	   count(f, "SELECT count(*) FROM integrations WHERE org_id = $1") == 0,
	   "uninstalling removes every repository and the integration (r=%d)", r);
	ok(count(f, "SELECT count(*) FROM audit_events WHERE org_id = $1 AND "
		 "action = 'installation.delete' AND details->>'repositories' = '2' AND "
		 "details->>'scans' = '1' AND details->>'findings' = '1'") == 1,
	   "the audit event counts what went with them");
	free(ev);

	r = deliver(f, "installation", "[1, 2", f->secret, &res, why);
	ok(r == -EACCES, "after the uninstall no secret is left to verify with (r=%d)", r);
}

/* The same through the stack: nginx, lethe-hook, its github-app route. */
static long post(const char *event, const char *body, const char *secret)
{
	const char *base = getenv("LETHE_URL");
	unsigned char mac[32];
	char hex[65], sig[100], ev[64], *url = xasprintf("%s/hooks/github-app", base ? base : "");
	const char *hdrs[] = { sig, ev, "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958",
			       "X-GitHub-Hook-Installation-Target-ID: " APP, NULL };
	struct http_req rq = { .rq_method = "POST", .rq_url = url, .rq_headers = hdrs,
			       .rq_body = json_tokener_parse(body) };
	struct http_client hc;
	struct http_resp rs;
	const char *sent = json_object_to_json_string_ext(rq.rq_body, JSON_C_TO_STRING_PLAIN);

	crypto_hmac_sha256(secret, strlen(secret), sent, strlen(sent), mac);
	hex_encode(mac, sizeof(mac), hex);
	snprintf(sig, sizeof(sig), "X-Hub-Signature-256: sha256=%s", hex);
	snprintf(ev, sizeof(ev), "X-GitHub-Event: %s", event);
	http_client_init(&hc);
	hc.hc_retries = 0;
	http_request(&hc, &rq, &rs);
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	free(url);
	return rs.rs_status;
}

static void run_http(struct fx *f)
{
	char *ev = xasprintf("{\"action\": \"created\", \"installation\": {\"id\": %s}, "
			     "\"repositories\": [{\"id\": 5, \"full_name\": \"acme/api\"}]}", f->inst);
	long st;

	if (!getenv("LETHE_URL")) {
		skip(3, "no LETHE_URL: the stack's env is not sourced");
		free(ev);
		return;
	}
	st = post("installation", ev, "wrong");
	ok(st == 401, "POST /hooks/github-app with a wrong signature: %ld", st);
	st = post("installation", ev, f->secret);
	ok(st == 200 && count(f, "SELECT count(*) FROM repositories WHERE org_id = $1 AND "
			      "full_name = 'acme/api'") == 1,
	   "POST /hooks/github-app installation created: %ld, repository connected", st);
	free(ev);
	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}}", f->inst);
	st = post("installation", ev, f->secret);
	ok(st == 200 && count(f, "SELECT count(*) FROM repositories WHERE org_id = $1") == 0,
	   "POST /hooks/github-app installation deleted: %ld, repositories gone", st);
	free(ev);
}

#define TESTS 16

int main(void)
{
	struct config *cfg = stack_config();
	struct fx f = { 0 };
	char why[256];

	plan(TESTS);
	if (!cfg || db_open(cfg, DB_ROLE_ADMIN, &f.admin) < 0 ||
	    db_open(cfg, DB_ROLE_HOOK, &f.hook) < 0 ||
	    DB_QUERY(f.hook, NULL, "SELECT 1 FROM scan_findings LIMIT 0") < 0 ||
	    keyring_load(cfg, &f.kr, why, sizeof(why)) < 0) {
		skip(TESTS, "no stack with migration 070 (no LETHE_CONFIG or $LETHE_RUN/lethe.conf)");
		goto out;
	}
	if (ok(setup(&f) == 0, "an org with a github-app integration and a scanned repository"))
		run_http(&f);
	else
		skip(3, "no fixture");
	if (f.org[0])
		ONE(f.admin, NULL, "DELETE FROM orgs WHERE id = $1", f.org);
	f.org[0] = '\0';
	if (ok(setup(&f) == 0 && setup_other(&f) == 0,
	       "the same again for the library calls, and another org using the same app"))
		run(&f);
	else
		skip(TESTS - 5, "no fixture");
out:
	if (f.admin && f.other_org[0])
		ONE(f.admin, NULL, "DELETE FROM orgs WHERE id = $1", f.other_org);
	if (f.admin && f.org[0])
		ONE(f.admin, NULL, "DELETE FROM orgs WHERE id = $1", f.org);
	keyring_free(f.kr);
	db_free(f.hook);
	db_free(f.admin);
	config_free(cfg);
	OPENSSL_cleanse(f.secret, sizeof(f.secret));
	OPENSSL_cleanse(f.other_secret, sizeof(f.other_secret));
	return tap_exit();
}
