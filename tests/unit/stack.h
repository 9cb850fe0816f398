/*
 * stack.h - the local stack's configuration, for the unit tests that need its
 * database: $LETHE_CONFIG, else ${LETHE_RUN:-run}/lethe.conf; and a database
 * of a test's own on the stack's server, for tests that need a table to
 * themselves (the stack's jobs and other tests share the stack's).
 */
#ifndef LETHE_TEST_STACK_H
#define LETHE_TEST_STACK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "util.h"

/* The configuration's path: $LETHE_CONFIG, else ${LETHE_RUN:-run}/lethe.conf (free it). */
static inline char *stack_config_path(void)
{
	const char *env = getenv("LETHE_CONFIG"), *run = getenv("LETHE_RUN");

	return env && *env ? xstrdup(env) : xasprintf("%s/lethe.conf", run && *run ? run : "run");
}

/* The loaded configuration (config_free it), or NULL when there is no readable one. */
static inline struct config *stack_config(void)
{
	char *path = stack_config_path();
	struct config *cfg = NULL;
	char why[512];

	if (access(path, R_OK) != 0 || config_load(path, &cfg, why, sizeof(why)) < 0)
		cfg = NULL;
	free(path);
	return cfg;
}

/* Run one statement as the server's superuser in database db; 0 or -1 (said on stderr). */
static inline int stack_superuser_exec(const struct config *cfg, const char *db, const char *sql)
{
	char *conninfo = xasprintf("%s dbname=%s user=postgres", config_str(cfg, "database"), db);
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	int r = res && PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

	if (r < 0)
		fprintf(stderr, "# %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	free(conninfo);
	return r;
}

/*
 * A fresh database named name on the stack's server, migrated by
 * bin/lethectl: its configuration's path (written under /tmp; free it), or
 * NULL when there is no stack.  stack_private_drop removes both.
 */
static inline char *stack_private_db(const char *name)
{
	struct config *cfg = stack_config();
	char *path = NULL, *text = NULL, *cmd;
	char tmpl[] = "/tmp/lethe-unit-db.XXXXXX";
	size_t len;
	FILE *f;

	if (!cfg)
		return NULL;
	{
		char *src = stack_config_path();
		int r = read_file(src, 1 << 20, &text, &len);

		free(src);
		if (r < 0)
			goto out;
	}
	{
		char *sql = xasprintf("CREATE DATABASE %s OWNER lethe_owner", name);
		int r = stack_superuser_exec(cfg, "postgres", sql);

		free(sql);
		if (r < 0)
			goto out;
	}
	if (mkstemp(tmpl) < 0 || !(f = fopen(tmpl, "w")))
		goto out;
	/* The same file with the database's name replaced: a later dbname wins in a conninfo. */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "database", 8) == 0)
			fprintf(f, "%s dbname=%s\n", line, name);
		else
			fprintf(f, "%s\n", line);
	if (fclose(f) != 0)
		goto out;
	cmd = xasprintf("LETHE_CONFIG=%s bin/lethectl migrate >/dev/null", tmpl);
	if (system(cmd) == 0)
		path = xstrdup(tmpl);
	free(cmd);
out:
	free(text);
	config_free(cfg);
	return path;
}

static inline void stack_private_drop(char *path, const char *name)
{
	struct config *cfg = stack_config();
	char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);

	if (cfg)
		stack_superuser_exec(cfg, "postgres", sql);
	if (path)
		unlink(path);
	free(sql);
	free(path);
	config_free(cfg);
}

#endif
