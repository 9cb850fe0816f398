/*
 * peek_fuzz.c - webhook_peek_installation(), which reads a GitHub App
 * delivery before its signature is checked: whatever the bytes, it stays
 * within them and yields digits or nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[24];
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	if (webhook_peek_installation(copy, size, id, sizeof(id)) == 0 &&
	    (!id[0] || strspn(id, "0123456789") != strlen(id)))
		abort();
	free(copy);
	return 0;
}
