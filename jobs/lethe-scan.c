/*
 * lethe-scan - claim a scan job, check the commit out on an encrypted
 * ephemeral volume, run the scanners in the sandbox, store the findings,
 * destroy the volume.
 *
 *   claim (SKIP LOCKED, lease renewed by a thread)
 *   -> [a short commit hash: its full SHA from the API, read-only token]
 *   -> checkout row (deadline) -> volume_create -> audit "checkout created"
 *   -> clone_fetch (read-only token in git's environment only)
 *   -> [test_pause_file] -> sandbox_run(lethe-analyze)
 *   -> volume_destroy -> audit "key zeroed", "volume destroyed"
 *   -> a child that drops to the lethe user, with its own database
 *      connection: sarif_parse, then secret digests and fingerprints keyed with the org's secret hash key
 *      (lib/secrethash); the org's fingerprints stored unkeyed keyed too
 *   -> scans, scan_tools, findings, scan_findings (one transaction,
 *      lib/scanstore) -> audit "scan done"
 *   -> job done, or back to the queue with backoff (temporary failure), or
 *      failed (permanent).
 *
 * Runs as root: the volume needs CAP_SYS_ADMIN and the sandbox switches to
 * its own unprivileged user; what the sandbox wrote is parsed and stored
 * by a child that runs as the lethe user (lib/unpriv).  Never logs a token or any repository content.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "checkout.h"
#include "clone.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "forge.h"
#include "github.h"
#include "keys.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "sandbox.h"
#include "sarif.h"
#include "scanstore.h"
#include "secrethash.h"
#include "target.h"
#include "unpriv.h"
#include "util.h"
#include "volume.h"

#define ANALYZE_INSIDE "/opt/lethe/lethe-analyze"
#define ACTOR "lethe-scan"
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

/*
 * A scan stops itself a tenth of checkout_max_age (at most a minute) before
 * its checkout's deadline, so that the scan destroys the volume itself.
 */
static int64_t teardown_margin(const struct config *cfg)
{
	int64_t age = config_v(cfg)->checkout_max_age;

	return age / 10 < 60 ? age / 10 : 60;
}

/* Outcome of one job: what the queue is told. */
enum outcome { OUT_OK, OUT_TEMP, OUT_PERM };

struct scan {
	const struct config *cfg;
	struct keyring *kr;
	struct db *db;
	const char *owner;
	struct queue_job *job;
	struct queue_keeper *keeper;
	/* the repository */
	char *clone_url, *full_name, *token_blob, *default_branch;
	char *provider, *api_url;	/* api_url: NULL when none is known */
	/* this run */
	int64_t checkout_id, scan_id;
	char *base_scan;	/* a pull request's base_scan_id, "" when none */
	char checkout_name[VOLUME_NAME_MAX + 1];
	int64_t stop_at;	/* mono_usec() by which the code must be gone */
	struct volume *vol;
	char *out;	/* the sandbox's stdout: sanitized SARIF, zeroed when freed */
	size_t out_len;
	char limits[320];	/* which limits the sandbox ran under */
	char why[256];	/* last error: one line, never a secret or code */
	int64_t nfindings, nnew, nfixed, nrefused;
	const char *state;	/* scans.state at the end */
};

static enum outcome fail(struct scan *s, enum outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum outcome fail(struct scan *s, enum outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return o;
}

static enum outcome db_fail(struct scan *s, int r, const char *what)
{
	/* Database trouble passes (a restart, a lock): always worth a retry. */
	(void)r;
	db_rollback(s->db);
	return fail(s, OUT_TEMP, "unable to %s: %s", what, db_error(s->db));
}

static enum outcome repo_load(struct scan *s)
{
	PGresult *res = NULL;
	const char *api;
	char id[24];
	int r;

	r = DB_QUERY(s->db, &res, "SELECT r.clone_url, r.full_name, r.clone_token_enc, "
		     "r.default_branch, r.provider, coalesce(r.api_url, i.api_url) FROM repositories r "
		     "LEFT JOIN integrations i ON i.id = r.integration_id WHERE r.id = $1",
		     i64s(s->job->qj_repo, id));
	if (r < 0)
		return db_fail(s, r, "read the repository");
	if (PQntuples(res) != 1) {
		PQclear(res);
		return fail(s, OUT_PERM, "repository %" PRId64 " is gone", s->job->qj_repo);
	}
	s->clone_url = xstrdup(db_value(res, 0, 0));
	s->full_name = xstrdup(db_value(res, 0, 1));
	if (db_value(res, 0, 2))
		s->token_blob = xstrdup(db_value(res, 0, 2));
	s->default_branch = xstrdup(db_value(res, 0, 3));
	s->provider = xstrdup(db_value(res, 0, 4));
	api = db_value(res, 0, 5) ? db_value(res, 0, 5) : report_api_default(s->cfg, s->provider);
	if (api)
		s->api_url = xstrdup(api);
	PQclear(res);
	return OUT_OK;
}

/* A new checkout row, never one of an earlier attempt: its name is its id. */
static enum outcome checkout_new(struct scan *s, const char *backend)
{
	char host[256];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		return fail(s, OUT_TEMP, "unable to read the host name");
	host[sizeof(host) - 1] = '\0';
	r = checkout_insert(s->db, s->job->qj_org, s->job->qj_repo, s->job->qj_id, host, backend,
			    config_v(s->cfg)->checkout_max_age, &s->checkout_id,
			    s->checkout_name, sizeof(s->checkout_name));
	if (r < 0)
		return db_fail(s, r, "insert the checkout row");
	s->stop_at = mono_usec() +
		(config_v(s->cfg)->checkout_max_age - teardown_margin(s->cfg)) * 1000000;
	log_field(LOG_F_CHECKOUT, s->checkout_id);
	return OUT_OK;
}

static int audit(struct scan *s, const char *action, const char *details)
{
	char target[48];

	snprintf(target, sizeof(target), "checkout:%" PRId64, s->checkout_id);
	return audit_append(s->db, s->job->qj_org, AUDIT_SYSTEM, ACTOR, action, target, details, NULL);
}

/* Record the real backend and cipher, and audit the creation. */
static enum outcome checkout_created(struct scan *s)
{
	char *details;
	int r;

	details = xasprintf("{\"backend\": \"%s\", \"cipher\": \"%s\", \"job\": %" PRId64 "}",
			    volume_backend(s->vol), volume_cipher(s->vol), s->job->qj_id);
	r = db_begin(s->db);
	if (r == 0)
		r = checkout_mounted(s->db, s->checkout_id, volume_backend(s->vol),
				     volume_cipher(s->vol), volume_mountpoint(s->vol));
	if (r == 0)
		r = audit(s, "checkout created", details);
	if (r == 0)
		r = db_commit(s->db);
	free(details);
	return r < 0 ? db_fail(s, r, "record the checkout") : OUT_OK;
}

static enum outcome volume_up(struct scan *s)
{
	const char *backend = config_v(s->cfg)->volume_backend;
	struct volume_opts vo = {
		.backend = backend,
		.state_dir = config_v(s->cfg)->state_dir,
		.run_dir = config_v(s->cfg)->run_dir,
		.size = config_v(s->cfg)->volume_size,
	};
	char why[200];
	int64_t t0;
	int r;
	enum outcome o;

	/* The row exists before the volume, so that a crash leaves a trace. */
	o = checkout_new(s, strcmp(backend, "luks2") ? "fscrypt" : "luks2");
	if (o != OUT_OK)
		return o;
	vo.name = s->checkout_name;
	t0 = mono_usec();
	r = volume_create(&vo, &s->vol, why, sizeof(why));
	if (r < 0) {
		checkout_ended(s->db, s->checkout_id, "volume creation failed", "scan", 0);
		return fail(s, r == -EOPNOTSUPP || r == -EINVAL ? OUT_PERM : OUT_TEMP,
			    "unable to create the volume: %s", why);
	}
	log_info("volume created (%s) in %" PRId64 " ms", volume_backend(s->vol),
		 (mono_usec() - t0) / 1000);
	return checkout_created(s);
}

/*
 * VCS integration: a repository of a github-app integration clones with a
 * fresh installation token for it alone with contents: read (lib/vcs/github.h);
 * -ENOENT means it has none, and the stored clone token is used.
 */
static int token_app(struct scan *s, struct secbuf *tok)
{
	struct github_token gt;
	int r = github_repo_token(s->db, s->kr, s->cfg, s->job->qj_repo, GITHUB_CLONE, &gt);
	size_t n = r == 0 ? strlen((const char *)gt.gt_token.data) : 0;

	if (r == 0)
		r = secbuf_alloc(tok, n);
	if (r == 0)
		memcpy(tok->data, gt.gt_token.data, n);
	github_token_release(&gt);
	return r;
}

static enum outcome token_open(struct scan *s, struct secbuf *tok)
{
	int r = token_app(s, tok);

	if (r == 0)
		return OUT_OK;
	if (r != -ENOENT)
		return fail(s, r == -EAGAIN || r == -ENOTCONN ? OUT_TEMP : OUT_PERM,
			    "unable to get a clone token from the github app: %s",
			    r == -EACCES ? "the app key or installation was refused" : strerror(-r));
	if (!s->token_blob)
		return OUT_OK;
	r = secret_open(s->db, s->kr, s->job->qj_org, "repositories", "clone_token_enc",
			s->job->qj_repo, s->token_blob, tok);
	if (r == -ENOTCONN)
		return fail(s, OUT_TEMP, "unable to open the clone token: database unreachable");
	if (r < 0)
		return fail(s, OUT_PERM, "unable to open the clone token: %s", strerror(-r));
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
static enum outcome commit_resolve(struct scan *s)
{
	const char *sha = s->job->qj_commit;
	struct secbuf tok = { 0 };
	struct http_client hc;
	char full[FORGE_SHA_LEN + 1];
	enum outcome o;
	int r;

	if (strlen(sha) == FORGE_SHA_LEN || !forge_resolves(s->provider))
		return OUT_OK;
	if (!s->api_url)
		return fail(s, OUT_PERM, "unable to resolve commit '%s' of '%s': no api url",
			    sha, s->full_name);
	o = token_open(s, &tok);
	if (o != OUT_OK)
		return o;
	http_client_configure(&hc, s->cfg);
	r = forge_commit_resolve(&hc, s->provider, s->api_url, (const char *)tok.data,
				 s->full_name, sha, full);
	secbuf_release(&tok);
	if (r < 0)
		return fail(s, http_error_permanent(r) ? OUT_PERM : OUT_TEMP,
			    "unable to resolve commit '%s' of '%s': %s", sha, s->full_name,
			    resolve_error(r));
	r = queue_set_commit(s->db, s->job->qj_id, s->owner, full);
	if (r == -ESTALE)
		return fail(s, OUT_TEMP, "lost the lease of job %" PRId64 " while resolving its commit",
			    s->job->qj_id);
	if (r < 0)
		return db_fail(s, r, "store the full commit");
	log_info("resolved commit '%s' of '%s' to %s", sha, s->full_name, full);
	free(s->job->qj_commit);
	s->job->qj_commit = xstrdup(full);
	return OUT_OK;
}

/*
 * The checkout is for the sandbox user's group alone: the work directory is
 * root:GROUP 02750, so that what git creates under umask 027 inherits the
 * group and nobody else on the host can read it while it is mounted.
 */
static enum outcome workdir_share(struct scan *s)
{
	const struct passwd *pw = getpwnam(config_v(s->cfg)->sandbox_user);
	const char *w = volume_workdir(s->vol);

	if (!pw || pw->pw_uid == 0)
		return fail(s, OUT_PERM, "sandbox_user '%s' is unknown or root",
			    config_v(s->cfg)->sandbox_user);
	if (chown(w, 0, pw->pw_gid) < 0 || chmod(w, 02750) < 0)
		return fail(s, OUT_TEMP, "unable to hand the checkout to the sandbox group");
	return OUT_OK;
}

/* Seconds left before the scan must stop (at least 1 while any is left). */
static int64_t time_left(const struct scan *s)
{
	int64_t left = s->stop_at - mono_usec();

	return left <= 0 ? 0 : left / 1000000 + 1;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

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
static enum clone_auth clone_auth_of(const char *provider)
{
	return !strcmp(provider, "bitbucket-dc") ? CLONE_AUTH_BEARER : CLONE_AUTH_BASIC;
}

/*
 * The clone URL against clone_hosts once more, now after DNS resolution:
 * a row changed behind the API's back, or a name that now resolves to a
 * refused address, stops here; the address checked is pinned for the
 * fetch (clone.h: co_pin).
 */
static enum outcome clone_target(struct scan *s, char pin[TARGET_PIN_MAX])
{
	struct target_list *l = NULL;
	char why[512];
	int r = target_list_load(s->cfg, &l, why, sizeof(why));

	if (r == 0)
		r = target_connect_check(l, s->clone_url, pin, why, sizeof(why));
	target_list_free(l);
	if (r < 0)
		return fail(s, r == -EAGAIN ? OUT_TEMP : OUT_PERM, "clone of '%s' refused: %s",
			    s->full_name, why);
	return OUT_OK;
}

static enum outcome clone_up(struct scan *s)
{
	struct secbuf tok = { 0 };
	char why[200], *home, pin[TARGET_PIN_MAX];
	struct clone_opts o = {
		.co_url = s->clone_url, .co_sha = s->job->qj_commit, .co_ref = s->job->qj_ref,
		.co_timeout = min64(config_v(s->cfg)->clone_timeout, time_left(s)),
		.co_max_size = config_v(s->cfg)->clone_max_size,
	};
	int64_t t0 = mono_usec();
	enum outcome out;
	int r;

	out = clone_target(s, pin);
	if (out == OUT_OK)
		out = workdir_share(s);
	if (out == OUT_OK)
		out = token_open(s, &tok);
	if (out != OUT_OK)
		return out;
	o.co_pin = pin;
	/* HOME for git: an empty directory inside the volume. */
	home = xasprintf("%s/home", volume_mountpoint(s->vol));
	if (mkdir(home, 0700) < 0 && errno != EEXIST) {
		free(home);
		secbuf_release(&tok);
		return fail(s, OUT_TEMP, "unable to create git's home in the volume");
	}
	o.co_home = home;
	clone_method_get(s->cfg, &o.co_method);	/* checked at start */
	o.co_token = (const char *)tok.data;
	o.co_token_len = tok.len;
	o.co_auth = clone_auth_of(s->provider);
	umask(027);
	r = clone_fetch(volume_workdir(s->vol), &o, why, sizeof(why));
	umask(022);
	secbuf_release(&tok);
	free(home);
	if (r < 0)
		return fail(s, clone_error_temporary(r) ? OUT_TEMP : OUT_PERM,
			    "clone of '%s' failed: %s", s->full_name, why);
	log_info("cloned '%s' at %.12s in %" PRId64 " ms (%s)", s->full_name, s->job->qj_commit,
		 (mono_usec() - t0) / 1000, clone_method_name(&o));
	return OUT_OK;
}

/* Test hook: hold the scan while the file named by test_pause_file exists. */
static void test_pause(struct scan *s)
{
	const char *f = config_v(s->cfg)->test_pause_file;
	struct stat st;

	if (!*f || stat(f, &st) < 0)
		return;
	log_notice("paused while '%s' exists", f);
	while (!stopping && time_left(s) > 0 && stat(f, &st) == 0)
		usleep(100000);
}

struct argv_build {
	const char *v[80];
	size_t n;
	char *owned[40];
	size_t nowned;
};
/* What analyze_argv ends with: --tool-timeout T --jobs N, NULL (two owned). */
#define ARGV_TAIL 5
#define OWNED_TAIL 2

static void scanner_arg(struct argv_build *a, const char *name)
{
	if (a->n + 2 + ARGV_TAIL > ARRAY_SIZE(a->v) || a->nowned + 1 + OWNED_TAIL > ARRAY_SIZE(a->owned))
		return;
	a->owned[a->nowned] = xstrdup(name);
	a->v[a->n++] = "--tool";
	a->v[a->n++] = a->owned[a->nowned++];
}

/*
 * A third-party scanner, "scanner.NAME = PATH [ARGS]": NAME of 1 to 32
 * a-z0-9_-, PATH an absolute program the sandbox's user may run.  The
 * reason it cannot be, or NULL.
 */
static const char *scanner_refused(const char *name, const char *value)
{
	char *path = xstrndup(value, strcspn(value, " \t"));
	struct stat st;
	const char *why = NULL;

	if (!*name || strlen(name) > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
	    strlen(name))
		why = "its name must be 1 to 32 of a-z0-9_-";
	else if (path[0] != '/')
		why = "the program must be an absolute path";
	else if (stat(path, &st) < 0)
		why = "the program does not exist";
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH) || !(st.st_mode & S_IROTH))
		why = "the program is not a file that every user may read and run";
	free(path);
	return why;
}

static void scanner_check(const char *key, const char *value, void *arg)
{
	const char *why = scanner_refused(key + strlen("scanner."), value);

	(void)arg;
	if (why)
		fatalx(EXIT_PERMFAIL, "configuration: %s = '%s': %s", key, value, why);
}

/* Every third-party scanner can run, or lethe-scan stops at start. */
static void scanners_check(const struct config *cfg)
{
	config_each_prefixed(cfg, "scanner.", scanner_check, NULL);
}

static void scanner_extra(const char *key, const char *value, void *arg)
{
	struct argv_build *a = arg;
	const char *name = key + strlen("scanner.");

	if (a->n + 4 + ARGV_TAIL > ARRAY_SIZE(a->v) || a->nowned + 2 + OWNED_TAIL > ARRAY_SIZE(a->owned))
		return;
	scanner_arg(a, name);
	a->owned[a->nowned] = xasprintf("%s=%s", name, value);
	a->v[a->n++] = "--extra-tool";
	a->v[a->n++] = a->owned[a->nowned++];
}

/* lethe-analyze's argv: one --tool per entry of the scanners setting and
 * per third-party scanner (scanner.NAME), which is also an --extra-tool. */
static void analyze_argv(const struct config *cfg, int64_t wall, struct argv_build *a)
{
	char *list = xstrdup(config_v(cfg)->scanners), *save = NULL, *t;
	size_t ntools = 0, nstatic;
	int64_t jobs = sandbox_parallel(cfg), rounds;
	char tt[24];

	a->v[a->n++] = ANALYZE_INSIDE;
	a->v[a->n++] = "--workspace";
	a->v[a->n++] = "/workspace";
	for (t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save), ntools++)
		scanner_arg(a, t);
	free(list);
	nstatic = a->n;
	config_each_prefixed(cfg, "scanner.", scanner_extra, a);
	ntools += (a->n - nstatic) / 4;
	/* Scanners run jobs at a time; each gets its share of the wall time. */
	rounds = ((int64_t)ntools + jobs - 1) / jobs;
	snprintf(tt, sizeof(tt), "%" PRId64, wall * 4 / 5 / (rounds ? rounds : 1) + 1);
	a->owned[a->nowned] = xstrdup(tt);
	a->v[a->n++] = "--tool-timeout";
	a->v[a->n++] = a->owned[a->nowned++];
	a->owned[a->nowned] = xstrdup(i64s(jobs, tt));
	a->v[a->n++] = "--jobs";
	a->v[a->n++] = a->owned[a->nowned++];
	a->v[a->n] = NULL;
}

/*
 * Why the analysis failed, for last_error and the log: the last line of the
 * sandbox's stderr that bubblewrap, env(1) (which execs lethe-analyze) or
 * lethe-analyze itself wrote.  Scanners' stderr never gets there, and any
 * other line might quote the repository, so no other line is passed on.
 * Control characters are removed, the line is cut to CAUSE_MAX bytes; ""
 * when there is none.
 */
#define CAUSE_MAX 200
static void analyze_cause(const struct sandbox_result *res, char *buf, size_t len)
{
	static const char *const origins[] = { "bwrap: ", "/usr/bin/env: ", "lethe-analyze: " };
	const char *p, *line, *end;
	char *raw, *clean;

	buf[0] = '\0';
	for (p = res->err; p && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		line = p[0] == '<' && p[1] >= '0' && p[1] <= '7' && p[2] == '>' ? p + 3 : p;
		for (size_t i = 0; i < ARRAY_SIZE(origins); i++) {
			if (strncmp(line, origins[i], strlen(origins[i])) != 0)
				continue;
			raw = xstrndup(line, (size_t)(end - line));
			clean = text_clean(raw, CAUSE_MAX);
			snprintf(buf, len, "%s", clean);
			free(raw);
			free(clean);
			break;
		}
	}
}

static enum outcome analyze_result(struct scan *s, const struct sandbox_result *res)
{
	char cause[CAUSE_MAX + 3];

	analyze_cause(res, cause + 2, sizeof(cause) - 2);
	if (cause[2])
		memcpy(cause, ": ", 2);
	else
		cause[0] = '\0';
	if (res->timed_out && time_left(s) == 0)
		return fail(s, OUT_TEMP, "analysis stopped at the checkout's deadline");
	if (res->timed_out)
		return fail(s, OUT_PERM, "analysis exceeded sandbox_wall");
	if (res->oom_killed)
		return fail(s, OUT_PERM, "analysis exceeded sandbox_memory");
	if (res->output_truncated)
		return fail(s, OUT_PERM, "analysis output exceeded sandbox_output");
	if (res->term_signal)
		return fail(s, OUT_TEMP, "sandbox killed by signal %d", res->term_signal);
	if (res->exit_status == EXIT_TEMPFAIL)
		return fail(s, OUT_TEMP, "lethe-analyze failed temporarily%s", cause);
	if (res->exit_status != 0)
		return fail(s, OUT_PERM, "lethe-analyze exited with status %d%s", res->exit_status,
			    cause);
	return OUT_OK;
}

struct binds {
	struct sandbox_bind v[SANDBOX_BINDS_MAX];
	char *owned[SANDBOX_BINDS_MAX];
	size_t n;
};

/* A third-party scanner outside /usr is bound read-only at its own path. */
static void scanner_bind(const char *key, const char *value, void *arg)
{
	struct binds *b = arg;
	char *path = xstrndup(value, strcspn(value, " \t"));

	(void)key;
	if (!strncmp(path, "/usr/", 5) || b->n == ARRAY_SIZE(b->v)) {
		free(path);
		return;
	}
	b->owned[b->n] = path;
	b->v[b->n++] = (struct sandbox_bind){ path, path };
}

/* Lethe's ESLint tree (eslint_path), read-only where lethe-analyze looks
 * for it, when it is there: else the eslint run says it is not installed. */
static void eslint_bind(const struct config *cfg, struct binds *b)
{
	const char *dir = config_v(cfg)->eslint_path;
	struct stat st;

	if (dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && b->n < ARRAY_SIZE(b->v))
		b->v[b->n++] = (struct sandbox_bind){ dir, SANDBOX_ESLINT_DIR };
}

static enum outcome analyze(struct scan *s)
{
	struct binds b = { .v = { { config_v(s->cfg)->analyze_path, ANALYZE_INSIDE } }, .n = 1 };
	struct sandbox_opts so = { .workspace = volume_workdir(s->vol), .ro_binds = b.v };
	struct sandbox_result res;
	struct argv_build a = { 0 };
	int64_t wall = min64(config_v(s->cfg)->sandbox_wall, time_left(s));
	enum outcome o;
	int r;

	config_each_prefixed(s->cfg, "scanner.", scanner_bind, &b);
	eslint_bind(s->cfg, &b);
	so.n_ro_binds = b.n;
	analyze_argv(s->cfg, wall, &a);
	so.argv = a.v;
	sandbox_opts_configure(s->cfg, wall, &so);
	r = sandbox_run(&so, &res);
	while (a.nowned)
		free(a.owned[--a.nowned]);
	while (b.n > 1)
		free(b.owned[--b.n]);
	if (r < 0) {
		sandbox_result_release(&res);
		return fail(s, r == -EINVAL || r == -ENOENT || r == -EPERM ? OUT_PERM : OUT_TEMP,
			    "unable to start the sandbox: %s", strerror(-r));
	}
	log_info("analysis took %" PRId64 " ms; %s", res.wall_usec / 1000, res.limits);
	o = analyze_result(s, &res);
	/* stdout is sanitized SARIF, parsed by the storing process (store). */
	if (o == OUT_OK) {
		s->out = steal_pointer(&res.out);
		s->out_len = res.out_len;
		snprintf(s->limits, sizeof(s->limits), "%s", res.limits);
	}
	if (res.out)
		OPENSSL_cleanse(res.out, res.out_len);
	/* stderr may quote the repository: zeroed. */
	if (res.err)
		OPENSSL_cleanse(res.err, res.err_len);
	sandbox_result_release(&res);
	return o;
}

/* The scan's row (lib/store/scanstore.h). */
static enum outcome scan_insert(struct scan *s)
{
	int r = scanstore_insert(s->db, s->job, s->default_branch, &s->scan_id, &s->base_scan);

	return r < 0 ? db_fail(s, r, "insert the scan row") : OUT_OK;
}

/* What the storing process tells lethe-scan over its pipe. */
struct store_reply {
	enum outcome sr_outcome;
	int64_t sr_findings, sr_new, sr_fixed;
	char sr_state[16];
	char sr_why[256];
};

static void store_log(const struct scanstore *ss, int64_t org, int key_err)
{
	if (ss->ss_fp_failed)
		log_warning("unable to key some fingerprints of org %" PRId64 ": tracked by the fallback",
			    org);
	if (ss->ss_unkeyed > 0)
		log_errno(LOG_WARNING, key_err, "unable to key the secret hashes of org %" PRId64
			  ": %zu secret findings stored without a hash", org, ss->ss_unkeyed);
	if (ss->ss_unkeyed_fps > 0)
		log_errno(LOG_WARNING, key_err, "unable to key the fingerprints of org %" PRId64
			  ": %zu results tracked by their tool, rule and path", org, ss->ss_unkeyed_fps);
	if (ss->ss_rekeyed > 0)
		log_notice("keyed the %zu stored fingerprints of org %" PRId64, ss->ss_rekeyed, org);
}

/* The sandbox's output, parsed as the untrusted SARIF it is (lib/parse/sarif.h). */
static enum outcome sarif_read(struct scan *s, struct sarif_log *log, char *why, size_t len)
{
	struct sarif_limits lim;
	int r;

	sarif_limits_default(&lim);
	lim.max_bytes = (size_t)config_v(s->cfg)->sandbox_output;
	lim.base = "/workspace";
	lim.max_runs = 1024;	/* 40 tools of up to 16 runs (lethe-analyze(8)) */
	r = sarif_parse(s->out ? s->out : "", s->out_len, &lim, log, why, len);
	if (r < 0)
		return OUT_PERM;
	if (log->stripped)
		log_warning("removed %zu source-bearing fields from the analysis output",
			    log->stripped);
	for (size_t i = 0; i < log->nruns; i++) {
		sarif_run_check_refused(&log->runs[i]);
		sarif_run_note(&log->runs[i], s->limits);
	}
	return OUT_OK;
}

/* The storing process's work, as the `lethe` user with its own connection. */
static void store_work(struct scan *s, const struct secbuf *key, int key_err,
		       struct store_reply *rep)
{
	char *branch = scanstore_branch(s->job), why[200];
	struct scanstore ss;
	struct sarif_log log;
	struct db *db = NULL;
	int64_t t0 = mono_usec();
	int r = unpriv_drop(UNPRIV_USER);

	sarif_log_init(&log);
	scanstore_init(&ss, s->job, s->scan_id, branch, s->base_scan);
	if (r < 0)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "unable to become user '%s': %s",
			 UNPRIV_USER, strerror(-r));
	else if (db_open(s->cfg, DB_ROLE_JOBS, &db) < 0)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "unable to connect to the database: %s",
			 db_error(db));
	else if ((rep->sr_outcome = sarif_read(s, &log, why, sizeof(why))) != OUT_OK)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "analysis output refused: %s", why);
	else if ((r = scanstore_results(db, &ss, &log, key)) < 0)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "unable to store the findings: %s",
			 db_error(db));
	else {
		store_log(&ss, s->job->qj_org, key_err);
		log_info("%" PRId64 " findings stored in %" PRId64 " ms", ss.ss_findings,
			 (mono_usec() - t0) / 1000);
		*rep = (struct store_reply){ .sr_outcome = OUT_OK, .sr_findings = ss.ss_findings,
					     .sr_new = ss.ss_new, .sr_fixed = ss.ss_fixed };
		snprintf(rep->sr_state, sizeof(rep->sr_state), "%s", ss.ss_state);
	}
	sarif_log_release(&log);
	db_free(db);
	free(branch);
}

/*
 * Parse and store in a child that has left root: it forgets the keyring
 * and the token (its copies are zeroed), never touches the parent's
 * database connection, and holds only the org's secret hash key.
 */
static void __attribute__((noreturn)) store_child(struct scan *s, const struct secbuf *key,
						  int key_err, int fd)
{
	struct store_reply rep = { .sr_outcome = OUT_TEMP };

	keyring_free(steal_pointer(&s->kr));
	store_work(s, key, key_err, &rep);
	if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(EXIT_TEMPFAIL);
	_exit(EXIT_OK);
}

static enum outcome store_wait(struct scan *s, pid_t pid, int fd)
{
	struct store_reply rep;
	ssize_t n;
	int st = 0;

	do
		n = read(fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(rep))
		return fail(s, OUT_TEMP, "the storing process died (%s %d)",
			    WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	s->nfindings = rep.sr_findings;
	s->nnew = rep.sr_new;
	s->nfixed = rep.sr_fixed;
	if (rep.sr_outcome != OUT_OK)
		return fail(s, rep.sr_outcome, "%s", rep.sr_why);
	s->state = rep.sr_state[0] == 'c' ? "complete" : "incomplete";
	return OUT_OK;
}

/* The org's secret hash key comes from the keyring, which stays with root. */
static enum outcome store(struct scan *s)
{
	struct secbuf key = { 0 };
	int key_err = secrethash_key(s->db, s->kr, s->job->qj_org, &key), p[2];
	pid_t pid;
	enum outcome o;

	if (pipe2(p, O_CLOEXEC) < 0) {
		secbuf_release(&key);
		return fail(s, OUT_TEMP, "unable to start the storing process: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		secbuf_release(&key);
		return fail(s, OUT_TEMP, "unable to start the storing process: %s", strerror(errno));
	}
	if (pid == 0) {
		close(p[0]);
		store_child(s, key_err == 0 ? &key : NULL, key_err, p[1]);
	}
	close(p[1]);
	secbuf_release(&key);
	o = store_wait(s, pid, p[0]);
	close(p[0]);
	return o;
}

/* Destroy the volume; the checkout row and the audit log say how long it took. */
static int volume_down(struct scan *s)
{
	char *d1, *d2;
	int64_t usec = 0;
	int r, rd;

	if (!s->vol)
		return 0;
	rd = volume_destroy(steal_pointer(&s->vol), &usec);
	if (rd < 0) {
		log_errno(LOG_ERR, rd, "unable to destroy volume '%s' (lethe-scrub will retry)",
			  s->checkout_name);
		return rd;
	}
	d1 = xasprintf("{\"job\": %" PRId64 "}", s->job->qj_id);
	d2 = xasprintf("{\"duration_usec\": %" PRId64 "}", usec);
	r = db_begin(s->db);
	if (r == 0)
		r = checkout_ended(s->db, s->checkout_id, "scan finished", "scan", usec);
	if (r == 0)
		r = audit(s, "key zeroed", d1);
	if (r == 0)
		r = audit(s, "volume destroyed", d2);
	if (r == 0)
		r = db_commit(s->db);
	if (r < 0) {
		log_err("unable to record the destruction of checkout %" PRId64 ": %s",
			s->checkout_id, db_error(s->db));
		db_rollback(s->db);
	}
	free(d1);
	free(d2);
	log_info("volume destroyed in %" PRId64 " ms", usec / 1000);
	return r;
}

static void scan_finish(struct scan *s, enum outcome o)
{
	char *details;

	if (!s->scan_id)
		return;
	if (o != OUT_OK)
		scanstore_failed(s->db, s->scan_id, s->why);
	details = xasprintf("{\"scan\": %" PRId64 ", \"state\": \"%s\", \"findings\": %" PRId64
			    ", \"new\": %" PRId64 ", \"fixed\": %" PRId64 "}",
			    s->scan_id, o == OUT_OK ? s->state : "failed", s->nfindings, s->nnew,
			    s->nfixed);
	if (db_begin(s->db) < 0 || audit(s, "scan done", details) < 0 || db_commit(s->db) < 0)
		db_rollback(s->db);
	free(details);
}

static enum outcome scan_run(struct scan *s)
{
	enum outcome o;

	o = repo_load(s);
	if (o == OUT_OK)
		o = commit_resolve(s);
	if (o == OUT_OK)
		o = scan_insert(s);
	if (o == OUT_OK)
		o = volume_up(s);
	if (o == OUT_OK)
		o = clone_up(s);
	if (o == OUT_OK)
		test_pause(s);
	if (o == OUT_OK && stopping)
		o = fail(s, OUT_TEMP, "stopped by a signal before the analysis");
	if (o == OUT_OK && time_left(s) == 0)
		o = fail(s, OUT_TEMP, "stopped at the checkout's deadline before the analysis");
	if (o == OUT_OK)
		o = analyze(s);
	/* The code goes first; what was learnt is stored after. */
	if (volume_down(s) < 0 && o == OUT_OK)
		log_warning("volume teardown incomplete; findings are stored anyway");
	/* Another worker owns the job now: its scan will store the results. */
	if (o == OUT_OK && queue_keeper_lost(s->keeper))
		o = fail(s, OUT_TEMP, "lease lost to another worker");
	if (o == OUT_OK)
		o = store(s);
	scan_finish(s, o);	/* lethe-report tells the VCS */
	return o;
}

static void scan_release(struct scan *s)
{
	free(s->clone_url);
	free(s->full_name);
	free(s->token_blob);
	free(s->default_branch);
	free(s->base_scan);
	free(s->provider);
	free(s->api_url);
	if (s->out)
		OPENSSL_cleanse(s->out, s->out_len);
	free(s->out);
}

/* Run one claimed job and tell the queue how it went. */
static int job_run(const struct config *cfg, struct keyring *kr, struct db *db, const char *owner,
		   struct queue_job *job)
{
	struct scan s = { .cfg = cfg, .kr = kr, .db = db, .owner = owner, .job = job };
	int64_t lease = config_v(cfg)->scan_lease, t0 = mono_usec();
	enum outcome o;
	int r;

	log_field(LOG_F_JOB, job->qj_id);
	log_field(LOG_F_ORG, job->qj_org);
	log_field(LOG_F_REPO, job->qj_repo);
	r = queue_keeper_start(cfg, job->qj_id, owner, lease, &s.keeper);
	if (r < 0)
		o = fail(&s, OUT_TEMP, "unable to start the lease keeper: %s", strerror(-r));
	else
		o = scan_run(&s);
	queue_keeper_stop(s.keeper);
	if (o == OUT_OK)
		r = queue_complete(db, job->qj_id, owner);
	else
		r = queue_fail(db, job, owner, o == OUT_PERM, s.why,
			       config_v(cfg)->scan_retry_base);
	if (o == OUT_OK)
		log_notice("scan %" PRId64 " %s: %" PRId64 " findings, %" PRId64 " new, %" PRId64
			   " fixed, in %" PRId64 " ms", s.scan_id, s.state, s.nfindings, s.nnew,
			   s.nfixed, (mono_usec() - t0) / 1000);
	else
		log_err("scan of job %" PRId64 " failed (attempt %d of %d%s): %s", job->qj_id,
			job->qj_attempts, job->qj_max_attempts, o == OUT_PERM ? ", permanent" : "",
			s.why);
	if (r == -ESTALE)
		log_warning("lease of job %" PRId64 " was lost to another worker", job->qj_id);
	scan_release(&s);
	log_field(LOG_F_CHECKOUT, 0);
	log_field(LOG_F_REPO, 0);
	log_field(LOG_F_ORG, 0);
	log_field(LOG_F_JOB, 0);
	return o == OUT_OK ? EXIT_OK : o == OUT_PERM ? EXIT_PERMFAIL : EXIT_TEMPFAIL;
}

#define USAGE "usage: lethe-scan [--once] [--verbose] | --help | --version\n"

static void __attribute__((noreturn)) usage(void)
{
	fputs(USAGE, stderr);
	exit(EXIT_USAGE);
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c, once = 0;

	std_options(argc, argv, USAGE);
	while ((c = getopt_long(argc, argv, "ov", longopts, NULL)) != -1) {
		if (c == 'o')
			once = 1;
		else if (c == 'v')
			log_set_verbose(1);
		else
			usage();
	}
	if (optind != argc)
		usage();
	return once;
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	struct db *db = NULL;
	struct queue_job *job = NULL;
	char why[512], owner[256];
	int once, r, status = EXIT_OK;
	int64_t t0 = mono_usec();

	log_init("lethe-scan");
	once = parse_args(argc, argv);
	signals_setup();
	/* The volume's directories must be searchable by the sandbox user; the
	 * checkout itself is narrowed to its group (workdir_share). */
	umask(022);
	if (config_load(NULL, &cfg, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	clone_method_check(cfg);
	scanners_check(cfg);
	log_set_file(*config_v(cfg)->log_file ? config_v(cfg)->log_file : NULL);
	/* Loop devices, mounts and fscrypt keys need CAP_SYS_ADMIN; the sandbox
	 * is entered by switching from root to its own user. */
	if (geteuid() != 0)
		fatalx(EXIT_PERMFAIL, "lethe-scan must run as root (volumes and the sandbox need it)");
	if (keyring_load(cfg, &kr, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	if (db_open(cfg, DB_ROLE_JOBS, &db) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to connect to the database: %s", db_error(db));
	if (queue_owner(owner, sizeof(owner)) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to name this worker");
	do {
		r = queue_claim(db, owner, config_v(cfg)->scan_lease,
				config_v(cfg)->scan_max_attempts, &job);
		if (r == -ENOENT)
			break;
		if (r < 0)
			fatalx(EXIT_TEMPFAIL, "unable to claim a job: %s",
			       r == -EPROTO ? "the claim took more than one" : db_error(db));
		status = job_run(cfg, kr, db, owner, job);
		queue_job_free(steal_pointer(&job));
	} while (!once && !stopping && mono_usec() - t0 < LOOP_BUDGET_USEC);
	db_free(db);
	keyring_free(kr);
	config_free(cfg);
	return once ? status : EXIT_OK;
}
