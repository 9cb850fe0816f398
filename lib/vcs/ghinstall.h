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
 * Then the event is checked and recorded in installation_events (the
 * event, its action and the repositories listed: full name and id, nothing
 * else of the body) for lethe-drain to apply (lib/store/installation.h):
 *   installation created, installation_repositories added
 *       connect the repositories listed
 *   installation_repositories removed
 *       delete each listed repository with everything about it
 *   installation deleted
 *       delete every repository of the integration, then the integration
 * A delivery recorded already (its X-GitHub-Delivery, per org) is not
 * recorded again.  Any other event or action verified is ignored.
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
#define GHINSTALL_DELIVERY_MAX   128	/* X-GitHub-Delivery, a GUID */

struct ghinstall_result {
	int64_t gi_org_id;
	int64_t gi_integration_id;
	int64_t gi_event_id;		/* its installation_events row */
	int gi_duplicate;		/* recorded by an earlier delivery */
	int gi_ignored;			/* verified, nothing to do */
};

/*
 * Verify, check and record.  app_id is the Installation-Target-ID header.
 * Errors, each with a reason in why: -EACCES (no delivery or event header,
 * no installation id to read, or the secret of its integration does not
 * sign the body: 401), -ENOENT (no integration of this installation: 404),
 * then, verified but unusable (202, nothing recorded): -EPROTO (not the
 * JSON of an installation event naming that installation), -EBADMSG (a
 * listed repository without a valid full_name), -EFBIG (too large); db
 * errors (-ENOTCONN: 503).
 */
int ghinstall_record(struct db *db, const struct keyring *kr, const char *app_id,
		     const struct webhook_headers *h, const void *body, size_t len,
		     struct ghinstall_result *res, char *why, size_t whylen);

#endif
