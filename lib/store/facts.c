/*
 * facts.c - dependencies and workflow facts of a scan into PostgreSQL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "facts.h"
#include "util.h"

static const char sql_dependencies[] =
	"INSERT INTO dependencies (org_id, repository_id, scan_id, ecosystem, name, version, "
	"constraint_spec, direct, manifest_path, line) "
	"SELECT $1::bigint, $2::bigint, $3::bigint, d.ecosystem, d.name, d.version, d.\"constraint\", "
	"coalesce(d.direct, false), d.manifest, d.line "
	"FROM jsonb_to_recordset(coalesce($4::jsonb -> 'dependencies', '[]')) AS d(ecosystem text, "
	"name text, version text, \"constraint\" text, direct boolean, manifest text, line integer) "
	"WHERE d.ecosystem <> '' AND d.name <> '' AND d.manifest <> ''";

static const char sql_workflows[] =
	"INSERT INTO workflow_facts (org_id, repository_id, scan_id, system, path, workflow, job, "
	"kind, value, pinning) "
	"SELECT $1::bigint, $2::bigint, $3::bigint, w.system, w.path, w.workflow, w.job, w.kind, "
	"w.value, w.pinning "
	"FROM jsonb_to_recordset(coalesce($4::jsonb -> 'workflows', '[]')) AS w(system text, "
	"path text, workflow text, job text, kind text, value text, pinning text) "
	"WHERE w.system IN ('github-actions', 'gitlab-ci', 'bitbucket-pipelines') "
	"AND w.path <> '' AND w.value IS NOT NULL "
	"AND w.kind IN ('workflow', 'trigger', 'job', 'runner', 'action', 'image', 'permission', "
	"'include') AND (w.pinning IS NULL OR w.pinning IN ('sha', 'tag', 'branch', 'digest', 'none'))";

static int insert(struct db *db, const char *sql, const char *org_id, const char *repo_id,
		  const char *scan_id, const char *facts, size_t *rows)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, sql, org_id, repo_id, scan_id, facts);

	if (r == 0 && rows)
		*rows = strtoul(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return r;
}

int facts_store(struct db *db, const char *org_id, const char *repo_id, const char *scan_id,
		const struct sarif_run *run, struct facts_count *count)
{
	struct facts_count c = { 0 };
	int r = 0;

	if (run->facts_json) {
		r = insert(db, sql_dependencies, org_id, repo_id, scan_id, run->facts_json,
			   &c.dependencies);
		if (r == 0)
			r = insert(db, sql_workflows, org_id, repo_id, scan_id, run->facts_json,
				   &c.workflow_facts);
	}
	if (count)
		*count = c;
	return r;
}

/* Rows already in step are left alone: most are, and each update writes a row. */
static const char sql_mark[] =
	"UPDATE findings f SET suppressed_in_code = x.suppressed, suppress_reason = x.reason, "
	"properties = f.properties - 'secret_hash' || x.props, updated_at = now() "
	"FROM jsonb_to_recordset($4::jsonb) AS x(fp text, suppressed boolean, reason text, props jsonb) "
	"WHERE f.repository_id = $1::bigint AND f.branch = $2 AND f.last_scan_id = $3::bigint "
	"AND f.fingerprint = x.fp AND (f.suppressed_in_code, f.suppress_reason, f.properties) "
	" IS DISTINCT FROM (x.suppressed, x.reason, f.properties - 'secret_hash' || x.props)";

/* [{fp, suppressed, reason, props}] for the results with a fingerprint. */
static char *mark_list(const struct sarif_run *run, size_t *marked)
{
	json_object *a = json_object_new_array();
	char *out;

	for (size_t i = 0; i < run->nresults; i++) {
		const struct sarif_result *r = &run->results[i];
		json_object *o;
		char *props;

		if (!r->fingerprint)
			continue;
		o = json_object_new_object();
		props = facts_result_properties(r);
		json_object_object_add(o, "fp", json_object_new_string(r->fingerprint));
		json_object_object_add(o, "suppressed", json_object_new_boolean(r->suppressed));
		if (r->suppressed && r->suppress_reason)
			json_object_object_add(o, "reason", json_object_new_string(r->suppress_reason));
		json_object_object_add(o, "props", json_tokener_parse(props));
		free(props);
		json_object_array_add(a, o);
		*marked += r->suppressed;
	}
	out = xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return out;
}

int facts_mark_findings(struct db *db, const char *repo_id, const char *branch,
			const char *scan_id, const struct sarif_run *run, size_t *marked)
{
	size_t n = 0;
	char *list;
	int r = 0;

	if (run->nresults > 0) {
		list = mark_list(run, &n);
		r = DB_QUERY(db, NULL, sql_mark, repo_id, branch, scan_id, list);
		free(list);
	}
	if (marked)
		*marked = n;
	return r;
}

char *facts_result_properties(const struct sarif_result *r)
{
	json_object *o = json_object_new_object();
	char *out;

	if (r->secret_hash)
		json_object_object_add(o, "secret_hash", json_object_new_string(r->secret_hash));
	out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}
