/*
 * an-files.c - visit every regular file of the workspace, in name order,
 * never following a symlink out of it (the in-process analyzers' walk).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "an.h"
#include "util.h"

struct walk {
	const struct an_ctx *ctx;
	an_file_fn fn;
	void *arg;
	size_t files;
};

const char *an_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dirfd except ".", ".." and ".git", sorted; caller frees. */
static char **dir_names(int dirfd, size_t *n)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	char **names = NULL;
	size_t alloc = 0;

	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, ".git"))
			continue;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		names[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_names);
	return names;
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix, int depth);

static int walk_entry(struct walk *w, int dirfd, const char *prefix, const char *name,
		      int depth)
{
	_cleanup_free_ char *path = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
	struct stat st;
	int fd, r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISREG(st.st_mode)) {
		if (++w->files > AN_FILES_MAX)
			return -E2BIG;
		return w->fn(w->ctx, path, w->arg);
	}
	if (!S_ISDIR(st.st_mode) || depth >= AN_FILES_DEPTH)
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = walk_dir(w, fd, path, depth + 1);
	close(fd);
	return r;
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix, int depth)
{
	size_t n;
	char **names = dir_names(dirfd, &n);
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = walk_entry(w, dirfd, prefix, names[i], depth);
		free(names[i]);
	}
	free(names);
	return r;
}

int an_each_file(const struct an_ctx *ctx, an_file_fn fn, void *arg)
{
	struct walk w = { .ctx = ctx, .fn = fn, .arg = arg };
	int fd = openat(ctx->wsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = walk_dir(&w, fd, "", 0);
	close(fd);
	return r;
}

struct suffixes {
	const char *const *v;
	size_t n;
};

static int suffixed(const struct an_ctx *ctx, const char *path, void *arg)
{
	const struct suffixes *s = arg;

	for (size_t i = 0; i < s->n; i++)
		if (an_has_suffix(an_basename(path), s->v[i]))
			return -EEXIST;
	return 0;
}

int an_has_suffixed(const struct an_ctx *ctx, const char *const *suffixes, size_t n)
{
	struct suffixes s = { suffixes, n };
	int r = an_each_file(ctx, suffixed, &s);

	if (r == -EEXIST || r == -E2BIG)
		return 1;
	return r;
}
