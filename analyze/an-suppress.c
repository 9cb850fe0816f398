/*
 * an-suppress.c - in-code suppressions.
 *
 * A comment "lethe:ignore RULE -- reason", in the comment syntax of the
 * file, suppresses the findings of rule RULE (or TOOL:RULE) on its own
 * line and on the next one.  The finding is kept, marked suppressed with
 * the reason (SARIF suppressions, kind inSource), so that the host stores
 * it as suppressed in code.  A marker without a reason suppresses
 * nothing; the lethe-markers analyzer reports it.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "an.h"
#include "util.h"

#define MARKER "lethe:ignore"
#define MARKER_FILE_MAX (16u << 20)
#define REASON_MAX 500

struct syntax {
	const char *exts;	/* " ext ext " */
	const char *const openers[3];
};

static const struct syntax syntaxes[] = {
	{ " c h cc cpp cxx hpp hh js mjs cjs ts jsx tsx go rs java kt kts scala swift cs"
	  " dart groovy gradle css scss less proto ",
	  { "//", "/*", NULL } },
	{ " php ", { "//", "/*", "#" } },
	{ " py sh bash zsh rb pl pm yml yaml toml txt r conf cfg tf mk cmake ps1 nix"
	  " properties dockerfile makefile gemfile ",
	  { "#", NULL, NULL } },
	{ " sql lua hs ", { "--", NULL, NULL } },
	{ " xml html htm md svg vue pom ", { "<!--", NULL, NULL } },
	{ " ini lisp el clj asm ", { ";", "#", NULL } },
	{ " tex erl ", { "%", NULL, NULL } },
};
static const struct syntax any = { "", { "#", "//", "/*" } };

struct marker {
	char rule[128];
	char reason[REASON_MAX + 1];
};

/* The syntax for path's extension (or name, for Makefile and the like). */
static const struct syntax *syntax_of(const char *path)
{
	const char *base = an_basename(path), *dot = strrchr(base, '.');
	char key[40];

	snprintf(key, sizeof(key), " %s ", dot ? dot + 1 : base);
	for (char *k = key; *k; k++)
		*k = (char)(*k >= 'A' && *k <= 'Z' ? *k + 32 : *k);
	for (size_t i = 0; i < ARRAY_SIZE(syntaxes); i++)
		if (strlen(key) > 2 && strstr(syntaxes[i].exts, key))
			return &syntaxes[i];
	return &any;
}

/* A comment opener of the syntax before at in line. */
static bool in_comment(const struct syntax *sx, const char *line, const char *at)
{
	for (size_t i = 0; i < ARRAY_SIZE(sx->openers) && sx->openers[i]; i++) {
		const char *o = strstr(line, sx->openers[i]);

		if (o && o < at)
			return true;
	}
	return strncmp(line, "--", 2) == 0 && sx == &any;
}

static void copy_trimmed(char *out, size_t max, const char *s, size_t n)
{
	while (n && strchr(" \t\r", *s))
		s++, n--;
	while (n && strchr(" \t\r", s[n - 1]))
		n--;
	if (n > max)
		n = max;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Parse the marker of line; false when it has none (in a comment). */
static bool marker_parse(const struct syntax *sx, const char *line, struct marker *m)
{
	const char *at = strstr(line, MARKER), *s, *dash, *end;
	size_t n;

	if (!at || !in_comment(sx, line, at))
		return false;
	s = at + strlen(MARKER);
	if (*s && !strchr(" \t", *s))
		return false;
	s += strspn(s, " \t");
	n = strcspn(s, " \t\r");
	if (n >= sizeof(m->rule) || (n == 2 && !strncmp(s, "--", 2)))
		n = 0;
	copy_trimmed(m->rule, sizeof(m->rule) - 1, s, n);
	end = s + strlen(s);
	for (const char *c = s; *c; c++)
		if (!strncmp(c, "*/", 2) || !strncmp(c, "-->", 3)) {
			end = c;
			break;
		}
	dash = strstr(s + n, "--");
	m->reason[0] = '\0';
	if (dash && dash < end)
		copy_trimmed(m->reason, REASON_MAX, dash + 2, (size_t)(end - dash - 2));
	return true;
}

struct file {
	char *path, *data;
	size_t len, nlines;
	char **line;
	bool binary;	/* a NUL byte in its first 8 KiB */
};

static void file_drop(struct file *f)
{
	if (f->data)
		OPENSSL_cleanse(f->data, f->len);
	free(f->data);
	free(f->path);
	free(f->line);
	memset(f, 0, sizeof(*f));
}

static void file_load(const struct an_ctx *ctx, struct file *f, const char *path)
{
	size_t alloc = 0;

	file_drop(f);
	f->path = xstrdup(path);
	if (an_read(ctx->wsfd, path, MARKER_FILE_MAX, &f->data, &f->len) < 0)
		return;
	f->binary = memchr(f->data, '\0', f->len < 8192 ? f->len : 8192) != NULL;
	for (char *p = f->data; p < f->data + f->len;) {
		char *nl = memchr(p, '\n', (size_t)(f->data + f->len - p));

		if (f->nlines == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			f->line = xrealloc(f->line, alloc * sizeof(*f->line));
		}
		f->line[f->nlines++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

static bool marker_matches(const struct marker *m, const struct sarif_run *run,
			   const struct sarif_result *r)
{
	size_t t = strlen(run->tool);

	if (!m->reason[0] || !r->rule_id || !m->rule[0])
		return false;
	return !strcmp(m->rule, r->rule_id) ||
	       (!strncmp(m->rule, run->tool, t) && m->rule[t] == ':' &&
		!strcmp(m->rule + t + 1, r->rule_id));
}

static void result_check(const struct sarif_run *run, struct sarif_result *r,
			 const struct file *f)
{
	const struct syntax *sx = syntax_of(f->path);
	struct marker m;

	for (int l = r->start_line; l >= r->start_line - 1 && l >= 1; l--) {
		if ((size_t)l > f->nlines || !marker_parse(sx, f->line[l - 1], &m) ||
		    !marker_matches(&m, run, r))
			continue;
		r->suppressed = true;
		r->suppress_reason = text_clean(m.reason, REASON_MAX);
		return;
	}
}

void an_suppress_apply(const struct an_ctx *ctx, struct sarif_run *run)
{
	struct file f = { 0 };

	for (size_t i = 0; i < run->nresults; i++) {
		struct sarif_result *r = &run->results[i];

		if (!r->path || r->start_line < 1 || r->suppressed)
			continue;
		if (!f.path || strcmp(f.path, r->path) != 0)
			file_load(ctx, &f, r->path);
		result_check(run, r, &f);
	}
	file_drop(&f);
}

static int markers_file(const struct an_ctx *ctx, const char *path, void *arg)
{
	struct sarif_run *run = arg;
	const struct syntax *sx = syntax_of(path);
	struct file f = { 0 };
	struct marker m;

	file_load(ctx, &f, path);
	for (size_t i = 0; !f.binary && i < f.nlines; i++) {
		struct sarif_result *r;

		if (!marker_parse(sx, f.line[i], &m) || (m.reason[0] && m.rule[0]))
			continue;
		r = an_result_add(ctx, run, "lethe-markers", "lethe/marker-without-reason",
				  path, (int)i + 1);
		if (!r)
			break;
		r->level = xstrdup("warning");
		r->message = xstrdup(m.rule[0] ? "lethe:ignore marker without a reason "
			"('-- reason'): it suppresses nothing"
			: "lethe:ignore marker without a rule: it suppresses nothing");
	}
	file_drop(&f);
	return 0;
}

int an_markers_analyze(const struct an_ctx *ctx, struct sarif_run *run)
{
	int r = an_each_file(ctx, markers_file, run);

	return r == -E2BIG ? (sarif_run_fail(run, "too many files"), 0) : r;
}
