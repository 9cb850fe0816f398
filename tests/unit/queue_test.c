/*
 * queue_test.c - the scan job queue, in a database of its own on the stack's
 * server (the stack's jobs would claim jobs of the shared one): claim order
 * and due times, leases and their owners, renewal, completion, retry with
 * backoff, permanent failure, the last attempt, a dead worker's job, and
 * the kinds of job each program claims and ends, each as its own role.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "queue.h"
#include "stack.h"
#include "tap.h"

static struct db *su;	/* the private database as its owner: fixtures and checks */
static struct db *jobs;	/* as lethe-scan: the queue's calls */
static struct db *fixer;	/* as lethe-fix: its kinds' */
static int64_t repo;

/* The first value of a query as text ("" when none or NULL; "ERROR" when it failed). */
static const char *one(const char *sql, const char *arg)
{
	static char buf[256];
	PGresult *res = NULL;
	const char *v;

	if (DB_QUERY(su, &res, sql, arg) < 0)
		return "ERROR";
	v = PQntuples(res) > 0 ? db_value(res, 0, 0) : NULL;
	snprintf(buf, sizeof(buf), "%s", v ? v : "");
	PQclear(res);
	return buf;
}

/* A queued job for commit (one letter repeated), due in due_secs; its id. */
static int64_t job(char commit, int due_secs)
{
	char sha[41], r[24], due[24];
	PGresult *res = NULL;
	int64_t id;

	memset(sha, commit, 40);
	sha[40] = '\0';
	i64s(repo, r);
	snprintf(due, sizeof(due), "%d", due_secs);
	if (DB_QUERY(su, &res, "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, not_before) "
		     "SELECT org_id, id, $2, now() + make_interval(secs => $3::int) FROM lethe.repositories "
		     "WHERE id = $1 RETURNING id", r, sha, due) < 0)
		abort();
	id = db_int(res, 0, 0);
	PQclear(res);
	return id;
}

static char *idstr(int64_t id)
{
	static char buf[4][24];
	static int n;

	snprintf(buf[n % 4], sizeof(buf[0]), "%" PRId64, id);
	return buf[n++ % 4];
}

static const char *state(int64_t id)
{
	return one("SELECT state || '/' || attempts || '/' || coalesce(lease_owner, '-') "
		   "FROM lethe.jobs WHERE id = $1", idstr(id));
}

static void test_owner(void)
{
	char a[128], b[128], host[256];

	gethostname(host, sizeof(host));
	ok(queue_owner(a, sizeof(a)) == 0 && queue_owner(b, sizeof(b)) == 0, "queue_owner names this process");
	ok(strncmp(a, host, strlen(host)) == 0 && a[strlen(host)] == ':' && strcmp(a, b) != 0,
	   "as host:pid:random, different on each call (%s, %s)", a, b);
}

static void test_claim_order(void)
{
	struct queue_job *j = NULL;
	int64_t later, first, second;

	ok(queue_claim(jobs, "w1", 60, 5, "{scan}", &j) == -ENOENT && !j, "an empty queue has nothing to claim");
	later = job('c', 3600);
	first = job('a', -20);
	second = job('b', -10);
	ok(queue_claim(jobs, "w1", 60, 5, "{scan}", &j) == 0 && j && j->qj_id == first,
	   "the job due first is claimed first");
	ok(strcmp(state(first), "running/1/w1") == 0, "it runs, its first attempt, leased to its owner (%s)",
	   state(first));
	ok(j && j->qj_repo == repo && j->qj_attempts == 1 && j->qj_max_attempts == 5 &&
	   strspn(j->qj_commit, "a") == 40 && j->qj_pr == 0 && !j->qj_ref, "the claim returns the job's row");
	queue_job_free(j);
	j = NULL;
	ok(queue_claim(jobs, "w2", 60, 3, "{scan}", &j) == 0 && j && j->qj_id == second && j->qj_max_attempts == 3,
	   "a second worker takes the next one, max_attempts capped by its configuration");
	queue_job_free(j);
	j = NULL;
	ok(queue_claim(jobs, "w3", 60, 5, "{scan}", &j) == -ENOENT, "a job not yet due is not claimed");
	ok(strcmp(one("SELECT state FROM lethe.jobs WHERE id = $1", idstr(later)), "queued") == 0,
	   "and stays queued");

	ok(queue_renew(jobs, first, "w2", 600) == -ESTALE, "another owner cannot renew the lease");
	ok(queue_renew(jobs, first, "w1", 600) == 0 &&
	   strcmp(one("SELECT lease_expires > now() + interval '500 s' FROM lethe.jobs WHERE id = $1",
		      idstr(first)), "t") == 0, "its owner can, and the lease moves");
	ok(queue_set_commit(jobs, first, "w2", "abcdef0123456789abcdef0123456789abcdef01") == -ESTALE &&
	   strspn(one("SELECT commit_sha FROM lethe.jobs WHERE id = $1", idstr(first)), "a") == 40,
	   "another owner cannot change its commit");
	ok(queue_set_commit(jobs, first, "w1", "abcdef0123456789abcdef0123456789abcdef01") == 0 &&
	   strcmp(one("SELECT commit_sha FROM lethe.jobs WHERE id = $1", idstr(first)),
		  "abcdef0123456789abcdef0123456789abcdef01") == 0, "its owner stores the full commit");
	ok(queue_complete(jobs, first, "w2") == -ESTALE && strcmp(state(first), "running/1/w1") == 0,
	   "another owner cannot complete it, and nothing changes");
	ok(queue_complete(jobs, first, "w1") == 0 && strcmp(state(first), "done/1/-") == 0,
	   "its owner completes it: done, lease released");
	ok(queue_complete(jobs, first, "w1") == -ESTALE, "a job completes once");
	ok(queue_renew(jobs, first, "w1", 60) == -ESTALE, "a finished job's lease cannot be renewed");
	DB_QUERY(su, NULL, "DELETE FROM lethe.jobs WHERE id IN ($1, $2)", idstr(second), idstr(later));
}

static void test_fail(void)
{
	struct queue_job *j = NULL;
	int64_t id = job('d', -1);

	queue_claim(jobs, "w1", 60, 5, "{scan}", &j);
	ok(j && j->qj_id == id, "a job to fail is claimed");
	if (!j)
		return;
	ok(queue_fail(jobs, j, "w9", 0, "not mine", 60) == -ESTALE && strcmp(state(id), "running/1/w1") == 0,
	   "another owner cannot fail it");
	ok(queue_fail(jobs, j, "w1", 0, "clone timed out", 60) == 0 && strcmp(state(id), "queued/1/-") == 0,
	   "a temporary failure puts it back in the queue");
	ok(strcmp(one("SELECT last_error || '/' || (not_before BETWEEN now() + interval '55 s' "
		      " AND now() + interval '65 s') FROM lethe.jobs WHERE id = $1", idstr(id)),
		  "clone timed out/true") == 0, "with its reason, due again after retry_base (%s)",
	   one("SELECT last_error || ' ' || (not_before - now()) FROM lethe.jobs WHERE id = $1", idstr(id)));
	queue_job_free(j);
	j = NULL;

	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET not_before = now() - interval '1 s' WHERE id = $1", idstr(id));
	queue_claim(jobs, "w1", 60, 5, "{scan}", &j);
	ok(j && j->qj_attempts == 2, "claimed again, its second attempt");
	if (j)
		queue_fail(jobs, j, "w1", 0, "again", 60);
	ok(strcmp(one("SELECT not_before BETWEEN now() + interval '115 s' AND now() + interval '125 s' "
		      "FROM lethe.jobs WHERE id = $1", idstr(id)), "t") == 0,
	   "the second retry waits twice as long");
	queue_job_free(j);
	j = NULL;

	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET not_before = now() - interval '1 s' WHERE id = $1", idstr(id));
	queue_claim(jobs, "w1", 60, 5, "{scan}", &j);
	if (j)
		queue_fail(jobs, j, "w1", 1, "no such repository", 60);
	ok(strcmp(one("SELECT state || '/' || last_error || '/' || (finished_at IS NOT NULL) "
		      "FROM lethe.jobs WHERE id = $1", idstr(id)), "failed/no such repository/true") == 0,
	   "a permanent failure fails it at once, finished (%s)", state(id));
	queue_job_free(j);
}

static void test_last_attempt_and_duplicates(void)
{
	struct queue_job *j = NULL;
	int64_t id = job('e', -1), dup;

	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET attempts = 1, max_attempts = 2 WHERE id = $1", idstr(id));
	queue_claim(jobs, "w1", 60, 5, "{scan}", &j);
	ok(j && j->qj_attempts == 2 && j->qj_max_attempts == 2, "a job on its last attempt is claimed");
	if (j)
		queue_fail(jobs, j, "w1", 0, "flaky", 60);
	ok(strcmp(state(id), "failed/2/-") == 0, "a temporary failure of the last attempt fails it (%s)",
	   state(id));
	queue_job_free(j);
	j = NULL;

	id = job('f', -1);
	queue_claim(jobs, "w1", 60, 5, "{scan}", &j);
	dup = job('f', -1);
	if (j)
		queue_fail(jobs, j, "w1", 0, "flaky", 60);
	ok(strcmp(one("SELECT state || '/' || (finished_at IS NOT NULL) FROM lethe.jobs WHERE id = $1",
		      idstr(id)), "cancelled/true") == 0,
	   "a retry when the same commit is queued again is cancelled, finished (%s)",
	   one("SELECT state || '/' || (finished_at IS NOT NULL) FROM lethe.jobs WHERE id = $1", idstr(id)));
	ok(strcmp(state(dup), "queued/0/-") == 0, "and the queued one stays");
	queue_job_free(j);
	DB_QUERY(su, NULL, "DELETE FROM lethe.jobs WHERE id = $1", idstr(dup));
}

static void test_dead_worker(void)
{
	struct queue_job *j = NULL, *k = NULL;
	int64_t id = job('1', -1), last;

	queue_claim(jobs, "dead", 60, 5, "{scan}", &j);
	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET lease_expires = now() - interval '1 s' WHERE id = $1", idstr(id));
	ok(queue_claim(jobs, "alive", 60, 5, "{scan}", &k) == 0 && k && k->qj_id == id && k->qj_attempts == 2,
	   "a running job whose lease expired is claimed by another worker, a second attempt");
	ok(queue_complete(jobs, id, "dead") == -ESTALE, "the dead worker, back, cannot complete it");
	ok(j && queue_fail(jobs, j, "dead", 0, "late", 60) == -ESTALE, "nor fail it");
	ok(queue_complete(jobs, id, "alive") == 0 && strcmp(state(id), "done/2/-") == 0, "its new owner can");
	queue_job_free(j);
	queue_job_free(k);
	j = NULL;

	last = job('2', -1);
	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET attempts = 4, max_attempts = 5 WHERE id = $1", idstr(last));
	queue_claim(jobs, "dead", 60, 5, "{scan}", &j);
	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET lease_expires = now() - interval '1 s' WHERE id = $1",
		 idstr(last));
	queue_job_free(j);
	j = NULL;
	ok(queue_claim(jobs, "alive", 60, 5, "{scan}", &j) == -ENOENT, "a dead worker's last attempt is not claimed again");
	ok(strcmp(one("SELECT state || '/' || last_error FROM lethe.jobs WHERE id = $1", idstr(last)),
		  "failed/lease expired after the last attempt") == 0, "it fails, saying why");
}

/* A new fix of the finding and its queued fix job; the job's id, the fix's in *fix. */
static int64_t fix_job(int64_t *fix)
{
	*fix = atoll(one("INSERT INTO lethe.fixes (org_id, finding_id) SELECT org_id, "
			 "(SELECT id FROM lethe.findings LIMIT 1) FROM lethe.repositories "
			 "WHERE id = $1 RETURNING id", idstr(repo)));
	return atoll(one("INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha, fix_id) "
			 "SELECT org_id, id, 'fix', repeat('3', 40), currval('lethe.fixes_id_seq') "
			 "FROM lethe.repositories WHERE id = $1 RETURNING id", idstr(repo)));
}

/* Fix and push jobs share the queue: each program claims only its kinds. */
static void test_kinds(void)
{
	struct queue_job *j = NULL;
	int64_t fix, fj = fix_job(&fix);
	char sha[41];

	memset(sha, '3', 40);
	sha[40] = '\0';
	ok(queue_claim(jobs, "scan", 60, 5, "{scan}", &j) == -ENOENT && !j,
	   "a scan worker does not claim a fix job");
	ok(queue_claim(fixer, "fix", 60, 5, "{push,fix}", &j) == 0 && j && j->qj_id == fj &&
	   !strcmp(j->qj_kind, "fix") && j->qj_fix == fix && !strcmp(j->qj_commit, sha),
	   "a fix worker does, with its kind and its fix");
	ok(j && queue_fail(fixer, j, "fix", 1, "the agent ended 'limit'", 60) == 0 &&
	   !strcmp(one("SELECT state || '/' || failure FROM lethe.fixes WHERE id = $1", idstr(fix)),
		   "failed/the agent ended 'limit'"), "its permanent failure fails the fix, saying why");
	queue_job_free(j);
}

/* A fix job whose worker died after its last attempt is ended by a fix worker, never a scan worker. */
static void test_dead_fix_worker(void)
{
	struct queue_job *j = NULL;
	int64_t fix, fj = fix_job(&fix);

	DB_QUERY(su, NULL, "UPDATE lethe.jobs SET state = 'running', attempts = 5, lease_owner = 'dead', "
		 "lease_expires = now() - interval '1 s' WHERE id = $1", idstr(fj));
	ok(queue_claim(jobs, "scan", 60, 5, "{scan}", &j) == -ENOENT &&
	   !strcmp(state(fj), "running/5/dead"), "a scan worker leaves a dead fix worker's job alone");
	ok(queue_claim(fixer, "fix", 60, 5, "{push,fix}", &j) == -ENOENT &&
	   !strcmp(one("SELECT j.state || '/' || f.state || '/' || f.failure FROM lethe.jobs j "
		       "JOIN lethe.fixes f ON f.id = j.fix_id WHERE j.id = $1", idstr(fj)),
		   "failed/failed/lease expired after the last attempt"),
	   "a fix worker fails it, and its fix, saying why");
}

int main(void)
{
	char name[64], *path;
	struct config *cfg = NULL;
	char why[512];
	PGresult *res = NULL;

	snprintf(name, sizeof(name), "lethe_unit_queue_%d", (int)getpid());
	path = stack_private_db(name);
	if (!path) {
		printf("1..0 # SKIP no local stack (scripts/stack up)\n");
		return 0;
	}
	if (config_load(path, &cfg, why, sizeof(why)) < 0 || db_open(cfg, DB_ROLE_OWNER, &su) < 0 ||
	    db_open(cfg, DB_ROLE_SCAN, &jobs) < 0 || db_open(cfg, DB_ROLE_FIX, &fixer) < 0 ||
	    DB_QUERY(su, &res, "WITH o AS (INSERT INTO lethe.orgs (name) VALUES ('q') RETURNING id) "
		     "INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id) "
		     "SELECT id, 'github', 'q/r', 'https://example.test/q/r', repeat('h', 43) FROM o RETURNING id") < 0 ||
	    DB_QUERY(su, NULL, "INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, "
		     "tool, rule_id, level, path, message) SELECT org_id, id, 'main', repeat('f', 32), "
		     "'bandit', 'B602', 'error', 'a.py', 'm' FROM lethe.repositories") < 0) {
		printf("Bail out! cannot set up the private database: %s\n", su ? db_error(su) : why);
		stack_private_drop(path, name);
		return 1;
	}
	repo = db_int(res, 0, 0);
	PQclear(res);
	test_owner();
	test_claim_order();
	test_fail();
	test_last_attempt_and_duplicates();
	test_dead_worker();
	test_kinds();
	test_dead_fix_worker();
	db_free(fixer);
	db_free(jobs);
	db_free(su);
	config_free(cfg);
	stack_private_drop(path, name);
	return done_testing();
}
