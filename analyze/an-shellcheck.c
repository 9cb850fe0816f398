/*
 * an-shellcheck.c - find the shell scripts (*.sh, *.bash, or a sh/bash/
 * dash/ksh shebang) and convert shellcheck's json1 report to results.
 * When the walk stops at a limit (an-walk.c) the run is incomplete with
 * the reason "file limit".  Its messages name the script's variables and
 * commands: only the text Lethe keeps for the rule is kept (lib/parse/ruletext.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "an.h"
#include "ruletext.h"
#include "util.h"

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

static bool is_script(int dfd, const char *name, void *data)
{
	char head[128];
	ssize_t n;
	int fd;

	if (an_has_suffix(name, ".sh") || an_has_suffix(name, ".bash"))
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

int an_shellcheck_build(const struct an_ctx *ctx, struct an_argv *argv,
			struct sarif_run *run)
{
	static const char *const args[] = { "shellcheck", "-f", "json1", "-S", "style",
					    "--norc", "--" };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		an_argv_add(argv, args[i]);
	r = an_walk(ctx, is_script, NULL, argv);
	if (r == -E2BIG)
		sarif_run_fail(run, "file limit");
	else if (r < 0)
		return r;
	if (argv->n > ARRAY_SIZE(args))
		return 0;
	sarif_run_not_applicable(run, "no shell script");
	return 1;
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
	r->message = ruletext_message(run->tool, rule, msg);
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
