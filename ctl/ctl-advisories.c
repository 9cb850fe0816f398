/*
 * ctl-advisories.c - lethectl advisories: import OSV advisories (one JSON
 * document per file, or zip archives of them as osv.dev publishes per
 * ecosystem) and show what is stored.
 *
 * An import is one transaction: every file is read and checked, the
 * advisories are written in batches (an advisory replaces the stored one
 * when its "modified" is newer, a withdrawn one deletes it), the stored
 * dependencies of each branch's latest scan are matched again (lib/vulns.h)
 * and an audit event records the counts.  A file that cannot be read or an
 * advisory that does not pass advisory_check() stops the import with its
 * name, and nothing is changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <zip.h>

#include "advisory.h"
#include "audit.h"
#include "ctl.h"
#include "sarif.h"
#include "util.h"
#include "vulns.h"

#define DOC_MAX (16u << 20)		/* bytes of one advisory */
#define ZIP_ENTRIES_MAX 2000000
#define JSON_DEPTH 64
#define BATCH 1000

struct import {
	struct ctl *c;
	json_object *batch;
	int64_t files, read, added, updated, unchanged, withdrawn, removed, ignored;
	struct vulns_count vulns;
};

/* Older stored versions of the batch's advisories go, and the withdrawn. */
static const char sql_delete[] =
	"WITH x AS (SELECT DISTINCT ON (id) * FROM jsonb_to_recordset($1::jsonb) "
	"  AS x(id text, modified timestamptz, withdrawn timestamptz) ORDER BY id, modified DESC) "
	"DELETE FROM advisories a USING x WHERE a.id = x.id AND (a.modified < x.modified "
	" OR (x.withdrawn IS NOT NULL AND a.modified <= x.modified)) "
	"RETURNING x.withdrawn IS NOT NULL";

/* Then the batch's advisories that are not stored (any more) go in. */
static const char sql_insert[] =
	"WITH x AS (SELECT DISTINCT ON (id) * FROM jsonb_to_recordset($1::jsonb) "
	"  AS x(id text, modified timestamptz, published timestamptz, withdrawn timestamptz, "
	"  summary text, aliases text[], severity text, score numeric, vector text, pkgs jsonb) "
	"  ORDER BY id, modified DESC), "
	" ins AS (INSERT INTO advisories (id, modified, published, summary, aliases, severity, "
	"  cvss_score, cvss_vector) SELECT id, modified, published, summary, "
	"  coalesce(aliases, '{}'), severity, score, vector FROM x WHERE withdrawn IS NULL "
	"  ON CONFLICT (id) DO NOTHING RETURNING id), "
	" pk AS (INSERT INTO advisory_packages (advisory_id, ecosystem, name, name_key, fixed, entry) "
	"  SELECT x.id, p.eco, p.name, p.key, p.fixed, p.entry FROM x JOIN ins USING (id), "
	"  jsonb_to_recordset(x.pkgs) AS p(eco text, name text, key text, fixed text, entry jsonb)) "
	"SELECT count(*), (SELECT count(*) FROM x WHERE withdrawn IS NULL) FROM ins";

static int import_flush(struct import *im)
{
	const char *list = json_object_to_json_string_ext(im->batch, JSON_C_TO_STRING_PLAIN);
	PGresult *res = NULL;
	int64_t replaced = 0, inserted, live;
	int r;

	if (json_object_array_length(im->batch) == 0)
		return 0;
	r = DB_QUERY(im->c->db, &res, sql_delete, list);
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		if (!strcmp(db_value(res, i, 0), "t"))
			im->removed++;
		else
			replaced++;
	}
	PQclear(res);
	if (r == 0)
		r = DB_QUERY(im->c->db, &res, sql_insert, list);
	if (r == 0) {
		inserted = db_int(res, 0, 0);
		live = db_int(res, 0, 1);
		im->updated += replaced;
		im->added += inserted - replaced;
		im->unchanged += live - inserted;
		PQclear(res);
	}
	json_object_put(im->batch);
	im->batch = json_object_new_array();
	return r;
}

static void add_str(json_object *o, const char *key, json_object *doc, const char *from)
{
	json_object *v;

	if (json_object_object_get_ex(doc, from, &v) && json_object_is_type(v, json_type_string))
		json_object_object_add(o, key, json_object_get(v));
}

/* The packages of the advisory that Lethe knows: [{eco, name, key, fixed, entry}]. */
static json_object *import_packages(json_object *doc)
{
	json_object *aff, *pkgs = json_object_new_array();
	size_t n = json_object_object_get_ex(doc, "affected", &aff) ? json_object_array_length(aff) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *entry = json_object_array_get_idx(aff, i), *p, *pkg;
		char *key = NULL, *fixed;
		int e = advisory_entry_package(entry, &key);

		if (e < 0)
			continue;
		p = json_object_new_object();
		json_object_object_get_ex(entry, "package", &pkg);
		json_object_object_add(p, "eco", json_object_new_string(eco_purl_type((enum eco)e)));
		add_str(p, "name", pkg, "name");
		json_object_object_add(p, "key", json_object_new_string(key));
		fixed = advisory_entry_fixed(entry);
		if (fixed)
			json_object_object_add(p, "fixed", json_object_new_string(fixed));
		json_object_object_add(p, "entry", json_object_get(entry));
		json_object_array_add(pkgs, p);
		free(key);
		free(fixed);
	}
	return pkgs;
}

/* The first CVSS v3 vector of the advisory, or NULL. */
static const char *import_vector(json_object *doc)
{
	json_object *sev;
	size_t n = json_object_object_get_ex(doc, "severity", &sev) &&
		   json_object_is_type(sev, json_type_array) ? json_object_array_length(sev) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(sev, i), *t, *s;

		if (json_object_object_get_ex(o, "type", &t) && json_object_object_get_ex(o, "score", &s) &&
		    !strcmp(json_object_get_string(t), "CVSS_V3") && advisory_cvss3_score(
			    json_object_get_string(s)) >= 0)
			return json_object_get_string(s);
	}
	return NULL;
}

/* The advisory as a row of the batch; *row NULL when it names no package Lethe knows. */
static json_object *import_row(json_object *doc)
{
	json_object *o = json_object_new_object(), *pkgs = import_packages(doc), *al, *w;
	const char *vector = import_vector(doc), *summary = NULL;
	double score;
	char *clean;

	add_str(o, "id", doc, "id");
	add_str(o, "modified", doc, "modified");
	add_str(o, "published", doc, "published");
	add_str(o, "withdrawn", doc, "withdrawn");
	if (json_object_object_get_ex(doc, "summary", &w) && json_object_is_type(w, json_type_string))
		summary = json_object_get_string(w);
	clean = sarif_clean_text(summary ? summary : "", 1000);
	if (*clean)
		json_object_object_add(o, "summary", json_object_new_string(clean));
	free(clean);
	if (json_object_object_get_ex(doc, "aliases", &al) && json_object_is_type(al, json_type_array))
		json_object_object_add(o, "aliases", json_object_get(al));
	json_object_object_add(o, "severity", json_object_new_string(advisory_severity(doc, &score)));
	if (score >= 0)
		json_object_object_add(o, "score", advisory_score_json(score));
	if (vector)
		json_object_object_add(o, "vector", json_object_new_string(vector));
	json_object_object_add(o, "pkgs", pkgs);
	if (json_object_array_length(pkgs) == 0 && !json_object_object_get_ex(doc, "withdrawn", &w)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int import_doc(struct import *im, const char *where, const char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	json_object *doc = json_tokener_parse_ex(tok, buf, (int)len), *row;
	char why[512];
	int r = 0;

	if (!doc || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		r = ctl_fail("%s: not a JSON document: %s", where,
			     json_tokener_error_desc(json_tokener_get_error(tok)));
	else if (advisory_check(doc, why, sizeof(why)) < 0)
		r = ctl_fail("%s: %s", where, why);
	json_tokener_free(tok);
	if (r) {
		json_object_put(doc);
		return r;
	}
	im->read++;
	im->withdrawn += json_object_object_get_ex(doc, "withdrawn", &row);
	row = import_row(doc);
	json_object_put(doc);
	if (!row) {
		im->ignored++;
		return 0;
	}
	json_object_array_add(im->batch, row);
	if (json_object_array_length(im->batch) >= BATCH && import_flush(im) < 0)
		return ctl_fail("storing the advisories of %s failed: %s", where, db_error(im->c->db));
	return 0;
}

static int import_zip_entry(struct import *im, const char *path, zip_t *z, zip_uint64_t i)
{
	zip_stat_t st;
	zip_file_t *f;
	char *buf, *where;
	int r;

	if (zip_stat_index(z, i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
	    !(st.valid & ZIP_STAT_SIZE))
		return ctl_fail("%s: entry %llu unreadable: %s", path, (unsigned long long)i,
				zip_strerror(z));
	if (strlen(st.name) < 5 || strcmp(st.name + strlen(st.name) - 5, ".json"))
		return 0;
	where = xasprintf("%s:%s", path, st.name);
	if (st.size > DOC_MAX) {
		r = ctl_fail("%s: larger than %u bytes", where, DOC_MAX);
		free(where);
		return r;
	}
	buf = xmalloc(st.size + 1);
	f = zip_fopen_index(z, i, 0);
	if (!f || zip_fread(f, buf, st.size) != (zip_int64_t)st.size)
		r = ctl_fail("%s: unreadable: %s", where, f ? zip_file_strerror(f) : zip_strerror(z));
	else
		r = import_doc(im, where, buf, st.size);
	if (f)
		zip_fclose(f);
	free(buf);
	free(where);
	return r;
}

static int import_zip(struct import *im, const char *path)
{
	int err = 0, r = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &err);
	zip_int64_t n;

	if (!z) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, err);
		r = ctl_fail("%s: not a readable zip archive: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return r;
	}
	n = zip_get_num_entries(z, 0);
	if (n > ZIP_ENTRIES_MAX)
		r = ctl_fail("%s: more than %d entries", path, ZIP_ENTRIES_MAX);
	for (zip_int64_t i = 0; r == 0 && i < n; i++)
		r = import_zip_entry(im, path, z, (zip_uint64_t)i);
	zip_discard(z);
	return r;
}

static int import_file(struct import *im, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, DOC_MAX, &buf, &len);

	im->files++;
	if (r < 0)
		return ctl_fail("unable to read '%s': %s", path, strerror(-r));
	if (len >= 4 && !memcmp(buf, "PK\x03\x04", 4))
		r = import_zip(im, path);
	else
		r = import_doc(im, path, buf, len);
	free(buf);
	return r;
}

/* The import's counts, for the audit event and the output. */
static json_object *import_counts(const struct import *im)
{
	const struct { const char *key; int64_t v; } F[] = {
		{ "files", im->files }, { "read", im->read }, { "added", im->added },
		{ "updated", im->updated }, { "unchanged", im->unchanged },
		{ "withdrawn", im->withdrawn }, { "removed", im->removed },
		{ "ignored", im->ignored }, { "findings", im->vulns.found },
		{ "new_findings", im->vulns.added }, { "fixed_findings", im->vulns.fixed },
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(F); i++)
		json_object_object_add(o, F[i].key, json_object_new_int64(F[i].v));
	return o;
}

static int import_audit(const struct import *im)
{
	json_object *o = import_counts(im);
	int r = audit_append(im->c->db, 0, AUDIT_SYSTEM, im->c->actor, "advisories imported",
			     "advisories", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			     NULL);

	json_object_put(o);
	return r;
}

int ctl_advisories_import(struct ctl *c, int argc, char **argv)
{
	struct import im = { .c = c };
	int r = 0;

	if (argc < 2)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	im.batch = json_object_new_array();
	for (int i = 1; r == 0 && i < argc; i++)
		r = import_file(&im, argv[i]);
	if (r == 0 && import_flush(&im) < 0)
		r = ctl_db_fail(c, "storing the advisories");
	if (r == 0 && vulns_evaluate_all(c->db, &im.vulns) < 0)
		r = ctl_db_fail(c, "matching the stored dependencies");
	if (r == 0 && import_audit(&im) < 0)
		r = ctl_db_fail(c, "recording the import");
	if (r == 0 && db_commit(c->db) < 0)
		r = ctl_db_fail(c, "commit");
	json_object_put(im.batch);
	if (r) {
		db_rollback(c->db);
		return 1;
	}
	ctl_print_object(c, import_counts(&im));
	return 0;
}

int ctl_advisories_status(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage();
	return ctl_list(c, "advisories", "SELECT p.ecosystem, count(DISTINCT a.id) AS advisories, "
		"to_char(max(a.modified) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
		"AS newest_modified FROM lethe.advisories a JOIN lethe.advisory_packages p "
		"ON p.advisory_id = a.id GROUP BY p.ecosystem ORDER BY p.ecosystem", 0, NULL);
}
