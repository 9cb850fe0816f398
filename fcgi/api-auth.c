/*
 * api-auth.c - who is calling: logins, refresh-token rotation, logout, and
 * the authentication of every other request (access token or API key).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api.h"
#include "apiauth.h"
#include "audit.h"
#include "password.h"
#include "util.h"

#define LOGIN_MAX_ACCOUNT "5"		/* failures per account per window */
#define LOGIN_MAX_ADDR    "20"		/* failures per address per window */
#define LOGIN_WINDOW      "15 minutes"
#define EMAIL_MAX         254

/*
 * The cookie mode of a browser session: the refresh token lives in an
 * HttpOnly cookie that only /api/v1/auth/ sees, never in page script.  A
 * request that brings it must also carry the X-Lethe-CSRF header (another
 * site cannot send that without a CORS preflight, which lethe-api never
 * allows) and an Origin equal to the API's own.
 */
#define REFRESH_COOKIE "lethe_refresh"
#define COOKIE_ATTRS   "; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth/"
#define CSRF_HEADER    "X-Lethe-CSRF"
#define TOKEN_MAX      128

static void caller_set(struct api_req *req, int64_t org, const char *type, int64_t id,
		       const char *role)
{
	req->org_id = org;
	req->role = api_role_parse(role);
	i64s(org, req->org);
	snprintf(req->actor_type, sizeof(req->actor_type), "%s", type);
	snprintf(req->actor, sizeof(req->actor), "%s:%lld", type, (long long)id);
}

/*
 * The key's role is capped by its creator's current role, and a key whose
 * creator is disabled or gone names nobody: api_key_lookup() checks both.
 */
static int key_auth(struct api_req *req, const char *token)
{
	unsigned char hash[32];
	char hex[67];
	PGresult *res;
	int r;

	if (token_hash(token, hash) < 0)
		return -EACCES;
	api_bytea(hash, hex);
	r = DB_QUERY(req->db, &res, "SELECT key_id, org_id, role, created_by FROM api_key_lookup($1)",
		     hex);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		req->key_id = db_int(res, 0, 0);
		req->key_creator = db_int(res, 0, 3);
		caller_set(req, db_int(res, 0, 1), "api_key", req->key_id, db_value(res, 0, 2));
	}
	PQclear(res);
	return req->org_id ? db_set_org(req->db, req->org_id) : -EACCES;
}

/* The token names a user; the user's current role (not the token's) counts. */
static int jwt_auth(struct api_req *req, const char *token)
{
	const struct apiauth_keys *k = &req->ctx->jwt;
	struct apiauth_claims c;
	char uid[24];
	PGresult *res;
	int r = -EPERM, i;

	/* The current key first; older master versions while their tokens live. */
	for (i = 0; i < k->n && r == -EPERM; i++)
		r = apiauth_verify(token, k->key[i], sizeof(k->key[i]), time(NULL), &c);
	if (r < 0)
		return -EACCES;
	if ((r = db_set_org(req->db, c.org_id)) < 0)
		return r;
	i64s(c.user_id, uid);
	r = DB_QUERY(req->db, &res, "SELECT role FROM users WHERE id = $1 AND disabled_at IS NULL", uid);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		req->user_id = c.user_id;
		caller_set(req, c.org_id, "user", c.user_id, db_value(res, 0, 0));
	}
	PQclear(res);
	return req->user_id ? 0 : -EACCES;
}

int api_authenticate(struct api_req *req)
{
	const char *a = req->authorization;

	if (!a || strncmp(a, "Bearer ", 7))
		return -EACCES;
	a += 7;
	if (!strncmp(a, TOKEN_PREFIX, strlen(TOKEN_PREFIX)))
		return key_auth(req, a);
	return jwt_auth(req, a);
}

static int access_token(struct api_req *req, int64_t user, int64_t org, const char *role, char **out)
{
	struct apiauth_claims c = { .user_id = user, .org_id = org };
	int64_t now = time(NULL);

	snprintf(c.role, sizeof(c.role), "%s", role);
	c.iat = c.nbf = now;
	c.exp = now + config_v(req->ctx->cfg)->api_access_ttl;
	return apiauth_sign(req->ctx->jwt.key[0], sizeof(req->ctx->jwt.key[0]), &c, out);
}

/*
 * A new access token and refresh token for a user, in family (0: a new
 * family, i.e. a new login).  The answer is the only place either appears.
 */
static int session_issue(struct api_req *req, struct api_resp *resp, int64_t user, int64_t org,
			 const char *role, int64_t family, bool cookie)
{
	char uid[24], fam[24], ttl[24], hex[67], listed[TOKEN_LISTED + 1];
	unsigned char hash[32];
	char *refresh = NULL, *access = NULL;
	struct json_object *o;
	int r;

	caller_set(req, org, "user", user, role);
	i64s(user, uid);
	i64s(family, fam);
	i64s(config_v(req->ctx->cfg)->api_refresh_ttl, ttl);
	if ((r = db_set_org(req->db, org)) < 0 || (r = token_new(&refresh, hash, listed)) < 0)
		return r;
	api_bytea(hash, hex);
	r = DB_QUERY(req->db, NULL, "INSERT INTO refresh_tokens (org_id, user_id, family, token_hash, "
		     "expires_at) VALUES ($1, $2, coalesce(nullif($3, '0')::bigint, "
		     "nextval('refresh_family_seq')), $4, now() + make_interval(secs => $5::bigint))",
		     req->org, uid, fam, hex, ttl);
	if (r == 0)
		r = access_token(req, user, org, role, &access);
	if (r == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "access_token", json_object_new_string(access));
		json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
		json_object_object_add(o, "expires_in",
				       json_object_new_int64(config_v(req->ctx->cfg)->api_access_ttl));
		if (cookie)
			resp->set_cookie = xasprintf(REFRESH_COOKIE "=%s; Max-Age=%s" COOKIE_ATTRS, refresh, ttl);
		else
			json_object_object_add(o, "refresh_token", json_object_new_string(refresh));
		json_object_object_add(o, "refresh_cookie", json_object_new_boolean(cookie));
		json_object_object_add(o, "role", json_object_new_string(role));
		api_json_obj(resp, 200, o);
	}
	OPENSSL_cleanse(refresh, strlen(refresh));
	free(refresh);
	if (access)
		OPENSSL_cleanse(access, strlen(access));
	free(access);
	return r;
}

/*
 * A request in cookie mode comes from the API's own origin: scheme, host
 * and port of this request (the port left out when it is the scheme's).
 */
static bool same_origin(const struct api_req *req)
{
	const char *scheme = req->https ? "https" : "http", *dflt = req->https ? "443" : "80";
	bool port = req->port && *req->port && strcmp(req->port, dflt);
	char want[320];

	if (!req->csrf || strcmp(req->csrf, "1") || !req->origin || !req->host)
		return false;
	snprintf(want, sizeof(want), "%s://%s%s%s", scheme, req->host, port ? ":" : "", port ? req->port : "");
	return !strcmp(req->origin, want);
}

static int login_refused(struct api_req *req, struct api_resp *resp, const char *email)
{
	int r = DB_QUERY(req->db, NULL, "SELECT api_login_failed($1, $2, $3::interval)",
			 email, req->addr, LOGIN_WINDOW);

	resp->commit = 1;	/* the failure counts even though the answer is 401 */
	return r < 0 ? r : api_error(resp, 401, "invalid email or password");
}

int api_login(struct api_req *req, struct api_resp *resp)
{
	const char *email = api_body_str(req, "email"), *pw = api_body_str(req, "password");
	PGresult *blocked = NULL, *u = NULL;
	struct json_object *c = NULL;
	bool cookie = false;
	int r, found;

	if (!email || !pw || !*email || !*pw || strlen(email) > EMAIL_MAX || strlen(pw) > PASSWORD_MAX)
		return api_error(resp, 400, "email and password (at most 72 bytes) required");
	if (json_object_object_get_ex(req->body, "refresh_cookie", &c)) {
		if (!json_object_is_type(c, json_type_boolean))
			return api_error(resp, 400, "refresh_cookie must be true or false");
		cookie = json_object_get_boolean(c);
	}
	if (cookie && !same_origin(req))
		return api_error(resp, 403, "cross-site request refused: refresh_cookie needs the "
				 CSRF_HEADER ": 1 header and this site's Origin");
	r = DB_QUERY(req->db, &blocked, "SELECT api_login_blocked($1, $2, " LOGIN_MAX_ACCOUNT ", "
		     LOGIN_MAX_ADDR ", $3::interval)", email, req->addr, LOGIN_WINDOW);
	if (r < 0)
		return r;
	if (!strcmp(PQgetvalue(blocked, 0, 0), "t")) {
		PQclear(blocked);
		return api_error(resp, 429, "too many failed logins, try again later");
	}
	PQclear(blocked);
	r = DB_QUERY(req->db, &u, "SELECT user_id, org_id, role, password_hash FROM api_login_lookup($1)",
		     email);
	if (r < 0)
		return r;
	found = PQntuples(u) == 1;
	/* Same work for an unknown email as for a wrong password. */
	r = password_verify(pw, found ? db_value(u, 0, 3) : req->ctx->dummy_hash);
	if (!found || r != 0)
		r = login_refused(req, resp, email);
	else if ((r = DB_QUERY(req->db, NULL, "SELECT api_login_succeeded($1)", email)) == 0
		 && (r = session_issue(req, resp, db_int(u, 0, 0), db_int(u, 0, 1), db_value(u, 0, 2), 0,
					      cookie)) == 0)
		r = audit_append(req->db, req->org_id, AUDIT_USER, req->actor, "auth.login", "", NULL, NULL);
	PQclear(u);
	return r;
}

/* The value of cookie name in a Cookie header into buf; NULL when absent or too long. */
static const char *cookie_value(const char *header, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	for (const char *p = header; p && *p; p += strspn(p, "; ")) {
		size_t seg = strcspn(p, ";");

		if (seg > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			if (seg - nl - 1 >= len)
				return NULL;
			memcpy(buf, p + nl + 1, seg - nl - 1);
			buf[seg - nl - 1] = '\0';
			return buf;
		}
		p += seg;
	}
	return NULL;
}

/*
 * The SHA-256 of the refresh token as a bytea literal: the body's
 * refresh_token, else the refresh cookie (*cookie set).  0, or -1 with 400
 * or 403 answered.
 */
static int refresh_hash(struct api_req *req, struct api_resp *resp, char hex[67], bool *cookie)
{
	const char *tok = api_body_str(req, "refresh_token");
	char buf[TOKEN_MAX + 1];
	unsigned char hash[32];
	int r;

	*cookie = !tok;
	if (!tok)
		tok = cookie_value(req->cookie, REFRESH_COOKIE, buf, sizeof(buf));
	if (!tok) {
		api_error(resp, 400, "refresh_token (or the " REFRESH_COOKIE " cookie) required");
		return -1;
	}
	if (*cookie && !same_origin(req)) {
		api_error(resp, 403, "cross-site request refused: the " REFRESH_COOKIE " cookie needs the "
			  CSRF_HEADER ": 1 header and this site's Origin");
		r = -1;
	} else if ((r = token_hash(tok, hash)) < 0) {
		api_error(resp, 400, "refresh_token required");
	}
	if (r == 0)
		api_bytea(hash, hex);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r < 0 ? -1 : 0;
}

/* Forget the refresh cookie in the browser. */
static void cookie_clear(struct api_resp *resp)
{
	free(resp->set_cookie);
	resp->set_cookie = xstrdup(REFRESH_COOKIE "=; Max-Age=0" COOKIE_ATTRS);
}

int api_refresh(struct api_req *req, struct api_resp *resp)
{
	char hex[67];
	const char *outcome;
	PGresult *res;
	bool cookie;
	int r;

	if (refresh_hash(req, resp, hex, &cookie) < 0)
		return 0;
	r = DB_QUERY(req->db, &res, "SELECT outcome, user_id, org_id, role, family FROM api_refresh_use($1)", hex);
	if (r < 0)
		return r;
	outcome = PQntuples(res) ? db_value(res, 0, 0) : "unknown";
	if (!strcmp(outcome, "ok")) {
		r = session_issue(req, resp, db_int(res, 0, 1), db_int(res, 0, 2), db_value(res, 0, 3),
				  db_int(res, 0, 4), cookie);
	} else if (!strcmp(outcome, "reused")) {
		caller_set(req, db_int(res, 0, 2), "user", db_int(res, 0, 1), "member");
		r = audit_append(req->db, req->org_id, AUDIT_USER, req->actor, "auth.refresh_reused",
				 "", NULL, NULL);
		resp->commit = 1;	/* the family stays revoked */
		api_error(resp, 401, "refresh token already used: its session is revoked");
	} else {
		api_error(resp, 401, "invalid or expired refresh token");
	}
	if (cookie && resp->status == 401)
		cookie_clear(resp);
	PQclear(res);
	return r;
}

int api_logout(struct api_req *req, struct api_resp *resp)
{
	char hex[67], body[48];
	PGresult *res;
	bool cookie;
	int r;

	if (refresh_hash(req, resp, hex, &cookie) < 0)
		return 0;
	r = DB_QUERY(req->db, &res, "SELECT api_refresh_revoke($1)", hex);
	if (r < 0)
		return r;
	snprintf(body, sizeof(body), "{\"revoked\": %lld}", (long long)db_int(res, 0, 0));
	PQclear(res);
	if (cookie)
		cookie_clear(resp);
	return api_json(resp, 200, body);
}

int api_me(struct api_req *req, struct api_resp *resp)
{
	char uid[24], kid[24];

	i64s(req->user_id, uid);
	i64s(req->key_id, kid);
	return API_QUERY_JSON(req, resp, "caller not found",
		"SELECT json_build_object('org', json_build_object('id', o.id, 'name', o.name), "
		"'role', $2::text, 'actor', $3::text, "
		"'user', (SELECT json_build_object('id', u.id, 'email', u.email) FROM users u WHERE u.id = $4::bigint), "
		"'api_key', (SELECT json_build_object('id', k.id, 'name', k.name) FROM api_keys k WHERE k.id = $5::bigint)) "
		"FROM orgs o WHERE o.id = $1",
		req->org, api_role_name(req->role), req->actor, uid, kid);
}
