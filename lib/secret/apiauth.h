/*
 * apiauth.h - lethe-api's access tokens: JWT HS256 with the algorithm pinned.
 *
 * libjwt 1.10 accepts alg=none with a NULL key, accepts HS256 keyed with
 * whatever key it is given, and checks no time claim.  So Lethe checks the
 * shape, the header (alg exactly "HS256" before and after decoding, nothing
 * but alg and typ), the signature through libjwt, and exp/nbf/iat itself.
 *
 * The signing key is HMAC-SHA256(current master key, "lethe-jwt-v1"): 32
 * random-derived bytes that never leave the process; older master key
 * versions give the keys that still verify.
 */
#ifndef LETHE_APIAUTH_H
#define LETHE_APIAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define APIAUTH_KEY_LEN    32
#define APIAUTH_TOKEN_MAX  2048	/* longest token looked at */
#define APIAUTH_LEEWAY     30	/* seconds of clock skew allowed for nbf and iat */
#define APIAUTH_TYP        "JWT"	/* libjwt 1.10 always writes this */
#define APIAUTH_USE        "access"	/* the "use" claim: what kind of token */
#define APIAUTH_ISSUER     "lethe"
#define APIAUTH_AUDIENCE   "lethe-api"

struct apiauth_claims {
	int64_t user_id;
	int64_t org_id;
	char role[8];		/* owner, admin, member */
	int64_t iat, nbf, exp;
};

#define APIAUTH_KEYS_MAX   8	/* master key versions kept for verifying */

/* Signing keys, one per master key version, newest first: key[0] signs. */
struct apiauth_keys {
	int n;
	unsigned char key[APIAUTH_KEYS_MAX][APIAUTH_KEY_LEN];
};

/*
 * Derive a key from each master key version ($CREDENTIALS_DIRECTORY/
 * master.key, else master_key_file; same format and ownership rules as
 * keys.h), so that tokens signed before a master key rotation still verify
 * until they expire.  why gets one line naming the file on error.
 */
int apiauth_keys_load(const struct config *cfg, struct apiauth_keys *k, char *why, size_t whylen);
void apiauth_keys_release(struct apiauth_keys *k);	/* zeroes them */

/* Sign an access token for c; *out is owned by the caller. */
int apiauth_sign(const unsigned char *key, size_t keylen, const struct apiauth_claims *c,
		 char **out);

/*
 * Verify a compact HS256 JWT at time now (seconds): shape, pinned header,
 * signature, exp (required), nbf and iat (when present).  On success the
 * payload's JSON text goes to *payload (caller frees) when payload is not
 * NULL.  -EINVAL malformed, -EPERM bad algorithm or signature, -ETIME
 * expired or not yet valid.
 */
int apiauth_verify_hs256(const char *token, const unsigned char *key, size_t keylen,
			 int64_t now, char **payload);

/* Verify a Lethe access token: the above, typ, iss, aud, use, and every claim. */
int apiauth_verify(const char *token, const unsigned char *key, size_t keylen, int64_t now,
		   struct apiauth_claims *c);

#endif
