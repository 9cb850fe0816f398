/*
 * anchor.h - checkpoints of the audit chain, kept outside PostgreSQL.
 *
 * Whoever owns the database (or is its superuser) can disable the audit
 * triggers, delete the newest events or rewrite one and recompute every
 * later hash: the chain then verifies again.  An anchor records an event's
 * id and hash where the database cannot reach, as one line appended to the
 * audit_anchors file:
 *
 *   lethe-anchor-v1 <master version> <event id> <event hash> <unix time> <mac>
 *
 * hashes in lowercase hex; mac is the HMAC-SHA256 of the text before
 * " <mac>" under HMAC-SHA256(master key of that version, ANCHOR_LABEL), so
 * a line cannot be forged or altered without the master key.  A chain that
 * still holds every anchored event with its anchored hash has lost nothing
 * up to the newest anchor.
 */
#ifndef LETHE_ANCHOR_H
#define LETHE_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "db.h"
#include "keys.h"

#define ANCHOR_LABEL    "lethe-audit-anchor-v1"
#define ANCHOR_TAG      "lethe-anchor-v1"
#define ANCHOR_LINE_MAX 256
#define ANCHOR_MAX      (1 << 20)	/* lines read; one a day lasts for ever */

struct anchor {
	int version;			/* master key version of the MAC */
	int64_t id;
	unsigned char hash[32];
	int64_t time;			/* seconds since the epoch */
	int64_t line;			/* in the file, from 1 */
};

struct anchor_check {
	struct audit_verify chain;	/* the walk of the whole chain */
	int64_t anchors;		/* lines whose MAC verifies */
	int64_t unverifiable;		/* lines under a master version no longer kept */
	struct anchor newest;		/* the latest (by time) that verifies */
	int64_t bad_line;		/* a malformed or forged line, on -EBADMSG */
	int64_t bad_id;			/* the first event that breaks, on -EBADMSG */
	char why[320];			/* what is wrong, on any error */
};

/*
 * Check the chain (audit_verify) and then every anchor in path against it:
 * each line well formed, its MAC good (a line under a master version the
 * key file no longer holds is only counted), its event still in the chain
 * with the anchored hash.  0 when all holds (also when path does not exist:
 * no anchors yet, chk->anchors 0); -EBADMSG with bad_line or bad_id and why;
 * another -errno with why.
 */
int anchor_verify(struct db *db, const struct keyring *kr, const char *path,
		  struct anchor_check *chk);

/*
 * anchor_verify(), then append an anchor of the chain's last event at time
 * now under the current master key, fsync'd with its directory.  Nothing is
 * appended when the check fails.  The new anchor goes to chk->newest.
 */
int anchor_checkpoint(struct db *db, const struct keyring *kr, const char *path, int64_t now,
		      struct anchor_check *chk);

#endif
