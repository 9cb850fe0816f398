/*
 * sarif.c - SARIF 2.1.0 reader (hostile input, whitelist copy) and writer.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "redact.h"
#include "ruletext.h"
#include "sarif.h"
#include "util.h"

#define NOTIFICATIONS_MAX 10

/* Keys whose values carry source text (or may): counted when met. */
static const char *const source_keys[] = {
	"snippet", "contextRegion", "contents", "fixes", "codeFlows",
	"threadFlows", "graphs", "graphTraversals", "insertedContent",
	"stacks", "attachments",
};

struct parser {
	const struct sarif_limits *lim;
	struct sarif_log *log;
	char *why;
	size_t whylen;
};

void sarif_limits_default(struct sarif_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_bytes = 64u << 20;
	l->max_depth = 64;
	l->max_runs = 64;
	l->max_results = 100000;
	l->max_string = 1u << 20;
}

void sarif_log_init(struct sarif_log *log)
{
	memset(log, 0, sizeof(*log));
}

void sarif_result_release(struct sarif_result *r)
{
	free(r->rule_id);
	free(r->level);
	free(r->path);
	free(r->message);
	free(r->fingerprint);
	free(r->cwe);
	free(r->suppress_reason);
	if (r->secret_sha256)
		OPENSSL_cleanse(r->secret_sha256, strlen(r->secret_sha256));
	free(r->secret_sha256);
	if (r->secret_hash)
		OPENSSL_cleanse(r->secret_hash, strlen(r->secret_hash));
	free(r->secret_hash);
	memset(r, 0, sizeof(*r));
}

void sarif_fingerprint(const char *const *field, size_t n, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!md)
		abort();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, SARIF_FINGERPRINT_KEY, sizeof(SARIF_FINGERPRINT_KEY));
	for (size_t i = 0; i < n; i++)
		EVP_DigestUpdate(md, field[i], strlen(field[i]) + 1);
	EVP_DigestFinal_ex(md, sum, &len);
	EVP_MD_CTX_free(md);
	hex_encode(sum, len, hex);
}

static void run_release(struct sarif_run *run)
{
	for (size_t i = 0; i < run->nresults; i++)
		sarif_result_release(&run->results[i]);
	free(run->results);
	free(run->tool);
	free(run->version);
	free(run->info_uri);
	free(run->category);
	free(run->reason);
	free(run->meta_json);
	free(run->facts_json);
}

void sarif_log_release(struct sarif_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->nruns; i++)
		run_release(&log->runs[i]);
	free(log->runs);
	sarif_log_init(log);
}

struct sarif_run *sarif_log_add_run(struct sarif_log *log, const char *tool,
				    const char *version)
{
	struct sarif_run *run;

	log->runs = xrealloc(log->runs, (log->nruns + 1) * sizeof(*run));
	run = &log->runs[log->nruns++];
	memset(run, 0, sizeof(*run));
	run->tool = text_clean(tool ? tool : "unknown", 200);
	run->version = version ? text_clean(version, 200) : NULL;
	run->complete = true;
	return run;
}

struct sarif_run *sarif_log_move_run(struct sarif_log *log, struct sarif_run *run)
{
	struct sarif_run *to = sarif_log_add_run(log, "", NULL);

	run_release(to);
	*to = *run;
	memset(run, 0, sizeof(*run));
	return to;
}

struct sarif_result *sarif_run_add_result(struct sarif_run *run)
{
	struct sarif_result *r;

	if (run->nresults == run->results_alloc) {
		run->results_alloc = run->results_alloc ? 2 * run->results_alloc : 16;
		run->results = xrealloc(run->results,
					run->results_alloc * sizeof(*r));
	}
	r = &run->results[run->nresults++];
	memset(r, 0, sizeof(*r));
	return r;
}

void sarif_run_fail(struct sarif_run *run, const char *reason)
{
	run->complete = false;
	run->not_applicable = false;
	free(run->reason);
	run->reason = text_clean(reason ? reason : "unknown failure",
				       SARIF_MESSAGE_MAX);
}

static char *refused_text(const struct sarif_run *run)
{
	return xasprintf("%zu %s refused: not a result object, or no location in the workspace "
			 "with a file name Lethe can store", run->refused,
			 run->refused == 1 ? "result" : "results");
}

void sarif_run_check_refused(struct sarif_run *run)
{
	char *why;

	if (!run->refused || !run->complete)
		return;
	why = refused_text(run);
	sarif_run_fail(run, why);
	free(why);
}

void sarif_run_note(struct sarif_run *run, const char *text)
{
	json_object *meta = run->meta_json ? json_tokener_parse(run->meta_json) : NULL;
	json_object *list = NULL, *e = json_object_new_object();
	_cleanup_free_ char *c = text_clean(text, SARIF_MESSAGE_MAX);

	if (!meta)
		meta = json_object_new_object();
	if (!json_object_object_get_ex(meta, "notifications", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		list = json_object_new_array();
		json_object_object_add(meta, "notifications", list);
	}
	json_object_object_add(e, "level", json_object_new_string("note"));
	json_object_object_add(e, "text", json_object_new_string(c));
	json_object_array_add(list, e);
	free(run->meta_json);
	run->meta_json = xstrdup(json_object_to_json_string_ext(meta,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(meta);
}

void sarif_run_not_applicable(struct sarif_run *run, const char *reason)
{
	if (!run->complete || run->nresults > 0)
		return;
	run->not_applicable = true;
	free(run->reason);
	run->reason = text_clean(reason ? reason : "nothing to scan", SARIF_MESSAGE_MAX);
}

/* Reject "..", empty path, and collapse "./" and "//" segments in place. */
static int path_segments(char *p)
{
	char *w = p, *s = p;

	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -EINVAL;
		if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (w != p)
				*w++ = '/';
			memmove(w, s, n);
			w += n;
		}
		s += n;
		s += *s == '/';
	}
	*w = '\0';
	return w == p ? -EINVAL : 0;
}

static const char *strip_base(const char *p, const char *base)
{
	size_t n;

	if (!base || p[0] != '/')
		return p;
	n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		n--;
	if (strncmp(p, base, n) == 0 && p[n] == '/')
		return p + n + 1;
	return p;
}

/* The relative path that p names under base, or -EINVAL. */
static int path_relative(const char *p, const char *base, char **out)
{
	int r;

	*out = NULL;
	p = strip_base(p, base);
	if (p[0] == '/' || strlen(p) > SARIF_PATH_MAX || !utf8_valid(p, strlen(p)))
		return -EINVAL;
	*out = xstrdup(p);
	r = path_segments(*out);
	if (r < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

int sarif_file_path(const char *path, const char *base, char **out)
{
	return path_relative(path, base, out);
}

/* uri without a "file://" scheme, or NULL when it names another scheme or a
 * Windows drive. */
static const char *uri_local(const char *uri)
{
	if (strncmp(uri, "file://", 7) == 0)
		return uri + 7;
	if (strchr(uri, ':') && strcspn(uri, ":") < strcspn(uri, "/"))
		return NULL;
	return uri;
}

int sarif_uri_path(const char *uri, const char *base, char **out)
{
	const char *local = uri_local(uri);
	_cleanup_free_ char *dec = NULL;

	*out = NULL;
	if (!local || strpbrk(local, "?#"))
		return -EINVAL;	/* another scheme; a query or fragment */
	for (const char *c = local; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || strchr("\"<>^`{|}", *c))
			return -EINVAL;	/* not a URI: "no file associated with this alert" */
	dec = xmalloc(strlen(local) + 1);
	if (percent_decode(local, strlen(local), dec, strlen(local) + 1, 0) < 0)
		return -EINVAL;
	return path_relative(dec, base, out);
}

static json_object *jstr(const char *s);

/* { "id": category }: which analysis a run is, when a tool runs several. */
static json_object *automation_details(const struct sarif_run *run)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", jstr(run->category));
	return o;
}

/* ---- reader ---- */

static int fail(struct parser *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, int err, const char *fmt, ...)
{
	va_list ap;

	if (p->why && p->whylen) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static json_object *path2(json_object *o, const char *a, const char *b)
{
	return get(get(o, a, json_type_object), b, json_type_object);
}

static bool is_source_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_keys); i++)
		if (strcmp(key, source_keys[i]) == 0)
			return true;
	return false;
}

/* Check string lengths everywhere and count source-bearing keys. */
static int walk(struct parser *p, json_object *o)
{
	int r = 0;

	switch (json_object_get_type(o)) {
	case json_type_string:
		if ((size_t)json_object_get_string_len(o) > p->lim->max_string)
			return fail(p, -E2BIG, "string longer than %zu bytes",
				    p->lim->max_string);
		break;
	case json_type_array:
		for (size_t i = 0; r == 0 && i < json_object_array_length(o); i++)
			r = walk(p, json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if ((size_t)strlen(key) > p->lim->max_string)
				return fail(p, -E2BIG, "key longer than %zu bytes",
					    p->lim->max_string);
			if (is_source_key(key))
				p->log->stripped++;
			r = walk(p, val);
			if (r < 0)
				break;
		}
		break;
	}
	default:
		break;
	}
	return r;
}

static bool all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
			return false;
	return true;
}

static int tokenize(struct parser *p, const char *buf, size_t len,
		    json_object **out)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;
	int r = 0;

	if (memchr(buf, '\0', len))
		return fail(p, -EINVAL, "invalid JSON: NUL byte in document");
	tok = json_tokener_new_ex((int)p->lim->max_depth);
	if (!tok)
		return fail(p, -ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_error_depth)
		r = fail(p, -E2BIG, "JSON nested deeper than %zu", p->lim->max_depth);
	else if (jerr == json_tokener_continue || (!*out && jerr == json_tokener_success))
		r = fail(p, -EINVAL, "invalid JSON: truncated document");
	else if (jerr != json_tokener_success)
		r = fail(p, -EINVAL, "invalid JSON: %s at offset %zu",
			 json_tokener_error_desc(jerr), end);
	else if (!all_space(buf + end, len - end))
		r = fail(p, -EINVAL, "invalid JSON: trailing data at offset %zu", end);
	json_tokener_free(tok);
	if (r < 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return r;
}

static int int_field(json_object *o, const char *key)
{
	json_object *v = get(o, key, json_type_int);
	int64_t n;

	if (!v)
		return 0;
	n = json_object_get_int64(v);
	return n >= 1 && n <= INT_MAX ? (int)n : 0;
}

static const char *level_valid(const char *l)
{
	static const char *const levels[] = { "none", "note", "warning", "error" };

	for (size_t i = 0; l && i < ARRAY_SIZE(levels); i++)
		if (strcmp(l, levels[i]) == 0)
			return levels[i];
	return NULL;
}

/* Rule ids to indexes in rules (the first of each id), for lookups in
 * constant time whatever the number of rules. */
static json_object *rule_map(json_object *rules)
{
	json_object *map = json_object_new_object();
	size_t n = rules ? json_object_array_length(rules) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *id = get_str(json_object_array_get_idx(rules, i), "id");

		if (id && !json_object_object_get_ex(map, id, NULL))
			json_object_object_add(map, id, json_object_new_int64((int64_t)i));
	}
	return map;
}

/* The rule a result refers to: by ruleIndex, else by ruleId. */
static json_object *find_rule(json_object *rules, json_object *map,
			      json_object *res, const char *id)
{
	json_object *idx = get(res, "ruleIndex", json_type_int);

	if (!idx)
		idx = get(get(res, "rule", json_type_object), "index", json_type_int);
	size_t n = rules ? json_object_array_length(rules) : 0;

	if (!idx && id)
		json_object_object_get_ex(map, id, &idx);
	if (idx && json_object_get_int64(idx) >= 0 &&
	    (size_t)json_object_get_int64(idx) < n)
		return json_object_array_get_idx(rules, (size_t)json_object_get_int64(idx));
	return NULL;
}

/* Append "CWE-n" to list (comma-separated) unless present; n in 1..999999. */
static void cwe_add(char **list, const char *digits)
{
	char id[16];
	size_t n = strspn(digits, "0123456789");
	char *old = *list;

	if (n == 0 || n > 6 || digits[n] != '\0' || digits[0] == '0')
		return;
	snprintf(id, sizeof(id), "CWE-%s", digits);
	if (old) {
		for (const char *s = old; (s = strstr(s, id)); s++)
			if ((s[strlen(id)] == ',' || s[strlen(id)] == '\0'))
				return;
		if (strlen(old) > 200)
			return;
	}
	*list = old ? xasprintf("%s,%s", old, id) : xstrdup(id);
	free(old);
}

static void cwe_from_tag(char **list, const char *tag)
{
	if (strncasecmp(tag, "external/cwe/cwe-", 17) == 0)
		cwe_add(list, tag + 17);
	else if (strncasecmp(tag, "CWE-", 4) == 0)
		cwe_add(list, tag + 4);
}

static void cwe_from_tags(char **list, json_object *o)
{
	json_object *tags = get(get(o, "properties", json_type_object), "tags",
				json_type_array);

	for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
		json_object *t = json_object_array_get_idx(tags, i);

		if (json_object_is_type(t, json_type_string))
			cwe_from_tag(list, json_object_get_string(t));
	}
}

static void cwe_from_relationships(char **list, json_object *rule)
{
	json_object *rels = get(rule, "relationships", json_type_array);

	for (size_t i = 0; rels && i < json_object_array_length(rels); i++) {
		json_object *target = get(json_object_array_get_idx(rels, i),
					  "target", json_type_object);
		const char *comp = get_str(get(target, "toolComponent",
					       json_type_object), "name");
		const char *id = get_str(target, "id");

		if (comp && id && strcasecmp(comp, "CWE") == 0)
			cwe_from_tag(list, id);
	}
}

static char *result_cwe(json_object *res, json_object *rule)
{
	char *list = NULL;

	cwe_from_tags(&list, res);
	if (!list && rule) {
		cwe_from_tags(&list, rule);
		cwe_from_relationships(&list, rule);
	}
	return list;
}

static char *result_fingerprint(json_object *res)
{
	const char *fp = get_str(get(res, "partialFingerprints", json_type_object),
				 SARIF_FINGERPRINT_KEY);

	if (!fp || strlen(fp) != 64 || strspn(fp, "0123456789abcdef") != 64)
		return NULL;
	return xstrdup(fp);
}

/* Snippet texts of the first location, to keep them out of the message. */
static bool mentions_snippet(const char *msg, json_object *phys)
{
	json_object *regs[2] = { get(phys, "region", json_type_object),
				 get(phys, "contextRegion", json_type_object) };

	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		const char *text = get_str(get(regs[i], "snippet", json_type_object),
					   "text");
		_cleanup_free_ char *t = NULL;
		size_t a, b;

		if (!text)
			continue;
		a = strspn(text, " \t\r\n");
		b = strlen(text);
		while (b > a && strchr(" \t\r\n", text[b - 1]))
			b--;
		t = xstrndup(text + a, b - a);
		if (b - a >= 4 && strstr(msg, t))
			return true;
	}
	return false;
}

/*
 * The text Lethe keeps for the result (lib/parse/ruletext.h), never the tool's:
 * a message that repeats the snippet is counted as source-bearing.
 */
static char *result_message(const char *tool, const char *id, json_object *res,
			    json_object *phys, size_t *stripped)
{
	const char *text = get_str(get(res, "message", json_type_object), "text");

	if (text && mentions_snippet(text, phys))
		(*stripped)++;
	return ruletext_message(tool, id, text);
}

/*
 * The stored path of a location's uri; -EINVAL when it cannot be stored or
 * is outside the workspace.  When the reader can see the workspace
 * (lim->exists), a uri that does not name a file there as a URI but does as
 * it is written is a file name its tool left unencoded (flawfinder writes
 * "100%.c" and "a#b.c" so) and is taken as it is.
 */
static int location_path(const struct sarif_limits *lim, const char *uri, char **out)
{
	char *raw = NULL;
	int r = sarif_uri_path(uri, lim->base, out);

	if (!lim->exists || (r == 0 && lim->exists(*out, lim->exists_arg)))
		return r;
	if (uri_local(uri) && sarif_file_path(uri_local(uri), lim->base, &raw) == 0 &&
	    lim->exists(raw, lim->exists_arg)) {
		free(*out);
		*out = raw;
		return 0;
	}
	free(raw);
	return r;
}

/* The place of a result: 0, or -EINVAL when it has none Lethe can store. */
static int result_location(struct sarif_result *r, json_object *phys,
			   const struct sarif_limits *lim)
{
	const char *uri = get_str(get(phys, "artifactLocation", json_type_object),
				  "uri");
	json_object *reg = get(phys, "region", json_type_object);

	if (!uri || location_path(lim, uri, &r->path) < 0)
		return -EINVAL;
	r->start_line = int_field(reg, "startLine");
	r->end_line = int_field(reg, "endLine");
	r->start_column = int_field(reg, "startColumn");
	if (r->end_line < r->start_line)
		r->end_line = r->start_line;
	if (r->start_line == 0)
		r->end_line = r->start_column = 0;
	return 0;
}

static char *hash_valid(const char *h)
{
	if (!h || strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64)
		return NULL;
	return xstrdup(h);
}

/* An inSource suppression (a lethe:ignore marker) and its justification. */
static void result_suppression(struct sarif_result *r, json_object *res)
{
	json_object *list = get(res, "suppressions", json_type_array);
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n && !r->suppressed; i++) {
		json_object *s = json_object_array_get_idx(list, i);
		const char *kind = get_str(s, "kind");
		const char *why = get_str(s, "justification");

		if (!kind || strcmp(kind, "inSource") != 0)
			continue;
		r->suppressed = true;
		r->suppress_reason = why ? text_clean(why, SARIF_MESSAGE_MAX) : NULL;
	}
}

/* What a run's results are read with: its rules, by index and by id, and
 * the levels its invocations set for rules (ruleConfigurationOverrides). */
struct run_rules {
	json_object *rules, *map, *levels;
};

/*
 * SARIF 2.1.0 3.27.9: a result's kind is "fail" unless it says otherwise;
 * "pass", "notApplicable" and "informational" are not problems, and any
 * other kind ("review", "open") has the level "none".  For "fail", 3.27.10:
 * the result's level, else the level its invocation configured for the
 * rule, else the rule's default, else "warning".
 */
static bool result_level(const struct run_rules *rr, json_object *res, json_object *rule,
			 const char *id, const char **level)
{
	static const char *const not_problems[] = { "pass", "notApplicable", "informational" };
	const char *kind = get_str(res, "kind");
	json_object *o;

	for (size_t i = 0; kind && i < ARRAY_SIZE(not_problems); i++)
		if (strcmp(kind, not_problems[i]) == 0)
			return false;
	if (kind && strcmp(kind, "fail") != 0) {
		*level = "none";
		return true;
	}
	*level = level_valid(get_str(res, "level"));
	if (!*level && id && json_object_object_get_ex(rr->levels, id, &o))
		*level = level_valid(json_object_get_string(o));
	if (!*level)
		*level = level_valid(get_str(get(rule, "defaultConfiguration", json_type_object),
					     "level"));
	if (!*level)
		*level = "warning";
	return true;
}

static int parse_result(struct parser *p, struct sarif_run *run,
			const struct run_rules *rr, json_object *res, size_t i)
{
	json_object *locs = get(res, "locations", json_type_array);
	json_object *phys = NULL, *rule;
	struct sarif_result place = { 0 }, *r;
	const char *id, *level;

	if (!json_object_is_type(res, json_type_object)) {
		run->refused++;	/* the others are kept */
		return 0;
	}
	if (locs && json_object_array_length(locs) > 0)
		phys = get(json_object_array_get_idx(locs, 0), "physicalLocation",
			   json_type_object);
	id = get_str(res, "ruleId");
	if (!id)
		id = get_str(get(res, "rule", json_type_object), "id");
	rule = find_rule(rr->rules, rr->map, res, id);
	if (!id)
		id = get_str(rule, "id");
	if (!result_level(rr, res, rule, id, &level))
		return 0;
	if (result_location(&place, phys, p->lim) < 0) {
		sarif_result_release(&place);
		run->refused++;
		return 0;
	}
	r = sarif_run_add_result(run);
	*r = place;
	r->rule_id = id ? text_clean(id, 200) : NULL;
	r->level = xstrdup(level);
	r->message = result_message(run->tool, r->rule_id, res, phys, &p->log->stripped);
	r->fingerprint = result_fingerprint(res);
	r->cwe = result_cwe(res, rule);
	r->secret_sha256 = hash_valid(get_str(get(res, "properties", json_type_object),
					      SARIF_SECRET_SHA256_KEY));
	result_suppression(r, res);
	return 0;
}

static json_object *meta_driver(json_object *driver)
{
	static const char *const keys[] = { "name", "version", "semanticVersion",
					    "informationUri", "organization" };
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = get_str(driver, keys[i]);

		if (v) {
			_cleanup_free_ char *c = text_clean(v, 200);

			json_object_object_add(o, keys[i], json_object_new_string(c));
		}
	}
	return o;
}

static json_object *meta_notifications(json_object *inv, const char **reason)
{
	json_object *list = get(inv, "toolExecutionNotifications", json_type_array);
	json_object *out = json_object_new_array();
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n && i < NOTIFICATIONS_MAX; i++) {
		json_object *no = json_object_array_get_idx(list, i);
		const char *text = get_str(get(no, "message", json_type_object), "text");
		const char *level = level_valid(get_str(no, "level"));
		_cleanup_free_ char *c = NULL;
		json_object *e;

		if (!text)
			continue;
		if (!*reason || (level && strcmp(level, "error") == 0))
			*reason = text;
		c = text_clean(text, SARIF_MESSAGE_MAX);
		e = json_object_new_object();
		json_object_object_add(e, "level", json_object_new_string(level ? level : "warning"));
		json_object_object_add(e, "text", json_object_new_string(c));
		json_object_array_add(out, e);
	}
	return out;
}

static void parse_invocation(struct sarif_run *run, json_object *driver,
			     json_object *runobj)
{
	json_object *invs = get(runobj, "invocations", json_type_array);
	json_object *inv = invs && json_object_array_length(invs) > 0 ?
		json_object_array_get_idx(invs, 0) : NULL;
	json_object *ok = get(inv, "executionSuccessful", json_type_boolean);
	json_object *meta = json_object_new_object();
	const char *reason = NULL;

	json_object_object_add(meta, "driver", meta_driver(driver));
	if (run->category)
		json_object_object_add(meta, "automationDetails", automation_details(run));
	json_object_object_add(meta, "notifications", meta_notifications(inv, &reason));
	if (ok && !json_object_get_boolean(ok))
		sarif_run_fail(run, reason ? reason : "tool execution unsuccessful");
	json_object_object_add(meta, "executionSuccessful",
			       json_object_new_boolean(run->complete));
	run->meta_json = xstrdup(json_object_to_json_string_ext(meta,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(meta);
}

/* The keys kept of each facts entry; "direct" is the one boolean. */
static const char *const dep_keys[] = { "ecosystem", "name", "version", "constraint",
					"manifest", "direct", "line" };
static const char *const wf_keys[] = { "system", "path", "workflow", "job", "kind",
				       "value", "pinning" };

/* A fact's value: cleaned, capped, and without URL credentials (again:
 * the host does not trust the sandbox to have removed them). */
static json_object *fact_str(const char *s)
{
	_cleanup_free_ char *c = text_clean(s, SARIF_MESSAGE_MAX);

	redact_userinfo(c);
	return json_object_new_string(c);
}

static json_object *facts_entry(json_object *e, const char *const *keys, size_t nkeys)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < nkeys; i++) {
		json_object *v;

		if (!json_object_object_get_ex(e, keys[i], &v) || !v)
			continue;
		if (json_object_is_type(v, json_type_boolean))
			json_object_object_add(o, keys[i],
				json_object_new_boolean(json_object_get_boolean(v)));
		else if (json_object_is_type(v, json_type_string))
			json_object_object_add(o, keys[i], fact_str(json_object_get_string(v)));
		else if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0 &&
			 json_object_get_int64(v) <= INT_MAX)
			json_object_object_add(o, keys[i],
				json_object_new_int64(json_object_get_int64(v)));
	}
	return o;
}

static json_object *facts_list(json_object *facts, const char *name,
			       const char *const *keys, size_t nkeys)
{
	json_object *list = get(facts, name, json_type_array), *out;
	size_t n = list ? json_object_array_length(list) : 0;

	if (!list)
		return NULL;
	out = json_object_new_array();
	for (size_t i = 0; i < n && i < SARIF_FACTS_MAX; i++) {
		json_object *e = json_object_array_get_idx(list, i);

		if (json_object_is_type(e, json_type_object))
			json_object_array_add(out, facts_entry(e, keys, nkeys));
	}
	return out;
}

/* run.properties: "lethe/facts" through the whitelist. */
static void parse_run_properties(struct sarif_run *run, json_object *runobj)
{
	json_object *props = get(runobj, "properties", json_type_object);
	json_object *facts = get(props, "lethe/facts", json_type_object), *out, *l;
	json_object *refused = get(props, "lethe/refused", json_type_int);

	if (refused && json_object_get_int64(refused) > 0 &&
	    json_object_get_int64(refused) <= INT_MAX)
		run->refused = (size_t)json_object_get_int64(refused);
	if (!facts)
		return;
	out = json_object_new_object();
	if ((l = facts_list(facts, "dependencies", dep_keys, ARRAY_SIZE(dep_keys))))
		json_object_object_add(out, "dependencies", l);
	if ((l = facts_list(facts, "workflows", wf_keys, ARRAY_SIZE(wf_keys))))
		json_object_object_add(out, "workflows", l);
	run->facts_json = xstrdup(json_object_to_json_string_ext(out,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
}

/* The rule of a reportingDescriptorReference: by index, else by id. */
static const char *descriptor_id(json_object *rules, json_object *d)
{
	json_object *idx = get(d, "index", json_type_int);
	size_t n = rules ? json_object_array_length(rules) : 0;

	if (idx && json_object_get_int64(idx) >= 0 && (size_t)json_object_get_int64(idx) < n)
		return get_str(json_object_array_get_idx(rules,
							 (size_t)json_object_get_int64(idx)), "id");
	return get_str(d, "id");
}

/* Rule ids to the level every invocation's ruleConfigurationOverrides sets
 * (the first invocation to set one wins). */
static json_object *override_levels(json_object *runobj, json_object *rules)
{
	json_object *invs = get(runobj, "invocations", json_type_array);
	json_object *out = json_object_new_object();
	size_t n = invs ? json_object_array_length(invs) : 0;

	for (size_t i = 0; i < n && i < NOTIFICATIONS_MAX; i++) {
		json_object *list = get(json_object_array_get_idx(invs, i),
					"ruleConfigurationOverrides", json_type_array);
		size_t m = list ? json_object_array_length(list) : 0;

		for (size_t j = 0; j < m && j < SARIF_FACTS_MAX; j++) {
			json_object *o = json_object_array_get_idx(list, j);
			const char *id = descriptor_id(rules, get(o, "descriptor", json_type_object));
			const char *level = level_valid(get_str(get(o, "configuration",
								    json_type_object), "level"));

			if (id && level && !json_object_object_get_ex(out, id, NULL))
				json_object_object_add(out, id, json_object_new_string(level));
		}
	}
	return out;
}

static int parse_results(struct parser *p, struct sarif_run *run,
			 json_object *runobj, json_object *rules)
{
	struct run_rules rr = { .rules = rules };
	json_object *results;
	size_t n;
	int r = 0;

	if (!json_object_object_get_ex(runobj, "results", &results) || !results)
		return 0;
	if (!json_object_is_type(results, json_type_array))
		return fail(p, -EINVAL, "run '%s': results is not an array", run->tool);
	n = json_object_array_length(results);
	if (n > p->lim->max_results)
		return fail(p, -E2BIG, "run '%s': %zu results, limit %zu",
			    run->tool, n, p->lim->max_results);
	rr.map = rule_map(rules);
	rr.levels = override_levels(runobj, rules);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = parse_result(p, run, &rr, json_object_array_get_idx(results, i), i);
	json_object_put(rr.map);
	json_object_put(rr.levels);
	return r;
}

/* A copy of an http(s) URI of printable ASCII, or NULL. */
static char *web_uri(const char *uri)
{
	size_t n = uri ? strlen(uri) : 0;

	if (n == 0 || n > 500 || (strncmp(uri, "https://", 8) != 0 &&
				  strncmp(uri, "http://", 7) != 0))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (uri[i] <= 0x20 || uri[i] >= 0x7f || strchr("\"<>\\^`{|}", uri[i]))
			return NULL;
	return xstrdup(uri);
}

static int parse_run(struct parser *p, json_object *runobj, size_t i)
{
	json_object *driver = path2(runobj, "tool", "driver");
	const char *name = get_str(driver, "name");
	const char *version = get_str(driver, "version"), *na;
	struct sarif_run *run;
	int r;

	if (!json_object_is_type(runobj, json_type_object))
		return fail(p, -EINVAL, "run %zu is not an object", i);
	if (!name || !*name)
		name = p->lim->tool;	/* the scanner that was asked for this log */
	if (!name || !*name)
		return fail(p, -EINVAL, "run %zu: tool.driver.name missing or empty", i);
	if (!version)
		version = get_str(driver, "semanticVersion");
	run = sarif_log_add_run(p->log, name, version);
	run->info_uri = web_uri(get_str(driver, "informationUri"));
	na = get_str(get(runobj, "automationDetails", json_type_object), "id");
	run->category = na && *na ? text_clean(na, 200) : NULL;
	parse_invocation(run, driver, runobj);
	parse_run_properties(run, runobj);
	r = parse_results(p, run, runobj, get(driver, "rules", json_type_array));
	na = get_str(get(runobj, "properties", json_type_object), "lethe/not-applicable");
	if (r == 0 && na)
		sarif_run_not_applicable(run, na);
	return r;
}

static int parse_doc(struct parser *p, json_object *doc)
{
	const char *version = get_str(doc, "version");
	json_object *runs = get(doc, "runs", json_type_array);
	size_t n;
	int r;

	if (!json_object_is_type(doc, json_type_object))
		return fail(p, -EINVAL, "not a SARIF log: top level is not an object");
	if (!version)
		return fail(p, -EINVAL, "not a SARIF log: no version");
	if (strcmp(version, "2.1.0") != 0)
		return fail(p, -EINVAL, "unsupported SARIF version (need 2.1.0)");
	if (!runs)
		return fail(p, -EINVAL, "not a SARIF log: runs is not an array");
	n = json_object_array_length(runs);
	if (n > p->lim->max_runs)
		return fail(p, -E2BIG, "%zu runs, limit %zu", n, p->lim->max_runs);
	r = walk(p, doc);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = parse_run(p, json_object_array_get_idx(runs, i), i);
	return r;
}

int sarif_parse(const char *buf, size_t len, const struct sarif_limits *lim,
		struct sarif_log *out, char *why, size_t whylen)
{
	struct sarif_limits def;
	struct parser p = { .lim = lim, .log = out, .why = why, .whylen = whylen };
	json_object *doc = NULL;
	int r;

	sarif_log_init(out);
	if (why && whylen)
		why[0] = '\0';
	if (!lim) {
		sarif_limits_default(&def);
		p.lim = &def;
	}
	if (len > p.lim->max_bytes || len > INT_MAX)
		return fail(&p, -EFBIG, "document of %zu bytes, limit %zu", len,
			    p.lim->max_bytes);
	r = tokenize(&p, buf, len, &doc);
	if (r == 0)
		r = parse_doc(&p, doc);
	json_object_put(doc);
	return r;
}

/* ---- writer ---- */

static json_object *jstr(const char *s)
{
	_cleanup_free_ char *c = text_clean(s, SARIF_MESSAGE_MAX);

	return json_object_new_string(c);
}

static json_object *jtext(const char *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "text", jstr(s));
	return o;
}

/* Percent-encode everything but unreserved characters and '/'. */
static char *uri_encode(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * strlen(path) + 1), *o = out;

	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s)) {
			*o++ = (char)*s;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*s >> 4];
		*o++ = hex[*s & 15];
	}
	*o = '\0';
	return out;
}

static json_object *write_location(const struct sarif_result *r)
{
	json_object *loc = json_object_new_object(), *phys = json_object_new_object();
	json_object *art = json_object_new_object(), *reg;
	_cleanup_free_ char *uri = uri_encode(r->path);

	json_object_object_add(art, "uri", json_object_new_string(uri));
	json_object_object_add(art, "uriBaseId", json_object_new_string("%SRCROOT%"));
	json_object_object_add(phys, "artifactLocation", art);
	if (r->start_line > 0) {
		reg = json_object_new_object();
		json_object_object_add(reg, "startLine", json_object_new_int(r->start_line));
		json_object_object_add(reg, "endLine", json_object_new_int(
			r->end_line >= r->start_line ? r->end_line : r->start_line));
		if (r->start_column > 0)
			json_object_object_add(reg, "startColumn",
					       json_object_new_int(r->start_column));
		json_object_object_add(phys, "region", reg);
	}
	json_object_object_add(loc, "physicalLocation", phys);
	return loc;
}

static json_object *write_tags(const char *cwe)
{
	json_object *props = json_object_new_object(), *tags = json_object_new_array();
	_cleanup_free_ char *list = xstrdup(cwe);
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		_cleanup_free_ char *tag = NULL;

		if (strncasecmp(t, "CWE-", 4) != 0 || !t[4] ||
		    strspn(t + 4, "0123456789") != strlen(t + 4))
			continue;
		tag = xasprintf("external/cwe/cwe-%s", t + 4);
		json_object_array_add(tags, json_object_new_string(tag));
	}
	json_object_object_add(props, "tags", tags);
	return props;
}

static const char *rule_name(const struct sarif_result *r)
{
	return r->rule_id && *r->rule_id ? r->rule_id : "unknown";
}

/*
 * A rule descriptor for id: code-scanning services want short and full
 * descriptions and help; the rule id and the rule's fixed text (never a
 * scanner's message, lib/parse/ruletext.h) are what Lethe has, so they are what
 * it writes.  Lethe's own analyzers have no entry there: their first
 * result's message, their own text, describes the rule.
 */
static json_object *new_rule(const char *tool, const char *id, const char *message)
{
	json_object *rule = json_object_new_object();
	_cleanup_free_ char *text = ruletext_own_tool(tool) ? xstrdup(message) :
				    ruletext_rule(tool, id);

	json_object_object_add(rule, "id", json_object_new_string(id));
	json_object_object_add(rule, "shortDescription", jtext(id));
	json_object_object_add(rule, "fullDescription", jtext(text));
	json_object_object_add(rule, "help", jtext(text));
	return rule;
}

/* Index of id in the rules array, adding it when new; seen maps ids to
 * indexes (a hash table, so that many distinct rules stay linear). */
static int rule_index(json_object *rules, json_object *seen, const char *tool,
		      const char *id, const char *message)
{
	size_t n = json_object_array_length(rules);
	json_object *idx;

	if (json_object_object_get_ex(seen, id, &idx))
		return json_object_get_int(idx);
	json_object_object_add(seen, id, json_object_new_int((int)n));
	json_object_array_add(rules, new_rule(tool, id, message));
	return (int)n;
}

static json_object *write_suppression(const struct sarif_result *r)
{
	json_object *list = json_object_new_array(), *s = json_object_new_object();

	json_object_object_add(s, "kind", json_object_new_string("inSource"));
	json_object_object_add(s, "status", json_object_new_string("accepted"));
	if (r->suppress_reason)
		json_object_object_add(s, "justification", jstr(r->suppress_reason));
	json_object_array_add(list, s);
	return list;
}

static json_object *write_result(const char *tool, const struct sarif_result *r,
				 json_object *rules, json_object *seen)
{
	json_object *o = json_object_new_object(), *locs, *props;
	const char *level = level_valid(r->level);
	_cleanup_free_ char *id = text_clean(rule_name(r), 200);

	const char *msg = r->message && *r->message ? r->message : "(no message)";

	json_object_object_add(o, "ruleId", json_object_new_string(id));
	json_object_object_add(o, "ruleIndex", json_object_new_int(rule_index(rules, seen, tool, id, msg)));
	json_object_object_add(o, "level", json_object_new_string(level ? level : "warning"));
	json_object_object_add(o, "message", jtext(msg));
	if (r->path) {
		locs = json_object_new_array();
		json_object_array_add(locs, write_location(r));
		json_object_object_add(o, "locations", locs);
	}
	if (r->fingerprint) {
		json_object *fp = json_object_new_object();

		json_object_object_add(fp, SARIF_FINGERPRINT_KEY, jstr(r->fingerprint));
		json_object_object_add(o, "partialFingerprints", fp);
	}
	props = r->cwe ? write_tags(r->cwe) : NULL;
	if (r->secret_sha256) {
		props = props ? props : json_object_new_object();
		json_object_object_add(props, SARIF_SECRET_SHA256_KEY, jstr(r->secret_sha256));
	}
	if (props)
		json_object_object_add(o, "properties", props);
	if (r->suppressed)
		json_object_object_add(o, "suppressions", write_suppression(r));
	return o;
}

static json_object *notification(const char *level, const char *text)
{
	json_object *no = json_object_new_object();

	json_object_object_add(no, "level", json_object_new_string(level));
	json_object_object_add(no, "message", jtext(text));
	return no;
}

static json_object *write_invocation(const struct sarif_run *run)
{
	json_object *invs = json_object_new_array(), *inv = json_object_new_object();
	_cleanup_free_ char *refused = run->refused ? refused_text(run) : NULL;
	json_object *list = json_object_new_array();

	json_object_object_add(inv, "executionSuccessful",
			       json_object_new_boolean(run->complete));
	if (!run->complete)
		json_object_array_add(list, notification("error", run->reason ? run->reason :
								  "incomplete"));
	if (refused && (run->complete || !run->reason || strcmp(run->reason, refused) != 0))
		json_object_array_add(list, notification("warning", refused));
	if (json_object_array_length(list) > 0)
		json_object_object_add(inv, "toolExecutionNotifications", list);
	else
		json_object_put(list);
	json_object_array_add(invs, inv);
	return invs;
}

static json_object *write_run_properties(const struct sarif_run *run)
{
	json_object *props = json_object_new_object();
	json_object *facts = run->facts_json ? json_tokener_parse(run->facts_json) : NULL;

	if (facts)
		json_object_object_add(props, "lethe/facts", facts);
	if (run->refused)
		json_object_object_add(props, "lethe/refused",
				       json_object_new_int64((int64_t)run->refused));
	if (run->not_applicable)
		json_object_object_add(props, "lethe/not-applicable",
				       jstr(run->reason ? run->reason : "nothing to scan"));
	return props;
}

static json_object *write_run(const struct sarif_run *run)
{
	json_object *o = json_object_new_object(), *tool = json_object_new_object();
	json_object *driver = json_object_new_object(), *rules = json_object_new_array();
	json_object *results = json_object_new_array(), *seen = json_object_new_object();

	json_object_object_add(driver, "name", jstr(run->tool ? run->tool : "unknown"));
	if (run->version && *run->version)
		json_object_object_add(driver, "version", jstr(run->version));
	if (run->info_uri)
		json_object_object_add(driver, "informationUri", jstr(run->info_uri));
	for (size_t i = 0; i < run->nresults; i++)
		json_object_array_add(results, write_result(run->tool, &run->results[i], rules, seen));
	json_object_put(seen);
	json_object_object_add(driver, "rules", rules);
	json_object_object_add(tool, "driver", driver);
	json_object_object_add(o, "tool", tool);
	if (run->category)
		json_object_object_add(o, "automationDetails", automation_details(run));
	json_object_object_add(o, "invocations", write_invocation(run));
	json_object_object_add(o, "results", results);
	if (run->facts_json || run->not_applicable || run->refused)
		json_object_object_add(o, "properties", write_run_properties(run));
	return o;
}

char *sarif_write(const struct sarif_log *log)
{
	json_object *doc = json_object_new_object(), *runs = json_object_new_array();
	char *out;

	json_object_object_add(doc, "$schema", json_object_new_string(
		"https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_object_add(doc, "version", json_object_new_string("2.1.0"));
	for (size_t i = 0; i < log->nruns; i++)
		json_object_array_add(runs, write_run(&log->runs[i]));
	json_object_object_add(doc, "runs", runs);
	out = xstrdup(json_object_to_json_string_ext(doc,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return out;
}
