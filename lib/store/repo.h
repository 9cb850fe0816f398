/*
 * repo.h - what the API and lethectl both do to repositories.
 */
#ifndef LETHE_REPO_H
#define LETHE_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "target.h"

/*
 * Delete repository repo_id of org org_id and, by cascade, everything about
 * it; within the caller's transaction.  *counts (caller frees) gets a JSON
 * object with the number of rows removed per kind, for the audit event and
 * the answer.  -ENOENT when no such repository in that org.
 */
int repo_delete(struct db *db, int64_t org_id, int64_t repo_id, char **counts);

/* What repo_update changes; NULL leaves a setting as it is. */
struct repo_settings {
	const char *api_url;		/* http(s) URL, or "" for none */
	const char *report_mode;	/* none, status, check-run, comment, ... */
	const char *default_branch;
	const char *integration;	/* id of an integration of the org, or "" for none */
	const struct secbuf *report_token, *clone_token, *webhook_secret;
};

/*
 * Change repository repo_id of org org_id as set says, within the caller's
 * transaction, the secrets sealed under the org's key; a new api_url must
 * pass target_check() against targets.  *details (caller
 * frees) is a JSON object naming what changed, secrets as true, never their
 * value, for the audit event.  -ENOENT: no such repository in that org;
 * -EINVAL with a one-line reason in why: a bad value, an integration not of
 * the repository's org and provider, or a GitHub
 * repository reporting check runs without a GitHub App integration (the
 * Checks API takes App tokens only).
 */
int repo_update(struct db *db, const struct keyring *kr, const struct target_list *targets,
		int64_t org_id, int64_t repo_id,
		const struct repo_settings *set, char **details, char *why, size_t whylen);

/* A new unguessable webhook id: 32 random bytes in base64url (43 chars). */
int repo_new_hook_id(char out[44]);

#endif
