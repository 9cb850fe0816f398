/*
 * github.c - GitHub App JWT and installation tokens; see github.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jwt.h>
#include <openssl/crypto.h>

#include "config.h"
#include "db.h"
#include "github.h"
#include "keys.h"
#include "util.h"

#define GITHUB_KEY_MAX   16384	/* a PEM RSA key of 4096 bits is ~3.3 KiB */
#define GITHUB_TOKEN_MAX 4096	/* GitHub documents ~520 characters; room to grow */
#define GITHUB_TOKEN_TTL 3600

void github_app_release(struct github_app *app)
{
	if (!app)
		return;
	free(app->ga_api_url);
	free(app->ga_app_id);
	free(app->ga_installation_id);
	secbuf_release(&app->ga_key);
	memset(app, 0, sizeof(*app));
}

static char *github_trim_url(const char *url)
{
	char *u = xstrdup(url);
	size_t n = strlen(u);

	while (n && u[n - 1] == '/')
		u[--n] = '\0';
	return u;
}

int github_app_load(struct db *db, const struct keyring *kr, const struct config *cfg,
		    int64_t integration_id, struct github_app *app)
{
	char id[24];
	PGresult *res = NULL;
	const char *api;
	int r;

	i64s(integration_id, id);
	r = DB_QUERY(db, &res, "SELECT org_id, app_id, installation_id, api_url, app_key_enc "
		     "FROM integrations WHERE id = $1 AND kind = 'github-app' "
		     "AND provider = 'github' AND app_id IS NOT NULL "
		     "AND installation_id IS NOT NULL AND app_key_enc IS NOT NULL", id);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1) {
		r = -ENOENT;
		goto out;
	}
	app->ga_org_id = db_int(res, 0, 0);
	app->ga_app_id = xstrdup(db_value(res, 0, 1));
	app->ga_installation_id = xstrdup(db_value(res, 0, 2));
	api = db_value(res, 0, 3);
	app->ga_api_url = github_trim_url(api && *api ? api : config_v(cfg)->github_api_url);
	r = secret_open(db, kr, app->ga_org_id, "integrations", "app_key_enc",
			integration_id, db_value(res, 0, 4), &app->ga_key);
out:
	PQclear(res);
	if (r < 0)
		github_app_release(app);
	return r;
}

int github_app_key_file(struct github_app *app, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 077)) {
		r = -EPERM;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > GITHUB_KEY_MAX) {
		r = -EFBIG;
		goto out;
	}
	secbuf_release(&app->ga_key);
	r = secbuf_alloc(&app->ga_key, (size_t)st.st_size + 1);
	if (r < 0)
		goto out;
	n = read(fd, app->ga_key.data, (size_t)st.st_size);
	if (n != st.st_size) {
		secbuf_release(&app->ga_key);
		r = n < 0 ? -errno : -EIO;
	}
out:
	close(fd);
	return r;
}

int github_app_jwt(const struct github_app *app, int64_t now, char **out)
{
	jwt_t *jwt = NULL;
	int r;

	*out = NULL;
	if (!app->ga_key.data || !app->ga_app_id)
		return -EINVAL;
	r = -jwt_new(&jwt);
	if (r < 0)
		return r;
	/* The algorithm is fixed here; nothing from input chooses it. */
	r = -jwt_set_alg(jwt, JWT_ALG_RS256, app->ga_key.data,
			 (int)strlen((const char *)app->ga_key.data));
	if (r == 0)
		r = -jwt_add_grant_int(jwt, "iat", (long)(now - GITHUB_JWT_SKEW));
	if (r == 0)
		r = -jwt_add_grant_int(jwt, "exp", (long)(now - GITHUB_JWT_SKEW + GITHUB_JWT_LIFE));
	if (r == 0)
		r = -jwt_add_grant(jwt, "iss", app->ga_app_id);
	if (r == 0) {
		*out = jwt_encode_str(jwt);	/* NULL when the key does not sign */
		r = *out ? 0 : -EINVAL;
	}
	jwt_free(jwt);
	return r;
}

void github_jwt_free(char *jwt)
{
	if (!jwt)
		return;
	OPENSSL_cleanse(jwt, strlen(jwt));
	free(jwt);	/* libjwt 1.10 returns malloc()ed strings */
}

const char *const github_api_headers[] = { "X-GitHub-Api-Version: " GITHUB_API_VERSION, NULL };

static const struct {
	unsigned scope;
	const char *name;
	const char *level;
} GITHUB_PERMS[] = {
	{ GITHUB_CLONE, "contents", "read" },
	{ GITHUB_CHECKS, "checks", "write" },
	{ GITHUB_STATUSES, "statuses", "write" },
	{ GITHUB_COMMENTS, "pull_requests", "write" },
	{ GITHUB_FIX, "contents", "write" },
	{ GITHUB_FIX, "pull_requests", "write" },
};

/* A scope that is asked alone. */
#define GITHUB_ALONE (GITHUB_CLONE | GITHUB_FIX)

static json_object *github_token_body(const char *name, unsigned scopes)
{
	json_object *body = json_object_new_object();
	json_object *repos = json_object_new_array();
	json_object *perms = json_object_new_object();

	json_object_array_add(repos, json_object_new_string(name));
	for (size_t i = 0; i < ARRAY_SIZE(GITHUB_PERMS); i++)
		if (scopes & GITHUB_PERMS[i].scope)
			json_object_object_add(perms, GITHUB_PERMS[i].name,
					       json_object_new_string(GITHUB_PERMS[i].level));
	json_object_object_add(body, "repositories", repos);
	json_object_object_add(body, "permissions", perms);
	return body;
}

/* Granted what was asked: every permission (but metadata: read) asked for, and all of them. */
static int github_grant_check(json_object *resp, const char *name, unsigned scopes)
{
	json_object *perms, *repos, *r0, *v;

	if (!json_object_object_get_ex(resp, "permissions", &perms) ||
	    !json_object_is_type(perms, json_type_object))
		return -EPROTO;
	for (size_t i = 0; i < ARRAY_SIZE(GITHUB_PERMS); i++)
		if ((scopes & GITHUB_PERMS[i].scope) &&
		    (!json_object_object_get_ex(perms, GITHUB_PERMS[i].name, &v) ||
		     strcmp(json_object_get_string(v), GITHUB_PERMS[i].level)))
			return -EPROTO;
	json_object_object_foreach(perms, key, val) {
		int asked = !strcmp(key, "metadata") && !strcmp(json_object_get_string(val), "read");

		for (size_t i = 0; i < ARRAY_SIZE(GITHUB_PERMS) && !asked; i++)
			asked = (scopes & GITHUB_PERMS[i].scope) && !strcmp(key, GITHUB_PERMS[i].name) &&
				!strcmp(json_object_get_string(val), GITHUB_PERMS[i].level);
		if (!asked)
			return -EPROTO;
	}
	if (!json_object_object_get_ex(resp, "repositories", &repos) ||
	    json_object_array_length(repos) != 1 || !(r0 = json_object_array_get_idx(repos, 0)) ||
	    !json_object_object_get_ex(r0, "name", &r0) || strcmp(json_object_get_string(r0), name))
		return -EPROTO;
	return 0;
}

static int64_t github_parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

	return end && !*end ? (int64_t)timegm(&tm) : -1;
}

static int github_token_take(json_object *resp, unsigned scopes, struct github_token *tok)
{
	json_object *t, *e;
	const char *s;
	size_t n;
	int64_t now = time(NULL), exp;
	int r;

	if (!json_object_object_get_ex(resp, "token", &t) ||
	    !json_object_object_get_ex(resp, "expires_at", &e))
		return -EPROTO;
	s = json_object_get_string(t);
	n = s ? strlen(s) : 0;
	exp = github_parse_time(json_object_get_string(e));
	if (n == 0 || n > GITHUB_TOKEN_MAX || exp <= now)
		return -EPROTO;
	r = secbuf_alloc(&tok->gt_token, n + 1);
	if (r < 0)
		return r;
	memcpy(tok->gt_token.data, s, n);
	tok->gt_expires = exp < now + GITHUB_TOKEN_TTL ? exp : now + GITHUB_TOKEN_TTL;
	tok->gt_scopes = scopes;
	return 0;
}

/* Zero the token inside the parsed response before it is freed. */
static void github_resp_scrub(json_object *resp)
{
	json_object *t;

	if (resp && json_object_object_get_ex(resp, "token", &t) &&
	    json_object_get_string_len(t) > 0)
		OPENSSL_cleanse((char *)json_object_get_string(t), (size_t)json_object_get_string_len(t));
}

int github_token_get(const struct http_client *hc, const struct github_app *app,
		     const char *repo, unsigned scopes, struct github_token *tok)
{
	const char *slash = strchr(repo, '/');
	struct http_req rq = { .rq_method = "POST", .rq_auth_scheme = "Bearer",
			       .rq_accept = "application/vnd.github+json",
			       .rq_headers = github_api_headers };
	struct http_resp rs = { 0 };
	char *jwt = NULL, *url;
	int r;

	memset(tok, 0, sizeof(*tok));
	if (!scopes || ((scopes & GITHUB_ALONE) && scopes != (scopes & GITHUB_ALONE)) ||
	    (scopes & GITHUB_ALONE) == GITHUB_ALONE || !slash ||
	    !slash[1] || strchr(slash + 1, '/'))
		return -EINVAL;
	r = github_app_jwt(app, time(NULL), &jwt);
	if (r < 0)
		return r;
	url = xasprintf("%s/app/installations/%s/access_tokens", app->ga_api_url,
			app->ga_installation_id);
	rq.rq_url = url;
	rq.rq_auth = jwt;
	rq.rq_body = github_token_body(slash + 1, scopes);
	r = http_request(hc, &rq, &rs);
	if (r == 0)
		r = github_grant_check(rs.rs_json, slash + 1, scopes);
	if (r == 0)
		r = github_token_take(rs.rs_json, scopes, tok);
	github_resp_scrub(rs.rs_json);
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	github_jwt_free(jwt);
	free(url);
	return r;
}

/* GET url with credential, and the non-empty string field of the answer. */
static int github_whoami(const struct http_client *hc, const char *url, const char *credential,
			 const char *field, char **out)
{
	struct http_req rq = { .rq_method = "GET", .rq_url = url, .rq_auth_scheme = "Bearer",
			       .rq_auth = credential, .rq_accept = "application/vnd.github+json",
			       .rq_headers = github_api_headers };
	struct http_resp rs;
	json_object *v;
	int r = http_request(hc, &rq, &rs);

	*out = NULL;
	if (r == 0 && (!json_object_object_get_ex(rs.rs_json, field, &v) ||
		       !json_object_is_type(v, json_type_string) || !*json_object_get_string(v)))
		r = -EPROTO;
	if (r == 0)
		*out = xstrdup(json_object_get_string(v));
	http_resp_release(&rs);
	return r;
}

int github_user_login(const struct http_client *hc, const char *api_url, const char *token,
		      char **login)
{
	char *url = xasprintf("%s/user", api_url);
	int r = github_whoami(hc, url, token, "login", login);

	free(url);
	return r;
}

int github_app_login(const struct http_client *hc, const struct github_app *app, char **login)
{
	char *jwt = NULL, *url, *slug = NULL;
	int r = github_app_jwt(app, time(NULL), &jwt);

	*login = NULL;
	if (r < 0)
		return r;
	url = xasprintf("%s/app", app->ga_api_url);
	r = github_whoami(hc, url, jwt, "slug", &slug);
	if (r == 0)
		*login = xasprintf("%s[bot]", slug);
	free(slug);
	free(url);
	github_jwt_free(jwt);
	return r;
}

void github_token_release(struct github_token *tok)
{
	if (!tok)
		return;
	secbuf_release(&tok->gt_token);
	memset(tok, 0, sizeof(*tok));
}

int github_repo_token(struct db *db, const struct keyring *kr, const struct config *cfg,
		      int64_t repo_id, unsigned scopes, struct github_token *tok)
{
	struct github_app app = { 0 };
	struct http_client hc;
	PGresult *res = NULL;
	char id[24];
	int r;

	memset(tok, 0, sizeof(*tok));
	i64s(repo_id, id);
	r = DB_QUERY(db, &res, "SELECT r.integration_id, r.full_name FROM repositories r "
		     "JOIN integrations i ON i.id = r.integration_id "
		     "WHERE r.id = $1 AND i.kind = 'github-app' AND r.provider = 'github'", id);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -ENOENT;
	}
	r = github_app_load(db, kr, cfg, db_int(res, 0, 0), &app);
	http_client_configure(&hc, cfg);
	if (r == 0)
		r = github_token_get(&hc, &app, db_value(res, 0, 1), scopes, tok);
	github_app_release(&app);
	PQclear(res);
	return r;
}
