/*
 * api-routes.c - lethe-api's route table, version 1: every route, the least
 * role that may call it, its handler and the statuses the handler answers.
 * doc/openapi.json documents the same table with the same statuses
 * (tests/t4000-api-openapi.sh compares them); lethe-api logs an error for
 * any answer its route does not list (tests/t4999-api-statuses.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"

const struct api_route api_routes[] = {
	{ "GET",    "/health",                          ROLE_NONE,   api_health,            "200" },
	{ "POST",   "/auth/login",                      ROLE_NONE,   api_login,             "200 401 403 429" },
	{ "POST",   "/auth/refresh",                    ROLE_NONE,   api_refresh,           "200 401 403" },
	{ "POST",   "/auth/logout",                     ROLE_NONE,   api_logout,            "200 403" },
	{ "GET",    "/me",                              ROLE_MEMBER, api_me,                "200" },
	{ "GET",    "/repositories",                    ROLE_MEMBER, api_repos_list,        "200" },
	{ "POST",   "/repositories",                    ROLE_ADMIN,  api_repo_connect,      "201 409" },
	{ "GET",    "/repositories/{id}",               ROLE_MEMBER, api_repo_get,          "200 404" },
	{ "PATCH",  "/repositories/{id}",               ROLE_ADMIN,  api_repo_update,       "200 404" },
	{ "DELETE", "/repositories/{id}",               ROLE_ADMIN,  api_repo_disconnect,   "200 404 409" },
	{ "GET",    "/repositories/{id}/dependencies",  ROLE_MEMBER, api_repo_dependencies, "200 404" },
	{ "GET",    "/repositories/{id}/workflows",     ROLE_MEMBER, api_repo_workflows,    "200 404" },
	{ "GET",    "/repositories/{id}/sbom",          ROLE_MEMBER, api_repo_sbom,         "200 404" },
	{ "GET",    "/repositories/{id}/vulnerabilities", ROLE_MEMBER, api_repo_vulnerabilities, "200 404" },
	{ "GET",    "/scans",                           ROLE_MEMBER, api_scans_list,        "200" },
	{ "GET",    "/scans/{id}",                      ROLE_MEMBER, api_scan_get,          "200 404" },
	{ "GET",    "/scans/{id}/sarif",                ROLE_MEMBER, api_scan_sarif,        "200 404" },
	{ "GET",    "/findings",                        ROLE_MEMBER, api_findings_list,     "200" },
	{ "GET",    "/findings/{id}",                   ROLE_MEMBER, api_finding_get,       "200 404" },
	{ "PUT",    "/findings/{id}/triage",            ROLE_ADMIN,  api_finding_triage,    "200 404" },
	{ "DELETE", "/findings/{id}/triage",            ROLE_ADMIN,  api_finding_reopen,    "200 404" },
	{ "POST",   "/findings/{id}/fix",               ROLE_ADMIN,  api_fix_request,       "201 404 409" },
	{ "GET",    "/fixes/{id}",                      ROLE_ADMIN,  api_fix_get,           "200 404" },
	{ "POST",   "/fixes/{id}/approve",              ROLE_ADMIN,  api_fix_approve,       "200 404 409" },
	{ "POST",   "/fixes/{id}/reject",               ROLE_ADMIN,  api_fix_reject,        "200 404 409" },
	{ "GET",    "/checkouts",                       ROLE_MEMBER, api_checkouts,         "200" },
	{ "GET",    "/checkouts/history",               ROLE_MEMBER, api_checkouts_history, "200" },
	{ "GET",    "/jobs",                            ROLE_MEMBER, api_jobs_list,         "200" },
	{ "GET",    "/audit",                           ROLE_ADMIN,  api_audit_list,        "200" },
	{ "GET",    "/audit/verify",                    ROLE_ADMIN,  api_audit_verify,      "200" },
	{ "GET",    "/users",                           ROLE_ADMIN,  api_users_list,        "200" },
	{ "POST",   "/users",                           ROLE_OWNER,  api_user_add,          "201 409" },
	{ "PATCH",  "/users/{id}",                      ROLE_OWNER,  api_user_update,       "200 404 409" },
	{ "GET",    "/api-keys",                        ROLE_ADMIN,  api_keys_list,         "200" },
	{ "POST",   "/api-keys",                        ROLE_ADMIN,  api_key_create,        "201" },
	{ "DELETE", "/api-keys/{id}",                   ROLE_ADMIN,  api_key_revoke,        "200 404" },
	{ "GET",    "/org/keys",                        ROLE_ADMIN,  api_orgkeys_list,      "200" },
	{ "POST",   "/org/keys/rotate",                 ROLE_OWNER,  api_orgkey_rotate,     "200 409" },
};
const size_t api_nroutes = ARRAY_SIZE(api_routes);

static const char *const role_names[] = { "none", "member", "admin", "owner" };

const char *api_role_name(enum api_role r)
{
	return role_names[r];
}

/* Whether the space-separated list holds status. */
static bool listed(const char *list, int status)
{
	for (const char *p = list; *p; p += strspn(p, " ")) {
		char *end;

		if (strtol(p, &end, 10) == status)
			return true;
		p = end;
	}
	return false;
}

#define EVERY_ROUTE "400 413 500 503"	/* query, body, internal, database */
#define WITH_ROLE "401 403"

bool api_route_answers(const struct api_route *rt, int status)
{
	return listed(rt->statuses, status) || listed(EVERY_ROUTE, status) ||
	       (rt->role != ROLE_NONE && listed(WITH_ROLE, status));
}

void api_route_statuses(const struct api_route *rt, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int status = 100; status < 600 && n < len; status++)
		if (api_route_answers(rt, status))
			n += (size_t)snprintf(buf + n, len - n, "%s%d", n ? " " : "", status);
}

enum api_role api_role_parse(const char *s)
{
	size_t i;

	for (i = ROLE_MEMBER; s && i < ARRAY_SIZE(role_names); i++)
		if (!strcmp(s, role_names[i]))
			return (enum api_role)i;
	return ROLE_NONE;
}
