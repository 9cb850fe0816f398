/*
 * ctl-audit.c - lethectl audit verify, audit checkpoint, audit export, audit tail.
 *
 * verify recomputes the chain in C from the stored columns (lib/store/audit.c),
 * never trusting the database's own audit_canonical(), then checks it
 * against the anchors outside the database (lib/store/anchor.c), which
 * checkpoint appends to; export writes every
 * hashed field, the canonical text and both hashes, so that an auditor can
 * check the chain with sha256sum (man lethectl, AUDIT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor.h"
#include "audit.h"
#include "ctl.h"
#include "log.h"
#include "util.h"

#define EXPORT_PAGE "1000"
#define TAIL_DEFAULT 20
#define TAIL_MAX 10000
#define SINCE_MAX 64

static void verify_print(const struct ctl *c, const struct anchor_check *k, const char *org,
			 int broken)
{
	const struct audit_verify *v = &k->chain;
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
	json_object_object_add(o, "anchors", json_object_new_int64(k->anchors));
	json_object_object_add(o, "anchors_unverifiable", json_object_new_int64(k->unverifiable));
	if (k->anchors) {
		json_object_object_add(o, "newest_anchor_id", json_object_new_int64(k->newest.id));
		json_object_object_add(o, "newest_anchor_time", json_object_new_int64(k->newest.time));
	}
	if (broken && k->bad_id)
		json_object_object_add(o, "event", json_object_new_int64(k->bad_id));
	if (broken && k->bad_line)
		json_object_object_add(o, "anchor_line", json_object_new_int64(k->bad_line));
	if (broken)
		json_object_object_add(o, "reason", json_object_new_string(k->why));
	if (c->json || !broken)
		ctl_print_object(c, o);
	else
		json_object_put(o);
}

/* What the anchors say beyond the chain itself: fresh enough, some verifying. */
static int anchors_current(const struct ctl *c, struct anchor_check *k, const char *path)
{
	int64_t max = config_v(c->cfg)->audit_anchor_max_age, now = time(NULL);

	if (k->anchors == 0 && k->unverifiable > 0)
		snprintf(k->why, sizeof(k->why), "no anchor in '%s' verifies under the master keys "
			 "now in the key file (%lld under versions since dropped): run lethectl "
			 "audit checkpoint", path, (long long)k->unverifiable);
	else if (k->anchors > 0 && now - k->newest.time > max)
		snprintf(k->why, sizeof(k->why), "the newest anchor in '%s' (event %lld, line %lld) is "
			 "%lld s old, more than audit_anchor_max_age (%lld s): is lethe-rotate running?",
			 path, (long long)k->newest.id, (long long)k->newest.line,
			 (long long)(now - k->newest.time), (long long)max);
	else
		return 0;
	return -ESTALE;
}

/* Chain, then anchors; prints the failure. */
static int verify_fail(struct ctl *c, struct anchor_check *k, const char *org, int r)
{
	if (r == -EBADMSG || r == -ESTALE)
		verify_print(c, k, org, 1);
	if (r == -EBADMSG && k->bad_id)
		return ctl_fail("audit chain broken at event %lld: %s", (long long)k->bad_id, k->why);
	if (r == -EBADMSG || r == -ESTALE)
		return ctl_fail("audit anchors: %s", k->why);
	return ctl_fail("%s", k->why);
}

int ctl_audit_verify(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL, *path;
	struct ctl_opt opts[] = { { "org", 1, &org }, { 0 } };
	struct anchor_check k = { 0 };
	int oi, r;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN) || ctl_keyring(c) || (org && !(k.chain.org_id = ctl_org(c, org))))
		return 1;
	path = config_v(c->cfg)->audit_anchors;
	r = anchor_verify(c->db, c->kr, path, &k);
	if (r == 0)
		r = anchors_current(c, &k, path);
	if (r < 0)
		return verify_fail(c, &k, org, r);
	if (k.anchors + k.unverifiable == 0)
		fprintf(stderr, "lethectl: no audit anchor in '%s' yet: the chain is checked only "
			"against itself (lethe-rotate and lethectl audit checkpoint write anchors)\n",
			path);
	verify_print(c, &k, org, 0);
	return 0;
}

/* Verify, then anchor the chain's last event outside the database. */
int ctl_audit_checkpoint(struct ctl *c, int argc, char **argv)
{
	struct anchor_check k = { 0 };
	const char *path;
	json_object *o;
	char hash[65];
	int r;

	if (argc != 1)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN) || ctl_keyring(c))
		return 1;
	path = config_v(c->cfg)->audit_anchors;
	r = anchor_checkpoint(c->db, c->kr, path, time(NULL), &k);
	if (r < 0)
		return verify_fail(c, &k, NULL, r);
	hex_encode(k.newest.hash, 32, hash);
	log_notice("audit anchor written to '%s': event %lld hash %s", path, (long long)k.newest.id,
		   hash);
	o = json_object_new_object();
	json_object_object_add(o, "anchored_id", json_object_new_int64(k.newest.id));
	json_object_object_add(o, "anchored_hash", json_object_new_string(hash));
	json_object_object_add(o, "time", json_object_new_int64(k.newest.time));
	json_object_object_add(o, "master_version", json_object_new_int(k.newest.version));
	json_object_object_add(o, "file", json_object_new_string(path));
	ctl_print_object(c, o);
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

	i64s(*after, a);
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
	i64s(n, lim);
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
