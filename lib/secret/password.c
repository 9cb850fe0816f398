/* password.c - bcrypt through libxcrypt, and bearer tokens stored as SHA-256. */
#include <crypt.h>
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "password.h"
#include "util.h"

#define BCRYPT_PREFIX   "$2b$"
#define BCRYPT_LEN      60
#define BCRYPT_MIN_COST 10
#define BCRYPT_MAX_COST 31
#define TOKEN_BYTES     32
#define TOKEN_CHARS     43	/* base64url of 32 bytes, unpadded */

static int password_check(const char *password)
{
	size_t n = strnlen(password, PASSWORD_MAX + 1);

	if (n == 0)
		return -EINVAL;
	return n > PASSWORD_MAX ? -E2BIG : 0;
}

/* crypt_r into a heap crypt_data that is zeroed afterwards; *out gets a copy. */
static int bcrypt_run(const char *password, const char *setting, char **out)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *h = crypt_r(password, setting, cd);
	int r = 0;

	if (!h || h[0] == '*' || strlen(h) != BCRYPT_LEN)
		r = -EINVAL;	/* libxcrypt's failure tokens start with '*' */
	else
		*out = xstrdup(h);
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return r;
}

int password_hash(const char *password, int cost, char **out)
{
	char *setting;
	int r = password_check(password);

	if (r < 0)
		return r;
	if (cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST)
		return -EINVAL;
	errno = 0;
	setting = crypt_gensalt_ra(BCRYPT_PREFIX, (unsigned long)cost, NULL, 0);
	if (!setting)
		return errno ? -errno : -EIO;
	r = bcrypt_run(password, setting, out);
	free(setting);
	return r;
}

int password_verify(const char *password, const char *hash)
{
	char *got = NULL;
	int r = password_check(password);

	if (r < 0)
		return r;
	if (strncmp(hash, BCRYPT_PREFIX, strlen(BCRYPT_PREFIX)) != 0 ||
	    strlen(hash) != BCRYPT_LEN)
		return -EINVAL;
	r = bcrypt_run(password, hash, &got);
	if (r < 0)
		return r;
	r = CRYPTO_memcmp(got, hash, BCRYPT_LEN) == 0 ? 0 : -EACCES;
	free(got);
	return r;
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = tab[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		*out++ = tab[(acc << (6 - bits)) & 63];
	*out = '\0';
}

int token_new(char **token, unsigned char hash[32], char listed[TOKEN_LISTED + 1])
{
	unsigned char raw[TOKEN_BYTES];
	size_t plen = strlen(TOKEN_PREFIX);
	char *t;
	int r = crypto_random(raw, sizeof(raw));

	if (r < 0)
		return r;
	t = xmalloc(plen + TOKEN_CHARS + 1);
	memcpy(t, TOKEN_PREFIX, plen);
	base64url(raw, sizeof(raw), t + plen);
	OPENSSL_cleanse(raw, sizeof(raw));
	crypto_sha256(t, plen + TOKEN_CHARS, hash);
	memcpy(listed, t, TOKEN_LISTED);
	listed[TOKEN_LISTED] = '\0';
	*token = t;
	return 0;
}

int token_hash(const char *token, unsigned char hash[32])
{
	size_t plen = strlen(TOKEN_PREFIX);
	size_t n = strnlen(token, plen + TOKEN_CHARS + 1);

	if (n != plen + TOKEN_CHARS || strncmp(token, TOKEN_PREFIX, plen) != 0)
		return -EINVAL;
	for (size_t i = plen; i < n; i++) {
		char c = token[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -EINVAL;
	}
	crypto_sha256(token, n, hash);
	return 0;
}
