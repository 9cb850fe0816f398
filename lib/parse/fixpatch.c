/* fixpatch.c - the checks of a fix's change and branch on the host; see fixpatch.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fixpatch.h"
#include "util.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -EPERM)

int fixpatch_is_workflow(const char *path)
{
	static const char *const dirs[] = { ".github/workflows/", ".github/actions/",
					    ".gitea/workflows/", ".gitea/actions/",
					    ".forgejo/workflows/", ".circleci/", ".buildkite/",
					    ".gitlab/ci/", NULL };
	static const char *const files[] = { ".gitlab-ci.yml", "bitbucket-pipelines.yml",
					     "azure-pipelines.yml", "Jenkinsfile", ".travis.yml",
					     ".drone.yml", ".woodpecker.yml", NULL };

	for (const char *const *d = dirs; *d; d++)
		if (!strncasecmp(path, *d, strlen(*d)))
			return 1;
	for (const char *const *f = files; *f; f++)
		if (!strcasecmp(path, *f))
			return 1;
	return !strncasecmp(path, ".woodpecker/", 12);
}

/* A component git or a checkout might take for .git: ".git", ".GIT.", "git~1". */
static int gitlike(const char *c, size_t n)
{
	size_t k = n;

	if (n == 5 && !strncasecmp(c, "git~1", 5))
		return 1;
	while (k > 4 && (c[k - 1] == '.' || c[k - 1] == ' '))
		k--;
	return k == 4 && !strncasecmp(c, ".git", 4);
}

static int path_check(const char *path, const struct fixpatch_limits *l, char *why, size_t whylen)
{
	const char *p = path;

	if (!*path || *path == '/')
		return WHY("'%.200s' refused: not a path inside the repository", path);
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f || *q == '\\')
			return WHY("'%.200s' refused: a control character or backslash in its name",
				   path);
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return WHY("'%.200s' refused: not a path inside the repository", path);
		if (gitlike(p, n))
			return WHY("'%.200s' refused: nothing under .git may change", path);
		if (!p[n])
			break;
		p += n + 1;
	}
	p = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!strcasecmp(p, ".gitmodules") || !strcasecmp(p, ".gitattributes"))
		return WHY("'%.200s' refused: git's own files may not change", path);
	if (!l->allow_workflows && fixpatch_is_workflow(path))
		return WHY("'%.200s' refused: CI workflow files may not change (fix_allow_workflows)",
			   path);
	return 0;
}

static int mode_check(const char *path, const char *from, const char *to, char status,
		      char *why, size_t whylen)
{
	int reg_from = !strcmp(from, "100644") || !strcmp(from, "100755");
	int reg_to = !strcmp(to, "100644") || !strcmp(to, "100755");

	if (status == 'A' && strcmp(to, "100644"))
		return WHY("'%.200s' refused: a new file must be a regular, non-executable file "
			   "(mode %s)", path, to);
	if (status == 'D' && !reg_from)
		return WHY("'%.200s' refused: only regular files may be deleted (mode %s)", path, from);
	if (status == 'M' && (!reg_from || !reg_to))
		return WHY("'%.200s' refused: not a regular file (mode %s)", path,
			   reg_from ? to : from);
	if (status == 'M' && strcmp(from, to))
		return WHY("'%.200s' refused: its mode changes (%s to %s)", path, from, to);
	if (status != 'A' && status != 'M' && status != 'D')
		return WHY("'%.200s' refused: change of kind %c (only files added, modified or "
			   "deleted)", path, status);
	return 0;
}

/* The binary files of a numstat listing: "-\t-\tpath\0" */
static int numstat_check(const char *ns, size_t len, struct fixpatch_summary *s, char *why,
			 size_t whylen)
{
	const char *p = ns, *end = ns + len;

	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		long long a, d;
		int n = 0;

		if (!z)
			return WHY("the numstat listing is cut");
		if (!strncmp(p, "-\t-\t", 4))
			return WHY("'%.200s' refused: binary files may not change", p + 4);
		if (sscanf(p, "%lld\t%lld\t%n", &a, &d, &n) != 2 || n == 0 || a < 0 || d < 0)
			return WHY("the numstat listing is malformed");
		s->lines_added += a;
		s->lines_deleted += d;
		p = z + 1;
	}
	return 0;
}

int fixpatch_check(const char *raw, size_t rawlen, const char *numstat, size_t numlen,
		   int64_t patch_bytes, const struct fixpatch_limits *l,
		   struct fixpatch_summary *s, char *why, size_t whylen)
{
	const char *p = raw, *end = raw + rawlen;
	int r;

	memset(s, 0, sizeof(*s));
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p)), *path;
		char from[8], to[8], st;

		if (!z || z + 1 >= end)
			return WHY("the change listing is cut");
		path = z + 1;
		if (sscanf(p, ":%7s %7s %*s %*s %c", from, to, &st) != 3)
			return WHY("the change listing is malformed");
		if (!memchr(path, '\0', (size_t)(end - path)))
			return WHY("the change listing is cut");
		r = path_check(path, l, why, whylen);
		if (r == 0)
			r = mode_check(path, from, to, st, why, whylen);
		if (r < 0)
			return r;
		s->files++;
		s->added += st == 'A';
		s->modified += st == 'M';
		s->deleted += st == 'D';
		p = path + strlen(path) + 1;
	}
	if (s->files == 0)
		return WHY("the fix changes nothing");
	if (s->files > l->max_files)
		return WHY("the fix changes %d files, more than %d", s->files, l->max_files);
	if (patch_bytes > l->max_bytes)
		return WHY("the patch has %lld bytes, more than %lld", (long long)patch_bytes,
			   (long long)l->max_bytes);
	return numstat_check(numstat, numlen, s, why, whylen);
}

static int decimal(const char **p, int64_t max, int64_t *v)
{
	const char *s = *p;

	*v = 0;
	if (*s < '1' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		*v = *v * 10 + (*s - '0');
		if (*v > max)
			return -1;
		s++;
	}
	*p = s;
	return 0;
}

int fixpatch_branch_check(const char *name, int64_t finding, char *why, size_t whylen)
{
	const char *p = name;
	int64_t f, n;

	if (strncmp(p, "lethe/fix-", 10))
		goto bad;
	p += 10;
	if (decimal(&p, INT64_MAX / 10, &f) < 0 || *p++ != '-' || decimal(&p, 9999, &n) < 0 || *p)
		goto bad;
	if (f != finding) {
		snprintf(why, whylen, "branch '%.100s' refused: it names finding %lld, not %lld",
			 name, (long long)f, (long long)finding);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(why, whylen, "branch '%.100s' refused: a fix's branch is lethe/fix-%lld-N "
		 "(N from 1 to 9999)", name, (long long)finding);
	return -EINVAL;
}
