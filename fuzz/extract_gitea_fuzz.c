/* extract_gitea_fuzz.c - the gitea payload extractor on arbitrary input. */
#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_extract(WH_GITEA, data, size);
}
