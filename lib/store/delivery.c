/* delivery.c - delivery and job rows in one transaction, and the spool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "delivery.h"
#include "util.h"

int delivery_id_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > WEBHOOK_DELIVERY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

const char *delivery_outcome(const struct webhook_event *ev, int absorbed)
{
	switch (ev->outcome) {
	case WE_SCAN: return absorbed ? "absorbed" : "queued";
	case WE_RECORD: return "recorded";
	case WE_UNPARSABLE: return "unparsable";
	case WE_INCOMPLETE: return "incomplete";
	default: return "ignored";
	}
}

static const char *nz(const char *s) { return s && *s ? s : NULL; }

/* A push's tips after the first, as [{ref, branch, sha}]; NULL when none. */
static struct json_object *more_json(const struct webhook_event *ev)
{
	struct json_object *a;

	if (!ev->nmore)
		return NULL;
	a = json_object_new_array_ext(ev->nmore);
	for (int i = 0; i < ev->nmore; i++) {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "ref", json_object_new_string(ev->more[i].ref));
		json_object_object_add(t, "branch", json_object_new_string(ev->more[i].branch));
		json_object_object_add(t, "sha", json_object_new_string(ev->more[i].sha));
		json_object_array_add(a, t);
	}
	return a;
}

/*
 * One statement, so one round trip and one implicit transaction: the
 * function (sql/020_hook.sql) inserts the delivery, then queues a job or
 * lets the queued one absorb it; a duplicate returns no row.
 */
static int record_one(struct db *db, const struct delivery *d, int64_t *id, int64_t *job,
		      int *absorbed)
{
	char org[24], repo[24], pr[24], when[24];
	struct json_object *more = more_json(&d->ev);
	PGresult *res;
	int r;

	*id = *job = 0;
	*absorbed = 0;
	i64s(d->org_id, org);
	i64s(d->repository_id, repo);
	i64s(d->ev.pr, pr);
	i64s(d->received_usec, when);
	r = DB_QUERY(db, &res,
		"SELECT delivery_id, job_id, outcome FROM delivery_record($1, $2, $3, $4, $5, $6, $7, "
		"$8, $9, $10, $11, $12, $13, to_timestamp($14::double precision / 1000000), $15, $16)",
		org, repo, webhook_provider_name(d->provider), d->id, d->ev.event, nz(d->ev.action),
		d->ev.outcome == WE_SCAN ? "t" : "f", delivery_outcome(&d->ev, 0), nz(d->ev.ref),
		nz(d->ev.branch), nz(d->ev.sha), d->ev.pr ? pr : NULL, d->spooled ? "t" : "f",
		d->received_usec ? when : NULL, nz(d->digest),
		more ? json_object_to_json_string_ext(more, JSON_C_TO_STRING_PLAIN) : NULL);
	json_object_put(more);
	if (r == -EIO && !strcmp(db_sqlstate(db), "23503"))
		return -ENOENT;	/* foreign key: the repository was removed */
	if (r == -EIO && !strcmp(db_sqlstate(db), "23505"))
		return -EEXIST;	/* a concurrent copy was stored first */
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		*id = db_int(res, 0, 0);
		*job = db_int(res, 0, 1);
		*absorbed = !strcmp(db_value(res, 0, 2), "absorbed");
	} else {
		r = -EEXIST;
	}
	PQclear(res);
	return r;
}

/* What is left of a delivery the database refused: its event (printable ASCII) and ids. */
static void delivery_strip(struct delivery *d)
{
	char event[sizeof(d->ev.event)];

	snprintf(event, sizeof(event), "%s", d->ev.event);
	for (char *c = event; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	memset(&d->ev, 0, sizeof(d->ev));
	memcpy(d->ev.event, event, sizeof(event));
	d->ev.outcome = WE_INCOMPLETE;
}

int delivery_record(struct db *db, struct delivery *d, int64_t *id, int64_t *job, int *absorbed)
{
	int r = record_one(db, d, id, job, absorbed);

	if (r == -EIO && (!strncmp(db_sqlstate(db), "22", 2) || !strncmp(db_sqlstate(db), "23", 2))) {
		delivery_strip(d);
		r = record_one(db, d, id, job, absorbed);
	}
	return r;
}

static void jset(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s && *s ? json_object_new_string(s) : NULL);
}

static struct json_object *batch_entry(const struct delivery *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "org", json_object_new_int64(d->org_id));
	json_object_object_add(o, "repo", json_object_new_int64(d->repository_id));
	jset(o, "provider", webhook_provider_name(d->provider));
	jset(o, "delivery", d->id);
	jset(o, "event", d->ev.event);
	jset(o, "action", d->ev.action);
	json_object_object_add(o, "scan", json_object_new_boolean(d->ev.outcome == WE_SCAN));
	jset(o, "outcome", delivery_outcome(&d->ev, 0));
	jset(o, "ref", d->ev.ref);
	jset(o, "branch", d->ev.branch);
	jset(o, "sha", d->ev.sha);
	json_object_object_add(o, "pr", d->ev.pr ? json_object_new_int64(d->ev.pr) : NULL);
	json_object_object_add(o, "spooled", json_object_new_boolean(d->spooled));
	json_object_object_add(o, "received_usec",
			       d->received_usec ? json_object_new_int64(d->received_usec) : NULL);
	jset(o, "digest", d->digest);
	json_object_object_add(o, "more", more_json(&d->ev));
	return o;
}

/*
 * The batch travels as one JSON parameter; delivery_record_many()
 * (sql/022_hook_set.sql) inserts the batch's jobs and deliveries as two
 * sets and returns a row, numbered from 1, for each delivery that is not
 * a duplicate.
 */
int delivery_record_many(struct db *db, const struct delivery *const *d, size_t n,
			 struct delivery_result *out)
{
	struct json_object *a = json_object_new_array_ext((int)n);
	PGresult *res = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		json_object_array_add(a, batch_entry(d[i]));
		out[i] = (struct delivery_result){ .r = -EEXIST };
	}
	r = DB_QUERY(db, &res, "SELECT idx, delivery_id, job_id, outcome FROM delivery_record_many($1)",
		     json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	for (int k = 0; r == 0 && k < PQntuples(res); k++) {
		int64_t i = db_int(res, k, 0) - 1;

		if (i < 0 || (size_t)i >= n)
			continue;
		out[i] = (struct delivery_result){ .r = 0, .id = db_int(res, k, 1),
			.job = db_int(res, k, 2), .absorbed = !strcmp(db_value(res, k, 3), "absorbed") };
	}
	PQclear(res);
	json_object_put(a);
	return r;
}

int spool_open_dir(const char *spool_dir, char **dir)
{
	char *d = xasprintf("%s/%s", spool_dir, SPOOL_SUBDIR);

	if (mkdir(d, 0770) < 0 && errno != EEXIST) {
		int r = -errno;

		free(d);
		return r;
	}
	*dir = d;
	return 0;
}

static struct json_object *spool_json(const struct delivery *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "org_id", json_object_new_int64(d->org_id));
	json_object_object_add(o, "repository_id", json_object_new_int64(d->repository_id));
	json_object_object_add(o, "provider", json_object_new_string(webhook_provider_name(d->provider)));
	json_object_object_add(o, "delivery_id", json_object_new_string(d->id));
	json_object_object_add(o, "outcome", json_object_new_int(d->ev.outcome));
	json_object_object_add(o, "event", json_object_new_string(d->ev.event));
	json_object_object_add(o, "action", json_object_new_string(d->ev.action));
	json_object_object_add(o, "repo", json_object_new_string(d->ev.repo));
	json_object_object_add(o, "ref", json_object_new_string(d->ev.ref));
	json_object_object_add(o, "branch", json_object_new_string(d->ev.branch));
	json_object_object_add(o, "sha", json_object_new_string(d->ev.sha));
	json_object_object_add(o, "pr", json_object_new_int64(d->ev.pr));
	json_object_object_add(o, "received_usec", json_object_new_int64(d->received_usec));
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	if (d->ev.nmore)
		json_object_object_add(o, "more", more_json(&d->ev));
	return o;
}

int spool_write(const char *dir, const struct delivery *d)
{
	static unsigned seq;	/* unique within the process, whatever thread writes */
	struct json_object *o = spool_json(d);
	char *text = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	char *name = xasprintf("%s/%lld-%d-%u.json", dir, (long long)now_usec(), (int)getpid(),
			       __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	/* Its temporary name begins with a dot: spool_is_entry skips it. */
	int r = write_file_durable(name, text, strlen(text), 0640, WRITE_EXCL, NULL);

	json_object_put(o);
	free(text);
	free(name);
	return r;
}

static int jcopy(struct json_object *o, const char *key, char *dst, size_t size)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -EBADMSG;
	s = json_object_get_string(v);
	if (strlen(s) >= size)
		return -EBADMSG;
	strcpy(dst, s);
	return 0;
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* The tips after the first, if any (none in older spool files). */
static int spool_more(struct json_object *o, struct webhook_event *ev)
{
	struct json_object *a, *t;
	int r = 0;

	if (!json_object_object_get_ex(o, "more", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) > WEBHOOK_TIPS_MAX - 1)
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct webhook_tip *tip = &ev->more[ev->nmore++];

		t = json_object_array_get_idx(a, i);
		if (!json_object_is_type(t, json_type_object))
			return -EBADMSG;
		r |= jcopy(t, "ref", tip->ref, sizeof(tip->ref));
		r |= jcopy(t, "branch", tip->branch, sizeof(tip->branch));
		r |= jcopy(t, "sha", tip->sha, sizeof(tip->sha));
	}
	return r ? -EBADMSG : 0;
}

static int spool_parse(struct json_object *o, struct delivery *d)
{
	char provider[16];
	int64_t outcome = jint(o, "outcome");
	int r = 0;

	memset(d, 0, sizeof(*d));
	r |= jcopy(o, "provider", provider, sizeof(provider));
	r |= jcopy(o, "delivery_id", d->id, sizeof(d->id));
	r |= jcopy(o, "event", d->ev.event, sizeof(d->ev.event));
	r |= jcopy(o, "action", d->ev.action, sizeof(d->ev.action));
	r |= jcopy(o, "repo", d->ev.repo, sizeof(d->ev.repo));
	r |= jcopy(o, "ref", d->ev.ref, sizeof(d->ev.ref));
	r |= jcopy(o, "branch", d->ev.branch, sizeof(d->ev.branch));
	r |= jcopy(o, "sha", d->ev.sha, sizeof(d->ev.sha));
	if (json_object_object_get_ex(o, "digest", NULL))	/* none in older spool files */
		r |= jcopy(o, "digest", d->digest, sizeof(d->digest));
	r |= spool_more(o, &d->ev);
	d->org_id = jint(o, "org_id");
	d->repository_id = jint(o, "repository_id");
	d->ev.pr = jint(o, "pr");
	d->received_usec = jint(o, "received_usec");
	d->spooled = 1;
	if (r || outcome < WE_IGNORE || outcome > WE_INCOMPLETE || d->org_id <= 0 ||
	    d->repository_id <= 0 || d->received_usec <= 0 || !delivery_id_valid(d->id) ||
	    (d->digest[0] && strspn(d->digest, "0123456789abcdef") != WEBHOOK_DIGEST_HEX) ||
	    webhook_provider_parse(provider, &d->provider) < 0)
		return -EBADMSG;
	d->ev.outcome = (enum webhook_outcome)outcome;
	return 0;
}

int spool_read(const char *dir, const char *name, struct delivery *d)
{
	char *path = xasprintf("%s/%s", dir, name), *text = NULL;
	size_t len;
	struct json_object *o = NULL;
	int r = read_file(path, 64 * 1024, &text, &len);

	if (r == 0) {
		o = json_tokener_parse(text);
		r = o && json_object_is_type(o, json_type_object) ? spool_parse(o, d) : -EBADMSG;
	}
	json_object_put(o);
	free(text);
	free(path);
	return r;
}

int spool_remove(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;

	if (r == 0)
		r = fsync_parent(path);
	free(path);
	return r;
}

int spool_is_entry(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}
