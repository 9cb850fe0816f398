/*
 * clone.h - a depth=1 fetch of exactly one commit into an empty directory.
 *
 * libgit2 fetches shallow only from 1.7 on; Debian 12 ships 1.5, so the
 * fetch runs git(1) through fork/exec with a fixed argv and no shell (an
 * in-process libgit2 fetch for 1.7+ is not written yet; git(1) serves
 * every version):
 *   git init --template= DIR
 *   git fetch --depth=1 --no-tags --no-recurse-submodules URL SHA
 *     (when the server refuses a bare SHA - uploadpack.allowReachableSHA1InWant
 *      unset with protocol v0 - the job's ref is fetched at depth 1 instead
 *      and its tip must be SHA)
 *   git checkout --detach SHA
 * The URL is fetched directly, so no remote is written to .git/config.  The
 * token reaches only the fetch process, through its environment
 * (GIT_CONFIG_COUNT / http.extraHeader), never argv, a file or a log.  Every
 * git process gets an empty environment but for: PATH, HOME (an empty
 * directory), LC_ALL=C, GIT_TERMINAL_PROMPT=0, GIT_CONFIG_NOSYSTEM=1,
 * GIT_CONFIG_GLOBAL=/dev/null, GIT_LFS_SKIP_SMUDGE=1, GIT_ALLOW_PROTOCOL=
 * http:https and configuration core.hooksPath=/dev/null,
 * transfer.fsckObjects=true, submodule.recurse=false,
 * http.followRedirects=false, credential.helper= (none).  Each runs in a
 * process group of its own with RLIMIT_FSIZE; the caller's size and time
 * limits are watched and the group is killed when one is exceeded.
 * Afterwards libgit2 opens the result: HEAD must be SHA and exactly one
 * commit object may be present.
 */
#ifndef LETHE_CLONE_H
#define LETHE_CLONE_H

#include <stddef.h>
#include <stdint.h>

struct clone_opts {
	const char *co_url;	/* http:// or https:// */
	const char *co_sha;	/* 40 lowercase hex digits */
	const char *co_ref;	/* refs/heads/x or refs/pull/..; NULL: none */
	const char *co_token;	/* NULL: anonymous */
	size_t co_token_len;
	const char *co_home;	/* an empty directory for HOME */
	int64_t co_timeout;	/* seconds, the whole clone */
	int64_t co_max_size;	/* bytes under dir */
};

/*
 * Fetch into dir (which must exist and be empty).  why gets one line on
 * error (never git's output, never the token).  Errors:
 *   -EINVAL    bad options (URL scheme, SHA)            permanent
 *   -EACCES    the server refused the token              permanent
 *   -ENOENT    repository or commit not found            permanent
 *   -EFBIG     clone_max_size exceeded                   permanent
 *   -EPROTO    the result is not the requested commit    permanent
 *              (or the ref's tip, fetched instead, is another commit)
 *   -ETIMEDOUT clone_timeout exceeded                    temporary
 *   -EIO       anything else (network, server 5xx)       temporary
 */
int clone_fetch(const char *dir, const struct clone_opts *o, char *why, size_t whylen);

/* Whether a clone_fetch error is worth retrying. */
int clone_error_temporary(int err);

#endif
