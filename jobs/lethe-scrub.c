/*
 * lethe-scrub - no checkout outlives two hours (DESIGN.md invariant 4).
 *
 * Run by a timer every few minutes and once at boot.  On this host it
 * destroys every checkout past its deadline, every checkout whose job no
 * longer runs under a live lease, and every volume left under Lethe's own
 * state and run directories that has no live row (a crash between creating
 * the volume and inserting its row, or a teardown that failed).  The
 * volume module kills whatever still uses a checkout before tearing it
 * down, and walks every path relative to a directory descriptor without
 * following symlinks.  Each destruction is recorded in the checkout row
 * (reason, duration), the journal (LETHE_CHECKOUT=) and the audit log.
 *
 * Concurrency: each row is taken with FOR UPDATE SKIP LOCKED and stays
 * locked while its volume is torn down, so two runs never scrub the same
 * checkout; leftovers without a row are handled by one run at a time
 * (flock on RUN_DIR/scrub.lock), and only once they are older than
 * scrub_orphan_grace, so a scan between creating its volume and inserting
 * its row is left alone.
 *
 * At start it checks that the timer period plus the worst-case scrub time
 * fits in the margin between checkout_max_age and two hours, and alerts
 * in the journal when it does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "audit.h"
#include "checkout.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "queue.h"
#include "util.h"
#include "volume.h"

#define TWO_HOURS		7200
#define ACCURACY_DEFAULT	60	/* systemd's AccuracySec= default */

struct scrub {
	const struct config *cfg;
	struct db *db;
	char host[HOST_NAME_MAX + 1];
	const char *state_dir, *run_dir;
	int dry_run;
	int failed;		/* a teardown failed: exit TEMPFAIL */
	long scrubbed;
};

/* ---- the two-hour budget ---- */

struct timer_settings {
	int64_t period, accuracy, delay;	/* seconds; period 0 = none found */
	int from_end;	/* OnUnitInactiveSec=: the period starts when a run ends */
};

/* A systemd time span ("3min", "1h 30min", "90"); seconds, rounded up. */
static int timespan_parse(const char *s, int64_t *secs)
{
	static const struct { const char *u; int64_t usec; } units[] = {
		{ "usec", 1 }, { "us", 1 }, { "msec", 1000 }, { "ms", 1000 },
		{ "seconds", 1000000 }, { "second", 1000000 }, { "sec", 1000000 },
		{ "s", 1000000 }, { "minutes", 60000000 }, { "minute", 60000000 },
		{ "min", 60000000 }, { "m", 60000000 }, { "hours", 3600000000LL },
		{ "hour", 3600000000LL }, { "hr", 3600000000LL }, { "h", 3600000000LL },
		{ "days", 86400000000LL }, { "day", 86400000000LL }, { "d", 86400000000LL },
	};
	int64_t total = 0;
	int any = 0;

	while (*s) {
		char *end;
		long long v;
		size_t i, len;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (end == s || v < 0 || errno || v > 100000000)
			return -EINVAL;
		for (s = end; *s == ' '; s++)
			;
		for (len = 0; s[len] && s[len] != ' ' && (s[len] < '0' || s[len] > '9'); len++)
			;
		for (i = 0; len && i < ARRAY_SIZE(units); i++)
			if (strlen(units[i].u) == len && !strncmp(s, units[i].u, len))
				break;
		if (len && i == ARRAY_SIZE(units))
			return -EINVAL;
		total += v * (len ? units[i].usec : 1000000);
		s += len;
		any = 1;
	}
	if (!any)
		return -EINVAL;
	*secs = (total + 999999) / 1000000;
	return 0;
}

/* Apply the [Timer] assignments of one unit file or drop-in to t. */
static int timer_read_file(const char *path, struct timer_settings *t)
{
	char *buf = NULL, *line, *save = NULL;
	int r, in_timer = 0;

	r = read_file(path, 1 << 16, &buf, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *val;
		int64_t v = 0;

		line += strspn(line, " \t");
		if (line[0] == '[')
			in_timer = !strncmp(line, "[Timer]", 7);
		eq = strchr(line, '=');
		if (!in_timer || !eq || line[0] == '#' || line[0] == ';')
			continue;
		/* "Key = value": systemd strips the blanks around both. */
		val = eq + 1 + strspn(eq + 1, " \t");
		for (char *e = val + strlen(val); e > val && strchr(" \t\r", e[-1]); )
			*--e = '\0';
		while (eq > line && strchr(" \t", eq[-1]))
			eq--;
		*eq = '\0';
		if (*val && timespan_parse(val, &v) < 0)
			continue;	/* systemd ignores it too, with a warning */
		if (!strcmp(line, "OnUnitActiveSec") || !strcmp(line, "OnUnitInactiveSec")) {
			t->period = !*val ? 0 : !t->period || v < t->period ? v : t->period;
			t->from_end = line[6] == 'I';
		}
		else if (!strcmp(line, "AccuracySec"))
			t->accuracy = *val ? v : ACCURACY_DEFAULT;
		else if (!strcmp(line, "RandomizedDelaySec"))
			t->delay = v;
	}
	free(buf);
	return 0;
}

/* systemd's unit search path, highest priority first: $SYSTEMD_UNIT_PATH
 * (a trailing ':' adds the defaults, as systemd reads it), else these, with
 * the directory Lethe's units are installed in. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system", LETHE_UNITDIR,
	"/usr/lib/systemd/system", "/lib/systemd/system",
};

static size_t unit_path(const char *shipped, char **dirs, size_t max)
{
	const char *env = getenv("SYSTEMD_UNIT_PATH");
	size_t n = 0, len;
	char *own = xstrdup(shipped), *slash = strrchr(own, '/');

	for (const char *p = env; p && *p && n < max; p += len + (p[len] == ':')) {
		len = strcspn(p, ":");
		if (len)
			dirs[n++] = xstrndup(p, len);
	}
	if (!env || !*env || env[strlen(env) - 1] == ':')
		for (size_t i = 0; i < ARRAY_SIZE(unit_dirs) && n < max; i++)
			dirs[n++] = xstrdup(unit_dirs[i]);
	/* The shipped file's own directory comes last. */
	if (slash && n < max) {
		*slash = '\0';
		dirs[n++] = own;
	} else {
		free(own);
	}
	return n;
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');

	return strcmp(x ? x + 1 : *(char *const *)a, y ? y + 1 : *(char *const *)b);
}

/*
 * The timer as systemd reads it: the unit file of the first directory of
 * the search path holding one (else the shipped file), then its drop-ins
 * (NAME.d/, files ending in .conf) in the order of their file names, a name
 * in a higher directory hiding the same name in a lower one.
 */
static int timer_read(const char *shipped, struct timer_settings *t)
{
	const char *base = strrchr(shipped, '/') ? strrchr(shipped, '/') + 1 : shipped;
	char *dirs[16], **drop = NULL;
	size_t ndirs = unit_path(shipped, dirs, ARRAY_SIZE(dirs)), ndrop = 0;
	int r = -ENOENT;

	*t = (struct timer_settings){ 0, ACCURACY_DEFAULT, 0, 0 };
	for (size_t i = 0; i < ndirs && r == -ENOENT; i++) {
		char *path = xasprintf("%s/%s", dirs[i], base);

		r = timer_read_file(path, t);
		free(path);
	}
	if (r == -ENOENT)
		r = timer_read_file(shipped, t);
	for (size_t i = 0; r == 0 && i < ndirs; i++) {
		char *pattern = xasprintf("%s/%s.d/*.conf", dirs[i], base);
		glob_t g = { 0 };

		if (glob(pattern, 0, NULL, &g) == 0)
			for (size_t k = 0; k < g.gl_pathc; k++) {
				size_t j;

				for (j = 0; j < ndrop && name_cmp(&drop[j], &g.gl_pathv[k]); j++)
					;
				if (j < ndrop)
					continue;	/* hidden by a higher directory */
				drop = xrealloc(drop, (ndrop + 1) * sizeof(*drop));
				drop[ndrop++] = xstrdup(g.gl_pathv[k]);
			}
		globfree(&g);
		free(pattern);
	}
	if (ndrop > 1)
		qsort(drop, ndrop, sizeof(*drop), name_cmp);
	for (size_t i = 0; i < ndrop; i++) {
		(void)timer_read_file(drop[i], t);
		free(drop[i]);
	}
	free(drop);
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	return r;
}

/*
 * A checkout created at t0 has its deadline at t0 + checkout_max_age.  The
 * run just before the deadline may have listed the checkouts a moment too
 * early; the next one starts at most period + accuracy + randomized delay
 * after that run started (OnUnitActiveSec=; after it ended, one more
 * worst-case run, with OnUnitInactiveSec=) and is done within the
 * worst-case scrub time, which the service's TimeoutStartSec= enforces.
 */
static void guarantee_check(const struct config *cfg)
{
	int64_t max_age = config_v(cfg)->checkout_max_age;
	int64_t worst = config_v(cfg)->scrub_worst_case, lifetime;
	struct timer_settings t;
	const char *src = config_v(cfg)->scrub_timer;

	if (timer_read(src, &t) < 0) {
		t = (struct timer_settings){ config_v(cfg)->scrub_interval, 0, 0, 0 };
		src = "scrub_interval";
	} else if (!t.period) {
		log_msg(LOG_CRIT, "timer '%s' has no OnUnitActiveSec=: nothing guarantees that "
			"checkouts are destroyed within two hours", src);
		return;
	}
	lifetime = max_age + t.period + t.accuracy + t.delay + worst * (1 + t.from_end);
	if (lifetime > TWO_HOURS)
		log_msg(LOG_ALERT, "checkouts may outlive two hours: checkout_max_age %llds + period "
			"%llds + accuracy %llds + randomized delay %llds (%s) + scrub_worst_case %llds x %d "
			"= %llds", (long long)max_age, (long long)t.period, (long long)t.accuracy,
			(long long)t.delay, src, (long long)worst, 1 + t.from_end, (long long)lifetime);
	else
		log_debug("worst-case checkout lifetime %llds (timer from %s)", (long long)lifetime, src);
}

/* ---- recording ---- */

static char *details_json(const char *name, const char *host, const char *reason,
			  int64_t job, int64_t usec)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (job > 0)
		json_object_object_add(o, "job", json_object_new_int64(job));
	json_object_object_add(o, "teardown_usec", json_object_new_int64(usec));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int audit_scrub(struct scrub *s, int64_t org, const char *target, const char *name,
		       const char *reason, int64_t job, int64_t usec)
{
	char *details = details_json(name, s->host, reason, job, usec);
	int r = audit_append(s->db, org, AUDIT_SYSTEM, "lethe-scrub", "workspace scrub", target,
			     details, NULL);

	free(details);
	return r;
}

/* ---- teardown ---- */

/*
 * Remove a symlink or file planted at RUN_DIR/checkouts/NAME, where only a
 * mount point belongs (the link itself, never what it points to).
 * 1 when one was removed.
 */
static int planted_remove(const struct scrub *s, const char *name)
{
	int top = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d = -1, r = 0;
	struct stat st;

	if (top >= 0)
		d = openat(top, "checkouts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d >= 0 && fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		r = unlinkat(d, name, 0) == 0;
	if (d >= 0)
		close(d);
	if (top >= 0)
		close(top);
	return r;
}

/* lib/volume refuses a checkout path that is not a directory: clear it first. */
static int volume_teardown(const struct scrub *s, const char *name, int64_t *usec)
{
	int r = volume_destroy_name(s->state_dir, s->run_dir, name, usec);

	if ((r == -ENOTDIR || r == -ELOOP) && planted_remove(s, name)) {
		log_warning("removed '%s/checkouts/%s': not a directory, planted where a checkout "
			    "belongs", s->run_dir, name);
		r = volume_destroy_name(s->state_dir, s->run_dir, name, usec);
	}
	return r;
}

/* ---- checkouts with a row ---- */

/*
 * Past its deadline, or its job is not running under a live lease, or the
 * job was claimed again (started_at moves on every claim) after this
 * checkout was made: its worker died and another took the job over.
 */
#define DOOMED "(c.deadline <= now() OR j.id IS NULL OR j.state <> 'running' " \
	       "OR j.lease_expires IS NULL OR j.lease_expires <= now() " \
	       "OR c.created_at < j.started_at)"

static const char doomed_sql[] =
	"SELECT c.id FROM lethe.checkouts c LEFT JOIN lethe.jobs j ON j.id = c.job_id "
	"WHERE c.host = $1 AND c.destroyed_at IS NULL AND " DOOMED " ORDER BY c.deadline";

static const char lock_sql[] =
	"SELECT c.name, c.org_id, coalesce(c.job_id, 0), CASE "
	"WHEN c.deadline <= now() THEN 'deadline passed' "
	"WHEN j.id IS NULL THEN 'job gone' "
	"WHEN j.state <> 'running' THEN 'job ' || j.state "
	"WHEN c.created_at < j.started_at THEN 'job claimed again' "
	"ELSE 'lease expired' END "
	"FROM lethe.checkouts c LEFT JOIN lethe.jobs j ON j.id = c.job_id "
	"WHERE c.id = $1 AND c.host = $2 AND c.destroyed_at IS NULL AND " DOOMED
	" FOR UPDATE OF c SKIP LOCKED";


struct victim {
	int64_t id, org, job;
	char name[VOLUME_NAME_MAX + 33];
	char reason[64];
};

static int checkout_record(struct scrub *s, const struct victim *v, int64_t usec)
{
	char state[16], *err = xasprintf("checkout scrubbed: %s", v->reason);
	char *target = xasprintf("checkout:%lld", (long long)v->id);
	int r, q = -ENOENT;

	r = checkout_ended(s->db, v->id, v->reason,
			   strcmp(v->reason, "deadline passed") ? "orphaned" : "deadline", usec);
	if (r == 0 && v->job > 0) {
		q = queue_requeue_orphan(s->db, v->job, err, state, sizeof(state));
		r = q == -ENOENT ? 0 : q;
	}
	if (r == 0 && q == 0)
		log_notice("job %lld is %s again after its checkout was scrubbed", (long long)v->job, state);
	if (r == 0)
		r = audit_scrub(s, v->org, target, v->name, v->reason, v->job, usec);
	free(err);
	free(target);
	return r;
}

/* 1 when this run holds the row (locked in the open transaction), 0 when not. */
static int checkout_lock(struct scrub *s, const char *id, struct victim *v)
{
	PGresult *res;
	int r;

	r = DB_QUERY(s->db, &res, lock_sql, id, s->host);
	if (r < 0)
		return r;
	r = PQntuples(res) == 1;
	if (r) {
		v->id = atoll(id);
		snprintf(v->name, sizeof(v->name), "%s", db_value(res, 0, 0));
		v->org = db_int(res, 0, 1);
		v->job = db_int(res, 0, 2);
		snprintf(v->reason, sizeof(v->reason), "%s", db_value(res, 0, 3));
	}
	PQclear(res);
	return r;
}

static void fields_set(int64_t checkout, int64_t job, int64_t org)
{
	log_field(LOG_F_CHECKOUT, checkout);
	log_field(LOG_F_JOB, job);
	log_field(LOG_F_ORG, org);
}

static int checkout_scrub(struct scrub *s, const char *id)
{
	struct victim v = { 0 };
	int64_t usec = 0;
	int r;

	r = db_begin(s->db);
	if (r == 0)
		r = checkout_lock(s, id, &v);
	if (r < 0)
		log_err("unable to lock checkout %s: %s", id, db_error(s->db));
	if (r <= 0)
		goto out;	/* 0: gone, or another run has it */
	fields_set(v.id, v.job, v.org);
	if (s->dry_run) {
		printf("would scrub checkout %s (id %lld): %s\n", v.name, (long long)v.id, v.reason);
		goto out;
	}
	r = volume_teardown(s, v.name, &usec);
	if (r < 0) {
		log_errno(LOG_ERR, r, "unable to scrub checkout '%s' (%s)", v.name, v.reason);
		goto out;
	}
	r = checkout_record(s, &v, usec);
	if (r == 0)
		r = db_commit(s->db);
	if (r < 0) {
		log_err("checkout '%s' scrubbed but not recorded: %s", v.name, db_error(s->db));
		goto out;
	}
	s->scrubbed++;
	log_notice("scrubbed checkout '%s' in %lld ms: %s", v.name, (long long)(usec / 1000), v.reason);
out:
	db_rollback(s->db);
	fields_set(0, 0, 0);
	return r;
}

static int checkouts_scrub(struct scrub *s)
{
	PGresult *res;
	int r;

	r = DB_QUERY(s->db, &res, doomed_sql, s->host);
	if (r < 0) {
		log_err("unable to list checkouts to scrub: %s", db_error(s->db));
		return r;
	}
	for (int i = 0; i < PQntuples(res); i++)
		if (checkout_scrub(s, db_value(res, i, 0)) < 0)
			s->failed = 1;
	PQclear(res);
	return 0;
}

/* ---- leftovers without a live row ---- */

/* Seconds since anything of name changed under Lethe's directories. */
static int64_t leftover_age(struct scrub *s, const char *name)
{
	const char *tops[2] = { s->state_dir, s->run_dir }, *subs[2] = { "volumes", "checkouts" };
	char *img = xasprintf("%s.img", name);
	const char *leaf[2] = { img, name };
	time_t newest = 0;

	for (int i = 0; i < 2; i++) {
		int top = open(tops[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d;
		struct stat st;

		d = top < 0 ? -1 : openat(top, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d >= 0 && fstatat(d, leaf[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime > newest)
			newest = st.st_mtime;
		if (d >= 0)
			close(d);
		if (top >= 0)
			close(top);
	}
	free(img);
	return newest ? (int64_t)(time(NULL) - newest) : INT64_MAX;
}

static const char row_sql[] =
	"SELECT coalesce(bool_or(destroyed_at IS NULL), false), count(*), "
	"coalesce((array_agg(org_id ORDER BY id DESC))[1], 0) "
	"FROM lethe.checkouts WHERE host = $1 AND name = $2";

/* Whether name is a leftover; its reason and org when it is. */
static int leftover_check(struct scrub *s, const char *name, const char **reason, int64_t *org)
{
	PGresult *res;
	int64_t rows;
	int r;

	r = DB_QUERY(s->db, &res, row_sql, s->host, name);
	if (r < 0)
		return r;
	r = strcmp(db_value(res, 0, 0), "t") != 0;
	rows = db_int(res, 0, 1);
	*reason = rows ? "row destroyed" : "no row";
	*org = db_int(res, 0, 2);
	PQclear(res);
	if (r && !rows && leftover_age(s, name) < config_v(s->cfg)->scrub_orphan_grace) {
		log_debug("volume '%s' has no row yet; left alone during the grace period", name);
		r = 0;
	}
	return r;
}

static int leftover_scrub(struct scrub *s, const char *name)
{
	const char *reason;
	int64_t org = 0, usec = 0;
	char *target;
	int r;

	r = leftover_check(s, name, &reason, &org);
	if (r <= 0)
		return r;
	if (s->dry_run) {
		printf("would remove leftover volume %s: %s\n", name, reason);
		return 0;
	}
	r = volume_teardown(s, name, &usec);
	if (r < 0) {
		log_errno(LOG_ERR, r, "unable to remove leftover volume '%s' (%s)", name, reason);
		return r;
	}
	target = xasprintf("volume:%s", name);
	r = audit_scrub(s, org, target, name, reason, 0, usec);
	free(target);
	if (r < 0)
		log_err("leftover volume '%s' removed but not audited: %s", name, db_error(s->db));
	s->scrubbed++;
	log_notice("removed leftover volume '%s' in %lld ms: %s", name, (long long)(usec / 1000), reason);
	return r;
}

/* One run at a time per host; 0 and *fd = -1 when another holds it. */
static int leftovers_lock(struct scrub *s, int *fd)
{
	int dfd = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;

	*fd = -1;
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	*fd = openat(dfd, "scrub.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		r = -errno;
	else if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? 0 : -errno;
		close(*fd);
		*fd = -1;
	}
	close(dfd);
	return r;
}

static int leftovers_scrub(struct scrub *s)
{
	char **names = NULL;
	size_t n = 0;
	int r, lock;

	r = leftovers_lock(s, &lock);
	if (r < 0 || lock < 0) {
		if (r < 0)
			log_errno(LOG_ERR, r, "unable to lock '%s/scrub.lock'", s->run_dir);
		else
			log_debug("another lethe-scrub is clearing leftovers");
		return r;
	}
	r = volume_list(s->state_dir, s->run_dir, &names, &n);
	if (r < 0)
		log_errno(LOG_ERR, r, "unable to list volumes under '%s' and '%s'", s->state_dir, s->run_dir);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (leftover_scrub(s, names[i]) < 0)
			s->failed = 1;
	volume_list_free(names, n);
	close(lock);
	return r;
}

/* ---- without the database ---- */

/* Seconds since name's image (or, without one, its mount point) was made. */
static int64_t volume_age(const struct scrub *s, const char *name)
{
	const char *tops[2] = { s->state_dir, s->run_dir }, *subs[2] = { "volumes", "checkouts" };
	char *img = xasprintf("%s.img", name);
	const char *leaf[2] = { img, name };
	int64_t age = -1;

	for (int i = 0; i < 2 && age < 0; i++) {
		int top = open(tops[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d;
		struct statx stx;

		d = top < 0 ? -1 : openat(top, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d >= 0 && statx(d, leaf[i], AT_SYMLINK_NOFOLLOW, STATX_BTIME, &stx) == 0 &&
		    (stx.stx_mask & STATX_BTIME))
			age = (int64_t)time(NULL) - (int64_t)stx.stx_btime.tv_sec;
		if (d >= 0)
			close(d);
		if (top >= 0)
			close(top);
	}
	free(img);
	return age;
}

/*
 * PostgreSQL is unreachable: the two hours still hold.  A volume made
 * longer ago than checkout_max_age is past any deadline its row can have,
 * so it goes now; its row is brought up to date by a later run.
 */
static void offline_scrub(struct scrub *s)
{
	int64_t max_age = config_v(s->cfg)->checkout_max_age, usec, age;
	char **names = NULL;
	size_t n = 0;
	int r, lock;

	if (leftovers_lock(s, &lock) < 0 || lock < 0)
		return;	/* another run is at it */
	r = volume_list(s->state_dir, s->run_dir, &names, &n);
	if (r < 0)
		log_errno(LOG_ERR, r, "unable to list volumes under '%s' and '%s'", s->state_dir, s->run_dir);
	for (size_t i = 0; i < n; i++) {
		age = volume_age(s, names[i]);
		if (age < max_age)
			continue;
		if (s->dry_run) {
			printf("would remove volume %s: %llds old, database unreachable\n", names[i],
			       (long long)age);
			continue;
		}
		r = volume_teardown(s, names[i], &usec);
		if (r < 0)
			log_errno(LOG_ERR, r, "unable to remove volume '%s'", names[i]);
		else
			log_warning("removed volume '%s', %llds old, without the database: its row and "
				    "audit event come with a later run", names[i], (long long)age);
	}
	volume_list_free(names, n);
	close(lock);
}

/* ---- main ---- */

static int dir_acceptable(const char *key, const char *path)
{
	if (path[0] != '/' || !strcmp(path, "/")) {
		log_err("refusing %s '%s': it must be an absolute directory other than /", key, path);
		return 0;
	}
	return 1;
}

#define USAGE "usage: lethe-scrub [-nv] [--dry-run] [--verbose] | --help | --version\n"

static void usage(void)
{
	fputs(USAGE, stderr);
	exit(EXIT_USAGE);
}

static void options(int argc, char **argv, struct scrub *s)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	std_options(argc, argv, USAGE);
	while ((c = getopt_long(argc, argv, "nv", longopts, NULL)) != -1) {
		if (c == 'n')
			s->dry_run = 1;
		else if (c == 'v')
			log_set_verbose(1);
		else
			usage();
	}
	if (optind != argc)
		usage();
}

/* ---- sealed fix patches ---- */

static const char patches_sql[] =
	"UPDATE lethe.fixes SET patch_enc = NULL, destroyed_at = now(), destroy_reason = 'expired', "
	"state = CASE WHEN state IN ('proposed', 'approved') THEN 'expired' ELSE state END "
	"WHERE patch_enc IS NOT NULL AND deadline <= now() RETURNING id, org_id, patch_bytes";

/* Destroy every sealed patch past its deadline, each an audit event, in one transaction. */
static int patches_scrub(struct scrub *s)
{
	PGresult *res = NULL;
	int n = 0, r;

	if (s->dry_run)
		return 0;
	r = db_begin(s->db);
	if (r == 0)
		r = db_exec(s->db, &res, patches_sql, 0, NULL);
	for (int i = 0; r == 0 && i < (n = PQntuples(res)); i++) {
		char *target = xasprintf("fix:%s", db_value(res, i, 0));
		char *details = xasprintf("{\"reason\":\"expired\",\"host\":\"%s\",\"bytes\":%lld}",
					  s->host, (long long)db_int(res, i, 2));

		r = audit_append(s->db, db_int(res, i, 1), AUDIT_SYSTEM, "lethe-scrub",
				 "fix patch destroyed", target, details, NULL);
		free(details);
		free(target);
	}
	if (r == 0)
		r = db_commit(s->db);
	if (r < 0) {
		log_err("unable to destroy expired fix patches: %s", db_error(s->db));
		db_rollback(s->db);
	} else if (n > 0) {
		log_notice("destroyed %d sealed fix patch%s past its deadline", n, n == 1 ? "" : "es");
	}
	PQclear(res);
	return r;
}

static int scrub_run(struct scrub *s)
{
	int64_t start = mono_usec(), took;
	int r;

	r = db_open(s->cfg, DB_ROLE_SCRUB, &s->db);
	if (r < 0) {
		log_err("unable to connect to the database: %s", db_error(s->db));
		offline_scrub(s);
		return EXIT_TEMPFAIL;
	}
	if (checkouts_scrub(s) < 0 || leftovers_scrub(s) < 0 || patches_scrub(s) < 0)
		s->failed = 1;
	took = (mono_usec() - start) / 1000000;
	if (took > config_v(s->cfg)->scrub_worst_case)
		log_msg(LOG_CRIT, "scrub took %llds, more than scrub_worst_case (%llds): checkouts may "
			"outlive two hours", (long long)took, (long long)config_v(s->cfg)->scrub_worst_case);
	if (s->scrubbed)
		log_info("scrubbed %ld volume%s in %llds", s->scrubbed, s->scrubbed == 1 ? "" : "s",
			 (long long)took);
	return s->failed ? EXIT_TEMPFAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct scrub s = { 0 };
	struct config *cfg;
	int rc;

	log_init("lethe-scrub");
	options(argc, argv, &s);
	cfg = config_start();
	s.cfg = cfg;
	s.state_dir = config_v(cfg)->state_dir;
	s.run_dir = config_v(cfg)->run_dir;
	if (!dir_acceptable("state_dir", s.state_dir) || !dir_acceptable("run_dir", s.run_dir))
		return EXIT_PERMFAIL;
	if (gethostname(s.host, sizeof(s.host)) < 0)
		fatal(EXIT_TEMPFAIL, "unable to read the host name");
	guarantee_check(cfg);
	rc = scrub_run(&s);
	db_free(s.db);
	config_free(cfg);
	return rc;
}
