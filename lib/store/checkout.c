/* checkout.c - the rows of the checkouts table. */
#include <stdio.h>
#include <string.h>

#include "checkout.h"
#include "util.h"

int checkout_insert(struct db *db, int64_t org, int64_t repo, int64_t job, const char *host,
		    const char *backend, int64_t max_age, int64_t *id, char *name, size_t size)
{
	char o[I64S_MAX], rp[I64S_MAX], j[I64S_MAX], age[I64S_MAX];
	PGresult *res = NULL;
	int r;

	r = DB_QUERY(db, &res,
		     "WITH n AS (SELECT nextval('lethe.checkouts_id_seq') AS id) "
		     "INSERT INTO lethe.checkouts (id, org_id, repository_id, job_id, host, name, "
		     " backend, cipher, deadline) SELECT n.id, $1, $2, $3, $4, 'c' || n.id, $5, $6, "
		     " now() + make_interval(secs => $7::int) FROM n RETURNING id, name",
		     i64s(org, o), i64s(repo, rp), i64s(job, j), host, backend,
		     strcmp(backend, "luks2") ? "aes-256-xts" : "aes-xts-plain64", i64s(max_age, age));
	if (r < 0)
		return r;
	*id = db_int(res, 0, 0);
	snprintf(name, size, "%s", db_value(res, 0, 1));
	PQclear(res);
	return 0;
}

int checkout_mounted(struct db *db, int64_t id, const char *backend, const char *cipher,
		    const char *path)
{
	char i[I64S_MAX];

	return DB_QUERY(db, NULL, "UPDATE lethe.checkouts SET backend = $2, cipher = $3, path = $4 "
			"WHERE id = $1", i64s(id, i), backend, cipher, path);
}

int checkout_ended(struct db *db, int64_t id, const char *reason, const char *ended,
		   int64_t teardown_usec)
{
	char i[I64S_MAX], us[I64S_MAX];

	return DB_QUERY(db, NULL, "UPDATE lethe.checkouts SET destroyed_at = now(), "
			"destroy_reason = $2, ended = $3, teardown_usec = $4 WHERE id = $1",
			i64s(id, i), reason, ended, i64s(teardown_usec, us));
}
