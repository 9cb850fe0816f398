/* work.c - the steps every checkout job shares; see work.h. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "checkout.h"
#include "clone.h"
#include "fetch.h"
#include "fixpush.h"
#include "forge.h"
#include "http.h"
#include "log.h"
#include "report.h"
#include "util.h"
#include "work.h"

/* Without --once: claim no new job after this long (the unit's timeout is
 * the backstop; the timer starts the next run). */
#define LOOP_BUDGET_USEC (30 * 60 * 1000000LL)

/* SIGTERM or SIGINT: finish the step at hand, tear down, requeue the job. */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void signals_setup(void)
{
	struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int work_stopping(void)
{
	return stopping;
}

/*
 * A job stops itself a tenth of checkout_max_age (at most a minute) before
 * its checkout's deadline, so that it destroys the volume itself.
 */
static int64_t teardown_margin(const struct config *cfg)
{
	int64_t age = config_v(cfg)->checkout_max_age;

	return age / 10 < 60 ? age / 10 : 60;
}

enum outcome work_fail(struct work *w, enum outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return o;
}

enum outcome work_db_fail(struct work *w, const char *what)
{
	db_rollback(w->db);
	return work_fail(w, OUT_TEMP, "unable to %s: %s", what, db_error(w->db));
}

enum outcome work_repo_load(struct work *w)
{
	PGresult *res = NULL;
	const char *api;
	char id[24];
	int r;

	r = DB_QUERY(w->db, &res, "SELECT r.clone_url, r.full_name, r.clone_token_enc, "
		     "r.default_branch, r.provider, coalesce(r.api_url, i.api_url) FROM repositories r "
		     "LEFT JOIN integrations i ON i.id = r.integration_id WHERE r.id = $1",
		     i64s(w->job->qj_repo, id));
	if (r < 0)
		return work_db_fail(w, "read the repository");
	if (PQntuples(res) != 1) {
		PQclear(res);
		return work_fail(w, OUT_PERM, "repository %" PRId64 " is gone", w->job->qj_repo);
	}
	w->clone_url = xstrdup(db_value(res, 0, 0));
	w->full_name = xstrdup(db_value(res, 0, 1));
	if (db_value(res, 0, 2))
		w->token_blob = xstrdup(db_value(res, 0, 2));
	w->default_branch = xstrdup(db_value(res, 0, 3));
	w->provider = xstrdup(db_value(res, 0, 4));
	api = db_value(res, 0, 5) ? db_value(res, 0, 5) : report_api_default(w->cfg, w->provider);
	if (api)
		w->api_url = xstrdup(api);
	PQclear(res);
	return OUT_OK;
}

/* A new checkout row, never one of an earlier attempt: its name is its id. */
static enum outcome checkout_new(struct work *w, const char *backend)
{
	char host[256];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		return work_fail(w, OUT_TEMP, "unable to read the host name");
	host[sizeof(host) - 1] = '\0';
	r = checkout_insert(w->db, w->job->qj_org, w->job->qj_repo, w->job->qj_id, host, backend,
			    config_v(w->cfg)->checkout_max_age, &w->checkout_id,
			    w->checkout_name, sizeof(w->checkout_name));
	if (r < 0)
		return work_db_fail(w, "insert the checkout row");
	w->stop_at = mono_usec() +
		(config_v(w->cfg)->checkout_max_age - teardown_margin(w->cfg)) * 1000000;
	log_field(LOG_F_CHECKOUT, w->checkout_id);
	return OUT_OK;
}

int work_audit(struct work *w, const char *action, const char *details)
{
	char target[48];

	snprintf(target, sizeof(target), "checkout:%" PRId64, w->checkout_id);
	return audit_append(w->db, w->job->qj_org, AUDIT_SYSTEM, w->actor, action, target, details,
			    NULL);
}

/* Record the real backend and cipher, and audit the creation. */
static enum outcome checkout_created(struct work *w)
{
	char *details;
	int r;

	details = xasprintf("{\"backend\": \"%s\", \"cipher\": \"%s\", \"job\": %" PRId64 "}",
			    volume_backend(w->vol), volume_cipher(w->vol), w->job->qj_id);
	r = db_begin(w->db);
	if (r == 0)
		r = checkout_mounted(w->db, w->checkout_id, volume_backend(w->vol),
				     volume_cipher(w->vol), volume_mountpoint(w->vol));
	if (r == 0)
		r = work_audit(w, "checkout created", details);
	if (r == 0)
		r = db_commit(w->db);
	free(details);
	return r < 0 ? work_db_fail(w, "record the checkout") : OUT_OK;
}

enum outcome work_volume_up(struct work *w)
{
	const char *backend = config_v(w->cfg)->volume_backend;
	struct volume_opts vo = {
		.backend = backend,
		.state_dir = config_v(w->cfg)->state_dir,
		.run_dir = config_v(w->cfg)->run_dir,
		.size = config_v(w->cfg)->volume_size,
	};
	char why[200];
	int64_t t0;
	int r;
	enum outcome o;

	/* The row exists before the volume, so that a crash leaves a trace. */
	o = checkout_new(w, strcmp(backend, "luks2") ? "fscrypt" : "luks2");
	if (o != OUT_OK)
		return o;
	vo.name = w->checkout_name;
	t0 = mono_usec();
	r = volume_create(&vo, &w->vol, why, sizeof(why));
	if (r < 0) {
		checkout_ended(w->db, w->checkout_id, "volume creation failed", w->ended, 0);
		return work_fail(w, r == -EOPNOTSUPP || r == -EINVAL ? OUT_PERM : OUT_TEMP,
				 "unable to create the volume: %s", why);
	}
	log_info("volume created (%s) in %" PRId64 " ms", volume_backend(w->vol),
		 (mono_usec() - t0) / 1000);
	return checkout_created(w);
}

enum outcome work_app_token(struct work *w, enum github_scope scope, const char *what,
			    struct secbuf *tok)
{
	struct github_token gt;
	int r = github_repo_token(w->db, w->kr, w->cfg, w->job->qj_repo, scope, &gt);
	size_t n = r == 0 ? strlen((const char *)gt.gt_token.data) : 0;

	if (r == 0)
		r = secbuf_alloc(tok, n);
	if (r == 0)
		memcpy(tok->data, gt.gt_token.data, n);
	github_token_release(&gt);
	if (r == 0 || r == -ENOENT)
		return OUT_OK;
	return work_fail(w, r == -EAGAIN || r == -ENOTCONN ? OUT_TEMP : OUT_PERM,
			 "unable to get %s from the github app: %s", what,
			 r == -EACCES ? "the app key or installation was refused" : strerror(-r));
}

/*
 * VCS integration: a repository of a github-app integration clones with a
 * fresh installation token for it alone with contents: read (lib/vcs/github.h);
 * without one, the stored clone token is used.
 */
static enum outcome token_open(struct work *w, struct secbuf *tok)
{
	enum outcome o = work_app_token(w, GITHUB_CLONE, "a clone token", tok);
	int r;

	if (o != OUT_OK || tok->data || !w->token_blob)
		return o;
	r = secret_open(w->db, w->kr, w->job->qj_org, "repositories", "clone_token_enc",
			w->job->qj_repo, w->token_blob, tok);
	if (r == -ENOTCONN)
		return work_fail(w, OUT_TEMP, "unable to open the clone token: database unreachable");
	if (r < 0)
		return work_fail(w, OUT_PERM, "unable to open the clone token: %s", strerror(-r));
	return OUT_OK;
}

static const char *resolve_error(int r)
{
	switch (r) {
	case -ENOENT: return "the commit is unknown or ambiguous there";
	case -EACCES: return "the clone token was refused";
	case -EBADMSG: return "the answer is not a commit that extends the short hash";
	case -EPERM: return "the API URL is refused by clone_hosts";
	default: return strerror(-r);
	}
}

/*
 * VCS integration: a Bitbucket Cloud pull request names its commit by 12
 * hex digits.  The full SHA comes from the API, asked with the read-only
 * clone token, and replaces the short one on the job before the scan row,
 * the clone and the report use it.
 */
enum outcome work_commit_resolve(struct work *w)
{
	const char *sha = w->job->qj_commit;
	struct secbuf tok = { 0 };
	struct http_client hc;
	char full[FORGE_SHA_LEN + 1];
	enum outcome o;
	int r;

	if (strlen(sha) == FORGE_SHA_LEN || !forge_resolves(w->provider))
		return OUT_OK;
	if (!w->api_url)
		return work_fail(w, OUT_PERM, "unable to resolve commit '%s' of '%s': no api url",
				 sha, w->full_name);
	o = token_open(w, &tok);
	if (o != OUT_OK)
		return o;
	http_client_configure(&hc, w->cfg);
	r = forge_commit_resolve(&hc, w->provider, w->api_url, (const char *)tok.data,
				 w->full_name, sha, full);
	secbuf_release(&tok);
	if (r < 0)
		return work_fail(w, http_error_permanent(r) ? OUT_PERM : OUT_TEMP,
				 "unable to resolve commit '%s' of '%s': %s", sha, w->full_name,
				 resolve_error(r));
	r = queue_set_commit(w->db, w->job->qj_id, w->owner, full);
	if (r == -ESTALE)
		return work_fail(w, OUT_TEMP, "lost the lease of job %" PRId64
				 " while resolving its commit", w->job->qj_id);
	if (r < 0)
		return work_db_fail(w, "store the full commit");
	log_info("resolved commit '%s' of '%s' to %s", sha, w->full_name, full);
	free(w->job->qj_commit);
	w->job->qj_commit = xstrdup(full);
	return OUT_OK;
}

/*
 * The checkout is for the sandbox user's group alone: the work directory is
 * root:GROUP 02750, so that what git creates under umask 027 inherits the
 * group and nobody else on the host can read it while it is mounted.
 */
static enum outcome workdir_share(struct work *w)
{
	const struct passwd *pw = getpwnam(config_v(w->cfg)->sandbox_user);
	const char *d = volume_workdir(w->vol);

	if (!pw || pw->pw_uid == 0)
		return work_fail(w, OUT_PERM, "sandbox_user '%s' is unknown or root",
				 config_v(w->cfg)->sandbox_user);
	w->sandbox_uid = pw->pw_uid;
	w->sandbox_gid = pw->pw_gid;
	if (chown(d, 0, pw->pw_gid) < 0 || chmod(d, 02750) < 0)
		return work_fail(w, OUT_TEMP, "unable to hand the checkout to the sandbox group");
	return OUT_OK;
}

int64_t work_time_left(const struct work *w)
{
	int64_t left = w->stop_at - mono_usec();

	return left <= 0 ? 0 : left / 1000000 + 1;
}

int64_t work_time_within(const struct work *w, int64_t limit)
{
	int64_t left = work_time_left(w);

	return limit < left ? limit : left;
}

static int clone_method_get(const struct config *cfg, enum clone_method *m)
{
	return clone_method_parse(config_v(cfg)->clone_fetch, m);
}

static void clone_method_check(const struct config *cfg)
{
	enum clone_method m;
	int r = clone_method_get(cfg, &m);

	if (r == -ENOTSUP)
		fatalx(EXIT_PERMFAIL, "clone_fetch is libgit2 but this build has libgit2 older than 1.7");
	if (r < 0)
		fatalx(EXIT_PERMFAIL, "clone_fetch '%s' is none of auto, libgit2, git",
		       config_v(cfg)->clone_fetch);
}

/*
 * Bitbucket Data Center's project and repository HTTP access tokens work
 * only as Bearer tokens; the other forges take the token as the password
 * of user x-access-token.
 */
enum clone_auth work_clone_auth(const struct work *w)
{
	return !strcmp(w->provider, "bitbucket-dc") ? CLONE_AUTH_BEARER : CLONE_AUTH_BASIC;
}

/*
 * The clone URL against clone_hosts once more, now after DNS resolution:
 * a row changed behind the API's back, or a name that now resolves to a
 * refused address, stops here; the address checked is pinned for the
 * fetch (clone.h: co_pin).
 */
enum outcome work_clone_target(struct work *w, char pin[TARGET_PIN_MAX])
{
	struct target_list *l = NULL;
	char why[512];
	int r = target_list_load(w->cfg, &l, why, sizeof(why));

	if (r == 0)
		r = target_connect_check(l, w->clone_url, pin, why, sizeof(why));
	target_list_free(l);
	if (r < 0)
		return work_fail(w, r == -EAGAIN ? OUT_TEMP : OUT_PERM, "clone of '%s' refused: %s",
				 w->full_name, why);
	return OUT_OK;
}

enum outcome work_git_home(struct work *w, char **home)
{
	*home = xasprintf("%s/home", volume_mountpoint(w->vol));
	if (mkdir(*home, 0700) < 0 && errno != EEXIST) {
		free(steal_pointer(home));
		return work_fail(w, OUT_TEMP, "unable to create git's home in the volume");
	}
	return OUT_OK;
}

/*
 * What lethe-fetch does as fetch_user (fetch.h): the directory and git's
 * home are that user's while it runs, root's again afterwards.
 */
struct as_fetch {
	const char *dir, *home;
	const struct clone_opts *fetch;		/* a fetch of it, or */
	const struct fixpush_opts *push;	/* a push from it */
};

static int as_fetch_user(struct work *w, const struct as_fetch *a, char *why, size_t whylen)
{
	struct fetch_proc p = { .fp_helper = config_v(w->cfg)->fetch_path,
				.fp_group = w->sandbox_gid };
	int r = fetch_user(config_v(w->cfg)->fetch_user, &p), rr;

	if (r < 0)
		return snprintf(why, whylen, "fetch_user '%s' is unknown or root",
				config_v(w->cfg)->fetch_user), -EINVAL;
	r = fetch_prepare(&p, a->dir, a->home);
	if (r < 0)
		return snprintf(why, whylen, "unable to hand the checkout to the fetch user: %s",
				strerror(-r)), -EIO;
	umask(027);
	r = a->push ? fetch_push(&p, a->push, why, whylen) : fetch_run(&p, a->dir, a->fetch, why,
								       whylen);
	umask(022);
	rr = fetch_reclaim(&p, a->dir, a->home);
	if (rr < 0 && r == 0)
		return snprintf(why, whylen, "unable to take the checkout back from the fetch "
				"user: %s", strerror(-rr)), -EIO;
	return r;
}

int work_push(struct work *w, const struct fixpush_opts *po, char *why, size_t whylen)
{
	struct as_fetch a = { .dir = po->fp_dir, .home = po->fp_home, .push = po };

	return as_fetch_user(w, &a, why, whylen);
}

enum outcome work_clone_up(struct work *w)
{
	struct secbuf tok = { 0 };
	char why[200], *home = NULL, pin[TARGET_PIN_MAX];
	struct clone_opts o = {
		.co_url = w->clone_url, .co_sha = w->job->qj_commit, .co_ref = w->job->qj_ref,
		.co_timeout = work_time_within(w, config_v(w->cfg)->clone_timeout),
		.co_max_size = config_v(w->cfg)->clone_max_size,
	};
	int64_t t0 = mono_usec();
	enum outcome out;
	int r;

	out = work_clone_target(w, pin);
	if (out == OUT_OK)
		out = workdir_share(w);
	if (out == OUT_OK)
		out = work_git_home(w, &home);
	if (out == OUT_OK)
		out = token_open(w, &tok);
	if (out != OUT_OK) {
		free(home);
		return out;
	}
	o.co_pin = pin;
	o.co_home = home;
	clone_method_get(w->cfg, &o.co_method);	/* checked at start */
	o.co_token = (const char *)tok.data;
	o.co_token_len = tok.len;
	o.co_auth = work_clone_auth(w);
	r = as_fetch_user(w, &(struct as_fetch){ .dir = volume_workdir(w->vol), .home = home,
						 .fetch = &o }, why, sizeof(why));
	secbuf_release(&tok);
	free(home);
	if (r < 0)
		return work_fail(w, clone_error_temporary(r) ? OUT_TEMP : OUT_PERM,
				 "clone of '%s' failed: %s", w->full_name, why);
	log_info("cloned '%s' at %.12s in %" PRId64 " ms (%s)", w->full_name, w->job->qj_commit,
		 (mono_usec() - t0) / 1000, clone_method_name(&o));
	return OUT_OK;
}

int work_volume_down(struct work *w)
{
	char *d1, *d2, *reason;
	int64_t usec = 0;
	int r, rd;

	if (!w->vol)
		return 0;
	rd = volume_destroy(steal_pointer(&w->vol), &usec);
	if (rd < 0) {
		log_errno(LOG_ERR, rd, "unable to destroy volume '%s' (lethe-scrub will retry)",
			  w->checkout_name);
		return rd;
	}
	d1 = xasprintf("{\"job\": %" PRId64 "}", w->job->qj_id);
	d2 = xasprintf("{\"duration_usec\": %" PRId64 "}", usec);
	reason = xasprintf("%s finished", w->ended);
	r = db_begin(w->db);
	if (r == 0)
		r = checkout_ended(w->db, w->checkout_id, reason, w->ended, usec);
	if (r == 0)
		r = work_audit(w, "key zeroed", d1);
	if (r == 0)
		r = work_audit(w, "volume destroyed", d2);
	if (r == 0)
		r = db_commit(w->db);
	if (r < 0) {
		log_err("unable to record the destruction of checkout %" PRId64 ": %s",
			w->checkout_id, db_error(w->db));
		db_rollback(w->db);
	}
	free(d1);
	free(d2);
	free(reason);
	log_info("volume destroyed in %" PRId64 " ms", usec / 1000);
	return r;
}

static void work_release(struct work *w)
{
	free(w->clone_url);
	free(w->full_name);
	free(w->token_blob);
	free(w->default_branch);
	free(w->provider);
	free(w->api_url);
}

/* Run one claimed job and tell the queue how it went. */
static int job_run(const struct work_program *p, struct work *w)
{
	struct queue_job *job = w->job;
	int64_t lease = config_v(w->cfg)->scan_lease;
	enum outcome o;
	int r;

	log_field(LOG_F_JOB, job->qj_id);
	log_field(LOG_F_ORG, job->qj_org);
	log_field(LOG_F_REPO, job->qj_repo);
	r = queue_keeper_start(w->cfg, p->db_role, job->qj_id, w->owner, lease, &w->keeper);
	if (r < 0)
		o = work_fail(w, OUT_TEMP, "unable to start the lease keeper: %s", strerror(-r));
	else
		o = p->run(w);
	queue_keeper_stop(w->keeper);
	if (o == OUT_OK)
		r = queue_complete(w->db, job->qj_id, w->owner);
	else
		r = queue_fail(w->db, job, w->owner, o == OUT_PERM, w->why,
			       config_v(w->cfg)->scan_retry_base);
	if (o != OUT_OK)
		log_err("%s job %" PRId64 " failed (attempt %d of %d%s): %s", job->qj_kind,
			job->qj_id, job->qj_attempts, job->qj_max_attempts,
			o == OUT_PERM ? ", permanent" : "", w->why);
	if (r == -ESTALE)
		log_warning("lease of job %" PRId64 " was lost to another worker", job->qj_id);
	work_release(w);
	log_field(LOG_F_CHECKOUT, 0);
	log_field(LOG_F_REPO, 0);
	log_field(LOG_F_ORG, 0);
	log_field(LOG_F_JOB, 0);
	return o == OUT_OK ? EXIT_OK : o == OUT_PERM ? EXIT_PERMFAIL : EXIT_TEMPFAIL;
}

static void __attribute__((noreturn)) usage(const char *usage)
{
	fputs(usage, stderr);
	exit(EXIT_USAGE);
}

/* --once and --verbose; whether --once was given. */
static int parse_args(const struct work_program *p, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	char *text = xasprintf("usage: %s [--once] [--verbose] | --help | --version\n", p->name);
	int c, once = 0;

	std_options(argc, argv, text);
	while ((c = getopt_long(argc, argv, "ov", longopts, NULL)) != -1) {
		if (c == 'o')
			once = 1;
		else if (c == 'v')
			log_set_verbose(1);
		else
			usage(text);
	}
	if (optind != argc)
		usage(text);
	free(text);
	return once;
}

int work_main(const struct work_program *p, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	struct db *db = NULL;
	struct queue_job *job = NULL;
	char why[512], owner[256];
	int once, r, status = EXIT_OK;
	int64_t t0 = mono_usec();

	log_init(p->name);
	once = parse_args(p, argc, argv);
	signals_setup();
	/* The volume's directories must be searchable by the sandbox user; the
	 * checkout itself is narrowed to its group (workdir_share). */
	umask(022);
	cfg = config_start();
	clone_method_check(cfg);
	if (p->config_check)
		p->config_check(cfg);
	/* Loop devices, mounts and fscrypt keys need CAP_SYS_ADMIN; the sandbox
	 * is entered by switching from root to its own user. */
	if (geteuid() != 0)
		fatalx(EXIT_PERMFAIL, "%s must run as root (volumes and the sandbox need it)",
		       p->name);
	if (keyring_load(cfg, &kr, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	if (db_open(cfg, p->db_role, &db) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to connect to the database: %s", db_error(db));
	if (queue_owner(owner, sizeof(owner)) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to name this worker");
	do {
		struct work w = { .cfg = cfg, .kr = kr, .db = db, .owner = owner,
				  .actor = p->name, .ended = p->ended };

		r = queue_claim(db, owner, config_v(cfg)->scan_lease,
				config_v(cfg)->scan_max_attempts, p->kinds, &job);
		if (r == -ENOENT)
			break;
		if (r < 0)
			fatalx(EXIT_TEMPFAIL, "unable to claim a job: %s",
			       r == -EPROTO ? "the claim took more than one" : db_error(db));
		w.job = job;
		status = job_run(p, &w);
		queue_job_free(steal_pointer(&job));
	} while (!once && !stopping && mono_usec() - t0 < LOOP_BUDGET_USEC);
	db_free(db);
	keyring_free(kr);
	config_free(cfg);
	return once ? status : EXIT_OK;
}
