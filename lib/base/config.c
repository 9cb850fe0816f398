/* config.c - the key = value configuration file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <stddef.h>

#include "config.h"
#include "log.h"
#include "util.h"

enum ctype { C_STR, C_INT, C_SIZE, C_DURATION, C_BOOL };

struct config_key {
	const char *name;
	enum ctype type;
	const char *def;
	int64_t min, max;		/* for numeric types */
	size_t field;			/* offset in struct config_values */
};

/* Every configuration key Lethe knows: config_keys.h. */
static const struct config_key config_keys[] = {
#define CONFIG_KEY(name, type, def, min, max) \
	{ #name, C_##type, def, min, max, offsetof(struct config_values, name) },
#include "config_keys.h"
#undef CONFIG_KEY
};

#define CONFIG_NKEYS ARRAY_SIZE(config_keys)
#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_EXTRA 64

struct config {
	char *path;
	char *str[CONFIG_NKEYS];
	int64_t num[CONFIG_NKEYS];
	char *extra_key[CONFIG_MAX_EXTRA], *extra_val[CONFIG_MAX_EXTRA];
	size_t nextra;
	struct config_values v;
};

static int key_index(const char *name)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_value(const struct config_key *k, const char *v, int64_t *num)
{
	int r;

	switch (k->type) {
	case C_STR:
		return 0;
	case C_INT:
		r = parse_i64(v, INT64_MIN, INT64_MAX, num);
		break;
	case C_SIZE:
		r = parse_size(v, num);
		break;
	case C_DURATION:
		r = parse_duration(v, num);
		break;
	case C_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
			*num = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
			*num = 0;
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
	if (r == 0 && (*num < k->min || *num > k->max))
		r = -ERANGE;
	return r;
}

static int set_key(struct config *c, const char *key, const char *val, char *why, size_t whylen,
		   unsigned lineno, unsigned char *seen)
{
	int i = key_index(key);
	int64_t num = 0;

	if (i < 0 && strncmp(key, "scanner.", 8) == 0 && key[8]) {
		if (c->nextra == CONFIG_MAX_EXTRA) {
			snprintf(why, whylen, "%s:%u: too many scanner keys", c->path, lineno);
			return -E2BIG;
		}
		c->extra_key[c->nextra] = xstrdup(key);
		c->extra_val[c->nextra++] = xstrdup(val);
		return 0;
	}
	if (i < 0) {
		snprintf(why, whylen, "%s:%u: unknown key '%s'", c->path, lineno, key);
		return -EINVAL;
	}
	if (seen[i]) {
		snprintf(why, whylen, "%s:%u: key '%s' given twice", c->path, lineno, key);
		return -EINVAL;
	}
	seen[i] = 1;
	if (parse_value(&config_keys[i], val, &num) < 0) {
		snprintf(why, whylen, "%s:%u: bad value for '%s'", c->path, lineno, key);
		return -EINVAL;
	}
	free(c->str[i]);
	c->str[i] = xstrdup(val);
	c->num[i] = num;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_line(struct config *c, char *line, unsigned lineno, unsigned char *seen,
		      char *why, size_t whylen)
{
	char *s = trim(line), *eq, *key;

	if (*s == '\0' || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq) {
		snprintf(why, whylen, "%s:%u: expected 'key = value'", c->path, lineno);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(s);
	for (char *p = key; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' && *p != '.'
		    && *p != '-') {
			snprintf(why, whylen, "%s:%u: bad key name '%.64s'", c->path, lineno, key);
			return -EINVAL;
		}
	return set_key(c, key, trim(eq + 1), why, whylen, lineno, seen);
}

static void config_defaults(struct config *c)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		c->str[i] = xstrdup(config_keys[i].def);
		if (parse_value(&config_keys[i], config_keys[i].def, &c->num[i]) < 0)
			abort();	/* a bad default is a bug */
	}
}

/* The typed view: each key's field in c->v from its parsed value. */
static void config_fill(struct config *c)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		char *f = (char *)&c->v + config_keys[i].field;

		switch (config_keys[i].type) {
		case C_STR:
			*(const char **)(void *)f = c->str[i];
			break;
		case C_BOOL:
			*(int *)(void *)f = c->num[i] != 0;
			break;
		default:
			*(int64_t *)(void *)f = c->num[i];
			break;
		}
	}
}

int config_load(const char *path, struct config **out, char *why, size_t whylen)
{
	struct config *c = xcalloc(1, sizeof(*c));
	unsigned char seen[CONFIG_NKEYS] = { 0 };
	char *buf = NULL, *line, *save = NULL;
	unsigned lineno = 0;
	int r;

	if (!path)
		path = getenv("LETHE_CONFIG");
	if (!path || !*path)
		path = CONFIG_DEFAULT_PATH;
	c->path = xstrdup(path);
	config_defaults(c);
	r = read_file(path, 1 << 20, &buf, NULL);
	if (r < 0) {
		snprintf(why, whylen, "unable to read '%s': %s", path, strerror(-r));
		goto fail;
	}
	/* Split by hand so that empty lines still count for line numbers. */
	for (line = buf; line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (strlen(line) > CONFIG_MAX_LINE) {
			snprintf(why, whylen, "%s:%u: line too long", path, lineno);
			r = -EINVAL;
			goto fail;
		}
		r = parse_line(c, line, lineno, seen, why, whylen);
		if (r < 0)
			goto fail;
	}
	free(buf);
	config_fill(c);
	*out = c;
	return 0;
fail:
	free(buf);
	config_free(c);
	return r;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		free(c->str[i]);
	for (size_t i = 0; i < c->nextra; i++) {
		free(c->extra_key[i]);
		free(c->extra_val[i]);
	}
	free(c->path);
	free(c);
}

const char *config_path(const struct config *c) { return c->path; }

const struct config_values *config_v(const struct config *c) { return &c->v; }

static int key_checked(const char *key, enum ctype want)
{
	int i = key_index(key);

	if (i < 0 || (want == C_STR) != (config_keys[i].type == C_STR))
		abort();	/* asking for an undeclared key is a bug */
	return i;
}

const char *config_str(const struct config *c, const char *key)
{
	return c->str[key_checked(key, C_STR)];
}

int64_t config_int(const struct config *c, const char *key)
{
	return c->num[key_checked(key, C_INT)];
}

int config_bool(const struct config *c, const char *key)
{
	return c->num[key_checked(key, C_BOOL)] != 0;
}

void config_each_prefixed(const struct config *c, const char *prefix,
			  void (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < c->nextra; i++)
		if (strncmp(c->extra_key[i], prefix, n) == 0)
			fn(c->extra_key[i], c->extra_val[i], arg);
}

struct config *config_start(void)
{
	struct config *c;
	char why[512];

	if (config_load(NULL, &c, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	if (*config_v(c)->log_file)
		log_set_file(config_v(c)->log_file);
	return c;
}
