/*
 * advisory_test - every verdict of the OSV corpus (osv/expect-derived.json:
 * real advisories of eight ecosystems, versions that are and are not
 * affected) from the advisory files themselves; then each ecosystem's
 * ordering with the examples of its own documentation, and CVSS v3 scores
 * with the examples of the specification.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "advisory.h"
#include "corpus.h"
#include "tap.h"
#include "util.h"
#include "version.h"

/* a < b < c ... in each row, as the ecosystem's documentation orders them */
static const struct {
	enum eco eco;
	const char *v[9];
} ORDERED[] = {
	/* semver.org, item 11 */
	{ ECO_NPM, { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		     "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0" } },
	{ ECO_NPM, { "1.0.0", "2.0.0", "2.1.0", "2.1.1" } },
	/* PEP 440, summary of permitted suffixes and relative ordering */
	{ ECO_PYPI, { "1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
		      "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456" } },
	{ ECO_PYPI, { "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7",
		      "1.0+5", "1.0.post456.dev34", "1.0.post456" } },
	{ ECO_PYPI, { "1.0.post456", "1.0.15", "1.1.dev1", "1!0.1" } },
	/* go.dev/ref/mod: pseudo-versions are pre-releases ordered by time */
	{ ECO_GO, { "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa",
		    "v1.2.3-pre", "v1.2.3-pre.0.20191109021931-daa7c04131f5", "v1.2.3",
		    "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4" } },
	/* docs.rs/semver: Version ordering */
	{ ECO_CARGO, { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.1", "1.1.0" } },
	/* Gem::Version documentation */
	{ ECO_GEM, { "1.0.a", "1.0.b1", "1.0.b2", "1.0", "1.0.1", "1.1" } },
	{ ECO_GEM, { "1.0.a.2", "1.0.b1", "1.0", "1.0.1" } },
	{ ECO_GEM, { "7.0.0.rc1", "7.0.0", "7.0.0.1" } },
	/* Maven POM reference: version order specification */
	{ ECO_MAVEN, { "1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp",
		       "1-abc", "1.1" } },
	{ ECO_MAVEN, { "1.0-alpha-1", "1.0-alpha-2", "1.0-beta-1", "1.0-M1", "1.0-RC1",
		       "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1" } },
	{ ECO_MAVEN, { "4.1.99.Final", "4.1.100.Final", "11.0.0-M2", "11.0.0-M10", "11.0.0" } },
	{ ECO_MAVEN, { "1-snapshot", "1", "1-sp", "1-xyz", "1-1" } },
	/* getcomposer.org: stabilities dev < alpha < beta < RC < stable */
	{ ECO_COMPOSER, { "1.0.0-dev", "1.0.0-alpha1", "1.0.0-beta1", "1.0.0-beta2", "1.0.0-RC1",
			  "1.0.0", "1.0.0-patch1", "1.0.1" } },
	/* learn.microsoft.com NuGet package versioning: pre-release sort order */
	{ ECO_NUGET, { "1.0.1-alpha", "1.0.1-alpha.2", "1.0.1-alpha.10", "1.0.1-Beta",
		       "1.0.1-rc.1", "1.0.1", "1.0.1.1", "1.0.2" } },
	{ ECO_NUGET, { "1.0.1-alpha10", "1.0.1-alpha2" } },
};

static const struct {
	enum eco eco;
	const char *a, *b;
} EQUAL[] = {
	{ ECO_NPM, "1.0.0+build.1", "1.0.0" },
	{ ECO_GO, "v2.8.1+incompatible", "2.8.1" },
	{ ECO_PYPI, "3.2", "3.2.0" },
	{ ECO_PYPI, "1.0RC1", "1.0rc1" },
	{ ECO_PYPI, "1.0-alpha.1", "1.0a1" },
	{ ECO_PYPI, "1.0-1", "1.0.post1" },
	{ ECO_PYPI, "v1.0", "1.0" },
	{ ECO_GEM, "2.1.0.0", "2.1" },
	{ ECO_GEM, "1.2", "1.2.0" },
	{ ECO_MAVEN, "2.13.2.0", "2.13.2" },
	{ ECO_MAVEN, "5.2.20.RELEASE", "5.2.20" },
	{ ECO_MAVEN, "1-ga", "1-final" },
	{ ECO_MAVEN, "1.0-cr1", "1.0-rc1" },
	{ ECO_MAVEN, "1.0-a1", "1.0-alpha1" },
	{ ECO_MAVEN, "1.0.0-beta", "1-beta" },
	{ ECO_COMPOSER, "v1.2.3", "1.2.3.0" },
	{ ECO_COMPOSER, "1.0.0-b2", "1.0.0-beta2" },
	{ ECO_NUGET, "1.0", "1.0.0.0" },
	{ ECO_NUGET, "1.0.0-RC.1", "1.0.0-rc.1" },
};

/* OSV evaluation cases the corpus does not hold: one affected[] entry, a version, the answer */
static const struct {
	enum eco eco;
	const char *entry, *version;
	enum advisory_match want;
} EVAL[] = {
	/* limit: the range ends there whatever follows */
	{ ECO_NPM, "{\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"1.0.0\"}, "
	  "{\"limit\": \"2.0.0\"}]}]}", "1.5.0", ADVISORY_BY_RANGES },
	{ ECO_NPM, "{\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"1.0.0\"}, "
	  "{\"limit\": \"2.0.0\"}]}]}", "2.0.0", ADVISORY_NO },
	/* GIT ranges name commits: not evaluated */
	{ ECO_NPM, "{\"ranges\": [{\"type\": \"GIT\", \"repo\": \"https://x.invalid/r\", \"events\": "
	  "[{\"introduced\": \"0\"}]}]}", "1.0.0", ADVISORY_NO },
	/* events in any order are sorted first */
	{ ECO_CARGO, "{\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"fixed\": \"1.2.0\"}, "
	  "{\"introduced\": \"1.1.0\"}, {\"introduced\": \"0\"}, {\"fixed\": \"1.0.5\"}]}]}",
	  "1.0.4", ADVISORY_BY_RANGES },
	{ ECO_CARGO, "{\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"fixed\": \"1.2.0\"}, "
	  "{\"introduced\": \"1.1.0\"}, {\"introduced\": \"0\"}, {\"fixed\": \"1.0.5\"}]}]}",
	  "1.0.7", ADVISORY_NO },
	/* Go: a module version keeps its v and +incompatible, OSV's has neither */
	{ ECO_GO, "{\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
	  "{\"fixed\": \"20.10.27\"}]}]}", "v20.10.26+incompatible", ADVISORY_BY_RANGES },
	/* RubyGems: Bundler's platform suffix is no pre-release */
	{ ECO_GEM, "{\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
	  "{\"fixed\": \"1.16.2\"}]}]}", "1.16.2-x86_64-linux", ADVISORY_NO },
	/* versions lists compare exact strings */
	{ ECO_NPM, "{\"versions\": [\"1.0\"]}", "1.0.0", ADVISORY_NO },
	{ ECO_NPM, "{\"versions\": [\"1.0.0\"]}", "1.0.0", ADVISORY_BY_VERSIONS },
};

static const struct {
	enum eco eco;
	const char *name, *key;
} NAMES[] = {
	{ ECO_PYPI, "Django_REST.framework", "django-rest-framework" },	/* PEP 503 */
	{ ECO_PYPI, "zope..interface", "zope-interface" },
	{ ECO_NUGET, "Newtonsoft.Json", "newtonsoft.json" },
	{ ECO_COMPOSER, "Symfony/HTTP-Kernel", "symfony/http-kernel" },
	{ ECO_NPM, "@Scope/Pkg", "@Scope/Pkg" },			/* exact elsewhere */
	{ ECO_MAVEN, "org.Apache:Commons", "org.Apache:Commons" },
};

/* Advisories refused at import, and why */
static const struct {
	const char *doc, *why;
} REFUSED[] = {
	{ "[]", "not a JSON object" },
	{ "{\"modified\": \"2024-01-01T00:00:00Z\"}", "no valid \"id\"" },
	{ "{\"id\": \"a b\", \"modified\": \"2024-01-01T00:00:00Z\"}", "no valid \"id\"" },
	{ "{\"id\": \"X-1\"}", "advisory X-1: no valid \"modified\" time" },
	{ "{\"id\": \"X-1\", \"modified\": \"2024-13-01T00:00:00Z\"}",
	  "advisory X-1: no valid \"modified\" time" },
	{ "{\"id\": \"X-1\", \"modified\": \"2024-01-01 00:00:00\"}",
	  "advisory X-1: no valid \"modified\" time" },
	{ "{\"id\": \"X-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"withdrawn\": \"soon\"}",
	  "advisory X-1: \"withdrawn\" is not a time" },
	{ "{\"id\": \"X-1\", \"modified\": \"2024-01-01T00:00:00.5Z\", \"published\": \"x\"}",
	  "advisory X-1: \"published\" is not a time" },
	{ "{\"id\": \"X-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": {}}",
	  "advisory X-1: \"affected\" is not a list" },
};

/* CVSS v3.1 specification, section 8 (the examples document) and common vectors */
static const struct {
	const char *vector;
	double score;
	const char *rating;
} CVSS[] = {
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical" },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical" },
	{ "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium" },
	{ "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 5.5, "medium" },
	{ "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "medium" },
	{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 4.3, "medium" },
	{ "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low" },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "none" },
};

static json_object *doc_load(json_object *cache, const char *file)
{
	json_object *doc;
	char *name, *path;

	if (json_object_object_get_ex(cache, file, &doc))
		return doc;
	name = xasprintf("osv/%s", file);
	path = corpus_file(name);
	doc = path ? json_object_from_file(path) : NULL;
	json_object_object_add(cache, file, doc);
	free(name);
	free(path);
	return doc;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

/* How the document answers for the probe: "ranges", "versions" or NULL. */
static const char *answer(json_object *doc, enum eco e, const char *package, const char *version,
			  int *entries)
{
	static const char *const HOW[] = { NULL, "versions", "ranges" };
	_cleanup_free_ char *want = eco_name_key(e, package);
	json_object *aff;
	enum advisory_match m = ADVISORY_NO;

	*entries = 0;
	if (!json_object_object_get_ex(doc, "affected", &aff))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(aff) && !m; i++) {
		json_object *entry = json_object_array_get_idx(aff, i);
		_cleanup_free_ char *key = NULL;

		if (advisory_entry_package(entry, &key) != (int)e || strcmp(key, want))
			continue;
		(*entries)++;
		m = advisory_entry_match(e, entry, version);
	}
	return HOW[m];
}

static bool listed(json_object *list, const char *s)
{
	for (size_t i = 0; s && list && i < json_object_array_length(list); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(list, i)), s))
			return true;
	return !s && json_object_array_length(list) == 0;
}

static void probe(json_object *cache, json_object *p)
{
	const char *file = str(p, "file"), *pkg = str(p, "package"), *ver = str(p, "version");
	const char *wd = str(p, "withdrawn"), *how;
	json_object *doc = doc_load(cache, file), *aff, *by;
	int e = eco_from_osv(str(p, "ecosystem")), entries = 0;
	char why[256];

	if (!doc || e < 0) {
		ok(0, "%s: %s %s (file or ecosystem missing)", file, pkg, ver);
		return;
	}
	json_object_object_get_ex(p, "affected", &aff);
	json_object_object_get_ex(p, "matched_by", &by);
	how = answer(doc, (enum eco)e, pkg, ver, &entries);
	ok(advisory_check(doc, why, sizeof(why)) == 0 && (how != NULL) == json_object_get_boolean(aff) &&
	   listed(by, how) && (wd ? str(doc, "withdrawn") && !strcmp(str(doc, "withdrawn"), wd) :
			       !str(doc, "withdrawn")),
	   "%s: %s %s %s %s%s (%s)", file, pkg, ver, how ? "affected by" : "not affected",
	   how ? how : "", wd ? ", withdrawn" : "", str(p, "note"));
}

static int ordered_count(void)
{
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ORDERED); i++)
		for (size_t k = 1; k < ARRAY_SIZE(ORDERED[i].v) && ORDERED[i].v[k]; k++)
			n++;
	return n;
}

static void ordering(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ORDERED); i++)
		for (size_t k = 1; k < ARRAY_SIZE(ORDERED[i].v) && ORDERED[i].v[k]; k++) {
			const char *a = ORDERED[i].v[k - 1], *b = ORDERED[i].v[k];
			enum eco e = ORDERED[i].eco;

			ok(version_cmp(e, a, b) < 0 && version_cmp(e, b, a) > 0 &&
			   version_cmp(e, a, a) == 0, "%s: %s < %s", eco_osv_name(e), a, b);
		}
	for (size_t i = 0; i < ARRAY_SIZE(EQUAL); i++)
		ok(version_cmp(EQUAL[i].eco, EQUAL[i].a, EQUAL[i].b) == 0 &&
		   version_cmp(EQUAL[i].eco, EQUAL[i].b, EQUAL[i].a) == 0,
		   "%s: %s == %s", eco_osv_name(EQUAL[i].eco), EQUAL[i].a, EQUAL[i].b);
}

static void evaluation(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(EVAL); i++) {
		json_object *entry = json_tokener_parse(EVAL[i].entry);
		enum advisory_match m = advisory_entry_match(EVAL[i].eco, entry, EVAL[i].version);

		ok(entry && m == EVAL[i].want, "%s %s in %s: %d", eco_osv_name(EVAL[i].eco),
		   EVAL[i].version, EVAL[i].entry, (int)m);
		json_object_put(entry);
	}
	for (size_t i = 0; i < ARRAY_SIZE(NAMES); i++) {
		char *k = eco_name_key(NAMES[i].eco, NAMES[i].name);

		ok(!strcmp(k, NAMES[i].key), "%s name %s is looked up as %s", eco_osv_name(NAMES[i].eco),
		   NAMES[i].name, k);
		free(k);
	}
}

static void refused(const char *doc, const char *want)
{
	json_object *o = json_tokener_parse(doc);
	char why[256] = "";

	ok(advisory_check(o, why, sizeof(why)) == -EINVAL && !strcmp(why, want),
	   "refused: %.80s (%s)", doc, why);
	json_object_put(o);
}

static void refusals(void)
{
	char big[700], *doc;

	for (size_t i = 0; i < ARRAY_SIZE(REFUSED); i++)
		refused(REFUSED[i].doc, REFUSED[i].why);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	doc = xasprintf("{\"id\": \"X-2\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": "
			"[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"%s\"}}]}", big);
	refused(doc, "advisory X-2: a package name is longer than 512 bytes");
	free(doc);
}

static void severity(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(CVSS); i++) {
		json_object *doc = json_tokener_parse("{\"severity\": [{\"type\": \"CVSS_V3\"}]}");
		json_object *s = json_object_array_get_idx(json_object_object_get(doc, "severity"), 0);
		double score;
		const char *rating;

		json_object_object_add(s, "score", json_object_new_string(CVSS[i].vector));
		rating = advisory_severity(doc, &score);
		ok(fabs(score - CVSS[i].score) < 1e-9 && !strcmp(rating, CVSS[i].rating),
		   "%s: %.1f %s", CVSS[i].vector, score, rating);
		json_object_put(doc);
	}
}

int main(void)
{
	char *path = corpus_file("osv/expect-derived.json");
	json_object *expect = path ? json_object_from_file(path) : NULL, *probes = NULL;
	json_object *cache = json_object_new_object();
	size_t n;

	free(path);
	if (!expect || !json_object_object_get_ex(expect, "probes", &probes)) {
		plan(1);
		ok(0, "osv/expect-derived.json of the corpus found");
		return tap_exit();
	}
	n = json_object_array_length(probes);
	plan((int)n + ordered_count() + (int)ARRAY_SIZE(EQUAL) + (int)ARRAY_SIZE(EVAL) +
	     (int)ARRAY_SIZE(NAMES) + (int)ARRAY_SIZE(REFUSED) + 1 + (int)ARRAY_SIZE(CVSS) + 1);
	ok(n == 315, "the corpus holds %zu verdicts", n);
	for (size_t i = 0; i < n; i++)
		probe(cache, json_object_array_get_idx(probes, i));
	ordering();
	evaluation();
	refusals();
	severity();
	json_object_put(cache);
	json_object_put(expect);
	return tap_exit();
}
