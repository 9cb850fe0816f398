/*
 * version_fuzz.c - libFuzzer target for lib/version and the OSV
 * evaluation of lib/advisory: any two version strings of a lock file (the
 * repository's, so untrusted) compare without a crash in every ecosystem,
 * a version equals itself and the order is antisymmetric; an advisory's
 * ranges evaluate any version.
 *
 * The first byte picks the ecosystem; the rest is two versions split at
 * the first newline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advisory.h"
#include "util.h"
#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ENTRY[] =
	"{\"package\": {\"ecosystem\": \"npm\", \"name\": \"x\"}, \"versions\": [\"1.0.0\"],"
	" \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"},"
	" {\"fixed\": \"1.2.3\"}, {\"introduced\": \"2.0.0-rc.1\"}, {\"last_affected\": \"2.4\"},"
	" {\"limit\": \"3\"}]}, {\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"5.0.0\"}]}]}";

static int sgn(int c) { return (c > 0) - (c < 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_object *entry;
	enum eco e;
	char *a, *b, *nl, *fact, *key;

	if (size < 1)
		return 0;
	if (!entry)
		entry = json_tokener_parse(ENTRY);
	e = (enum eco)(data[0] % ECO_COUNT);
	a = xstrndup((const char *)data + 1, size - 1);
	nl = strchr(a, '\n');
	b = nl ? nl + 1 : a;
	if (nl)
		*nl = '\0';
	if (version_cmp(e, a, a) != 0 || version_cmp(e, b, b) != 0 ||
	    sgn(version_cmp(e, a, b)) != -sgn(version_cmp(e, b, a)))
		abort();
	fact = version_fact(e, a);
	key = eco_name_key(e, b);
	(void)advisory_entry_match(e, entry, a);
	free(fact);
	free(key);
	free(a);
	return 0;
}
