/*
 * work.h - what every job on a checkout does, whatever it does with the
 * code: lethe-scan's scans and lethe-fix's fixes and pushes.
 *
 *   work_main: config, log, root, keyring, database, then claim jobs of the
 *   program's kinds one after another, each under a lease kept by a thread,
 *   and tell the queue how each went (done, back with backoff, failed)
 *   -> work_repo_load -> work_volume_up (checkout row first, so that a
 *   crash leaves a trace; deadline checkout_max_age) -> work_clone_up (the
 *   commit at depth 1 with the read-only token, after the clone URL is
 *   checked against clone_hosts and its address pinned) -> ... ->
 *   work_volume_down (key zeroed, volume destroyed, both audited).
 *
 * Every step returns an outcome and, on failure, leaves one line in
 * w->why: never a token, never repository content.
 */
#ifndef LETHE_WORK_H
#define LETHE_WORK_H

#include <stdint.h>
#include <sys/types.h>

#include "clone.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "github.h"
#include "keys.h"
#include "queue.h"
#include "target.h"
#include "volume.h"

/* Outcome of one job: what the queue is told. */
enum outcome { OUT_OK, OUT_TEMP, OUT_PERM };

struct work {
	const struct config *cfg;
	struct keyring *kr;
	struct db *db;
	const char *owner;
	const char *actor;	/* the program, as the audit log names it */
	const char *ended;	/* checkout_ended's "who": "scan" or "fix" */
	struct queue_job *job;
	struct queue_keeper *keeper;
	/* the repository */
	char *clone_url, *full_name, *token_blob, *default_branch;
	char *provider, *api_url;	/* api_url: NULL when none is known */
	/* the checkout */
	int64_t checkout_id;
	char checkout_name[VOLUME_NAME_MAX + 1];
	int64_t stop_at;	/* mono_usec() by which the code must be gone */
	struct volume *vol;
	uid_t sandbox_uid;	/* sandbox_user's, once the clone step looked it up */
	gid_t sandbox_gid;
	char why[256];	/* last error: one line, never a secret or code */
};

struct work_program {
	const char *name;	/* "lethe-scan" */
	const char *kinds;	/* the jobs it claims: "{scan}" */
	const char *db_role;
	const char *ended;
	/* More checks of the configuration at start (fatalx on error), or NULL. */
	void (*config_check)(const struct config *cfg);
	/* One claimed job, from its repository to its end; its own summary logged. */
	enum outcome (*run)(struct work *w);
};

/* The program's main: options --once and --verbose, then the claim loop. */
int work_main(const struct work_program *p, int argc, char **argv);

/* Whether SIGTERM or SIGINT asked the program to stop. */
int work_stopping(void);

enum outcome work_fail(struct work *w, enum outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Database trouble passes (a restart, a lock): rolled back, worth a retry. */
enum outcome work_db_fail(struct work *w, const char *what);

/* An audit event of the checkout, by the program. */
int work_audit(struct work *w, const char *action, const char *details);

/* The job's repository: its URLs, name, provider and stored clone token. */
enum outcome work_repo_load(struct work *w);
/* A Bitbucket Cloud short commit hash replaced by the full SHA (from the API). */
enum outcome work_commit_resolve(struct work *w);
/* The checkout row, then the encrypted volume, mounted. */
enum outcome work_volume_up(struct work *w);
/* The job's commit at depth 1 into the volume's work directory. */
enum outcome work_clone_up(struct work *w);
/* Destroy the volume; the checkout row and the audit log say how long it took. */
int work_volume_down(struct work *w);

/* Seconds left before the job must stop (at least 1 while any is left). */
int64_t work_time_left(const struct work *w);
/* limit seconds, or fewer when the job has fewer left. */
int64_t work_time_within(const struct work *w, int64_t limit);
/* How the repository's forge takes a token over HTTP (clone.h: clone_auth). */
enum clone_auth work_clone_auth(const struct work *w);

/*
 * The repository's clone URL checked against clone_hosts after DNS
 * resolution, the address to pin into pin (clone.h: co_pin).
 */
enum outcome work_clone_target(struct work *w, char pin[TARGET_PIN_MAX]);
/* HOME for git: an empty directory in the volume (caller frees). */
enum outcome work_git_home(struct work *w, char **home);
/*
 * fixpush_run(po) by lethe-fetch as fetch_user (lib/scan/fetch.h), which
 * has po->fp_dir and po->fp_home while it runs: fixpush_run's errors.
 */
struct fixpush_opts;
int work_push(struct work *w, const struct fixpush_opts *po, char *why, size_t whylen);
/*
 * An installation token of the repository's github-app integration for
 * scope alone (lib/vcs/github.h), what naming its use in w->why on failure;
 * OUT_OK with tok left empty when the repository has no such integration.
 */
enum outcome work_app_token(struct work *w, enum github_scope scope, const char *what,
			    struct secbuf *tok);

#endif
