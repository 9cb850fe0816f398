/* form_fuzz.c - the application/x-www-form-urlencoded `payload=` decoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sd, *json;
	size_t sl, jl;
	char *out = NULL;

	if (webhook_form_payload((const char *)data, size, &out, &jl) == 0 && strlen(out) > jl)
		abort();	/* the decoded length is never shorter than the string */
	free(out);
	out = NULL;
	for (int p = 0; p < WH__MAX; p++) {
		if (webhook_signed_bytes((enum webhook_provider)p, 1, (const char *)data, size,
					 &sd, &sl, &out) == 0)
			webhook_json_bytes(1, (const char *)data, size, &out, &json, &jl);
		free(out);
		out = NULL;
	}
	return 0;
}
