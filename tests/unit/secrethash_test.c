/*
 * secrethash_test.c - the org-keyed hash of a secret: what lethe-scan puts
 * in place of the plain SHA-256 that lethe-analyze reports, and the per-org
 * key behind it (created on first use, sealed, unchanged by both key
 * rotations).  The database part needs the local stack (LETHE_CONFIG); it
 * uses a master key file of its own in a scratch directory and orgs named
 * shtest-*, removed before and after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "keys.h"
#include "secrethash.h"
#include "util.h"
#include "stack.h"
#include "tap.h"

static char scratch[] = "/tmp/lethe-secrethash-test.XXXXXX";
/* What lethe-analyze would have given as fingerprint. */
#define SANDBOX_FP "1111111111111111111111111111111111111111111111111111111111111111"

/* Hex SHA-256 of s, as lethe-analyze reports a secret. */
static void digest_hex(const char *s, char out[65])
{
	unsigned char md[32];

	crypto_sha256(s, strlen(s), md);
	hex_encode(md, sizeof(md), out);
}

/* Hex HMAC-SHA256(key, raw digest of s), computed here with OpenSSL alone. */
static void keyed_hex(const unsigned char *key, const char *s, char out[65])
{
	unsigned char md[32], mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	crypto_sha256(s, strlen(s), md);
	HMAC(EVP_sha256(), key, 32, md, sizeof(md), mac, &n);
	hex_encode(mac, n, out);
}

static struct sarif_result *add(struct sarif_run *run, const char *path, const char *secret)
{
	struct sarif_result *r = sarif_run_add_result(run);
	char d[65];

	r->rule_id = xstrdup("secrets/generic");
	r->path = xstrdup(path);
	r->fingerprint = xstrdup(SANDBOX_FP);
	if (secret) {
		digest_hex(secret, d);
		r->secret_sha256 = xstrdup(d);
	}
	return r;
}

/* Two results of one secret in two files, one of another, one not a secret. */
static void log_fill(struct sarif_log *log, const char *s1, const char *s2)
{
	struct sarif_run *run;

	sarif_log_init(log);
	run = sarif_log_add_run(log, "lethe-secrets", NULL);
	add(run, "a.py", s1);
	add(run, "b/c.yml", s1);
	add(run, "a.py", s2);
	run = sarif_log_add_run(log, "flawfinder", NULL);
	add(run, "x.c", NULL);
}

static void test_apply(void)
{
	struct secbuf k1 = { 0 }, k2 = { 0 };
	struct sarif_log a, b;
	struct sarif_result *ra, *rb;
	char want[65], plain[65];
	size_t unkeyed = 9;

	if (secbuf_alloc(&k1, 32) < 0 || secbuf_alloc(&k2, 32) < 0)
		abort();
	crypto_random(k1.data, 32);
	crypto_random(k2.data, 32);
	log_fill(&a, "hunter2-in-a-file", "another-secret-value");
	log_fill(&b, "hunter2-in-a-file", "another-secret-value");
	ra = a.runs[0].results;
	rb = b.runs[0].results;
	ok(secrethash_apply(&k1, &a, &unkeyed) == 0 && unkeyed == 0, "every secret is keyed");
	keyed_hex(k1.data, "hunter2-in-a-file", want);
	digest_hex("hunter2-in-a-file", plain);
	ok(ra[0].secret_hash && !strcmp(ra[0].secret_hash, want),
	   "the hash is HMAC-SHA256 of the secret's SHA-256 under the key");
	ok(strcmp(ra[0].secret_hash, plain) != 0 && !ra[0].secret_sha256 && !ra[2].secret_sha256,
	   "it is not the plain digest, which is gone");
	ok(!strcmp(ra[0].secret_hash, ra[1].secret_hash) &&
	   strcmp(ra[0].secret_hash, ra[2].secret_hash) != 0,
	   "the same secret in two files has one hash, another secret another");
	ok(ra[0].fingerprint && ra[1].fingerprint && strcmp(ra[0].fingerprint, ra[1].fingerprint) &&
	   strlen(ra[0].fingerprint) == 64 && strcmp(ra[0].fingerprint, SANDBOX_FP),
	   "the fingerprints are replaced, one per file");
	ok(!a.runs[1].results[0].secret_hash &&
	   !strcmp(a.runs[1].results[0].fingerprint, SANDBOX_FP),
	   "results that are not secrets are left alone");
	secrethash_apply(&k2, &b, NULL);
	ok(strcmp(ra[0].secret_hash, rb[0].secret_hash) && strcmp(ra[0].fingerprint, rb[0].fingerprint),
	   "another org's key gives another hash and fingerprint");
	sarif_log_release(&b);
	log_fill(&b, "hunter2-in-a-file", "another-secret-value");
	secrethash_apply(&k1, &b, NULL);
	ok(!strcmp(ra[0].secret_hash, b.runs[0].results[0].secret_hash) &&
	   !strcmp(ra[0].fingerprint, b.runs[0].results[0].fingerprint),
	   "the same key gives the same hash and fingerprint in a later scan");
	sarif_log_release(&b);
	log_fill(&b, "s1", "s2");
	free(b.runs[0].results[1].secret_sha256);
	b.runs[0].results[1].secret_sha256 = xstrdup("not hex");
	ok(secrethash_apply(&k1, &b, &unkeyed) == -EIO && unkeyed == 1 &&
	   !b.runs[0].results[1].secret_hash && !b.runs[0].results[1].fingerprint &&
	   !b.runs[0].results[1].secret_sha256 && b.runs[0].results[0].secret_hash,
	   "a digest that cannot be keyed leaves its result with neither hash nor fingerprint");
	sarif_log_release(&b);
	log_fill(&b, "s1", "s2");
	secrethash_drop(&b, &unkeyed);
	ok(unkeyed == 3 && !b.runs[0].results[0].secret_sha256 && !b.runs[0].results[0].secret_hash &&
	   !b.runs[0].results[0].fingerprint && b.runs[1].results[0].fingerprint,
	   "without a key, digests and their fingerprints are dropped, nothing else");
	sarif_log_release(&b);
	sarif_log_release(&a);
	secbuf_release(&k1);
	secbuf_release(&k2);
}

/* --- with a database --- */

struct fixture {
	struct db *admin, *jobs, *api;
	struct keyring *kr;
	char *keypath;
	int64_t org_a, org_b, org_c;	/* org_c has no data key */
};

static int64_t org_new(struct fixture *f, const char *suffix, int with_key)
{
	PGresult *res;
	char name[64];
	int64_t id = 0;

	snprintf(name, sizeof(name), "shtest-%d-%s", (int)getpid(), suffix);
	if (DB_QUERY(f->admin, &res, "INSERT INTO lethe.orgs (name) VALUES ($1) RETURNING id",
		     name) < 0)
		return 0;
	id = db_int(res, 0, 0);
	PQclear(res);
	if (with_key && orgkey_create(f->admin, f->kr, id) < 0)
		return 0;
	return id;
}

/* The org's key as hex (lethe_scan, as lethe-scan), or "" with the error in *r. */
static void key_hex(struct fixture *f, struct keyring *kr, int64_t org, char out[65], int *r)
{
	struct secbuf key = { 0 };

	*out = '\0';
	*r = secrethash_key(f->jobs, kr, org, &key);
	if (*r == 0)
		hex_encode(key.data, key.len, out);
	secbuf_release(&key);
}

static int rows(struct fixture *f, int64_t org)
{
	PGresult *res;
	char o[24];
	int n = -1;

	i64s(org, o);
	if (DB_QUERY(f->admin, &res, "SELECT count(*) FROM lethe.secret_hash_keys WHERE org_id = $1",
		     o) == 0) {
		n = (int)db_int(res, 0, 0);
		PQclear(res);
	}
	return n;
}

/* An org key rotation in its own transaction, within the org (as the API does). */
static int rotate(struct db *db, const struct keyring *kr, int64_t org,
		  struct orgkey_rotation *rot)
{
	int r = db_begin(db);

	if (r == 0)
		r = db_set_org(db, org);
	if (r == 0)
		r = orgkey_rotate(db, kr, org, rot);
	if (r == 0)
		return db_commit(db);
	db_rollback(db);
	return r;
}

static void test_rotations(struct fixture *f, const char *ka)
{
	struct orgkey_rotation rot;
	struct keyring *kr2 = NULL;
	char again[65], why[512];
	int r, r2, n = 0, v = 0, used[] = { 2 }, dropped = 0;

	r = rotate(f->admin, f->kr, f->org_a, &rot);
	ok(r == 0 && rot.count == 1, "an org key rotation re-seals the secret hash key (%d %s)", r,
	   rot.why);
	key_hex(f, f->kr, f->org_a, again, &r);
	ok(r == 0 && !strcmp(again, ka), "after it the org's secret hash key is the same");
	r = rotate(f->api, f->kr, f->org_a, &rot);
	key_hex(f, f->kr, f->org_a, again, &r2);
	ok(r == 0 && rot.count == 1 && rot.new_version == 3 && r2 == 0 && !strcmp(again, ka),
	   "so it is after a rotation by an owner through the API's role (%d %d)", r, r2);
	r = keys_master_add(f->keypath, &v, why, sizeof(why));
	if (r == 0)
		r = keyring_load_path(f->keypath, &kr2, why, sizeof(why));
	if (r == 0)
		r = orgkey_rewrap(f->admin, kr2, f->org_a, &n);
	if (r == 0 && n == 3)	/* org A's two retired versions and its active one */
		r = orgkey_rewrap(f->admin, kr2, f->org_b, &n);
	if (r == 0)
		r = keys_master_retain(f->keypath, used, 1, &dropped, why, sizeof(why));
	keyring_free(kr2);
	kr2 = NULL;
	if (r == 0)
		r = keyring_load_path(f->keypath, &kr2, why, sizeof(why));
	if (r == 0)
		key_hex(f, kr2, f->org_a, again, &r);
	ok(r == 0 && n == 1 && dropped == 1 && !strcmp(again, ka),
	   "after a master key rotation, with the new master key alone, it is the same (%d)", r);
	keyring_free(kr2);
}

static void test_keys(struct fixture *f)
{
	char ka[65], ka2[65], kb[65];
	int r, r2, rb;

	key_hex(f, f->kr, f->org_a, ka, &r);
	ok(r == 0 && strlen(ka) == 64 && rows(f, f->org_a) == 1,
	   "the first use creates the org's secret hash key, as lethe_scan (%d)", r);
	key_hex(f, f->kr, f->org_a, ka2, &r2);
	key_hex(f, f->kr, f->org_b, kb, &rb);
	ok(r2 == 0 && !strcmp(ka, ka2) && rows(f, f->org_a) == 1, "the next use reads the same key");
	ok(rb == 0 && strcmp(ka, kb) != 0, "another org gets another key");
	key_hex(f, f->kr, f->org_c, kb, &r);
	ok(r == -ENOENT && rows(f, f->org_c) == 0, "an org without a data key gets none (%d)", r);
	test_rotations(f, ka);
}

static void cleanup_orgs(struct db *db)
{
	DB_QUERY(db, NULL, "DELETE FROM lethe.orgs WHERE name LIKE 'shtest-%'");
}

static void test_db(const struct config *cfg)
{
	struct fixture f = { 0 };
	char why[512];

	if (db_open(cfg, DB_ROLE_ADMIN, &f.admin) < 0 || db_open(cfg, DB_ROLE_SCAN, &f.jobs) < 0 ||
	    db_open(cfg, DB_ROLE_API, &f.api) < 0 ||
	    DB_QUERY(f.admin, NULL, "SELECT 1 FROM lethe.secret_hash_keys LIMIT 0") < 0) {
		skip(1, "no stack (database or schema unreachable)");
		goto out;
	}
	if (!mkdtemp(scratch))
		abort();
	f.keypath = xasprintf("%s/master.key", scratch);
	if (keys_master_init(f.keypath) < 0 ||
	    keyring_load_path(f.keypath, &f.kr, why, sizeof(why)) < 0)
		abort();
	cleanup_orgs(f.admin);
	f.org_a = org_new(&f, "a", 1);
	f.org_b = org_new(&f, "b", 1);
	f.org_c = org_new(&f, "c", 0);
	if (ok(f.org_a && f.org_b && f.org_c, "three orgs, two with a data key"))
		test_keys(&f);
	cleanup_orgs(f.admin);
out:
	keyring_free(f.kr);
	if (f.keypath && (unlink(f.keypath) < 0 || rmdir(scratch) < 0))
		diag("unable to remove '%s'", scratch);
	free(f.keypath);
	db_free(f.api);
	db_free(f.jobs);
	db_free(f.admin);
}

int main(void)
{
	struct config *cfg = stack_config();

	test_apply();
	if (cfg)
		test_db(cfg);
	else
		skip(1, "no stack (no LETHE_CONFIG, no $LETHE_RUN/lethe.conf)");
	config_free(cfg);
	return done_testing();
}
