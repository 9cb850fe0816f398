/*
 * keys.h - the key hierarchy (DESIGN.md invariant 7).
 *
 * Master keys: loaded once per process from $CREDENTIALS_DIRECTORY/master.key,
 * else the configuration's master_key_file; refused unless owned by the
 * process's user or root and not readable by group or others.  The file
 * holds one line per version, "v<N> <64 hex digits>"; the highest version is
 * current, older ones stay readable during a rotation.  Held in secbufs.
 * A keyring asked for a version it lacks re-reads its file once (a process
 * started before `lethectl keys rotate-master` picks up the new version;
 * with systemd credentials, which are copied at start, restart instead).
 *
 * Org keys: 32 random bytes per org and version, stored in org_keys wrapped
 * under a master key version with AD "lethe-orgkey-v1\0<org>\0<version>"
 * (org and versions in decimal); a new one is wrapped under the newest
 * version in the file.  Rotation retires a version but keeps its row.
 *
 * Secrets: sealed under the org's active key; the blob is
 * version(4, big endian) || nonce || ciphertext || tag, with AD
 * "lethe-secret-v1\0<table>\0<column>\0<org>\0<row>" so that a blob copied
 * to another row, column or org does not open.  A blob opens under the
 * org key version it names, retired or not.
 */
#ifndef LETHE_KEYS_H
#define LETHE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto.h"
#include "db.h"

struct keyring;

/* Load the master keys; why gets one line naming the file on error. */
int keyring_load(const struct config *cfg, struct keyring **out, char *why, size_t whylen);
void keyring_free(struct keyring *kr);	/* zeroes every key */
int keyring_current(const struct keyring *kr);	/* current master version */

/*
 * A key for one purpose: HMAC-SHA256(master key of version, label), where
 * version 0 means the current one; the version used goes to *used when
 * used is not NULL.  -ENOKEY when the key file has no such version.
 */
int keyring_derive(const struct keyring *kr, int version, const char *label,
		   unsigned char out[CRYPTO_KEY_LEN], int *used);

/* Create a new master key file (mode 0400, version 1); -EEXIST if present. */
int keys_master_init(const char *path);

/* The master key file keyring_load() reads (caller frees). */
char *keys_master_path(const struct config *cfg);
int keyring_load_path(const char *path, struct keyring **out, char *why, size_t whylen);
/*
 * Rotation of the master key file, each step an atomic replacement that
 * keeps the file's owner and mode 0400: add a new current version (its
 * number to *version), then, once nothing uses them, drop every version
 * that is neither current nor in versions (*dropped counts them).
 */
int keys_master_add(const char *path, int *version, char *why, size_t whylen);
int keys_master_retain(const char *path, const int *versions, size_t n, int *dropped,
		       char *why, size_t whylen);

/* Give org_id its first data key (within the caller's transaction). */
int orgkey_create(struct db *db, const struct keyring *kr, int64_t org_id);
/*
 * The org's key of *version (0: the active one; *version gets the one
 * found) into key (caller releases).  -ENOENT when the org has no such key,
 * -ENOKEY when its master key version is not in the keyring.
 */
int orgkey_load(struct db *db, const struct keyring *kr, int64_t org_id, int *version,
		struct secbuf *key);
/*
 * Re-wrap every key of org_id (0: of every org) not yet under the current
 * master version, within the caller's transaction; *count gets how many.
 */
int orgkey_rewrap(struct db *db, const struct keyring *kr, int64_t org_id, int *count);

struct orgkey_rotation {
	int old_version, new_version;
	int count;		/* secrets re-encrypted */
	char why[256];		/* set when a schema problem refuses the rotation */
};
/*
 * Within the caller's transaction: retire org_id's active key, create the
 * next version and re-encrypt every secret of the org under it.
 * -ENOTSUP (why set) when the schema has an encrypted column rotation does
 * not know.
 */
int orgkey_rotate(struct db *db, const struct keyring *kr, int64_t org_id,
		  struct orgkey_rotation *rot);

/*
 * Seal pt for (table, column, org_id, row_id); *out is the bytea literal
 * ("\x...") to pass as a query parameter, owned by the caller (free()).
 */
int secret_seal(struct db *db, const struct keyring *kr, int64_t org_id, const char *table,
		const char *column, int64_t row_id, const void *pt, size_t ptlen, char **out);
/*
 * Open a blob as returned by libpq (bytea text "\x...").  On success out
 * holds the plaintext; the caller releases it with secbuf_release().
 * -EBADMSG when it does not open (wrong row, column, org or tampered).
 */
int secret_open(struct db *db, const struct keyring *kr, int64_t org_id, const char *table,
		const char *column, int64_t row_id, const char *blob, struct secbuf *out);

/* The same with an org key already loaded (orgkey_load) of that version. */
int secret_seal_with(const struct secbuf *key, int version, int64_t org_id, const char *table,
		     const char *column, int64_t row_id, const void *pt, size_t ptlen, char **out);
int secret_open_with(const struct secbuf *key, int64_t org_id, const char *table,
		     const char *column, int64_t row_id, const char *blob, struct secbuf *out);
/* The org key version a blob was sealed under; -EBADMSG when not a blob. */
int secret_version(const char *blob);

/*
 * A secret kept in a file (the model API key, say), sealed under the
 * current master key with AD "lethe-file-v1\0<purpose>\0<master version>":
 * one line "lethe-sealed-v1 v<N> \x<hex>".  keys_master_seal() gives the
 * line (free()); keys_master_open() opens it into locked memory (the caller
 * releases it): -EBADMSG when it is not such a line, is sealed for another
 * purpose or was changed, -ENOKEY when its master version is gone.
 */
#define SEALED_FILE_MAX 4096	/* bytes of plaintext */
int keys_master_seal(const struct keyring *kr, const char *purpose, const void *pt,
		     size_t ptlen, char **out);
int keys_master_open(const struct keyring *kr, const char *purpose, const char *text,
		     struct secbuf *out);

#endif
