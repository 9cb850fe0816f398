/*
 * facts.h - store what Lethe's own analyzers report besides findings.
 *
 * lethe-analyze's lethe-deps and lethe-workflows runs carry facts in
 * run.properties "lethe/facts"; lib/sarif keeps them, through its
 * whitelist, in sarif_run.facts_json.  facts_store() writes them into
 * lethe.dependencies and lethe.workflow_facts for one scan, in one
 * statement per table, with the document as a query parameter (never SQL
 * text).  Entries that the schema would refuse (unknown system, kind or
 * pinning, a missing name or path) are skipped, not fatal: the document
 * comes out of the sandbox and is untrusted.
 *
 * facts_mark_findings() then brings the findings a run reported in step
 * with what the run says of them: suppressed in code (a lethe:ignore
 * marker) with the marker's reason, or not (any more), and the keyed hash
 * of a secret in findings.properties.
 *
 * facts_result_properties() gives the findings.properties of a result: its
 * keyed secret hash, if any, as {"secret_hash": "..."}.
 */
#ifndef LETHE_FACTS_H
#define LETHE_FACTS_H

#include <stddef.h>

#include "db.h"
#include "sarif.h"

struct facts_count {
	size_t dependencies, workflow_facts;	/* rows inserted */
};

/*
 * Insert run's facts for the scan (ids as decimal text) through db, which
 * must be allowed to write both tables (lethe_scan is).  Returns 0 (also when
 * the run has none) or the db error; *count may be NULL.
 */
int facts_store(struct db *db, const char *org_id, const char *repo_id, const char *scan_id,
		const struct sarif_run *run, struct facts_count *count);

/*
 * Update the findings of repository repo_id on branch that run reported
 * in scan scan_id (matched by fingerprint; results without one are left
 * alone): suppressed_in_code, suppress_reason and properties.  Returns 0
 * or the db error; *marked (may be NULL) counts the suppressed ones.
 */
int facts_mark_findings(struct db *db, const char *repo_id, const char *branch,
			const char *scan_id, const struct sarif_run *run, size_t *marked);

/* findings.properties for r (JSON text, caller frees): "{}" when none. */
char *facts_result_properties(const struct sarif_result *r);

#endif
