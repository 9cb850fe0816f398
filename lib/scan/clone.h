/*
 * clone.h - a depth=1 fetch of exactly one commit into an empty directory.
 *
 * Two ways to fetch, chosen at build time and then by clone_fetch (see
 * lethe.conf(5)):
 *
 * libgit2, in process, where libgit2 fetches shallow (1.7 and later; Debian
 * 12 gets 1.8 from bookworm-backports): an anonymous remote (nothing written
 * to .git/config), refspec SHA at depth 1 with no tags, redirects refused,
 * no proxy, the token handed to libgit2 (Basic: by a credential callback;
 * Bearer: as a custom Authorization header built in locked memory) and
 * never to a URL, the environment or a file; certificates checked by libgit2's
 * default verification; a transfer callback that aborts past co_max_size
 * bytes received or past the deadline; then every object of the commit's
 * tree is read and checked (hashes verified, names that checkout would
 * refuse or that point into .git refused, blob sizes summed against
 * co_max_size) before a checkout with filters off (no LFS, no ident, no
 * text conversion).  libgit2 runs no hooks and fetches no submodules.  It
 * sets process-wide libgit2 options: configuration search paths point at
 * co_home (no system or user configuration is read) and network timeouts
 * follow the deadline.
 *
 * git(1), for libgit2 before 1.7 or when chosen: fork/exec with a fixed
 * argv and no shell:
 *   git init --template= DIR
 *   git fetch --depth=1 --no-tags --no-recurse-submodules URL SHA
 *   git checkout --detach SHA
 * The token reaches only the fetch process, through its environment
 * (GIT_CONFIG_COUNT / http.extraHeader, an Authorization header of the
 * scheme co_auth names), never argv, a file or a log.  Every
 * git process gets an empty environment but for: PATH, HOME (co_home),
 * LC_ALL=C, GIT_TERMINAL_PROMPT=0, GIT_CONFIG_NOSYSTEM=1,
 * GIT_CONFIG_GLOBAL=/dev/null, GIT_LFS_SKIP_SMUDGE=1, GIT_ALLOW_PROTOCOL=
 * http:https and configuration core.hooksPath=/dev/null,
 * transfer.fsckObjects=true, submodule.recurse=false,
 * http.followRedirects=false, credential.helper= (none).  Each runs in a
 * process group of its own with RLIMIT_FSIZE; the caller's size and time
 * limits are watched and the group is killed when one is exceeded.
 *
 * Both: when the server will not serve a bare SHA (protocol v0 without
 * uploadpack.allowReachableSHA1InWant or allowAnySHA1InWant; libgit2
 * speaks only v0) the job's ref is fetched at depth 1 instead and its tip
 * must be SHA.  Afterwards libgit2 opens the result: HEAD must be SHA and
 * exactly one commit object may be present.
 */
#ifndef LETHE_CLONE_H
#define LETHE_CLONE_H

#include <stddef.h>
#include <stdint.h>

enum clone_method {
	CLONE_METHOD_AUTO,	/* libgit2 where built in, git(1) otherwise */
	CLONE_METHOD_LIBGIT2,
	CLONE_METHOD_GIT,
};

/* How the token is presented to the git server. */
enum clone_auth {
	CLONE_AUTH_BASIC,	/* Basic, user x-access-token, the token as password */
	CLONE_AUTH_BEARER,	/* Bearer TOKEN (Bitbucket Data Center HTTP access tokens) */
};

struct clone_opts {
	const char *co_url;	/* http:// or https:// */
	const char *co_sha;	/* 40 lowercase hex digits */
	const char *co_ref;	/* refs/heads/x or refs/pull/..; NULL: none */
	const char *co_token;	/* NULL: anonymous */
	size_t co_token_len;
	enum clone_auth co_auth;	/* how co_token is sent */
	const char *co_home;	/* an empty directory for HOME */
	int64_t co_timeout;	/* seconds, the whole clone */
	int64_t co_max_size;	/* bytes under dir */
	enum clone_method co_method;
	const char *co_pin;	/* "host:port:address" (target_pin): connect there
				 * only; NULL: resolve as usual */
};

/*
 * Fetch into dir (which must exist and be empty).  why gets one line on
 * error (never git's output, never the token).  Errors:
 *   -EINVAL    bad options (URL scheme, SHA, a Bearer   permanent
 *              token with bytes a header cannot carry)
 *   -EACCES    the server refused the token              permanent
 *   -ENOENT    repository or commit not found            permanent
 *   -EFBIG     clone_max_size exceeded                   permanent
 *   -EPROTO    the result is not the requested commit    permanent
 *              (or the ref's tip, fetched instead, is another commit)
 *   -ETIMEDOUT clone_timeout exceeded                    temporary
 *   -EIO       anything else (network, server 5xx)       temporary
 *   -ENOTSUP   co_method is libgit2 but this build has   permanent
 *              no in-process fetch
 */
int clone_fetch(const char *dir, const struct clone_opts *o, char *why, size_t whylen);

/*
 * "auto", "libgit2" or "git" (the clone_fetch key) into *out; -EINVAL for
 * another word, -ENOTSUP for libgit2 in a build without it.
 */
int clone_method_parse(const char *s, enum clone_method *out);

/* Whether this build fetches in process (libgit2 1.7 or later). */
int clone_has_libgit2(void);

/*
 * "libgit2" or "git": what clone_fetch uses for o in this build (auto:
 * libgit2 where built, but git for a Bearer token).
 */
const char *clone_method_name(const struct clone_opts *o);

/* Whether a clone_fetch error is worth retrying. */
int clone_error_temporary(int err);

#endif
