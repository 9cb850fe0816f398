/*
 * password.h - passwords (bcrypt through libxcrypt) and bearer tokens.
 *
 * Passwords: "$2b$" bcrypt, cost from the configuration (never below 10);
 * a password over 72 bytes is refused (-E2BIG), never truncated.
 * Tokens (API keys, refresh tokens): "lethe_" + 43 base64url characters of
 * 32 random bytes, shown once and stored only as SHA-256.
 */
#ifndef LETHE_PASSWORD_H
#define LETHE_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX 72
#define TOKEN_PREFIX "lethe_"
#define TOKEN_LISTED 12		/* characters of a token shown when listing */

/* *out: the "$2b$..." hash, caller frees. -E2BIG / -EINVAL for bad input. */
int password_hash(const char *password, int cost, char **out);
/* 0 when password matches hash, -EACCES when not, other -errno on error. */
int password_verify(const char *password, const char *hash);

/*
 * A new random token.  token (caller frees, and should zero it once shown)
 * gets the whole token; hash its SHA-256; listed the first TOKEN_LISTED
 * characters, NUL-terminated.
 */
int token_new(char **token, unsigned char hash[32], char listed[TOKEN_LISTED + 1]);
/* SHA-256 of a presented token; -EINVAL when it is not shaped like one. */
int token_hash(const char *token, unsigned char hash[32]);

#endif
