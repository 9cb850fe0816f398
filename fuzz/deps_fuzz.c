/*
 * deps_fuzz.c - libFuzzer target for lethe-analyze's manifest and lock-file
 * readers: JSON (package.json, package-lock.json, Pipfile.lock,
 * composer.json, composer.lock, packages.lock.json), the TOML reader
 * (pyproject.toml, Pipfile, poetry.lock, Cargo.toml, Cargo.lock, uv.lock),
 * requirements.txt, go.mod, pom.xml, Gemfile.lock, Gemfile, yarn.lock,
 * pnpm-lock.yaml and gradle.lockfile.
 *
 * The first byte picks the file name; the rest is the file.  Every input
 * must give facts or a one-line reason, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* The analyzer's sources: lethe-analyze is not a library. */
#include "../analyze/an-facts.c"
#include "../analyze/an-result.c"
#include "../analyze/an-files.c"
#include "../analyze/an-toml.c"
#include "../analyze/an-deps.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"package.json", "package-lock.json", "Pipfile.lock", "composer.lock",
	"requirements.txt", "go.mod", "pom.xml", "Gemfile.lock",
	"pyproject.toml", "poetry.lock", "Cargo.toml", "Cargo.lock",
	"yarn.lock", "pnpm-lock.yaml", "packages.lock.json", "gradle.lockfile",
	"Gemfile", "uv.lock", "Pipfile", "composer.json",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct an_facts f;
	char why[256] = "";
	int r;

	if (size < 1)
		return 0;
	an_facts_init(&f);
	r = an_deps_parse(names[data[0] % ARRAY_SIZE(names)], (const char *)data + 1, size - 1,
			  &f, why, sizeof(why));
	if (r < 0 && (r != -EINVAL || !why[0] || strchr(why, '\n')))
		abort();	/* a refusal always says why, on one line */
	an_facts_release(&f);
	return 0;
}
