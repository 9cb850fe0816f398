/* audit.c - appending to the audit chain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "crypto.h"
#include "util.h"

int audit_append(struct db *db, int64_t org_id, const char *actor_type, const char *actor,
		 const char *action, const char *target, const char *details, int64_t *id)
{
	PGresult *res;
	char org[24];
	int r;

	i64s(org_id, org);
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

char *audit_canonical_text(const struct audit_event *e)
{
	char prev[65], org[24] = "";

	hex_encode(e->prev_hash, 32, prev);
	if (e->org_id)
		i64s(e->org_id, org);
	return xasprintf("lethe-audit-v1\n%s\n%lld\n%s\n%lld\n%s\n%s\n%s\n%s\n%s", prev,
			 (long long)e->id, org, (long long)e->ts_usec, e->actor_type, e->actor,
			 e->action, e->target, e->details);
}

/* PostgreSQL's numeric text of an epoch ("1795461299.152240") in microseconds. */
static int epoch_usec(const char *s, int64_t *out)
{
	int64_t secs, frac = 0;
	const char *dot = strchr(s, '.');
	char whole[24];
	int neg = *s == '-', digits = 0;

	if (!dot)
		dot = s + strlen(s);
	if ((size_t)(dot - s) >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, (size_t)(dot - s));
	whole[dot - s] = '\0';
	if (parse_i64(whole, -(INT64_MAX / 1000000), INT64_MAX / 1000000, &secs) < 0)
		return -EINVAL;
	for (const char *p = *dot ? dot + 1 : dot; *p; p++, digits++) {
		if (*p < '0' || *p > '9' || (digits >= 6 && *p != '0'))
			return -EINVAL;	/* timestamptz holds microseconds at most */
		if (digits < 6)
			frac = frac * 10 + (*p - '0');
	}
	for (; digits < 6; digits++)
		frac *= 10;
	*out = secs * 1000000 + (neg ? -frac : frac);
	return 0;
}

int audit_event_read(const PGresult *res, int r, struct audit_event *e)
{
	const char *ts = db_value(res, r, 2);

	memset(e, 0, sizeof(*e));
	e->id = db_int(res, r, 0);
	e->org_id = db_int(res, r, 1);
	e->actor_type = db_value(res, r, 3);
	e->actor = db_value(res, r, 4);
	e->action = db_value(res, r, 5);
	e->target = db_value(res, r, 6);
	e->details = db_value(res, r, 7);
	if (!ts || epoch_usec(ts, &e->ts_usec) < 0 || !e->actor_type || !e->actor || !e->action ||
	    !e->target || !e->details || !db_value(res, r, 8) || !db_value(res, r, 9) ||
	    hex_decode(db_value(res, r, 8), e->prev_hash, 32) < 0 ||
	    hex_decode(db_value(res, r, 9), e->hash, 32) < 0)
		return -EBADMSG;
	return 0;
}

/* Check one event against the running state of the walk. */
static int audit_check(struct audit_verify *v, const struct audit_event *e, int64_t prev_id)
{
	unsigned char want[32];
	char *text;

	v->bad_id = e->id;
	if (CRYPTO_memcmp(e->prev_hash, v->head, 32) != 0) {
		if (prev_id == 0)
			snprintf(v->why, sizeof(v->why), "prev_hash is not the chain start (zeros): "
				 "events before it were removed");
		else if (e->id != prev_id + 1)
			snprintf(v->why, sizeof(v->why), "prev_hash does not match the hash of "
				 "event %lld: events %lld to %lld are missing, or events were "
				 "reordered", (long long)prev_id, (long long)prev_id + 1,
				 (long long)e->id - 1);
		else
			snprintf(v->why, sizeof(v->why), "prev_hash does not match the hash of "
				 "event %lld: events were removed or reordered", (long long)prev_id);
		return -EBADMSG;
	}
	text = audit_canonical_text(e);
	crypto_sha256(text, strlen(text), want);
	free(text);
	if (CRYPTO_memcmp(want, e->hash, 32) != 0) {
		snprintf(v->why, sizeof(v->why), "hash does not match its contents (the event was "
			 "changed)");
		return -EBADMSG;
	}
	v->bad_id = 0;
	return 0;
}

#define AUDIT_PAGE "1000"

int audit_verify(struct db *db, struct audit_verify *v)
{
	PGresult *res = NULL;
	char after[24];
	int r = 0, n;

	v->events = v->org_events = v->head_id = v->bad_id = 0;
	memset(v->head, 0, sizeof(v->head));
	v->why[0] = '\0';
	do {
		i64s(v->head_id, after);
		r = DB_QUERY(db, &res, "SELECT " AUDIT_EVENT_COLUMNS " FROM lethe.audit_events "
			     "WHERE id > $1 ORDER BY id LIMIT " AUDIT_PAGE, after);
		if (r < 0)
			return r;
		n = PQntuples(res);
		for (int i = 0; i < n && r == 0; i++) {
			struct audit_event e;

			r = audit_event_read(res, i, &e);
			if (r < 0) {
				v->bad_id = db_int(res, i, 0);
				snprintf(v->why, sizeof(v->why), "a hashed field is NULL or malformed");
				break;
			}
			r = audit_check(v, &e, v->head_id);
			if (r == 0) {
				memcpy(v->head, e.hash, 32);
				v->head_id = e.id;
				v->events++;
				v->org_events += v->org_id && e.org_id == v->org_id;
			}
		}
		PQclear(res);
	} while (r == 0 && n > 0);
	return r;
}
