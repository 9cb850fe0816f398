/*
 * api-routes.c - lethe-api's route table, version 1: every route, the least
 * role that may call it, and its handler.  doc/openapi.json documents the
 * same table (tests/t4000-api-openapi.sh compares them).
 */
#include <string.h>

#include "api.h"
#include "util.h"

const struct api_route api_routes[] = {
	{ "GET",    "/health",                          ROLE_NONE,   api_health },
	{ "POST",   "/auth/login",                      ROLE_NONE,   api_login },
	{ "POST",   "/auth/refresh",                    ROLE_NONE,   api_refresh },
	{ "POST",   "/auth/logout",                     ROLE_NONE,   api_logout },
	{ "GET",    "/me",                              ROLE_MEMBER, api_me },
	{ "GET",    "/repositories",                    ROLE_MEMBER, api_repos_list },
	{ "POST",   "/repositories",                    ROLE_ADMIN,  api_repo_connect },
	{ "GET",    "/repositories/{id}",               ROLE_MEMBER, api_repo_get },
	{ "DELETE", "/repositories/{id}",               ROLE_ADMIN,  api_repo_disconnect },
	{ "GET",    "/repositories/{id}/dependencies",  ROLE_MEMBER, api_repo_dependencies },
	{ "GET",    "/repositories/{id}/workflows",     ROLE_MEMBER, api_repo_workflows },
	{ "GET",    "/repositories/{id}/sbom",          ROLE_MEMBER, api_repo_sbom },
	{ "GET",    "/scans",                           ROLE_MEMBER, api_scans_list },
	{ "GET",    "/scans/{id}",                      ROLE_MEMBER, api_scan_get },
	{ "GET",    "/scans/{id}/sarif",                ROLE_MEMBER, api_scan_sarif },
	{ "GET",    "/findings",                        ROLE_MEMBER, api_findings_list },
	{ "GET",    "/findings/{id}",                   ROLE_MEMBER, api_finding_get },
	{ "PUT",    "/findings/{id}/triage",            ROLE_ADMIN,  api_finding_triage },
	{ "DELETE", "/findings/{id}/triage",            ROLE_ADMIN,  api_finding_reopen },
	{ "GET",    "/checkouts",                       ROLE_MEMBER, api_checkouts },
	{ "GET",    "/audit",                           ROLE_ADMIN,  api_audit_list },
	{ "GET",    "/audit/verify",                    ROLE_ADMIN,  api_audit_verify },
	{ "GET",    "/users",                           ROLE_ADMIN,  api_users_list },
	{ "POST",   "/users",                           ROLE_OWNER,  api_user_add },
	{ "PATCH",  "/users/{id}",                      ROLE_OWNER,  api_user_update },
	{ "GET",    "/api-keys",                        ROLE_ADMIN,  api_keys_list },
	{ "POST",   "/api-keys",                        ROLE_ADMIN,  api_key_create },
	{ "DELETE", "/api-keys/{id}",                   ROLE_ADMIN,  api_key_revoke },
	{ "GET",    "/org/keys",                        ROLE_ADMIN,  api_orgkeys_list },
	{ "POST",   "/org/keys/rotate",                 ROLE_OWNER,  api_orgkey_rotate },
};
const size_t api_nroutes = ARRAY_SIZE(api_routes);

static const char *const role_names[] = { "none", "member", "admin", "owner" };

const char *api_role_name(enum api_role r)
{
	return role_names[r];
}

enum api_role api_role_parse(const char *s)
{
	size_t i;

	for (i = ROLE_MEMBER; s && i < ARRAY_SIZE(role_names); i++)
		if (!strcmp(s, role_names[i]))
			return (enum api_role)i;
	return ROLE_NONE;
}
