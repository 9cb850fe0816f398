/*
 * findings.h - the one place that upserts a scan's findings.
 *
 * lethe-scan stores each tool run's results here, and lib/store/vulns.c the
 * vulnerable dependencies it finds, so that both open, re-open and link
 * findings the same way.
 */
#ifndef LETHE_FINDINGS_H
#define LETHE_FINDINGS_H

#include <stdint.h>

#include "db.h"

/* Where results go: ids as decimal text; base_scan "" when there is none. */
struct findings_target {
	const char *org, *repo, *branch, *scan;
	int pull_request;		/* a pull request's scan: mark what it introduces */
	const char *base_scan;		/* the target branch's scan it is compared with */
};

/*
 * Upsert the results of tool, a JSON array of objects {i, fp, rule, level,
 * path, sl, el, msg, cwe, props}: each finding by (repository, branch,
 * fingerprint), the last result of a fingerprint giving its place, message
 * and properties (merged into those stored), linked to the scan at the line
 * of the first.  A pull request introduces what its base scan did not see
 * (all it finds, when there is none).  *nnew: how many findings are new.
 */
int findings_store(struct db *db, const struct findings_target *t, const char *tool,
		   const char *results, int64_t *nnew);

#endif
