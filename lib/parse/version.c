/*
 * version.c - package versions ordered by each ecosystem's own rules.
 *
 *   SemVer 2.0.0 (npm, Go, Cargo): MAJOR.MINOR.PATCH, missing parts 0 and a
 *     leading "v" or "=" accepted (as node-semver's loose mode does); a
 *     pre-release sorts before its release, identifiers compared dot by dot,
 *     numbers numerically and before text; "+build" ignored (Go's
 *     "+incompatible" too, and pseudo-versions are pre-releases).
 *   NuGet: the same with a fourth number and text compared without case.
 *   PEP 440: epoch, release (trailing zeros ignored), pre, post, dev, local,
 *     ordered as the "packaging" library's key does.
 *   RubyGems: Gem::Version's canonical segments.
 *   Maven: ComparableVersion's items, lists and qualifiers.
 *   Composer: four numbers, then stability dev < alpha < beta < RC < stable
 *     < patch, its number, and a "-dev" suffix below the same without.
 *
 * Numbers are compared as digit strings, so no length overflows.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "version.h"

static const struct {
	const char *osv, *purl;
} ECOS[ECO_COUNT] = {
	[ECO_NPM] = { "npm", "npm" },
	[ECO_PYPI] = { "PyPI", "pypi" },
	[ECO_GO] = { "Go", "golang" },
	[ECO_CARGO] = { "crates.io", "cargo" },
	[ECO_GEM] = { "RubyGems", "gem" },
	[ECO_MAVEN] = { "Maven", "maven" },
	[ECO_COMPOSER] = { "Packagist", "composer" },
	[ECO_NUGET] = { "NuGet", "nuget" },
};

int eco_from_osv(const char *name)
{
	for (int i = 0; name && i < ECO_COUNT; i++)
		if (!strcmp(name, ECOS[i].osv))
			return i;
	return -1;
}

int eco_from_purl(const char *type)
{
	for (int i = 0; type && i < ECO_COUNT; i++)
		if (!strcmp(type, ECOS[i].purl))
			return i;
	return -1;
}

const char *eco_osv_name(enum eco e) { return e < ECO_COUNT ? ECOS[e].osv : "SEMVER"; }
const char *eco_purl_type(enum eco e) { return e < ECO_COUNT ? ECOS[e].purl : "semver"; }

static int sign(int c) { return (c > 0) - (c < 0); }

/* Two runs of digits, numerically. */
static int num_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c;

	while (an > 1 && *a == '0')
		a++, an--;
	while (bn > 1 && *b == '0')
		b++, bn--;
	if (an != bn)
		return an < bn ? -1 : 1;
	c = memcmp(a, b, an);
	return sign(c);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static int text_cmp(const char *a, size_t an, const char *b, size_t bn, bool nocase)
{
	size_t n = an < bn ? an : bn;
	int c = nocase ? strncasecmp(a, b, n) : memcmp(a, b, n);

	if (c)
		return sign(c);
	return an == bn ? 0 : an < bn ? -1 : 1;
}

/* ---- SemVer and NuGet ------------------------------------------------ */

struct dotted {
	const char *num[4];
	size_t numlen[4];
	const char *pre;	/* NULL for a release */
	size_t prelen;
};

static void dotted_parse(const char *s, int parts, struct dotted *d)
{
	memset(d, 0, sizeof(*d));
	while (isspace((unsigned char)*s) || *s == 'v' || *s == 'V' || *s == '=')
		s++;
	for (int i = 0; i < parts; i++) {
		d->num[i] = s;
		while (isdigit((unsigned char)*s))
			s++;
		d->numlen[i] = (size_t)(s - d->num[i]);
		if (*s != '.' || i == parts - 1 || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	if (*s == '-')
		s++;
	else if (!*s || *s == '+')
		return;
	d->pre = s;
	d->prelen = strcspn(s, "+");
}

/* Past the first len bytes of *s and the separator after them. */
static void skip_part(const char **s, size_t *n, size_t len)
{
	len += len < *n;
	*s += len;
	*n -= len;
}

/* Pre-release identifiers: numbers numerically and first, text as text. */
static int pre_cmp(const char *a, size_t an, const char *b, size_t bn, bool nocase)
{
	if (!a || !b)
		return a ? -1 : b ? 1 : 0;
	for (;;) {
		size_t al = 0, bl = 0;
		bool ad, bd;
		int c;

		if (!an || !bn)
			return an ? 1 : bn ? -1 : 0;
		while (al < an && a[al] != '.')
			al++;
		while (bl < bn && b[bl] != '.')
			bl++;
		ad = all_digits(a, al);
		bd = all_digits(b, bl);
		if (ad != bd)
			return ad ? -1 : 1;
		c = ad ? num_cmp(a, al, b, bl) : text_cmp(a, al, b, bl, nocase);
		if (c)
			return c;
		skip_part(&a, &an, al);
		skip_part(&b, &bn, bl);
	}
}

static int dotted_cmp(const char *as, const char *bs, int parts, bool nocase)
{
	struct dotted a, b;

	dotted_parse(as, parts, &a);
	dotted_parse(bs, parts, &b);
	for (int i = 0; i < parts; i++) {
		int c = num_cmp(a.numlen[i] ? a.num[i] : "0", a.numlen[i] ? a.numlen[i] : 1,
				b.numlen[i] ? b.num[i] : "0", b.numlen[i] ? b.numlen[i] : 1);

		if (c)
			return c;
	}
	return pre_cmp(a.pre, a.prelen, b.pre, b.prelen, nocase);
}

/* ---- PEP 440 --------------------------------------------------------- */

enum { PRE_NONE_DEV = -1, PRE_A, PRE_B, PRE_RC, PRE_NONE };

struct pep440 {
	const char *epoch, *rel[32], *pre_n, *post_n, *dev_n, *local, *rest;
	size_t epochlen, rellen[32], nrel, pre_nlen, post_nlen, dev_nlen, locallen;
	int pre;
	bool post, dev;
};

static const char *skip_sep(const char *s)
{
	return *s == '.' || *s == '-' || *s == '_' ? s + 1 : s;
}

/* The word w (any case) at s, after an optional separator; where it ends or NULL. */
static const char *word_at(const char *s, const char *w)
{
	const char *p = skip_sep(s);
	size_t n = strlen(w);

	return strncasecmp(p, w, n) ? NULL : p + n;
}

/* An optional separator and number after a word; the number, default 0. */
static const char *pep_number(const char *s, const char **num, size_t *len)
{
	const char *p = skip_sep(s);

	if (isdigit((unsigned char)*p)) {
		*num = p;
		while (isdigit((unsigned char)*p))
			p++;
		*len = (size_t)(p - *num);
		return p;
	}
	*num = "0";
	*len = 1;
	return s;
}

static const char *pep_pre(const char *s, struct pep440 *v)
{
	static const struct { const char *w; int kind; } PRE[] = {
		{ "alpha", PRE_A }, { "a", PRE_A }, { "beta", PRE_B }, { "b", PRE_B },
		{ "preview", PRE_RC }, { "pre", PRE_RC }, { "rc", PRE_RC }, { "c", PRE_RC },
	};

	for (size_t i = 0; i < ARRAY_SIZE(PRE); i++) {
		const char *e = word_at(s, PRE[i].w);

		if (e && !isalpha((unsigned char)*e)) {
			v->pre = PRE[i].kind;
			return pep_number(e, &v->pre_n, &v->pre_nlen);
		}
	}
	return s;
}

static const char *pep_post(const char *s, struct pep440 *v)
{
	static const char *const POST[] = { "post", "rev", "r" };

	if (*s == '-' && isdigit((unsigned char)s[1])) {
		v->post = true;
		return pep_number(s, &v->post_n, &v->post_nlen);
	}
	for (size_t i = 0; i < ARRAY_SIZE(POST); i++) {
		const char *e = word_at(s, POST[i]);

		if (e && !isalpha((unsigned char)*e)) {
			v->post = true;
			return pep_number(e, &v->post_n, &v->post_nlen);
		}
	}
	return s;
}

static void pep_parse(const char *s, struct pep440 *v)
{
	const char *p, *e;

	memset(v, 0, sizeof(*v));
	v->pre = PRE_NONE;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == 'v' || *s == 'V')
		s++;
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (*p == '!' && p > s) {
		v->epoch = s;
		v->epochlen = (size_t)(p - s);
		s = p + 1;
	}
	while (isdigit((unsigned char)*s) && v->nrel < ARRAY_SIZE(v->rel)) {
		v->rel[v->nrel] = s;
		while (isdigit((unsigned char)*s))
			s++;
		v->rellen[v->nrel] = (size_t)(s - v->rel[v->nrel]);
		v->nrel++;
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	s = pep_pre(s, v);
	s = pep_post(s, v);
	e = word_at(s, "dev");
	if (e) {
		v->dev = true;
		s = pep_number(e, &v->dev_n, &v->dev_nlen);
	}
	if (*s == '+') {
		v->local = s + 1;
		v->locallen = strlen(s + 1);
		s += 1 + v->locallen;
	}
	if (v->pre == PRE_NONE && !v->post && v->dev)
		v->pre = PRE_NONE_DEV;
	v->rest = s;
}

/* Release segments with trailing zeros ignored. */
static int pep_release_cmp(const struct pep440 *a, const struct pep440 *b)
{
	size_t n = a->nrel > b->nrel ? a->nrel : b->nrel;

	for (size_t i = 0; i < n; i++) {
		int c = num_cmp(i < a->nrel ? a->rel[i] : "0", i < a->nrel ? a->rellen[i] : 1,
				i < b->nrel ? b->rel[i] : "0", i < b->nrel ? b->rellen[i] : 1);

		if (c)
			return c;
	}
	return 0;
}

/* Local segments: numbers numerically and above text, text without case. */
static int pep_local_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	for (;;) {
		size_t al = strcspn(a, ".-_"), bl = strcspn(b, ".-_");
		bool ad, bd;
		int c;

		if (!an || !bn)
			return an ? 1 : bn ? -1 : 0;
		al = al < an ? al : an;
		bl = bl < bn ? bl : bn;
		ad = all_digits(a, al);
		bd = all_digits(b, bl);
		if (ad != bd)
			return ad ? 1 : -1;
		c = ad ? num_cmp(a, al, b, bl) : text_cmp(a, al, b, bl, true);
		if (c)
			return c;
		skip_part(&a, &an, al);
		skip_part(&b, &bn, bl);
	}
}

static int opt_num_cmp(bool ah, const char *a, size_t an, bool bh, const char *b, size_t bn,
		       int missing)
{
	if (!ah || !bh)
		return ah == bh ? 0 : ah ? -missing : missing;
	return num_cmp(a, an, b, bn);
}

static int pep440_cmp(const char *as, const char *bs)
{
	struct pep440 a, b;
	int c;

	pep_parse(as, &a);
	pep_parse(bs, &b);
	c = num_cmp(a.epoch ? a.epoch : "0", a.epoch ? a.epochlen : 1,
		    b.epoch ? b.epoch : "0", b.epoch ? b.epochlen : 1);
	if (!c)
		c = pep_release_cmp(&a, &b);
	if (!c && a.pre != b.pre)
		c = a.pre < b.pre ? -1 : 1;
	if (!c && a.pre_n && b.pre_n)
		c = num_cmp(a.pre_n, a.pre_nlen, b.pre_n, b.pre_nlen);
	if (!c)	/* no post-release sorts first */
		c = opt_num_cmp(a.post, a.post_n, a.post_nlen, b.post, b.post_n, b.post_nlen, -1);
	if (!c)	/* no dev release sorts last */
		c = opt_num_cmp(a.dev, a.dev_n, a.dev_nlen, b.dev, b.dev_n, b.dev_nlen, 1);
	if (!c)
		c = pep_local_cmp(a.local, a.locallen, b.local, b.locallen);
	if (!c)
		c = text_cmp(a.rest, strlen(a.rest), b.rest, strlen(b.rest), true);
	return c;
}

/* ---- RubyGems -------------------------------------------------------- */

struct seg {
	const char *p;
	size_t n;
	bool num;
};

struct gemver {
	struct seg seg[64];
	size_t nseg;
	char *text;
};

/* Drop the zeros that end segs[from..*n). */
static void trim_zeros(struct seg *segs, size_t from, size_t *n)
{
	while (*n > from && segs[*n - 1].num && num_cmp(segs[*n - 1].p, segs[*n - 1].n, "0", 1) == 0)
		(*n)--;
}

static void gem_parse(const char *s, struct gemver *g)
{
	struct seg all[64];
	size_t n = 0, str = 0, rest = 0;
	char *t, *p;

	/* Gem::Version reads "-" as ".pre." */
	t = g->text = xmalloc(strlen(s) * 5 + 1);
	for (; *s; s++)
		t = *s == '-' ? stpcpy(t, ".pre.") : (*t++ = *s, t);
	*t = '\0';
	for (p = g->text; *p && n < ARRAY_SIZE(all);) {
		bool num = isdigit((unsigned char)*p);
		size_t len = 0;

		while (p[len] && (num ? isdigit((unsigned char)p[len]) : isalpha((unsigned char)p[len])))
			len++;
		if (!len) {
			p++;
			continue;
		}
		all[n++] = (struct seg){ p, len, num };
		p += len;
	}
	while (str < n && all[str].num)
		str++;
	/* numeric part and string part, each without its trailing zeros */
	g->nseg = str;
	trim_zeros(all, 0, &g->nseg);
	memcpy(g->seg, all, g->nseg * sizeof(*all));
	rest = n;
	trim_zeros(all, str, &rest);
	memcpy(g->seg + g->nseg, all + str, (rest - str) * sizeof(*all));
	g->nseg += rest - str;
}

static int gem_cmp(const char *as, const char *bs)
{
	struct gemver a, b;
	size_t n;
	int c = 0;

	gem_parse(as, &a);
	gem_parse(bs, &b);
	n = a.nseg > b.nseg ? a.nseg : b.nseg;
	for (size_t i = 0; i < n && !c; i++) {
		struct seg zero = { "0", 1, true };
		const struct seg *l = i < a.nseg ? &a.seg[i] : &zero;
		const struct seg *r = i < b.nseg ? &b.seg[i] : &zero;

		if (l->num != r->num)
			c = l->num ? 1 : -1;
		else
			c = l->num ? num_cmp(l->p, l->n, r->p, r->n) : text_cmp(l->p, l->n, r->p, r->n, false);
	}
	free(a.text);
	free(b.text);
	return c;
}

/* ---- Maven ----------------------------------------------------------- */

enum mvn_kind { MVN_INT, MVN_STR, MVN_LIST };

struct mvn {
	enum mvn_kind kind;
	char *s;		/* digits without leading zeros, or the comparable qualifier */
	struct mvn **kid;
	size_t nkid, cap;
};

static struct mvn *mvn_new(enum mvn_kind kind, char *s)
{
	struct mvn *m = xcalloc(1, sizeof(*m));

	m->kind = kind;
	m->s = s;
	return m;
}

static void mvn_free(struct mvn *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nkid; i++)
		mvn_free(m->kid[i]);
	free(m->kid);
	free(m->s);
	free(m);
}

static void mvn_add(struct mvn *list, struct mvn *item)
{
	if (list->nkid == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 4;
		list->kid = xrealloc(list->kid, list->cap * sizeof(*list->kid));
	}
	list->kid[list->nkid++] = item;
}

/* alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < others */
static char *mvn_qualifier(const char *q, size_t n, bool before_digit)
{
	static const char *const ORDER[] = { "alpha", "beta", "milestone", "rc", "snapshot", "", "sp" };
	static const struct { const char *from, *to; } ALIAS[] = {
		{ "ga", "" }, { "final", "" }, { "release", "" }, { "cr", "rc" },
	};
	char *s = xstrndup(q, n), *out;

	if (before_digit && n == 1 && strchr("abm", *s)) {
		free(s);
		s = xstrdup(*q == 'a' ? "alpha" : *q == 'b' ? "beta" : "milestone");
	}
	for (size_t i = 0; i < ARRAY_SIZE(ALIAS); i++)
		if (!strcmp(s, ALIAS[i].from)) {
			free(s);
			s = xstrdup(ALIAS[i].to);
		}
	for (size_t i = 0; i < ARRAY_SIZE(ORDER); i++)
		if (!strcmp(s, ORDER[i])) {
			free(s);
			return xasprintf("%zu", i);
		}
	out = xasprintf("%zu-%s", ARRAY_SIZE(ORDER), s);
	free(s);
	return out;
}

static struct mvn *mvn_item(const char *s, size_t n, bool digit, bool before_digit)
{
	if (digit) {
		while (n > 1 && *s == '0')
			s++, n--;
		return mvn_new(MVN_INT, xstrndup(s, n));
	}
	return mvn_new(MVN_STR, mvn_qualifier(s, n, before_digit));
}

static bool mvn_null(const struct mvn *m)
{
	if (m->kind == MVN_INT)
		return !strcmp(m->s, "0");
	if (m->kind == MVN_STR)
		return !strcmp(m->s, "5");	/* the release qualifier */
	return m->nkid == 0;
}

/* Trailing null items go, from the end back to the last non-list. */
static void mvn_normalize(struct mvn *list)
{
	for (size_t i = list->nkid; i-- > 0;) {
		struct mvn *m = list->kid[i];

		if (m->kind == MVN_LIST)
			mvn_normalize(m);
		if (mvn_null(m)) {
			mvn_free(m);
			memmove(&list->kid[i], &list->kid[i + 1], (list->nkid - i - 1) * sizeof(m));
			list->nkid--;
		} else if (m->kind != MVN_LIST) {
			break;
		}
	}
}

static struct mvn *mvn_parse(const char *version)
{
	struct mvn *root = mvn_new(MVN_LIST, NULL), *list = root;
	char *v = xstrdup(version);
	size_t start = 0, i;
	bool digit = false;

	for (i = 0; v[i]; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	for (i = 0; v[i]; i++) {
		char c = v[i];

		if (c == '.' || c == '-') {
			mvn_add(list, i == start ? mvn_new(MVN_INT, xstrdup("0"))
				: mvn_item(v + start, i - start, digit, false));
			start = i + 1;
			if (c == '-') {
				struct mvn *sub = mvn_new(MVN_LIST, NULL);

				mvn_add(list, sub);
				list = sub;
			}
		} else if ((isdigit((unsigned char)c) != 0) != digit && i > start) {
			struct mvn *sub = mvn_new(MVN_LIST, NULL);

			mvn_add(list, mvn_item(v + start, i - start, digit, !digit));
			start = i;
			mvn_add(list, sub);
			list = sub;
			digit = !digit;
		} else {
			digit = isdigit((unsigned char)c) != 0;
		}
	}
	if (i > start)
		mvn_add(list, mvn_item(v + start, i - start, digit, false));
	free(v);
	mvn_normalize(root);
	return root;
}

static int mvn_item_cmp(const struct mvn *a, const struct mvn *b);

/* An item against nothing (a shorter list). */
static int mvn_vs_null(const struct mvn *a)
{
	if (a->kind == MVN_INT)
		return strcmp(a->s, "0") ? 1 : 0;
	if (a->kind == MVN_STR)
		return sign(strcmp(a->s, "5"));
	return a->nkid ? mvn_vs_null(a->kid[0]) : 0;
}

static int mvn_list_cmp(const struct mvn *a, const struct mvn *b)
{
	for (size_t i = 0; i < a->nkid || i < b->nkid; i++) {
		int c;

		if (i >= a->nkid)
			c = -mvn_vs_null(b->kid[i]);
		else if (i >= b->nkid)
			c = mvn_vs_null(a->kid[i]);
		else
			c = mvn_item_cmp(a->kid[i], b->kid[i]);
		if (c)
			return c;
	}
	return 0;
}

static int mvn_item_cmp(const struct mvn *a, const struct mvn *b)
{
	/* int > list > string, across kinds */
	static const int RANK[] = { [MVN_INT] = 2, [MVN_LIST] = 1, [MVN_STR] = 0 };

	if (a->kind != b->kind)
		return RANK[a->kind] > RANK[b->kind] ? 1 : -1;
	if (a->kind == MVN_INT)
		return num_cmp(a->s, strlen(a->s), b->s, strlen(b->s));
	if (a->kind == MVN_STR)
		return sign(strcmp(a->s, b->s));
	return mvn_list_cmp(a, b);
}

static int maven_cmp(const char *as, const char *bs)
{
	struct mvn *a = mvn_parse(as), *b = mvn_parse(bs);
	int c = mvn_list_cmp(a, b);

	mvn_free(a);
	mvn_free(b);
	return c;
}

/* ---- Composer -------------------------------------------------------- */

enum { STAB_DEV, STAB_ALPHA, STAB_BETA, STAB_RC, STAB_STABLE, STAB_PATCH };

struct composer {
	struct seg num[4];
	int stability;
	struct seg snum[8];
	size_t nsnum;
	bool dev;
	const char *rest;
};

static const char *composer_stability(const char *s, int *stab)
{
	static const struct { const char *w; int stab; } WORDS[] = {
		{ "stable", STAB_STABLE }, { "beta", STAB_BETA }, { "b", STAB_BETA },
		{ "rc", STAB_RC }, { "alpha", STAB_ALPHA }, { "a", STAB_ALPHA },
		{ "patch", STAB_PATCH }, { "pl", STAB_PATCH }, { "p", STAB_PATCH },
	};

	for (size_t i = 0; i < ARRAY_SIZE(WORDS); i++) {
		size_t n = strlen(WORDS[i].w);

		if (!strncasecmp(s, WORDS[i].w, n) && !isalpha((unsigned char)s[n])) {
			*stab = WORDS[i].stab;
			return s + n;
		}
	}
	return NULL;
}

static void composer_parse(const char *s, struct composer *v)
{
	const char *e;

	memset(v, 0, sizeof(*v));
	v->stability = STAB_STABLE;
	if (*s == 'v' || *s == 'V')
		s++;
	for (int i = 0; i < 4 && isdigit((unsigned char)*s); i++) {
		v->num[i].p = s;
		while (isdigit((unsigned char)*s))
			s++;
		v->num[i].n = (size_t)(s - v->num[i].p);
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	e = composer_stability(skip_sep(s), &v->stability);
	if (e) {
		s = e;
		while (v->nsnum < ARRAY_SIZE(v->snum) && isdigit((unsigned char)*skip_sep(s))) {
			struct seg *g = &v->snum[v->nsnum++];

			g->p = skip_sep(s);
			for (g->n = 0; isdigit((unsigned char)g->p[g->n]); g->n++)
				;
			s = g->p + g->n;
		}
	}
	if (!strncasecmp(skip_sep(s), "dev", 3)) {
		v->dev = true;
		if (!e)
			v->stability = STAB_DEV;
		s = skip_sep(s) + 3;
	}
	v->rest = s;
}

static int composer_cmp(const char *as, const char *bs)
{
	struct composer a, b;
	int c = 0;

	composer_parse(as, &a);
	composer_parse(bs, &b);
	for (int i = 0; i < 4 && !c; i++)
		c = num_cmp(a.num[i].n ? a.num[i].p : "0", a.num[i].n ? a.num[i].n : 1,
			    b.num[i].n ? b.num[i].p : "0", b.num[i].n ? b.num[i].n : 1);
	if (!c && a.stability != b.stability)
		c = a.stability < b.stability ? -1 : 1;
	for (size_t i = 0; !c && (i < a.nsnum || i < b.nsnum); i++)
		c = i >= a.nsnum ? -1 : i >= b.nsnum ? 1
			: num_cmp(a.snum[i].p, a.snum[i].n, b.snum[i].p, b.snum[i].n);
	if (!c && a.dev != b.dev)
		c = a.dev ? -1 : 1;
	if (!c)
		c = text_cmp(a.rest, strlen(a.rest), b.rest, strlen(b.rest), true);
	return c;
}

int version_cmp(enum eco e, const char *a, const char *b)
{
	switch (e) {
	case ECO_PYPI:
		return pep440_cmp(a, b);
	case ECO_GEM:
		return gem_cmp(a, b);
	case ECO_MAVEN:
		return maven_cmp(a, b);
	case ECO_COMPOSER:
		return composer_cmp(a, b);
	case ECO_NUGET:
		return dotted_cmp(a, b, 4, true);
	default:
		return dotted_cmp(a, b, 3, false);
	}
}

/* Whether s names a RubyGems platform ("x86_64-linux", "java", "arm64-darwin"). */
static bool gem_platform(const char *s)
{
	static const char *const WORDS[] = { "linux", "darwin", "mingw", "mswin", "java",
		"jruby", "x86", "x64", "arm", "aarch64", "universal", "freebsd", "openbsd", "solaris" };

	for (size_t i = 0; i < ARRAY_SIZE(WORDS); i++)
		if (strstr(s, WORDS[i]))
			return true;
	return false;
}

char *version_fact(enum eco e, const char *v)
{
	const char *dash;

	if ((e == ECO_GO || e == ECO_COMPOSER) && (*v == 'v' || *v == 'V') &&
	    isdigit((unsigned char)v[1]))
		return xstrdup(v + 1);
	if (e == ECO_GEM && (dash = strchr(v, '-')) && gem_platform(dash + 1))
		return xstrndup(v, (size_t)(dash - v));
	return xstrdup(v);
}

char *eco_name_key(enum eco e, const char *name)
{
	char *k = xstrdup(name), *w = k;

	if (e == ECO_NUGET || e == ECO_COMPOSER || e == ECO_PYPI)
		for (char *p = k; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	if (e != ECO_PYPI)
		return k;
	for (const char *r = k; *r; r++) {
		if (strchr("-_.", *r)) {
			if (w == k || w[-1] != '-')
				*w++ = '-';
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return k;
}
