/*
 * version.h - package versions ordered by each ecosystem's own rules.
 *
 * An ecosystem is named two ways: as OSV names it in advisories ("PyPI",
 * "crates.io") and as Lethe's dependency facts do, by package-URL type
 * ("pypi", "cargo").  version_cmp() is a total order on any two strings:
 * what a scheme cannot parse is compared as text after what it can.
 */
#ifndef LETHE_VERSION_H
#define LETHE_VERSION_H

#include <stddef.h>

enum eco {
	ECO_NPM,	/* SemVer 2.0.0, node-semver loose parsing */
	ECO_PYPI,	/* PEP 440 */
	ECO_GO,		/* SemVer with a v prefix, pseudo-versions, +incompatible */
	ECO_CARGO,	/* SemVer 2.0.0 */
	ECO_GEM,	/* Gem::Version */
	ECO_MAVEN,	/* ComparableVersion (Maven 3) */
	ECO_COMPOSER,	/* composer/semver */
	ECO_NUGET,	/* NuGet.Versioning */
	ECO_COUNT,
	ECO_SEMVER = ECO_COUNT,	/* an OSV range of type SEMVER, whatever the ecosystem */
};

/* The ecosystem of an OSV name ("PyPI") or a package-URL type ("pypi"); -1 if none. */
int eco_from_osv(const char *name);
int eco_from_purl(const char *type);
const char *eco_osv_name(enum eco e);
const char *eco_purl_type(enum eco e);

/* <0, 0, >0 as a sorts before, with or after b in the ecosystem. */
int version_cmp(enum eco e, const char *a, const char *b);

/*
 * A version as a lock file writes it, made comparable with the versions of
 * advisories: Go and Composer lose a leading "v", a RubyGems platform
 * ("1.16.2-x86_64-linux") is split off.  Returns a new string.
 */
char *version_fact(enum eco e, const char *v);

/*
 * The name under which a package is looked up: PEP 503 for PyPI (lower
 * case, runs of "-_." as one "-"), lower case for NuGet and Composer,
 * the name itself elsewhere.  Returns a new string.
 */
char *eco_name_key(enum eco e, const char *name);

#endif
