/*
 * secrethash.h - the org-keyed hash of a leaked secret.
 *
 * lethe-analyze reports each secret it finds with the plain SHA-256 of the
 * secret (sarif_result.secret_sha256): no key may enter the sandbox.  A
 * plain digest must never be stored, since anyone who reads it could check
 * a guess against it; so before storing, lethe-scan replaces it with
 * HMAC-SHA256(K_org, digest) in secret_hash, where K_org is the org's
 * secret hash key: 32 random bytes created on first use and kept in
 * lethe.secret_hash_keys, sealed under the org key (lib/secret/keys.h, table
 * "secret_hash_keys", column "key_enc", the row's id).  An org key
 * rotation re-seals it and a master key rotation re-wraps the org key, so
 * the hashes do not change: the same secret has one hash across the files
 * and scans of an org, and another in another org.
 *
 * The result's fingerprint, which lethe-analyze derives from the plain
 * digest, is replaced too: SHA-256 of "lethe/v1", tool, rule, path and the
 * keyed hash (hex), each followed by a NUL.
 *
 * The same key keys every fingerprint before it is stored: lethe-analyze's
 * hash the flagged lines, so a plain one lets anyone who holds it confirm a
 * guess of a line.  The stored fingerprint is the hex of HMAC-SHA256(K_org,
 * "lethe/fingerprint" NUL fingerprint), and the fingerprints stored before
 * that (the orgs listed in lethe.fingerprint_rekeys) are keyed the same
 * way by the org's first scan, so that findings and triage keep their
 * history.
 */
#ifndef LETHE_SECRETHASH_H
#define LETHE_SECRETHASH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "sarif.h"

/*
 * The secret hash key of org_id into key (caller releases), created and
 * stored first when the org has none.  Outside a transaction: a key
 * created concurrently wins, and both callers get it.  -ENOENT when the
 * org has no data key, -ENOKEY when its master key version is missing,
 * -EBADMSG when the stored key does not open.
 */
int secrethash_key(struct db *db, const struct keyring *kr, int64_t org_id,
		   struct secbuf *key);

/*
 * Key every secret result of log: secret_hash and fingerprint from
 * secret_sha256, which is then cleansed and freed.  A result that cannot
 * be keyed (a digest that is not 64 hex digits, or HMAC failed) is left
 * without a hash and without a fingerprint, as secrethash_drop() leaves
 * it; *unkeyed (may be NULL) counts those, and then -EIO is returned.
 */
int secrethash_apply(const struct secbuf *key, struct sarif_log *log, size_t *unkeyed);

/*
 * When no key is available: cleanse and free every secret_sha256 of log,
 * and the fingerprints derived from them (the caller then tracks those
 * results by their rule, path and message).  *count (may be NULL) gets
 * how many.
 */
void secrethash_drop(struct sarif_log *log, size_t *count);

/* The keyed form of fingerprint fp (hex, of any length) into out. */
int secrethash_fingerprint(const struct secbuf *key, const char *fp, char out[65]);

/*
 * Key every fingerprint of log (after secrethash_apply); -EIO when HMAC
 * failed, the fingerprints that could not be keyed being dropped.  Without
 * a key, secrethash_fingerprints_drop() drops them all instead (the caller
 * then tracks the results by their tool, rule, path and Lethe's rule text)
 * and counts them in *count (may be NULL).
 */
int secrethash_fingerprints(const struct secbuf *key, struct sarif_log *log);
void secrethash_fingerprints_drop(struct sarif_log *log, size_t *count);

/*
 * Within the caller's transaction: when org_id is listed in
 * lethe.fingerprint_rekeys, unlist it and key every fingerprint of its
 * findings and triage; *count gets how many distinct fingerprints (0 when
 * it was not listed, or another scan did it first).
 */
int secrethash_rekey(struct db *db, const struct secbuf *key, int64_t org_id, size_t *count);

#endif
