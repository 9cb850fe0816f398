/* extract_gitlab_fuzz.c - the gitlab payload extractor on arbitrary input. */
#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_extract(WH_GITLAB, data, size);
}
