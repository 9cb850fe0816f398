/*
 * vulns.c - known-vulnerable dependencies from the stored facts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "advisory.h"
#include "sarif.h"
#include "util.h"
#include "version.h"
#include "vulns.h"

#define SUMMARY_MAX 500

struct dep {
	enum eco eco;
	char *name, *version, *manifest;
	int line;	/* where the manifest names it, 0: not known */
};

struct hit {
	size_t dep, group;
	json_object *adv;	/* {id, aliases, severity, score, summary, fixed} */
};

struct match {
	struct dep *deps;
	size_t ndeps;
	struct hit *hits;
	size_t nhits, cap;
};

static void match_release(struct match *m)
{
	for (size_t i = 0; i < m->ndeps; i++) {
		free(m->deps[i].name);
		free(m->deps[i].version);
		free(m->deps[i].manifest);
	}
	for (size_t i = 0; i < m->nhits; i++)
		json_object_put(m->hits[i].adv);
	free(m->deps);
	free(m->hits);
	memset(m, 0, sizeof(*m));
}

static const char *jget(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static json_object *jarray(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ?
	       v : NULL;
}

static void dep_add(struct match *m, json_object *keys, enum eco e, const PGresult *res, int row)
{
	struct dep *d = &m->deps[m->ndeps];
	json_object *o = json_object_new_object();
	char *key;

	*d = (struct dep){ e, xstrdup(db_value(res, row, 1)), xstrdup(db_value(res, row, 2)),
			   xstrdup(db_value(res, row, 3)), PQgetisnull(res, row, 4) ? 0 :
			   db_int(res, row, 4) };
	key = eco_name_key(e, d->name);
	json_object_object_add(o, "i", json_object_new_int64((int64_t)m->ndeps++));
	json_object_object_add(o, "eco", json_object_new_string(eco_purl_type(e)));
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_array_add(keys, o);
	free(key);
}

/* The scan's locked versions; *keys: [{i, eco, key}] for the advisory lookup. */
static int deps_load(struct db *db, const char *scan, struct match *m, char **keys)
{
	json_object *a = json_object_new_array();
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, "SELECT ecosystem, name, version, manifest_path, line "
			 "FROM dependencies WHERE scan_id = $1::bigint AND version IS NOT NULL "
			 "ORDER BY id", scan);
	int n = r == 0 ? PQntuples(res) : 0;

	m->deps = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*m->deps));
	for (int i = 0; i < n; i++) {
		int e = eco_from_purl(db_value(res, i, 0));

		if (e >= 0)
			dep_add(m, a, (enum eco)e, res, i);
	}
	PQclear(res);
	*keys = xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return r;
}

static const char sql_candidates[] =
	"SELECT x.i, p.entry::text, json_build_object('id', a.id, 'aliases', a.aliases, "
	" 'severity', a.severity, 'score', a.cvss_score, 'summary', a.summary, "
	" 'fixed', coalesce(p.fixed, ''))::text "
	"FROM jsonb_to_recordset($1::jsonb) AS x(i int, eco text, key text) "
	"JOIN advisory_packages p ON p.ecosystem = x.eco AND p.name_key = x.key "
	"JOIN advisories a ON a.id = p.advisory_id ORDER BY x.i, a.id, p.id";

static void hit_add(struct match *m, size_t dep, const char *adv)
{
	if (m->nhits == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->hits = xrealloc(m->hits, m->cap * sizeof(*m->hits));
	}
	m->hits[m->nhits] = (struct hit){ dep, m->nhits, json_tokener_parse(adv) };
	m->nhits++;
}

/* Each affected[] entry of the deps' packages, evaluated for the locked version. */
static int hits_find(struct db *db, const char *keys, struct match *m)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, sql_candidates, keys);
	int n = r == 0 ? PQntuples(res) : 0;

	for (int i = 0; i < n; i++) {
		size_t d = (size_t)db_int(res, i, 0);
		json_object *entry = json_tokener_parse(db_value(res, i, 1));
		if (d < m->ndeps && entry &&
		    advisory_entry_match(m->deps[d].eco, entry, m->deps[d].version) != ADVISORY_NO)
			hit_add(m, d, db_value(res, i, 2));
		json_object_put(entry);
	}
	PQclear(res);
	return r;
}

static size_t group_of(struct hit *h, size_t i)
{
	while (h[i].group != i)
		i = h[i].group = h[h[i].group].group;
	return i;
}

static bool names(json_object *adv, const char *id)
{
	json_object *al = jarray(adv, "aliases");
	size_t n = al ? json_object_array_length(al) : 0;

	if (!strcmp(jget(adv, "id"), id))
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(al, i)), id))
			return true;
	return false;
}

/* Two advisories of one vulnerability: one names the other, or both a third. */
static bool related(json_object *a, json_object *b)
{
	json_object *al = jarray(a, "aliases");
	size_t n = al ? json_object_array_length(al) : 0;

	if (names(b, jget(a, "id")))
		return true;
	for (size_t i = 0; i < n; i++)
		if (names(b, json_object_get_string(json_object_array_get_idx(al, i))))
			return true;
	return false;
}

/* The hits of one dependency (adjacent) merged by their aliases. */
static void hits_group(struct match *m)
{
	for (size_t s = 0, e; s < m->nhits; s = e) {
		for (e = s; e < m->nhits && m->hits[e].dep == m->hits[s].dep; e++)
			;
		for (size_t i = s; i < e; i++)
			for (size_t k = i + 1; k < e; k++)
				if (related(m->hits[i].adv, m->hits[k].adv))
					m->hits[group_of(m->hits, k)].group = group_of(m->hits, i);
	}
}

static int str_sort(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(json_object *const *)a),
		      json_object_get_string(*(json_object *const *)b));
}

static void set_add(json_object *set, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(set); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(set, i)), s))
			return;
	json_object_array_add(set, json_object_new_string(s));
}

static int severity_rank(const char *s)
{
	static const char *const ORDER[] = { "critical", "high", "medium", "low", "none" };

	for (size_t i = 0; s && i < ARRAY_SIZE(ORDER); i++)
		if (!strcmp(s, ORDER[i]))
			return (int)i;
	return (int)ARRAY_SIZE(ORDER);
}

/* What one vulnerability of one dependency says, gathered from its advisories. */
struct vuln {
	json_object *ids, *aliases, *fixed;
	const char *severity, *summary;
	double score;
};

/* Aliases that are ids of the advisories themselves are not aliases. */
static void aliases_prune(struct vuln *v)
{
	for (size_t i = json_object_array_length(v->aliases); i-- > 0;) {
		const char *a = json_object_get_string(json_object_array_get_idx(v->aliases, i));

		for (size_t k = 0; k < json_object_array_length(v->ids); k++)
			if (!strcmp(a, json_object_get_string(json_object_array_get_idx(v->ids, k)))) {
				json_object_array_del_idx(v->aliases, i, 1);
				break;
			}
	}
}

static void vuln_gather(struct match *m, size_t root, struct vuln *v)
{
	memset(v, 0, sizeof(*v));
	v->ids = json_object_new_array();
	v->aliases = json_object_new_array();
	v->fixed = json_object_new_array();
	v->severity = "unknown";
	v->score = -1;
	for (size_t i = root; i < m->nhits && m->hits[i].dep == m->hits[root].dep; i++) {
		json_object *adv = m->hits[i].adv, *al = jarray(adv, "aliases"), *sc;
		char *fixed, *tok, *save = NULL;

		if (group_of(m->hits, i) != root)
			continue;
		set_add(v->ids, jget(adv, "id"));
		for (size_t k = 0; al && k < json_object_array_length(al); k++)
			set_add(v->aliases, json_object_get_string(json_object_array_get_idx(al, k)));
		fixed = xstrdup(jget(adv, "fixed") ? jget(adv, "fixed") : "");
		for (tok = strtok_r(fixed, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			set_add(v->fixed, tok);
		free(fixed);
		if (severity_rank(jget(adv, "severity")) < severity_rank(v->severity))
			v->severity = jget(adv, "severity");
		if (json_object_object_get_ex(adv, "score", &sc) && !json_object_is_type(sc, json_type_null) &&
		    json_object_get_double(sc) > v->score)
			v->score = json_object_get_double(sc);
		if (!v->summary)
			v->summary = jget(adv, "summary");
	}
	aliases_prune(v);
	json_object_array_sort(v->ids, str_sort);
	json_object_array_sort(v->aliases, str_sort);
}

/* The vulnerability's name in fingerprints: its smallest CVE, else its smallest id. */
static const char *vuln_key(const struct vuln *v)
{
	const char *key = NULL;

	for (size_t i = 0; i < json_object_array_length(v->aliases) && !key; i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(v->aliases, i));

		if (!strncmp(a, "CVE-", 4))
			key = a;
	}
	for (size_t i = 0; i < json_object_array_length(v->ids) && !key; i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(v->ids, i));

		if (!strncmp(a, "CVE-", 4))
			key = a;
	}
	return key ? key : json_object_get_string(json_object_array_get_idx(v->ids, 0));
}

static char *joined(json_object *a)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		char *next = xasprintf("%s%s%s", out, i ? ", " : "",
				       json_object_get_string(json_object_array_get_idx(a, i)));

		free(out);
		out = next;
	}
	return out;
}

static char *vuln_message(const struct dep *d, const struct vuln *v)
{
	_cleanup_free_ char *ids = joined(v->ids), *aliases = joined(v->aliases);
	_cleanup_free_ char *fixed = joined(v->fixed);
	_cleanup_free_ char *summary = text_clean(v->summary ? v->summary : "", SUMMARY_MAX);
	_cleanup_free_ char *msg = xasprintf("%s %s has a known vulnerability: %s%s%s%s (%s)%s%s%s%s",
		d->name, d->version, ids, *aliases ? " (" : "", aliases, *aliases ? ")" : "",
		v->severity, *summary ? ": " : "", summary, *fixed ? "; fixed in " : "; no fix", fixed);

	return text_clean(msg, 2000);
}

static json_object *vuln_props(const struct dep *d, struct vuln *v)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "advisory", json_object_get(json_object_array_get_idx(v->ids, 0)));
	json_object_object_add(p, "advisories", json_object_get(v->ids));
	json_object_object_add(p, "aliases", json_object_get(v->aliases));
	json_object_object_add(p, "severity", json_object_new_string(v->severity));
	if (v->score >= 0)
		json_object_object_add(p, "cvss_score", advisory_score_json(v->score));
	json_object_object_add(p, "ecosystem", json_object_new_string(eco_purl_type(d->eco)));
	json_object_object_add(p, "package", json_object_new_string(d->name));
	json_object_object_add(p, "version", json_object_new_string(d->version));
	json_object_object_add(p, "fixed", json_object_get(v->fixed));
	return p;
}

static json_object *vuln_result(struct match *m, size_t root, size_t n)
{
	const struct dep *d = &m->deps[m->hits[root].dep];
	const char *fields[5] = { "lethe-vuln-v1", eco_purl_type(d->eco), d->name, d->manifest };
	json_object *o = json_object_new_object();
	char fp[65], *msg;
	struct vuln v;
	int rank;

	vuln_gather(m, root, &v);
	fields[4] = vuln_key(&v);
	sarif_fingerprint(fields, ARRAY_SIZE(fields), fp);
	rank = severity_rank(v.severity);
	json_object_object_add(o, "i", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "fp", json_object_new_string(fp));
	json_object_object_add(o, "rule", json_object_new_string(VULNS_RULE));
	json_object_object_add(o, "level", json_object_new_string(rank <= 1 ? "error" :
								   rank == 2 ? "warning" : "note"));
	json_object_object_add(o, "path", json_object_new_string(d->manifest));
	if (d->line > 0)
		json_object_object_add(o, "sl", json_object_new_int(d->line));
	msg = vuln_message(d, &v);
	json_object_object_add(o, "msg", json_object_new_string(msg));
	free(msg);
	json_object_object_add(o, "props", vuln_props(d, &v));
	json_object_put(v.ids);
	json_object_put(v.aliases);
	json_object_put(v.fixed);
	return o;
}

/* The findings of scan's dependencies, as a JSON array for findings_store(); *found: how many. */
static int vulns_match(struct db *db, const char *scan, char **results, int64_t *found)
{
	struct match m = { 0 };
	json_object *a = json_object_new_array();
	char *keys = NULL;
	int r = deps_load(db, scan, &m, &keys);

	if (r == 0 && m.ndeps > 0)
		r = hits_find(db, keys, &m);
	free(keys);
	hits_group(&m);
	for (size_t i = 0; r == 0 && i < m.nhits; i++)
		if (group_of(m.hits, i) == i)
			json_object_array_add(a, vuln_result(&m, i, json_object_array_length(a)));
	*results = r == 0 ? xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN)) : NULL;
	*found = (int64_t)json_object_array_length(a);
	json_object_put(a);
	match_release(&m);
	return r;
}

/* How lethe-deps ran in the scan: "complete", "incomplete", or "" when it did not run. */
static int deps_status(struct db *db, const char *scan, char status[16])
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, "SELECT status FROM scan_tools WHERE scan_id = $1::bigint "
			 "AND tool = 'lethe-deps'", scan);

	snprintf(status, 16, "%s", r == 0 && PQntuples(res) == 1 ? db_value(res, 0, 0) : "");
	PQclear(res);
	return r;
}

/*
 * The tool's row in the scan, so that reports count it as run: complete
 * when the scan's dependencies are, else incomplete (a pull request's
 * report then fixes none of its findings).
 */
static int vulns_tool(struct db *db, const struct findings_target *t, const char *deps,
		      int64_t found)
{
	bool complete = !strcmp(deps, "complete");
	const char *status = complete ? "complete" : "incomplete";
	const char *reason = complete ? "" : "the dependencies of the scan are incomplete";
	char n[24];

	i64s(found, n);
	return DB_QUERY(db, NULL, "INSERT INTO scan_tools (org_id, scan_id, tool, status, reason, "
			"result_count) VALUES ($1, $2, $3, $4, nullif($5, ''), $6) "
			"ON CONFLICT (scan_id, tool) DO UPDATE SET status = EXCLUDED.status, "
			"reason = EXCLUDED.reason, result_count = EXCLUDED.result_count",
			t->org, t->scan, VULNS_TOOL, status, reason, n);
}

/* Open findings of the tool on the branch that the results no longer hold. */
static int vulns_fix(struct db *db, const struct findings_target *t, const char *results,
		     int64_t *fixed)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, "UPDATE findings SET state = 'fixed', fixed_scan_id = $4::bigint, "
			 "updated_at = now() WHERE repository_id = $1::bigint AND branch = $2 "
			 "AND tool = $3 AND state = 'open' AND fingerprint NOT IN "
			 "(SELECT x ->> 'fp' FROM jsonb_array_elements($5::jsonb) x)",
			 t->repo, t->branch, VULNS_TOOL, t->scan, results);

	if (r == 0)
		*fixed = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return r;
}

int vulns_evaluate(struct db *db, const struct findings_target *t, struct vulns_count *n)
{
	char *results = NULL, deps[16];
	int64_t added = 0, fixed = 0, found = 0;
	int r = deps_status(db, t->scan, deps);

	if (r < 0 || !*deps)	/* no dependency facts: nothing to match, nothing to fix */
		return r;

	if (r == 0)
		r = vulns_match(db, t->scan, &results, &found);
	if (r == 0 && found > 0)
		r = findings_store(db, t, VULNS_TOOL, results, &added);
	if (r == 0 && !strcmp(deps, "complete"))
		r = vulns_fix(db, t, results, &fixed);
	if (r == 0)
		r = vulns_tool(db, t, deps, found);
	free(results);
	if (n) {
		n->found += found;
		n->added += added;
		n->fixed += fixed;
	}
	return r;
}

int vulns_evaluate_all(struct db *db, struct vulns_count *n)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, "SELECT DISTINCT ON (repository_id, branch) org_id::text, "
			 "repository_id::text, branch, id::text, pr_number IS NOT NULL, "
			 "coalesce(base_scan_id::text, '') FROM scans WHERE state IN ('complete', "
			 "'incomplete') AND branch IS NOT NULL ORDER BY repository_id, branch, id DESC");
	int rows = r == 0 ? PQntuples(res) : 0;

	for (int i = 0; r == 0 && i < rows; i++) {
		struct findings_target t = { db_value(res, i, 0), db_value(res, i, 1),
			db_value(res, i, 2), db_value(res, i, 3), !strcmp(db_value(res, i, 4), "t"),
			db_value(res, i, 5) };

		r = vulns_evaluate(db, &t, n);
	}
	PQclear(res);
	return r;
}
