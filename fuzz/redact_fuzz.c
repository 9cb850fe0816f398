/*
 * redact_fuzz.c - libFuzzer target for lib/redact: any text (a scanner's
 * message, a path) is redacted without a crash, and redacting the result
 * again changes nothing, so no token shape survives the first pass; and
 * the same for the userinfo of URLs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *once, *twice;
	int n = 0;

	once = redact_text(text, NULL);
	twice = redact_text(once, &n);
	if (n != 0 || strcmp(once, twice) != 0)
		abort();
	redact_userinfo(text);
	if (redact_userinfo(text) != 0)
		abort();
	free(text);
	free(once);
	free(twice);
	return 0;
}
