/*
 * audit.h - the append-only, hash-chained audit log (invariant 9).
 *
 * Events are appended by the SQL function lethe.audit_append(), which holds
 * the chain lock until the transaction ends, so call audit_append() inside
 * the same transaction as the change it records, near its end.
 */
#ifndef LETHE_AUDIT_H
#define LETHE_AUDIT_H

#include <stdint.h>

#include "db.h"

#define AUDIT_USER    "user"
#define AUDIT_API_KEY "api_key"
#define AUDIT_SYSTEM  "system"

/*
 * org_id 0 means a system-wide event.  details is a JSON object (NULL: {});
 * it must never hold a secret or any repository content.  The new event's
 * id goes to *id when id is not NULL.
 */
int audit_append(struct db *db, int64_t org_id, const char *actor_type, const char *actor,
		 const char *action, const char *target, const char *details, int64_t *id);

#endif
