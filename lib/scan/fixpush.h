/*
 * fixpush.h - the host's push of an approved fix: the commit the patch was
 * written against, fetched again into an empty directory of the encrypted
 * volume, the patch applied and committed there, and the result pushed as
 * a new branch.  Only ever with a separately scoped write token (GitHub:
 * GITHUB_FIX), after a person approved the fix (DESIGN.md invariant 6).
 *
 * Every git process runs as clone_fetch runs them (clone.h: a fixed argv,
 * no shell, an empty environment but for the fixed variables, no hooks,
 * the size and time limits watched):
 *   git check-ref-format refs/heads/BRANCH
 *   clone_fetch (method git) of SHA, at depth 1, into DIR
 *   git -C DIR apply --index --whitespace=nowarn            the patch on stdin
 *   git -C DIR -c user.name=.. -c user.email=.. commit -q --no-verify -F -
 *                                                           the message on stdin
 *   git -C DIR push -q --no-verify --force-with-lease=refs/heads/BRANCH: URL
 *       HEAD:refs/heads/BRANCH
 * The lease with an empty expected value makes the push create-only: a
 * branch that exists (whatever it holds) is never overwritten.  The token
 * reaches only the fetch and the push, through their environment
 * (GIT_CONFIG_COUNT / http.extraHeader), never argv, a file or a log; the
 * patch and the message reach git through a socket on its stdin, never a
 * file.  Nothing git says is kept: it may quote the patch.
 */
#ifndef LETHE_FIXPUSH_H
#define LETHE_FIXPUSH_H

#include <stddef.h>
#include <stdint.h>

#include "clone.h"

#define FIXPUSH_MESSAGE_MAX 65536	/* bytes of the commit message */
#define FIXPUSH_NAME "Lethe"		/* author and committer unless fp_name says */
#define FIXPUSH_EMAIL "lethe@localhost"

struct fixpush_opts {
	const char *fp_dir;		/* an empty directory on the encrypted volume */
	const char *fp_url;		/* the clone URL, http:// or https:// */
	const char *fp_sha;		/* the commit the patch was written against */
	const char *fp_ref;		/* the job's ref (refs/heads/x); NULL: none */
	const char *fp_token;		/* the write token; never NULL */
	size_t fp_token_len;
	enum clone_auth fp_auth;	/* how fp_token is sent (clone.h) */
	const char *fp_home;		/* an empty directory for HOME */
	int64_t fp_timeout;		/* seconds, the whole push */
	int64_t fp_max_size;		/* bytes under fp_dir */
	const char *fp_pin;		/* co_pin of clone.h; NULL: none */
	const char *fp_patch;		/* the unified diff (git diff --cached --binary HEAD) */
	size_t fp_patch_len;
	const char *fp_branch;		/* the new branch, without refs/heads/ */
	const char *fp_message;		/* the commit message */
	const char *fp_name;		/* author and committer; NULL: FIXPUSH_NAME */
	const char *fp_email;		/* NULL: FIXPUSH_EMAIL */
};

/*
 * Push the fix; why gets one line on error (never git's output, never the
 * token).  The caller checks the branch's name against its fix
 * (fixpatch_branch_check) and removes fp_dir afterwards.  Errors:
 *   -EINVAL    bad options, a branch git check-ref-format     permanent
 *              refuses, a message or identity that is not one
 *   -EEXIST    the branch exists on the server                permanent
 *   -EACCES    the server refused the token (401, 403)        permanent
 *   -ENOEXEC   the patch does not apply to the commit         permanent
 *   -ENOENT, -EFBIG, -EPROTO, -ETIMEDOUT, -ENOTSUP            as clone_fetch
 *   -EIO       anything else (network, server 5xx)            temporary
 * clone_error_temporary() tells which to retry.
 */
int fixpush_run(const struct fixpush_opts *o, char *why, size_t whylen);

/* The fetch of o's commit, as fixpush_run makes it (method git). */
void fixpush_clone_opts(const struct fixpush_opts *o, struct clone_opts *co);

#endif
