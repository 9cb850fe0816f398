/* db.c - libpq connection with reconnect and parameter-only queries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

struct db {
	PGconn *conn;
	char *conninfo;
	char error[512];
	char sqlstate[6];
	int in_tx;
};

static void db_set_error(struct db *db, const char *msg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char *nl;

	snprintf(db->error, sizeof(db->error), "%s", msg ? msg : "unknown error");
	nl = strchr(db->error, '\n');
	if (nl)
		*nl = '\0';
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
}

static int db_connect(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, PQerrorMessage(db->conn), NULL);
		return -ENOTCONN;
	}
	return 0;
}

int db_open(const struct config *cfg, const char *role, struct db **out)
{
	struct db *db = xcalloc(1, sizeof(*db));
	int r;

	db->conninfo = xasprintf("%s user=%s application_name=%s connect_timeout=5",
				 config_v(cfg)->database, role, role);
	r = db_connect(db);
	*out = db;	/* even on failure: the caller reads db_error() then frees */
	return r;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

PGconn *db_conn(struct db *db) { return db->conn; }
const char *db_error(const struct db *db) { return db->error; }
const char *db_sqlstate(const struct db *db) { return db->sqlstate; }
int db_in_transaction(const struct db *db) { return db->in_tx; }

static PGresult *db_try(struct db *db, const char *sql, int n, const char *const *params)
{
	return PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
}

int db_exec(struct db *db, PGresult **res, const char *sql, int n, const char *const *params)
{
	PGresult *r;
	ExecStatusType st;

	if (res)
		*res = NULL;
	if (PQstatus(db->conn) != CONNECTION_OK && (db->in_tx || db_connect(db) < 0))
		return -ENOTCONN;
	r = db_try(db, sql, n, params);
	if (PQstatus(db->conn) != CONNECTION_OK && !db->in_tx) {
		/* The server went away since the last call: one fresh try. */
		PQclear(r);
		if (db_connect(db) < 0)
			return -ENOTCONN;
		r = db_try(db, sql, n, params);
	}
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_set_error(db, PQresultErrorMessage(r), r);
		PQclear(r);
		return PQstatus(db->conn) == CONNECTION_OK ? -EIO : -ENOTCONN;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return 0;
}

int db_begin(struct db *db)
{
	int r = db_exec(db, NULL, "BEGIN", 0, NULL);

	if (r == 0)
		db->in_tx = 1;
	return r;
}

int db_commit(struct db *db)
{
	int r = db_exec(db, NULL, "COMMIT", 0, NULL);

	db->in_tx = 0;
	return r;
}

void db_rollback(struct db *db)
{
	if (db->in_tx && PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->in_tx = 0;
}

int db_set_org(struct db *db, int64_t org_id)
{
	char id[24];

	i64s(org_id, id);
	return DB_QUERY(db, NULL, "SELECT set_config('lethe.org_id', $1, true)", id);
}

const char *db_value(const PGresult *res, int r, int c)
{
	if (PQgetisnull(res, r, c))
		return NULL;
	return PQgetvalue(res, r, c);
}

int64_t db_int(const PGresult *res, int r, int c)
{
	const char *v = db_value(res, r, c);

	return v ? strtoll(v, NULL, 10) : 0;
}
