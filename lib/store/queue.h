/*
 * queue.h - the job queue in lethe.jobs (scans, fixes and their pushes),
 * shared by any number of lethe-scan and lethe-fix processes on any
 * number of hosts.
 *
 * A claim takes one job with FOR UPDATE SKIP LOCKED: a queued job whose
 * not_before has passed, or a running job whose lease expired (its worker
 * died).  The claim counts an attempt and sets a lease (lease_owner,
 * lease_expires) that the worker renews while it works; every later call
 * names the owner and returns -ESTALE when the lease was lost to another
 * worker.  A temporary failure puts the job back with exponential backoff
 * until max_attempts; a permanent one fails it at once.  attempts and
 * last_error stay on the row.
 */
#ifndef LETHE_QUEUE_H
#define LETHE_QUEUE_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "db.h"

struct queue_job {
	int64_t qj_id;
	int64_t qj_org;
	int64_t qj_repo;
	char *qj_commit;
	char *qj_ref;		/* NULL when none */
	char *qj_branch;	/* NULL when none */
	char *qj_base;		/* base commit of a pull request, or NULL */
	int qj_pr;		/* pull request number, 0 when none */
	int qj_attempts;	/* including this one */
	int qj_max_attempts;
	char qj_kind[8];	/* "scan", "fix" or "push" */
	int64_t qj_fix;		/* the fix of a fix or push job, 0 for a scan */
};

void queue_job_free(struct queue_job *job);	/* accepts NULL */

/* A lease owner name unique to this process: "host:pid:random". */
int queue_owner(char *buf, size_t len);

/*
 * Claim one job of the kinds given as a PostgreSQL array ("{scan}",
 * "{push,fix}") for owner with a lease of lease_secs.  0 and *out set (the
 * caller frees it), -ENOENT when nothing is due, -EPROTO if the statement
 * took more than one (whose leases then expire).  Running jobs of those
 * kinds whose lease expired after their last attempt (max_attempts, capped
 * by max_attempts_cfg) are failed first.
 */
int queue_claim(struct db *db, const char *owner, int64_t lease_secs, int64_t max_attempts_cfg,
		const char *kinds, struct queue_job **out);
/* Push the lease lease_secs into the future; -ESTALE when it was lost. */
int queue_renew(struct db *db, int64_t job_id, const char *owner, int64_t lease_secs);
/* The full commit a short one of the job resolved to; -ESTALE when the lease was lost. */
int queue_set_commit(struct db *db, int64_t job_id, const char *owner, const char *sha);
/* The job is done; -ESTALE when the lease was lost. */
int queue_complete(struct db *db, int64_t job_id, const char *owner);
/*
 * Record why (one line, no secret, no code) as last_error.  permanent, or
 * the last attempt spent (qj_attempts >= qj_max_attempts): state failed.  Otherwise back to queued with
 * not_before = now + retry_base * 2^(attempts - 1) (capped at one day), or
 * cancelled when an identical job is already queued.
 */
int queue_fail(struct db *db, const struct queue_job *job, const char *owner, int permanent,
	       const char *why, int64_t retry_base);
/*
 * A running job whose lease died (its worker is gone; there is no owner to
 * check) goes back to the queue, or fails when it has used its attempts or
 * an identical scan is already queued; why becomes last_error.  0 and the
 * new state ("queued" or "failed") in state, -ENOENT when the job is gone,
 * not running, or still under a live lease (it belongs to its scan).
 */
int queue_requeue_orphan(struct db *db, int64_t job_id, const char *why, char *state, size_t len);

/*
 * A thread that renews the lease every third of lease_secs on a connection
 * of its own, as role (the claiming program's), so that a slow clone or
 * scanner never loses it.  lost is set (and stays set) once a renewal
 * returns -ESTALE.
 */
struct queue_keeper;
int queue_keeper_start(const struct config *cfg, const char *role, int64_t job_id,
		       const char *owner, int64_t lease_secs, struct queue_keeper **out);
int queue_keeper_lost(struct queue_keeper *k);
void queue_keeper_stop(struct queue_keeper *k);	/* joins; accepts NULL */

#endif
