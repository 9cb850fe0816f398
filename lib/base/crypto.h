/*
 * crypto.h - the primitives Lethe uses, all from OpenSSL 3.
 *
 * Sealed blobs (aead_seal/aead_open) are nonce(12) || ciphertext || tag(16)
 * with AES-256-GCM and a random 96-bit nonce.  Secrets live in secbufs:
 * mlocked, zeroed and unlocked on release.
 */
#ifndef LETHE_CRYPTO_H
#define LETHE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN   32
#define CRYPTO_NONCE_LEN 12
#define CRYPTO_TAG_LEN   16
#define CRYPTO_SEAL_OVERHEAD (CRYPTO_NONCE_LEN + CRYPTO_TAG_LEN)

struct secbuf {
	unsigned char *data;
	size_t len;
};

/* Allocate len zeroed, mlocked bytes; the caller releases with secbuf_release(). */
int secbuf_alloc(struct secbuf *b, size_t len);
/* Zero, unlock and free; accepts an unallocated (zeroed) secbuf. */
void secbuf_release(struct secbuf *b);

int crypto_random(void *buf, size_t n);		/* RAND_priv_bytes */
void crypto_sha256(const void *data, size_t n, unsigned char out[32]);
int crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
		       unsigned char out[32]);
int crypto_equal(const void *a, const void *b, size_t n);	/* constant time; 1 if equal */

/* Raw AES-256-GCM with explicit nonce (any length) and tag length. */
int crypto_gcm_encrypt(const unsigned char *key, const unsigned char *iv, size_t ivlen,
		       const void *aad, size_t aadlen, const void *pt, size_t ptlen,
		       unsigned char *ct, unsigned char *tag, size_t taglen);
/* -EBADMSG when the tag does not verify (pt then holds nothing useful). */
int crypto_gcm_decrypt(const unsigned char *key, const unsigned char *iv, size_t ivlen,
		       const void *aad, size_t aadlen, const unsigned char *ct, size_t ctlen,
		       const unsigned char *tag, size_t taglen, unsigned char *pt);

/* out must hold ptlen + CRYPTO_SEAL_OVERHEAD bytes. */
int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
		const void *pt, size_t ptlen, unsigned char *out);
/* pt must hold inlen - CRYPTO_SEAL_OVERHEAD bytes; -EBADMSG on a bad tag or AD. */
int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const void *aad, size_t aadlen,
		const unsigned char *in, size_t inlen, unsigned char *pt);

#endif
