/*
 * db_test.c - the PostgreSQL layer against the stack's server: parameters
 * travel apart from the SQL text, errors are one line with their SQLSTATE,
 * transactions, the org setting row-level security reads, and a lost
 * connection: re-established once outside a transaction, never inside one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "stack.h"
#include "tap.h"

static char value[256];

/* The first value of sql's result as text, "NULL", or "ERR <r>". */
static const char *q1(struct db *db, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int r = db_exec(db, &res, sql, n, params);
	const char *v;

	if (r < 0) {
		snprintf(value, sizeof(value), "ERR %d", r);
		return value;
	}
	v = PQntuples(res) > 0 ? db_value(res, 0, 0) : NULL;
	snprintf(value, sizeof(value), "%s", v ? v : "NULL");
	PQclear(res);
	return value;
}

static void test_params(struct db *db)
{
	const char *hostile = "x'); DROP TABLE lethe.orgs; --";
	PGresult *res = NULL;

	ok(strcmp(q1(db, "SELECT $1::int + $2::int", 2, (const char *const[]){ "2", "3" }), "5") == 0,
	   "parameters are bound: 2 + 3 = %s", value);
	ok(strcmp(q1(db, "SELECT $1::text", 1, (const char *const[]){ hostile }), hostile) == 0,
	   "a parameter holding SQL comes back as text, never run");
	ok(DB_QUERY(db, &res, "SELECT $1::bigint, 9007199254740993::bigint", NULL) == 0 &&
	   db_value(res, 0, 0) == NULL && db_int(res, 0, 0) == 0 && db_int(res, 0, 1) == 9007199254740993LL,
	   "a NULL parameter is SQL NULL (db_value NULL, db_int 0); db_int keeps 64 bits");
	PQclear(res);
}

static void test_errors(struct db *db)
{
	ok(strcmp(q1(db, "SELEC 1", 0, NULL), "ERR -5") == 0, "a statement that fails is -EIO");
	ok(strcmp(db_sqlstate(db), "42601") == 0, "its SQLSTATE is kept (%s)", db_sqlstate(db));
	ok(strstr(db_error(db), "syntax error") && !strchr(db_error(db), '\n'),
	   "and its error is one line: %s", db_error(db));
	ok(strcmp(q1(db, "SELECT 1", 0, NULL), "1") == 0, "the connection stays usable");
}

static void test_transactions(struct db *db)
{
	ok(db_begin(db) == 0 && db_in_transaction(db), "db_begin opens a transaction");
	ok(db_set_org(db, 42) == 0 &&
	   strcmp(q1(db, "SELECT current_setting('lethe.org_id', true)", 0, NULL), "42") == 0,
	   "db_set_org sets the org row-level security reads");
	ok(DB_QUERY(db, NULL, "CREATE TEMP TABLE db_test_t (v text)") == 0 &&
	   DB_QUERY(db, NULL, "INSERT INTO db_test_t VALUES ($1)", "a") == 0, "work inside it");
	db_rollback(db);
	ok(!db_in_transaction(db) &&
	   strcmp(q1(db, "SELECT to_regclass('pg_temp.db_test_t') IS NULL", 0, NULL), "t") == 0,
	   "db_rollback undoes it");
	ok(strcmp(q1(db, "SELECT coalesce(nullif(current_setting('lethe.org_id', true), ''), 'none')", 0, NULL),
		  "none") == 0, "and the org setting ended with the transaction (%s)", value);
	db_rollback(db);
	ok(!db_in_transaction(db), "db_rollback without a transaction is harmless");
	ok(db_begin(db) == 0 && DB_QUERY(db, NULL, "CREATE TEMP TABLE db_test_c (v text)") == 0 &&
	   db_commit(db) == 0 && !db_in_transaction(db) &&
	   strcmp(q1(db, "SELECT to_regclass('pg_temp.db_test_c') IS NOT NULL", 0, NULL), "t") == 0,
	   "db_commit keeps it");
}

/* Terminate db's server process from the connection other. */
static int kill_backend(struct db *other, struct db *db)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(db_conn(db)));
	return DB_QUERY(other, NULL, "SELECT pg_terminate_backend($1::int)", pid);
}

static void test_reconnect(struct db *db, struct db *other)
{
	int before = PQbackendPID(db_conn(db));

	ok(kill_backend(other, db) == 0, "the server ends the connection");
	ok(strcmp(q1(db, "SELECT 7", 0, NULL), "7") == 0 && PQbackendPID(db_conn(db)) != before,
	   "outside a transaction the next call reconnects and runs once");
	ok(db_begin(db) == 0 && kill_backend(other, db) == 0, "a transaction whose connection is ended");
	ok(strcmp(q1(db, "SELECT 8", 0, NULL), "ERR -107") == 0,
	   "is not silently continued on a new connection: -ENOTCONN (%s)", value);
	db_rollback(db);
	ok(strcmp(q1(db, "SELECT 9", 0, NULL), "9") == 0, "after the rollback the next call reconnects");
}

static void test_open_fails(const struct config *cfg)
{
	struct db *db = NULL;
	char *path = stack_config_path(), *text = NULL, *bad = NULL;
	struct config *badcfg = NULL;
	char why[256] = "", tmpl[] = "/tmp/lethe-db-test.XXXXXX";
	size_t len;
	FILE *f;

	int r = db_open(cfg, "no_such_role", &db);

	ok(r == -ENOTCONN && strstr(db_error(db), "no_such_role"), "an unknown role is -ENOTCONN, named: %s",
	   db_error(db));
	db_free(db);
	db = NULL;
	/* The stack's configuration with a server that is not there. */
	if (read_file(path, 1 << 20, &text, &len) == 0 && mkstemp(tmpl) >= 0 && (f = fopen(tmpl, "w"))) {
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
			fprintf(f, "%s%s\n", line, strncmp(line, "database", 8) == 0 ? " port=1" : "");
		fclose(f);
		bad = tmpl;
	}
	r = bad && config_load(bad, &badcfg, why, sizeof(why)) == 0 ? db_open(badcfg, DB_ROLE_ADMIN, &db) : -EINVAL;
	ok(r == -ENOTCONN && *db_error(db), "no server is -ENOTCONN with the reason: %s", db ? db_error(db) : why);
	ok(db && strcmp(q1(db, "SELECT 1", 0, NULL), "ERR -107") == 0, "and so is every call while it is away");
	db_free(db);
	config_free(badcfg);
	if (bad)
		unlink(bad);
	free(text);
	free(path);
}

int main(void)
{
	struct config *cfg = stack_config();
	struct db *db = NULL, *other = NULL;

	if (!cfg) {
		printf("1..0 # SKIP no local stack (scripts/stack up)\n");
		return 0;
	}
	if (db_open(cfg, DB_ROLE_OWNER, &db) < 0 || db_open(cfg, DB_ROLE_OWNER, &other) < 0) {
		printf("Bail out! cannot reach the stack's database: %s\n", db_error(other ? other : db));
		return 1;
	}
	test_params(db);
	test_errors(db);
	test_transactions(db);
	test_reconnect(db, other);
	test_open_fails(cfg);
	db_free(db);
	db_free(other);
	config_free(cfg);
	return done_testing();
}
