/*
 * keys_test.c - the key hierarchy: master key files, sealed secrets that
 * refuse to open anywhere but their own row, column and org, and both
 * rotations.  The database parts need the local stack (LETHE_CONFIG); they
 * use a master key file of their own in a scratch directory and orgs named
 * keystest-*, removed before and after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "keys.h"
#include "password.h"
#include "util.h"
#include "stack.h"
#include "tap.h"

static char scratch[] = "/tmp/lethe-keys-test.XXXXXX";

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", scratch, name);
}

static int file_lines(const char *path)
{
	char *buf = NULL;
	int n = 0;

	if (read_file(path, 4096, &buf, NULL) < 0)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	OPENSSL_cleanse(buf, strlen(buf));
	free(buf);
	return n;
}

static int load_fails(const char *path, int want, const char *why_has)
{
	struct keyring *kr = NULL;
	char why[512] = "";
	int r = keyring_load_path(path, &kr, why, sizeof(why));
	int good = r == want && (r == 0 || (strstr(why, path) && strstr(why, why_has)));

	keyring_free(kr);
	if (!good)
		diag("got %d '%s'", r, why);
	return good;
}

static void test_keyfile_perms(const char *path)
{
	char *link = path_in("link.key");

	chmod(path, 0440);
	ok(load_fails(path, -EPERM, "group or others"), "mode 0440 refused, naming the file");
	chmod(path, 0604);
	ok(load_fails(path, -EPERM, "group or others"), "mode 0604 refused");
	chmod(path, 0600);
	ok(load_fails(path, 0, ""), "mode 0600 accepted");
	chmod(path, 0400);
	ok(chown(path, 65534, 65534) == 0 && load_fails(path, -EPERM, "owned by uid 65534"),
	   "a file owned by another user refused");
	ok(chown(path, 0, 0) == 0, "owner restored");
	ok(symlink(path, link) == 0 && load_fails(link, -ELOOP, "unable to open"),
	   "a symbolic link refused");
	free(link);
}

static void test_keyfile_bad(void)
{
	char *path = path_in("bad.key");
	char *cases[] = { "v1 00\n", "v0 " "0000000000000000000000000000000000000000000000000000000000000000\n",
			  "v1 " "000000000000000000000000000000000000000000000000000000000000000g\n",
			  "", "v1 0000000000000000000000000000000000000000000000000000000000000000\n"
			  "v1 0000000000000000000000000000000000000000000000000000000000000000\n" };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unlink(path);
		if (write_file_atomic(path, cases[i], strlen(cases[i]), 0400) < 0)
			abort();
		ok(load_fails(path, i == 3 ? -ENOKEY : -EINVAL, path),
		   "malformed key file %zu refused", i);
	}
	free(path);
}

static void test_keyfile(void)
{
	char *path = path_in("master.key"), *conf = path_in("lethe.conf");
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	struct stat st;
	char why[512];
	int v = 0, dropped = -1;

	ok(keys_master_init(path) == 0, "keys_master_init creates the file");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0400, "with mode 0400");
	ok(keys_master_init(path) == -EEXIST, "a second init refuses to overwrite it");
	ok(keyring_load_path(path, &kr, why, sizeof(why)) == 0 && keyring_current(kr) == 1,
	   "it loads, version 1 current");
	keyring_free(kr);
	test_keyfile_perms(path);
	test_keyfile_bad();
	kr = NULL;
	if (write_file_atomic(conf, "master_key_file = /nonexistent\n", 31, 0600) < 0 ||
	    config_load(conf, &cfg, why, sizeof(why)) < 0)
		abort();
	setenv("CREDENTIALS_DIRECTORY", scratch, 1);
	ok(keyring_load(cfg, &kr, why, sizeof(why)) == 0, "$CREDENTIALS_DIRECTORY/master.key wins");
	unsetenv("CREDENTIALS_DIRECTORY");
	keyring_free(kr);
	kr = NULL;
	ok(keyring_load(cfg, &kr, why, sizeof(why)) == -ENOENT && strstr(why, "/nonexistent"),
	   "else master_key_file, named when missing");
	ok(keys_master_add(path, &v, why, sizeof(why)) == 0 && v == 2 && file_lines(path) == 2,
	   "keys_master_add appends version 2");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0400, "the file keeps mode 0400");
	ok(keys_master_retain(path, NULL, 0, &dropped, why, sizeof(why)) == 0 && dropped == 1 &&
	   file_lines(path) == 1, "keys_master_retain drops version 1");
	config_free(cfg);
	free(path);
	free(conf);
}

/* A secret sealed into a file opens for its purpose only, unchanged. */
static void test_sealed_file(void)
{
	char *path = path_in("sealed.key"), *line = NULL, *moved;
	struct keyring *kr = NULL;
	struct secbuf sb = { 0 };
	char why[512];
	size_t at;
	int v = 0;

	if (keys_master_init(path) < 0 || keyring_load_path(path, &kr, why, sizeof(why)) < 0)
		abort();
	ok(keys_master_seal(kr, "model-key", "sk-secret-1", 11, &line) == 0 &&
	   !strncmp(line, "lethe-sealed-v1 v1 \\x", 21) && !strstr(line, "sk-secret"),
	   "keys_master_seal gives one line without the plaintext");
	ok(keys_master_open(kr, "model-key", line, &sb) == 0 && sb.len == 11 &&
	   !memcmp(sb.data, "sk-secret-1", 11), "keys_master_open gives the plaintext back");
	secbuf_release(&sb);
	ok(keys_master_open(kr, "other", line, &sb) == -EBADMSG && !sb.data,
	   "it does not open for another purpose");
	moved = xstrdup(line);
	at = strlen(moved) - 3;
	moved[at] = moved[at] == '0' ? '1' : '0';
	ok(keys_master_open(kr, "model-key", moved, &sb) == -EBADMSG, "nor once changed");
	ok(keys_master_open(kr, "model-key", "sk-secret-1\n", &sb) == -EBADMSG,
	   "a plain key is not a sealed line");
	free(moved);
	moved = xstrdup(line);
	moved[17] = '7';
	ok(keys_master_open(kr, "model-key", moved, &sb) == -ENOKEY,
	   "a master version the keyring lacks is -ENOKEY");
	keyring_free(kr);
	kr = NULL;
	if (keys_master_add(path, &v, why, sizeof(why)) < 0 ||
	    keys_master_retain(path, NULL, 0, &v, why, sizeof(why)) < 0 ||
	    keyring_load_path(path, &kr, why, sizeof(why)) < 0)
		abort();
	ok(keys_master_open(kr, "model-key", line, &sb) == -ENOKEY,
	   "once its master version is dropped, it no longer opens");
	keyring_free(kr);
	free(moved);
	free(line);
	free(path);
}

/* --- with a database --- */

struct fixture {
	struct db *db, *su;
	struct keyring *kr;
	char *keypath;
	int64_t org_a, org_b, a1, a2, b1;
	char webhook_a1[65], webhook_a2[65], webhook_b1[65];
	char *token_a1;
};

/* Run an INSERT ... RETURNING id with one or two parameters (b NULL: one). */
static int64_t insert_id(struct db *db, const char *sql, const char *a, const char *b)
{
	PGresult *res;
	int64_t id;
	const char *params[] = { a, b };

	if (db_exec(db, &res, sql, b ? 2 : 1, params) < 0) {
		diag("%s", db_error(db));
		return 0;
	}
	id = db_int(res, 0, 0);
	PQclear(res);
	return id;
}

static int64_t org_new(struct fixture *f, const char *suffix)
{
	char name[64];
	int64_t id;

	snprintf(name, sizeof(name), "keystest-%d-%s", (int)getpid(), suffix);
	id = insert_id(f->db, "INSERT INTO lethe.orgs (name) VALUES ($1) RETURNING id", name, NULL);
	if (id && orgkey_create(f->db, f->kr, id) < 0)
		return 0;
	return id;
}

static int64_t repo_new(struct fixture *f, int64_t org)
{
	char o[24], hook[40];
	unsigned char raw[12];

	crypto_random(raw, sizeof(raw));
	memcpy(hook, "keystest", 8);
	hex_encode(raw, sizeof(raw), hook + 8);
	i64s(org, o);
	return insert_id(f->db, "INSERT INTO lethe.repositories (org_id, provider, full_name, "
			 "clone_url, hook_id) VALUES ($1, 'github', 'acme/' || $2, "
			 "'https://example.invalid/acme', $2) RETURNING id", o, hook);
}

/* Seal pt into repositories.column of row (org). */
static int store(struct fixture *f, int64_t org, int64_t row, const char *column, const char *pt)
{
	char *blob = NULL, id[24];
	int r = secret_seal(f->db, f->kr, org, "repositories", column, row, pt, strlen(pt), &blob);

	i64s(row, id);
	if (r == 0 && !strcmp(column, "webhook_secret_enc"))
		r = DB_QUERY(f->db, NULL, "UPDATE lethe.repositories SET webhook_secret_enc = $2 "
			     "WHERE id = $1", id, blob);
	else if (r == 0)
		r = DB_QUERY(f->db, NULL, "UPDATE lethe.repositories SET clone_token_enc = $2 "
			     "WHERE id = $1", id, blob);
	free(blob);
	return r;
}

/* Open repositories.column of row as org: 0 and equal to want, or the error. */
static int fetch(struct fixture *f, struct keyring *kr, int64_t org, int64_t row,
		 const char *column, const char *want)
{
	struct secbuf pt = { 0 };
	PGresult *res;
	char id[24];
	int r;

	i64s(row, id);
	r = DB_QUERY(f->db, &res, !strcmp(column, "webhook_secret_enc")
		     ? "SELECT webhook_secret_enc FROM lethe.repositories WHERE id = $1"
		     : "SELECT clone_token_enc FROM lethe.repositories WHERE id = $1", id);
	if (r < 0)
		return r;
	r = secret_open(f->db, kr, org, "repositories", column, row, db_value(res, 0, 0), &pt);
	if (r == 0 && (pt.len != strlen(want) || !crypto_equal(pt.data, want, pt.len)))
		r = -EFAULT;	/* opened, but to something else: the worst outcome */
	secbuf_release(&pt);
	PQclear(res);
	return r;
}

static void random_hex(char out[65])
{
	unsigned char raw[32];

	crypto_random(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), out);
}

static int fixture_setup(struct fixture *f)
{
	unsigned char hash[32];
	char listed[TOKEN_LISTED + 1];
	int r = 0;

	f->org_a = org_new(f, "a");
	f->org_b = org_new(f, "b");
	f->a1 = repo_new(f, f->org_a);
	f->a2 = repo_new(f, f->org_a);
	f->b1 = repo_new(f, f->org_b);
	if (!f->org_a || !f->org_b || !f->a1 || !f->a2 || !f->b1 ||
	    token_new(&f->token_a1, hash, listed) < 0)
		return -EIO;
	random_hex(f->webhook_a1);
	random_hex(f->webhook_a2);
	random_hex(f->webhook_b1);
	r = store(f, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1);
	if (r == 0)
		r = store(f, f->org_a, f->a1, "clone_token_enc", f->token_a1);
	if (r == 0)
		r = store(f, f->org_a, f->a2, "webhook_secret_enc", f->webhook_a2);
	if (r == 0)
		r = store(f, f->org_b, f->b1, "webhook_secret_enc", f->webhook_b1);
	return r;
}

/* As the superuser: copy a blob (sql has $1 = target row, $2 = source row). */
static int tamper(struct fixture *f, const char *sql, int64_t to, int64_t from)
{
	char t[24], s[24];

	i64s(to, t);
	i64s(from, s);
	return DB_QUERY(f->su, NULL, sql, t, s);
}

#define COPY_WEBHOOK "UPDATE lethe.repositories SET webhook_secret_enc = " \
	"(SELECT webhook_secret_enc FROM lethe.repositories WHERE id = $2::bigint) WHERE id = $1::bigint"
#define COPY_TOKEN "UPDATE lethe.repositories SET webhook_secret_enc = " \
	"(SELECT clone_token_enc FROM lethe.repositories WHERE id = $2::bigint) WHERE id = $1::bigint"
#define COPY_ORGKEY "UPDATE lethe.org_keys SET wrapped = " \
	"(SELECT wrapped FROM lethe.org_keys WHERE org_id = $2::bigint AND version = 1) " \
	"WHERE org_id = $1::bigint AND version = 1"

#define SAVE_ORGKEY "CREATE TEMPORARY TABLE saved_key AS SELECT wrapped FROM lethe.org_keys " \
	"WHERE org_id = $1::bigint AND version = 1 AND $2::bigint = 0"
#define RESTORE_ORGKEY "UPDATE lethe.org_keys SET wrapped = (SELECT wrapped FROM saved_key) " \
	"WHERE org_id = $1::bigint AND version = 1 AND $2::bigint = 0"

static void test_swaps(struct fixture *f)
{
	int r;

	ok(fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1) == 0 &&
	   fetch(f, f->kr, f->org_a, f->a1, "clone_token_enc", f->token_a1) == 0 &&
	   fetch(f, f->kr, f->org_b, f->b1, "webhook_secret_enc", f->webhook_b1) == 0,
	   "each secret opens in its own row");
	if (!f->su) {
		skip(5, "no superuser connection");
		return;
	}
	r = tamper(f, COPY_WEBHOOK, f->a1, f->a2);
	ok(r == 0 && fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a2) == -EBADMSG,
	   "a secret copied to another row of the same org does not open");
	r = tamper(f, COPY_WEBHOOK, f->a1, f->b1);
	ok(r == 0 && fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->webhook_b1) == -EBADMSG,
	   "a secret copied from another org does not open");
	r = tamper(f, COPY_TOKEN, f->a1, f->a1);
	ok(r == 0 && fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->token_a1) == -EBADMSG,
	   "a secret copied to another column of its row does not open");
	r = store(f, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1);
	ok(r == 0 && tamper(f, SAVE_ORGKEY, f->org_a, 0) == 0 &&
	   tamper(f, COPY_ORGKEY, f->org_a, f->org_b) == 0 &&
	   fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1) == -EBADMSG,
	   "org B's wrapped key copied over org A's does not unwrap");
	ok(tamper(f, RESTORE_ORGKEY, f->org_a, 0) == 0 &&
	   fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1) == 0,
	   "with org A's own key back, the secret opens again");
}

static int master_version_of(struct fixture *f, int64_t org)
{
	PGresult *res;
	char o[24];
	int v = -1;

	i64s(org, o);
	if (DB_QUERY(f->db, &res, "SELECT min(master_version) * 100 + max(master_version) "
		     "FROM lethe.org_keys WHERE org_id = $1", o) == 0) {
		v = (int)db_int(res, 0, 0);
		PQclear(res);
	}
	return v;
}

static void test_rotate_master(struct fixture *f)
{
	struct keyring *kr2 = NULL;
	char why[512];
	int v = 0, n = 0, dropped = 0, used[] = { 2 }, r;

	ok(keys_master_add(f->keypath, &v, why, sizeof(why)) == 0 && v == 2, "master version 2 added");
	ok(keyring_load_path(f->keypath, &kr2, why, sizeof(why)) == 0 &&
	   keyring_current(kr2) == 2, "the keyring now reads version 2 as current");
	r = kr2 ? db_begin(f->db) : -ENOKEY;
	if (r == 0)
		r = orgkey_rewrap(f->db, kr2, f->org_a, &n);
	if (r == 0 && n == 1)
		r = orgkey_rewrap(f->db, kr2, f->org_b, &n);
	if (r == 0 && n == 1)
		r = db_commit(f->db);
	db_rollback(f->db);
	ok(r == 0 && n == 1, "both org keys re-wrapped in one transaction (%d)", r);
	ok(master_version_of(f, f->org_a) == 202 && master_version_of(f, f->org_b) == 202,
	   "org_keys rows name master version 2");
	ok(keys_master_retain(f->keypath, used, 1, &dropped, why, sizeof(why)) == 0 &&
	   dropped == 1 && file_lines(f->keypath) == 1, "master version 1 dropped from the file");
	keyring_free(kr2);
	kr2 = NULL;
	ok(keyring_load_path(f->keypath, &kr2, why, sizeof(why)) == 0 &&
	   fetch(f, kr2, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1) == 0 &&
	   fetch(f, kr2, f->org_a, f->a1, "clone_token_enc", f->token_a1) == 0,
	   "after the rotation the webhook secret and the token open with version 2 alone");
	ok(fetch(f, f->kr, f->org_b, f->b1, "webhook_secret_enc", f->webhook_b1) == 0,
	   "a keyring loaded before the rotation re-reads the file and still opens them");
	keyring_free(kr2);
}

static void test_rotate_org(struct fixture *f)
{
	struct orgkey_rotation rot;
	PGresult *res = NULL;
	char o[24];
	int r;

	r = db_begin(f->db);
	if (r == 0)
		r = orgkey_rotate(f->db, f->kr, f->org_a, &rot);
	if (r == 0)
		r = db_commit(f->db);
	else
		db_rollback(f->db);
	ok(r == 0 && rot.old_version == 1 && rot.new_version == 2 && rot.count == 3,
	   "org A rotated 1 -> 2, 3 secrets re-encrypted (r=%d %s)", r, rot.why);
	i64s(f->org_a, o);
	ok(DB_QUERY(f->db, &res, "SELECT string_agg(version || ':' || (retired_at IS NULL)::text, "
		    "',' ORDER BY version) FROM lethe.org_keys WHERE org_id = $1", o) == 0 &&
	   !strcmp(db_value(res, 0, 0), "1:false,2:true"), "version 1 retired, version 2 active");
	PQclear(res);
	ok(DB_QUERY(f->db, &res, "SELECT webhook_secret_enc FROM lethe.repositories WHERE id = $1",
		    (i64s(f->a1, o), o)) == 0 &&
	   secret_version(db_value(res, 0, 0)) == 2, "the stored blob names version 2");
	PQclear(res);
	ok(fetch(f, f->kr, f->org_a, f->a1, "webhook_secret_enc", f->webhook_a1) == 0 &&
	   fetch(f, f->kr, f->org_a, f->a1, "clone_token_enc", f->token_a1) == 0 &&
	   fetch(f, f->kr, f->org_a, f->a2, "webhook_secret_enc", f->webhook_a2) == 0,
	   "org A's secrets open under the new key");
	ok(fetch(f, f->kr, f->org_b, f->b1, "webhook_secret_enc", f->webhook_b1) == 0,
	   "org B is untouched");
}

static void cleanup_orgs(struct db *db)
{
	DB_QUERY(db, NULL, "DELETE FROM lethe.orgs WHERE name LIKE 'keystest-%'");
}

static void test_db(const struct config *cfg)
{
	struct fixture f = { 0 };
	char why[512];

	if (db_open(cfg, DB_ROLE_ADMIN, &f.db) < 0 ||
	    DB_QUERY(f.db, NULL, "SELECT 1 FROM lethe.org_keys LIMIT 0") < 0) {
		skip(1, "no stack (database or schema unreachable)");
		goto out;
	}
	if (db_open(cfg, "postgres", &f.su) < 0) {
		db_free(f.su);
		f.su = NULL;
	}
	f.keypath = path_in("db-master.key");
	if (keys_master_init(f.keypath) < 0 ||
	    keyring_load_path(f.keypath, &f.kr, why, sizeof(why)) < 0)
		abort();
	cleanup_orgs(f.db);
	if (!ok(fixture_setup(&f) == 0, "two orgs, three repositories, four secrets stored"))
		goto out;
	ok(orgkey_create(f.db, f.kr, f.org_a) < 0, "an org cannot get a second first key");
	test_swaps(&f);
	test_rotate_master(&f);
	test_rotate_org(&f);
out:
	if (f.db)
		cleanup_orgs(f.db);
	keyring_free(f.kr);
	if (f.token_a1)
		OPENSSL_cleanse(f.token_a1, strlen(f.token_a1));
	free(f.token_a1);
	free(f.keypath);
	db_free(f.su);
	db_free(f.db);
}

int main(void)
{
	struct config *cfg;
	char *cmd;

	if (!mkdtemp(scratch))
		abort();
	test_keyfile();
	test_sealed_file();
	cfg = stack_config();
	if (cfg)
		test_db(cfg);
	else
		skip(1, "no stack (no LETHE_CONFIG, no $LETHE_RUN/lethe.conf)");
	config_free(cfg);
	cmd = xasprintf("rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		diag("unable to remove '%s'", scratch);
	free(cmd);
	return done_testing();
}
