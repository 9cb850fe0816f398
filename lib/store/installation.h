/*
 * installation.h - GitHub App installation events, applied.
 *
 * lethe-hook verifies and records them (lib/vcs/ghinstall.h); lethe-drain
 * applies them here, so that the webhook receiver never creates or
 * deletes a repository.  The queued events of one integration are applied
 * one at a time in the order they were recorded, each in one transaction
 * with its outcome:
 *   installation created, installation_repositories added
 *       the repositories listed are connected (lib/store/repo.c: created,
 *       or re-attached to the integration), with one installation.connect
 *       audit event
 *   installation_repositories removed
 *       each listed repository of the integration is deleted with
 *       everything about it; one installation.remove audit event carries
 *       the summed counts of what went
 *   installation deleted
 *       every repository of the integration is deleted, then the
 *       integration; one installation.delete audit event, as above
 * An event whose integration is gone by then is ignored; one the database
 * refuses to apply has failed, with its reason.  Neither is tried again.
 */
#ifndef LETHE_INSTALLATION_H
#define LETHE_INSTALLATION_H

#include <stdint.h>

struct db;

struct installation_result {
	int64_t in_event;
	int64_t in_org;
	int64_t in_integration;		/* 0: gone */
	const char *in_state;		/* "applied", "ignored", "failed" */
	int in_connected;		/* repositories created or re-attached */
	int in_deleted;			/* repositories deleted */
	char in_reason[300];		/* why ignored or failed */
};

/*
 * Apply the oldest queued event that no other drain is applying, and no
 * older one of its integration waits for: 1 when one was applied (res
 * says how), 0 when none is queued, < 0 when the database failed (nothing
 * changed; -ENOTCONN when it is unreachable).  api_url is the GitHub API
 * the integrations use (config github_api_url): clone URLs point at its
 * web host.
 */
int installation_apply_next(struct db *db, const char *api_url, struct installation_result *res);

#endif
