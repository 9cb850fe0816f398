/*
 * audit_test.c - the canonical text built in C equals the one the database
 * hashes (audit_canonical()), byte for byte, for awkward events; the chain
 * of the stack's database verifies.  Needs the local stack (LETHE_CONFIG).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "crypto.h"
#include "util.h"
#include "stack.h"
#include "tap.h"

struct event_case {
	int64_t org;
	const char *actor_type, *actor, *action, *target, *details;
};

static const struct event_case cases[] = {
	{ 0, AUDIT_SYSTEM, "audit_test", "test.plain", "", NULL },
	{ 0, AUDIT_USER, "ana@example.invalid", "test.unicode", "caf\xc3\xa9 \xe2\x9c\x93",
	  "{\"z\": 1, \"a\": [true, null, 2.50], \"s\": \"line\\nbreak \\\"q\\\" \xf0\x9f\x94\x91\"}" },
	{ 0, AUDIT_API_KEY, "lethe_abcdef", "test.nested", "repo 7",
	  "{\"deep\": {\"x\": {\"y\": [1, {\"k\": \"v\"}]}}, \"n\": -0.000001, \"big\": 12345678901234567890}" },
	{ 0, AUDIT_SYSTEM, "audit_test", "test.empty-ish", "  spaces  ", "{}" },
};

/* The database's canonical text and hash of event id. */
static int sql_canonical(struct db *db, int64_t id, char **text, unsigned char hash[32])
{
	PGresult *res;
	char s[24];
	int r;

	i64s(id, s);
	r = DB_QUERY(db, &res, "SELECT lethe.audit_canonical(prev_hash, id, org_id, ts, actor_type, "
		     "actor, action, target, details), encode(hash, 'hex') FROM lethe.audit_events "
		     "WHERE id = $1", s);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1 || hex_decode(db_value(res, 0, 1), hash, 32) < 0)
		r = -ENOENT;
	else
		*text = xstrdup(db_value(res, 0, 0));
	PQclear(res);
	return r;
}

static int c_canonical(struct db *db, int64_t id, char **text)
{
	struct audit_event e;
	PGresult *res;
	char s[24];
	int r;

	i64s(id, s);
	r = DB_QUERY(db, &res, "SELECT " AUDIT_EVENT_COLUMNS " FROM lethe.audit_events WHERE id = $1",
		     s);
	if (r < 0)
		return r;
	r = PQntuples(res) == 1 ? audit_event_read(res, 0, &e) : -ENOENT;
	if (r == 0)
		*text = audit_canonical_text(&e);
	PQclear(res);
	return r;
}

static void test_case(struct db *db, const struct event_case *c, int64_t org)
{
	unsigned char sql_hash[32], c_hash[32];
	char *sql_text = NULL, *c_text = NULL;
	int64_t id = 0;
	int r;

	r = audit_append(db, org, c->actor_type, c->actor, c->action, c->target, c->details, &id);
	if (!ok(r == 0 && id > 0, "%s appended as event %lld", c->action, (long long)id)) {
		diag("%s", db_error(db));
		return;
	}
	r = sql_canonical(db, id, &sql_text, sql_hash);
	if (r == 0)
		r = c_canonical(db, id, &c_text);
	ok(r == 0 && !strcmp(sql_text, c_text), "%s: C canonical text equals audit_canonical()",
	   c->action);
	if (r == 0)
		crypto_sha256(c_text, strlen(c_text), c_hash);
	ok(r == 0 && crypto_equal(c_hash, sql_hash, 32), "%s: its SHA-256 is the stored hash",
	   c->action);
	free(sql_text);
	free(c_text);
}

static int64_t some_org(struct db *db)
{
	PGresult *res;
	int64_t id = 0;

	if (DB_QUERY(db, &res, "INSERT INTO lethe.orgs (name) VALUES ('audittest-' || pg_backend_pid()) "
		     "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id") == 0) {
		id = db_int(res, 0, 0);
		PQclear(res);
	}
	return id;
}

int main(void)
{
	struct audit_verify v = { 0 };
	struct config *cfg = stack_config();
	struct db *db = NULL;
	int64_t org;
	int r;

	if (!cfg || db_open(cfg, DB_ROLE_ADMIN, &db) < 0 ||
	    DB_QUERY(db, NULL, "SELECT 1 FROM lethe.audit_events LIMIT 0") < 0) {
		printf("1..0 # SKIP no stack\n");
		db_free(db);
		config_free(cfg);
		return 0;
	}
	org = some_org(db);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		test_case(db, &cases[i], i % 2 ? org : 0);
	v.org_id = org;
	r = audit_verify(db, &v);
	ok(r == 0 && v.events >= 4, "the chain verifies (%lld events, %s)", (long long)v.events,
	   v.why[0] ? v.why : "no break");
	ok(v.org_events == 2, "two of them belong to the test org (%lld)", (long long)v.org_events);
	DB_QUERY(db, NULL, "DELETE FROM lethe.orgs WHERE name LIKE 'audittest-%'");
	db_free(db);
	config_free(cfg);
	return done_testing();
}
