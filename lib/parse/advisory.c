/*
 * advisory.c - OSV advisories: matching, severity, import checks.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "advisory.h"
#include "util.h"

#define EVENTS_MAX 256

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *jarr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

enum ev_kind { EV_INTRODUCED, EV_FIXED, EV_LAST_AFFECTED, EV_LIMIT };

static const char *const EV_NAMES[] = { "introduced", "fixed", "last_affected", "limit" };

struct event {
	enum ev_kind kind;
	const char *version;
	size_t order;
};

struct sort_ctx {
	enum eco eco;
};

static int event_cmp(const void *pa, const void *pb, void *arg)
{
	const struct event *a = pa, *b = pb;
	const struct sort_ctx *ctx = arg;
	bool az = a->kind == EV_INTRODUCED && !strcmp(a->version, "0");
	bool bz = b->kind == EV_INTRODUCED && !strcmp(b->version, "0");
	int c;

	if (az != bz)
		return az ? -1 : 1;
	c = az ? 0 : version_cmp(ctx->eco, a->version, b->version);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The range's events, sorted; how many (at most EVENTS_MAX). */
static size_t range_events(json_object *range, enum eco e, struct event *ev)
{
	json_object *events = jarr(range, "events");
	size_t n = 0, len = events ? json_object_array_length(events) : 0;
	struct sort_ctx ctx = { e };

	for (size_t i = 0; i < len && n < EVENTS_MAX; i++) {
		json_object *o = json_object_array_get_idx(events, i);

		for (size_t k = 0; k < ARRAY_SIZE(EV_NAMES); k++) {
			const char *v = jstr(o, EV_NAMES[k]);

			if (v && n < EVENTS_MAX) {
				ev[n] = (struct event){ (enum ev_kind)k, v, n };
				n++;
			}
		}
	}
	qsort_r(ev, n, sizeof(*ev), event_cmp, &ctx);
	return n;
}

static bool range_affects(json_object *range, enum eco e, const char *v)
{
	const char *type = jstr(range, "type");
	struct event ev[EVENTS_MAX];
	bool affected = false;
	size_t n;

	if (!type || (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER")))
		return false;
	if (!strcmp(type, "SEMVER"))
		e = ECO_SEMVER;
	n = range_events(range, e, ev);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ev_v = version_fact(e, ev[i].version);
		int c = ev[i].kind == EV_INTRODUCED && !strcmp(ev_v, "0") ? 1 : version_cmp(e, v, ev_v);

		if (ev[i].kind == EV_INTRODUCED && c >= 0)
			affected = true;
		else if ((ev[i].kind == EV_FIXED || ev[i].kind == EV_LIMIT) && c >= 0)
			affected = false;
		else if (ev[i].kind == EV_LAST_AFFECTED && c > 0)
			affected = false;
	}
	return affected;
}

enum advisory_match advisory_entry_match(enum eco e, json_object *entry, const char *version)
{
	json_object *versions = jarr(entry, "versions"), *ranges = jarr(entry, "ranges");
	_cleanup_free_ char *v = version_fact(e, version);
	size_t n = versions ? json_object_array_length(versions) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(versions, i);
		_cleanup_free_ char *lv = json_object_is_type(o, json_type_string) ?
			version_fact(e, json_object_get_string(o)) : NULL;

		if (lv && !strcmp(lv, v))
			return ADVISORY_BY_VERSIONS;
	}
	n = ranges ? json_object_array_length(ranges) : 0;
	for (size_t i = 0; i < n; i++)
		if (range_affects(json_object_array_get_idx(ranges, i), e, v))
			return ADVISORY_BY_RANGES;
	return ADVISORY_NO;
}

int advisory_entry_package(json_object *entry, char **name_key)
{
	json_object *pkg;
	const char *name;
	int e;

	*name_key = NULL;
	if (!json_object_object_get_ex(entry, "package", &pkg))
		return -1;
	e = eco_from_osv(jstr(pkg, "ecosystem"));
	name = jstr(pkg, "name");
	if (e < 0 || !name || !*name)
		return -1;
	*name_key = eco_name_key((enum eco)e, name);
	return e;
}

/* Whether the comma-separated list names item. */
static bool list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, item, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

char *advisory_entry_fixed(json_object *entry)
{
	json_object *ranges = jarr(entry, "ranges");
	size_t n = ranges ? json_object_array_length(ranges) : 0;
	char *out = NULL;

	for (size_t i = 0; i < n; i++) {
		json_object *events = jarr(json_object_array_get_idx(ranges, i), "events");
		size_t m = events ? json_object_array_length(events) : 0;

		for (size_t k = 0; k < m; k++) {
			const char *f = jstr(json_object_array_get_idx(events, k), "fixed");
			char *next;

			if (!f || list_has(out, f))
				continue;
			next = out ? xasprintf("%s,%s", out, f) : xstrdup(f);
			free(out);
			out = next;
		}
	}
	return out;
}

/* ---- severity -------------------------------------------------------- */

/* The value letter of metric m in a CVSS vector, or 0. */
static char cvss_metric(const char *vector, const char *m)
{
	size_t n = strlen(m);

	for (const char *p = vector; (p = strstr(p, m)); p++)
		if ((p == vector || p[-1] == '/') && p[n] == ':' && p[n + 1] &&
		    (p[n + 2] == '/' || !p[n + 2]))
			return p[n + 1];
	return 0;
}

/* CVSS v3.1's Roundup: the smallest one-decimal number >= x. */
static double cvss_roundup(double x)
{
	long i = lround(x * 100000);

	return i % 10000 == 0 ? (double)i / 100000.0 : (floor((double)i / 10000) + 1) / 10.0;
}

static double cvss_pick(char v, const char *letters, const double *values)
{
	const char *p = v ? strchr(letters, v) : NULL;

	return p ? values[p - letters] : -1;
}

double advisory_cvss3_score(const char *vector)
{
	static const double AV[] = { 0.85, 0.62, 0.55, 0.2 }, AC[] = { 0.77, 0.44 },
		UI[] = { 0.85, 0.62 }, CIA[] = { 0.56, 0.22, 0 }, PR_U[] = { 0.85, 0.62, 0.27 },
		PR_C[] = { 0.85, 0.68, 0.5 };
	char s;
	double av, ac, pr, ui, c, i, a, iss, impact, expl;

	if (!vector || strncmp(vector, "CVSS:3.", 7))
		return -1;
	s = cvss_metric(vector, "S");
	if (s != 'U' && s != 'C')
		return -1;
	av = cvss_pick(cvss_metric(vector, "AV"), "NALP", AV);
	ac = cvss_pick(cvss_metric(vector, "AC"), "LH", AC);
	pr = cvss_pick(cvss_metric(vector, "PR"), "NLH", s == 'C' ? PR_C : PR_U);
	ui = cvss_pick(cvss_metric(vector, "UI"), "NR", UI);
	c = cvss_pick(cvss_metric(vector, "C"), "HLN", CIA);
	i = cvss_pick(cvss_metric(vector, "I"), "HLN", CIA);
	a = cvss_pick(cvss_metric(vector, "A"), "HLN", CIA);
	if (av < 0 || ac < 0 || pr < 0 || ui < 0 || c < 0 || i < 0 || a < 0)
		return -1;
	iss = 1 - (1 - c) * (1 - i) * (1 - a);
	impact = s == 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15);
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		return 0;
	return cvss_roundup(fmin((s == 'U' ? 1.0 : 1.08) * (impact + expl), 10));
}

json_object *advisory_score_json(double score)
{
	char text[16];

	snprintf(text, sizeof(text), "%.1f", score);
	return json_object_new_double_s(score, text);
}

static const char *cvss_rating(double score)
{
	return score >= 9 ? "critical" : score >= 7 ? "high" : score >= 4 ? "medium" :
	       score > 0 ? "low" : "none";
}

const char *advisory_severity(json_object *doc, double *score)
{
	static const struct { const char *db, *rating; } DB[] = {
		{ "CRITICAL", "critical" }, { "HIGH", "high" }, { "MODERATE", "medium" },
		{ "MEDIUM", "medium" }, { "LOW", "low" },
	};
	json_object *sev = jarr(doc, "severity"), *dbs;
	size_t n = sev ? json_object_array_length(sev) : 0;
	const char *db;

	*score = -1;
	for (size_t i = 0; i < n && *score < 0; i++) {
		json_object *o = json_object_array_get_idx(sev, i);
		const char *type = jstr(o, "type");

		if (type && !strcmp(type, "CVSS_V3"))
			*score = advisory_cvss3_score(jstr(o, "score"));
	}
	if (*score >= 0)
		return cvss_rating(*score);
	db = json_object_object_get_ex(doc, "database_specific", &dbs) ? jstr(dbs, "severity") : NULL;
	for (size_t i = 0; db && i < ARRAY_SIZE(DB); i++)
		if (!strcasecmp(db, DB[i].db))
			return DB[i].rating;
	return "unknown";
}

/* ---- import checks --------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int check_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An RFC 3339 time in UTC, as OSV requires ("2021-10-22T21:43:36Z", fraction allowed). */
static bool rfc3339(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19)
		return false;
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	return (!strcmp(s, "Z") || !strcmp(s, "z")) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	       h < 24 && mi < 60 && sec <= 60;
}

int advisory_check(json_object *doc, char *why, size_t whylen)
{
	const char *id = jstr(doc, "id"), *w;
	json_object *aff;

	if (!json_object_is_type(doc, json_type_object))
		return check_fail(why, whylen, "not a JSON object");
	if (!id || !*id || strlen(id) > 200 || strpbrk(id, " \t\r\n/"))
		return check_fail(why, whylen, "no valid \"id\"");
	if (!rfc3339(jstr(doc, "modified")))
		return check_fail(why, whylen, "advisory %s: no valid \"modified\" time", id);
	w = jstr(doc, "withdrawn");
	if (w && !rfc3339(w))
		return check_fail(why, whylen, "advisory %s: \"withdrawn\" is not a time", id);
	w = jstr(doc, "published");
	if (w && !rfc3339(w))
		return check_fail(why, whylen, "advisory %s: \"published\" is not a time", id);
	if (!json_object_object_get_ex(doc, "affected", &aff))
		return 0;
	if (!json_object_is_type(aff, json_type_array))
		return check_fail(why, whylen, "advisory %s: \"affected\" is not a list", id);
	for (size_t i = 0; i < json_object_array_length(aff); i++) {
		json_object *pkg;
		const char *name = json_object_object_get_ex(json_object_array_get_idx(aff, i),
							     "package", &pkg) ? jstr(pkg, "name") : NULL;

		if (name && strlen(name) > ADVISORY_NAME_MAX)
			return check_fail(why, whylen, "advisory %s: a package name is longer than %d bytes",
					  id, ADVISORY_NAME_MAX);
	}
	return 0;
}
