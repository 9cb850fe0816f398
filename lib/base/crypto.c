/* crypto.c - AES-256-GCM, SHA-256, HMAC and locked secret buffers (OpenSSL 3). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto.h"

/*
 * Each secbuf gets pages of its own: mlock and munlock work on whole pages,
 * so two buffers sharing a page would unlock each other.  The pages are
 * also left out of core dumps.
 */
static size_t secbuf_span(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page + (len == 0 ? page : 0);
}

int secbuf_alloc(struct secbuf *b, size_t len)
{
	size_t span = secbuf_span(len);
	void *p;
	int r;

	memset(b, 0, sizeof(*b));
	if (len > (size_t)INT_MAX)
		return -E2BIG;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (mlock(p, span) < 0) {
		r = -errno;
		munmap(p, span);
		return r;
	}
	(void)madvise(p, span, MADV_DONTDUMP);	/* best effort: older kernels lack it */
	b->data = p;
	b->len = len;
	return 0;
}

void secbuf_release(struct secbuf *b)
{
	size_t span;

	if (!b || !b->data)
		return;
	span = secbuf_span(b->len);
	OPENSSL_cleanse(b->data, span);
	munlock(b->data, span);
	munmap(b->data, span);
	b->data = NULL;
	b->len = 0;
}

int crypto_random(void *buf, size_t n)
{
	if (n > (size_t)INT_MAX)
		return -E2BIG;
	return RAND_priv_bytes(buf, (int)n) == 1 ? 0 : -EIO;
}

void crypto_sha256(const void *data, size_t n, unsigned char out[32])
{
	if (EVP_Digest(data, n, out, NULL, EVP_sha256(), NULL) != 1)
		abort();	/* SHA-256 cannot fail short of a broken library */
}

int crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
		       unsigned char out[32])
{
	unsigned int outlen = 32;

	if (keylen > (size_t)INT_MAX)
		return -E2BIG;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &outlen) || outlen != 32)
		return -EIO;
	return 0;
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* Set up ctx for AES-256-GCM with key and an IV of ivlen bytes. */
static int gcm_init(EVP_CIPHER_CTX *ctx, int enc, const unsigned char *key,
		    const unsigned char *iv, size_t ivlen)
{
	if (ivlen == 0 || ivlen > 1024)
		return -EINVAL;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
		return -EIO;
	return 0;
}

/* Feed AAD then data through ctx; out receives len bytes. */
static int gcm_update(EVP_CIPHER_CTX *ctx, const void *aad, size_t aadlen,
		      const void *in, size_t len, unsigned char *out)
{
	int outl;

	if (aadlen > (size_t)INT_MAX || len > (size_t)INT_MAX)
		return -E2BIG;
	if (aadlen && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return -EIO;
	if (len && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1)
		return -EIO;
	return 0;
}

int crypto_gcm_encrypt(const unsigned char *key, const unsigned char *iv, size_t ivlen,
		       const void *aad, size_t aadlen, const void *pt, size_t ptlen,
		       unsigned char *ct, unsigned char *tag, size_t taglen)
{
	EVP_CIPHER_CTX *ctx;
	int outl, r;

	if (taglen < 12 || taglen > 16)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	r = gcm_init(ctx, 1, key, iv, ivlen);
	if (r == 0)
		r = gcm_update(ctx, aad, aadlen, pt, ptlen, ct);
	if (r == 0 && (EVP_EncryptFinal_ex(ctx, ct + ptlen, &outl) != 1 ||
		       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, (int)taglen, tag) != 1))
		r = -EIO;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int crypto_gcm_decrypt(const unsigned char *key, const unsigned char *iv, size_t ivlen,
		       const void *aad, size_t aadlen, const unsigned char *ct, size_t ctlen,
		       const unsigned char *tag, size_t taglen, unsigned char *pt)
{
	EVP_CIPHER_CTX *ctx;
	int outl, r;

	if (taglen < 12 || taglen > 16)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	r = gcm_init(ctx, 0, key, iv, ivlen);
	if (r == 0)
		r = gcm_update(ctx, aad, aadlen, ct, ctlen, pt);
	if (r == 0 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, (int)taglen,
					  (void *)tag) != 1)
		r = -EIO;
	if (r == 0 && EVP_DecryptFinal_ex(ctx, pt + ctlen, &outl) != 1)
		r = -EBADMSG;
	if (r < 0 && ctlen)
		OPENSSL_cleanse(pt, ctlen);	/* never hand out unauthenticated plaintext */
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
		const void *pt, size_t ptlen, unsigned char *out)
{
	int r = crypto_random(out, CRYPTO_NONCE_LEN);

	if (r < 0)
		return r;
	return crypto_gcm_encrypt(key, out, CRYPTO_NONCE_LEN, aad, aadlen, pt, ptlen,
				  out + CRYPTO_NONCE_LEN, out + CRYPTO_NONCE_LEN + ptlen,
				  CRYPTO_TAG_LEN);
}

int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
		const unsigned char *in, size_t inlen, unsigned char *pt)
{
	size_t ctlen;

	if (inlen < CRYPTO_SEAL_OVERHEAD)
		return -EBADMSG;
	ctlen = inlen - CRYPTO_SEAL_OVERHEAD;
	return crypto_gcm_decrypt(key, in, CRYPTO_NONCE_LEN, aad, aadlen, in + CRYPTO_NONCE_LEN,
				  ctlen, in + CRYPTO_NONCE_LEN + ctlen, CRYPTO_TAG_LEN, pt);
}
