/*
 * pullreq.h - the pull (merge) request proposing an approved fix, opened
 * once its branch is pushed (lib/scan/fixpush.h), with the same separately
 * scoped write token (GitHub: an installation token of GITHUB_FIX, or a
 * stored token with the repo scope; GitLab: api; Gitea and Forgejo:
 * write:repository; Bitbucket Cloud: pullrequest:write; Bitbucket Data
 * Center: REPO_WRITE).
 *
 *   github        POST /repos/{o}/{r}/pulls              head, base, title, body
 *   gitlab        POST /projects/{o%2Fr}/merge_requests  source_branch, target_branch,
 *                                                        title, description
 *   gitea         POST /repos/{o}/{r}/pulls              head, base, title, body
 *   bitbucket     POST /repositories/{ws}/{slug}/pullrequests
 *                                   title, description, source.branch.name,
 *                                   destination.branch.name
 *   bitbucket-dc  POST /rest/api/latest/projects/{key}/repos/{slug}/pull-requests
 *                                   title, description, fromRef, toRef (refs/heads/..)
 *
 * The answer's number (number, iid or id) and web page (html_url, web_url,
 * links.html.href or links.self[0].href) are returned.  The title and body
 * (which may be empty) are sent as given: the caller writes them (no code,
 * redacted).
 */
#ifndef LETHE_PULLREQ_H
#define LETHE_PULLREQ_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/*
 * Open a pull request of head_branch into base_branch of repository
 * full_name ("owner/name"; Data Center: "KEY/slug") at api_url (the
 * provider's API root, as repositories.api_url holds it).  *number and
 * url (NUL-terminated, cut to urllen) on success; why gets one line on
 * error (never the token, never a body).  Errors:
 *   -EPROTONOSUPPORT  a provider without an adapter           permanent
 *   -EINVAL           a missing or empty argument             permanent
 *   -EPROTO           refused (409, 422, other 4xx): why says  permanent
 *                     when one for the branch exists already
 *   -EACCES, -ENOENT, -EAGAIN, -EFBIG, -EBADMSG, -EPERM       as http.h
 *   -EBADMSG          also: an answer without number or URL
 * http_error_permanent() tells which not to retry.  The client retries
 * temporary failures as it does for every caller: a create that reached
 * the forge before a 5xx comes back as -EPROTO "already exists".
 */
int pullreq_open(const struct http_client *hc, const char *provider, const char *api_url,
		 const char *token, const char *full_name, const char *head_branch,
		 const char *base_branch, const char *title, const char *body,
		 int64_t *number, char *url, size_t urllen, char *why, size_t whylen);

#endif
