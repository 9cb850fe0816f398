/* clone_auth.c - the token's Authorization header, for either clone method. */
#include <string.h>

#include <openssl/evp.h>

#include "clone_int.h"
#include "crypto.h"

static const char auth_user[] = "x-access-token:";

static const char *auth_scheme(const struct clone_opts *o)
{
	return o->co_auth == CLONE_AUTH_BEARER ? "Authorization: Bearer " : "Authorization: Basic ";
}

size_t clone_auth_len(const struct clone_opts *o)
{
	size_t raw = sizeof(auth_user) - 1 + o->co_token_len;

	return strlen(auth_scheme(o)) +
	       (o->co_auth == CLONE_AUTH_BEARER ? o->co_token_len : 4 * ((raw + 2) / 3));
}

int clone_auth_write(const struct clone_opts *o, char *dst)
{
	const char *scheme = auth_scheme(o);
	size_t slen = strlen(scheme), rawlen = sizeof(auth_user) - 1 + o->co_token_len;
	struct secbuf raw;
	int r;

	memcpy(dst, scheme, slen);
	if (o->co_auth == CLONE_AUTH_BEARER) {
		memcpy(dst + slen, o->co_token, o->co_token_len);
		dst[slen + o->co_token_len] = '\0';
		return 0;
	}
	r = secbuf_alloc(&raw, rawlen);
	if (r < 0)
		return r;
	memcpy(raw.data, auth_user, sizeof(auth_user) - 1);
	memcpy(raw.data + sizeof(auth_user) - 1, o->co_token, o->co_token_len);
	EVP_EncodeBlock((unsigned char *)dst + slen, raw.data, (int)rawlen);
	secbuf_release(&raw);
	return 0;
}
