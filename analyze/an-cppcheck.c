/*
 * an-cppcheck.c - cppcheck 2.10 has no SARIF output: its XML version 2
 * report (--xml, on stderr) is converted here.
 *
 * The report is a flat list of <error id severity msg cwe> elements, each
 * with <location file line column> children, the first being the primary
 * location.  Its msg quotes the code (expressions, literals, names): only
 * the text Lethe keeps for the rule is kept (lib/parse/ruletext.h).  A small tag
 * reader suffices: it reads tags and attributes,
 * decodes the five XML entities and character references, and refuses
 * anything malformed.  Text between tags is ignored; a report without its
 * closing </results> is refused as truncated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an.h"
#include "ruletext.h"
#include "util.h"

#define XML_ATTRS 12

struct xml_attr {
	char name[32];
	char *value;
};

struct xml_tag {
	char name[32];
	bool closing, empty;
	size_t nattrs;
	struct xml_attr attrs[XML_ATTRS];
};

struct cpp_error {
	char *id, *severity, *msg, *cwe, *file;
	int line, column;
	bool open, located;
};

/* What cppcheck 2.10 checks when given a directory (headers only through
 * the sources that include them): with none of these it exits 1. */
static const char *const cpp_sources[] = {
	".c", ".cl", ".C", ".cc", ".cpp", ".cxx", ".c++", ".tpp", ".txx", ".ipp", ".ixx",
};

int an_cppcheck_build(const struct an_ctx *ctx, struct an_argv *argv,
		      struct sarif_run *run)
{
	static const char *const args[] = {
		"cppcheck", "--xml", "--quiet", "--max-configs=1",
		"--enable=warning,style,performance,portability", ".",
	};
	int r = an_has_suffixed(ctx, cpp_sources, ARRAY_SIZE(cpp_sources));

	if (r < 0)
		return r;
	if (r == 0) {
		sarif_run_not_applicable(run, "no C or C++ source file");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		an_argv_add(argv, args[i]);
	if (ctx->jobs > 1) {
		char j[16];

		snprintf(j, sizeof(j), "-j%d", ctx->jobs);
		an_argv_add(argv, j);
	}
	return 0;
}

static void xml_tag_release(struct xml_tag *t)
{
	for (size_t i = 0; i < t->nattrs; i++)
		free(t->attrs[i].value);
	t->nattrs = 0;
}

static const char *xml_attr(const struct xml_tag *t, const char *name)
{
	for (size_t i = 0; i < t->nattrs; i++)
		if (strcmp(t->attrs[i].name, name) == 0)
			return t->attrs[i].value;
	return NULL;
}

static void put_utf8(char **o, unsigned long cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
}

/* Decode one entity at s (after '&', up to ';'); -EINVAL if unknown. */
static int xml_entity(const char *s, size_t n, char **o)
{
	static const struct { const char *name; char c; } named[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
	};
	unsigned long cp;
	char *end;

	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (strlen(named[i].name) == n && strncmp(s, named[i].name, n) == 0) {
			*(*o)++ = named[i].c;
			return 0;
		}
	if (n < 2 || s[0] != '#')
		return -EINVAL;
	cp = s[1] == 'x' ? strtoul(s + 2, &end, 16) : strtoul(s + 1, &end, 10);
	if (end != s + n || cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -EINVAL;
	put_utf8(o, cp);
	return 0;
}

/* Decode an attribute value of n bytes; NULL when malformed. */
static char *xml_value(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		const char *semi;

		if (s[i] != '&') {
			*o++ = s[i];
			continue;
		}
		semi = memchr(s + i, ';', n - i);
		if (!semi || semi - (s + i) > 10 ||
		    xml_entity(s + i + 1, (size_t)(semi - (s + i) - 1), &o) < 0) {
			free(out);
			return NULL;
		}
		i = (size_t)(semi - s);
	}
	*o = '\0';
	return out;
}

static size_t name_len(const char *s, const char *end)
{
	size_t n = 0;

	while (s + n < end && (strchr("_:-.", s[n]) ||
	       (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (s[n] >= '0' && s[n] <= '9')))
		n++;
	return n;
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && strchr(" \t\r\n", *s) && *s)
		s++;
	return s;
}

/* One attribute name="value" at *s; -EINVAL when malformed. */
static int xml_read_attr(const char **s, const char *end, struct xml_tag *t)
{
	size_t n = name_len(*s, end);
	const char *v, *q;
	char *value;

	if (n == 0 || n >= sizeof(t->attrs[0].name) || *s + n + 2 > end ||
	    (*s)[n] != '=' || ((*s)[n + 1] != '"' && (*s)[n + 1] != '\''))
		return -EINVAL;
	v = *s + n + 2;
	q = memchr(v, (*s)[n + 1], (size_t)(end - v));
	if (!q || memchr(v, '<', (size_t)(q - v)))
		return -EINVAL;
	value = xml_value(v, (size_t)(q - v));
	if (!value)
		return -EINVAL;
	if (t->nattrs < XML_ATTRS) {
		memcpy(t->attrs[t->nattrs].name, *s, n);
		t->attrs[t->nattrs].name[n] = '\0';
		t->attrs[t->nattrs++].value = value;
	} else {
		free(value);
	}
	*s = q + 1;
	return 0;
}

/* The element tag starting at s (after '<'); returns the end or NULL. */
static const char *xml_read_tag(const char *s, const char *end, struct xml_tag *t)
{
	size_t n;

	t->closing = *s == '/';
	s += t->closing;
	n = name_len(s, end);
	if (n == 0 || n >= sizeof(t->name))
		return NULL;
	memcpy(t->name, s, n);
	t->name[n] = '\0';
	for (s += n;; ) {
		s = skip_space(s, end);
		if (s < end && *s == '>')
			return s + 1;
		if (s + 1 < end && s[0] == '/' && s[1] == '>' && !t->closing) {
			t->empty = true;
			return s + 2;
		}
		if (t->closing || xml_read_attr(&s, end, t) < 0)
			return NULL;
	}
}

/* Next element tag from *pos: 1 found, 0 at the end, -EINVAL malformed. */
static int xml_next(const char *buf, size_t len, size_t *pos, struct xml_tag *t)
{
	const char *end = buf + len, *s, *close;

	memset(t, 0, sizeof(*t));
	for (;;) {
		s = memchr(buf + *pos, '<', len - *pos);
		if (!s)
			return 0;
		if (s + 1 >= end || (s[1] != '?' && s[1] != '!'))
			break;
		/* <?xml ...?>, <!-- ... -->, <!DOCTYPE ...>: skipped */
		close = s[1] == '!' && s + 3 < end && s[2] == '-' && s[3] == '-' ?
			memmem(s, (size_t)(end - s), "-->", 3) : memchr(s, '>', (size_t)(end - s));
		if (!close)
			return -EINVAL;
		*pos = (size_t)(close - buf) + 1;
	}
	close = xml_read_tag(s + 1, end, t);
	if (!close) {
		xml_tag_release(t);
		return -EINVAL;
	}
	*pos = (size_t)(close - buf);
	return 1;
}

static void cpp_error_reset(struct cpp_error *e)
{
	free(e->id);
	free(e->severity);
	free(e->msg);
	free(e->cwe);
	free(e->file);
	memset(e, 0, sizeof(*e));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static const char *cpp_level(const char *severity)
{
	static const struct { const char *severity, *level; } map[] = {
		{ "error", "error" }, { "warning", "warning" }, { "style", "note" },
		{ "performance", "note" }, { "portability", "note" },
	};

	for (size_t i = 0; severity && i < ARRAY_SIZE(map); i++)
		if (strcmp(severity, map[i].severity) == 0)
			return map[i].level;
	return NULL;	/* information, debug: not findings */
}

/* Emit the finished <error> if it is a finding with a location. */
static void cpp_emit(const struct an_ctx *ctx, struct sarif_run *run,
		     struct cpp_error *e)
{
	const char *level = cpp_level(e->severity);
	struct sarif_result *r;
	int64_t cwe;

	if (!level || !e->located)
		return;
	r = an_result_add(ctx, run, run->tool, e->id, e->file, e->line);
	if (!r)
		return;
	r->level = xstrdup(level);
	r->message = ruletext_message(run->tool, e->id, e->msg);
	r->start_column = r->start_line > 0 && e->column > 0 ? e->column : 0;
	if (e->cwe && parse_i64(e->cwe, 1, 999999, &cwe) == 0)
		r->cwe = xasprintf("CWE-%d", (int)cwe);
}

static int attr_int(const struct xml_tag *t, const char *name)
{
	int64_t n;

	if (!xml_attr(t, name) || parse_i64(xml_attr(t, name), 0, INT32_MAX, &n) < 0)
		return 0;
	return (int)n;
}

/* Handle one tag; 1 when </results> closes the report. */
static int cpp_tag(const struct an_ctx *ctx, struct sarif_run *run,
		   struct cpp_error *e, const struct xml_tag *t)
{
	if (strcmp(t->name, "results") == 0 && t->closing)
		return 1;
	if (strcmp(t->name, "cppcheck") == 0 && !t->closing && !run->version &&
	    xml_attr(t, "version"))
		run->version = text_clean(xml_attr(t, "version"), 100);
	if (strcmp(t->name, "error") == 0 && !t->closing) {
		cpp_error_reset(e);
		e->open = true;
		e->id = dup_or_null(xml_attr(t, "id"));
		e->severity = dup_or_null(xml_attr(t, "severity"));
		e->msg = dup_or_null(xml_attr(t, "msg"));
		e->cwe = dup_or_null(xml_attr(t, "cwe"));
	}
	if (strcmp(t->name, "location") == 0 && e->open && !e->located) {
		e->located = xml_attr(t, "file") != NULL;
		e->file = dup_or_null(xml_attr(t, "file"));
		e->line = attr_int(t, "line");
		e->column = attr_int(t, "column");
	}
	if (strcmp(t->name, "error") == 0 && (t->closing || t->empty) && e->open) {
		cpp_emit(ctx, run, e);
		cpp_error_reset(e);
	}
	return 0;
}

int an_cppcheck_convert(const struct an_ctx *ctx, const char *out, size_t len,
			struct sarif_run *run)
{
	struct cpp_error e = { 0 };
	struct xml_tag t;
	size_t pos = 0;
	int r, done = 0;

	if (!memmem(out, len, "<results", 8))
		return -EINVAL;
	while (!done && (r = xml_next(out, len, &pos, &t)) > 0) {
		done = cpp_tag(ctx, run, &e, &t);
		xml_tag_release(&t);
	}
	cpp_error_reset(&e);
	return done ? 0 : -EINVAL;
}
