/*
 * vulns.h - known-vulnerable dependencies: a scan's stored dependencies
 * matched against the imported advisories (sql/110, lib/parse/advisory.h).
 *
 * Each locked package version that an advisory affects is a finding of tool
 * "lethe-advisories", rule "lethe/vulnerable-dependency", at the manifest
 * that locks it; advisories that name each other (aliases: a CVE that
 * GitHub and the Go or RustSec database both describe) are one finding.
 * Its fingerprint hashes the ecosystem, package, manifest path and the
 * vulnerability (its smallest CVE alias, else its smallest id), no file
 * content, so it stays when the version moves to another affected one.
 * Its properties carry the advisory ids, aliases, severity, CVSS score,
 * package, version and fixed versions.
 */
#ifndef LETHE_VULNS_H
#define LETHE_VULNS_H

#include <stdint.h>

#include "db.h"
#include "findings.h"

#define VULNS_TOOL "lethe-advisories"
#define VULNS_RULE "lethe/vulnerable-dependency"

struct vulns_count {
	int64_t found, added, fixed;	/* findings seen, new, fixed */
};

/*
 * Match the dependencies of t->scan, store the findings (lib/store/findings.h)
 * and fix the tool's open findings of the branch that no longer match;
 * none are fixed when the scan's dependencies are incomplete (lethe-deps
 * did not complete), and nothing is matched when lethe-deps did not run.
 * The scan's tools gain a row for VULNS_TOOL.  Call inside the transaction
 * that stores the scan.
 */
int vulns_evaluate(struct db *db, const struct findings_target *t, struct vulns_count *n);

/* vulns_evaluate() for each branch's latest finished scan (after an import). */
int vulns_evaluate_all(struct db *db, struct vulns_count *n);

#endif
