/*
 * ghinstall.c - GitHub App installation events; see ghinstall.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "ghinstall.h"
#include "keys.h"
#include "repo.h"
#include "util.h"
#include "webhook.h"

#define GI_ACTOR "github-app"

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

static int gi_connect_one(struct db *db, const struct ghinstall_result *res, json_object *repo,
			  const char *web_url)
{
	struct repo_new n = { .provider = "github", .full_name = jpath_str(repo, "full_name", NULL),
			      .external_id = jpath_str(repo, "id", NULL),
			      .integration_id = res->gi_integration_id };
	char hook[44], *url;
	int64_t id;
	int r;

	if (!gi_name_ok(n.full_name))
		return -EBADMSG;
	url = xasprintf("%s/%s.git", web_url, n.full_name);
	n.clone_url = url;
	r = repo_create(db, NULL, res->gi_org_id, AUDIT_SYSTEM, GI_ACTOR, &n, &id, hook);
	free(url);
	return r < 0 ? r : 0;
}

static int gi_connect(struct db *db, struct ghinstall_result *res, json_object *list,
		      const char *web_url)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	char details[64], target[40];
	int r = 0;

	if (n > GHINSTALL_MAX_REPOS)
		return -EFBIG;
	for (size_t i = 0; i < n && r == 0; i++)
		r = gi_connect_one(db, res, json_object_array_get_idx(list, i), web_url);
	if (r < 0)
		return r;
	res->gi_connected = (int)n;
	snprintf(details, sizeof(details), "{\"repositories\": %zu}", n);
	snprintf(target, sizeof(target), "integration:%lld", (long long)res->gi_integration_id);
	return audit_append(db, res->gi_org_id, AUDIT_SYSTEM, GI_ACTOR, "installation.connect",
			    target, details, NULL);
}

/* Add every count of one deletion (a JSON object) into sum. */
static void gi_sum(json_object *sum, const char *counts)
{
	json_object *c = json_tokener_parse(counts);

	if (!c)
		return;
	json_object_object_foreach(c, k, v) {
		json_object *s;
		int64_t have = json_object_object_get_ex(sum, k, &s) ? json_object_get_int64(s) : 0;

		json_object_object_add(sum, k, json_object_new_int64(have + json_object_get_int64(v)));
	}
	json_object_put(c);
}

/* Delete repositories of the integration (all when name is NULL). */
static int gi_delete(struct db *db, struct ghinstall_result *res, const char *name,
		     json_object *sum)
{
	char integ[24];
	PGresult *pr = NULL;
	int r;

	i64s(res->gi_integration_id, integ);
	r = DB_QUERY(db, &pr, "SELECT id FROM repositories WHERE integration_id = $1 "
		     "AND ($2::text IS NULL OR full_name = $2) ORDER BY id", integ, name);
	for (int i = 0; r == 0 && i < PQntuples(pr); i++) {
		char *counts = NULL;

		r = repo_delete(db, res->gi_org_id, db_int(pr, i, 0), AUDIT_SYSTEM, GI_ACTOR, &counts);
		if (r == 0) {
			gi_sum(sum, counts);
			res->gi_deleted++;
		}
		free(counts);
	}
	PQclear(pr);
	return r;
}

static int gi_audit_delete(struct db *db, const struct ghinstall_result *res, const char *action,
			   json_object *sum)
{
	char target[40];

	snprintf(target, sizeof(target), "integration:%lld", (long long)res->gi_integration_id);
	return audit_append(db, res->gi_org_id, AUDIT_SYSTEM, GI_ACTOR, action, target,
			    json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PLAIN), NULL);
}

static int gi_uninstall(struct db *db, struct ghinstall_result *res)
{
	json_object *sum = json_object_new_object();
	char integ[24];
	int r = gi_delete(db, res, NULL, sum);

	i64s(res->gi_integration_id, integ);
	if (r == 0)
		r = DB_QUERY(db, NULL, "DELETE FROM integrations WHERE id = $1", integ);
	json_object_object_add(sum, "repositories", json_object_new_int64(res->gi_deleted));
	if (r == 0)
		r = gi_audit_delete(db, res, "installation.delete", sum);
	json_object_put(sum);
	return r;
}

static int gi_remove(struct db *db, struct ghinstall_result *res, json_object *list)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	json_object *sum = json_object_new_object();
	int r = n > GHINSTALL_MAX_REPOS ? -EFBIG : 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		const char *name = jpath_str(json_object_array_get_idx(list, i), "full_name", NULL);

		r = gi_name_ok(name) ? gi_delete(db, res, name, sum) : -EBADMSG;
	}
	json_object_object_add(sum, "repositories", json_object_new_int64(res->gi_deleted));
	if (r == 0)
		r = gi_audit_delete(db, res, "installation.remove", sum);
	json_object_put(sum);
	return r;
}

static int gi_apply(struct db *db, json_object *ev, const char *event, const char *action,
		    const char *web_url, struct ghinstall_result *res)
{
	json_object *list = NULL;

	if (!strcmp(event, "installation") && !strcmp(action, "deleted"))
		return gi_uninstall(db, res);
	if (!strcmp(event, "installation") && !strcmp(action, "created")) {
		json_object_object_get_ex(ev, "repositories", &list);
		return gi_connect(db, res, list, web_url);
	}
	if (!strcmp(event, "installation_repositories") && !strcmp(action, "added")) {
		json_object_object_get_ex(ev, "repositories_added", &list);
		return gi_connect(db, res, list, web_url);
	}
	if (!strcmp(event, "installation_repositories") && !strcmp(action, "removed")) {
		json_object_object_get_ex(ev, "repositories_removed", &list);
		return gi_remove(db, res, list);
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
		return gi_fail(r, why, whylen, "unable to apply the installation event");
	}
}

/* Parse the verified event, which must name the installation inst, and apply it. */
static int gi_event(struct db *db, const void *body, size_t len, const char *event,
		    const char *inst, const char *web_url, struct ghinstall_result *res)
{
	json_object *ev = gi_parse(body, len);
	const char *action = ev ? jpath_str(ev, "action", NULL) : NULL;
	const char *named = ev ? jpath_str(ev, "installation", "id") : NULL;
	int r = -EPROTO;

	if (action && named && !strcmp(named, inst))
		r = gi_apply(db, ev, event, action, web_url, res);
	json_object_put(ev);
	return r;
}

int ghinstall_handle(struct db *db, const struct keyring *kr, const char *app_id,
		     const struct webhook_headers *h, const void *body, size_t len,
		     const char *web_url, struct ghinstall_result *res, char *why, size_t whylen)
{
	char inst[24];
	int r;

	memset(res, 0, sizeof(*res));
	if (len > GHINSTALL_BODY_MAX)
		return gi_fail(-EFBIG, why, whylen, "body larger than %d bytes", GHINSTALL_BODY_MAX);
	if (!app_id || !*app_id || !h->event)
		return gi_fail(-EACCES, why, whylen, "no app id or event header");
	if (webhook_peek_installation(body, len, inst, sizeof(inst)) < 0)
		return gi_fail(-EACCES, why, whylen, "no installation id to verify the delivery with");
	r = db_begin(db);
	if (r == 0)
		r = gi_integration(db, kr, app_id, inst, h, body, len, res);
	if (r == 0)
		r = gi_event(db, body, len, h->event, inst, web_url, res);
	if (r == 0)
		r = db_commit(db);
	if (r < 0)
		db_rollback(db);
	return gi_reason(r, why, whylen);
}
