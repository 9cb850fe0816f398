/*
 * ctl-advisories.c - lethectl advisories: import OSV advisories (one JSON
 * document per file, or zip archives of them as osv.dev publishes per
 * ecosystem) and show what is stored.
 *
 * An import is one transaction: every file is read and checked, the
 * advisories are copied to a temporary table and stored from it by a few
 * statements (an advisory replaces the stored one
 * when its "modified" is newer, a withdrawn one deletes it), the stored
 * dependencies of each branch's latest scan are matched again (lib/store/vulns.h)
 * and an audit event records the counts.  A file that cannot be read or an
 * advisory that does not pass advisory_check() stops the import with its
 * name, and nothing is changed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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

struct import {
	struct ctl *c;
	PGconn *conn;
	bool copying;		/* COPY import_rows FROM STDIN is open */
	char *line;		/* one row of it */
	size_t linelen, linecap;
	int64_t files, read, added, updated, unchanged, withdrawn, removed, ignored;
	struct vulns_count vulns;
};

/*
 * Every advisory read goes into a temporary table, one row per package (or
 * one without a package for a withdrawn advisory); n orders the records, so
 * that the newest "modified", and of equal ones the last read, is the
 * record of its id.  Then three statements store them all.
 */
static const char sql_rows[] =
	"CREATE TEMPORARY TABLE import_rows (n bigint, head boolean, id text, modified timestamptz, "
	"published timestamptz, withdrawn timestamptz, summary text, aliases jsonb, severity text, "
	"score numeric, vector text, ecosystem text, name text, name_key text, fixed text, "
	"entry jsonb) ON COMMIT DROP";
static const char sql_copy[] =
	"COPY import_rows FROM STDIN";
static const char sql_latest[] =
	"CREATE TEMPORARY TABLE import_latest ON COMMIT DROP AS SELECT DISTINCT ON (id) id, n, "
	"modified, withdrawn FROM import_rows WHERE head ORDER BY id, modified DESC, n DESC";

/* Older stored versions of the advisories go, and the withdrawn: how many of each. */
static const char sql_delete[] =
	"WITH d AS (DELETE FROM advisories a USING import_latest x WHERE a.id = x.id "
	" AND (a.modified < x.modified OR (x.withdrawn IS NOT NULL AND a.modified <= x.modified)) "
	" RETURNING x.withdrawn IS NOT NULL AS w) "
	"SELECT count(*) FILTER (WHERE w), count(*) FILTER (WHERE NOT w) FROM d";

/*
 * Then the advisories that are not stored (any more) go in, from the head
 * row of their latest record, with the packages of that record.
 */
static const char sql_insert[] =
	"WITH ins AS (INSERT INTO advisories (id, modified, published, summary, aliases, severity, "
	"  cvss_score, cvss_vector) SELECT r.id, r.modified, r.published, r.summary, "
	"  ARRAY(SELECT jsonb_array_elements_text(r.aliases)), r.severity, r.score, r.vector "
	"  FROM import_rows r JOIN import_latest l ON l.id = r.id AND l.n = r.n "
	"  WHERE r.head AND l.withdrawn IS NULL ON CONFLICT (id) DO NOTHING RETURNING id), "
	" pk AS (INSERT INTO advisory_packages (advisory_id, ecosystem, name, name_key, fixed, entry) "
	"  SELECT r.id, r.ecosystem, r.name, r.name_key, r.fixed, r.entry FROM import_rows r "
	"  JOIN import_latest l ON l.id = r.id AND l.n = r.n JOIN ins ON ins.id = r.id "
	"  WHERE r.ecosystem IS NOT NULL) "
	"SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM import_latest WHERE withdrawn IS NULL)";

static int import_begin(struct import *im)
{
	PGresult *res;

	im->conn = db_conn(im->c->db);
	if (DB_QUERY(im->c->db, NULL, sql_rows) < 0)
		return -EIO;
	res = PQexec(im->conn, sql_copy);
	im->copying = PQresultStatus(res) == PGRES_COPY_IN;
	PQclear(res);
	return im->copying ? 0 : -EIO;
}

/* End the COPY; with why, abandon it. */
static int import_copy_end(struct import *im, const char *why)
{
	PGresult *res;
	int r = 0;

	if (!im->copying)
		return 0;
	im->copying = false;
	if (PQputCopyEnd(im->conn, why) != 1)
		r = -EIO;
	while ((res = PQgetResult(im->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			r = -EIO;
		PQclear(res);
	}
	return r;
}

static int import_store(struct import *im)
{
	PGresult *res = NULL;
	int64_t inserted, live;
	int r = import_copy_end(im, NULL);

	if (r == 0)	/* a temporary table has no statistics until analyzed */
		r = DB_QUERY(im->c->db, NULL, "ANALYZE import_rows (n, head, id, ecosystem)");
	if (r == 0)
		r = DB_QUERY(im->c->db, NULL, sql_latest);
	if (r == 0)
		r = DB_QUERY(im->c->db, &res, sql_delete);
	if (r == 0) {
		im->removed = db_int(res, 0, 0);
		im->updated = db_int(res, 0, 1);
		PQclear(res);
		r = DB_QUERY(im->c->db, &res, sql_insert);
	}
	if (r == 0) {
		inserted = db_int(res, 0, 0);
		live = db_int(res, 0, 1);
		im->added = inserted - im->updated;
		im->unchanged = live - inserted;
		PQclear(res);
	}
	return r;
}

static void line_add(struct import *im, const char *s, size_t n)
{
	if (im->linelen + n + 1 > im->linecap) {
		im->linecap = (im->linelen + n + 1) * 2;
		im->line = xrealloc(im->line, im->linecap);
	}
	memcpy(im->line + im->linelen, s, n);
	im->linelen += n;
}

/* One column of the COPY row, in its text format; NULL is \N. */
static void line_field(struct import *im, const char *s)
{
	if (im->linelen)
		line_add(im, "\t", 1);
	if (!s) {
		line_add(im, "\\N", 2);
		return;
	}
	for (;;) {
		size_t n = strcspn(s, "\\\t\n\r");

		line_add(im, s, n);
		s += n;
		if (!*s)
			return;
		line_add(im, *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : "\\r", 2);
		s++;
	}
}

static const char *jtext(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* The rows of one advisory (import_row()): one per package, or one without. */
static int import_copy(struct import *im, json_object *row)
{
	static const char *const ADV[] = { "id", "modified", "published", "withdrawn", "summary",
		"aliases", "severity", "score", "vector" };
	static const char *const PKG[] = { "eco", "name", "key", "fixed", "entry" };
	json_object *pkgs = json_object_object_get(row, "pkgs");
	size_t n = json_object_array_length(pkgs);
	char num[24];

	i64s(im->read, num);
	for (size_t i = 0; i < (n ? n : 1); i++) {
		json_object *p = n ? json_object_array_get_idx(pkgs, i) : NULL;

		im->linelen = 0;
		line_field(im, num);
		line_field(im, i ? "f" : "t");
		for (size_t k = 0; k < ARRAY_SIZE(ADV); k++)
			line_field(im, jtext(row, ADV[k]));
		for (size_t k = 0; k < ARRAY_SIZE(PKG); k++)
			line_field(im, p ? jtext(p, PKG[k]) : NULL);
		line_add(im, "\n", 1);
		if (PQputCopyData(im->conn, im->line, (int)im->linelen) != 1)
			return -EIO;
	}
	return 0;
}

static void add_str(json_object *o, const char *key, json_object *doc, const char *from)
{
	json_object *v;

	if (json_object_object_get_ex(doc, from, &v) && json_object_is_type(v, json_type_string))
		json_object_object_add(o, key, json_object_get(v));
}

/* What matching reads of an affected[] entry (lib/parse/advisory.h): its ranges and versions. */
static json_object *import_entry(json_object *entry)
{
	json_object *o = json_object_new_object(), *v;

	if (json_object_object_get_ex(entry, "ranges", &v))
		json_object_object_add(o, "ranges", json_object_get(v));
	if (json_object_object_get_ex(entry, "versions", &v))
		json_object_object_add(o, "versions", json_object_get(v));
	return o;
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
		json_object_object_add(p, "entry", import_entry(entry));
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

/* What import_copy() stores of the advisory; NULL when it names no package Lethe knows. */
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
	clean = text_clean(summary ? summary : "", 1000);
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
	im->withdrawn += json_object_object_get_ex(doc, "withdrawn", NULL);
	row = import_row(doc);
	json_object_put(doc);
	if (!row) {
		im->ignored++;
		return 0;
	}
	r = import_copy(im, row);
	json_object_put(row);
	if (r < 0)
		return ctl_fail("storing the advisories of %s failed: %s", where,
				PQerrorMessage(im->conn));
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

/* Whether the file starts as a zip archive does; -errno if unreadable. */
static int is_zip(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rbe");
	int r;

	if (!f)
		return -errno;
	r = fread(magic, 1, sizeof(magic), f) == sizeof(magic) && !memcmp(magic, "PK\x03\x04", 4);
	fclose(f);
	return r;
}

static int import_file(struct import *im, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int r = is_zip(path);

	im->files++;
	if (r > 0)
		return import_zip(im, path);
	if (r == 0)
		r = read_file(path, DOC_MAX, &buf, &len);
	if (r < 0)
		return ctl_fail("unable to read '%s': %s", path, strerror(-r));
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

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int advisory_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && (e->d_type == DT_REG || e->d_type == DT_UNKNOWN) &&
	       ((n > 5 && !strcmp(e->d_name + n - 5, ".json")) ||
		(n > 4 && !strcmp(e->d_name + n - 4, ".zip")));
}

/* --dir DIR: the *.json and *.zip files directly in DIR, by name, as argv
 * (argv[0] the command); *files NULL and 0 when there are none. */
static int dir_files(const char *dir, char ***files, int *n)
{
	struct dirent **e = NULL;
	int k = scandir(dir, &e, advisory_file, by_name);

	*files = NULL;
	*n = 0;
	if (k < 0)
		return ctl_fail("unable to read the directory '%s': %s", dir, strerror(errno));
	if (k > 0) {
		*files = xcalloc((size_t)k + 1, sizeof(**files));
		(*files)[0] = xstrdup("import");
		for (int i = 0; i < k; i++)
			(*files)[i + 1] = xasprintf("%s/%s", dir, e[i]->d_name);
		*n = k + 1;
	}
	for (int i = 0; i < k; i++)
		free(e[i]);
	free(e);
	return 0;
}

static int import_files(struct ctl *c, int argc, char **argv)
{
	struct import im = { .c = c };
	int r = 0;

	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	if (import_begin(&im) < 0)
		r = ctl_db_fail(c, "starting the import");
	for (int i = 1; r == 0 && i < argc; i++)
		r = import_file(&im, argv[i]);
	if (r)
		import_copy_end(&im, "import abandoned");
	if (r == 0 && import_store(&im) < 0)
		r = ctl_db_fail(c, "storing the advisories");
	if (r == 0 && vulns_evaluate_all(c->db, &im.vulns) < 0)
		r = ctl_db_fail(c, "matching the stored dependencies");
	if (r == 0 && import_audit(&im) < 0)
		r = ctl_db_fail(c, "recording the import");
	if (r == 0 && db_commit(c->db) < 0)
		r = ctl_db_fail(c, "commit");
	free(im.line);
	if (r) {
		db_rollback(c->db);
		return 1;
	}
	ctl_print_object(c, import_counts(&im));
	return 0;
}

int ctl_advisories_import(struct ctl *c, int argc, char **argv)
{
	char **files;
	int n, r;

	if (argc == 3 && !strcmp(argv[1], "--dir")) {
		if (dir_files(argv[2], &files, &n))
			return 1;
		if (n == 0) {
			printf("no advisory file (*.json, *.zip) in '%s': nothing imported\n", argv[2]);
			return 0;
		}
		r = import_files(c, n, files);
		for (int i = 0; i < n; i++)
			free(files[i]);
		free(files);
		return r;
	}
	if (argc < 2 || !strcmp(argv[1], "--dir"))
		return ctl_usage();
	return import_files(c, argc, argv);
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
