/* audit.c - appending to the audit chain. */
#include <stdio.h>

#include "audit.h"

int audit_append(struct db *db, int64_t org_id, const char *actor_type, const char *actor,
		 const char *action, const char *target, const char *details, int64_t *id)
{
	PGresult *res;
	char org[24];
	int r;

	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	r = DB_QUERY(db, &res, "SELECT lethe.audit_append(nullif($1, '0')::bigint, $2, $3, $4, $5, "
		     "coalesce($6, '{}')::jsonb)",
		     org, actor_type, actor, action, target ? target : "", details);
	if (r < 0)
		return r;
	if (id)
		*id = db_int(res, 0, 0);
	PQclear(res);
	return 0;
}
