/*
 * delivery.h - recording a verified webhook delivery, and its spool.
 *
 * delivery_record() writes the delivery row and, for a scan, its job in
 * one transaction: a queued job for the same repository, commit and pull
 * request absorbs the delivery (jobs_one_queued) instead of a second job,
 * and a delivery id already stored for the repository changes nothing,
 * as does a digest of its signed bytes stored for the repository within
 * the last 3 days (a replay under a new id; sql/096_delivery_digest.sql).
 * Both lethe-hook and lethe-drain use it, so a spooled delivery replays
 * exactly as it would have been recorded.
 *
 * The spool holds deliveries that could not reach PostgreSQL: one file per
 * delivery, metadata only (never the body), written to a temporary name,
 * fsync'd, renamed, and the directory fsync'd before the caller answers.
 */
#ifndef LETHE_DELIVERY_H
#define LETHE_DELIVERY_H

#include <stdint.h>

#include "db.h"
#include "webhook.h"

struct delivery {
	int64_t org_id;
	int64_t repository_id;
	enum webhook_provider provider;
	char id[WEBHOOK_DELIVERY_MAX + 1];	/* the VCS's delivery id */
	char digest[WEBHOOK_DIGEST_HEX + 1];	/* webhook_digest(), "" when the id is signed */
	struct webhook_event ev;
	int64_t received_usec;			/* 0: now */
	int spooled;
};

/*
 * The outcome recorded for ev: "queued" or, absorbed by a queued job,
 * "absorbed" for a scan; else "recorded", "ignored", "unparsable" or
 * "incomplete".
 */
const char *delivery_outcome(const struct webhook_event *ev, int absorbed);

/* Is s acceptable as a delivery id (1..128 printable ASCII characters)? */
int delivery_id_valid(const char *s);

/*
 * Record d.  On success *id is the delivery row and *job the job (0 when
 * none) and *absorbed says whether a queued job absorbed it.  -EEXIST:
 * already recorded (nothing changed).  -ENOENT: the repository is gone.
 * -EEXIST also when a concurrent copy of d was stored first.
 * -ENOTCONN: PostgreSQL unreachable (the outcome of a COMMIT that lost
 * its connection is unknown: spool it, a replay is idempotent).  -EIO.
 * Should the database refuse what d says (a constraint, bad text), d is
 * recorded as incomplete with its event and ids only, and rewritten to
 * what was recorded: a verified delivery is never lost to its contents.
 */
int delivery_record(struct db *db, struct delivery *d, int64_t *id, int64_t *job,
		    int *absorbed);

/* What recording one delivery of a batch gave: r is 0 or -EEXIST. */
struct delivery_result {
	int r;
	int64_t id, job;
	int absorbed;
};

/*
 * Record the n deliveries d[] in one statement, hence one COMMIT: on
 * success out[i] says what became of d[i].  -ENOTCONN as above.  -EIO:
 * nothing was recorded (one delivery was refused, or a concurrent copy of
 * one was stored first): record each alone to learn which.
 */
int delivery_record_many(struct db *db, const struct delivery *const *d, size_t n,
			 struct delivery_result *out);

/* The spool directory under spool_dir, created (mode 0770) if missing. */
#define SPOOL_SUBDIR "deliveries"
int spool_open_dir(const char *spool_dir, char **dir);

/* Write d durably into dir; on success it survives a crash. */
int spool_write(const char *dir, const struct delivery *d);
/* Read one spooled file (name within dir) back. -EBADMSG when damaged. */
int spool_read(const char *dir, const char *name, struct delivery *d);
/* Remove a replayed file and fsync dir. */
int spool_remove(const char *dir, const char *name);
/* Is name a finished spool file (not a temporary one)? */
int spool_is_entry(const char *name);

#endif
