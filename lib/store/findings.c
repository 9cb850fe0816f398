/*
 * findings.c - the one place that upserts a scan's findings.
 */
#include <stdlib.h>

#include "findings.h"

/*
 * One statement stores a run's results (see findings.h).  Rows are taken
 * in fingerprint order, the same in every scan, so that two scans of one
 * branch wait for each other rather than deadlock.  A finding already as
 * the result says (matched again for the scan that stored it: lib/store/vulns.h)
 * is not written again.
 */
static const char sql_results[] =
	"WITH x AS (SELECT * FROM jsonb_to_recordset($6::jsonb) AS x(i int, fp text, "
	"   rule text, level text, path text, sl int, el int, msg text, cwe text, props jsonb)), "
	" up AS (INSERT INTO findings (org_id, repository_id, branch, fingerprint, tool, "
	"   rule_id, level, path, start_line, end_line, message, cwe, properties, first_scan_id, "
	"   last_scan_id) "
	"  SELECT $1::bigint, $2::bigint, $3, fp, $4, rule, level, path, sl, el, msg, cwe, "
	"   coalesce(props, '{}'), $5::bigint, $5::bigint "
	"  FROM (SELECT DISTINCT ON (fp) * FROM x ORDER BY fp, i DESC) latest ORDER BY fp "
	"  ON CONFLICT (repository_id, branch, fingerprint) DO UPDATE SET "
	"   last_scan_id = EXCLUDED.last_scan_id, path = EXCLUDED.path, "
	"   start_line = EXCLUDED.start_line, end_line = EXCLUDED.end_line, "
	"   level = EXCLUDED.level, message = EXCLUDED.message, state = 'open', "
	"   properties = findings.properties || EXCLUDED.properties, "
	"   fixed_scan_id = NULL, updated_at = now() "
	"  WHERE (findings.last_scan_id, findings.state, findings.path, findings.start_line, "
	"   findings.end_line, findings.level, findings.message, findings.properties) "
	"   IS DISTINCT FROM (EXCLUDED.last_scan_id, 'open', EXCLUDED.path, EXCLUDED.start_line, "
	"   EXCLUDED.end_line, EXCLUDED.level, EXCLUDED.message, "
	"   findings.properties || EXCLUDED.properties) "
	"  RETURNING id, fingerprint, xmax = 0 AS new), "
	" link AS (INSERT INTO scan_findings (scan_id, finding_id, org_id, start_line, introduced) "
	"  SELECT $5::bigint, up.id, $1::bigint, earliest.sl, $7::bool AND NOT EXISTS ( "
	"   SELECT 1 FROM scan_findings bf JOIN findings b ON b.id = bf.finding_id "
	"   WHERE bf.scan_id = nullif($8, '')::bigint AND b.fingerprint = up.fingerprint) "
	"  FROM up JOIN (SELECT DISTINCT ON (fp) fp, sl FROM x ORDER BY fp, i) earliest "
	"   ON earliest.fp = up.fingerprint "
	"  ON CONFLICT (scan_id, finding_id) DO NOTHING) "
	"SELECT count(*) FILTER (WHERE new) FROM up";

int findings_store(struct db *db, const struct findings_target *t, const char *tool,
		   const char *results, int64_t *nnew)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, sql_results, t->org, t->repo, t->branch, tool, t->scan, results,
			 t->pull_request ? "t" : "f", t->base_scan ? t->base_scan : "");

	if (r == 0 && nnew)
		*nnew = db_int(res, 0, 0);
	PQclear(res);
	return r;
}
