/*
 * lethe-hook - the webhook receiver: POST /hooks/<provider>/<hook-id>.
 *
 * A FastCGI responder accepting on fd 0 (systemd socket activation, or the
 * local stack's supervisor).  Per request, in this order: method and route,
 * body length and content type, the raw body, the hook's secret, the
 * signature (constant time), and only then the JSON; then the delivery and
 * its job in one transaction, answered after COMMIT.  With PostgreSQL out
 * of reach the delivery's metadata goes to the spool (lethe-drain replays
 * it); if that fails too, 503.  A parent keeps hook_workers workers
 * accepting on the socket, each replaced after hook_max_requests requests.
 *
 * Each worker serves hook_threads requests at once, one thread each, and
 * commits their deliveries together (group commit): a thread whose
 * delivery is ready either joins the batch being gathered while another
 * batch commits, or, when none commits, records everything gathered in
 * one statement and one COMMIT; every thread then answers its own
 * delivery with its own outcome.  One commit thus carries as many
 * deliveries as arrived during the previous one.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <fcgiapp.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "delivery.h"
#include "fcgi-http.h"
#include "hook-ghapp.h"
#include "hook-secrets.h"
#include "keys.h"
#include "log.h"
#include "util.h"
#include "webhook.h"

#define HOOK_ID_MAX 64
#define HOOK_THREAD_STACK (512 * 1024)

/* A verified delivery waiting for the batch that records it. */
struct pending {
	struct delivery *d;
	struct delivery_result res;
	char sqlstate[6];
	char why[256];			/* the database's error, for the log */
	int done;
	struct pending *next;
};

struct hook {
	struct config *cfg;
	struct keyring *kr;
	char *spool;
	int64_t max_body, tolerance;
	struct hook_secrets *secrets;	/* every hook's, as of the last load */
	pthread_mutex_t db_lock;	/* guards db and kr */
	struct db *db;
	pthread_mutex_t accept_lock;	/* guards served */
	int64_t served, max_requests;
	pthread_mutex_t batch_lock;	/* guards gathering and committing */
	pthread_cond_t batch_done;
	struct pending *gathering;	/* the next batch, newest first */
	int committing;
};

/* One request's state, for the answer and the log line. */
struct req {
	FCGX_Request *fcgi;
	enum webhook_provider provider;
	char hook_id[HOOK_ID_MAX + 1];
	const char *delivery;
	char *body;
	size_t len;
	int64_t org_id, repository_id;	/* the hook's repository */
	struct secbuf secret;		/* a copy of its secret, this request's own */
};

/* A refusal: one JSON reason to the VCS, one log line naming the delivery. */
static void refuse(struct req *rq, int status, const char *reason)
{
	char *json;

	log_notice("refused delivery: provider=%s hook=%s delivery=%.128s status=%d reason=%s",
		   rq->hook_id[0] ? webhook_provider_name(rq->provider) : "-",
		   rq->hook_id[0] ? rq->hook_id : "-", rq->delivery ? rq->delivery : "-",
		   status, reason);
	json = xasprintf("{\"error\":\"%s\"}", reason);
	fcgi_http_answer(rq->fcgi->out, status, status == 405 ? "Allow: POST\r\n" :
			 status == 503 ? "Retry-After: 30\r\n" : NULL, json);
	free(json);
}

static int hook_id_valid(const char *s, size_t n)
{
	if (n < 22 || n > HOOK_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '-' || s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
		      ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			return 0;
	return 1;
}

/* "/hooks/<provider>/<hook-id>" */
static int route_parse(const char *uri, struct req *rq)
{
	char prov[16];
	const char *slash;
	size_t n;

	if (!uri || strncmp(uri, "/hooks/", 7) != 0)
		return -ENOENT;
	uri += 7;
	slash = strchr(uri, '/');
	if (!slash || (size_t)(slash - uri) >= sizeof(prov))
		return -ENOENT;
	memcpy(prov, uri, (size_t)(slash - uri));
	prov[slash - uri] = '\0';
	n = strlen(slash + 1);
	if (webhook_provider_parse(prov, &rq->provider) < 0 || !hook_id_valid(slash + 1, n))
		return -ENOENT;
	memcpy(rq->hook_id, slash + 1, n + 1);
	return 0;
}

/* 0 for JSON, 1 for a form, -1 for anything else. */
static int content_kind(const char *ct)
{
	size_t n;

	if (!ct)
		return -1;
	n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", n) == 0)
		return 0;
	if (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0)
		return 1;
	return -1;
}

/* Read the hook's repository and open its secret: a hook not known at the last load. */
static int hook_fetch(struct hook *h, struct req *rq)
{
	PGresult *res = NULL;
	const char *blob;
	int r;

	pthread_mutex_lock(&h->db_lock);
	r = DB_QUERY(h->db, &res,
		"SELECT id, org_id, webhook_secret_enc FROM repositories "
		"WHERE hook_id = $1 AND provider = $2",
		rq->hook_id, webhook_provider_name(rq->provider));
	if (r == 0 && PQntuples(res) != 1)
		r = -ENOENT;
	if (r < 0)
		goto out;
	rq->repository_id = db_int(res, 0, 0);
	rq->org_id = db_int(res, 0, 1);
	blob = db_value(res, 0, 2);
	if (blob)
		r = secret_open(h->db, h->kr, rq->org_id, "repositories", "webhook_secret_enc",
				rq->repository_id, blob, &rq->secret);
out:
	if (r < 0 && r != -ENOENT)
		log_errno(LOG_ERR, r, "unable to look hook '%s' up: %s", rq->hook_id, db_error(h->db));
	PQclear(res);
	pthread_mutex_unlock(&h->db_lock);
	return r;
}

/*
 * The hook's repository and a copy of its secret (empty: none configured):
 * from the worker's set, else from the database (a hook added since the
 * last load, or a set not yet loaded).
 */
static int hook_get(struct hook *h, struct req *rq)
{
	int r = hook_secrets_get(h->secrets, rq->provider, rq->hook_id, &rq->repository_id,
				 &rq->org_id, &rq->secret);

	return r == -ENOENT || r == -EAGAIN ? hook_fetch(h, rq) : r;
}

static const char *param_get(const char *name, void *arg)
{
	return FCGX_GetParam(name, ((FCGX_Request *)arg)->envp);
}

/* Verify, then extract: the order DESIGN.md's first invariant demands. */
static int verify_extract(struct hook *h, struct req *rq, const struct webhook_headers *hd,
			  int form, struct delivery *d)
{
	const char *sd, *json, *id = hd->delivery;
	size_t sl, jl;
	char *owned = NULL;
	int signed_id, r;

	r = webhook_signed_bytes(rq->provider, form, rq->body, rq->len, &sd, &sl, &owned);
	if (r < 0) {
		refuse(rq, r == -EPROTONOSUPPORT ? 415 : 401,
		       r == -EPROTONOSUPPORT ? "this provider sends no form-encoded payloads" :
		       webhook_verify_reason(-EBADMSG));
		goto out;
	}
	r = webhook_verify(rq->provider, hd, rq->secret.data, rq->secret.len, sd, sl,
			   time(NULL), h->tolerance);
	if (r < 0) {
		refuse(rq, 401, webhook_verify_reason(r));
		goto out;
	}
	/*
	 * Verified: from here on the delivery is recorded, whatever its body,
	 * and answered 2xx (a VCS disables a hook it is refused with 4xx).  A
	 * form without its payload field is as unparsable as "" is.
	 */
	if (webhook_json_bytes(form, rq->body, rq->len, &owned, &json, &jl) < 0) {
		json = "";
		jl = 0;
	}
	webhook_extract(rq->provider, hd->event, json, jl, &d->ev);
	/* A replay under a new unsigned id is found by the digest of what was signed. */
	signed_id = webhook_id_signed(rq->provider, rq->secret.data, rq->secret.len);
	if (signed_id)
		id = hd->sw_id;
	if (!signed_id || !delivery_id_valid(id))
		r = webhook_digest(rq->secret.data, rq->secret.len, sd, sl, d->digest);
	if (r < 0) {
		refuse(rq, 503, "unable to record the delivery, retry later");
		goto out;
	}
	if (delivery_id_valid(id)) {
		snprintf(d->id, sizeof(d->id), "%s", id);
	} else {	/* named by what was signed, so that its retries are duplicates */
		snprintf(d->id, sizeof(d->id), "digest-%s", d->digest);
		d->ev.outcome = WE_INCOMPLETE;
	}
out:
	free(owned);
	return r;
}

static void answer_recorded(struct req *rq, const struct delivery *d, int64_t id, int64_t job,
			    int absorbed)
{
	const char *outcome = delivery_outcome(&d->ev, absorbed);
	char *json;

	log_field(LOG_F_DELIVERY, id);
	log_field(LOG_F_JOB, job);
	log_info("delivery '%s' from %s recorded: event=%s outcome=%s", d->id,
		 webhook_provider_name(d->provider), d->ev.event, outcome);
	if (job)
		json = xasprintf("{\"delivery\":%lld,\"job\":%lld,\"outcome\":\"%s\"}",
				 (long long)id, (long long)job, outcome);
	else
		json = xasprintf("{\"delivery\":%lld,\"job\":null,\"outcome\":\"%s\"}",
				 (long long)id, outcome);
	fcgi_http_answer(rq->fcgi->out, 202, NULL, json);
	free(json);
	log_field(LOG_F_DELIVERY, 0);
	log_field(LOG_F_JOB, 0);
}

static void answer_duplicate(struct req *rq, const struct delivery *d)
{
	log_info("delivery '%s' from %s is a duplicate: nothing changed", d->id,
		 webhook_provider_name(d->provider));
	fcgi_http_answer(rq->fcgi->out, 200, NULL, "{\"status\":\"duplicate\"}");
}

/* PostgreSQL is out of reach: the spool keeps the delivery, or 503. */
static void answer_spooled(struct hook *h, struct req *rq, struct delivery *d, const char *why)
{
	int r;

	d->received_usec = now_usec();
	r = spool_write(h->spool, d);
	if (r < 0) {
		log_errno(LOG_ERR, r, "unable to spool delivery '%s' into '%s'", d->id, h->spool);
		refuse(rq, 503, "unable to store the delivery, retry later");
		return;
	}
	log_warning("delivery '%s' from %s spooled: database unreachable: %s", d->id,
		    webhook_provider_name(d->provider), why);
	fcgi_http_answer(rq->fcgi->out, 202, NULL,
			 "{\"delivery\":null,\"job\":null,\"status\":\"spooled\"}");
}

static void pending_failed(struct hook *h, struct pending *p, int r)
{
	p->res.r = r;
	snprintf(p->sqlstate, sizeof(p->sqlstate), "%s", db_sqlstate(h->db));
	snprintf(p->why, sizeof(p->why), "%s", db_error(h->db));
}

/*
 * Record a batch in one statement.  Should the database refuse it, each
 * delivery is recorded alone, so that every one gets its own exact outcome.
 */
static void batch_record(struct hook *h, struct pending *batch)
{
	const struct delivery **ds;
	struct delivery_result *res;
	struct pending *p;
	size_t n = 0, i = 0;
	int r;

	for (p = batch; p; p = p->next)
		n++;
	ds = xcalloc(n, sizeof(*ds));
	res = xcalloc(n, sizeof(*res));
	for (p = batch; p; p = p->next)
		ds[i++] = p->d;
	pthread_mutex_lock(&h->db_lock);
	r = delivery_record_many(h->db, ds, n, res);
	for (p = batch, i = 0; p; p = p->next, i++) {
		if (r == -EIO)
			p->res.r = delivery_record(h->db, p->d, &p->res.id, &p->res.job,
						   &p->res.absorbed);
		else
			p->res = r == 0 ? res[i] : (struct delivery_result){ .r = r };
		if (p->res.r < 0 && p->res.r != -EEXIST)
			pending_failed(h, p, p->res.r);
	}
	pthread_mutex_unlock(&h->db_lock);
	free(ds);
	free(res);
}

/*
 * Group commit: join the batch being gathered; when no batch is being
 * committed, commit the gathered one (ours among them) and wake its
 * owners.  Returns once p's batch has committed, or failed.
 */
static void group_record(struct hook *h, struct pending *p)
{
	struct pending *batch;

	pthread_mutex_lock(&h->batch_lock);
	p->next = h->gathering;
	h->gathering = p;
	while (!p->done) {
		if (h->committing) {
			pthread_cond_wait(&h->batch_done, &h->batch_lock);
			continue;
		}
		batch = h->gathering;
		h->gathering = NULL;
		h->committing = 1;
		pthread_mutex_unlock(&h->batch_lock);
		batch_record(h, batch);
		pthread_mutex_lock(&h->batch_lock);
		for (struct pending *q = batch; q; q = q->next)
			q->done = 1;
		h->committing = 0;
		pthread_cond_broadcast(&h->batch_done);
	}
	pthread_mutex_unlock(&h->batch_lock);
}

static void store(struct hook *h, struct req *rq, struct delivery *d)
{
	struct pending p = { .d = d };
	int r;

	group_record(h, &p);
	r = p.res.r;
	if (r == 0)
		answer_recorded(rq, d, p.res.id, p.res.job, p.res.absorbed);
	else if (r == -EEXIST)
		answer_duplicate(rq, d);
	else if (r == -ENOENT)
		refuse(rq, 404, "unknown hook");
	else
		answer_spooled(h, rq, d, p.why);
}

static void handle(struct hook *h, struct req *rq)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", rq->fcgi->envp);
	const char *uri = FCGX_GetParam("DOCUMENT_URI", rq->fcgi->envp);
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->fcgi->envp);
	struct delivery d = { 0 };
	struct webhook_headers hd;
	int64_t len = 0;
	int form, r;

	if (!uri)
		uri = FCGX_GetParam("SCRIPT_NAME", rq->fcgi->envp);
	if (uri && !strcmp(uri, HOOK_GHAPP_ROUTE)) {	/* the App's own webhooks */
		struct hook_ghapp g = { .hg_db = h->db, .hg_kr = h->kr,
					.hg_db_lock = &h->db_lock, .hg_max_body = h->max_body };

		return hook_ghapp(&g, rq->fcgi);
	}
	if (route_parse(uri, rq) < 0)
		return refuse(rq, 404, "unknown hook");
	webhook_headers_get(rq->provider, param_get, rq->fcgi, &hd);
	rq->delivery = hd.delivery;	/* for the log line of a refusal */
	if (!method || strcmp(method, "POST") != 0)
		return refuse(rq, 405, "method not allowed");
	r = fcgi_http_length(cl, h->max_body, &len);
	if (r < 0)
		return refuse(rq, r == -EFBIG ? 413 : 400,
			      r == -EFBIG ? "payload too large" : "bad content length");
	form = content_kind(FCGX_GetParam("CONTENT_TYPE", rq->fcgi->envp));
	if (form < 0)
		return refuse(rq, 415, "content type must be application/json or form-encoded");
	if (fcgi_http_read(rq->fcgi->in, (size_t)len, &rq->body) < 0)
		return refuse(rq, 400, "body shorter than its content length");
	rq->len = (size_t)len;
	r = hook_get(h, rq);
	if (r == -ENOENT)
		return refuse(rq, 404, "unknown hook");
	if (r < 0)
		return refuse(rq, 503, "hook temporarily unavailable, retry later");
	if (!rq->secret.len)
		return refuse(rq, 401, webhook_verify_reason(-ENOKEY));
	if (verify_extract(h, rq, &hd, form, &d) < 0)
		return;
	d.org_id = rq->org_id;
	d.repository_id = rq->repository_id;
	d.provider = rq->provider;
	store(h, rq, &d);
}

static void hook_configure(struct hook *h)
{
	h->cfg = config_start();
	h->max_body = config_v(h->cfg)->hook_max_body;
	h->tolerance = config_v(h->cfg)->hook_timestamp_tolerance;
}

/* A worker's own resources: keys, spool, database connection. */
static void worker_setup(struct hook *h)
{
	char why[512];
	int r = keyring_load(h->cfg, &h->kr, why, sizeof(why));

	if (r < 0)
		fatalx(EXIT_TEMPFAIL, "%s", why);
	r = spool_open_dir(config_v(h->cfg)->spool_dir, &h->spool);
	if (r < 0)
		fatal(EXIT_TEMPFAIL, "unable to create the spool under '%s'",
		      config_v(h->cfg)->spool_dir);
	/* Unreachable now is fine: every query reconnects, the spool covers the rest. */
	if (db_open(h->cfg, DB_ROLE_HOOK, &h->db) < 0)
		log_warning("database unreachable at start: %s", db_error(h->db));
	r = hook_secrets_start(h->cfg, h->kr, &h->db_lock, &h->secrets);
	if (r < 0)
		fatal(EXIT_TEMPFAIL, "unable to start loading the webhook secrets");
}

static void hook_release(struct hook *h)
{
	hook_secrets_stop(h->secrets);
	db_free(h->db);
	keyring_free(h->kr);
	config_free(h->cfg);
	free(h->spool);
}

/* The next request, unless the worker has served its hook_max_requests. */
static int accept_next(struct hook *h, FCGX_Request *fcgi)
{
	int r = -1;

	pthread_mutex_lock(&h->accept_lock);
	if (h->served < h->max_requests && FCGX_Accept_r(fcgi) >= 0) {
		h->served++;
		r = 0;
	}
	pthread_mutex_unlock(&h->accept_lock);
	return r;
}

static void *thread_run(void *arg)
{
	struct hook *h = arg;
	FCGX_Request fcgi;

	if (FCGX_InitRequest(&fcgi, 0, 0) != 0)
		fatalx(EXIT_TEMPFAIL, "unable to set up a FastCGI request");
	while (accept_next(h, &fcgi) == 0) {
		struct req rq = { .fcgi = &fcgi };

		handle(h, &rq);
		FCGX_Finish_r(&fcgi);
		free(rq.body);
		secbuf_release(&rq.secret);
	}
	FCGX_Free(&fcgi, 0);
	return NULL;
}

/*
 * Serve hook_max_requests requests on fd 0 with hook_threads threads, then
 * exit to be replaced.
 */
static int worker_run(struct hook *h)
{
	int n = (int)config_v(h->cfg)->hook_threads;
	pthread_t *threads = xcalloc((size_t)n, sizeof(*threads));
	pthread_attr_t attr;

	worker_setup(h);
	h->max_requests = config_v(h->cfg)->hook_max_requests;
	if (FCGX_Init() != 0)
		fatalx(EXIT_TEMPFAIL, "unable to set up FastCGI on standard input");
	/* libfcgi's SIGTERM handler would stop only the thread in accept(). */
	signal(SIGTERM, SIG_DFL);
	/* Threads share one malloc arena and small stacks: memory stays per process. */
	mallopt(M_ARENA_MAX, 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, HOOK_THREAD_STACK);
	for (int i = 1; i < n; i++)
		if (pthread_create(&threads[i], &attr, thread_run, h) != 0)
			fatalx(EXIT_TEMPFAIL, "unable to start thread %d of %d", i + 1, n);
	thread_run(h);
	for (int i = 1; i < n; i++)
		pthread_join(threads[i], NULL);
	pthread_attr_destroy(&attr);
	free(threads);
	hook_release(h);
	return EXIT_OK;
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static pid_t worker_spawn(struct hook *h)
{
	pid_t pid = fork();

	if (pid < 0)
		log_errno(LOG_ERR, errno, "unable to fork a worker");
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		exit(worker_run(h));
	}
	return pid;
}

/*
 * Keep n workers accepting on the shared socket, replacing each that exits
 * (after its hook_max_requests, or a crash); a worker that cannot start
 * for a permanent reason stops the whole service.  The parent holds no key.
 */
static int parent_run(struct hook *h, int n)
{
	pid_t *kids = xcalloc((size_t)n, sizeof(*kids));
	struct sigaction sa = { .sa_handler = on_stop };
	int status = EXIT_OK;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < n; i++)
		kids[i] = worker_spawn(h);
	while (!stopping) {
		int st, i;
		pid_t pid = waitpid(-1, &st, 0);

		for (i = 0; pid > 0 && i < n && kids[i] != pid; i++)
			;
		if (pid <= 0 || i == n)
			continue;
		if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_PERMFAIL) {
			status = EXIT_PERMFAIL;
			break;
		}
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_OK))
			sleep(1);	/* a failing worker is retried, not spun */
		kids[i] = worker_spawn(h);
	}
	for (int i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	free(kids);
	config_free(h->cfg);
	return status;
}

#define USAGE "usage: lethe-hook [--help | --version]  (FastCGI on standard input)\n"

int main(int argc, char **argv)
{
	static struct hook h = {
		.db_lock = PTHREAD_MUTEX_INITIALIZER,
		.accept_lock = PTHREAD_MUTEX_INITIALIZER,
		.batch_lock = PTHREAD_MUTEX_INITIALIZER,
		.batch_done = PTHREAD_COND_INITIALIZER,
	};
	int workers;

	std_options(argc, argv, USAGE);
	log_init("lethe-hook");
	if (argc > 1) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	hook_configure(&h);
	workers = (int)config_v(h.cfg)->hook_workers;
	return workers > 1 ? parent_run(&h, workers) : worker_run(&h);
}
