/*
 * lethe-rotate - daily housekeeping: rotate Lethe's log file, ask nginx to
 * reopen its logs, prune expired operational rows in batches, and verify
 * the audit chain (which it never changes), writing a checkpoint to the
 * journal and an anchor to audit_anchors.
 *
 * Log lines are appended by opening the file for every line (lib/base/log.c), so
 * renaming the file is enough for writers to move on to a new one; a line
 * whose writer opened the old name just before the rename still lands in
 * the renamed file, which is compressed only once its size has settled.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "audit.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "util.h"

#define GZIP_PATH	"/bin/gzip"
#define PRUNE_BATCH	"1000"
#define SETTLE_USEC	200000	/* a writer's open+write+close is far shorter */
#define SETTLE_TRIES	20

static int opt_verbose;

/* The log file's directory, opened once; names below are relative to it. */
struct logdir {
	int fd;
	char *base;	/* file name of the log */
	int64_t keep;
};

static char *archive_name(const struct logdir *ld, int64_t i, const char *suffix)
{
	return xasprintf("%s.%lld%s", ld->base, (long long)i, suffix);
}

/* 1 when name exists as a regular file, 0 when absent, -errno otherwise. */
static int regular_at(int dfd, const char *name, struct stat *st)
{
	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISREG(st->st_mode) ? 1 : -EINVAL;
}

/* base.N.gz -> base.N+1.gz for N = keep-1 .. 1, dropping base.keep.gz. */
static int archives_shift(const struct logdir *ld)
{
	char *oldest = archive_name(ld, ld->keep, ".gz");
	int r = 0;

	if (unlinkat(ld->fd, oldest, 0) < 0 && errno != ENOENT)
		r = -errno;
	free(oldest);
	for (int64_t i = ld->keep - 1; r == 0 && i >= 1; i--) {
		char *from = archive_name(ld, i, ".gz"), *to = archive_name(ld, i + 1, ".gz");

		if (renameat(ld->fd, from, ld->fd, to) < 0 && errno != ENOENT)
			r = -errno;
		free(from);
		free(to);
	}
	return r;
}

/* gzip stdin=in to stdout=out; 0 when gzip exited 0. */
static int gzip_run(int in, int out)
{
	char *const argv[] = { "gzip", "-c", "-n", "-6", NULL };
	char *const envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r, status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	r = -posix_spawn(&pid, GZIP_PATH, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r < 0)
		return r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * Compress in into out until the input's size stays the same across a
 * settle period and the whole compression: then no writer that opened the
 * old name can still be appending.
 */
static int compress_settled(int in, int out)
{
	struct stat a, b;
	int r = -EAGAIN;

	for (int i = 0; i < SETTLE_TRIES && r == -EAGAIN; i++) {
		usleep(SETTLE_USEC);
		if (fstat(in, &a) < 0 || lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 ||
		    ftruncate(out, 0) < 0)
			return -errno;
		r = gzip_run(in, out);
		if (r == 0 && fstat(in, &b) < 0)
			return -errno;
		if (r == 0 && b.st_size != a.st_size)
			r = -EAGAIN;
	}
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	return r;
}

/* base.1 -> base.1.gz (after shifting the older archives), then unlink base.1. */
static int archive_pending(const struct logdir *ld)
{
	char *plain = archive_name(ld, 1, ""), *gz = archive_name(ld, 1, ".gz");
	char *tmp = archive_name(ld, 1, ".gz.tmp");
	int in = -1, out = -1, r;

	r = archives_shift(ld);
	if (r < 0)
		goto out;
	in = openat(ld->fd, plain, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	out = openat(ld->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (in < 0 || out < 0) {
		r = -errno;
		goto out;
	}
	r = compress_settled(in, out);
	if (r == 0 && renameat(ld->fd, tmp, ld->fd, gz) < 0)
		r = -errno;
	if (r == 0 && unlinkat(ld->fd, plain, 0) < 0)
		r = -errno;
out:
	if (r < 0)
		(void)unlinkat(ld->fd, tmp, 0);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(plain);
	free(gz);
	free(tmp);
	return r;
}

/* Due when over the size limit, or non-empty and born longer ago than the age limit. */
static int rotation_due(const struct logdir *ld, int64_t max_size, int64_t max_age)
{
	struct statx stx;

	if (statx(ld->fd, ld->base, AT_SYMLINK_NOFOLLOW, STATX_SIZE | STATX_BTIME | STATX_TYPE,
		  &stx) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(stx.stx_mode))
		return -EINVAL;
	if (stx.stx_size == 0)
		return 0;
	if ((int64_t)stx.stx_size >= max_size)
		return 1;
	if (!(stx.stx_mask & STATX_BTIME))
		return 0;	/* no birth time on this file system: size only */
	return (int64_t)time(NULL) - (int64_t)stx.stx_btime.tv_sec >= max_age;
}

static int logdir_open(const char *path, int64_t keep, struct logdir *ld)
{
	char *d = xstrdup(path), *b = xstrdup(path);

	ld->fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ld->base = xstrdup(basename(b));
	ld->keep = keep;
	free(d);
	free(b);
	return ld->fd < 0 ? -errno : 0;
}

static int log_rotate(const struct config *cfg)
{
	const char *path = config_v(cfg)->log_file;
	struct logdir ld;
	struct stat st;
	char *first = NULL;
	int r, due;

	r = logdir_open(path, config_v(cfg)->log_keep, &ld);
	if (r < 0)
		goto out;
	first = archive_name(&ld, 1, "");
	/* A run that died before compressing left base.1: finish it first. */
	r = regular_at(ld.fd, first, &st);
	if (r > 0)
		r = archive_pending(&ld);
	if (r < 0)
		goto out;
	due = r = rotation_due(&ld, config_v(cfg)->log_max_size, config_v(cfg)->log_max_age);
	if (due > 0 && renameat(ld.fd, ld.base, ld.fd, first) < 0)
		r = -errno;
	else if (due > 0)
		r = archive_pending(&ld);
	if (r == 0 && due > 0)
		log_info("rotated '%s', keeping %lld compressed", path, (long long)ld.keep);
out:
	if (r < 0)
		log_errno(LOG_ERR, r, "unable to rotate '%s'", path);
	if (ld.fd >= 0)
		close(ld.fd);
	free(ld.base);
	free(first);
	return r;
}

static int nginx_reopen(const struct config *cfg)
{
	const char *path = config_v(cfg)->nginx_pid_file;
	char *buf = NULL, *nl;
	int64_t pid;
	int r;

	if (!*path)
		return 0;
	r = read_file(path, 64, &buf, NULL);
	if (r == 0) {
		nl = strchr(buf, '\n');
		if (nl)
			*nl = '\0';
		r = parse_i64(buf, 2, INT32_MAX, &pid);
	}
	if (r == 0 && kill((pid_t)pid, SIGUSR1) < 0)
		r = -errno;
	if (r < 0)
		log_errno(LOG_WARNING, r, "unable to ask nginx to reopen its logs (pid file '%s')", path);
	else
		log_debug("asked nginx (pid %lld) to reopen its logs", (long long)pid);
	free(buf);
	return r;
}

/*
 * Pruning: each statement deletes at most PRUNE_BATCH rows in its own
 * transaction, so that no run holds locks for long.  $1 is the retention
 * in seconds where there is one, $2 the batch size.
 */
struct prune {
	const char *what;
	const char *retention_key;	/* NULL: expiry is in the row */
	const char *sql;
};

static const struct prune prunes[] = {
	{ "deliveries", "retention_deliveries",
	  "DELETE FROM lethe.deliveries WHERE id IN (SELECT id FROM lethe.deliveries "
	  "WHERE received_at < now() - $1::bigint * interval '1 second' ORDER BY id LIMIT $2)" },
	/* A queued installation event stays until lethe-drain applies it. */
	{ "installation events", "retention_deliveries",
	  "DELETE FROM lethe.installation_events WHERE id IN (SELECT id FROM "
	  "lethe.installation_events WHERE state <> 'queued' "
	  "AND received_at < now() - $1::bigint * interval '1 second' ORDER BY id LIMIT $2)" },
	/* A job with a live checkout stays: lethe-scrub needs its row. */
	{ "finished jobs", "retention_jobs",
	  "DELETE FROM lethe.jobs WHERE id IN (SELECT j.id FROM lethe.jobs j "
	  "WHERE j.state IN ('done', 'failed', 'cancelled') "
	  "AND j.finished_at < now() - $1::bigint * interval '1 second' "
	  "AND NOT EXISTS (SELECT 1 FROM lethe.checkouts c WHERE c.job_id = j.id "
	  "AND c.destroyed_at IS NULL) ORDER BY j.id LIMIT $2)" },
	{ "destroyed checkouts", "retention_jobs",
	  "DELETE FROM lethe.checkouts WHERE id IN (SELECT id FROM lethe.checkouts "
	  "WHERE destroyed_at < now() - $1::bigint * interval '1 second' ORDER BY id LIMIT $2)" },
	{ "expired refresh tokens", NULL,
	  "DELETE FROM lethe.refresh_tokens WHERE id IN (SELECT id FROM lethe.refresh_tokens "
	  "WHERE expires_at < now() AND $1::text IS NULL ORDER BY id LIMIT $2)" },
	{ "expired ephemeral api keys", NULL,
	  "DELETE FROM lethe.api_keys WHERE id IN (SELECT id FROM lethe.api_keys "
	  "WHERE ephemeral AND expires_at < now() AND $1::text IS NULL ORDER BY id LIMIT $2)" },
};

static int prune_one(struct db *db, const struct config *cfg, const struct prune *p)
{
	char secs[24];
	const char *ret = NULL;
	long long total = 0, n;
	PGresult *res;
	int r;

	if (p->retention_key) {
		i64s(config_int(cfg, p->retention_key), secs);
		ret = secs;
	}
	do {
		r = DB_QUERY(db, &res, p->sql, ret, PRUNE_BATCH);
		if (r < 0) {
			log_err("unable to prune %s: %s", p->what, db_error(db));
			return r;
		}
		n = atoll(PQcmdTuples(res));
		PQclear(res);
		total += n;
	} while (n == atoll(PRUNE_BATCH));
	if (total)
		log_info("pruned %lld %s", total, p->what);
	return 0;
}

/*
 * The whole chain, recomputed in C (lib/audit): every event's hash must
 * match its content and its prev_hash its predecessor's hash; every anchor
 * in audit_anchors must still name an event with its hash (lib/anchor).
 * Then the last id and hash go to the journal and, MACed, to a new anchor
 * in audit_anchors, against which a later rewrite or truncation of the
 * chain shows.
 */
static int audit_checkpoint(const struct config *cfg, struct db *db)
{
	const char *path = config_v(cfg)->audit_anchors;
	struct anchor_check k = { 0 };
	struct keyring *kr = NULL;
	char head[65], why[512];
	int r;

	if ((r = keyring_load(cfg, &kr, why, sizeof(why))) < 0) {
		log_err("unable to anchor the audit chain: %s", why);
		return r;
	}
	r = anchor_checkpoint(db, kr, path, time(NULL), &k);
	keyring_free(kr);
	if (r == -EBADMSG && k.bad_id) {
		log_msg(LOG_ALERT, "audit chain broken at event %lld after %lld good ones: %s",
			(long long)k.bad_id, (long long)k.chain.events, k.why);
	} else if (r == -EBADMSG) {
		log_msg(LOG_ALERT, "audit anchors broken: %s", k.why);
	} else if (r < 0 && r != -ENODATA) {
		log_err("unable to verify or anchor the audit chain: %s", k.why);
	} else {
		hex_encode(k.chain.head, sizeof(k.chain.head), head);
		log_notice("audit checkpoint: %lld events verified, last id %lld hash %s",
			   (long long)k.chain.events, (long long)k.chain.head_id,
			   k.chain.events ? head : "none");
		if (r == 0)
			log_notice("audit anchor written to '%s': event %lld hash %s", path,
				   (long long)k.newest.id, head);
		r = 0;
	}
	return r;
}

static int db_work(const struct config *cfg)
{
	struct db *db = NULL;
	int r, tmp = 0;

	r = db_open(cfg, DB_ROLE_ROTATE, &db);
	if (r < 0) {
		log_err("unable to connect to the database: %s", db_error(db));
		db_free(db);
		return EXIT_TEMPFAIL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(prunes); i++)
		if (prune_one(db, cfg, &prunes[i]) < 0)
			tmp = 1;
	r = audit_checkpoint(cfg, db);
	db_free(db);
	if (r == -EBADMSG)
		return EXIT_PERMFAIL;
	return tmp || r < 0 ? EXIT_TEMPFAIL : EXIT_OK;
}

#define USAGE "usage: lethe-rotate [-v] | --help | --version\n"

static void usage(void)
{
	fputs(USAGE, stderr);
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	struct config *cfg;
	int c, rc, files = 0;

	std_options(argc, argv, USAGE);
	log_init("lethe-rotate");
	while ((c = getopt(argc, argv, "v")) != -1) {
		if (c != 'v')
			usage();
		opt_verbose = 1;
	}
	if (optind != argc)
		usage();
	log_set_verbose(opt_verbose);
	cfg = config_start();
	if (*config_v(cfg)->log_file)
		files |= log_rotate(cfg) < 0;
	files |= nginx_reopen(cfg) < 0;
	rc = db_work(cfg);
	config_free(cfg);
	return rc == EXIT_OK && files ? EXIT_TEMPFAIL : rc;
}
