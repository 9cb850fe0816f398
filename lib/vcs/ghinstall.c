/*
 * ghinstall.c - GitHub App installation events; see ghinstall.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "crypto.h"
#include "db.h"
#include "ghinstall.h"
#include "keys.h"
#include "util.h"
#include "webhook.h"

__attribute__((format(printf, 4, 5)))
static int gi_fail(int err, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * The integration of this app and installation: its
 * id and org, and 0 when its own webhook secret signs body.
 */
static int gi_integration(struct db *db, const struct keyring *kr, const char *app_id,
			  const char *inst, const struct webhook_headers *h, const void *body,
			  size_t len, struct ghinstall_result *res)
{
	PGresult *pr = NULL;
	struct secbuf s = { 0 };
	int r = DB_QUERY(db, &pr, "SELECT id, org_id, webhook_secret_enc FROM integrations "
			 "WHERE provider = 'github' AND kind = 'github-app' AND app_id = $1 "
			 "AND installation_id = $2", app_id, inst);

	if (r < 0)
		return r;
	if (PQntuples(pr) != 1 || !db_value(pr, 0, 2)) {
		PQclear(pr);
		return -ENOENT;
	}
	res->gi_integration_id = db_int(pr, 0, 0);
	res->gi_org_id = db_int(pr, 0, 1);
	r = secret_open(db, kr, res->gi_org_id, "integrations", "webhook_secret_enc",
			res->gi_integration_id, db_value(pr, 0, 2), &s);
	if (r == 0 && webhook_verify(WH_GITHUB, h, s.data, s.len, body, len, time(NULL), 0) != WEBHOOK_OK)
		r = -EACCES;
	secbuf_release(&s);
	PQclear(pr);
	return r;
}

static json_object *gi_parse(const void *body, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(WEBHOOK_JSON_DEPTH);
	json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;

	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	if (tok)
		json_tokener_free(tok);
	return o;
}

static const char *jpath_str(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v) || (b && !json_object_object_get_ex(v, b, &v)))
		return NULL;
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
		return NULL;
	return json_object_get_string(v);
}

static int gi_name_ok(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (len < 3 || len > WEBHOOK_REPO_MAX || !strchr(n, '/') || strchr(n, '/') != strrchr(n, '/'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(n[i] == '/' || n[i] == '-' || n[i] == '_' || n[i] == '.' ||
		      (n[i] >= '0' && n[i] <= '9') || ((n[i] | 0x20) >= 'a' && (n[i] | 0x20) <= 'z')))
			return 0;
	return 1;
}

/* The events lethe-drain applies, and where each lists its repositories (NULL: nowhere). */
static const struct {
	const char *event, *action, *list;
} gi_events[] = {
	{ "installation", "created", "repositories" },
	{ "installation", "deleted", NULL },
	{ "installation_repositories", "added", "repositories_added" },
	{ "installation_repositories", "removed", "repositories_removed" },
};

/* The repositories of list, checked, as [{"full_name": ..., "id": ...}]. */
static int gi_list(json_object *list, json_object *out)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	if (n > GHINSTALL_MAX_REPOS)
		return -EFBIG;
	for (size_t i = 0; i < n; i++) {
		json_object *repo = json_object_array_get_idx(list, i), *o;
		const char *name = jpath_str(repo, "full_name", NULL), *id = jpath_str(repo, "id", NULL);

		if (!gi_name_ok(name) || (id && strlen(id) > 64))
			return -EBADMSG;
		o = json_object_new_object();
		json_object_object_add(o, "full_name", json_object_new_string(name));
		if (id)
			json_object_object_add(o, "id", json_object_new_string(id));
		json_object_array_add(out, o);
	}
	return 0;
}

/* Record the event once per org and delivery id. */
static int gi_insert(struct db *db, struct ghinstall_result *res, const char *delivery,
		     const char *event, const char *action, json_object *repos)
{
	const char *list = json_object_to_json_string_ext(repos, JSON_C_TO_STRING_PLAIN);
	char org[24], integ[24];
	PGresult *pr = NULL;
	int r;

	i64s(res->gi_org_id, org);
	i64s(res->gi_integration_id, integ);
	r = DB_QUERY(db, &pr, "WITH n AS (INSERT INTO installation_events (org_id, integration_id, "
		     "delivery_id, event, action, repositories) VALUES ($1, $2, $3, $4, $5, $6) "
		     "ON CONFLICT (org_id, delivery_id) DO NOTHING RETURNING id) "
		     "SELECT id, false FROM n UNION ALL SELECT id, true FROM installation_events "
		     "WHERE org_id = $1 AND delivery_id = $3 AND NOT EXISTS (SELECT 1 FROM n)",
		     org, integ, delivery, event, action, list);
	if (r < 0)
		return r;
	r = PQntuples(pr) == 1 ? 0 : -EIO;
	if (r == 0) {
		res->gi_event_id = db_int(pr, 0, 0);
		res->gi_duplicate = !strcmp(db_value(pr, 0, 1), "t");
	}
	PQclear(pr);
	return r;
}

static int gi_check(struct db *db, json_object *ev, const char *event, const char *action,
		    const char *delivery, struct ghinstall_result *res)
{
	json_object *list = NULL, *repos;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(gi_events); i++) {
		if (strcmp(event, gi_events[i].event) || strcmp(action, gi_events[i].action))
			continue;
		if (gi_events[i].list)
			json_object_object_get_ex(ev, gi_events[i].list, &list);
		repos = json_object_new_array();
		r = gi_list(list, repos);
		if (r == 0)
			r = gi_insert(db, res, delivery, event, action, repos);
		json_object_put(repos);
		return r;
	}
	res->gi_ignored = 1;
	return 0;
}

static int gi_reason(int r, char *why, size_t whylen)
{
	switch (r) {
	case 0:
		return 0;
	case -EACCES:
		return gi_fail(r, why, whylen, "signature does not match the secret of the "
			       "installation's integration");
	case -ENOENT:
		return gi_fail(r, why, whylen, "no github-app integration has this installation");
	case -EPROTO:
		return gi_fail(r, why, whylen, "not an installation event of the installation it "
			       "was verified for");
	case -EBADMSG:
		return gi_fail(r, why, whylen, "a repository in the event has no valid full_name");
	case -EFBIG:
		return gi_fail(r, why, whylen, "the event lists more than %d repositories",
			       GHINSTALL_MAX_REPOS);
	default:
		return gi_fail(r, why, whylen, "unable to record the installation event");
	}
}

/* Parse the verified event, which must name the installation inst, and record it. */
static int gi_event(struct db *db, const void *body, size_t len, const struct webhook_headers *h,
		    const char *inst, struct ghinstall_result *res)
{
	json_object *ev = gi_parse(body, len);
	const char *action = ev ? jpath_str(ev, "action", NULL) : NULL;
	const char *named = ev ? jpath_str(ev, "installation", "id") : NULL;
	int r = -EPROTO;

	if (action && named && !strcmp(named, inst))
		r = gi_check(db, ev, h->event, action, h->delivery, res);
	json_object_put(ev);
	return r;
}

int ghinstall_record(struct db *db, const struct keyring *kr, const char *app_id,
		     const struct webhook_headers *h, const void *body, size_t len,
		     struct ghinstall_result *res, char *why, size_t whylen)
{
	char inst[24];
	int r;

	memset(res, 0, sizeof(*res));
	if (len > GHINSTALL_BODY_MAX)
		return gi_fail(-EFBIG, why, whylen, "body larger than %d bytes", GHINSTALL_BODY_MAX);
	if (!app_id || !*app_id || !h->event || !h->delivery || !*h->delivery ||
	    strlen(h->delivery) > GHINSTALL_DELIVERY_MAX)
		return gi_fail(-EACCES, why, whylen, "no app id, event or delivery header");
	if (webhook_peek_installation(body, len, inst, sizeof(inst)) < 0)
		return gi_fail(-EACCES, why, whylen, "no installation id to verify the delivery with");
	r = db_begin(db);
	if (r == 0)
		r = gi_integration(db, kr, app_id, inst, h, body, len, res);
	if (r == 0)
		r = gi_event(db, body, len, h, inst, res);
	if (r == 0)
		r = db_commit(db);
	if (r < 0)
		db_rollback(db);
	return gi_reason(r, why, whylen);
}
