/*
 * ghinstall_test - GitHub App installation events are verified against
 * the app's secret and recorded as the lethe_hook role, then applied as
 * lethe_drain: they connect and disconnect repositories.  The library
 * calls run in a private database of the local stack (its jobs loop runs
 * lethe-drain too), the HTTP ones through the stack (skipped without one).
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
#include "installation.h"
#include "keys.h"
#include "stack.h"
#include "tap.h"
#include "util.h"
#include "webhook.h"

#define APP  "31"
#define WEB  "https://github.example"

struct fx {
	struct db *admin, *hook, *drain;
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

/* Record body as delivered with id delivery; *res as ghinstall_record leaves it. */
static int deliver_as(struct fx *f, const char *event, const char *delivery, const char *body,
		      const char *secret, struct ghinstall_result *res, char *why)
{
	unsigned char mac[32];
	char hex[65], sig[80];
	struct webhook_headers h = { .event = event, .delivery = delivery, .signature = sig };

	crypto_hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
	hex_encode(mac, sizeof(mac), hex);
	snprintf(sig, sizeof(sig), "sha256=%s", hex);
	return ghinstall_record(f->hook, f->kr, APP, &h, body, strlen(body), res, why, 200);
}

/* The same with a delivery id of its own. */
static int deliver(struct fx *f, const char *event, const char *body, const char *secret,
		   struct ghinstall_result *res, char *why)
{
	static int n;
	char id[40];

	snprintf(id, sizeof(id), "delivery-%d-%d", (int)getpid(), ++n);
	return deliver_as(f, event, id, body, secret, res, why);
}

static int count(struct fx *f, const char *sql)
{
	char n[24] = "";

	if (ONE(f->admin, n, sql, f->org) < 0)
		return -1;
	return atoi(n);
}

#define REPOS "SELECT count(*) FROM repositories WHERE org_id = $1"
#define QUEUED "SELECT count(*) FROM installation_events WHERE org_id = $1 AND state = 'queued'"

/* Apply one event as lethe-drain: installation_apply_next's return. */
static int apply(struct fx *f, struct installation_result *in)
{
	return installation_apply_next(f->drain, "https://github.example/api/v3", in);
}

static void run_record(struct fx *f)
{
	struct ghinstall_result res, again;
	struct installation_result in;
	char why[200], *ev;
	int r;

	ev = xasprintf("{\"action\": \"created\", \"installation\": {\"id\": %s}, \"repositories\": "
		       "[{\"id\": 1, \"full_name\": \"acme/app\"}, {\"id\": 2, \"full_name\": "
		       "\"acme/web\"}]}", f->inst);
	r = deliver(f, "installation", ev, "not the secret", &res, why);
	ok(r == -EACCES && count(f, "SELECT count(*) FROM installation_events WHERE org_id = $1") == 0,
	   "a wrong signature is refused and records nothing (%s)", why);
	r = deliver_as(f, "installation", "created-1", ev, f->secret, &res, why);
	ok(r == 0 && res.gi_event_id > 0 && !res.gi_duplicate && count(f, REPOS) == 1 &&
	   count(f, QUEUED) == 1,
	   "installation created is recorded, and the hook connects nothing (r=%d %s)", r, r ? why : "");
	r = deliver_as(f, "installation", "created-1", ev, f->secret, &again, why);
	ok(r == 0 && again.gi_duplicate && again.gi_event_id == res.gi_event_id &&
	   count(f, "SELECT count(*) FROM installation_events WHERE org_id = $1") == 1,
	   "the same delivery again is a duplicate of it (r=%d)", r);
	r = apply(f, &in);
	ok(r == 1 && in.in_event == res.gi_event_id && !strcmp(in.in_state, "applied") &&
	   in.in_connected == 2 && count(f, "SELECT count(*) FROM repositories WHERE org_id = $1 "
					 "AND clone_url = '" WEB "/acme/app.git'") == 1,
	   "lethe-drain applies it: two repositories connected (r=%d %s)", r, in.in_reason);
	ok(count(f, "SELECT count(*) FROM audit_events WHERE org_id = $1 AND "
		 "action = 'installation.connect' AND details->>'repositories' = '2'") == 1 &&
	   count(f, "SELECT count(*) FROM installation_events WHERE org_id = $1 AND "
		 "state = 'applied' AND connected = 2 AND applied_at IS NOT NULL") == 1,
	   "with an audit event, and the event's outcome recorded");
	ok(apply(f, &in) == 0, "then nothing is left to apply");
	free(ev);

	r = DB_QUERY(f->hook, NULL, "DELETE FROM repositories WHERE org_id = $1", f->org);
	ok(r == -EIO && !strcmp(db_sqlstate(f->hook), "42501"),
	   "lethe_hook may not delete a repository itself (%s)", db_sqlstate(f->hook));

	ev = xasprintf("{\"action\": \"removed\", \"installation\": {\"id\": %s}, "
		       "\"repositories_removed\": [{\"full_name\": \"acme/web\"}]}", f->inst);
	r = deliver(f, "installation_repositories", ev, f->secret, &res, why);
	ok(r == 0 && apply(f, &in) == 1 && in.in_deleted == 1 && count(f, REPOS) == 2,
	   "a repository removed from the installation is deleted (r=%d)", r);
	free(ev);
}

static void run_refuse(struct fx *f)
{
	struct ghinstall_result res;
	char why[200], *ev;
	int r;

	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": 999%s}}", f->inst);
	r = deliver(f, "installation", ev, f->secret, &res, why);
	ok(r == -ENOENT, "an unknown installation is a clear error: %s", why);
	free(ev);

	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}}", f->inst);
	r = deliver(f, "installation", ev, f->other_secret, &res, why);
	ok(r == -EACCES && count(f, QUEUED) == 0,
	   "another tenant of the same app cannot uninstall this installation: %s", why);
	free(ev);
	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}, "
		       "\"install\\u0061tion\": {\"id\": %s}}", f->other_inst, f->inst);
	r = deliver(f, "installation", ev, f->other_secret, &res, why);
	ok(r == -EPROTO && count(f, QUEUED) == 0 &&
	   count(f, "SELECT count(*) FROM installation_events WHERE org_id <> $1") == 0,
	   "nor by naming it a second time, where only the parser sees it: %s", why);
	free(ev);
	r = deliver(f, "installation", "{\"action\": \"deleted\", \"x\": [1, 2", f->secret, &res, why);
	ok(r == -EACCES, "a body without a readable installation id is refused unverified: %s", why);
	ev = xasprintf("{\"action\": \"added\", \"installation\": {\"id\": %s}, "
		       "\"repositories_added\": [{\"full_name\": \"no-owner\"}]}", f->inst);
	r = deliver(f, "installation_repositories", ev, f->secret, &res, why);
	ok(r == -EBADMSG && count(f, QUEUED) == 0,
	   "a repository without a valid name: verified, not recorded: %s", why);
	free(ev);
	ev = xasprintf("{\"action\": \"suspend\", \"installation\": {\"id\": %s}}", f->inst);
	r = deliver(f, "installation", ev, f->secret, &res, why);
	ok(r == 0 && res.gi_ignored && count(f, QUEUED) == 0, "another action is ignored (r=%d)", r);
	free(ev);
}

static void run_uninstall(struct fx *f)
{
	struct ghinstall_result del, later;
	struct installation_result in;
	char why[200], *ev, *add;
	int r;

	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}}", f->inst);
	add = xasprintf("{\"action\": \"added\", \"installation\": {\"id\": %s}, "
			"\"repositories_added\": [{\"id\": 9, \"full_name\": \"acme/late\"}]}", f->inst);
	r = deliver(f, "installation", ev, f->secret, &del, why);
	if (r == 0)
		r = deliver(f, "installation_repositories", add, f->secret, &later, why);
	ok(r == 0 && count(f, QUEUED) == 2, "an uninstall, then an addition, recorded (r=%d %s)", r,
	   r ? why : "");
	ONE(f->admin, NULL, "BEGIN");
	ONE(f->admin, NULL, "SELECT 1 FROM installation_events WHERE org_id = $1 AND state = "
	    "'queued' ORDER BY id LIMIT 1 FOR UPDATE", f->org);
	ok(apply(f, &in) == 0, "while another drain holds the uninstall, the addition waits for it");
	ONE(f->admin, NULL, "ROLLBACK");
	r = apply(f, &in);
	ok(r == 1 && in.in_event == del.gi_event_id && in.in_deleted == 2 && count(f, REPOS) == 0 &&
	   count(f, "SELECT count(*) FROM integrations WHERE org_id = $1") == 0,
	   "uninstalling removes every repository and the integration (r=%d)", r);
	ok(count(f, "SELECT count(*) FROM audit_events WHERE org_id = $1 AND "
		 "action = 'installation.delete' AND details->>'repositories' = '2' AND "
		 "details->>'scans' = '1' AND details->>'findings' = '1'") == 1,
	   "the audit event counts what went with them");
	r = apply(f, &in);
	ok(r == 1 && in.in_event == later.gi_event_id && !strcmp(in.in_state, "ignored") &&
	   count(f, REPOS) == 0, "the addition that came after it is ignored: %s", in.in_reason);
	free(ev);
	free(add);

	r = deliver(f, "installation", "[1, 2", f->secret, &del, why);
	ok(r == -EACCES, "after the uninstall no secret is left to verify with (r=%d)", r);
}

/* The same through the stack: nginx, lethe-hook, its github-app route. */
static long post(const char *event, const char *body, const char *secret)
{
	const char *base = getenv("LETHE_URL");
	unsigned char mac[32];
	char hex[65], sig[100], ev[64], id[80], *url = xasprintf("%s/hooks/github-app", base ? base : "");
	const char *hdrs[] = { sig, ev, id, "X-GitHub-Hook-Installation-Target-ID: " APP, NULL };
	struct http_req rq = { .rq_method = "POST", .rq_url = url, .rq_headers = hdrs,
			       .rq_body = json_tokener_parse(body) };
	struct http_client hc;
	struct http_resp rs;
	const char *sent = json_object_to_json_string_ext(rq.rq_body, JSON_C_TO_STRING_PLAIN);
	static int n;

	crypto_hmac_sha256(secret, strlen(secret), sent, strlen(sent), mac);
	hex_encode(mac, sizeof(mac), hex);
	snprintf(sig, sizeof(sig), "X-Hub-Signature-256: sha256=%s", hex);
	snprintf(ev, sizeof(ev), "X-GitHub-Event: %s", event);
	snprintf(id, sizeof(id), "X-GitHub-Delivery: http-%d-%d", (int)getpid(), ++n);
	http_client_init(&hc);
	hc.hc_retries = 0;
	http_request(&hc, &rq, &rs);
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	free(url);
	return rs.rs_status;
}

/* Apply what is queued (the stack's own drain may be at it too): 0 once nothing of the org is. */
static int settle(struct fx *f)
{
	struct installation_result in;

	for (int i = 0; i < 100; i++) {
		while (apply(f, &in) > 0)
			;
		if (count(f, QUEUED) == 0)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
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
	ok(st == 202 && settle(f) == 0 && count(f, "SELECT count(*) FROM repositories WHERE "
						 "org_id = $1 AND full_name = 'acme/api'") == 1,
	   "POST /hooks/github-app installation created: %ld, then repository connected", st);
	free(ev);
	ev = xasprintf("{\"action\": \"deleted\", \"installation\": {\"id\": %s}}", f->inst);
	st = post("installation", ev, f->secret);
	ok(st == 202 && settle(f) == 0 && count(f, REPOS) == 0,
	   "POST /hooks/github-app installation deleted: %ld, then repositories gone", st);
	free(ev);
}

static int fx_open(struct fx *f, const struct config *cfg)
{
	char why[256];

	return db_open(cfg, DB_ROLE_ADMIN, &f->admin) < 0 || db_open(cfg, DB_ROLE_HOOK, &f->hook) < 0 ||
	       db_open(cfg, DB_ROLE_DRAIN, &f->drain) < 0 ||
	       DB_QUERY(f->hook, NULL, "SELECT 1 FROM installation_events LIMIT 0") < 0 ||
	       keyring_load(cfg, &f->kr, why, sizeof(why)) < 0 ? -1 : 0;
}

static void fx_close(struct fx *f)
{
	if (f->admin && f->other_org[0])
		ONE(f->admin, NULL, "DELETE FROM orgs WHERE id = $1", f->other_org);
	if (f->admin && f->org[0])
		ONE(f->admin, NULL, "DELETE FROM orgs WHERE id = $1", f->org);
	keyring_free(f->kr);
	db_free(f->drain);
	db_free(f->hook);
	db_free(f->admin);
	memset(f, 0, sizeof(*f));
}

#define TESTS 25

int main(void)
{
	struct config *cfg = stack_config(), *own = NULL;
	struct fx f = { 0 };
	char name[48], why[256], *path = NULL;

	plan(TESTS);
	snprintf(name, sizeof(name), "lethe_unit_ghinstall_%d", (int)getpid());
	if (!cfg || fx_open(&f, cfg) < 0) {
		skip(TESTS, "no stack with migration 200 (no LETHE_CONFIG or $LETHE_RUN/lethe.conf)");
		goto out;
	}
	if (ok(setup(&f) == 0, "an org with a github-app integration and a scanned repository"))
		run_http(&f);
	else
		skip(3, "no fixture");
	fx_close(&f);
	path = stack_private_db(name);
	if (!path || config_load(path, &own, why, sizeof(why)) < 0 || fx_open(&f, own) < 0) {
		skip(TESTS - 4, "no private database of the stack");
		goto out;
	}
	if (ok(setup(&f) == 0 && setup_other(&f) == 0,
	       "the same in a database of its own, and another org using the same app")) {
		run_record(&f);
		run_refuse(&f);
		run_uninstall(&f);
	} else {
		skip(TESTS - 5, "no fixture");
	}
out:
	fx_close(&f);
	config_free(own);
	config_free(cfg);
	if (path)
		stack_private_drop(path, name);
	OPENSSL_cleanse(f.secret, sizeof(f.secret));
	OPENSSL_cleanse(f.other_secret, sizeof(f.other_secret));
	return tap_exit();
}
