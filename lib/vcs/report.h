/*
 * report.h - a finished scan's results, back where developers look.
 *
 * After lethe-scan has committed a scan's results, report_scan() tells the
 * repository's VCS about it, as the repository's report_mode says:
 *
 *   check-run   a GitHub check run: a summary and one line annotation per
 *               finding introduced by the scan, sent in batches of at most
 *               50 (the first with the create, the rest as updates)
 *   status      a commit status linking to the scan on the dashboard
 *   +comment    one pull-request comment, found again on the next scan by a
 *               hidden marker and edited in place: findings introduced,
 *               findings fixed, tools that did not complete
 *
 * The text carries rule ids, paths, line numbers and the scanners' messages
 * (already sanitized), never source text, and passes redact_text() before
 * it leaves.  Reporting only reads the scan: a failure here loses nothing,
 * the scan's results stay committed and the caller decides what to log.
 */
#ifndef LETHE_REPORT_H
#define LETHE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "http.h"

struct db;
struct keyring;
struct config;

#define REPORT_MARKER      "<!-- lethe:report -->"
#define REPORT_BATCH       50	/* annotations per check-run request (GitHub's limit) */
#define REPORT_MAX_FINDINGS 1000	/* read per list; the rest are counted */
#define REPORT_COMMENT_ROWS 50	/* listed per section of the comment */
#define REPORT_TITLE_MAX   255	/* bytes of an annotation's title (GitHub's limit) */
/* Bytes of a check run's summary and of a comment: GitHub's 65,535 characters. */
#define REPORT_GITHUB_TEXT_MAX 65535

struct report_finding {
	char *rf_tool, *rf_rule, *rf_level, *rf_path, *rf_message;
	int rf_start, rf_end;
};

struct report_tool {
	char *rt_tool, *rt_reason;
};

struct report {
	int64_t rp_scan_id, rp_org_id, rp_repo_id, rp_integration_id;
	char *rp_repo;			/* "owner/name" */
	char *rp_provider;
	char *rp_sha;
	char *rp_ref;			/* "refs/heads/NAME", "" if not known */
	int rp_pr;			/* 0: not a pull request */
	char *rp_state;			/* complete, incomplete, failed */
	char *rp_mode;			/* repositories.report_mode */
	char *rp_kind;			/* the integration's kind, "" if none */
	char *rp_link;			/* the scan on the dashboard */
	int64_t rp_base_scan;		/* a pull request's: what it is compared with, 0: none */
	char *rp_base_branch;		/* that scan's branch, "" when none */
	struct report_finding *rp_new;	/* introduced by this scan */
	size_t rp_nnew, rp_new_total;
	struct report_finding *rp_fixed;	/* fixed by this scan */
	size_t rp_nfixed, rp_fixed_total;
	struct report_tool *rp_tools;	/* incomplete tools */
	size_t rp_ntools;
	size_t rp_open_total;		/* open after this scan */
};

/* The configured API URL of a provider; NULL when there is none (Gitea). */
const char *report_api_default(const struct config *cfg, const char *provider);

/* Read scan_id and its findings; -ENOENT when there is no such scan. */
/*
 * The stored reporting token of repository repo of org: the repository's,
 * else its integration's (opened under the org key); -ENOENT when neither
 * has one.
 */
int report_token_open(struct db *db, const struct keyring *kr, int64_t org, int64_t repo,
		      struct secbuf *tok);
int report_load(struct db *db, const struct config *cfg, int64_t scan_id, struct report *rp);
void report_release(struct report *rp);

/* 1 if a finding introduced by the scan is of level error. */
int report_has_errors(const struct report *rp);

/*
 * The texts, already redacted and valid UTF-8; the caller frees them.  The
 * Markdown is at most max bytes: rows that do not fit are counted in a
 * "N more findings: see the dashboard" line.
 */
char *report_title(const struct report *rp);		/* one line, <= 140 bytes */
char *report_markdown(const struct report *rp, int with_marker, size_t max);

/*
 * Tell GitHub, with a reporting token for rp (mode decides the parts).  A
 * check run takes an App installation token (app: its app, whose key signs
 * the JWT of GET /app): with a stored token (app NULL) it is a commit
 * status instead, and a warning says so.  The comment is found again by
 * REPORT_MARKER written by the token's own user: the app's bot
 * ("<slug>[bot]") or GET /user's login, never a comment someone else
 * posted with the marker.
 */
struct github_app;
int report_github(const struct http_client *hc, const char *api_url, const char *token,
		  const struct github_app *app, const struct report *rp);

/*
 * Load, get the reporting token (minted for a github-app integration, else
 * the stored report_token_enc of the repository or its integration), and
 * report through report_github() or forge_report().  0 also when there is
 * nothing to do (mode 'none', no reporting token, no API URL): *done is 0
 * then, else 1.  Errors are the http.h, github.h and keys.h ones.
 */
int report_scan(struct db *db, const struct keyring *kr, const struct config *cfg,
		int64_t scan_id, int *done);

#endif
