/* clone_int.h - what lib/scan/clone.c shares with its in-process fetch. */
#ifndef LETHE_CLONE_INT_H
#define LETHE_CLONE_INT_H

#include <git2.h>
#include <stdint.h>

#include "clone.h"

/* libgit2 fetches shallow (git_fetch_options.depth) from 1.7 on. */
#if LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 7)
#define CLONE_HAVE_LIBGIT2 1

/*
 * Fetch o->co_sha (or o->co_ref's tip) at depth 1 into the empty dir and
 * check it out detached, before the monotonic deadline (usec).  Returns 0 or
 * a clone_fetch error; the result is verified by the caller.
 */
int clone_libgit2_fetch(const char *dir, const struct clone_opts *o, int64_t deadline);

/*
 * Make every libgit2 connection of this process go to the address of spec
 * ("host:port:address", NULL: none) and refuse other hosts, until
 * clone_pin_unregister() (lib/scan/clone_pin.c).  -EINVAL for a bad spec.
 */
int clone_pin_register(const char *spec);
void clone_pin_unregister(void);
#endif

/*
 * o's token as an HTTP header, "Authorization: Basic BASE64(x-access-token:
 * TOKEN)" or "Authorization: Bearer TOKEN" as o->co_auth says: its length
 * without the NUL, and writing it NUL-terminated into dst, which holds
 * clone_auth_len(o) + 1 bytes (locked memory: it holds the token).
 * Writing fails only when no locked memory is left for Basic's encoding.
 */
size_t clone_auth_len(const struct clone_opts *o);
int clone_auth_write(const struct clone_opts *o, char *dst);

/*
 * The environment of one git process as clone_fetch gives it (clone.h),
 * with o's token as http.extraHeader when with_token: *out freed (the
 * token zeroed) by clone_env_free, which accepts NULL.  Fails only when no
 * locked memory is left.
 */
struct git_env;
int clone_env_new(const struct clone_opts *o, int with_token, struct git_env **out);
void clone_env_free(struct git_env *e);

/* Where a git process's standard output goes: cs_max bytes of cs_buf at most. */
struct clone_sink {
	char *cs_buf;		/* cs_max + 1 bytes; NUL-terminated */
	size_t cs_max;
	size_t cs_len;
	int cs_over;		/* it said more: the rest was dropped */
};

/* What a git process reads and what is kept of what it says. */
struct clone_io {
	const char *ci_in;	/* its standard input (through a socket); NULL: /dev/null */
	size_t ci_inlen;
	char *ci_err;		/* the start of its stderr, NUL-terminated; NULL: not */
	size_t ci_errlen;	/* kept (the caller zeroes it: it may quote code) */
	struct clone_sink *ci_out;	/* its stdout; NULL: /dev/null */
};

/*
 * Run /usr/bin/git with argv (fixed, no shell) and environment e in dir's
 * limits as clone_fetch runs its steps: its own process group,
 * RLIMIT_FSIZE max_size, killed past the monotonic deadline (usec,
 * -ETIMEDOUT) or past max_size bytes under dir (-EFBIG).  A failed exit is
 * classified as clone_fetch's errors are (-EACCES, -ENOENT, -EFBIG, -EIO).
 * io may be NULL.
 */
int clone_git_run(const char *dir, const char *const *argv, const struct git_env *e,
		  int64_t deadline, int64_t max_size, const struct clone_io *io);

/* Disk space used under dir (blocks), or -1. */
int64_t clone_dir_usage(const char *dir);

#endif
