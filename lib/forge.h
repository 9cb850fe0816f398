/*
 * forge.h - reporting to GitLab, Gitea/Forgejo and Bitbucket Cloud: a
 * commit status linking to the dashboard and, for a pull (merge) request,
 * one comment found again by REPORT_MARKER and edited in place.
 *
 * These providers take a stored reporting token (GitLab: a project or
 * group access token with the api scope; Gitea: a token with
 * write:repository and write:issue; Bitbucket: an access token with
 * repository:write and pullrequest:write), kept apart from the read-only
 * clone token.  One table per provider says which paths and fields to use;
 * the text is report.c's, already redacted.
 */
#ifndef LETHE_FORGE_H
#define LETHE_FORGE_H

#include "http.h"
#include "report.h"

/* -EPROTONOSUPPORT for a provider without an adapter ("bitbucket-dc"). */
int forge_report(const struct http_client *hc, const char *provider, const char *api_url,
		 const char *token, const struct report *rp);

#endif
