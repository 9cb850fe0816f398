/*
 * fetch.h - clone_fetch (clone.h) in a process of its own, out of root's
 * reach: lethe-fetch, started as fetch_user with no capabilities and no new
 * privileges, none of the caller's descriptors and an environment of PATH
 * and LC_ALL alone (and the sanitizers' options where set), in a process
 * group of its own that is killed when the call ends.  The token reaches it
 * through a pipe on its standard input, never argv or the environment;
 * everything else is its argv.  lethe-fetch confines itself further
 * (lethe-fetch(8)); the caller makes dir and o->co_home writable by the
 * user (fetch_prepare) and takes them back afterwards (fetch_reclaim).
 */
#ifndef LETHE_FETCH_H
#define LETHE_FETCH_H

#include <sys/types.h>

#include "clone.h"

struct fetch_proc {
	const char *fp_helper;	/* lethe-fetch's path */
	uid_t fp_uid;		/* fetch_user's */
	gid_t fp_gid;
	gid_t fp_group;		/* the group the tree is for (the sandbox user's) */
};

/*
 * fetch_user's ids into p (0, -ENOENT for no such user, -EPERM for root).
 * Call before fork: nothing after it looks a user up.
 */
int fetch_user(const char *user, struct fetch_proc *p);

/* dir (root:fp_group 02750) and home (0700) handed to the fetch user. */
int fetch_prepare(const struct fetch_proc *p, const char *dir, const char *home);

/*
 * clone_fetch(dir, o) run by lethe-fetch: the same errors and why (one
 * line), and -EIO with why when the helper could not be started or died.
 */
int fetch_run(const struct fetch_proc *p, const char *dir, const struct clone_opts *o,
	      char *why, size_t whylen);

/*
 * fixpush_run(o) (fixpush.h) run by lethe-fetch --push: the same errors and
 * why.  The token, the patch and the message reach it on its standard
 * input; the caller hands o->fp_dir and o->fp_home to the user as for a
 * fetch.
 */
struct fixpush_opts;
int fetch_push(const struct fetch_proc *p, const struct fixpush_opts *o, char *why,
	       size_t whylen);

/*
 * Everything under dir and home given back to root (groups kept), without
 * following a link, so that no later fetch process can change the tree.
 */
int fetch_reclaim(const struct fetch_proc *p, const char *dir, const char *home);

#endif
