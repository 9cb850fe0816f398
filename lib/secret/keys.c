/* keys.c - master keys, org data keys and sealed secrets (invariant 7). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keys.h"
#include "util.h"

#define KEYRING_MAX   16		/* master key versions in one file */
#define KEYFILE_MAX   2048		/* bytes: KEYRING_MAX lines of "vN <64 hex>" */
#define KEYLINE_MAX   80
#define SECRET_MAX    65536		/* bytes of plaintext in one sealed secret */
#define BLOB_VERSION  4

struct master {
	int version;
	struct secbuf key;
};

struct keyring {
	struct master m[KEYRING_MAX];
	size_t n;
	char *path;		/* the file it came from, re-read after a rotation */
};

/* --- the master key file --- */

char *keys_master_path(const struct config *cfg)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (dir && *dir)
		return xasprintf("%s/master.key", dir);
	return xstrdup(config_v(cfg)->master_key_file);
}

static struct keyring *keyring_new(void)
{
	return xcalloc(1, sizeof(struct keyring));
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->n; i++)
		secbuf_release(&kr->m[i].key);
	free(kr->path);
	free(kr);
}

int keyring_current(const struct keyring *kr)
{
	int v = 0;

	for (size_t i = 0; i < kr->n; i++)
		if (kr->m[i].version > v)
			v = kr->m[i].version;
	return v;
}

static const struct secbuf *keyring_find(const struct keyring *kr, int version)
{
	for (size_t i = 0; i < kr->n; i++)
		if (kr->m[i].version == version)
			return &kr->m[i].key;
	return NULL;
}

/* Parse one line "v<N> <64 lowercase hex digits>" into a new keyring slot. */
static int keyring_parse_line(struct keyring *kr, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	char num[12], hex[2 * CRYPTO_KEY_LEN + 1];
	int64_t v;
	int r;

	if (len < 3 || line[0] != 'v' || !sp || (size_t)(line + len - sp - 1) != 2 * CRYPTO_KEY_LEN ||
	    (size_t)(sp - line - 1) >= sizeof(num) || kr->n == KEYRING_MAX)
		return -EINVAL;
	memcpy(num, line + 1, (size_t)(sp - line - 1));
	num[sp - line - 1] = '\0';
	if (parse_i64(num, 1, INT32_MAX, &v) < 0 || keyring_find(kr, (int)v))
		return -EINVAL;
	r = secbuf_alloc(&kr->m[kr->n].key, CRYPTO_KEY_LEN);
	if (r < 0)
		return r;
	kr->m[kr->n].version = (int)v;
	kr->n++;
	memcpy(hex, sp + 1, sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	r = strspn(hex, "0123456789abcdef") == sizeof(hex) - 1 ?
		hex_decode(hex, kr->m[kr->n - 1].key.data, CRYPTO_KEY_LEN) : -EINVAL;
	OPENSSL_cleanse(hex, sizeof(hex));
	return r;
}

static int keyring_parse(struct keyring *kr, const char *text, size_t len, const char *path,
			 char *why, size_t whylen)
{
	size_t lineno = 0;
	int r;

	for (const char *p = text, *end = text + len; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		r = keyring_parse_line(kr, p, n);
		if (r < 0) {
			snprintf(why, whylen, "%s:%zu: expected 'v<N> <64 hex digits>' with a new "
				 "version (at most %d)", path, lineno, KEYRING_MAX);
			return r;
		}
		p += n + 1;
	}
	if (kr->n == 0) {
		snprintf(why, whylen, "master key file '%s' holds no key", path);
		return -ENOKEY;
	}
	return 0;
}

/* Refuse a key file that anyone but its owner (us or root) could read or change. */
static int keyfile_check(int fd, const char *path, struct stat *st, char *why, size_t whylen)
{
	if (fstat(fd, st) < 0) {
		snprintf(why, whylen, "unable to stat master key file '%s': %m", path);
		return -errno;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "refusing master key file '%s': not a regular file", path);
		return -EPERM;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		snprintf(why, whylen, "refusing master key file '%s': owned by uid %u, not by uid %u "
			 "or root", path, (unsigned)st->st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st->st_mode & 077) {
		snprintf(why, whylen, "refusing master key file '%s': mode %04o gives access to "
			 "group or others (want 0400 or 0600)", path, (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	if (st->st_size > KEYFILE_MAX) {
		snprintf(why, whylen, "refusing master key file '%s': larger than %d bytes", path,
			 KEYFILE_MAX);
		return -EFBIG;
	}
	return 0;
}

/* Read the whole (checked) file into a locked buffer. */
static int keyfile_read(int fd, const char *path, struct secbuf *buf, size_t *len,
			char *why, size_t whylen)
{
	ssize_t k;
	int r = secbuf_alloc(buf, KEYFILE_MAX + 1);

	if (r < 0) {
		snprintf(why, whylen, "unable to lock memory for '%s': %s", path, strerror(-r));
		return r;
	}
	*len = 0;
	while ((k = read(fd, buf->data + *len, buf->len - *len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || *len + (size_t)k > KEYFILE_MAX) {
			r = k < 0 ? -errno : -EFBIG;
			snprintf(why, whylen, "unable to read master key file '%s': %s", path,
				 strerror(-r));
			return r;
		}
		*len += (size_t)k;
	}
	return 0;
}

static int keyring_read(const char *path, struct keyring **out, struct stat *st,
			char *why, size_t whylen)
{
	struct keyring *kr = NULL;
	struct secbuf buf = { 0 };
	size_t len;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "unable to open master key file '%s': %s", path, strerror(-r));
		return r;
	}
	r = keyfile_check(fd, path, st, why, whylen);
	if (r == 0)
		r = keyfile_read(fd, path, &buf, &len, why, whylen);
	if (r == 0) {
		kr = keyring_new();
		r = keyring_parse(kr, (const char *)buf.data, len, path, why, whylen);
	}
	close(fd);
	secbuf_release(&buf);
	if (r < 0) {
		keyring_free(kr);
		return r;
	}
	*out = kr;
	return 0;
}

int keyring_load_path(const char *path, struct keyring **out, char *why, size_t whylen)
{
	struct stat st;
	int r = keyring_read(path, out, &st, why, whylen);

	if (r == 0)
		(*out)->path = xstrdup(path);
	return r;
}

/*
 * Re-read the keyring's file in place: `lethectl keys rotate-master` may
 * have changed it since this process started.  The keyring is shared by
 * const pointer but owned by the process, so refreshing it is safe.  On
 * any error the keyring stays as it was.
 */
static void keyring_refresh(const struct keyring *kr)
{
	struct keyring *fresh = NULL, *cur = (struct keyring *)kr;
	char why[256];

	if (!kr->path || keyring_read(kr->path, &fresh, &(struct stat){ 0 }, why, sizeof(why)) < 0)
		return;
	for (size_t i = 0; i < cur->n; i++)
		secbuf_release(&cur->m[i].key);
	memcpy(cur->m, fresh->m, sizeof(cur->m));
	cur->n = fresh->n;
	fresh->n = 0;
	keyring_free(fresh);
}

/* The master key of version, re-reading the file once when it is missing. */
static const struct secbuf *keyring_get(const struct keyring *kr, int version)
{
	const struct secbuf *k = keyring_find(kr, version);

	if (k)
		return k;
	keyring_refresh(kr);
	return keyring_find(kr, version);
}

int keyring_derive(const struct keyring *kr, int version, const char *label,
		   unsigned char out[CRYPTO_KEY_LEN], int *used)
{
	const struct secbuf *k;

	if (version == 0)
		version = keyring_current(kr);
	if (!(k = keyring_get(kr, version)))
		return -ENOKEY;
	if (used)
		*used = version;
	return crypto_hmac_sha256(k->data, k->len, label, strlen(label), out);
}

int keyring_load(const struct config *cfg, struct keyring **out, char *why, size_t whylen)
{
	char *path = keys_master_path(cfg);
	int r = keyring_load_path(path, out, why, whylen);

	free(path);
	return r;
}

/* Serialize kr as the file's lines into a locked buffer. */
static int keyring_format(const struct keyring *kr, struct secbuf *buf, size_t *len)
{
	int r = secbuf_alloc(buf, KEYRING_MAX * KEYLINE_MAX);

	if (r < 0)
		return r;
	*len = 0;
	for (size_t i = 0; i < kr->n; i++) {
		char *p = (char *)buf->data + *len;

		*len += (size_t)snprintf(p, KEYLINE_MAX, "v%d ", kr->m[i].version);
		hex_encode(kr->m[i].key.data, CRYPTO_KEY_LEN, (char *)buf->data + *len);
		*len += 2 * CRYPTO_KEY_LEN;
		buf->data[(*len)++] = '\n';
	}
	return 0;
}

static int keyring_add(struct keyring *kr)
{
	int r;

	if (kr->n == KEYRING_MAX)
		return -ENOSPC;
	r = secbuf_alloc(&kr->m[kr->n].key, CRYPTO_KEY_LEN);
	if (r == 0)
		r = crypto_random(kr->m[kr->n].key.data, CRYPTO_KEY_LEN);
	kr->m[kr->n].version = keyring_current(kr) + 1;
	kr->n++;
	return r;
}

static int keyring_store(const struct keyring *kr, const char *path, const struct stat *st)
{
	struct secbuf buf = { 0 };
	size_t len;
	int r = keyring_format(kr, &buf, &len);

	/* Mode 0400 and, when replacing, the owner of the file it replaces. */
	if (r == 0)
		r = write_file_durable(path, buf.data, len, 0400, st ? 0 : WRITE_EXCL, st);
	secbuf_release(&buf);
	return r;
}

int keys_master_init(const char *path)
{
	struct keyring *kr = keyring_new();
	int r = keyring_add(kr);

	if (r == 0)
		r = keyring_store(kr, path, NULL);
	keyring_free(kr);
	return r;
}

int keys_master_add(const char *path, int *version, char *why, size_t whylen)
{
	struct keyring *kr;
	struct stat st;
	int r = keyring_read(path, &kr, &st, why, whylen);

	if (r < 0)
		return r;
	r = keyring_add(kr);
	if (r == 0)
		r = keyring_store(kr, path, &st);
	if (r < 0)
		snprintf(why, whylen, "unable to add a key to '%s': %s", path, strerror(-r));
	else
		*version = keyring_current(kr);
	keyring_free(kr);
	return r;
}

static int version_listed(int v, const int *versions, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (versions[i] == v)
			return 1;
	return 0;
}

int keys_master_retain(const char *path, const int *versions, size_t n, int *dropped,
		       char *why, size_t whylen)
{
	struct keyring *kr;
	struct stat st;
	int cur, r = keyring_read(path, &kr, &st, why, whylen);
	size_t kept = 0;

	if (r < 0)
		return r;
	cur = keyring_current(kr);
	*dropped = 0;
	for (size_t i = 0; i < kr->n; i++) {
		if (kr->m[i].version == cur || version_listed(kr->m[i].version, versions, n)) {
			kr->m[kept++] = kr->m[i];
			continue;
		}
		secbuf_release(&kr->m[i].key);
		(*dropped)++;
	}
	kr->n = kept;
	r = *dropped ? keyring_store(kr, path, &st) : 0;
	if (r < 0)
		snprintf(why, whylen, "unable to rewrite '%s': %s", path, strerror(-r));
	keyring_free(kr);
	return r;
}

/* --- bytea values as libpq's text format ("\x" + hex) --- */

static char *bytea_encode(const unsigned char *data, size_t len)
{
	char *s = xmalloc(2 * len + 3);

	s[0] = '\\';
	s[1] = 'x';
	hex_encode(data, len, s + 2);
	return s;
}

static int bytea_decode(const char *text, size_t max, unsigned char **out, size_t *len)
{
	size_t n;

	if (!text || text[0] != '\\' || text[1] != 'x')
		return -EINVAL;
	n = strlen(text + 2);
	if (n % 2 || n / 2 > max)
		return -EINVAL;
	*len = n / 2;
	*out = xmalloc(*len ? *len : 1);
	if (hex_decode(text + 2, *out, *len) < 0) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

/* --- org keys --- */

static size_t orgkey_ad(char *ad, size_t size, int64_t org_id, int version)
{
	return (size_t)snprintf(ad, size, "lethe-orgkey-v1%c%lld%c%d", 0, (long long)org_id, 0,
				version);
}

static int orgkey_unwrap(const struct keyring *kr, int64_t org_id, int version,
			 int master_version, const char *wrapped, struct secbuf *key)
{
	const struct secbuf *mk = keyring_get(kr, master_version);
	unsigned char *blob = NULL;
	char ad[64];
	size_t len, adlen = orgkey_ad(ad, sizeof(ad), org_id, version);
	int r;

	if (!mk)
		return -ENOKEY;
	r = bytea_decode(wrapped, CRYPTO_KEY_LEN + CRYPTO_SEAL_OVERHEAD, &blob, &len);
	if (r == 0 && len != CRYPTO_KEY_LEN + CRYPTO_SEAL_OVERHEAD)
		r = -EBADMSG;
	if (r == 0)
		r = secbuf_alloc(key, CRYPTO_KEY_LEN);
	if (r == 0)
		r = crypto_open(mk->data, ad, adlen, blob, len, key->data);
	if (r < 0)
		secbuf_release(key);
	free(blob);
	return r;
}

/* Wrap key under the current master key; *out is the bytea text (free()). */
static int orgkey_wrap(const struct keyring *kr, int64_t org_id, int version,
		       const struct secbuf *key, char **out)
{
	unsigned char blob[CRYPTO_KEY_LEN + CRYPTO_SEAL_OVERHEAD];
	char ad[64];
	size_t adlen = orgkey_ad(ad, sizeof(ad), org_id, version);
	const struct secbuf *mk = keyring_find(kr, keyring_current(kr));
	int r;

	if (!mk)
		return -ENOKEY;
	r = crypto_seal(mk->data, ad, adlen, key->data, CRYPTO_KEY_LEN, blob);
	if (r == 0)
		*out = bytea_encode(blob, sizeof(blob));
	return r;
}

/*
 * The org's key of that version (0: the active one).  *version gets the
 * version found.  -ENOENT when the org has no such key, -ENOKEY when it
 * is wrapped under a master version the keyring does not hold.
 */
int orgkey_load(struct db *db, const struct keyring *kr, int64_t org_id, int *version,
		struct secbuf *key)
{
	PGresult *res;
	char org[24], ver[16];
	int r;

	i64s(org_id, org);
	snprintf(ver, sizeof(ver), "%d", *version);
	r = DB_QUERY(db, &res, "SELECT version, master_version, wrapped FROM lethe.org_keys "
		     "WHERE org_id = $1 AND (version = $2 OR ($2 = 0 AND retired_at IS NULL))",
		     org, ver);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -ENOENT;
	}
	*version = (int)db_int(res, 0, 0);
	r = orgkey_unwrap(kr, org_id, *version, (int)db_int(res, 0, 1), db_value(res, 0, 2), key);
	PQclear(res);
	return r;
}

/*
 * A new org key is wrapped under the newest master version in the file,
 * not the newest this process saw: a rotation that started after we
 * loaded the keyring drops the older versions once it is done.
 */
static int orgkey_insert(struct db *db, const struct keyring *kr, int64_t org_id, int version)
{
	struct secbuf key = { 0 };
	char org[24], ver[16], mver[16], *wrapped = NULL;
	int r;

	keyring_refresh(kr);
	r = secbuf_alloc(&key, CRYPTO_KEY_LEN);

	if (r == 0)
		r = crypto_random(key.data, key.len);
	if (r == 0)
		r = orgkey_wrap(kr, org_id, version, &key, &wrapped);
	secbuf_release(&key);
	if (r < 0)
		return r;
	i64s(org_id, org);
	snprintf(ver, sizeof(ver), "%d", version);
	snprintf(mver, sizeof(mver), "%d", keyring_current(kr));
	r = DB_QUERY(db, NULL, "INSERT INTO lethe.org_keys (org_id, version, master_version, wrapped) "
		     "VALUES ($1, $2, $3, $4)", org, ver, mver, wrapped);
	free(wrapped);
	return r;
}

int orgkey_create(struct db *db, const struct keyring *kr, int64_t org_id)
{
	return orgkey_insert(db, kr, org_id, 1);
}

/* Re-wrap the key in row i of res (org_id, version, master_version, wrapped). */
static int orgkey_rewrap_row(struct db *db, const struct keyring *kr, PGresult *res, int i)
{
	struct secbuf key = { 0 };
	int64_t org_id = db_int(res, i, 0);
	int version = (int)db_int(res, i, 1), cur = keyring_current(kr);
	char *wrapped = NULL, mver[16];
	int r;

	r = orgkey_unwrap(kr, org_id, version, (int)db_int(res, i, 2), db_value(res, i, 3), &key);
	if (r == 0)
		r = orgkey_wrap(kr, org_id, version, &key, &wrapped);
	secbuf_release(&key);
	snprintf(mver, sizeof(mver), "%d", cur);
	if (r == 0)
		r = DB_QUERY(db, NULL, "UPDATE lethe.org_keys SET master_version = $3, wrapped = $4 "
			     "WHERE org_id = $1 AND version = $2",
			     db_value(res, i, 0), db_value(res, i, 1), mver, wrapped);
	free(wrapped);
	return r;
}

int orgkey_rewrap(struct db *db, const struct keyring *kr, int64_t org_id, int *count)
{
	PGresult *res;
	char org[24];
	int r;

	*count = 0;
	i64s(org_id, org);
	r = DB_QUERY(db, &res, "SELECT org_id, version, master_version, wrapped FROM lethe.org_keys "
		     "WHERE $1::bigint = 0 OR org_id = $1::bigint ORDER BY org_id, version "
		     "FOR UPDATE", org);
	if (r < 0)
		return r;
	for (int i = 0; i < PQntuples(res) && r == 0; i++) {
		if ((int)db_int(res, i, 2) == keyring_current(kr))
			continue;
		r = orgkey_rewrap_row(db, kr, res, i);
		if (r == 0)
			(*count)++;
	}
	PQclear(res);
	return r;
}

/* --- secrets --- */

static size_t secret_ad(char *ad, size_t size, const char *table, const char *column,
			int64_t org_id, int64_t row_id)
{
	int n = snprintf(ad, size, "lethe-secret-v1%c%s%c%s%c%lld%c%lld", 0, table, 0, column, 0,
			 (long long)org_id, 0, (long long)row_id);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

int secret_seal_with(const struct secbuf *key, int version, int64_t org_id, const char *table,
		     const char *column, int64_t row_id, const void *pt, size_t ptlen, char **out)
{
	unsigned char *blob;
	char ad[256];
	size_t adlen = secret_ad(ad, sizeof(ad), table, column, org_id, row_id);
	int r;

	if (adlen == 0)
		return -ENAMETOOLONG;
	if (ptlen > SECRET_MAX)
		return -E2BIG;
	blob = xmalloc(BLOB_VERSION + CRYPTO_SEAL_OVERHEAD + ptlen);
	blob[0] = (unsigned char)(version >> 24);
	blob[1] = (unsigned char)(version >> 16);
	blob[2] = (unsigned char)(version >> 8);
	blob[3] = (unsigned char)version;
	r = crypto_seal(key->data, ad, adlen, pt, ptlen, blob + BLOB_VERSION);
	if (r == 0)
		*out = bytea_encode(blob, BLOB_VERSION + CRYPTO_SEAL_OVERHEAD + ptlen);
	free(blob);
	return r;
}

int secret_seal(struct db *db, const struct keyring *kr, int64_t org_id, const char *table,
		const char *column, int64_t row_id, const void *pt, size_t ptlen, char **out)
{
	struct secbuf key = { 0 };
	int version = 0;
	int r = orgkey_load(db, kr, org_id, &version, &key);

	if (r == 0)
		r = secret_seal_with(&key, version, org_id, table, column, row_id, pt, ptlen, out);
	secbuf_release(&key);
	return r;
}

/* The org key version a sealed blob names; -EBADMSG when it is not one. */
int secret_version(const char *blob)
{
	unsigned char v[BLOB_VERSION];
	char hex[2 * BLOB_VERSION + 1];
	int version;

	if (!blob || strncmp(blob, "\\x", 2) != 0 || strlen(blob) < 2 + sizeof(hex) - 1)
		return -EBADMSG;
	memcpy(hex, blob + 2, sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	if (hex_decode(hex, v, sizeof(v)) < 0)
		return -EBADMSG;
	version = (int)((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]);
	return version > 0 ? version : -EBADMSG;
}

int secret_open_with(const struct secbuf *key, int64_t org_id, const char *table,
		     const char *column, int64_t row_id, const char *blob, struct secbuf *out)
{
	unsigned char *raw = NULL;
	char ad[256];
	size_t len, adlen = secret_ad(ad, sizeof(ad), table, column, org_id, row_id);
	int r;

	memset(out, 0, sizeof(*out));
	if (adlen == 0)
		return -ENAMETOOLONG;
	r = bytea_decode(blob, BLOB_VERSION + CRYPTO_SEAL_OVERHEAD + SECRET_MAX, &raw, &len);
	if (r < 0 || len < BLOB_VERSION + CRYPTO_SEAL_OVERHEAD) {
		free(raw);
		return -EBADMSG;
	}
	r = secbuf_alloc(out, len - BLOB_VERSION - CRYPTO_SEAL_OVERHEAD);
	if (r == 0)
		r = crypto_open(key->data, ad, adlen, raw + BLOB_VERSION, len - BLOB_VERSION,
				out->data);
	if (r < 0)
		secbuf_release(out);
	free(raw);
	return r;
}

int secret_open(struct db *db, const struct keyring *kr, int64_t org_id, const char *table,
		const char *column, int64_t row_id, const char *blob, struct secbuf *out)
{
	struct secbuf key = { 0 };
	int version = secret_version(blob);
	int r;

	memset(out, 0, sizeof(*out));
	if (version < 0)
		return version;
	r = orgkey_load(db, kr, org_id, &version, &key);
	if (r == -ENOENT)
		r = -EBADMSG;	/* no such key version in this org: the blob is not ours */
	if (r == 0)
		r = secret_open_with(&key, org_id, table, column, row_id, blob, out);
	secbuf_release(&key);
	return r;
}

/* --- org key rotation --- */

/*
 * Every encrypted column, each a bytea holding a sealed secret of its row.
 * Rotation re-encrypts them all, and refuses to run when the schema has an
 * *_enc column missing here (it would be left under a retired key).
 */
#define ENC_COLUMN(t, c) { #t, #c, \
	"SELECT id, " #c " FROM lethe." #t " WHERE org_id = $1 AND " #c " IS NOT NULL " \
	"ORDER BY id FOR UPDATE", \
	"UPDATE lethe." #t " SET " #c " = $3 WHERE org_id = $1 AND id = $2" }

static const struct enc_column {
	const char *table, *column, *select, *update;
} enc_columns[] = {
	ENC_COLUMN(integrations, app_key_enc),
	ENC_COLUMN(integrations, token_enc),
	ENC_COLUMN(integrations, report_token_enc),
	ENC_COLUMN(integrations, webhook_secret_enc),
	ENC_COLUMN(repositories, webhook_secret_enc),
	ENC_COLUMN(repositories, clone_token_enc),
	ENC_COLUMN(repositories, report_token_enc),
	ENC_COLUMN(secret_hash_keys, key_enc),
	ENC_COLUMN(fixes, patch_enc),
};

static int enc_column_known(const char *table, const char *column)
{
	for (size_t i = 0; i < ARRAY_SIZE(enc_columns); i++)
		if (!strcmp(enc_columns[i].table, table) && !strcmp(enc_columns[i].column, column))
			return 1;
	return 0;
}

static int enc_columns_check(struct db *db, char *why, size_t whylen)
{
	PGresult *res;
	int r = DB_QUERY(db, &res, "SELECT c.relname, a.attname FROM pg_attribute a "
			 "JOIN pg_class c ON c.oid = a.attrelid "
			 "JOIN pg_namespace n ON n.oid = c.relnamespace "
			 "WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 "
			 "AND NOT a.attisdropped AND a.attname LIKE '%\\_enc'", "lethe");

	if (r < 0)
		return r;
	for (int i = 0; i < PQntuples(res); i++)
		if (!enc_column_known(db_value(res, i, 0), db_value(res, i, 1))) {
			snprintf(why, whylen, "encrypted column %s.%s is unknown to key rotation",
				 db_value(res, i, 0), db_value(res, i, 1));
			r = -ENOTSUP;
			break;
		}
	PQclear(res);
	return r;
}

/* Re-seal every secret of one column of org_id under key (version). */
static int enc_column_reseal(struct db *db, const struct keyring *kr, int64_t org_id,
			     const struct enc_column *ec, const struct secbuf *key, int version,
			     int *count)
{
	PGresult *res;
	char org[24];
	int r;

	i64s(org_id, org);
	r = DB_QUERY(db, &res, ec->select, org);
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		struct secbuf pt = { 0 };
		int64_t row = db_int(res, i, 0);
		char *blob = NULL;

		r = secret_open(db, kr, org_id, ec->table, ec->column, row, db_value(res, i, 1), &pt);
		if (r == 0)
			r = secret_seal_with(key, version, org_id, ec->table, ec->column, row, pt.data,
					     pt.len, &blob);
		secbuf_release(&pt);
		if (r == 0)
			r = DB_QUERY(db, NULL, ec->update, org, db_value(res, i, 0), blob);
		free(blob);
		if (r == 0)
			(*count)++;
	}
	PQclear(res);
	return r;
}

/* Lock org_id's keys; *active gets the active version, *top the highest. */
static int orgkey_lock(struct db *db, int64_t org_id, int *active, int *top)
{
	PGresult *res;
	char org[24];
	int r;

	i64s(org_id, org);
	r = DB_QUERY(db, &res, "SELECT version, retired_at IS NULL FROM lethe.org_keys "
		     "WHERE org_id = $1 FOR UPDATE", org);
	if (r < 0)
		return r;
	*active = *top = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		int v = (int)db_int(res, i, 0);

		if (v > *top)
			*top = v;
		if (!strcmp(db_value(res, i, 1), "t"))
			*active = v;
	}
	PQclear(res);
	return *active ? 0 : -ENOENT;
}

int orgkey_rotate(struct db *db, const struct keyring *kr, int64_t org_id,
		  struct orgkey_rotation *rot)
{
	struct secbuf key = { 0 };
	char org[24], ver[16];
	int top = 0, r;

	memset(rot, 0, sizeof(*rot));
	r = enc_columns_check(db, rot->why, sizeof(rot->why));
	if (r == 0)
		r = orgkey_lock(db, org_id, &rot->old_version, &top);
	if (r < 0)
		return r;
	i64s(org_id, org);
	snprintf(ver, sizeof(ver), "%d", rot->old_version);
	r = DB_QUERY(db, NULL, "UPDATE lethe.org_keys SET retired_at = now() "
		     "WHERE org_id = $1 AND version = $2", org, ver);
	if (r == 0)
		r = orgkey_insert(db, kr, org_id, top + 1);
	rot->new_version = top + 1;
	if (r == 0)
		r = orgkey_load(db, kr, org_id, &rot->new_version, &key);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(enc_columns); i++)
		r = enc_column_reseal(db, kr, org_id, &enc_columns[i], &key, rot->new_version,
				      &rot->count);
	secbuf_release(&key);
	return r;
}

/* --- secrets in files, sealed under the master key --- */

#define SEALED_FILE_TAG "lethe-sealed-v1"

static size_t master_sealed_ad(char *ad, size_t size, const char *purpose, int version)
{
	return (size_t)snprintf(ad, size, "lethe-file-v1%c%s%c%d", 0, purpose, 0, version);
}

int keys_master_seal(const struct keyring *kr, const char *purpose, const void *pt,
		     size_t ptlen, char **out)
{
	int version = keyring_current(kr);
	const struct secbuf *mk = keyring_find(kr, version);
	size_t bloblen = ptlen + CRYPTO_SEAL_OVERHEAD;
	unsigned char *blob;
	char ad[128], *hex;
	int r;

	if (!mk)
		return -ENOKEY;
	if (ptlen > SEALED_FILE_MAX || strlen(purpose) > 64)
		return -EFBIG;
	blob = xmalloc(bloblen);
	r = crypto_seal(mk->data, ad, master_sealed_ad(ad, sizeof(ad), purpose, version), pt,
			ptlen, blob);
	if (r == 0) {
		hex = bytea_encode(blob, bloblen);
		*out = xasprintf("%s v%d %s\n", SEALED_FILE_TAG, version, hex);
		free(hex);
	}
	free(blob);
	return r;
}

int keys_master_open(const struct keyring *kr, const char *purpose, const char *text,
		     struct secbuf *out)
{
	const struct secbuf *mk;
	unsigned char *blob = NULL;
	char ad[128], *line = NULL, *sp;
	size_t len, n = strlen(SEALED_FILE_TAG);
	int64_t version;
	int r = -EBADMSG;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, SEALED_FILE_TAG " v", n + 2) || strlen(purpose) > 64)
		return -EBADMSG;
	line = xstrdup(text + n + 2);
	line[strcspn(line, "\n")] = '\0';
	sp = strchr(line, ' ');
	if (!sp)
		goto out;
	*sp = '\0';
	if (parse_i64(line, 1, INT32_MAX, &version) < 0 ||
	    bytea_decode(sp + 1, SEALED_FILE_MAX + CRYPTO_SEAL_OVERHEAD, &blob, &len) < 0 ||
	    len < CRYPTO_SEAL_OVERHEAD)
		goto out;
	mk = keyring_get(kr, (int)version);
	if (!mk) {
		r = -ENOKEY;
		goto out;
	}
	r = secbuf_alloc(out, len - CRYPTO_SEAL_OVERHEAD);
	if (r == 0)
		r = crypto_open(mk->data, ad, master_sealed_ad(ad, sizeof(ad), purpose, (int)version),
				blob, len, out->data);
	if (r < 0)
		secbuf_release(out);
out:
	free(blob);
	free(line);
	return r;
}
