/*
 * ctl-deps.c - lethectl deps: a repository's dependencies as the latest
 * finished scan found them, as a table or as a CycloneDX 1.5 document.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "util.h"

/* The repository by id or full name; 0 (error printed) unless exactly one. */
static int64_t deps_repo(struct ctl *c, const char *repo)
{
	PGresult *res;
	int64_t id = 0;

	if (DB_QUERY(c->db, &res, "SELECT id FROM lethe.repositories WHERE id::text = $1 "
		     "OR full_name = $1", repo) < 0) {
		ctl_fail("unable to look up repository '%s': %s", repo, db_error(c->db));
		return 0;
	}
	if (PQntuples(res) == 1)
		id = db_int(res, 0, 0);
	else
		ctl_fail(PQntuples(res) ? "repository '%s' is ambiguous: give its id"
			 : "no repository '%s'", repo);
	PQclear(res);
	return id;
}

static int deps_cyclonedx(struct ctl *c, int64_t id)
{
	char idtext[24];
	PGresult *res;
	json_object *doc;

	i64s(id, idtext);
	if (DB_QUERY(c->db, &res, "SELECT lethe.cyclonedx($1::bigint)::text", idtext) < 0)
		return ctl_fail("exporting the bill of materials failed: %s", db_error(c->db));
	doc = db_value(res, 0, 0) ? json_tokener_parse(db_value(res, 0, 0)) : NULL;
	PQclear(res);
	if (!doc)
		return ctl_fail("no bill of materials for repository %s", idtext);
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return 0;
}

int ctl_deps(struct ctl *c, int argc, char **argv)
{
	const char *repo = NULL, *cdx = NULL;
	struct ctl_opt opts[] = { { "repo", 1, &repo }, { "cyclonedx", 0, &cdx }, { 0 } };
	char idtext[24];
	int64_t id;
	int oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc || !repo)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	id = deps_repo(c, repo);
	if (!id)
		return 1;
	if (cdx)
		return deps_cyclonedx(c, id);
	i64s(id, idtext);
	return CTL_LIST(c, "dependencies", "SELECT d.ecosystem, d.name, d.version, d.constraint_spec,"
		" d.direct, d.manifest_path FROM lethe.dependencies d WHERE d.scan_id ="
		" (SELECT max(s.id) FROM lethe.scans s WHERE s.repository_id = $1::bigint"
		" AND s.state <> 'running') ORDER BY d.manifest_path, d.name, d.id", idtext);
}
