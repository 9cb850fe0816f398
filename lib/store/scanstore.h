/*
 * scanstore.h - the home of a scan's rows: scans, scan_tools, and through
 * lib/findings, lib/facts and lib/vulns the findings, facts and
 * vulnerabilities a scan's sanitized SARIF holds.  lethe-scan writes them
 * only through here, from a process that runs as the unprivileged `lethe`
 * user (lethe-scan(8)).
 */
#ifndef LETHE_SCANSTORE_H
#define LETHE_SCANSTORE_H

#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "findings.h"
#include "queue.h"
#include "sarif.h"
#include "util.h"

/* Where a scan's findings go, and what storing them counted. */
struct scanstore {
	int64_t ss_org, ss_scan;
	char ss_ids[3][I64S_MAX];	/* org, repository, scan as text */
	struct findings_target ss_target;
	/* counted by scanstore_results */
	int64_t ss_findings, ss_new, ss_fixed, ss_refused;
	size_t ss_unkeyed;		/* secret findings stored without a hash */
	size_t ss_unkeyed_fps;		/* results tracked by their tool, rule, path */
	size_t ss_rekeyed;		/* stored fingerprints keyed now */
	int ss_fp_failed;		/* some fingerprints could not be keyed */
	const char *ss_state;		/* "complete" or "incomplete" */
};

/* Where a scan's findings are tracked: a pull request's under pull/<n>. */
char *scanstore_branch(const struct queue_job *job);

/*
 * The scan's row.  A pull request's is compared with the last complete
 * scan of the branch it targets (the job's branch, else default_branch),
 * whose id *base_scan (owned by the caller, "" when none) keeps.
 */
int scanstore_insert(struct db *db, const struct queue_job *job, const char *default_branch,
		     int64_t *scan_id, char **base_scan);

/* ss for the scan_id of job; branch and base_scan stay the caller's. */
void scanstore_init(struct scanstore *ss, const struct queue_job *job, int64_t scan_id,
		    const char *branch, const char *base_scan);

/*
 * Store log in one transaction: every run's tool row, results, fixed
 * findings and facts, the vulnerabilities of the dependencies, and the
 * scan's state and stats.  Secrets and fingerprints are keyed with key
 * (the org's secret hash key, lib/secret/secrethash.h), and the org's stored
 * fingerprints re-keyed; with key NULL, secrets are stored without a hash
 * and results tracked by the fallback fingerprint.  0 or a negative errno
 * (the transaction rolled back).
 */
int scanstore_results(struct db *db, struct scanstore *ss, struct sarif_log *log,
		      const struct secbuf *key);

/* A failed scan's row says why (one line, never a secret or code). */
int scanstore_failed(struct db *db, int64_t scan_id, const char *why);

#endif
