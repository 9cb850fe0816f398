/*
 * lethe-api - the JSON API under /api/v1, a FastCGI responder.
 *
 * systemd (or the local stack) passes the listening socket on fd 0.  Each
 * request: find the route, read and parse the body (limited), open a
 * transaction, authenticate, set the caller's org for row-level security,
 * check the role, run the handler, commit or roll back, answer.  Errors are
 * {"error": "..."} and never carry SQL, stack traces or secrets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api.h"
#include "apiauth.h"
#include "fcgi-http.h"
#include "log.h"
#include "password.h"
#include "target.h"
#include "util.h"

#define API_PREFIX   "/api/v1"
#define PATH_MAX_LEN 1024
#define JSON_DEPTH   16

static int route_match(const char *pattern, const char *path, int64_t id[2])
{
	int n = 0;

	while (*pattern && *path) {
		if (!strncmp(pattern, "{id}", 4)) {
			size_t len = strspn(path, "0123456789");
			char num[24];

			if (len == 0 || len >= sizeof(num) || n == 2)
				return 0;
			memcpy(num, path, len);
			num[len] = '\0';
			if (parse_i64(num, 1, INT64_MAX, &id[n++]) < 0)
				return 0;
			pattern += 4;
			path += len;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

/* The route for method and path; *status 404 or 405 when none. */
static const struct api_route *route_find(const char *method, const char *path, int64_t id[2],
					  int *status)
{
	size_t i;

	*status = 404;
	for (i = 0; i < api_nroutes; i++) {
		if (!route_match(api_routes[i].pattern, path, id))
			continue;
		if (!strcmp(api_routes[i].method, method))
			return &api_routes[i];
		*status = 405;
	}
	return NULL;
}

/* Read and parse a JSON object body; an HTTP status when it is refused. */
static int body_read(struct api_ctx *ctx, FCGX_Request *fr, struct json_object **out)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	struct json_tokener *tok;
	int64_t len;
	char *buf;
	int r, status = 0;

	*out = NULL;
	r = fcgi_http_length(cl, config_v(ctx->cfg)->api_max_body, &len);
	if (r < 0)
		return r == -EFBIG ? 413 : 400;
	if (len == 0)
		return 0;
	if (fcgi_http_read(fr->in, (size_t)len, &buf) < 0)
		return 400;
	tok = json_tokener_new_ex(JSON_DEPTH);
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	if (!*out || json_tokener_get_parse_end(tok) != (size_t)len
	    || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		status = 400;
	}
	json_tokener_free(tok);
	OPENSSL_cleanse(buf, (size_t)len);	/* bodies may hold passwords */
	free(buf);
	return status;
}

static void respond(FCGX_Request *fr, const struct api_resp *resp)
{
	fcgi_http_head(fr->out, resp->status);
	if (resp->status == 401)
		FCGX_PutS("WWW-Authenticate: Bearer realm=\"lethe\"\r\n", fr->out);
	if (resp->set_cookie)
		FCGX_FPrintF(fr->out, "Set-Cookie: %s\r\n", resp->set_cookie);
	fcgi_http_end(fr->out, resp->body ? resp->body : "{}");
}

/* Within the transaction: who calls, and may they. */
static int gate(struct api_req *req, const struct api_route *rt, struct api_resp *resp)
{
	char msg[64];
	int r;

	if (rt->role == ROLE_NONE)
		return 1;
	r = api_authenticate(req);
	if (r == -EACCES)
		return api_error(resp, 401, "authentication required"), 0;
	if (r < 0)
		return r;
	if (req->role < rt->role) {
		snprintf(msg, sizeof(msg), "this needs the %s role", api_role_name(rt->role));
		return api_error(resp, 403, msg), 0;
	}
	return 1;
}

static void cookie_drop(struct api_resp *resp)
{
	if (resp->set_cookie)
		OPENSSL_cleanse(resp->set_cookie, strlen(resp->set_cookie));
	free(resp->set_cookie);
	resp->set_cookie = NULL;
}

static void run(struct api_req *req, const struct api_route *rt, struct api_resp *resp)
{
	int r = db_begin(req->db);

	if (r == 0 && (r = gate(req, rt, resp)) > 0)
		r = rt->fn(req, resp);
	if (r == 0 && (resp->status < 400 || resp->commit))
		r = db_commit(req->db);
	db_rollback(req->db);
	if (r < 0) {
		if (r == -EIO || r == -ENOTCONN)
			log_warning("%s %s failed: %s", req->method, rt->pattern, db_error(req->db));
		else
			log_errno(LOG_WARNING, r, "%s %s failed", req->method, rt->pattern);
		free(resp->body);
		resp->body = NULL;
		cookie_drop(resp);	/* its token was rolled back */
		api_error(resp, r == -ENOTCONN ? 503 : 500,
			  r == -ENOTCONN ? "database unavailable" : "internal error");
	}
}

static const char *request_path(FCGX_Request *fr, char *buf, size_t len)
{
	const char *p = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	const char *uri = FCGX_GetParam("REQUEST_URI", fr->envp);
	size_t n;

	if (!p && uri) {
		n = strcspn(uri, "?");
		if (n >= len)
			return NULL;
		memcpy(buf, uri, n);
		buf[n] = '\0';
		p = buf;
	}
	if (!p || strlen(p) >= PATH_MAX_LEN || strncmp(p, API_PREFIX, strlen(API_PREFIX)))
		return NULL;
	return p + strlen(API_PREFIX);
}

static void serve(struct api_ctx *ctx, FCGX_Request *fr)
{
	struct api_req req = { .ctx = ctx, .db = ctx->db };
	struct api_resp resp = { 0 };
	const struct api_route *rt = NULL;
	char pathbuf[PATH_MAX_LEN];
	const char *p;
	int status = 404;

	req.method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	req.path = request_path(fr, pathbuf, sizeof(pathbuf));
	req.query = FCGX_GetParam("QUERY_STRING", fr->envp);
	req.addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	req.authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp);
	req.cookie = FCGX_GetParam("HTTP_COOKIE", fr->envp);
	req.csrf = FCGX_GetParam("HTTP_X_LETHE_CSRF", fr->envp);
	req.origin = FCGX_GetParam("HTTP_ORIGIN", fr->envp);
	req.host = FCGX_GetParam("HTTP_HOST", fr->envp);
	req.port = FCGX_GetParam("SERVER_PORT", fr->envp);
	req.https = (p = FCGX_GetParam("HTTPS", fr->envp)) && !strcmp(p, "on");
	if (!req.query)
		req.query = "";
	if (!req.addr)
		req.addr = "";
	if (req.method && req.path)
		rt = route_find(req.method, req.path, req.id, &status);
	if (!rt)
		api_error(&resp, status, status == 405 ? "method not allowed" : "no such route");
	else if (!api_query_valid(req.query))
		api_error(&resp, 400, "bad query string: name=value pairs, values at most 255 bytes");
	else if ((status = body_read(ctx, fr, &req.body)) != 0)
		api_error(&resp, status, status == 413 ? "request body too large" : "body is not a JSON object");
	else
		run(&req, rt, &resp);
	respond(fr, &resp);
	log_field(LOG_F_ORG, req.org_id);
	log_info("%s %s %d", req.method ? req.method : "-", rt ? rt->pattern : "-", resp.status);
	if (rt && !api_route_answers(rt, resp.status))
		log_err("%s %s answered %d, which its route does not list (doc/openapi.json)",
			rt->method, rt->pattern, resp.status);
	log_field(LOG_F_ORG, 0);
	json_object_put(req.body);
	free(resp.body);
	cookie_drop(&resp);
}

static void routes_print(void)
{
	size_t i;

	for (i = 0; i < api_nroutes; i++) {
		char statuses[128];

		api_route_statuses(&api_routes[i], statuses, sizeof(statuses));
		printf("%s %s%s %s %s\n", api_routes[i].method, API_PREFIX, api_routes[i].pattern,
		       api_role_name(api_routes[i].role), statuses);
	}
}

/* A bcrypt hash of a random password, so unknown emails cost a real verify. */
static char *dummy_hash(const struct config *cfg)
{
	unsigned char raw[24];
	char pw[49], *hash = NULL;

	if (RAND_priv_bytes(raw, sizeof(raw)) != 1)
		fatalx(EXIT_TEMPFAIL, "unable to get random bytes");
	hex_encode(raw, sizeof(raw), pw);
	if (password_hash(pw, (int)config_v(cfg)->bcrypt_cost, &hash) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to hash the login decoy");
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(pw, sizeof(pw));
	return hash;
}

/*
 * (Re)load the master keys when their file is new or has changed: after a
 * rotation the new version signs and seals at once.  On failure the keys
 * held so far stay in use.
 */
static int ctx_keys(struct api_ctx *ctx, char *why, size_t whylen)
{
	struct keyring *kr = NULL;
	struct apiauth_keys jwt;
	struct stat st;
	int r;

	if (stat(ctx->key_path, &st) == 0 && ctx->keyring && st.st_ino == ctx->key_ino
	    && st.st_mtim.tv_sec == ctx->key_mtime.tv_sec && st.st_mtim.tv_nsec == ctx->key_mtime.tv_nsec)
		return 0;
	if ((r = keyring_load(ctx->cfg, &kr, why, whylen)) < 0)
		return r;
	if ((r = apiauth_keys_load(ctx->cfg, &jwt, why, whylen)) < 0) {
		keyring_free(kr);
		return r;
	}
	keyring_free(ctx->keyring);
	ctx->keyring = kr;
	memcpy(&ctx->jwt, &jwt, sizeof(jwt));
	apiauth_keys_release(&jwt);
	ctx->key_ino = st.st_ino;
	ctx->key_mtime = st.st_mtim;
	return 0;
}

static void ctx_open(struct api_ctx *ctx)
{
	struct config *cfg;
	char why[512];
	int r;

	cfg = config_start();
	ctx->cfg = cfg;
	ctx->key_path = keys_master_path(cfg);
	if ((r = ctx_keys(ctx, why, sizeof(why))) < 0)
		fatalx(r == -ENOENT || r == -EPERM || r == -EINVAL ? EXIT_PERMFAIL : EXIT_TEMPFAIL, "%s", why);
	if (target_list_load(cfg, &ctx->targets, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	ctx->dummy_hash = dummy_hash(cfg);
	ctx->migrations = api_migrations_installed();
	if (db_open(cfg, DB_ROLE_API, &ctx->db) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to connect to the database: %s", db_error(ctx->db));
}

#define USAGE "usage: lethe-api [--routes | --help | --version]  (FastCGI on standard input)\n"

int main(int argc, char **argv)
{
	struct api_ctx ctx = { 0 };
	FCGX_Request fr;
	int64_t served = 0, max;
	char why[512];

	std_options(argc, argv, USAGE);
	if (argc == 2 && !strcmp(argv[1], "--routes")) {
		routes_print();
		return EXIT_OK;
	}
	if (argc != 1) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	log_init("lethe-api");
	ctx_open(&ctx);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		fatalx(EXIT_TEMPFAIL, "unable to set up fastcgi on fd 0");
	/* A bounded life: the socket's owner starts a fresh process. */
	max = config_v(ctx.cfg)->api_max_requests;
	while (served++ < max && FCGX_Accept_r(&fr) >= 0) {
		if (ctx_keys(&ctx, why, sizeof(why)) < 0)
			log_warning("%s; keeping the keys loaded before", why);
		serve(&ctx, &fr);
		FCGX_Finish_r(&fr);
	}
	apiauth_keys_release(&ctx.jwt);
	keyring_free(ctx.keyring);
	target_list_free(ctx.targets);
	db_free(ctx.db);
	free(ctx.dummy_hash);
	free(ctx.migrations);
	free(ctx.key_path);
	config_free((struct config *)ctx.cfg);
	return EXIT_OK;
}
