/*
 * lethe-scan - claim a scan job, check the commit out on an encrypted
 * ephemeral volume, run the scanners in the sandbox, store the findings,
 * destroy the volume.
 *
 *   claim (SKIP LOCKED, lease renewed by a thread)
 *   -> [a short commit hash: its full SHA from the API, read-only token]
 *   -> checkout row (deadline) -> volume_create -> audit "checkout created"
 *   -> clone_fetch (read-only token in git's environment only)
 *   -> sandbox_run(lethe-analyze)
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
#include "work.h"

#define ANALYZE_INSIDE "/opt/lethe/lethe-analyze"

struct scan {
	struct work *w;
	int64_t scan_id;
	char *base_scan;	/* a pull request's base_scan_id, "" when none */
	char *out;	/* the sandbox's stdout: sanitized SARIF, zeroed when freed */
	size_t out_len;
	char limits[320];	/* which limits the sandbox ran under */
	int64_t nfindings, nnew, nfixed, nrefused;
	const char *state;	/* scans.state at the end */
};

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
	if (res->timed_out && work_time_left(s->w) == 0)
		return work_fail(s->w, OUT_TEMP, "analysis stopped at the checkout's deadline");
	if (res->timed_out)
		return work_fail(s->w, OUT_PERM, "analysis exceeded sandbox_wall");
	if (res->oom_killed)
		return work_fail(s->w, OUT_PERM, "analysis exceeded sandbox_memory");
	if (res->output_truncated)
		return work_fail(s->w, OUT_PERM, "analysis output exceeded sandbox_output");
	if (res->term_signal)
		return work_fail(s->w, OUT_TEMP, "sandbox killed by signal %d", res->term_signal);
	if (res->exit_status == EXIT_TEMPFAIL)
		return work_fail(s->w, OUT_TEMP, "lethe-analyze failed temporarily%s", cause);
	if (res->exit_status != 0)
		return work_fail(s->w, OUT_PERM, "lethe-analyze exited with status %d%s", res->exit_status,
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
	struct binds b = { .v = { { config_v(s->w->cfg)->analyze_path, ANALYZE_INSIDE } }, .n = 1 };
	struct sandbox_opts so = { .workspace = volume_workdir(s->w->vol), .ro_binds = b.v };
	struct sandbox_result res;
	struct argv_build a = { 0 };
	int64_t wall = work_time_within(s->w, config_v(s->w->cfg)->sandbox_wall);
	enum outcome o;
	int r;

	config_each_prefixed(s->w->cfg, "scanner.", scanner_bind, &b);
	eslint_bind(s->w->cfg, &b);
	so.n_ro_binds = b.n;
	analyze_argv(s->w->cfg, wall, &a);
	so.argv = a.v;
	sandbox_opts_configure(s->w->cfg, wall, &so);
	r = sandbox_run(&so, &res);
	while (a.nowned)
		free(a.owned[--a.nowned]);
	while (b.n > 1)
		free(b.owned[--b.n]);
	if (r < 0) {
		sandbox_result_release(&res);
		return work_fail(s->w, r == -EINVAL || r == -ENOENT || r == -EPERM ? OUT_PERM : OUT_TEMP,
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
	int r = scanstore_insert(s->w->db, s->w->job, s->w->default_branch, &s->scan_id, &s->base_scan);

	return r < 0 ? work_db_fail(s->w, "insert the scan row") : OUT_OK;
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
	lim.max_bytes = (size_t)config_v(s->w->cfg)->sandbox_output;
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
	char *branch = scanstore_branch(s->w->job), why[200];
	struct scanstore ss;
	struct sarif_log log;
	struct db *db = NULL;
	int64_t t0 = mono_usec();
	int r = unpriv_drop(UNPRIV_USER);

	sarif_log_init(&log);
	scanstore_init(&ss, s->w->job, s->scan_id, branch, s->base_scan);
	if (r < 0)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "unable to become user '%s': %s",
			 UNPRIV_USER, strerror(-r));
	else if (db_open(s->w->cfg, DB_ROLE_SCAN, &db) < 0)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "unable to connect to the database: %s",
			 db_error(db));
	else if ((rep->sr_outcome = sarif_read(s, &log, why, sizeof(why))) != OUT_OK)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "analysis output refused: %s", why);
	else if ((r = scanstore_results(db, &ss, &log, key)) < 0)
		snprintf(rep->sr_why, sizeof(rep->sr_why), "unable to store the findings: %s",
			 db_error(db));
	else {
		store_log(&ss, s->w->job->qj_org, key_err);
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

	keyring_free(steal_pointer(&s->w->kr));
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
		return work_fail(s->w, OUT_TEMP, "the storing process died (%s %d)",
			    WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	s->nfindings = rep.sr_findings;
	s->nnew = rep.sr_new;
	s->nfixed = rep.sr_fixed;
	if (rep.sr_outcome != OUT_OK)
		return work_fail(s->w, rep.sr_outcome, "%s", rep.sr_why);
	s->state = rep.sr_state[0] == 'c' ? "complete" : "incomplete";
	return OUT_OK;
}

/* The org's secret hash key comes from the keyring, which stays with root. */
static enum outcome store(struct scan *s)
{
	struct secbuf key = { 0 };
	int key_err = secrethash_key(s->w->db, s->w->kr, s->w->job->qj_org, &key), p[2];
	pid_t pid;
	enum outcome o;

	if (pipe2(p, O_CLOEXEC) < 0) {
		secbuf_release(&key);
		return work_fail(s->w, OUT_TEMP, "unable to start the storing process: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		secbuf_release(&key);
		return work_fail(s->w, OUT_TEMP, "unable to start the storing process: %s", strerror(errno));
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

static void scan_finish(struct scan *s, enum outcome o)
{
	char *details;

	if (!s->scan_id)
		return;
	if (o != OUT_OK)
		scanstore_failed(s->w->db, s->scan_id, s->w->why);
	details = xasprintf("{\"scan\": %" PRId64 ", \"state\": \"%s\", \"findings\": %" PRId64
			    ", \"new\": %" PRId64 ", \"fixed\": %" PRId64 "}",
			    s->scan_id, o == OUT_OK ? s->state : "failed", s->nfindings, s->nnew,
			    s->nfixed);
	if (db_begin(s->w->db) < 0 || work_audit(s->w, "scan done", details) < 0 || db_commit(s->w->db) < 0)
		db_rollback(s->w->db);
	free(details);
}

static enum outcome scan_run(struct scan *s)
{
	enum outcome o;

	o = work_repo_load(s->w);
	if (o == OUT_OK)
		o = work_commit_resolve(s->w);
	if (o == OUT_OK)
		o = scan_insert(s);
	if (o == OUT_OK)
		o = work_volume_up(s->w);
	if (o == OUT_OK)
		o = work_clone_up(s->w);
	if (o == OUT_OK && work_stopping())
		o = work_fail(s->w, OUT_TEMP, "stopped by a signal before the analysis");
	if (o == OUT_OK && work_time_left(s->w) == 0)
		o = work_fail(s->w, OUT_TEMP, "stopped at the checkout's deadline before the analysis");
	if (o == OUT_OK)
		o = analyze(s);
	/* The analysis ran to its end; the job goes back all the same (lethe-scan(8)). */
	if (o == OUT_OK && work_stopping())
		o = work_fail(s->w, OUT_TEMP, "stopped by a signal during the analysis");
	/* The code goes first; what was learnt is stored after. */
	if (work_volume_down(s->w) < 0 && o == OUT_OK)
		log_warning("volume teardown incomplete; findings are stored anyway");
	/* Another worker owns the job now: its scan will store the results. */
	if (o == OUT_OK && queue_keeper_lost(s->w->keeper))
		o = work_fail(s->w, OUT_TEMP, "lease lost to another worker");
	if (o == OUT_OK)
		o = store(s);
	scan_finish(s, o);	/* lethe-report tells the VCS */
	return o;
}

static void scan_release(struct scan *s)
{
	free(s->base_scan);
	if (s->out)
		OPENSSL_cleanse(s->out, s->out_len);
	free(s->out);
}

static enum outcome scan_job(struct work *w)
{
	struct scan s = { .w = w };
	int64_t t0 = mono_usec();
	enum outcome o = scan_run(&s);

	if (o == OUT_OK)
		log_notice("scan %" PRId64 " %s: %" PRId64 " findings, %" PRId64 " new, %" PRId64
			   " fixed, in %" PRId64 " ms", s.scan_id, s.state, s.nfindings, s.nnew,
			   s.nfixed, (mono_usec() - t0) / 1000);
	scan_release(&s);
	return o;
}

int main(int argc, char **argv)
{
	static const struct work_program scan = {
		.name = "lethe-scan", .kinds = "{scan}", .db_role = DB_ROLE_SCAN, .ended = "scan",
		.config_check = scanners_check, .run = scan_job,
	};

	return work_main(&scan, argc, argv);
}
