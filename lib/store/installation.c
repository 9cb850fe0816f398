/*
 * installation.c - GitHub App installation events, applied; see
 * installation.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "audit.h"
#include "db.h"
#include "installation.h"
#include "repo.h"
#include "util.h"

#define IN_ACTOR "github-app"

/* The oldest queued event of an integration with none older queued. */
static const char in_next_sql[] =
	"SELECT e.id, e.org_id, coalesce(e.integration_id, 0), e.action, e.repositories "
	"FROM lethe.installation_events e WHERE e.state = 'queued' AND NOT EXISTS ("
	" SELECT 1 FROM lethe.installation_events o WHERE o.state = 'queued'"
	" AND o.integration_id = e.integration_id AND o.id < e.id) "
	"ORDER BY e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED";

/* Where clone URLs point: github.com for api.github.com, the host for /api/v3. */
static char *in_web_url(const char *api)
{
	size_t n = strlen(api);

	if (!strcmp(api, "https://api.github.com"))
		return xstrdup("https://github.com");
	if (n > 7 && !strcmp(api + n - 7, "/api/v3"))
		return xstrndup(api, n - 7);
	return xstrdup(api);
}

static const char *in_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int in_audit(struct db *db, const struct installation_result *res, const char *action,
		    json_object *details)
{
	char target[40];

	snprintf(target, sizeof(target), "integration:%lld", (long long)res->in_integration);
	return audit_append(db, res->in_org, AUDIT_SYSTEM, IN_ACTOR, action, target,
			    json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN), NULL);
}

static int in_connect(struct db *db, struct installation_result *res, json_object *list,
		      const char *web_url)
{
	size_t n = json_object_array_length(list);
	json_object *details;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		json_object *repo = json_object_array_get_idx(list, i);
		struct repo_new rn = { .provider = "github", .full_name = in_str(repo, "full_name"),
				       .external_id = in_str(repo, "id"),
				       .integration_id = res->in_integration };
		char hook[44], *url = xasprintf("%s/%s.git", web_url, rn.full_name);
		int64_t id;

		rn.clone_url = url;
		r = repo_create(db, NULL, res->in_org, AUDIT_SYSTEM, IN_ACTOR, &rn, &id, hook);
		r = r > 0 ? 0 : r;	/* 1: connected already, now to this integration */
		free(url);
	}
	if (r < 0)
		return r;
	res->in_connected = (int)n;
	details = json_object_new_object();
	json_object_object_add(details, "repositories", json_object_new_int64((int64_t)n));
	r = in_audit(db, res, "installation.connect", details);
	json_object_put(details);
	return r;
}

/* Add every count of one deletion (a JSON object) into sum. */
static void in_sum(json_object *sum, const char *counts)
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
static int in_delete(struct db *db, struct installation_result *res, const char *name,
		     json_object *sum)
{
	char integ[I64S_MAX];
	PGresult *pr = NULL;
	int r;

	r = DB_QUERY(db, &pr, "SELECT id FROM lethe.repositories WHERE integration_id = $1 "
		     "AND ($2::text IS NULL OR full_name = $2) ORDER BY id",
		     i64s(res->in_integration, integ), name);
	for (int i = 0; r == 0 && i < PQntuples(pr); i++) {
		char *counts = NULL;

		r = repo_delete(db, res->in_org, db_int(pr, i, 0), AUDIT_SYSTEM, IN_ACTOR, &counts);
		if (r == 0) {
			in_sum(sum, counts);
			res->in_deleted++;
		}
		free(counts);
	}
	PQclear(pr);
	return r;
}

/* The listed repositories, or every one and the integration (list NULL). */
static int in_remove(struct db *db, struct installation_result *res, json_object *list)
{
	size_t n = list ? json_object_array_length(list) : 0;
	json_object *sum = json_object_new_object();
	char integ[I64S_MAX];
	int r = list ? 0 : in_delete(db, res, NULL, sum);

	for (size_t i = 0; i < n && r == 0; i++)
		r = in_delete(db, res, in_str(json_object_array_get_idx(list, i), "full_name"), sum);
	if (r == 0 && !list)
		r = DB_QUERY(db, NULL, "DELETE FROM lethe.integrations WHERE id = $1",
			     i64s(res->in_integration, integ));
	json_object_object_add(sum, "repositories", json_object_new_int64(res->in_deleted));
	if (r == 0)
		r = in_audit(db, res, list ? "installation.remove" : "installation.delete", sum);
	json_object_put(sum);
	return r;
}

static int in_apply(struct db *db, struct installation_result *res, const char *action,
		    const char *repositories, const char *api_url)
{
	json_object *list = json_tokener_parse(repositories);
	char *web = in_web_url(api_url);
	int r;

	if (!json_object_is_type(list, json_type_array))
		r = -EBADMSG;
	else if (!strcmp(action, "deleted"))
		r = in_remove(db, res, NULL);
	else if (!strcmp(action, "removed"))
		r = in_remove(db, res, list);
	else
		r = in_connect(db, res, list, web);
	json_object_put(list);
	free(web);
	return r;
}

static int in_finish(struct db *db, const struct installation_result *res)
{
	char id[I64S_MAX], connected[I64S_MAX], deleted[I64S_MAX];

	return DB_QUERY(db, NULL, "UPDATE lethe.installation_events SET state = $2, "
			"connected = $3, deleted = $4, reason = nullif($5, ''), applied_at = now() "
			"WHERE id = $1", i64s(res->in_event, id), res->in_state,
			i64s(res->in_connected, connected), i64s(res->in_deleted, deleted),
			res->in_reason);
}

/* Serialization failures and deadlocks are tried again; the rest fails. */
static int in_lasting(struct db *db, int r)
{
	return r != -ENOTCONN && strncmp(db_sqlstate(db), "40", 2);
}

/* The event could not be applied: record why, changing nothing else. */
static int in_failed(struct db *db, struct installation_result *res, int err)
{
	int r;

	snprintf(res->in_reason, sizeof(res->in_reason), "unable to apply: %s",
		 err == -EIO ? db_error(db) : strerror(-err));
	res->in_reason[strcspn(res->in_reason, "\n")] = '\0';
	db_rollback(db);
	res->in_state = "failed";
	res->in_connected = res->in_deleted = 0;
	r = db_begin(db);
	if (r == 0)
		r = in_finish(db, res);
	return r == 0 ? db_commit(db) : r;
}

static int in_take(struct db *db, const char *api_url, struct installation_result *res)
{
	PGresult *pr = NULL;
	int r = DB_QUERY(db, &pr, in_next_sql);

	if (r < 0 || PQntuples(pr) == 0) {
		PQclear(pr);
		return r;
	}
	res->in_event = db_int(pr, 0, 0);
	res->in_org = db_int(pr, 0, 1);
	res->in_integration = db_int(pr, 0, 2);
	res->in_state = "applied";
	if (!res->in_integration) {
		res->in_state = "ignored";
		snprintf(res->in_reason, sizeof(res->in_reason),
			 "its integration was removed before the event was applied");
	} else {
		r = in_apply(db, res, db_value(pr, 0, 3), db_value(pr, 0, 4), api_url);
	}
	PQclear(pr);
	if (r == 0)
		r = in_finish(db, res);
	return r < 0 ? r : 1;
}

int installation_apply_next(struct db *db, const char *api_url, struct installation_result *res)
{
	int r;

	memset(res, 0, sizeof(*res));
	r = db_begin(db);
	if (r == 0)
		r = in_take(db, api_url, res);
	if (r > 0 && (r = db_commit(db)) == 0)
		return 1;
	if (r == 0)
		return db_commit(db);
	if (res->in_event && in_lasting(db, r))
		return in_failed(db, res, r) < 0 ? r : 1;
	db_rollback(db);
	return r;
}
