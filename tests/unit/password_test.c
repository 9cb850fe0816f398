/*
 * password_test.c - bcrypt hashes from published test suites verify through
 * libxcrypt; Lethe's own policy (only $2b$, at most 72 bytes, cost >= 10);
 * bearer tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "crypto.h"
#include "password.h"
#include "util.h"
#include "tap.h"
#include "corpus.h"

#define VECTORS "crypto/bcrypt_vectors.json"

static const char *get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

struct counts {
	int pass, skip;
};

/* The password of a vector as a C string; NULL when it holds a NUL byte. */
static char *vector_password(const char *hex)
{
	size_t n = strlen(hex) / 2;
	char *pw = xcalloc(1, n + 1);

	if (hex_decode(hex, (unsigned char *)pw, n) < 0 || strlen(pw) != n) {
		free(pw);
		return NULL;
	}
	return pw;
}

/* A must-fail setting from crypt_blowfish: never accepted as a hash. */
static void vector_setting(const char *setting, struct counts *c)
{
	int r = password_verify("x", setting);

	c->pass += ok(r != 0, "setting '%s' refused (%d)", setting, r);
}

static int ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * $2y$ is the same algorithm as $2b$, and so is $2a$ for 7-bit passwords:
 * such a hash verifies once its prefix reads $2b$.  Lethe refuses the
 * other prefixes themselves.  $2x$ reproduces a historical bug: never.
 */
static int variant_applies(const char *hash, const char *pw)
{
	return !strncmp(hash, "$2y$", 4) || (!strncmp(hash, "$2a$", 4) && ascii_only(pw));
}

static void vector_variant(const char *hash, const char *pw, size_t len, struct counts *c)
{
	char *as2b = xstrdup(hash);
	int refused = password_verify(pw, hash) == -EINVAL;

	as2b[2] = 'b';
	c->pass += ok(refused && password_verify(pw, as2b) == 0,
		      "%.29s... refused as is, verifies as $2b$ (%zu bytes)", hash, len);
	free(as2b);
}

static void vector_hash(const char *hash, const char *hex, struct counts *c)
{
	char *pw = vector_password(hex);
	size_t len = strlen(hex) / 2;
	int r;

	if (!pw) {
		printf("ok %d # SKIP %.29s...: password holds a NUL byte, which no C string "
		       "can carry\n", ++tap_n, hash);
		c->skip++;
	} else if (len == 0) {
		printf("ok %d # SKIP %.29s...: empty password, which Lethe refuses (got %d)\n",
		       ++tap_n, hash, password_verify(pw, hash));
		c->skip++;
	} else if (len > PASSWORD_MAX) {
		r = password_verify(pw, hash);
		printf("ok %d # SKIP %.29s...: %zu-byte password; Lethe refuses over 72 bytes "
		       "instead of truncating (got %d)\n", ++tap_n, hash, len, r);
		c->skip++;
	} else if (!strncmp(hash, "$2b$", 4)) {
		r = password_verify(pw, hash);
		c->pass += ok(r == 0, "%.29s... verifies (%zu bytes)", hash, len);
	} else if (variant_applies(hash, pw)) {
		vector_variant(hash, pw, len, c);
	} else {
		printf("ok %d # SKIP %.29s...: %s (and Lethe refuses that prefix)\n", ++tap_n, hash,
		       !strncmp(hash, "$2x$", 4) ? "$2x$ reproduces the pre-2011 8-bit bug on purpose"
		       : "$2a$ with 8-bit characters gets crypt_blowfish's countermeasure, not always $2b$");
		c->skip++;
	}
	free(pw);
}

static void test_vectors(void)
{
	char *path = corpus_file(VECTORS);
	json_object *root, *vs;
	struct counts c = { 0, 0 };
	size_t n;

	if (!path || !(root = json_object_from_file(path))) {
		skip(1, "bcrypt vectors not found (set CORPUS)");
		free(path);
		return;
	}
	json_object_object_get_ex(root, "vectors", &vs);
	n = vs ? json_object_array_length(vs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(vs, i);

		if (get(v, "setting"))
			vector_setting(get(v, "setting"), &c);
		else
			vector_hash(get(v, "hash"), get(v, "password_hex"), &c);
	}
	diag("bcrypt vectors: %d pass, %d skipped, of %zu", c.pass, c.skip, n);
	ok(n > 0, "vector file holds vectors");
	json_object_put(root);
	free(path);
}

static void test_policy(void)
{
	char pw73[74], pw72[73], *h = NULL, *h72 = NULL;

	memset(pw73, 'a', 73);
	pw73[73] = '\0';
	memset(pw72, 'a', 72);
	pw72[72] = '\0';
	ok(password_hash("correct horse", 10, &h) == 0 && h && !strncmp(h, "$2b$10$", 7) &&
	   strlen(h) == 60, "hash is $2b$ cost 10, 60 characters");
	ok(h && password_verify("correct horse", h) == 0, "right password verifies");
	ok(h && password_verify("correct horsf", h) == -EACCES, "wrong password: EACCES");
	ok(h && password_verify("correct hors", h) == -EACCES, "prefix of the password: EACCES");
	ok(password_hash(pw73, 10, &h72) == -E2BIG, "73-byte password refused for hashing");
	ok(h && password_verify(pw73, h) == -E2BIG, "73-byte password refused for verifying");
	ok(password_hash(pw72, 10, &h72) == 0 && password_verify(pw72, h72) == 0,
	   "72-byte password hashes and verifies");
	pw73[72] = 'b';
	ok(h72 && password_verify(pw73, h72) == -E2BIG, "72 bytes + 1 is not silently truncated");
	ok(password_hash("x", 9, &h72) == -EINVAL, "cost 9 refused");
	ok(password_hash("x", 32, &h72) == -EINVAL, "cost 32 refused");
	ok(password_hash("", 10, &h72) == -EINVAL, "empty password refused");
	ok(h && password_verify("correct horse", h + 1) == -EINVAL, "mangled hash refused");
	/* Well-shaped $2b$ strings that libxcrypt itself refuses (its '*0' failure token). */
	ok(password_verify("x", "$2b$03$CCCCCCCCCCCCCCCCCCCCC.CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC") ==
	   -EINVAL, "cost 3 hash refused by libxcrypt");
	ok(password_verify("x", "$2b$32$CCCCCCCCCCCCCCCCCCCCC.CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC") ==
	   -EINVAL, "cost 32 hash refused by libxcrypt");
	free(h);
	free(h72);
}

static void test_tokens(void)
{
	unsigned char hash[32], again[32];
	char listed[TOKEN_LISTED + 1], *t = NULL, *u = NULL;

	ok(token_new(&t, hash, listed) == 0 && t && strlen(t) == 49 && !strncmp(t, "lethe_", 6),
	   "token is lethe_ + 43 characters");
	ok(t && !strncmp(listed, t, TOKEN_LISTED) && strlen(listed) == TOKEN_LISTED,
	   "listed part is the first %d characters", TOKEN_LISTED);
	ok(t && token_hash(t, again) == 0 && crypto_equal(hash, again, 32),
	   "token_hash of the token equals the stored hash");
	ok(token_new(&u, again, listed) == 0 && strcmp(t, u) != 0 && !crypto_equal(hash, again, 32),
	   "two tokens differ");
	ok(token_hash("lethe_short", again) == -EINVAL, "short token refused");
	ok(token_hash("lethX_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", again) == -EINVAL,
	   "wrong prefix refused");
	ok(token_hash("lethe_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+", again) == -EINVAL,
	   "non-base64url character refused");
	ok(token_hash("lethe_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", again) == -EINVAL,
	   "overlong token refused");
	free(t);
	free(u);
}

int main(void)
{
	test_policy();
	test_tokens();
	test_vectors();
	return done_testing();
}
