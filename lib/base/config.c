/* config.c - the key = value configuration file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "config.h"
#include "util.h"

enum ctype { C_STR, C_INT, C_SIZE, C_DURATION, C_BOOL };

struct config_key {
	const char *name;
	enum ctype type;
	const char *def;
	int64_t min, max;		/* for numeric types */
};

/* Every configuration key Lethe knows.  man/lethe.conf.5 documents each. */
static const struct config_key config_keys[] = {
	{ "database",          C_STR,  "dbname=lethe", 0, 0 },
	{ "master_key_file",   C_STR,  "/etc/lethe/master.key", 0, 0 },
	{ "state_dir",         C_STR,  "/var/lib/lethe", 0, 0 },
	{ "run_dir",           C_STR,  "/run/lethe", 0, 0 },
	{ "spool_dir",         C_STR,  "/var/spool/lethe", 0, 0 },
	{ "log_file",          C_STR,  "", 0, 0 },
	{ "log_max_size",      C_SIZE, "10M", 4096, INT64_MAX },
	{ "log_keep",          C_INT,  "7", 1, 1000 },
	{ "dashboard_url",     C_STR,  "http://127.0.0.1:8080/", 0, 0 },
	{ "bcrypt_cost",       C_INT,  "12", 10, 31 },
	{ "hook_max_body",     C_SIZE, "25M", 1024, 1LL << 30 },
	{ "hook_max_requests", C_INT,  "16000", 1, 10000000 },
	{ "hook_workers",      C_INT,  "2", 1, 256 },
	{ "hook_threads",      C_INT,  "16", 1, 256 },
	{ "hook_timestamp_tolerance", C_DURATION, "5m", 1, 86400 },
	{ "hook_refresh_interval", C_DURATION, "5m", 1, 86400 },
	{ "api_access_ttl",    C_DURATION, "4h", 60, 4 * 3600 },
	{ "api_refresh_ttl",   C_DURATION, "30d", 3600, 365 * 86400LL },
	{ "api_key_ttl",       C_DURATION, "90d", 60, 3650 * 86400LL },
	{ "api_key_ttl_max",   C_DURATION, "365d", 60, 3650 * 86400LL },
	{ "api_max_body",      C_SIZE, "1M", 1024, 64 << 20 },
	{ "api_max_requests",  C_INT,  "1000", 1, 10000000 },
	{ "volume_backend",    C_STR,  "auto", 0, 0 },
	{ "volume_size",       C_SIZE, "1G", 64 << 20, 1LL << 40 },
	{ "checkout_max_age",  C_DURATION, "6600", 10, 7200 },
	{ "analyze_path",      C_STR,  LETHE_LIBEXEC "/lethe-analyze", 0, 0 },
	{ "agent_path",        C_STR,  LETHE_LIBEXEC "/lethe-agent", 0, 0 },
	{ "scanners",          C_STR,  "flawfinder,cppcheck,shellcheck,bandit,eslint,"
	  "lethe-secrets,lethe-workflows,lethe-deps,lethe-markers", 0, 0 },
	{ "eslint_path",       C_STR,  LETHE_DATADIR "/eslint", 0, 0 },
	{ "sandbox_user",      C_STR,  "lethe-sandbox", 0, 0 },
	{ "sandbox_memory",    C_SIZE, "2G", 16 << 20, 1LL << 40 },
	{ "sandbox_cpu",       C_DURATION, "10m", 1, 86400 },
	{ "sandbox_cpus",      C_INT,  "1", 1, 256 },
	{ "scan_parallel",     C_INT,  "0", 0, 32 },
	{ "sandbox_pids",      C_INT,  "256", 8, 65536 },
	{ "sandbox_wall",      C_DURATION, "10m", 1, 7000 },
	{ "sandbox_output",    C_SIZE, "64M", 4096, 1LL << 32 },
	{ "sandbox_tmp",       C_SIZE, "512M", 1 << 20, 1LL << 40 },
	{ "fix_model_url",     C_STR,  "", 0, 0 },
	{ "fix_model",         C_STR,  "", 0, 0 },
	{ "fix_model_key_file", C_STR, "/etc/lethe/model.key", 0, 0 },
	{ "fix_request_timeout", C_DURATION, "5m", 1, 3600 },
	{ "fix_max_requests",  C_INT,  "60", 1, 10000 },
	{ "fix_max_tokens",    C_INT,  "2000000", 1, 1000000000 },
	{ "fix_max_bytes",     C_SIZE, "64M", 4096, 1LL << 32 },
	{ "fix_wall",          C_DURATION, "30m", 1, 7000 },
	{ "clone_timeout",     C_DURATION, "5m", 1, 3600 },
	{ "clone_max_size",    C_SIZE, "512M", 1 << 20, 1LL << 40 },
	{ "clone_fetch",       C_STR,  "auto", 0, 0 },
	{ "clone_hosts",       C_STR,  "", 0, 0 },
	{ "scan_lease",        C_DURATION, "2m", 5, 3600 },
	{ "scan_max_attempts", C_INT,  "5", 1, 100 },
	{ "scan_retry_base",   C_DURATION, "30s", 1, 86400 },
	{ "audit_anchors",     C_STR,  "/var/lib/lethe/audit-anchors", 0, 0 },
	{ "audit_anchor_max_age", C_DURATION, "2d", 60, 3650 * 86400LL },
	{ "retention_deliveries", C_DURATION, "30d", 3600, 3650 * 86400LL },
	{ "retention_jobs",    C_DURATION, "30d", 3600, 3650 * 86400LL },
	{ "github_api_url",    C_STR,  "https://api.github.com", 0, 0 },
	{ "gitlab_api_url",    C_STR,  "https://gitlab.com/api/v4", 0, 0 },
	{ "bitbucket_api_url", C_STR,  "https://api.bitbucket.org/2.0", 0, 0 },
	{ "bitbucket_dc_api_url", C_STR, "", 0, 0 },
	{ "http_timeout",      C_DURATION, "30s", 1, 600 },
	{ "report_give_up",    C_DURATION, "24h", 1, 604800 },
	{ "report_retry_base", C_DURATION, "30s", 1, 3600 },
	{ "test_pause_file",   C_STR,  "", 0, 0 },
	{ "log_max_age",       C_DURATION, "1d", 60, 3650 * 86400LL },
	{ "nginx_pid_file",    C_STR,  "", 0, 0 },
	{ "scrub_timer",       C_STR,  LETHE_UNITDIR "/lethe-scrub.timer", 0, 0 },
	{ "scrub_interval",    C_DURATION, "3m", 1, 7200 },
	{ "scrub_worst_case",  C_DURATION, "2m", 1, 7200 },
	{ "scrub_orphan_grace", C_DURATION, "2m", 1, 3600 },
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
