/*
 * ctl-migrate.c - lethectl migrate: apply sql/NNN_*.sql once each, in order,
 * each in its own transaction with its record and audit event; refuse to
 * go on when a file applied earlier has changed since.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "crypto.h"
#include "ctl.h"
#include "util.h"

#ifndef LETHE_SQL_DIR
#define LETHE_SQL_DIR "/usr/local/share/lethe/sql"
#endif

#define MIGRATION_MAX (4 << 20)

/* Migrations next to the binary (a build tree) win over the installed ones. */
static char *sql_dir(const char *given)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *dir;

	if (given)
		return xstrdup(given);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir = xasprintf("%s/../sql", dirname(exe));
		if (access(dir, R_OK | X_OK) == 0)
			return dir;
		free(dir);
	}
	return xstrdup(LETHE_SQL_DIR);
}

static int is_migration(const struct dirent *d)
{
	regex_t re;
	int ok;

	if (regcomp(&re, "^[0-9]{3}_[a-z0-9_]+\\.sql$", REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&re, d->d_name, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static int migrate_prepare(struct ctl *c)
{
	static const char sql[] =
		"CREATE SCHEMA IF NOT EXISTS lethe;"
		"CREATE TABLE IF NOT EXISTS lethe.schema_migrations ("
		" version text PRIMARY KEY, sha256 text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now());"
		"SET client_min_messages = warning;"
		"SELECT pg_advisory_lock(7406830)";	/* one migrate at a time */
	PGresult *res = PQexec(db_conn(c->db), sql);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		ctl_fail("unable to prepare migrations: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : 1;
}

/* 0: not applied yet; 1: applied with this hash; -1: applied, changed. */
static int migration_state(struct ctl *c, const char *version, const char *hash)
{
	PGresult *res;
	int st = 0;

	if (DB_QUERY(c->db, &res, "SELECT sha256 FROM lethe.schema_migrations WHERE version = $1",
		     version) < 0)
		return -2;
	if (PQntuples(res) == 1)
		st = strcmp(db_value(res, 0, 0), hash) == 0 ? 1 : -1;
	PQclear(res);
	return st;
}

/* The file is trusted input from the installation, run as a script. */
static int migration_apply(struct ctl *c, const char *version, const char *body, const char *hash)
{
	PGresult *res;
	char details[256];

	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	res = PQexec(db_conn(c->db), body);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		ctl_fail("migration '%s' failed: %s", version, PQresultErrorMessage(res));
		PQclear(res);
		db_rollback(c->db);
		return 1;
	}
	PQclear(res);
	snprintf(details, sizeof(details), "{\"version\": \"%s\", \"sha256\": \"%s\"}", version, hash);
	if (DB_QUERY(c->db, NULL, "INSERT INTO lethe.schema_migrations (version, sha256) VALUES ($1, $2)",
		     version, hash) < 0 ||
	    audit_append(c->db, 0, AUDIT_SYSTEM, c->actor, "migration applied", version, details, NULL) < 0)
		return ctl_db_fail(c, "recording the migration");
	if (db_commit(c->db) < 0)
		return ctl_db_fail(c, "commit");
	return 0;
}

static int migrate_one(struct ctl *c, const char *dir, const char *file, int *applied)
{
	char *path = xasprintf("%s/%s", dir, file), *body = NULL;
	char version[64], hash[65];
	unsigned char digest[32];
	size_t len;
	int st, rc = 1;

	snprintf(version, sizeof(version), "%.*s", (int)(strlen(file) - 4), file);
	if (read_file(path, MIGRATION_MAX, &body, &len) < 0) {
		ctl_fail("unable to read '%s': %s", path, strerror(errno));
		goto out;
	}
	crypto_sha256(body, len, digest);
	hex_encode(digest, sizeof(digest), hash);
	st = migration_state(c, version, hash);
	if (st == -2) {
		ctl_db_fail(c, "reading schema_migrations");
		goto out;
	}
	if (st == -1) {
		ctl_fail("migration '%s' changed after it was applied; refusing to go on", path);
		goto out;
	}
	rc = st == 1 ? 0 : migration_apply(c, version, body, hash);
	if (st == 0 && rc == 0) {
		(*applied)++;
		if (!c->json)
			printf("applied %s\n", version);
	}
out:
	free(body);
	free(path);
	return rc;
}

int ctl_migrate(struct ctl *c, int argc, char **argv)
{
	const char *given = NULL;
	struct ctl_opt opts[] = { { "dir", 1, &given }, { 0 } };
	struct dirent **list = NULL;
	char *dir;
	int n, i, rc = 0, applied = 0, oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_OWNER) || migrate_prepare(c))
		return 1;
	dir = sql_dir(given);
	n = scandir(dir, &list, is_migration, alphasort);
	if (n < 0)
		rc = ctl_fail("unable to list migrations in '%s': %s", dir, strerror(errno));
	for (i = 0; i < n && rc == 0; i++)
		rc = migrate_one(c, dir, list[i]->d_name, &applied);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(dir);
	if (rc == 0 && c->json)
		printf("{\"applied\": %d, \"total\": %d}\n", applied, n);
	else if (rc == 0 && applied == 0)
		printf("schema is current (%d migrations)\n", n);
	return rc;
}
