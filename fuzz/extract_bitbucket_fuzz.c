/* extract_bitbucket_fuzz.c - the bitbucket payload extractor on arbitrary input. */
#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_extract(WH_BITBUCKET, data, size);
}
