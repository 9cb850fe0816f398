/*
 * secrethash.c - the org-keyed hash of a leaked secret (see secrethash.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "secrethash.h"
#include "util.h"

#define TABLE "secret_hash_keys"
#define COLUMN "key_enc"
#define FP_DOMAIN "lethe/fingerprint"

static int key_select(struct db *db, const struct keyring *kr, int64_t org_id,
		      struct secbuf *key)
{
	PGresult *res = NULL;
	char org[24];
	int r;

	i64s(org_id, org);
	r = DB_QUERY(db, &res, "SELECT id, key_enc FROM lethe.secret_hash_keys WHERE org_id = $1",
		     org);
	if (r == 0 && PQntuples(res) != 1)
		r = -ENOENT;
	if (r == 0)
		r = secret_open(db, kr, org_id, TABLE, COLUMN, db_int(res, 0, 0),
				db_value(res, 0, 1), key);
	if (r == 0 && key->len != CRYPTO_KEY_LEN) {
		secbuf_release(key);
		r = -EBADMSG;
	}
	PQclear(res);
	return r;
}

/* A new random key for org_id, sealed for the row id it will have. */
static int key_insert(struct db *db, const struct keyring *kr, int64_t org_id)
{
	struct secbuf key = { 0 };
	PGresult *res = NULL;
	char org[24], *blob = NULL;
	int r;

	i64s(org_id, org);
	r = db_exec(db, &res, "SELECT nextval('lethe.secret_hash_keys_id_seq')", 0, NULL);
	if (r == 0)
		r = secbuf_alloc(&key, CRYPTO_KEY_LEN);
	if (r == 0)
		r = crypto_random(key.data, key.len);
	if (r == 0)
		r = secret_seal(db, kr, org_id, TABLE, COLUMN, db_int(res, 0, 0), key.data,
				key.len, &blob);
	secbuf_release(&key);
	if (r == 0)
		r = DB_QUERY(db, NULL, "INSERT INTO lethe.secret_hash_keys (id, org_id, key_enc) "
			     "VALUES ($1, $2, $3) ON CONFLICT (org_id) DO NOTHING",
			     db_value(res, 0, 0), org, blob);
	free(blob);
	PQclear(res);
	return r;
}

int secrethash_key(struct db *db, const struct keyring *kr, int64_t org_id,
		   struct secbuf *key)
{
	int r = key_select(db, kr, org_id, key);

	if (r == -ENOENT) {
		r = key_insert(db, kr, org_id);
		if (r == 0)
			r = key_select(db, kr, org_id, key);
	}
	return r;
}

static void fingerprint_forget(struct sarif_result *r)
{
	if (r->fingerprint)
		OPENSSL_cleanse(r->fingerprint, strlen(r->fingerprint));
	free(r->fingerprint);
	r->fingerprint = NULL;
}

static void forget_digest(struct sarif_result *r)
{
	OPENSSL_cleanse(r->secret_sha256, strlen(r->secret_sha256));
	free(r->secret_sha256);
	r->secret_sha256 = NULL;
	fingerprint_forget(r);	/* derived from the digest */
}

/* HMAC-SHA256(key, digest) as hex into r->secret_hash; false on failure. */
static bool key_result(const struct secbuf *key, const char *tool, struct sarif_result *r)
{
	unsigned char digest[32], mac[32];
	bool ok = hex_decode(r->secret_sha256, digest, sizeof(digest)) == 0 &&
		  crypto_hmac_sha256(key->data, key->len, digest, sizeof(digest), mac) == 0;

	forget_digest(r);
	if (ok) {
		r->secret_hash = xmalloc(65);
		hex_encode(mac, sizeof(mac), r->secret_hash);
		r->fingerprint = xmalloc(65);
		sarif_fingerprint((const char *[]){ tool ? tool : "", r->rule_id ? r->rule_id : "",
						    r->path ? r->path : "", r->secret_hash },
				  4, r->fingerprint);
	}
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

int secrethash_apply(const struct secbuf *key, struct sarif_log *log, size_t *unkeyed)
{
	size_t failed = 0;

	for (size_t i = 0; i < log->nruns; i++) {
		struct sarif_run *run = &log->runs[i];

		for (size_t j = 0; j < run->nresults; j++)
			if (run->results[j].secret_sha256)
				failed += !key_result(key, run->tool, &run->results[j]);
	}
	if (unkeyed)
		*unkeyed = failed;
	return failed ? -EIO : 0;
}

void secrethash_drop(struct sarif_log *log, size_t *count)
{
	size_t n = 0;

	for (size_t i = 0; i < log->nruns; i++)
		for (size_t j = 0; j < log->runs[i].nresults; j++)
			if (log->runs[i].results[j].secret_sha256) {
				forget_digest(&log->runs[i].results[j]);
				n++;
			}
	if (count)
		*count = n;
}

int secrethash_fingerprint(const struct secbuf *key, const char *fp, char out[65])
{
	size_t n = strlen(fp), dn = sizeof(FP_DOMAIN);
	unsigned char mac[32], *in = xmalloc(dn + n);
	int r;

	memcpy(in, FP_DOMAIN, dn);	/* with its NUL */
	memcpy(in + dn, fp, n);
	r = crypto_hmac_sha256(key->data, key->len, in, dn + n, mac);
	if (r == 0)
		hex_encode(mac, sizeof(mac), out);
	OPENSSL_cleanse(mac, sizeof(mac));
	free(in);
	return r;
}

int secrethash_fingerprints(const struct secbuf *key, struct sarif_log *log)
{
	int failed = 0;

	for (size_t i = 0; i < log->nruns; i++)
		for (size_t j = 0; j < log->runs[i].nresults; j++) {
			struct sarif_result *r = &log->runs[i].results[j];
			char keyed[65];
			int k;

			if (!r->fingerprint)
				continue;
			k = secrethash_fingerprint(key, r->fingerprint, keyed);
			fingerprint_forget(r);
			if (k < 0)
				failed = -EIO;
			else
				r->fingerprint = xstrdup(keyed);
		}
	return failed;
}

void secrethash_fingerprints_drop(struct sarif_log *log, size_t *count)
{
	size_t n = 0;

	for (size_t i = 0; i < log->nruns; i++)
		for (size_t j = 0; j < log->runs[i].nresults; j++)
			if (log->runs[i].results[j].fingerprint) {
				fingerprint_forget(&log->runs[i].results[j]);
				n++;
			}
	if (count)
		*count = n;
}

/* {old: keyed} for every fingerprint of the org's findings and triage. */
static int rekey_map(struct db *db, const struct secbuf *key, const char *org, char **map,
		     size_t *count)
{
	PGresult *res = NULL;
	json_object *m;
	int r = DB_QUERY(db, &res, "SELECT fingerprint FROM lethe.findings WHERE org_id = $1 "
			 "UNION SELECT fingerprint FROM lethe.triage WHERE org_id = $1", org);

	if (r < 0)
		return r;
	m = json_object_new_object();
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		char keyed[65];

		r = secrethash_fingerprint(key, db_value(res, i, 0), keyed);
		if (r == 0)
			json_object_object_add(m, db_value(res, i, 0), json_object_new_string(keyed));
	}
	*count = (size_t)PQntuples(res);
	*map = r == 0 ? xstrdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN)) : NULL;
	json_object_put(m);
	PQclear(res);
	return r;
}

int secrethash_rekey(struct db *db, const struct secbuf *key, int64_t org_id, size_t *count)
{
	PGresult *res = NULL;
	char org[24], *map = NULL;
	int r;

	*count = 0;
	i64s(org_id, org);
	/* The row lock makes a concurrent scan of the org wait, then skip. */
	r = DB_QUERY(db, &res, "DELETE FROM lethe.fingerprint_rekeys WHERE org_id = $1", org);
	if (r == 0 && strcmp(PQcmdTuples(res), "1") == 0)
		r = rekey_map(db, key, org, &map, count);
	if (map && r == 0)
		r = DB_QUERY(db, NULL, "UPDATE lethe.findings f SET fingerprint = m.value "
			     "FROM jsonb_each_text($2::jsonb) m WHERE f.org_id = $1 AND f.fingerprint = m.key",
			     org, map);
	if (map && r == 0)
		r = DB_QUERY(db, NULL, "UPDATE lethe.triage t SET fingerprint = m.value "
			     "FROM jsonb_each_text($2::jsonb) m WHERE t.org_id = $1 AND t.fingerprint = m.key",
			     org, map);
	free(map);
	PQclear(res);
	return r;
}
