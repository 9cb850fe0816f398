/*
 * ctl-audit.c - lethectl audit verify, audit export, audit tail.
 *
 * verify recomputes the chain in C from the stored columns (lib/audit.c),
 * never trusting the database's own audit_canonical(); export writes every
 * hashed field, the canonical text and both hashes, so that an auditor can
 * check the chain with sha256sum (man lethectl, AUDIT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ctl.h"
#include "util.h"

#define EXPORT_PAGE "1000"
#define TAIL_DEFAULT 20
#define TAIL_MAX 10000
#define SINCE_MAX 64

static void verify_print(const struct ctl *c, const struct audit_verify *v, const char *org,
			 int broken)
{
	json_object *o = json_object_new_object();
	char head[65];

	hex_encode(v->head, sizeof(v->head), head);
	json_object_object_add(o, "verified", json_object_new_boolean(!broken));
	json_object_object_add(o, "events", json_object_new_int64(v->events));
	if (org)
		json_object_object_add(o, "org_events", json_object_new_int64(v->org_events));
	json_object_object_add(o, broken ? "last_good_id" : "head_id",
			       json_object_new_int64(v->head_id));
	json_object_object_add(o, broken ? "last_good_hash" : "head_hash",
			       json_object_new_string(head));
	if (broken) {
		json_object_object_add(o, "event", json_object_new_int64(v->bad_id));
		json_object_object_add(o, "reason", json_object_new_string(v->why));
	}
	if (c->json || !broken)
		ctl_print_object(c, o);
	else
		json_object_put(o);
}

int ctl_audit_verify(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL;
	struct ctl_opt opts[] = { { "org", 1, &org }, { 0 } };
	struct audit_verify v = { 0 };
	int oi, r;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN) || (org && !(v.org_id = ctl_org(c, org))))
		return 1;
	r = audit_verify(c->db, &v);
	if (r == -EBADMSG) {
		verify_print(c, &v, org, 1);
		return ctl_fail("audit chain broken at event %lld: %s", (long long)v.bad_id, v.why);
	}
	if (r < 0)
		return ctl_db_fail(c, "reading the audit log");
	verify_print(c, &v, org, 0);
	return 0;
}

/* One exported event: every hashed field, the canonical text and both hashes. */
static json_object *export_event(const PGresult *res, int i, int *bad)
{
	struct audit_event e;
	json_object *o = json_object_new_object();
	char hex[65], *text;

	*bad = audit_event_read(res, i, &e) < 0;
	json_object_object_add(o, "id", json_object_new_int64(e.id));
	json_object_object_add(o, "org_id", e.org_id ? json_object_new_int64(e.org_id) : NULL);
	json_object_object_add(o, "ts", json_object_new_string(db_value(res, i, 10)));
	json_object_object_add(o, "ts_usec", json_object_new_int64(e.ts_usec));
	json_object_object_add(o, "actor_type", json_object_new_string(e.actor_type ? e.actor_type : ""));
	json_object_object_add(o, "actor", json_object_new_string(e.actor ? e.actor : ""));
	json_object_object_add(o, "action", json_object_new_string(e.action ? e.action : ""));
	json_object_object_add(o, "target", json_object_new_string(e.target ? e.target : ""));
	json_object_object_add(o, "details", json_object_new_string(e.details ? e.details : ""));
	hex_encode(e.prev_hash, 32, hex);
	json_object_object_add(o, "prev_hash", json_object_new_string(hex));
	hex_encode(e.hash, 32, hex);
	json_object_object_add(o, "hash", json_object_new_string(hex));
	if (!*bad) {
		text = audit_canonical_text(&e);
		json_object_object_add(o, "canonical", json_object_new_string(text));
		free(text);
	}
	return o;
}

/* Print one page of events after *after; returns rows printed or -1. */
static int export_page(struct ctl *c, const char *since, int64_t *after, int *first)
{
	PGresult *res;
	char a[24];
	int n, bad;

	snprintf(a, sizeof(a), "%lld", (long long)*after);
	if (DB_QUERY(c->db, &res, "SELECT " AUDIT_EVENT_COLUMNS ", to_char(ts AT TIME ZONE 'UTC', "
		     "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM lethe.audit_events "
		     "WHERE id > $1 AND ts >= $2::timestamptz ORDER BY id LIMIT " EXPORT_PAGE,
		     a, since) < 0)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		json_object *o = export_event(res, i, &bad);

		if (c->json && !*first)
			putchar(',');
		fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), stdout);
		if (!c->json)
			putchar('\n');
		*first = 0;
		*after = db_int(res, i, 0);
		json_object_put(o);
	}
	PQclear(res);
	return n;
}

int ctl_audit_export(struct ctl *c, int argc, char **argv)
{
	const char *since = NULL;
	struct ctl_opt opts[] = { { "since", 1, &since }, { 0 } };
	int64_t after = 0;
	int oi, n, first = 1;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	if (since && (strlen(since) == 0 || strlen(since) > SINCE_MAX))
		return ctl_fail("bad --since '%.*s': expected a time such as 2026-11-23T19:00Z",
				SINCE_MAX, since);
	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	if (since && DB_QUERY(c->db, NULL, "SELECT $1::timestamptz", since) < 0)
		return ctl_fail("bad --since '%s': not a time (try 2026-11-23T19:00Z)", since);
	if (c->json)
		putchar('[');
	while ((n = export_page(c, since ? since : "-infinity", &after, &first)) > 0)
		;
	if (c->json)
		puts("]");
	if (n < 0)
		return ctl_fail("reading the audit log failed: %s", db_error(c->db));
	return fflush(stdout) == 0 ? 0 : ctl_fail("unable to write the export: %s", strerror(errno));
}

/* "-n N", "-nN", "--lines N" or "--lines=N"; 0 or 2 (usage). */
static int tail_args(int argc, char **argv, int64_t *n)
{
	const char *v = NULL;

	if (argc == 3 && (!strcmp(argv[1], "-n") || !strcmp(argv[1], "--lines")))
		v = argv[2];
	else if (argc == 2 && !strncmp(argv[1], "-n", 2) && argv[1][2])
		v = argv[1] + 2;
	else if (argc == 2 && !strncmp(argv[1], "--lines=", 8))
		v = argv[1] + 8;
	else if (argc != 1)
		return 2;
	if (v && parse_i64(v, 1, TAIL_MAX, n) < 0) {
		ctl_fail("bad -n '%s': expected 1 to %d", v, TAIL_MAX);
		return 2;
	}
	return 0;
}

int ctl_audit_tail(struct ctl *c, int argc, char **argv)
{
	PGresult *res;
	int64_t n = TAIL_DEFAULT;
	char lim[24];

	if (tail_args(argc, argv, &n))
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	snprintf(lim, sizeof(lim), "%lld", (long long)n);
	if (DB_QUERY(c->db, &res, "SELECT e.id, to_char(e.ts AT TIME ZONE 'UTC', "
		     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS ts, o.name AS org, e.actor_type, e.actor, "
		     "e.action, e.target, e.details, e.org_id FROM (SELECT * FROM lethe.audit_events "
		     "ORDER BY id DESC LIMIT $1) e LEFT JOIN lethe.orgs o ON o.id = e.org_id "
		     "ORDER BY e.id", lim) < 0)
		return ctl_db_fail(c, "reading the audit log");
	ctl_print_result(c, res);
	PQclear(res);
	return 0;
}
