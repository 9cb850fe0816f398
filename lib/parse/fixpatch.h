/*
 * fixpatch.h - what the host accepts of a fix written in the sandbox,
 * decided on the host from git's own listing of the change, and the name
 * of the branch it is proposed on.
 *
 * The change is listed with `git diff --cached --raw -z --no-renames HEAD`
 * and `git diff --cached --numstat -z --no-renames HEAD` after adding the
 * whole work tree to a private index.  Accepted are only regular files
 * (mode 100644, or 100755 kept as it was) added, modified or deleted,
 * inside the repository: no symlink, submodule or mode change, no binary
 * file, nothing under .git or of git's own files (.gitmodules,
 * .gitattributes), no CI workflow file unless allowed, and within the
 * limits.
 */
#ifndef LETHE_FIXPATCH_H
#define LETHE_FIXPATCH_H

#include <stddef.h>
#include <stdint.h>

struct fixpatch_limits {
	int max_files;
	int64_t max_bytes;		/* of the patch text */
	int allow_workflows;
};

struct fixpatch_summary {
	int files, added, modified, deleted;
	int64_t lines_added, lines_deleted;
};

/* 0 when the change may be proposed; -EPERM with why (naming the path) otherwise. */
int fixpatch_check(const char *raw, size_t rawlen, const char *numstat, size_t numlen,
		   int64_t patch_bytes, const struct fixpatch_limits *l,
		   struct fixpatch_summary *s, char *why, size_t whylen);

/* Whether path is a CI workflow file (GitHub, GitLab, Gitea, Forgejo, Bitbucket, ...). */
int fixpatch_is_workflow(const char *path);

/*
 * Whether name is the branch of a fix of finding: exactly
 * "lethe/fix-<finding>-<n>", both decimal without leading zeros, n from 1
 * to 9999 (every such name is also a valid git ref name).  0 or -EINVAL
 * with why.
 */
int fixpatch_branch_check(const char *name, int64_t finding, char *why, size_t whylen);

#endif
