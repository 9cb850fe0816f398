/*
 * fixdiff.h - a fix's change, listed on the host from the tree the sandbox
 * wrote, against the clone's own .git, which the sandbox never saw.
 *
 * Every git process runs with GIT_DIR (that .git), GIT_WORK_TREE (the
 * tree), a private GIT_INDEX_FILE, an empty environment but for PATH,
 * HOME, LC_ALL=C, no system or global configuration, hooks, fsmonitor and
 * external diff or text conversion drivers off, stdin /dev/null, in the
 * tree, killed past the time limit:
 *   git read-tree HEAD; git add -A
 *   git diff --cached --raw -z --no-renames HEAD        (raw)
 *   git diff --cached --numstat -z --no-renames HEAD    (numstat)
 *   git diff --cached --binary --full-index --no-renames HEAD  (patch)
 * The lists are fixpatch_check()'s input; the patch, which holds code, is
 * kept in locked memory and zeroed on release.
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

/*
 * List the change of tree against HEAD of gitdir.  home is git's HOME, index
 * a path for the private index; the patch may hold max_patch bytes.  0, or
 * -EFBIG (the patch is larger), -ETIMEDOUT, -EIO with why (one line, never
 * git's output).
 */
int fixdiff_list(const char *gitdir, const char *tree, const char *index, const char *home,
		 int64_t max_patch, int64_t timeout_secs, struct fixdiff *d, char *why,
		 size_t whylen);
void fixdiff_release(struct fixdiff *d);

/* Copy the directory src to dst (cp -a); 0 or a negative errno. */
int fixdiff_copy(const char *src, const char *dst);

#endif
