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

/* A repository to connect; NULL (0) leaves a column at its default. */
struct repo_new {
	const char *provider, *full_name, *clone_url;
	const char *default_branch, *report_mode;	/* NULL: main, status */
	const char *external_id;			/* the provider's own id of it */
	int64_t integration_id;				/* the integration it belongs to */
	const struct secbuf *webhook_secret, *clone_token, *report_token;
};

/*
 * Connect repository n to org org_id within the caller's transaction: a new
 * hook id (32 random bytes in base64url, 43 characters), the row, the secrets given sealed under the
 * org's key, and the audit event "repository.connect" by actor (of
 * actor_type, as audit_append takes them) whose details are
 * {"full_name", "provider", "integration" (id or null), "report_token",
 * "clone_token", "webhook_secret" (each true when given, never its value)}.
 * The row's id goes to *id and its hook id to hook_id.  0 on success.
 * When that org already has a repository of that provider and name:
 * -EEXIST, unless n names an integration; then the repository is attached
 * to it, audited as "repository.update" with {"integration": id}, and 1 is
 * returned.  -EINVAL: a value the schema refuses (provider, name, URL,
 * branch, report mode); -ENOENT: the org has no data key and a secret was
 * given.  kr may be NULL when n gives no secret.
 */
int repo_create(struct db *db, const struct keyring *kr, int64_t org_id, const char *actor_type,
		const char *actor, const struct repo_new *n, int64_t *id, char hook_id[44]);

/*
 * Delete repository repo_id of org org_id and, by cascade, everything about
 * it; within the caller's transaction.  *counts (caller frees) gets a JSON
 * object with the number of rows removed per kind, for the answer; the
 * audit event "repository.disconnect" by actor has the details
 * {"full_name", "deleted": counts}.  -ENOENT when no such repository in
 * that org.
 */
int repo_delete(struct db *db, int64_t org_id, int64_t repo_id, const char *actor_type,
		const char *actor, char **counts);

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

/* A new webhook secret: 32 random bytes as 64 hex digits; out is released by the caller. */
int repo_new_webhook_secret(struct secbuf *out);

#endif
