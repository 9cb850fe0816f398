/*
 * redact.h - take credentials out of text Lethe is about to publish.
 *
 * Everything Lethe writes where others read it (a check run, a commit
 * status, a pull-request comment) passes through redact_text() first, so a
 * secret found in a repository is never echoed back into a public place.
 * The patterns are the common token shapes: GitHub (ghp_, gho_, ghu_, ghs_,
 * ghr_, github_pat_), GitLab (glpat-), Slack (xox?-), AWS access key ids
 * (AKIA, ASIA), Bitbucket (ATBB), JWTs and PEM private keys.
 */
#ifndef LETHE_REDACT_H
#define LETHE_REDACT_H

#include <stddef.h>

#define REDACT_MARK "[redacted]"

/*
 * A copy of text with every match replaced by REDACT_MARK; *count (if not
 * NULL) gets how many.  The caller frees the result.
 */
char *redact_text(const char *text, int *count);

/*
 * Drop, in place, the userinfo ("user:token@") of every URL in s: what
 * follows "://" up to the last '@' before the end of the authority (the
 * first '/', '?', '#', white space or quote).  Returns how many.  Manifests
 * name dependencies by URL, and credentials hide there
 * ("pkg @ https://user:token@host/pkg.tar.gz").
 */
int redact_userinfo(char *s);

#endif
