/* fixseal.c - a fix's sealed patch; see fixseal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixseal.h"
#include "util.h"

int fixseal_store(struct db *db, const struct keyring *kr, const struct config *cfg,
		  int64_t org, int64_t fix, const void *patch, size_t len)
{
	char o[24], f[24], n[24], age[24], *blob = NULL;
	PGresult *res = NULL;
	int r;

	if (len > FIXSEAL_MAX)
		return -EFBIG;
	i64s(org, o);
	i64s(fix, f);
	snprintf(n, sizeof(n), "%zu", len);
	i64s(config_v(cfg)->checkout_max_age, age);
	r = secret_seal(db, kr, org, "fixes", "patch_enc", fix, patch, len, &blob);
	if (r == 0)
		r = DB_QUERY(db, &res, "UPDATE lethe.fixes SET patch_enc = $3, patch_bytes = $4, "
			     "sealed_at = now(), deadline = now() + make_interval(secs => $5), "
			     "destroyed_at = NULL, destroy_reason = NULL "
			     "WHERE org_id = $1 AND id = $2 RETURNING id", o, f, blob, n, age);
	if (r == 0 && PQntuples(res) != 1)
		r = -ENOENT;
	PQclear(res);
	free(blob);
	return r;
}

int fixseal_open(struct db *db, const struct keyring *kr, int64_t org, int64_t fix,
		 struct secbuf *out)
{
	char o[24], f[24];
	PGresult *res = NULL;
	int r;

	i64s(org, o);
	i64s(fix, f);
	r = DB_QUERY(db, &res, "SELECT patch_enc FROM lethe.fixes WHERE org_id = $1 AND id = $2 "
		     "AND patch_enc IS NOT NULL AND deadline > now()", o, f);
	if (r == 0 && PQntuples(res) != 1)
		r = -ENOENT;
	if (r == 0)
		r = secret_open(db, kr, org, "fixes", "patch_enc", fix, db_value(res, 0, 0), out);
	PQclear(res);
	return r;
}
