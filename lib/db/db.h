/*
 * db.h - the one place Lethe talks to PostgreSQL.
 *
 * Queries take parameters only (text format); SQL text is always a constant
 * in the caller.  A lost connection is re-established once per call when no
 * transaction is open.  Errors: -ENOTCONN (server unreachable: TEMPFAIL),
 * -EIO (the statement failed; db_sqlstate()/db_error() say why).
 */
#ifndef LETHE_DB_H
#define LETHE_DB_H

#include <stdint.h>
#include <libpq-fe.h>

#include "config.h"

/* Database roles, one per kind of program (systemd/POSTURE.md lists their grants). */
#define DB_ROLE_OWNER "lethe_owner"	/* migrations */
#define DB_ROLE_ADMIN "lethe_admin"	/* lethectl */
#define DB_ROLE_HOOK  "lethe_hook"	/* lethe-hook */
#define DB_ROLE_API   "lethe_api"	/* lethe-api: row-level security per org */
#define DB_ROLE_SCAN  "lethe_scan"	/* lethe-scan */
#define DB_ROLE_FIX   "lethe_fix"	/* lethe-fix */
#define DB_ROLE_REPORT "lethe_report"	/* lethe-report */
#define DB_ROLE_LLM_PROXY "lethe_llm_proxy"	/* lethe-llm-proxy */
#define DB_ROLE_SCRUB "lethe_scrub"	/* lethe-scrub */
#define DB_ROLE_ROTATE "lethe_rotate"	/* lethe-rotate */
#define DB_ROLE_DRAIN "lethe_drain"	/* lethe-drain */

struct db;

/* Connects with the configuration's `database` conninfo plus user=role. */
int db_open(const struct config *cfg, const char *role, struct db **out);
void db_free(struct db *db);
PGconn *db_conn(struct db *db);

/*
 * Run sql with n text parameters (NULL = SQL NULL).  On success *res (if
 * res is not NULL) holds the result, which the caller PQclear()s.
 */
int db_exec(struct db *db, PGresult **res, const char *sql, int n, const char *const *params);
#define DB_NARGS(...) ((int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)))
#define DB_QUERY(db, res, sql, ...) \
	db_exec((db), (res), (sql), DB_NARGS(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ })

int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);	/* safe to call when no transaction is open */
/* Within a transaction: the org that row-level security lets the API see. */
int db_set_org(struct db *db, int64_t org_id);

const char *db_error(const struct db *db);	/* last error, one line */
const char *db_sqlstate(const struct db *db);	/* "" when none */
int db_in_transaction(const struct db *db);

/* Helpers for results: value of row r, column c (NULL when SQL NULL). */
const char *db_value(const PGresult *res, int r, int c);
int64_t db_int(const PGresult *res, int r, int c);	/* 0 when NULL */

#endif
