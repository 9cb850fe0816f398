/*
 * apiauth_fuzz.c - access-token verification: the input is a bearer token
 * as a client sends it, checked with a fixed key and clock.  Nothing a
 * token holds may crash the verifier; the Lethe-shaped checks run too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "apiauth.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[APIAUTH_KEY_LEN] = "lethe fuzz key, 32 bytes long!!";
	struct apiauth_claims c;
	char *token = xstrndup((const char *)data, size), *payload = NULL;

	if (apiauth_verify_hs256(token, key, sizeof(key), 1800000000, &payload) == 0)
		free(payload);
	apiauth_verify(token, key, sizeof(key), 1800000000, &c);
	free(token);
	return 0;
}
