/*
 * config.h - /etc/lethe/lethe.conf, or the file named by LETHE_CONFIG.
 *
 * Syntax: one "key = value" per line; blank lines and lines whose first
 * non-blank character is '#' are ignored; the value is the rest of the line
 * with surrounding blanks removed.  Every key is declared in config.c with a
 * type and a default; unknown keys, repeated keys and bad values are errors
 * that name the file, the line and the key.  Keys starting with "scanner."
 * are free-form (extra scanners for lethe-analyze).
 */
#ifndef LETHE_CONFIG_H
#define LETHE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/lethe/lethe.conf"

struct config;

/*
 * Load path (NULL: $LETHE_CONFIG, else CONFIG_DEFAULT_PATH).  On error
 * returns a negative errno and writes one line naming file, line and key
 * into why.  The caller owns *out and releases it with config_free().
 */
int config_load(const char *path, struct config **out, char *why, size_t whylen);
void config_free(struct config *c);
const char *config_path(const struct config *c);

/* Values; asking for an undeclared key or the wrong type aborts (a bug). */
const char *config_str(const struct config *c, const char *key);
int64_t config_int(const struct config *c, const char *key);	/* ints, sizes (bytes), durations (s) */
int config_bool(const struct config *c, const char *key);

/* Free-form keys with a prefix ("scanner."): calls fn for each. */
void config_each_prefixed(const struct config *c, const char *prefix,
			  void (*fn)(const char *key, const char *value, void *arg), void *arg);

#endif
