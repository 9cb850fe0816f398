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

/*
 * One stored event as verification reads it: every field hashed, as text
 * (ts as microseconds since the epoch, org 0 when NULL, details as
 * details::text), and both hashes.
 */
struct audit_event {
	int64_t id;
	int64_t org_id;			/* 0: system-wide (NULL) */
	int64_t ts_usec;
	const char *actor_type, *actor, *action, *target, *details;
	unsigned char prev_hash[32], hash[32];
};

/*
 * The canonical text hashed for an event, built here exactly as the SQL
 * function audit_canonical() builds it: the lines "lethe-audit-v1",
 * prev_hash in lowercase hex, id, org (empty when none), ts_usec,
 * actor_type, actor, action, target and details, joined by "\n" with no
 * final newline.  The caller frees it.
 */
char *audit_canonical_text(const struct audit_event *e);
/* Fill e from row r of a result of AUDIT_EVENT_COLUMNS; strings point into res. */
int audit_event_read(const PGresult *res, int r, struct audit_event *e);
#define AUDIT_EVENT_COLUMNS "id, org_id, extract(epoch FROM ts)::text, actor_type, actor, " \
	"action, target, details::text, encode(prev_hash, 'hex'), encode(hash, 'hex')"

struct audit_verify {
	int64_t org_id;			/* in: count the events of this org (0: none) */
	int64_t events, org_events;	/* out: events verified */
	int64_t head_id;		/* out: the last event verified */
	unsigned char head[32];
	int64_t bad_id;			/* out on -EBADMSG: the first event that fails */
	char why[256];			/* out on -EBADMSG: what is wrong with it */
};
/*
 * Walk the whole chain in id order, recomputing each event's hash from its
 * columns and checking that it names its predecessor's hash.  0 when it
 * holds, -EBADMSG at the first break, another -errno when the database
 * fails.
 */
int audit_verify(struct db *db, struct audit_verify *v);

#endif
