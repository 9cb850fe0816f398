/*
 * config.h - /etc/lethe/lethe.conf, or the file named by LETHE_CONFIG.
 *
 * Syntax: one "key = value" per line; blank lines and lines whose first
 * non-blank character is '#' are ignored; the value is the rest of the line
 * with surrounding blanks removed.  Every key is declared in config_keys.h
 * with a type, a default and bounds; unknown keys, repeated keys and bad values are errors
 * that name the file, the line and the key.  Keys starting with "scanner."
 * are free-form (extra scanners for lethe-analyze).
 */
#ifndef LETHE_CONFIG_H
#define LETHE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/lethe/lethe.conf"

struct config;

#define CONFIG_T_STR const char *
#define CONFIG_T_INT int64_t
#define CONFIG_T_SIZE int64_t		/* bytes */
#define CONFIG_T_DURATION int64_t	/* seconds */
#define CONFIG_T_BOOL int

/* One typed field per key: config_v(cfg)->checkout_max_age. */
struct config_values {
#define CONFIG_KEY(name, type, def, min, max) CONFIG_T_##type name;
#include "config_keys.h"
#undef CONFIG_KEY
};

/*
 * Load path (NULL: $LETHE_CONFIG, else CONFIG_DEFAULT_PATH).  On error
 * returns a negative errno and writes one line naming file, line and key
 * into why.  The caller owns *out and releases it with config_free().
 */
int config_load(const char *path, struct config **out, char *why, size_t whylen);
void config_free(struct config *c);

/*
 * The start of a program's main: config_load(NULL), then the log goes to
 * its log_file too (log_set_file).  A configuration that does not load
 * is logged and exits EXIT_PERMFAIL (100): it fails again until a person
 * fixes it.  The caller owns the result (config_free()).
 */
struct config *config_start(void);
const char *config_path(const struct config *c);

/* The loaded values, valid until config_free(). */
const struct config_values *config_v(const struct config *c);

/* Values; asking for an undeclared key or the wrong type aborts (a bug). */
const char *config_str(const struct config *c, const char *key);
int64_t config_int(const struct config *c, const char *key);	/* ints, sizes (bytes), durations (s) */
int config_bool(const struct config *c, const char *key);

/* Free-form keys with a prefix ("scanner."): calls fn for each. */
void config_each_prefixed(const struct config *c, const char *prefix,
			  void (*fn)(const char *key, const char *value, void *arg), void *arg);

#endif
