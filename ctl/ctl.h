/*
 * ctl.h - what lethectl's commands share.
 *
 * A command is a row of the table in lethectl.c: name, optional sub-command,
 * the function, a usage line.  Commands return 0, 1 (error, already printed
 * to stderr) or 2 (usage).  With --json, a command prints exactly one JSON
 * document on stdout.
 */
#ifndef LETHE_CTL_H
#define LETHE_CTL_H

#include <stdint.h>
#include <json-c/json.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"

struct ctl {
	struct config *cfg;
	struct db *db;
	struct keyring *kr;
	struct target_list *targets;	/* clone_hosts, loaded by ctl_url_check */
	int json;
	char actor[64];		/* audit actor: "lethectl:<user>" */
};

struct ctl_cmd {
	const char *name;
	const char *sub;	/* NULL: no sub-command */
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *usage;	/* arguments after "lethectl name sub" */
};

/* Load the configuration (once): commands read it only when they need it,
 * so that usage errors and --help come before it; prints the error. */
int ctl_config(struct ctl *c);
/* Open the database as role (once per process); prints the error. */
int ctl_db(struct ctl *c, const char *role);
/* Load the master keys (once); prints the error. */
int ctl_keyring(struct ctl *c);
/* Whether url may be connected to (target_check against clone_hosts); prints
 * "WHAT refused: ..." and returns 1 when not. */
int ctl_url_check(struct ctl *c, const char *what, const char *url);
/* Print msg to stderr as "lethectl: ..." and return 1. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the usage line of the running command and return 2. */
int ctl_usage(void);
/* Print a query result: JSON array of objects, or a tab-separated table. */
void ctl_print_result(const struct ctl *c, const PGresult *res);
/* Print one JSON object (--json) or its "key: value" lines; takes ownership. */
void ctl_print_object(const struct ctl *c, json_object *o);
/* Org id by name or numeric id; prints the error and returns 0 when unknown. */
int64_t ctl_org(struct ctl *c, const char *name);
/* Run a read-only query as lethe_admin and print its rows; 0 or 1. */
int ctl_list(struct ctl *c, const char *what, const char *sql, int n, const char *const *params);
#define CTL_LIST(c, what, sql, ...) \
	ctl_list((c), (what), (sql), DB_NARGS(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ })

/* A one-line secret from a file ("-": stdin), without its final newline, in
 * a secbuf (caller releases); prints the error. */
int ctl_read_secret(const char *path, struct secbuf *out);

/* Abort a transaction after a failed statement: rollback, print, return 1. */
int ctl_db_fail(struct ctl *c, const char *what);

/* getopt_long wrapper: long options only, "--name value" or "--name=value". */
struct ctl_opt {
	const char *name;
	int has_arg;
	const char **value;	/* set to the argument, or "1" for flags */
};
int ctl_parse(int argc, char **argv, struct ctl_opt *opts, int *optind_out);

/* The commands, one function each (table in lethectl.c). */
int ctl_migrate(struct ctl *c, int argc, char **argv);
int ctl_keys_init(struct ctl *c, int argc, char **argv);
int ctl_keys_rotate_master(struct ctl *c, int argc, char **argv);
int ctl_keys_rotate_org(struct ctl *c, int argc, char **argv);
int ctl_audit_verify(struct ctl *c, int argc, char **argv);
int ctl_audit_checkpoint(struct ctl *c, int argc, char **argv);
int ctl_audit_export(struct ctl *c, int argc, char **argv);
int ctl_audit_tail(struct ctl *c, int argc, char **argv);
int ctl_org_create(struct ctl *c, int argc, char **argv);
int ctl_org_list(struct ctl *c, int argc, char **argv);
int ctl_user_add(struct ctl *c, int argc, char **argv);
int ctl_repo_add(struct ctl *c, int argc, char **argv);
int ctl_repo_set(struct ctl *c, int argc, char **argv);
int ctl_repo_list(struct ctl *c, int argc, char **argv);
int ctl_repo_remove(struct ctl *c, int argc, char **argv);
int ctl_integration_add(struct ctl *c, int argc, char **argv);
int ctl_integration_list(struct ctl *c, int argc, char **argv);
int ctl_integration_remove(struct ctl *c, int argc, char **argv);
int ctl_jobs(struct ctl *c, int argc, char **argv);
int ctl_checkouts(struct ctl *c, int argc, char **argv);
int ctl_findings(struct ctl *c, int argc, char **argv);
int ctl_deps(struct ctl *c, int argc, char **argv);
int ctl_advisories_import(struct ctl *c, int argc, char **argv);
int ctl_advisories_status(struct ctl *c, int argc, char **argv);

#endif
