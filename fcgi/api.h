/*
 * api.h - what lethe-api's parts share: the request, the answer, the route
 * table and the handlers, one file per area (api-*.c).
 *
 * Every request runs in one transaction.  An authenticated request has set
 * lethe.org_id (db_set_org) before its handler runs, so row-level security
 * shows the handler its caller's org only; handlers also name the org in
 * their SQL where it costs nothing (invariant 8).
 */
#ifndef LETHE_API_H
#define LETHE_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>

#include "apiauth.h"
#include "config.h"
#include "db.h"
#include "keys.h"

enum api_role { ROLE_NONE = 0, ROLE_MEMBER, ROLE_ADMIN, ROLE_OWNER };

struct api_ctx {
	const struct config *cfg;
	struct db *db;
	struct keyring *keyring;
	struct apiauth_keys jwt;		/* jwt.key[0] signs; every one verifies */
	char *key_path;			/* the master key file, watched for rotation */
	struct timespec key_mtime;
	ino_t key_ino;
	char *dummy_hash;		/* bcrypt of nothing anyone knows, for unknown emails */
	char *migrations;		/* the installed migrations, "{001_init,050_api}" */
	struct target_list *targets;	/* clone_hosts: where repositories may point */
};

struct api_req {
	struct api_ctx *ctx;
	struct db *db;
	const char *method;
	const char *path;		/* after /api/v1 */
	const char *query;		/* may be "" */
	const char *addr;		/* REMOTE_ADDR */
	const char *authorization;
	const char *cookie;		/* HTTP_COOKIE, may be NULL */
	const char *csrf;		/* the X-Lethe-CSRF header, may be NULL */
	const char *origin;		/* the Origin header, may be NULL */
	const char *host;		/* the Host header's name (nginx's $host), may be NULL */
	const char *port;		/* SERVER_PORT, may be NULL */
	int https;			/* the request came over TLS */
	struct json_object *body;	/* parsed JSON body, or NULL */
	int64_t id[2];			/* the {id}s of the route, in order */
	/* The caller, once authenticated. */
	int64_t org_id, user_id, key_id;
	int64_t key_creator;		/* for an API key: the user it acts for */
	enum api_role role;
	char org[24];			/* org_id as text, for SQL parameters */
	char actor_type[8], actor[32];
};

struct api_resp {
	int status;
	char *body;			/* JSON text, owned */
	int commit;			/* commit even though status >= 400 */
	char *set_cookie;		/* a Set-Cookie value, owned, or NULL */
};

typedef int (*api_handler)(struct api_req *req, struct api_resp *resp);

struct api_route {
	const char *method;
	const char *pattern;		/* "{id}" matches a positive integer */
	enum api_role role;		/* ROLE_NONE: no authentication */
	api_handler fn;
	const char *statuses;		/* what the handler answers: "200 404" */
};

extern const struct api_route api_routes[];
extern const size_t api_nroutes;
const char *api_role_name(enum api_role r);
/* Whether rt may answer status: its handler's, or what every route may
 * answer (400 413 500 503, and 401 403 when it needs a role). */
bool api_route_answers(const struct api_route *rt, int status);
/* Every status rt may answer, ascending, space-separated, into buf. */
void api_route_statuses(const struct api_route *rt, char *buf, size_t len);
enum api_role api_role_parse(const char *s);

/* Answers; body strings are copied.  api_error returns 0 (handled). */
int api_error(struct api_resp *resp, int status, const char *msg);
int api_json(struct api_resp *resp, int status, const char *json);
int api_json_obj(struct api_resp *resp, int status, struct json_object *o);	/* takes o */
/* Run a query whose single value is the JSON answer (200); 404 msg on no row/NULL. */
int api_query_json(struct api_req *req, struct api_resp *resp, const char *notfound,
		   const char *sql, int n, const char *const *params);
#define API_QUERY_JSON(req, resp, nf, sql, ...) \
	api_query_json((req), (resp), (nf), (sql), DB_NARGS(__VA_ARGS__), \
		       (const char *const[]){ __VA_ARGS__ })

/* Request helpers. */
int api_query_valid(const char *query);	/* name=value pairs, each value decodable and short */
const char *api_param(struct api_req *req, const char *name, char *buf, size_t len);
/* An integer parameter in [min, max]: *out NULL when absent; -1 when bad. */
int api_param_int(struct api_req *req, const char *name, int64_t min, int64_t max, char buf[24],
		  const char **out);
const char *api_body_str(struct api_req *req, const char *name);	/* NULL if absent or not a string */
void api_id_text(const struct api_req *req, int i, char buf[24]);
void api_bytea(const unsigned char hash[32], char out[67]);	/* "\x" + hex */

/* Authentication (api-auth.c). */
int api_authenticate(struct api_req *req);	/* 0, -EACCES (401) or db error */
int api_login(struct api_req *req, struct api_resp *resp);
int api_refresh(struct api_req *req, struct api_resp *resp);
int api_logout(struct api_req *req, struct api_resp *resp);
int api_me(struct api_req *req, struct api_resp *resp);

/* Repositories and their facts (api-repos.c). */
int api_repos_list(struct api_req *req, struct api_resp *resp);
int api_repo_get(struct api_req *req, struct api_resp *resp);
int api_repo_connect(struct api_req *req, struct api_resp *resp);
int api_repo_update(struct api_req *req, struct api_resp *resp);
int api_repo_disconnect(struct api_req *req, struct api_resp *resp);
int api_repo_dependencies(struct api_req *req, struct api_resp *resp);
int api_repo_workflows(struct api_req *req, struct api_resp *resp);
int api_repo_sbom(struct api_req *req, struct api_resp *resp);	/* api-sbom.c */
int api_repo_vulnerabilities(struct api_req *req, struct api_resp *resp);	/* api-sbom.c */
int api_checkouts(struct api_req *req, struct api_resp *resp);
int api_checkouts_history(struct api_req *req, struct api_resp *resp);
int api_jobs_list(struct api_req *req, struct api_resp *resp);

/* Scans and findings (api-scans.c). */
int api_scans_list(struct api_req *req, struct api_resp *resp);
int api_scan_get(struct api_req *req, struct api_resp *resp);
int api_scan_sarif(struct api_req *req, struct api_resp *resp);
int api_findings_list(struct api_req *req, struct api_resp *resp);
int api_finding_get(struct api_req *req, struct api_resp *resp);
int api_finding_triage(struct api_req *req, struct api_resp *resp);
int api_finding_reopen(struct api_req *req, struct api_resp *resp);
/* api-fixes.c */
int api_fix_request(struct api_req *req, struct api_resp *resp);
int api_fix_get(struct api_req *req, struct api_resp *resp);
int api_fix_approve(struct api_req *req, struct api_resp *resp);
int api_fix_reject(struct api_req *req, struct api_resp *resp);

/* Org administration (api-admin.c). */
char *api_migrations_installed(void);	/* NULL when the sql directory is unreadable */
int api_health(struct api_req *req, struct api_resp *resp);
int api_audit_list(struct api_req *req, struct api_resp *resp);
int api_audit_verify(struct api_req *req, struct api_resp *resp);
int api_users_list(struct api_req *req, struct api_resp *resp);
int api_user_add(struct api_req *req, struct api_resp *resp);
int api_user_update(struct api_req *req, struct api_resp *resp);
int api_keys_list(struct api_req *req, struct api_resp *resp);
int api_key_create(struct api_req *req, struct api_resp *resp);
int api_key_revoke(struct api_req *req, struct api_resp *resp);

/* The org's data keys (api-orgkeys.c). */
int api_orgkeys_list(struct api_req *req, struct api_resp *resp);
int api_orgkey_rotate(struct api_req *req, struct api_resp *resp);

#endif
