/*
 * an-toml.c - a TOML reader small enough to audit: tables, arrays of
 * tables, key = value with basic, literal and multi-line strings, arrays
 * and inline tables (values become json-c objects; numbers, booleans and
 * dates are kept as their text).  It reads what Cargo, Poetry and PEP 621
 * manifests and their lock files hold, and refuses the rest with a
 * one-line reason and the line number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "an.h"
#include "util.h"

#define TOML_DEPTH 32
#define TOML_KEY_MAX 1024

struct toml {
	const char *p, *end;
	int line;
	char *why;
	size_t whylen;
	bool failed;
};

static json_object *value(struct toml *t, int depth);

static void bad(struct toml *t, const char *what)
{
	if (!t->failed)
		snprintf(t->why, t->whylen, "line %d: %s", t->line, what);
	t->failed = true;
}

static int peek(const struct toml *t, size_t k)
{
	return t->p + k < t->end ? (unsigned char)t->p[k] : -1;
}

static void skip_ws(struct toml *t)
{
	while (peek(t, 0) == ' ' || peek(t, 0) == '\t')
		t->p++;
}

/* Spaces, then a comment up to (not past) its newline. */
static void skip_ws_comment(struct toml *t)
{
	skip_ws(t);
	if (peek(t, 0) == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
}

/* Spaces, newlines and comments (inside arrays). */
static void skip_all(struct toml *t)
{
	for (;;) {
		skip_ws_comment(t);
		if (peek(t, 0) == '\r')
			t->p++;
		else if (peek(t, 0) == '\n')
			t->p++, t->line++;
		else
			return;
	}
}

static void buf_add(char **b, size_t *n, size_t *alloc, char c)
{
	if (*n + 2 > *alloc) {
		*alloc = *alloc ? 2 * *alloc : 64;
		*b = xrealloc(*b, *alloc);
	}
	(*b)[(*n)++] = c;
	(*b)[*n] = '\0';
}

/* A string opened by q (one or three quotes); escapes only in "basic" ones. */
static char *string(struct toml *t)
{
	char q = *t->p, *b = xstrdup("");
	bool multi = peek(t, 1) == q && peek(t, 2) == q;
	size_t n = 0, alloc = 1;

	t->p += multi ? 3 : 1;
	for (;;) {
		int c = peek(t, 0);

		if (c < 0 || (c == '\n' && !multi)) {
			bad(t, "unterminated string");
			break;
		}
		if (c == q && (!multi || (peek(t, 1) == q && peek(t, 2) == q))) {
			t->p += multi ? 3 : 1;
			return b;
		}
		if (c == '\\' && q == '"' && peek(t, 1) >= 0) {
			c = peek(t, 1);
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			t->p++;
		}
		t->line += c == '\n';
		buf_add(&b, &n, &alloc, (char)c);
		t->p++;
	}
	free(b);
	return NULL;
}

static char *bare(struct toml *t, const char *stop)
{
	const char *s = t->p;

	while (t->p < t->end && !strchr(stop, *t->p))
		t->p++;
	if (t->p == s) {
		bad(t, "value or key expected");
		return NULL;
	}
	return xstrndup(s, (size_t)(t->p - s));
}

/* A key: bare or quoted parts joined by '.'. */
static char *key(struct toml *t)
{
	char *k = NULL;

	for (;;) {
		char *part;

		skip_ws(t);
		part = peek(t, 0) == '"' || peek(t, 0) == '\'' ? string(t) : bare(t, " \t.=]\n\r#,}");
		if (!part) {
			free(k);
			return NULL;
		}
		if (k) {
			char *j = xasprintf("%s.%s", k, part);

			free(k), free(part);
			part = j;
		}
		k = part;
		skip_ws(t);
		if (peek(t, 0) != '.' || strlen(k) > TOML_KEY_MAX)
			return k;
		t->p++;
	}
}

static json_object *array(struct toml *t, int depth)
{
	json_object *a = json_object_new_array();

	t->p++;
	for (;;) {
		json_object *v;

		skip_all(t);
		if (peek(t, 0) == ']') {
			t->p++;
			return a;
		}
		v = value(t, depth + 1);
		if (!v)
			break;
		json_object_array_add(a, v);
		skip_all(t);
		if (peek(t, 0) == ',')
			t->p++;
		else if (peek(t, 0) != ']') {
			bad(t, "',' or ']' expected in an array");
			break;
		}
	}
	json_object_put(a);
	return NULL;
}

static json_object *inline_table(struct toml *t, int depth)
{
	json_object *o = json_object_new_object();

	t->p++;
	for (skip_ws(t); peek(t, 0) != '}';) {
		char *k = key(t);
		json_object *v = NULL;

		if (k && peek(t, 0) == '=') {
			t->p++;
			skip_ws(t);
			v = value(t, depth + 1);
		} else if (k) {
			bad(t, "'=' expected in an inline table");
		}
		if (!v) {
			free(k);
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, k, v);
		free(k);
		skip_ws(t);
		if (peek(t, 0) == ',')
			t->p++, skip_ws(t);
		else if (peek(t, 0) != '}')
			return bad(t, "',' or '}' expected in an inline table"), json_object_put(o), NULL;
	}
	t->p++;
	return o;
}

static json_object *value(struct toml *t, int depth)
{
	char *s;
	json_object *v;

	if (depth > TOML_DEPTH)
		return bad(t, "nested too deep"), NULL;
	if (peek(t, 0) == '[')
		return array(t, depth);
	if (peek(t, 0) == '{')
		return inline_table(t, depth);
	s = peek(t, 0) == '"' || peek(t, 0) == '\'' ? string(t) : bare(t, ",]}#\n\r \t");
	if (!s)
		return NULL;
	v = json_object_new_string(s);
	free(s);
	return v;
}

/* "[a.b]" or "[[a.b]]": the table name, *aot set for an array of tables. */
static char *header(struct toml *t, bool *aot)
{
	char *k;

	*aot = peek(t, 1) == '[';
	t->p += *aot ? 2 : 1;
	k = key(t);
	if (k && (peek(t, 0) != ']' || (*aot && peek(t, 1) != ']'))) {
		bad(t, "']' expected after a table name");
		free(k);
		return NULL;
	}
	t->p += *aot ? 2 : 1;
	return k;
}

static bool line_end(struct toml *t)
{
	skip_ws_comment(t);
	if (peek(t, 0) == '\r')
		t->p++;
	if (peek(t, 0) < 0 || peek(t, 0) == '\n')
		return true;
	bad(t, "end of line expected");
	return false;
}

static void statement(struct toml *t, char **table, an_toml_fn fn, void *arg)
{
	bool aot;
	char *k;
	json_object *v = NULL;

	if (peek(t, 0) == '[') {
		k = header(t, &aot);
		if (k && line_end(t)) {
			free(*table);
			*table = k;
			if (aot)
				fn(k, NULL, NULL, arg);
		} else {
			free(k);
		}
		return;
	}
	k = key(t);
	if (k && peek(t, 0) != '=')
		bad(t, "'=' expected after a key");
	else if (k) {
		t->p++;
		skip_ws(t);
		v = value(t, 0);
	}
	if (v && line_end(t))
		fn(*table, k, v, arg);
	json_object_put(v);
	free(k);
}

int an_toml_parse(const char *buf, size_t len, an_toml_fn fn, void *arg, char *why,
		  size_t whylen)
{
	struct toml t = { .p = buf, .end = buf + len, .line = 1, .why = why, .whylen = whylen };
	char *table = xstrdup("");

	if (memchr(buf, '\0', len)) {
		free(table);
		snprintf(why, whylen, "NUL byte in the file");
		return -EINVAL;
	}
	for (skip_all(&t); !t.failed && t.p < t.end; skip_all(&t))
		statement(&t, &table, fn, arg);
	free(table);
	return t.failed ? -EINVAL : 0;
}
