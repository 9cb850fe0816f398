/*
 * an-walk.c - list files of the workspace for scanners that take a file
 * list: never following symbolic links, skipping .git, and stopping at
 * limits on depth, entries, files and argument bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "an.h"
#include "util.h"

#define WALK_DEPTH 64
#define WALK_ENTRIES 200000
#define FILES_MAX 5000
#define ARGS_BYTES (1u << 20)

struct walk {
	struct an_argv *argv;
	an_want_fn *want;
	void *data;
	size_t entries, files, bytes;
	bool full;
};

bool an_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

static void walk_dir(struct walk *w, int dfd, const char *rel, int depth);

static void walk_entry(struct walk *w, int dfd, const char *rel, const char *name,
		       int depth)
{
	_cleanup_free_ char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
	struct stat st;
	int sub;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (S_ISDIR(st.st_mode) && strcmp(name, ".git") != 0) {
		sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			walk_dir(w, sub, path, depth + 1);	/* closes sub */
	} else if (S_ISREG(st.st_mode) && w->want(dfd, name, w->data)) {
		w->bytes += strlen(path) + 1;
		if (++w->files > FILES_MAX || w->bytes > ARGS_BYTES)
			w->full = true;
		else
			an_argv_add(w->argv, path);
	}
}

static void walk_dir(struct walk *w, int dfd, const char *rel, int depth)
{
	DIR *d = depth > WALK_DEPTH ? NULL : fdopendir(dfd);
	struct dirent *e;

	if (!d) {
		w->full = w->full || depth > WALK_DEPTH;
		close(dfd);
		return;
	}
	while (!w->full && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++w->entries > WALK_ENTRIES)
			w->full = true;
		else
			walk_entry(w, dirfd(d), rel, e->d_name, depth);
	}
	closedir(d);
}

int an_walk(const struct an_ctx *ctx, an_want_fn *want, void *data,
	    struct an_argv *argv)
{
	struct walk w = { .argv = argv, .want = want, .data = data };
	int dfd = openat(ctx->wsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	walk_dir(&w, dfd, "", 0);	/* closes dfd */
	return w.full ? -E2BIG : 0;
}
