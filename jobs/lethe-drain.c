/*
 * lethe-drain - finish what lethe-hook accepted: replay the deliveries
 * spooled while PostgreSQL was unreachable, each exactly once, and apply
 * the GitHub App installation events it recorded.
 *
 * Every spool file is recorded with delivery_record(), the transaction
 * lethe-hook would have run; a file is removed only after its COMMIT, or
 * when the delivery is already there (its (repository, delivery id) is
 * unique, so a replay after a crash between COMMIT and unlink changes
 * nothing).  One drain at a time replays: the spool directory is flock'ed.
 * Installation events are taken one at a time from the database
 * (lib/store/installation.h), which orders them and keeps two drains
 * from applying the same one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "delivery.h"
#include "installation.h"
#include "log.h"
#include "util.h"

static int entry_filter(const struct dirent *d)
{
	return spool_is_entry(d->d_name);
}

/* Set a damaged file aside under a dot name, which drains skip. */
static void set_aside(const char *dir, const char *name)
{
	char *from = xasprintf("%s/%s", dir, name), *to = xasprintf("%s/.damaged-%s", dir, name);

	if (rename(from, to) < 0)
		log_errno(LOG_ERR, errno, "unable to set '%s' aside", from);
	free(from);
	free(to);
}

/* 0: done with the file; -ENOTCONN: stop; other: keep it for next time. */
static int drain_one(struct db *db, const char *dir, const char *name)
{
	struct delivery d;
	int64_t id, job;
	int absorbed;
	int r = spool_read(dir, name, &d);

	if (r == -EBADMSG) {
		log_err("spool file '%s/%s' is damaged: set aside", dir, name);
		set_aside(dir, name);
		return 0;
	}
	if (r < 0) {
		log_errno(LOG_ERR, r, "unable to read spool file '%s/%s'", dir, name);
		return r;
	}
	r = delivery_record(db, &d, &id, &job, &absorbed);
	if (r == -ENOTCONN)
		return r;
	log_field(LOG_F_DELIVERY, id);
	log_field(LOG_F_JOB, job);
	if (r == 0)
		log_info("replayed delivery '%s' for repository %lld", d.id, (long long)d.repository_id);
	else if (r == -EEXIST)
		log_info("delivery '%s' was already recorded", d.id);
	else if (r == -ENOENT)
		log_notice("delivery '%s' dropped: repository %lld is gone", d.id,
			   (long long)d.repository_id);
	else
		log_err("unable to replay delivery '%s': %s", d.id, db_error(db));
	log_field(LOG_F_DELIVERY, 0);
	log_field(LOG_F_JOB, 0);
	if (r == 0 || r == -EEXIST || r == -ENOENT)
		r = spool_remove(dir, name);
	return r;
}

static int drain(struct db *db, const char *dir, struct dirent **ents, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		int r = drain_one(db, dir, ents[i]->d_name);

		if (r == -ENOTCONN) {
			log_err("unable to drain the spool: database unreachable: %s", db_error(db));
			return r;
		}
		failed |= r < 0;
	}
	return failed ? -EIO : 0;
}

/* Replay the spool unless another drain is at it; 0, or < 0 when a file stays. */
static int drain_spool(struct db *db, const char *dir)
{
	struct dirent **ents = NULL;
	int fd, n, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fatal(EXIT_TEMPFAIL, "unable to open '%s'", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0;	/* another drain is at it */
	}
	n = scandir(dir, &ents, entry_filter, alphasort);
	if (n < 0)
		fatal(EXIT_TEMPFAIL, "unable to list '%s'", dir);
	if (n)
		r = drain(db, dir, ents, n);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	close(fd);
	return r;
}

static void event_log(const struct installation_result *res)
{
	log_field(LOG_F_ORG, res->in_org);
	if (!strcmp(res->in_state, "applied"))
		log_info("installation event %lld applied: integration %lld, %d connected, "
			 "%d deleted", (long long)res->in_event, (long long)res->in_integration,
			 res->in_connected, res->in_deleted);
	else
		log_notice("installation event %lld %s: %s", (long long)res->in_event,
			   res->in_state, res->in_reason);
	log_field(LOG_F_ORG, 0);
}

/* Apply every queued installation event; 0, or < 0 when one stays queued. */
static int apply_events(struct db *db, const char *api_url)
{
	struct installation_result res;
	int r;

	while ((r = installation_apply_next(db, api_url, &res)) > 0)
		event_log(&res);
	if (r < 0)
		log_err("unable to apply installation events: %s", db_error(db));
	return r;
}

#define USAGE "usage: lethe-drain | --help | --version\n"

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct db *db = NULL;
	char *dir = NULL;
	int r;

	std_options(argc, argv, USAGE);
	log_init("lethe-drain");
	if (argc > 1) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	cfg = config_start();
	if (spool_open_dir(config_v(cfg)->spool_dir, &dir) < 0)
		fatal(EXIT_TEMPFAIL, "unable to open the spool under '%s'", config_v(cfg)->spool_dir);
	r = db_open(cfg, DB_ROLE_DRAIN, &db);
	if (r < 0)
		log_err("unable to drain: database unreachable: %s", db_error(db));
	if (r == 0) {
		r = drain_spool(db, dir);
		if (r != -ENOTCONN && apply_events(db, config_v(cfg)->github_api_url) < 0)
			r = -EIO;
	}
	db_free(db);
	free(dir);
	config_free(cfg);
	return r < 0 ? EXIT_TEMPFAIL : EXIT_OK;
}
