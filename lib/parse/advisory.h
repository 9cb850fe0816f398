/*
 * advisory.h - OSV advisories: whether a package version is affected, how
 * severe an advisory is, and the checks an advisory passes before import.
 *
 * The evaluation is OSV's (https://ossf.github.io/osv-schema/#evaluation):
 * a version is affected by an affected[] entry when its "versions" list
 * names it (exactly, after the version_fact() form), or when a range of
 * type ECOSYSTEM or SEMVER does: its events sorted by version (introduced
 * "0" first), introduced <= v sets affected, fixed <= v and limit <= v
 * clear it, last_affected < v clears it.  GIT ranges name commits, which a
 * lock file does not record; they are not evaluated.
 */
#ifndef LETHE_ADVISORY_H
#define LETHE_ADVISORY_H

#include <stddef.h>

#include <json-c/json.h>

#include "version.h"

enum advisory_match {
	ADVISORY_NO = 0,
	ADVISORY_BY_VERSIONS,
	ADVISORY_BY_RANGES,
};

/* How the affected[] entry matches version (as the lock file wrote it). */
enum advisory_match advisory_entry_match(enum eco e, json_object *entry, const char *version);

/* The entry's ecosystem (-1 if Lethe has none) and package name key (caller frees). */
int advisory_entry_package(json_object *entry, char **name_key);

/* The entry's fixed versions, comma-separated, in event order (caller frees; NULL if none). */
char *advisory_entry_fixed(json_object *entry);

/*
 * The advisory's rating: "critical", "high", "medium", "low" or "none"
 * from its CVSS v3 base score when it has a CVSS_V3 vector, else the
 * database's severity (GitHub's database_specific.severity, MODERATE being
 * "medium"), else "unknown".  *score is the CVSS v3 base score, or -1.
 */
const char *advisory_severity(json_object *doc, double *score);

/* The CVSS v3 base score of a vector ("CVSS:3.1/AV:N/..."), or -1 if invalid. */
double advisory_cvss3_score(const char *vector);

/* A CVSS score as a JSON number with one decimal (9.8, not 9.8000000000000007). */
json_object *advisory_score_json(double score);

#define ADVISORY_NAME_MAX 512	/* bytes of a package name */

/*
 * 0 if doc is an advisory Lethe can store (an id, RFC 3339 times, package
 * names of at most ADVISORY_NAME_MAX bytes), else -EINVAL with why filled.
 */
int advisory_check(json_object *doc, char *why, size_t whylen);

#endif
