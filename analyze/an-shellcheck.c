/*
 * an-shellcheck.c - find the shell scripts (*.sh, *.bash, or a sh/bash/
 * dash/ksh shebang) and convert shellcheck's json1 report to results.
 *
 * The walk never follows symbolic links, skips .git, and stops at limits on
 * depth, entries and scripts (the run is then incomplete: "file limit").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "an.h"
#include "util.h"

#define WALK_DEPTH 64
#define WALK_ENTRIES 200000
#define SCRIPTS_MAX 5000
#define ARGS_BYTES (1u << 20)

struct walk {
	struct an_argv *argv;
	size_t entries, bytes;
	bool full;
};

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* Does the first line name a shell shellcheck knows? */
static bool shell_shebang(const char *line)
{
	static const char *const shells[] = { "sh", "bash", "dash", "ksh" };
	char prog[64], arg[64] = "";
	const char *base;

	if (strncmp(line, "#!", 2) != 0 || sscanf(line + 2, " %63s %63s", prog, arg) < 1)
		return false;
	base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	if (strcmp(base, "env") == 0)
		base = arg;	/* #!/usr/bin/env bash */
	for (size_t i = 0; i < ARRAY_SIZE(shells); i++)
		if (strcmp(base, shells[i]) == 0)
			return true;
	return false;
}

static bool is_script(int dfd, const char *name)
{
	char head[128];
	ssize_t n;
	int fd;

	if (has_suffix(name, ".sh") || has_suffix(name, ".bash"))
		return true;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n <= 2)
		return false;
	head[n] = '\0';
	head[strcspn(head, "\n")] = '\0';
	return shell_shebang(head);
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
	} else if (S_ISREG(st.st_mode) && is_script(dfd, name)) {
		w->bytes += strlen(path) + 1;
		if (w->argv->n >= SCRIPTS_MAX || w->bytes > ARGS_BYTES)
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

int an_shellcheck_build(const struct an_ctx *ctx, struct an_argv *argv,
			struct sarif_run *run)
{
	static const char *const args[] = { "shellcheck", "-f", "json1", "-S", "style",
					    "--norc", "--" };
	struct walk w = { .argv = argv };
	int dfd = openat(ctx->wsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		an_argv_add(argv, args[i]);
	walk_dir(&w, dfd, "", 0);
	if (w.full)
		sarif_run_fail(run, "file limit");
	return argv->n == ARRAY_SIZE(args) ? 1 : 0;	/* 1: no script to check */
}

static const char *shellcheck_level(const char *level)
{
	if (level && strcmp(level, "error") == 0)
		return "error";
	if (level && strcmp(level, "warning") == 0)
		return "warning";
	return "note";	/* info, style */
}

static void shellcheck_result(const struct an_ctx *ctx, struct sarif_run *run,
			      json_object *c)
{
	int code = an_json_int(c, "code"), end = an_json_int(c, "endLine");
	int col = an_json_int(c, "column");
	_cleanup_free_ char *rule = code >= 0 ? xasprintf("SC%d", code) : NULL;
	const char *msg = an_json_str(c, "message");
	struct sarif_result *r;

	r = an_result_add(ctx, run, run->tool, rule, an_json_str(c, "file"),
			  an_json_int(c, "line"));
	if (!r)
		return;
	r->level = xstrdup(shellcheck_level(an_json_str(c, "level")));
	r->message = sarif_clean_text(msg ? msg : "(no message)", SARIF_MESSAGE_MAX);
	r->end_line = end >= r->start_line ? end : r->start_line;
	r->start_column = col > 0 && r->start_line > 0 ? col : 0;
}

int an_shellcheck_convert(const struct an_ctx *ctx, const char *out, size_t len,
			  struct sarif_run *run)
{
	json_object *doc, *comments;
	int r = an_json_parse(out, len, &doc);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(doc, "comments", &comments) ||
	    !json_object_is_type(comments, json_type_array)) {
		json_object_put(doc);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(comments); i++)
		shellcheck_result(ctx, run, json_object_array_get_idx(comments, i));
	json_object_put(doc);
	return 0;
}
