/*
 * sarif_fuzz.c - libFuzzer target for the host's SARIF reader.
 *
 * Every input must either be refused with a reason or parse into a log
 * whose written form parses again without any source field to strip, with
 * the same results at the same paths (the file names exactly) and the same
 * number of refused results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sarif.h"

static int same_runs(const struct sarif_log *a, const struct sarif_log *b)
{
	if (a->nruns != b->nruns)
		return 0;
	for (size_t i = 0; i < a->nruns; i++) {
		const struct sarif_run *x = &a->runs[i], *y = &b->runs[i];

		if (x->nresults != y->nresults || x->refused != y->refused ||
		    x->complete != y->complete)
			return 0;
		for (size_t j = 0; j < x->nresults; j++)
			if (strcmp(x->results[j].path, y->results[j].path) ||
			    strcmp(x->results[j].level, y->results[j].level))
				return 0;
	}
	return 1;
}

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
	    again.stripped != 0 || !same_runs(&log, &again))
		abort();	/* what Lethe writes, Lethe reads back cleanly */
	sarif_log_release(&again);
	sarif_log_release(&log);
	free(out);
	return 0;
}
