/*
 * github.h - GitHub App authentication: the App JWT and the narrow,
 * short-lived installation tokens Lethe asks for at each step (DESIGN.md
 * invariant 6).
 *
 * The App's private key (PEM) is signed with RS256 through libjwt, the
 * algorithm pinned by the caller and never read from input; iat is 60 s in
 * the past (clock skew), exp 9 minutes ahead, so exp - iat is 10 minutes,
 * GitHub's limit.  An installation token is then requested for exactly one
 * repository and exactly the permissions of one step:
 *
 *   GITHUB_CLONE     contents: read                   (the clone, alone)
 *   GITHUB_CHECKS    checks: write                    (a check run)
 *   GITHUB_STATUSES  statuses: write                  (a commit status)
 *   GITHUB_COMMENTS  pull_requests: write             (the pull-request comment)
 *   GITHUB_FIX       contents: write, pull_requests: write
 *                                                     (an approved fix: its branch
 *                                                      pushed, its pull request opened)
 *
 * The clone and fix scopes are never combined with another, so the token
 * that reaches git can read and nothing else, or write this repository's
 * branches and pull requests and nothing else.  A token whose granted
 * repositories or permissions differ from those asked (wider, or missing
 * one) is refused (-EPROTO).  Tokens live only
 * in mlocked memory, expire within the hour and are zeroed on release.
 */
#ifndef LETHE_GITHUB_H
#define LETHE_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "http.h"

struct db;
struct keyring;
struct config;

enum github_scope {
	GITHUB_CLONE    = 1 << 0,
	GITHUB_CHECKS   = 1 << 1,
	GITHUB_STATUSES = 1 << 2,
	GITHUB_COMMENTS = 1 << 3,
	GITHUB_FIX      = 1 << 4,
};

#define GITHUB_API_VERSION "2022-11-28"	/* sent as X-GitHub-Api-Version */
/* The headers of every GitHub API request ("X-GitHub-Api-Version: ..."), NULL-ended. */
extern const char *const github_api_headers[];

#define GITHUB_JWT_SKEW  60	/* iat this far in the past */
#define GITHUB_JWT_LIFE  600	/* exp - iat */

struct github_app {
	char *ga_api_url;		/* "https://api.github.com", no final '/' */
	char *ga_app_id;
	char *ga_installation_id;
	int64_t ga_org_id;
	struct secbuf ga_key;		/* PEM private key, NUL-terminated */
};

/* Zero the key and free everything; accepts a zeroed struct. */
void github_app_release(struct github_app *app);

/*
 * Load a github-app integration: its ids, its API URL (the integration's,
 * else config github_api_url) and its private key opened under the org key.
 * -ENOENT when there is no such github-app integration.
 */
int github_app_load(struct db *db, const struct keyring *kr, const struct config *cfg,
		    int64_t integration_id, struct github_app *app);

/*
 * A single-tenant install's key file: refused (-EPERM) unless owned by this
 * user or root and not readable by group or others.
 */
int github_app_key_file(struct github_app *app, const char *path);

/* The signed App JWT for time now (seconds); *out freed by github_jwt_free. */
int github_app_jwt(const struct github_app *app, int64_t now, char **out);
void github_jwt_free(char *jwt);

struct github_token {
	struct secbuf gt_token;		/* NUL-terminated */
	int64_t gt_expires;		/* unix seconds, at most an hour ahead */
	unsigned gt_scopes;
};

/*
 * An installation token for repo ("owner/name") with scopes.  -EINVAL for
 * GITHUB_CLONE or GITHUB_FIX combined with anything; the http.h errors otherwise
 * (-EACCES: the key or the JWT was refused, a permanent error).
 */
int github_token_get(const struct http_client *hc, const struct github_app *app,
		     const char *repo, unsigned scopes, struct github_token *tok);
void github_token_release(struct github_token *tok);

/*
 * Who writes what a credential writes, as comments name their author
 * (user.login): GET /user for a stored token; for the app's installation
 * tokens, its bot, "<slug>[bot]" from GET /app (which takes the App JWT).
 * *login freed by the caller; the http.h errors, -EPROTO for no such field.
 */
int github_user_login(const struct http_client *hc, const char *api_url, const char *token,
		      char **login);
int github_app_login(const struct http_client *hc, const struct github_app *app, char **login);

/*
 * The token for a step on repository repo_id when it belongs to a
 * github-app integration (lethe-scan's clone asks GITHUB_CLONE): loads the
 * app, mints, forgets the app key.  -ENOENT when the repository has no
 * github-app integration (use its stored token instead).
 */
int github_repo_token(struct db *db, const struct keyring *kr, const struct config *cfg,
		      int64_t repo_id, unsigned scopes, struct github_token *tok);

#endif
