/* apiauth.c - pinned-algorithm JWT access tokens for lethe-api. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "apiauth.h"
#include "util.h"

#define JWT_LABEL "lethe-jwt-v1"
#define SIG_CHARS 43		/* base64url of 32 bytes, unpadded */

/* One "v<N> <hex>" line: its version and key; -EINVAL when malformed. */
static int master_line(char *line, long *version, unsigned char key[32])
{
	char *sp = strchr(line, ' ');

	if (line[0] != 'v' || !sp || strlen(sp + 1) != 64)
		return -EINVAL;
	*version = strtol(line + 1, NULL, 10);
	return *version > 0 && hex_decode(sp + 1, key, 32) == 0 ? 0 : -EINVAL;
}

static int derive(const unsigned char master[32], unsigned char out[APIAUTH_KEY_LEN])
{
	unsigned int len = APIAUTH_KEY_LEN;

	return HMAC(EVP_sha256(), master, 32, (const unsigned char *)JWT_LABEL, strlen(JWT_LABEL),
		    out, &len) ? 0 : -EIO;
}

/* A key per version, newest first (kept in order as lines come). */
static int master_parse(char *text, struct apiauth_keys *k)
{
	long versions[APIAUTH_KEYS_MAX], v;
	unsigned char master[32];
	char *save = NULL, *line;
	int r = 0, i;

	k->n = 0;
	for (line = strtok_r(text, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		if ((r = master_line(line, &v, master)) < 0 || k->n == APIAUTH_KEYS_MAX)
			break;
		for (i = k->n; i > 0 && versions[i - 1] < v; i--) {
			versions[i] = versions[i - 1];
			memcpy(k->key[i], k->key[i - 1], APIAUTH_KEY_LEN);
		}
		versions[i] = v;
		r = derive(master, k->key[i]);
		k->n++;
	}
	OPENSSL_cleanse(master, sizeof(master));
	return r < 0 ? r : k->n > 0 ? 0 : -EINVAL;
}

static int master_check(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return -EPERM;
	if (st.st_mode & 077)
		return -EPERM;
	return 0;
}

int apiauth_keys_load(const struct config *cfg, struct apiauth_keys *k, char *why, size_t whylen)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	_cleanup_free_ char *path = creds ? xasprintf("%s/master.key", creds)
					  : xstrdup(config_v(cfg)->master_key_file);
	char *text = NULL;
	size_t n = 0;
	int fd, r;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -errno : master_check(fd);
	if (fd >= 0)
		close(fd);
	if (r == 0)
		r = read_file(path, 4096, &text, &n);
	if (r == 0)
		r = master_parse(text, k);
	if (r < 0) {
		apiauth_keys_release(k);
		snprintf(why, whylen, "unable to use master key '%s': %s", path,
			 r == -EPERM ? "owner or mode not safe" : strerror(-r));
	}
	if (text)
		OPENSSL_cleanse(text, n);
	free(text);
	return r;
}

void apiauth_keys_release(struct apiauth_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* Strict base64url without padding; *out is NUL-terminated, caller frees. */
static int b64url_decode(const char *in, size_t n, char **out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *o = xmalloc(n * 3 / 4 + 4);
	size_t i, k = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *p = memchr(al, in[i], 64);

		if (!p || !in[i])
			goto fail;
		acc = (acc << 6) | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
		}
	}
	o[k] = '\0';
	*out = (char *)o;
	return (int)k;
fail:
	free(o);
	return -EINVAL;
}

/* Parse one segment as a JSON object. */
static struct json_object *segment_json(const char *seg, size_t n)
{
	struct json_object *j = NULL;
	struct json_tokener *tok;
	char *text = NULL;
	int len = b64url_decode(seg, n, &text);

	if (len < 0)
		return NULL;
	tok = json_tokener_new_ex(8);
	j = json_tokener_parse_ex(tok, text, len);
	if (j && (json_tokener_get_parse_end(tok) != (size_t)len || !json_object_is_type(j, json_type_object))) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	free(text);
	return j;
}

/* Only {"alg":"HS256"} with an optional string "typ": nothing else. */
static int header_check(struct json_object *h, const char *typ)
{
	struct json_object *alg, *t;
	int keys = json_object_object_length(h);

	if (!json_object_object_get_ex(h, "alg", &alg) || !json_object_is_type(alg, json_type_string)
	    || strcmp(json_object_get_string(alg), "HS256"))
		return -EPERM;
	if (json_object_object_get_ex(h, "typ", &t)) {
		if (!json_object_is_type(t, json_type_string))
			return -EINVAL;
		if (typ && strcmp(json_object_get_string(t), typ))
			return -EPERM;
		keys--;
	} else if (typ) {
		return -EPERM;
	}
	return keys == 1 ? 0 : -EPERM;
}

/* An integer claim; -ENOENT when absent, -EINVAL when not an integer. */
static int claim_int(struct json_object *p, const char *name, int64_t *v)
{
	struct json_object *c;

	if (!json_object_object_get_ex(p, name, &c))
		return -ENOENT;
	if (!json_object_is_type(c, json_type_int))
		return -EINVAL;
	*v = json_object_get_int64(c);
	return 0;
}

static int times_check(struct json_object *p, int64_t now)
{
	int64_t exp, nbf, iat;
	int r;

	if (claim_int(p, "exp", &exp) < 0)
		return -EINVAL;
	if (now >= exp)
		return -ETIME;
	r = claim_int(p, "nbf", &nbf);
	if (r == -EINVAL || (r == 0 && now + APIAUTH_LEEWAY < nbf))
		return r ? r : -ETIME;
	r = claim_int(p, "iat", &iat);
	if (r == -EINVAL || (r == 0 && now + APIAUTH_LEEWAY < iat))
		return r ? r : -ETIME;
	return 0;
}

/* Three non-empty base64url segments, a 43-character signature. */
static int shape_check(const char *token, const char **dot1, const char **dot2)
{
	size_t n = strnlen(token, APIAUTH_TOKEN_MAX + 1);

	if (n > APIAUTH_TOKEN_MAX || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789-_.") != n)
		return -EINVAL;
	*dot1 = strchr(token, '.');
	*dot2 = *dot1 ? strchr(*dot1 + 1, '.') : NULL;
	if (!*dot2 || strchr(*dot2 + 1, '.') || *dot1 == token || *dot2 == *dot1 + 1)
		return -EINVAL;
	return strlen(*dot2 + 1) == SIG_CHARS ? 0 : -EPERM;
}

static int verify_typed(const char *token, const unsigned char *key, size_t keylen, int64_t now,
			const char *typ, struct json_object **payload)
{
	struct json_object *h = NULL, *p = NULL;
	const char *d1, *d2;
	jwt_t *jwt = NULL;
	int r = shape_check(token, &d1, &d2);

	if (r < 0)
		return r;
	h = segment_json(token, (size_t)(d1 - token));
	p = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
	r = !h || !p ? -EINVAL : header_check(h, typ);
	if (r == 0 && (keylen == 0 || jwt_decode(&jwt, token, key, (int)keylen) != 0))
		r = -EPERM;
	if (r == 0 && jwt_get_alg(jwt) != JWT_ALG_HS256)
		r = -EPERM;	/* pinned again after decoding */
	if (r == 0)
		r = times_check(p, now);
	jwt_free(jwt);
	json_object_put(h);
	if (r == 0 && payload)
		*payload = p;
	else
		json_object_put(p);
	return r;
}

int apiauth_verify_hs256(const char *token, const unsigned char *key, size_t keylen,
			 int64_t now, char **payload)
{
	struct json_object *p = NULL;
	int r = verify_typed(token, key, keylen, now, NULL, &p);

	if (r == 0 && payload)
		*payload = xstrdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	json_object_put(p);
	return r;
}

static int claim_str_is(struct json_object *p, const char *name, const char *want)
{
	struct json_object *c;

	return json_object_object_get_ex(p, name, &c) && json_object_is_type(c, json_type_string)
	       && !strcmp(json_object_get_string(c), want);
}

static int claims_fill(struct json_object *p, struct apiauth_claims *c)
{
	struct json_object *role, *sub;

	if (!claim_str_is(p, "iss", APIAUTH_ISSUER) || !claim_str_is(p, "aud", APIAUTH_AUDIENCE)
	    || !claim_str_is(p, "use", APIAUTH_USE))
		return -EPERM;
	if (claim_int(p, "org", &c->org_id) < 0 || claim_int(p, "iat", &c->iat) < 0
	    || claim_int(p, "nbf", &c->nbf) < 0 || claim_int(p, "exp", &c->exp) < 0)
		return -EINVAL;
	if (!json_object_object_get_ex(p, "sub", &sub) || !json_object_is_type(sub, json_type_string)
	    || parse_i64(json_object_get_string(sub), 1, INT64_MAX, &c->user_id) < 0)
		return -EINVAL;
	if (!json_object_object_get_ex(p, "role", &role) || !json_object_is_type(role, json_type_string))
		return -EINVAL;
	snprintf(c->role, sizeof(c->role), "%s", json_object_get_string(role));
	if (strcmp(c->role, "owner") && strcmp(c->role, "admin") && strcmp(c->role, "member"))
		return -EINVAL;
	return c->org_id > 0 && c->exp - c->iat <= 4 * 3600 ? 0 : -EINVAL;
}

int apiauth_verify(const char *token, const unsigned char *key, size_t keylen, int64_t now,
		   struct apiauth_claims *c)
{
	struct json_object *p = NULL;
	int r = verify_typed(token, key, keylen, now, APIAUTH_TYP, &p);

	memset(c, 0, sizeof(*c));
	if (r == 0)
		r = claims_fill(p, c);
	json_object_put(p);
	return r;
}

int apiauth_sign(const unsigned char *key, size_t keylen, const struct apiauth_claims *c,
		 char **out)
{
	char sub[24];
	jwt_t *jwt = NULL;
	int r;

	i64s(c->user_id, sub);
	if (jwt_new(&jwt) != 0)
		return -ENOMEM;
	r = jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen);
	r = r ? r : jwt_add_grant(jwt, "iss", APIAUTH_ISSUER);
	r = r ? r : jwt_add_grant(jwt, "aud", APIAUTH_AUDIENCE);
	r = r ? r : jwt_add_grant(jwt, "use", APIAUTH_USE);
	r = r ? r : jwt_add_grant(jwt, "sub", sub);
	r = r ? r : jwt_add_grant_int(jwt, "org", (long)c->org_id);
	r = r ? r : jwt_add_grant(jwt, "role", c->role);
	r = r ? r : jwt_add_grant_int(jwt, "iat", (long)c->iat);
	r = r ? r : jwt_add_grant_int(jwt, "nbf", (long)c->nbf);
	r = r ? r : jwt_add_grant_int(jwt, "exp", (long)c->exp);
	*out = r ? NULL : jwt_encode_str(jwt);
	jwt_free(jwt);
	if (r)
		return -r;
	return *out ? 0 : -ENOMEM;
}
