/* hook-secrets.c - every hook's secret, loaded and kept current; see hook-secrets.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "db.h"
#include "hook-secrets.h"
#include "keys.h"
#include "log.h"
#include "util.h"

#define HOOK_ID_MAX 64
#define RETRY_USEC (5 * 1000000LL)	/* after a load that failed */

struct known {
	char hook_id[HOOK_ID_MAX + 1];
	enum webhook_provider provider;
	int64_t repository_id, org_id;
	size_t off, len;		/* its secret in the set's arena; len 0: none */
};

/* One load: the hooks sorted by provider and id, their secrets in one mlocked buffer. */
struct set {
	struct known *v;
	size_t n;
	struct secbuf arena;
};

struct hook_secrets {
	const struct keyring *kr;
	pthread_mutex_t *kr_lock;	/* taken to use kr */
	struct db *db;			/* the thread's own connection */
	int64_t interval_usec;
	int stop[2];			/* a byte on stop[1] ends the thread */
	pthread_t thread;
	pthread_mutex_t lock;		/* guards cur */
	struct set *cur;		/* NULL until loaded once */
};

/* The org key that opened the last secret, kept for the next of its org. */
struct orgkey {
	int64_t org_id;
	int version;
	struct secbuf key;
};

enum wake { WAKE_STOP, WAKE_TIMEOUT, WAKE_NOTIFIED, WAKE_LOST };

static int known_cmp(const void *a, const void *b)
{
	const struct known *x = a, *y = b;

	if (x->provider != y->provider)
		return x->provider < y->provider ? -1 : 1;
	return strcmp(x->hook_id, y->hook_id);
}

static void set_free(struct set *st)
{
	if (!st)
		return;
	secbuf_release(&st->arena);
	free(st->v);
	free(st);
}

/* The most plaintext a sealed blob (bytea as "\x" and hex) can hold. */
static size_t blob_bound(const char *blob)
{
	size_t n = blob ? strlen(blob) : 0;

	return n > 2 ? (n - 2) / 2 : 0;
}

/*
 * Open the secret of k (blob) into the arena at *off.  A secret that does
 * not open leaves k without one (its deliveries are refused, 401) and is
 * logged; only a lost connection fails the load.
 */
static int open_one(struct hook_secrets *s, struct set *st, size_t bound, size_t *off,
		    struct known *k, const char *blob, struct orgkey *ok)
{
	struct secbuf pt = { 0 };
	int version = secret_version(blob), r = version < 0 ? version : 0;

	if (r == 0 && (!ok->key.data || ok->org_id != k->org_id || ok->version != version)) {
		secbuf_release(&ok->key);
		ok->org_id = k->org_id;
		ok->version = version;
		r = orgkey_load(s->db, s->kr, k->org_id, &ok->version, &ok->key);
		if (r == -ENOENT)
			r = -EBADMSG;	/* no such key version in this org: the blob is not ours */
	}
	if (r == 0)
		r = secret_open_with(&ok->key, k->org_id, "repositories", "webhook_secret_enc",
				     k->repository_id, blob, &pt);
	if (r == 0 && pt.len > bound - *off)
		r = -EBADMSG;
	if (r == 0) {
		memcpy(st->arena.data + *off, pt.data, pt.len);
		k->off = *off;
		k->len = pt.len;
		*off += pt.len;
	}
	secbuf_release(&pt);
	if (r < 0 && r != -ENOTCONN)
		log_errno(LOG_ERR, r, "the webhook secret of repository %lld does not open: its "
			  "deliveries are refused", (long long)k->repository_id);
	return r == -ENOTCONN ? r : 0;
}

static int load_rows(struct hook_secrets *s, PGresult *res, struct set *st)
{
	struct orgkey ok = { 0 };
	size_t bound = 0, off = 0;
	int n = PQntuples(res), r;

	for (int i = 0; i < n; i++)
		bound += blob_bound(db_value(res, i, 4));
	r = secbuf_alloc(&st->arena, bound ? bound : 1);
	for (int i = 0; r == 0 && i < n; i++) {
		struct known *k = &st->v[st->n];
		const char *id = db_value(res, i, 3), *blob = db_value(res, i, 4);

		if (webhook_provider_parse(db_value(res, i, 2), &k->provider) < 0 ||
		    strlen(id) > HOOK_ID_MAX)
			continue;
		memcpy(k->hook_id, id, strlen(id) + 1);
		k->repository_id = db_int(res, i, 0);
		k->org_id = db_int(res, i, 1);
		if (blob)
			r = open_one(s, st, bound, &off, k, blob, &ok);
		st->n++;
	}
	secbuf_release(&ok.key);
	return r;
}

/* Load every hook (LISTENing first, so no change after the read goes unnoticed). */
static int load(struct hook_secrets *s, const char *why)
{
	PGresult *res = NULL;
	struct set *st = NULL, *old;
	int r = db_exec(s->db, NULL, "LISTEN " HOOK_NOTIFY_CHANNEL, 0, NULL);

	if (r == 0)
		r = db_exec(s->db, &res, "SELECT id, org_id, provider, hook_id, webhook_secret_enc "
			    "FROM repositories ORDER BY org_id", 0, NULL);
	if (r == 0) {
		st = xcalloc(1, sizeof(*st));
		st->v = xcalloc((size_t)PQntuples(res) + 1, sizeof(*st->v));
		pthread_mutex_lock(s->kr_lock);
		r = load_rows(s, res, st);
		pthread_mutex_unlock(s->kr_lock);
	}
	PQclear(res);
	if (r < 0) {
		log_errno(LOG_WARNING, r, "unable to load the webhook secrets (%s), keeping %s: %s",
			  why, s->cur ? "the last ones" : "none", db_error(s->db));
		set_free(st);
		return r;
	}
	qsort(st->v, st->n, sizeof(*st->v), known_cmp);
	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = st;
	pthread_mutex_unlock(&s->lock);
	set_free(old);
	log_info("webhook secrets loaded (%s): %zu hooks", why, st->n);
	return 0;
}

/* Whether a notification is waiting; WAKE_LOST when the connection went. */
static enum wake notified(struct hook_secrets *s)
{
	PGconn *c = db_conn(s->db);
	PGnotify *nf;
	int any = 0;

	if (!PQconsumeInput(c))
		return WAKE_LOST;
	while ((nf = PQnotifies(c))) {
		any = 1;
		PQfreemem(nf);
	}
	return any ? WAKE_NOTIFIED : WAKE_TIMEOUT;
}

/* Sleep up to usec for a notification, a lost connection or the stop byte. */
static enum wake wait_for(struct hook_secrets *s, int64_t usec)
{
	int64_t deadline = mono_usec() + usec;
	PGconn *c = db_conn(s->db);
	int listening = c && PQstatus(c) == CONNECTION_OK;

	for (;;) {
		struct pollfd p[2] = { { .fd = s->stop[0], .events = POLLIN },
				       { .fd = listening ? PQsocket(c) : -1, .events = POLLIN } };
		int64_t left = deadline - mono_usec();
		enum wake w;

		if (listening && (w = notified(s)) != WAKE_TIMEOUT)
			return w;
		if (left <= 0)
			return WAKE_TIMEOUT;
		if (poll(p, 2, (int)(left / 1000) + 1) < 0 && errno != EINTR)
			return WAKE_LOST;
		if (p[0].revents)
			return WAKE_STOP;
	}
}

static void *run(void *arg)
{
	struct hook_secrets *s = arg;
	const char *why = "start";

	for (;;) {
		int r = load(s, why);

		switch (wait_for(s, r < 0 ? RETRY_USEC : s->interval_usec)) {
		case WAKE_STOP: return NULL;
		case WAKE_NOTIFIED: why = "notified"; break;
		case WAKE_LOST: why = "connection lost"; break;
		case WAKE_TIMEOUT: why = r < 0 ? "retry" : "interval"; break;
		}
	}
}

int hook_secrets_start(const struct config *cfg, const struct keyring *kr,
		       pthread_mutex_t *kr_lock, struct hook_secrets **out)
{
	struct hook_secrets *s = xcalloc(1, sizeof(*s));

	s->kr = kr;
	s->kr_lock = kr_lock;
	s->interval_usec = config_v(cfg)->hook_refresh_interval * 1000000LL;
	pthread_mutex_init(&s->lock, NULL);
	if (pipe2(s->stop, O_CLOEXEC) < 0) {
		int r = -errno;

		free(s);
		return r;
	}
	/* Unreachable now is fine: the thread retries, requests ask the database. */
	db_open(cfg, DB_ROLE_HOOK, &s->db);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		db_free(s->db);
		close(s->stop[0]);
		close(s->stop[1]);
		free(s);
		return -EAGAIN;
	}
	*out = s;
	return 0;
}

void hook_secrets_stop(struct hook_secrets *s)
{
	if (!s)
		return;
	if (write(s->stop[1], "", 1) == 1)
		pthread_join(s->thread, NULL);
	close(s->stop[0]);
	close(s->stop[1]);
	db_free(s->db);
	set_free(s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int hook_secrets_get(struct hook_secrets *s, enum webhook_provider p, const char *hook_id,
		     int64_t *repository_id, int64_t *org_id, struct secbuf *secret)
{
	struct known key = { .provider = p }, *k = NULL;
	int r = -EAGAIN;

	if (strlen(hook_id) > HOOK_ID_MAX)
		return -ENOENT;
	memcpy(key.hook_id, hook_id, strlen(hook_id) + 1);
	pthread_mutex_lock(&s->lock);
	if (s->cur) {
		k = bsearch(&key, s->cur->v, s->cur->n, sizeof(key), known_cmp);
		r = k ? 0 : -ENOENT;
	}
	if (k && k->len)
		r = secbuf_alloc(secret, k->len);
	if (r == 0 && k->len)
		memcpy(secret->data, s->cur->arena.data + k->off, k->len);
	if (r == 0) {
		*repository_id = k->repository_id;
		*org_id = k->org_id;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
