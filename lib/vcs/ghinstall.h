/*
 * ghinstall.h - GitHub App webhooks: installations connect and disconnect
 * repositories.
 *
 * An App sends its webhooks (POST /hooks/github-app) signed with the App's
 * own secret, and names itself in X-GitHub-Hook-Installation-Target-ID.
 * Every org that uses the app keeps its own copy of that secret, sealed
 * under its org key, in webhook_secret_enc of its github-app integration,
 * registered with the app id and the installation id at connect time.  A
 * delivery is bound to one tenant before it is trusted: installation.id
 * is read from the raw body by a scanner that only skips JSON values (no
 * parse, DESIGN.md invariant 1), the integration of (app id, installation
 * id) is looked up, and that row's secret alone must verify the body; once
 * parsed, the event must name the same installation.  Another tenant
 * holding a secret for the same app id thus cannot act on this one.
 *
 * Then, for the integration whose installation_id the event names:
 *   installation created, installation_repositories added
 *       the repositories listed are connected (created, or re-attached to
 *       this integration), with one "repositories connected" audit event
 *   installation_repositories removed
 *       each listed repository is deleted with everything about it
 *   installation deleted
 *       every repository of the integration is deleted, then the
 *       integration; one "installation deleted" audit event carries the
 *       summed counts of what went
 * Anything else verified is ignored.  All of one event in one transaction.
 */
#ifndef LETHE_GHINSTALL_H
#define LETHE_GHINSTALL_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct keyring;
struct webhook_headers;

#define GHINSTALL_MAX_REPOS      1000	/* listed in one event */
#define GHINSTALL_BODY_MAX       (4 << 20)

struct ghinstall_result {
	int64_t gi_org_id;
	int64_t gi_integration_id;
	int gi_connected;		/* repositories created or re-attached */
	int gi_deleted;			/* repositories deleted */
	int gi_ignored;			/* verified, nothing to do */
};

/*
 * Verify then apply.  app_id is the Installation-Target-ID header; web_url
 * is where clone URLs point ("https://github.com").  Errors, each with a
 * reason in why: -EACCES (no installation id to read, or the secret of its
 * integration does not sign the body: 401), -EPROTO (not the JSON of an
 * installation event naming that installation: 400), -EBADMSG (a listed
 * repository without a valid full_name: 400), -ENOENT (no integration of
 * this installation: 404), -EFBIG (too large: 413), db errors (-ENOTCONN:
 * 503).
 */
int ghinstall_handle(struct db *db, const struct keyring *kr, const char *app_id,
		     const struct webhook_headers *h, const void *body, size_t len,
		     const char *web_url, struct ghinstall_result *res, char *why, size_t whylen);

#endif
