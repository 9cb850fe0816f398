/*
 * sig_fuzz.c - signature-header parsing and verification for every
 * provider: the input is split on NUL bytes into the signature header,
 * webhook-id, webhook-timestamp, webhook-signature and the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *field(const uint8_t **p, const uint8_t *end, char **owned)
{
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
	size_t n = z ? (size_t)(z - *p) : (size_t)(end - *p);

	*owned = xstrndup((const char *)*p, n);
	*p += n + (z != NULL);
	return *owned;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char hmac_secret[] = "It's a Secret to Everybody";
	static const unsigned char sw_secret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	const uint8_t *p = data, *end = data + size;
	char *f[4];
	struct webhook_headers h = { 0 };
	unsigned char mac[32];

	h.signature = field(&p, end, &f[0]);
	h.sw_id = field(&p, end, &f[1]);
	h.sw_timestamp = field(&p, end, &f[2]);
	h.sw_signature = field(&p, end, &f[3]);
	webhook_sig_parse(h.signature, "sha256=", mac);
	webhook_sig_parse(h.signature, NULL, mac);
	webhook_sw_match(h.sw_signature, mac);
	for (int i = 0; i < WH__MAX; i++)
		webhook_verify((enum webhook_provider)i, &h, hmac_secret, sizeof(hmac_secret) - 1,
			       p, (size_t)(end - p), 1614265330, 300);
	webhook_verify(WH_GITLAB, &h, sw_secret, sizeof(sw_secret) - 1, p, (size_t)(end - p),
		       1614265330, 300);
	webhook_verify(WH_GITLAB, &h, (const unsigned char *)h.sw_id, strlen(h.sw_id), p,
		       (size_t)(end - p), 1614265330, 300);
	for (int i = 0; i < 4; i++)
		free(f[i]);
	return 0;
}
