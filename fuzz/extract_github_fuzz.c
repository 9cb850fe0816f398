/* extract_github_fuzz.c - the github payload extractor on arbitrary input. */
#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_extract(WH_GITHUB, data, size);
}
