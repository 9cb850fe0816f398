/*
 * lethe-drain - replay webhook deliveries spooled while PostgreSQL was
 * unreachable, each exactly once.
 *
 * Every spool file is recorded with delivery_record(), the transaction
 * lethe-hook would have run; a file is removed only after its COMMIT, or
 * when the delivery is already there (its (repository, delivery id) is
 * unique, so a replay after a crash between COMMIT and unlink changes
 * nothing).  One drain at a time: the spool directory is flock'ed.
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

static int drain(const struct config *cfg, const char *dir, struct dirent **ents, int n)
{
	struct db *db = NULL;
	int failed = 0, r = db_open(cfg, DB_ROLE_DRAIN, &db);

	for (int i = 0; r == 0 && i < n; i++) {
		int one = drain_one(db, dir, ents[i]->d_name);

		if (one == -ENOTCONN)
			r = one;
		failed |= one < 0;
	}
	if (r == -ENOTCONN)
		log_err("unable to drain the spool: database unreachable: %s", db_error(db));
	db_free(db);
	return r < 0 || failed ? EXIT_TEMPFAIL : EXIT_OK;
}

#define USAGE "usage: lethe-drain | --help | --version\n"

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct dirent **ents = NULL;
	char *dir = NULL;
	int fd, n, status;

	std_options(argc, argv, USAGE);
	log_init("lethe-drain");
	if (argc > 1) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	cfg = config_start();
	if (spool_open_dir(config_v(cfg)->spool_dir, &dir) < 0)
		fatal(EXIT_TEMPFAIL, "unable to open the spool under '%s'", config_v(cfg)->spool_dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fatal(EXIT_TEMPFAIL, "unable to open '%s'", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return EXIT_OK;	/* another drain is at it */
	n = scandir(dir, &ents, entry_filter, alphasort);
	if (n < 0)
		fatal(EXIT_TEMPFAIL, "unable to list '%s'", dir);
	status = n ? drain(cfg, dir, ents, n) : EXIT_OK;
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(dir);
	close(fd);
	config_free(cfg);
	return status;
}
