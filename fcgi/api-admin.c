/*
 * api-admin.c - health, the audit log (read and verify), users and API keys.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api.h"
#include "audit.h"
#include "password.h"
#include "util.h"

#ifndef LETHE_SQL_DIR
#define LETHE_SQL_DIR "/usr/local/share/lethe/sql"
#endif

#define EPHEMERAL_MAX (72 * 3600)

/*
 * The migrations installed with this program, found as lethectl migrate
 * finds them: sql/ next to the binary (a build tree), else LETHE_SQL_DIR.
 */
char *api_migrations_installed(void)
{
	char exe[PATH_MAX], *dir = NULL, *list = NULL, *next;
	struct dirent **names = NULL;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int i, n;

	if (len > 0) {
		exe[len] = '\0';
		dir = xasprintf("%s/../sql", dirname(exe));
	}
	if (!dir || access(dir, R_OK | X_OK) < 0) {
		free(dir);
		dir = xstrdup(LETHE_SQL_DIR);
	}
	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);

		if (l > 8 && l < 64 && !strcmp(names[i]->d_name + l - 4, ".sql")
		    && strspn(names[i]->d_name, "0123456789") == 3 && names[i]->d_name[3] == '_'
		    && strspn(names[i]->d_name, "0123456789abcdefghijklmnopqrstuvwxyz_") == l - 4) {
			next = xasprintf("%s%s%.*s", list ? list : "", list ? "," : "", (int)l - 4,
					 names[i]->d_name);
			free(list);
			list = next;
		}
		free(names[i]);
	}
	free(names);
	free(dir);
	next = list ? xasprintf("{%s}", list) : NULL;
	free(list);
	return next;
}

/*
 * No authentication: the database answers and every installed migration
 * (or, when they cannot be listed, this program's own) has been applied.
 */
int api_health(struct api_req *req, struct api_resp *resp)
{
	PGresult *res;
	int r = DB_QUERY(req->db, &res, "SELECT count(*) = 0 FROM unnest(coalesce($1, '{050_api}')::text[]) v "
			 "WHERE v NOT IN (SELECT version FROM schema_migrations)", req->ctx->migrations);

	if (r == -ENOTCONN)
		return api_json(resp, 503, "{\"status\": \"unavailable\", \"database\": \"unreachable\"}");
	if (r < 0)
		return r;
	if (strcmp(PQgetvalue(res, 0, 0), "t"))
		api_json(resp, 503, "{\"status\": \"degraded\", \"database\": \"reachable\", "
			 "\"migrations\": \"behind\"}");
	else
		api_json(resp, 200, "{\"status\": \"ok\", \"database\": \"reachable\", "
			 "\"migrations\": \"current\"}");
	PQclear(res);
	return 0;
}

int api_audit_list(struct api_req *req, struct api_resp *resp)
{
	char b[2][24], action[128], actor[64], target[128];
	const char *before, *limit;

	if (api_param_int(req, "before", 1, INT64_MAX, b[0], &before) < 0
	    || api_param_int(req, "limit", 1, 500, b[1], &limit) < 0)
		return api_error(resp, 400, "before must be an id, limit 1 to 500");
	return API_QUERY_JSON(req, resp, "no events",
		"SELECT json_build_object('events', coalesce(json_agg(t ORDER BY t.id DESC), '[]'), "
		"'next_before', CASE WHEN count(*) = $3::integer THEN min(t.id) END) FROM ("
		"SELECT e.id, e.ts, e.actor_type, e.actor, e.action, e.target, e.details, "
		"encode(e.hash, 'hex') AS hash FROM audit_events e WHERE e.org_id = $1 "
		"AND ($2::bigint IS NULL OR e.id < $2::bigint) AND ($4::text IS NULL OR e.action = $4 "
		"OR e.action LIKE $4 || '.%') AND ($5::text IS NULL OR e.actor = $5) "
		"AND ($6::text IS NULL OR e.target = $6) ORDER BY e.id DESC LIMIT $3::integer) t",
		req->org, before, limit ? limit : "100", api_param(req, "action", action, sizeof(action)),
		api_param(req, "actor", actor, sizeof(actor)), api_param(req, "target", target, sizeof(target)));
}

int api_audit_verify(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no chain",
		"SELECT json_build_object('ok', first_bad IS NULL, 'checked', checked, "
		"'first_bad', first_bad) FROM api_audit_verify()");
}

int api_users_list(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no users",
		"SELECT json_build_object('users', coalesce(json_agg(json_build_object('id', u.id, "
		"'email', u.email, 'role', u.role, 'created_at', u.created_at, 'disabled_at', u.disabled_at) "
		"ORDER BY u.id), '[]')) FROM users u WHERE u.org_id = $1", req->org);
}

static int audit_obj(struct api_req *req, const char *action, const char *kind, int64_t id,
		     const char *details)
{
	char target[48];

	snprintf(target, sizeof(target), "%s:%lld", kind, (long long)id);
	return audit_append(req->db, req->org_id, req->actor_type, req->actor, action, target, details, NULL);
}

/* 409 for a duplicate, 400 for a value the schema refuses, else the error. */
static int write_fail(struct api_req *req, struct api_resp *resp, int r, const char *dup, const char *bad)
{
	const char *st = db_sqlstate(req->db);

	if (r == -EIO && !strcmp(st, "23505"))
		return api_error(resp, 409, dup);
	if (r == -EIO && (!strncmp(st, "23", 2) || !strncmp(st, "22", 2)))
		return api_error(resp, 400, bad);
	return r;
}

int api_user_add(struct api_req *req, struct api_resp *resp)
{
	const char *email = api_body_str(req, "email"), *pw = api_body_str(req, "password");
	const char *role = api_body_str(req, "role");
	char *hash = NULL, details[64];
	PGresult *res;
	int r;

	if (!email || !pw || strlen(pw) < 12 || api_role_parse(role) == ROLE_NONE)
		return api_error(resp, 400, "email, password (12 to 72 bytes) and role (owner, admin "
				 "or member) required");
	r = password_hash(pw, (int)config_v(req->ctx->cfg)->bcrypt_cost, &hash);
	if (r == -E2BIG || r == -EINVAL)
		return api_error(resp, 400, "password must be 12 to 72 bytes");
	if (r < 0)
		return r;
	r = DB_QUERY(req->db, &res, "INSERT INTO users (org_id, email, password_hash, role) "
		     "VALUES ($1, $2, $3, $4) RETURNING json_build_object('id', id, 'email', email, "
		     "'role', role, 'created_at', created_at)::text, id", req->org, email, hash, role);
	free(hash);
	if (r < 0)
		return write_fail(req, resp, r, "email already in use", "invalid email");
	snprintf(details, sizeof(details), "{\"role\": \"%s\"}", role);
	if ((r = audit_obj(req, "user.add", "user", db_int(res, 0, 1), details)) == 0)
		api_json(resp, 201, PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

/* After a change: the org still has an enabled owner. */
static int owners_remain(struct api_req *req)
{
	PGresult *res;
	int r = DB_QUERY(req->db, &res, "SELECT count(*) FROM users WHERE org_id = $1 AND role = 'owner' "
			 "AND disabled_at IS NULL", req->org);

	if (r < 0)
		return r;
	r = db_int(res, 0, 0) > 0;
	PQclear(res);
	return r;
}

int api_user_update(struct api_req *req, struct api_resp *resp)
{
	const char *role = api_body_str(req, "role");
	struct json_object *d = NULL;
	const char *disabled = NULL;
	char id[24];
	PGresult *res;
	int r;

	if (req->body && json_object_object_get_ex(req->body, "disabled", &d))
		disabled = json_object_is_type(d, json_type_boolean) ? (json_object_get_boolean(d) ? "t" : "f") : "?";
	if ((role && api_role_parse(role) == ROLE_NONE) || (disabled && *disabled == '?') || (!role && !disabled))
		return api_error(resp, 400, "role (owner, admin or member) or disabled (boolean) required");
	api_id_text(req, 0, id);
	r = DB_QUERY(req->db, &res, "UPDATE users SET role = coalesce($3, role), disabled_at = CASE "
		     "WHEN $4 = 't' THEN coalesce(disabled_at, now()) WHEN $4 = 'f' THEN NULL ELSE disabled_at END "
		     "WHERE id = $1 AND org_id = $2 RETURNING json_build_object('id', id, 'email', email, "
		     "'role', role, 'disabled_at', disabled_at)::text", id, req->org, role, disabled);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = api_error(resp, 404, "user not found");
	else if ((r = owners_remain(req)) == 0)
		r = api_error(resp, 409, "an org keeps at least one enabled owner");
	else if (r > 0 && (r = DB_QUERY(req->db, NULL, "UPDATE refresh_tokens SET revoked_at = now() "
					"WHERE user_id = $1 AND revoked_at IS NULL AND $2 = 't'", id,
					disabled ? disabled : "f")) == 0
		 && (r = audit_obj(req, "user.update", "user", req->id[0], PQgetvalue(res, 0, 0))) == 0)
		api_json(resp, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

int api_keys_list(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no keys",
		"SELECT json_build_object('api_keys', coalesce(json_agg(json_build_object('id', k.id, "
		"'name', k.name, 'prefix', k.prefix, 'role', k.role, 'ephemeral', k.ephemeral, "
		"'created_by', k.created_by, 'created_at', k.created_at, 'expires_at', k.expires_at, "
		"'revoked_at', k.revoked_at, 'last_used_at', k.last_used_at) ORDER BY k.id), '[]')) "
		"FROM api_keys k WHERE k.org_id = $1", req->org);
}

/*
 * expires_in seconds from the body, api_key_ttl when absent (72 hours for
 * an ephemeral key); every key expires.  Over the longest allowed (the
 * lower of api_key_ttl_max and, for an ephemeral key, 72 hours) is a 400
 * with its reason in why; so is anything but an integer from 60 on.
 */
static int64_t key_ttl(struct api_req *req, int ephemeral, char *why, size_t whylen)
{
	int64_t max = config_v(req->ctx->cfg)->api_key_ttl_max, ttl;
	struct json_object *v;

	if (ephemeral && max > EPHEMERAL_MAX)
		max = EPHEMERAL_MAX;
	if (!req->body || !json_object_object_get_ex(req->body, "expires_in", &v))
		ttl = ephemeral ? EPHEMERAL_MAX : config_v(req->ctx->cfg)->api_key_ttl;
	else if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 60)
		ttl = json_object_get_int64(v);
	else
		ttl = -1;
	if (ttl > max)
		snprintf(why, whylen, "expires_in must be at most %lld seconds (%s)", (long long)max,
			 ephemeral && max == EPHEMERAL_MAX ? "72 hours for an ephemeral key"
			 : "api_key_ttl_max");
	else if (ttl < 0)
		snprintf(why, whylen, "expires_in must be an integer of at least 60 seconds");
	else
		return ttl;
	return -1;
}

static int key_insert(struct api_req *req, struct api_resp *resp, const char *name, const char *role,
		      int ephemeral, int64_t ttl)
{
	char uid[24], ttlt[24], hex[67], listed[TOKEN_LISTED + 1], *token = NULL;
	struct json_object *o = NULL;
	unsigned char hash[32];
	PGresult *res;
	int r;

	/* A key made with a key acts for the same user as the key that made it. */
	i64s(req->user_id ? req->user_id : req->key_creator, uid);
	i64s(ttl, ttlt);
	if ((r = token_new(&token, hash, listed)) < 0)
		return r;
	api_bytea(hash, hex);
	r = DB_QUERY(req->db, &res, "INSERT INTO api_keys (org_id, created_by, name, prefix, key_hash, role, "
		     "ephemeral, expires_at) VALUES ($1, nullif($2, '0')::bigint, $3, $4, $5, $6, $7, "
		     "now() + make_interval(secs => $8::bigint)) "
		     "RETURNING id, expires_at", req->org, uid, name, listed, hex, role,
		     ephemeral ? "t" : "f", ttlt);
	if (r == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(db_int(res, 0, 0)));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "role", json_object_new_string(role));
		json_object_object_add(o, "prefix", json_object_new_string(listed));
		json_object_object_add(o, "expires_at", json_object_new_string(db_value(res, 0, 1)));
		json_object_object_add(o, "key", json_object_new_string(token));
		r = audit_obj(req, "api_key.create", "api_key", db_int(res, 0, 0), NULL);
		PQclear(res);
	}
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	if (r < 0) {
		json_object_put(o);
		return write_fail(req, resp, r, "key already exists", "name must be 1 to 100 characters");
	}
	api_json_obj(resp, 201, o);	/* the only time the key is shown */
	return 0;
}

int api_key_create(struct api_req *req, struct api_resp *resp)
{
	const char *name = api_body_str(req, "name"), *role = api_body_str(req, "role");
	struct json_object *e = NULL;
	int ephemeral = 0;
	char why[96];
	int64_t ttl;

	if (!role)
		role = "member";
	if (req->body && json_object_object_get_ex(req->body, "ephemeral", &e))
		ephemeral = json_object_get_boolean(e);
	if (!name || api_role_parse(role) == ROLE_NONE)
		return api_error(resp, 400, "name and role (owner, admin or member) required");
	if ((ttl = key_ttl(req, ephemeral, why, sizeof(why))) < 0)
		return api_error(resp, 400, why);
	if (api_role_parse(role) > req->role)
		return api_error(resp, 403, "an API key cannot have a higher role than its creator");
	return key_insert(req, resp, name, role, ephemeral, ttl);
}

int api_key_revoke(struct api_req *req, struct api_resp *resp)
{
	char id[24];
	PGresult *res;
	int r;

	api_id_text(req, 0, id);
	r = DB_QUERY(req->db, &res, "SELECT role FROM api_keys WHERE id = $1 AND org_id = $2", id, req->org);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = api_error(resp, 404, "API key not found");
	else if (api_role_parse(db_value(res, 0, 0)) > req->role)
		r = api_error(resp, 403, "an API key of a higher role than yours cannot be revoked by you");
	else if ((r = DB_QUERY(req->db, NULL, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
			       "WHERE id = $1", id)) == 0
		 && (r = audit_obj(req, "api_key.revoke", "api_key", req->id[0], NULL)) == 0)
		r = API_QUERY_JSON(req, resp, "API key not found",
				   "SELECT json_build_object('id', id, 'revoked_at', revoked_at) "
				   "FROM api_keys WHERE id = $1", id);
	PQclear(res);
	return r;
}
