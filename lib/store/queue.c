/* queue.c - claim, lease, complete and retry scan jobs in lethe.jobs. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "queue.h"
#include "util.h"

/* A worker that died after its last attempt: nothing will retry it.  Each
 * program ends only jobs of its own kinds (a fix's job ends its fix too:
 * sql/170, with the caller's grants). */
static const char sql_reap[] =
	"UPDATE jobs SET state = 'failed', finished_at = now(), lease_owner = NULL, "
	" lease_expires = NULL, last_error = 'lease expired after the last attempt' "
	"WHERE state = 'running' AND lease_expires < now() "
	" AND attempts >= least(max_attempts, $1::int) AND kind = ANY ($2::text[])";

/*
 * The job is chosen by scalar subqueries, which PostgreSQL runs once.  As a
 * subquery in FROM it may be the inner side of a nested loop and run again
 * for each row of jobs; each run skips the rows this statement has just
 * locked, so one claim took several jobs.  A job whose lease expired (its
 * worker died) goes first, then the queued job due first; each is read
 * from its own partial index in its order (jobs_lease, jobs_claim), so
 * that a claim costs the same with a thousand jobs queued or a million
 * (one condition with OR would sort them all).  coalesce() runs the
 * second only when the first found nothing.
 */
static const char sql_claim[] =
	"UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, "
	" lease_owner = $1, lease_expires = now() + make_interval(secs => $2::int), "
	" started_at = now(), finished_at = NULL "
	"WHERE j.id = coalesce((SELECT id FROM jobs "
	"      WHERE state = 'running' AND lease_expires < now() AND kind = ANY ($4::text[]) "
	"      ORDER BY lease_expires, id LIMIT 1 FOR UPDATE SKIP LOCKED), "
	"   (SELECT id FROM jobs WHERE state = 'queued' AND not_before <= now() "
	"      AND kind = ANY ($4::text[]) ORDER BY not_before, id LIMIT 1 FOR UPDATE SKIP LOCKED)) "
	"RETURNING j.id, j.org_id, j.repository_id, j.commit_sha, j.ref, j.branch, "
	" j.base_sha, coalesce(j.pr_number, 0), j.attempts, least(j.max_attempts, $3::int), "
	" j.kind, coalesce(j.fix_id, 0)";

static const char sql_renew[] =
	"UPDATE jobs SET lease_expires = now() + make_interval(secs => $3::int) "
	"WHERE id = $1 AND lease_owner = $2 AND state = 'running'";

static const char sql_commit[] =
	"UPDATE jobs SET commit_sha = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'";

static const char sql_complete[] =
	"UPDATE jobs SET state = 'done', finished_at = now(), lease_owner = NULL, "
	" lease_expires = NULL, last_error = NULL "
	"WHERE id = $1 AND lease_owner = $2 AND state = 'running'";

/* A retry of a commit that is queued again is cancelled: finished, as a failure is. */
static const char sql_fail[] =
	"UPDATE jobs j SET last_error = left($4, 500), lease_owner = NULL, lease_expires = NULL, "
	" state = CASE WHEN $3::bool THEN 'failed' WHEN d.dup THEN 'cancelled' ELSE 'queued' END, "
	" finished_at = CASE WHEN $3::bool OR d.dup THEN now() END, "
	" not_before = now() + make_interval(secs => least(86400, "
	"   $5::float8 * power(2, least(greatest(j.attempts - 1, 0), 20)))) "
	"FROM (SELECT s.id, EXISTS (SELECT 1 FROM jobs q WHERE q.state = 'queued' "
	"     AND q.repository_id = s.repository_id AND q.commit_sha = s.commit_sha "
	"     AND coalesce(q.pr_number, 0) = coalesce(s.pr_number, 0) AND q.kind = s.kind "
	"     AND q.fix_id IS NOT DISTINCT FROM s.fix_id) AS dup "
	"   FROM jobs s WHERE s.id = $1) d "
	"WHERE j.id = d.id AND j.lease_owner = $2 AND j.state = 'running'";

void queue_job_free(struct queue_job *job)
{
	if (!job)
		return;
	free(job->qj_commit);
	free(job->qj_ref);
	free(job->qj_branch);
	free(job->qj_base);
	free(job);
}

int queue_owner(char *buf, size_t len)
{
	char host[256];
	unsigned char rnd[6];
	char hex[sizeof(rnd) * 2 + 1];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		return -errno;
	host[sizeof(host) - 1] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	hex_encode(rnd, sizeof(rnd), hex);
	r = snprintf(buf, len, "%.200s:%ld:%s", host, (long)getpid(), hex);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct queue_job *job_from_row(const PGresult *res)
{
	struct queue_job *job = xcalloc(1, sizeof(*job));

	job->qj_id = db_int(res, 0, 0);
	job->qj_org = db_int(res, 0, 1);
	job->qj_repo = db_int(res, 0, 2);
	job->qj_commit = xstrdup(db_value(res, 0, 3));
	job->qj_ref = dup_or_null(db_value(res, 0, 4));
	job->qj_branch = dup_or_null(db_value(res, 0, 5));
	job->qj_base = dup_or_null(db_value(res, 0, 6));
	job->qj_pr = (int)db_int(res, 0, 7);
	job->qj_attempts = (int)db_int(res, 0, 8);
	job->qj_max_attempts = (int)db_int(res, 0, 9);
	snprintf(job->qj_kind, sizeof(job->qj_kind), "%s", db_value(res, 0, 10));
	job->qj_fix = db_int(res, 0, 11);
	return job;
}

int queue_claim(struct db *db, const char *owner, int64_t lease_secs, int64_t max_attempts_cfg,
		const char *kinds, struct queue_job **out)
{
	char lease[24], maxa[24];
	PGresult *res = NULL;
	int r;

	*out = NULL;
	i64s(lease_secs, lease);
	i64s(max_attempts_cfg, maxa);
	r = DB_QUERY(db, NULL, sql_reap, maxa, kinds);
	if (r < 0)
		return r;
	r = DB_QUERY(db, &res, sql_claim, owner, lease, maxa, kinds);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1)
		*out = job_from_row(res);
	else
		r = PQntuples(res) == 0 ? -ENOENT : -EPROTO;
	PQclear(res);
	return r;
}

/* Run an UPDATE guarded by the lease; -ESTALE when no row matched. */
static int lease_update(struct db *db, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int r;

	r = db_exec(db, &res, sql, n, params);
	if (r < 0)
		return r;
	if (strcmp(PQcmdTuples(res), "1") != 0)
		r = -ESTALE;
	PQclear(res);
	return r;
}

int queue_renew(struct db *db, int64_t job_id, const char *owner, int64_t lease_secs)
{
	char id[24], lease[24];

	i64s(job_id, id);
	i64s(lease_secs, lease);
	return lease_update(db, sql_renew, 3, (const char *const[]){ id, owner, lease });
}

int queue_set_commit(struct db *db, int64_t job_id, const char *owner, const char *sha)
{
	char id[24];

	i64s(job_id, id);
	return lease_update(db, sql_commit, 3, (const char *const[]){ id, owner, sha });
}

int queue_complete(struct db *db, int64_t job_id, const char *owner)
{
	char id[24];

	i64s(job_id, id);
	return lease_update(db, sql_complete, 2, (const char *const[]){ id, owner });
}

int queue_fail(struct db *db, const struct queue_job *job, const char *owner, int permanent,
	       const char *why, int64_t retry_base)
{
	char id[24], base[24];

	if (job->qj_attempts >= job->qj_max_attempts)
		permanent = 1;
	i64s(job->qj_id, id);
	i64s(retry_base, base);
	return lease_update(db, sql_fail, 5,
			    (const char *const[]){ id, owner, permanent ? "true" : "false", why, base });
}

/*
 * A job whose lease died goes back to the queue, or fails when it has used
 * its attempts or an identical scan is already queued.  A job still under
 * a live lease belongs to its scan, which sees its volume gone.
 */
static const char sql_requeue_orphan[] =
	"WITH d AS (SELECT j.id, (j.attempts >= j.max_attempts OR EXISTS (SELECT 1 FROM lethe.jobs q "
	"WHERE q.state = 'queued' AND q.repository_id = j.repository_id AND q.commit_sha = j.commit_sha "
	"AND coalesce(q.pr_number, 0) = coalesce(j.pr_number, 0))) AS give_up FROM lethe.jobs j "
	"WHERE j.id = $1 AND j.state = 'running' AND (j.lease_expires IS NULL OR j.lease_expires <= now()) "
	"FOR UPDATE OF j) "
	"UPDATE lethe.jobs j SET state = CASE WHEN d.give_up THEN 'failed' ELSE 'queued' END, "
	"finished_at = CASE WHEN d.give_up THEN now() END, lease_owner = NULL, lease_expires = NULL, "
	"not_before = now(), last_error = $2 FROM d WHERE j.id = d.id RETURNING j.state";

int queue_requeue_orphan(struct db *db, int64_t job_id, const char *why, char *state, size_t len)
{
	PGresult *res = NULL;
	char id[24];
	int r;

	snprintf(id, sizeof(id), "%" PRId64, job_id);
	r = DB_QUERY(db, &res, sql_requeue_orphan, id, why);
	if (r == 0 && PQntuples(res) != 1)
		r = -ENOENT;
	if (r == 0)
		snprintf(state, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

struct queue_keeper {
	pthread_t qk_thread;
	pthread_mutex_t qk_lock;
	pthread_cond_t qk_cond;
	struct db *qk_db;
	int64_t qk_job;
	char *qk_owner;
	int64_t qk_lease;
	int qk_stop;
	int qk_lost;
};

static void *keeper_main(void *arg)
{
	struct queue_keeper *k = arg;
	struct timespec ts;
	int r;

	pthread_mutex_lock(&k->qk_lock);
	while (!k->qk_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += k->qk_lease / 3 > 0 ? k->qk_lease / 3 : 1;
		if (pthread_cond_timedwait(&k->qk_cond, &k->qk_lock, &ts) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&k->qk_lock);
		r = queue_renew(k->qk_db, k->qk_job, k->qk_owner, k->qk_lease);
		pthread_mutex_lock(&k->qk_lock);
		if (r == -ESTALE)
			k->qk_lost = 1;
	}
	pthread_mutex_unlock(&k->qk_lock);
	return NULL;
}

int queue_keeper_start(const struct config *cfg, const char *role, int64_t job_id,
		       const char *owner, int64_t lease_secs, struct queue_keeper **out)
{
	struct queue_keeper *k = xcalloc(1, sizeof(*k));
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	r = db_open(cfg, role, &k->qk_db);
	if (r < 0) {
		db_free(k->qk_db);
		free(k);
		return r;
	}
	k->qk_job = job_id;
	k->qk_owner = xstrdup(owner);
	k->qk_lease = lease_secs;
	pthread_mutex_init(&k->qk_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->qk_cond, &ca);
	pthread_condattr_destroy(&ca);
	r = -pthread_create(&k->qk_thread, NULL, keeper_main, k);
	if (r < 0) {
		db_free(k->qk_db);
		free(k->qk_owner);
		free(k);
		return r;
	}
	*out = k;
	return 0;
}

int queue_keeper_lost(struct queue_keeper *k)
{
	int lost;

	pthread_mutex_lock(&k->qk_lock);
	lost = k->qk_lost;
	pthread_mutex_unlock(&k->qk_lock);
	return lost;
}

void queue_keeper_stop(struct queue_keeper *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->qk_lock);
	k->qk_stop = 1;
	pthread_cond_signal(&k->qk_cond);
	pthread_mutex_unlock(&k->qk_lock);
	pthread_join(k->qk_thread, NULL);
	pthread_cond_destroy(&k->qk_cond);
	pthread_mutex_destroy(&k->qk_lock);
	db_free(k->qk_db);
	free(k->qk_owner);
	free(k);
}
