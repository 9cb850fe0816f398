/*
 * sarif_fuzz.c - libFuzzer target for the host's SARIF reader.
 *
 * Every input must either be refused with a reason or parse into a log
 * whose written form parses again without any source field to strip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sarif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sarif_limits lim;
	struct sarif_log log, again;
	char why[256];
	char *out;

	sarif_limits_default(&lim);
	lim.max_bytes = 1u << 20;
	if (sarif_parse((const char *)data, size, &lim, &log, why, sizeof(why)) < 0) {
		if (why[0] == '\0' || strchr(why, '\n'))
			abort();	/* a refusal always says why, on one line */
		sarif_log_release(&log);
		return 0;
	}
	out = sarif_write(&log);
	if (sarif_parse(out, strlen(out), NULL, &again, why, sizeof(why)) < 0 ||
	    again.stripped != 0 || again.nruns != log.nruns)
		abort();	/* what Lethe writes, Lethe reads back cleanly */
	sarif_log_release(&again);
	sarif_log_release(&log);
	free(out);
	return 0;
}
