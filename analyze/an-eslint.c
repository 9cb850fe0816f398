/*
 * an-eslint.c - ESLint with eslint-plugin-security and
 * @microsoft/eslint-plugin-sdl on JavaScript and TypeScript
 * (@typescript-eslint/parser), its SARIF written by
 * @microsoft/eslint-formatter-sarif.
 *
 * Everything ESLint loads comes from Lethe's tree (ctx->eslint_dir: made
 * by scripts/deps and make install, bound read-only into the sandbox): the
 * program, run by node; Lethe's flat configuration, given with -c so that
 * no configuration file of the repository is looked up; the plugins and
 * the parser, which that configuration imports and so are resolved beside
 * it, never in the repository's node_modules; and the formatter, given as
 * an absolute path rather than a name ESLint would resolve from the
 * workspace.  Comments in the code cannot configure ESLint
 * (--no-inline-config).  Messages are Lethe's texts for the rules
 * (lib/parse/ruletext.c), as for every SARIF tool.
 */
#include <unistd.h>

#include "an.h"
#include "util.h"

int an_eslint_build(const struct an_ctx *ctx, struct an_argv *argv, struct sarif_run *run)
{
	static const char *const sources[] = { ".js", ".mjs", ".cjs", ".jsx",
					       ".ts", ".mts", ".cts", ".tsx" };
	_cleanup_free_ char *program = xasprintf("%s/node_modules/eslint/bin/eslint.js",
						 ctx->eslint_dir);
	_cleanup_free_ char *config = xasprintf("%s/eslint.config.mjs", ctx->eslint_dir);
	_cleanup_free_ char *formatter = xasprintf(
		"%s/node_modules/@microsoft/eslint-formatter-sarif/sarif.js", ctx->eslint_dir);
	const char *const args[] = { "node", program, "-c", config, "-f", formatter,
				     "--no-inline-config", "--no-warn-ignored",
				     "--no-error-on-unmatched-pattern", "." };
	int r = an_has_suffixed(ctx, sources, ARRAY_SIZE(sources));

	if (r < 0)
		return r;
	if (r == 0) {
		sarif_run_not_applicable(run, "no JavaScript or TypeScript file");
		return 1;
	}
	if (access(program, R_OK) < 0 || access(config, R_OK) < 0 || access(formatter, R_OK) < 0) {
		sarif_run_fail(run, "ESLint is not installed (eslint_path)");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		an_argv_add(argv, args[i]);
	return 0;
}
