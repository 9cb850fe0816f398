/*
 * extract.h - the body shared by the per-provider extractor targets: the
 * first line of the input is the event header, the rest the payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_extract(enum webhook_provider p, const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
	struct webhook_event ev;
	char *event, *json;
	size_t elen;

	if (!nl)
		return 0;
	elen = (size_t)(nl - data);
	event = xstrndup((const char *)data, elen);
	json = xmalloc(size - elen);	/* the payload may hold NUL bytes */
	memcpy(json, nl + 1, size - elen - 1);
	json[size - elen - 1] = '\0';
	webhook_extract(p, event, json, size - elen - 1, &ev);
	free(event);
	free(json);
	return 0;
}
