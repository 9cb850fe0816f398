/*
 * crypto_test.c - AES-256-GCM against Project Wycheproof's vectors, sealing,
 * hashing and locked buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "crypto.h"
#include "util.h"
#include "tap.h"
#include "corpus.h"

#define WYCHEPROOF "crypto/wycheproof_aes_gcm_256_iv96_test.json"

/* Decode a hex field of a test case; *n gets its length in bytes. */
static unsigned char *field(json_object *tc, const char *key, size_t *n)
{
	json_object *v;
	const char *s;
	unsigned char *out;

	if (!json_object_object_get_ex(tc, key, &v))
		return NULL;
	s = json_object_get_string(v);
	*n = strlen(s) / 2;
	out = xmalloc(*n + 1);
	if (hex_decode(s, out, *n) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

struct vector {
	unsigned char *key, *iv, *aad, *msg, *ct, *tag;
	size_t keylen, ivlen, aadlen, msglen, ctlen, taglen;
	int valid, id;
};

static int vector_load(json_object *tc, struct vector *v)
{
	json_object *o;

	memset(v, 0, sizeof(*v));
	v->key = field(tc, "key", &v->keylen);
	v->iv = field(tc, "iv", &v->ivlen);
	v->aad = field(tc, "aad", &v->aadlen);
	v->msg = field(tc, "msg", &v->msglen);
	v->ct = field(tc, "ct", &v->ctlen);
	v->tag = field(tc, "tag", &v->taglen);
	if (json_object_object_get_ex(tc, "tcId", &o))
		v->id = json_object_get_int(o);
	if (json_object_object_get_ex(tc, "result", &o))
		v->valid = !strcmp(json_object_get_string(o), "valid");
	return v->key && v->iv && v->aad && v->msg && v->ct && v->tag && v->keylen == 32 &&
	       v->ctlen == v->msglen ? 0 : -EINVAL;
}

static void vector_free(struct vector *v)
{
	free(v->key);
	free(v->iv);
	free(v->aad);
	free(v->msg);
	free(v->ct);
	free(v->tag);
}

/* Valid: decrypts to msg and encrypts to ct||tag.  Invalid: refused. */
static void vector_check(const struct vector *v, int *passed)
{
	unsigned char *pt = xmalloc(v->msglen + 1), *ct = xmalloc(v->msglen + 1), tag[16];
	int r = crypto_gcm_decrypt(v->key, v->iv, v->ivlen, v->aad, v->aadlen, v->ct, v->ctlen,
				   v->tag, v->taglen, pt);
	int good;

	if (v->valid) {
		good = r == 0 && !memcmp(pt, v->msg, v->msglen) &&
		       crypto_gcm_encrypt(v->key, v->iv, v->ivlen, v->aad, v->aadlen, v->msg,
					  v->msglen, ct, tag, v->taglen) == 0 &&
		       !memcmp(ct, v->ct, v->ctlen) && !memcmp(tag, v->tag, v->taglen);
		ok(good, "wycheproof tcId %d (valid): decrypts to msg, encrypts to ct and tag", v->id);
	} else {
		good = r == -EBADMSG;
		ok(good, "wycheproof tcId %d (invalid): refused with EBADMSG (got %d)", v->id, r);
	}
	*passed += good;
	free(pt);
	free(ct);
}

static void test_wycheproof(void)
{
	char *path = corpus_file(WYCHEPROOF);
	json_object *root, *groups, *tests;
	int passed = 0, total = 0;

	if (!path || !(root = json_object_from_file(path))) {
		skip(1, "wycheproof vectors not found (set CORPUS)");
		free(path);
		return;
	}
	json_object_object_get_ex(root, "testGroups", &groups);
	for (size_t g = 0; groups && g < json_object_array_length(groups); g++) {
		json_object_object_get_ex(json_object_array_get_idx(groups, g), "tests", &tests);
		for (size_t i = 0; tests && i < json_object_array_length(tests); i++) {
			struct vector v;

			total++;
			if (vector_load(json_object_array_get_idx(tests, i), &v) < 0)
				ok(0, "wycheproof test %zu is readable", i);
			else
				vector_check(&v, &passed);
			vector_free(&v);
		}
	}
	diag("wycheproof AES-256-GCM: %d of %d vectors pass", passed, total);
	ok(total > 0, "wycheproof file holds vectors (%d)", total);
	json_object_put(root);
	free(path);
}

static void test_seal(void)
{
	unsigned char key[32], other[32], blob[64 + CRYPTO_SEAL_OVERHEAD], blob2[sizeof(blob)];
	unsigned char pt[64], msg[64];

	crypto_random(key, sizeof(key));
	crypto_random(other, sizeof(other));
	crypto_random(msg, sizeof(msg));
	ok(crypto_seal(key, "ad", 2, msg, 64, blob) == 0, "seal succeeds");
	ok(crypto_open(key, "ad", 2, blob, sizeof(blob), pt) == 0 && !memcmp(pt, msg, 64),
	   "open returns the plaintext");
	ok(crypto_seal(key, "ad", 2, msg, 64, blob2) == 0 && memcmp(blob, blob2, 12) != 0,
	   "two seals use different nonces");
	ok(crypto_open(key, "ae", 2, blob, sizeof(blob), pt) == -EBADMSG, "other AD refused");
	ok(crypto_open(other, "ad", 2, blob, sizeof(blob), pt) == -EBADMSG, "other key refused");
	blob[20] ^= 1;
	ok(crypto_open(key, "ad", 2, blob, sizeof(blob), pt) == -EBADMSG,
	   "flipped ciphertext bit refused");
	ok(crypto_open(key, "ad", 2, blob, CRYPTO_SEAL_OVERHEAD - 1, pt) == -EBADMSG,
	   "short blob refused");
}

static void test_hashes(void)
{
	unsigned char out[32], want[32];
	char hex[65];

	/* FIPS 180-2 "abc" and RFC 4231 test case 2. */
	crypto_sha256("abc", 3, out);
	hex_encode(out, 32, hex);
	ok(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "sha256(abc)");
	ok(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out) == 0, "hmac runs");
	hex_decode("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	ok(crypto_equal(out, want, 32), "hmac-sha256 RFC 4231 case 2");
	want[31] ^= 0x80;
	ok(!crypto_equal(out, want, 32), "crypto_equal sees a last-bit difference");
}

static void test_secbuf(void)
{
	struct secbuf a = { 0 }, b = { 0 };

	ok(secbuf_alloc(&a, 32) == 0 && a.len == 32 && a.data, "secbuf of 32 bytes");
	ok(secbuf_alloc(&b, 5000) == 0 && b.len == 5000, "secbuf of 5000 bytes");
	ok(a.data[0] == 0 && a.data[31] == 0, "secbuf starts zeroed");
	memset(b.data, 0xaa, b.len);
	secbuf_release(&b);
	ok(b.data == NULL && b.len == 0, "release resets the secbuf");
	secbuf_release(&b);
	ok(1, "releasing twice is harmless");
	secbuf_release(&a);
}

int main(void)
{
	test_hashes();
	test_seal();
	test_secbuf();
	test_wycheproof();
	return done_testing();
}
