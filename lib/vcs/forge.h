/*
 * forge.h - reporting to GitLab, Gitea/Forgejo, Bitbucket Cloud and
 * Bitbucket Data Center: a commit (build) status linking to the dashboard
 * and, for a pull (merge) request, one comment found again by
 * REPORT_MARKER and its author, edited in place (on Data Center, found
 * among the pull request's activities and edited at its current version).
 * Anyone may post the marker: only a comment written by the reporting
 * token's own user counts, as GET /user names it (GitLab's username,
 * Gitea's login, Bitbucket Cloud's uuid) or, on Data Center, the
 * X-AUSERNAME header of the activities' answer (the author's name).
 *
 * These providers take a stored reporting token (GitLab: a project or
 * group access token with the api scope; Gitea: a token with
 * write:repository and write:issue; Bitbucket: an access token with
 * repository:write and pullrequest:write; Bitbucket Data Center: an HTTP
 * access token with REPO_WRITE), kept apart from the read-only
 * clone token.  One table per provider says which paths and fields to use;
 * the text is report.c's, already redacted.
 */
#ifndef LETHE_FORGE_H
#define LETHE_FORGE_H

#include "http.h"
#include "report.h"

/* -EPROTONOSUPPORT for a provider without an adapter. */
int forge_report(const struct http_client *hc, const char *provider, const char *api_url,
		 const char *token, const struct report *rp);

#define FORGE_SHA_LEN 40

/* 1 if the provider's pull request webhooks may name a commit by a short hash. */
int forge_resolves(const char *provider);

/*
 * The full SHA of commit SHA (7 to 40 lower-case hex digits) of repository
 * REPO, asked with the read-only TOKEN; the answer must extend SHA.
 * -ENOENT: unknown or ambiguous; -EBADMSG: an answer that is not such a
 * SHA; -EINVAL: SHA is not hex; the http.h results otherwise.
 */
int forge_commit_resolve(const struct http_client *hc, const char *provider, const char *api_url,
			 const char *token, const char *repo, const char *sha,
			 char full[FORGE_SHA_LEN + 1]);

/*
 * What other requests to these providers share (pullreq.c): the
 * Authorization scheme of provider's API (NULL for a provider without an
 * adapter), and api followed by tmpl with {repo} naming repository repo
 * ("owner/name") as provider's paths do (GitLab's id "owner%2Fname", Data
 * Center's "KEY/repos/slug"; "owner/name" for any other provider).  The
 * URL is freed by the caller.
 */
const char *forge_auth_scheme(const char *provider);
char *forge_repo_url(const char *provider, const char *api, const char *repo, const char *tmpl);

#endif
