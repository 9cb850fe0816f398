/*
 * fixdiff.h - a fix's change, listed on the host from the tree the sandbox
 * wrote, against the clone's own .git, which the sandbox never saw.
 *
 * Every git process runs as clone_fetch runs its steps (clone_int.h:
 * clone_git_run, an empty environment but for the fixed variables, no
 * system or global configuration, no hooks), with fsmonitor, the untracked
 * cache and external diff drivers off, and its time and size watched:
 *   git -C TREE --git-dir=GITDIR --work-tree=TREE read-tree HEAD
 *   ... add -A
 *   ... diff --cached --raw -z --no-renames HEAD        (raw)
 *   ... diff --cached --numstat -z --no-renames HEAD    (numstat)
 *   ... diff --cached --binary --full-index --no-renames --no-ext-diff
 *       --no-textconv HEAD                              (patch)
 * The index is GITDIR's own.  The listings are fixpatch_check()'s input;
 * the patch, which holds code, is kept in locked memory and zeroed on
 * release.
 */
#ifndef LETHE_FIXDIFF_H
#define LETHE_FIXDIFF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct fixdiff {
	char *raw, *numstat;
	size_t raw_len, numstat_len;
	struct secbuf patch;	/* locked, zeroed on release */
	size_t patch_len;
};

struct fixdiff_opts {
	const char *fo_gitdir;	/* the clone's .git, out of the sandbox's reach */
	const char *fo_tree;	/* the work tree the sandbox wrote */
	const char *fo_home;	/* git's HOME, an empty directory */
	const char *fo_volume;	/* the volume, whose use is watched */
	int64_t fo_max_size;	/* bytes the volume may hold */
	int64_t fo_max_patch;	/* bytes of the patch */
	int64_t fo_timeout;	/* seconds, the whole listing */
};

/*
 * List the change.  0, or -EFBIG (the patch or the volume is larger),
 * -ETIMEDOUT, -EIO with why (one line, never git's output).
 */
int fixdiff_list(const struct fixdiff_opts *o, struct fixdiff *d, char *why, size_t whylen);
void fixdiff_release(struct fixdiff *d);

/* Copy the directory src to dst (cp -a); 0 or a negative errno. */
int fixdiff_copy(const char *src, const char *dst);

#endif
