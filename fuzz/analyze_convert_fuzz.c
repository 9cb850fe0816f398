/*
 * analyze_convert_fuzz.c - libFuzzer target for lethe-analyze's converters
 * of scanner output (cppcheck XML, shellcheck json1, bandit JSON, SARIF).
 *
 * The first byte picks the converter, the rest is the scanner's output.
 * Whatever they accept must be written as SARIF that the host's reader
 * takes back with nothing to strip.  Paths in the input resolve beneath an
 * empty scratch workspace.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../analyze/an.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int (*const converters[])(const struct an_ctx *, const char *, size_t,
				 struct sarif_run *) = {
	an_cppcheck_convert, an_shellcheck_convert, an_bandit_convert, an_convert_sarif,
};

static struct an_ctx *workspace(void)
{
	static struct an_ctx ctx;
	static char dir[] = "/tmp/lethe-fuzz-ws.XXXXXX";

	if (ctx.workspace)
		return &ctx;
	if (!mkdtemp(dir))
		abort();
	ctx.workspace = dir;
	ctx.wsfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ctx.timeout = 1;
	ctx.max_output = 1u << 20;
	ctx.max_results = 5000;
	if (ctx.wsfd < 0)
		abort();
	return &ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct an_ctx *ctx = workspace();
	struct sarif_log log, again;
	char *buf, *out, why[256];

	if (size < 1)
		return 0;
	buf = malloc(size);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';	/* an_exec's output is NUL-terminated */
	sarif_log_init(&log);
	converters[data[0] % 4](ctx, buf, size - 1, sarif_log_add_run(&log, "fuzz", NULL));
	an_lines_drop();
	out = sarif_write(&log);
	if (sarif_parse(out, strlen(out), NULL, &again, why, sizeof(why)) < 0 ||
	    again.stripped != 0 || again.nruns != 1)
		abort();
	sarif_log_release(&again);
	sarif_log_release(&log);
	free(out);
	free(buf);
	return 0;
}
