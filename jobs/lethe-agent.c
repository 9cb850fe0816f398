/*
 * lethe-agent - the one program of a fix's sandbox: a tool loop with the
 * model, reached only through lethe-llm-proxy's socket, over the work tree.
 *
 * The conversation starts from the finding alone (its tool, rule, Lethe's
 * text of the rule, path and line, and the admin's instruction if any),
 * read from the task file; it never holds a credential, a URL or anything
 * of another repository.  The model's tools:
 *
 *   list {path}                 a directory's entries
 *   read {path, start, end}     lines of a file (at most READ_LINES)
 *   search {pattern, path}      lines matching an extended regex, under path
 *   edit {path, old, new}       replace the one occurrence of old (old ""
 *                               creates a file that is not there)
 *   run {argv}                  a command through the gate (lib/parse/cmdgate.c),
 *                               without a shell; the repository's test command
 *                               too when the task names one (fix_test_command)
 *   done {summary}              the fix is written
 *
 * Every path goes through gate_path(): inside the work tree, no "..",
 * no ".git", no symlink.  Every refusal goes back to the model as the
 * tool's error and is counted.  At the end one JSON line on standard
 * output: outcome, turns, tool calls, refusals, edits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cmdgate.h"
#include "ruletext.h"
#include "sandboxed.h"
#include "util.h"

#define READ_LINES    400
#define TOOL_OUT_MAX  (64u << 10)	/* bytes of one tool result */
#define FILE_MAX      (1u << 20)	/* bytes of a file read, searched or edited */
#define SEARCH_HITS   200
#define LIST_MAX      500
#define ANSWER_MAX    (8u << 20)
#define RUN_TIMEOUT_MS 60000
#define MAX_TURNS     100

#define USAGE "usage: lethe-agent --socket PATH --tree DIR --task FILE\n"

struct agent {
	const char *socket_path;
	int root;
	struct gate_test test;	/* the task's test_command; empty: none */
	int turns, calls, refusals, edits;
	int finished;
};

/* --- the proxy --- */

static int proxy_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* POST body; the answer's status and JSON (caller puts), or -1. */
static int chat(const struct agent *a, const char *body, json_object **answer)
{
	char *head = xasprintf("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
			       "Content-Type: application/json\r\nContent-Length: %zu\r\n"
			       "Connection: close\r\n\r\n", strlen(body));
	size_t len = 0, cap = 65536;
	char *buf = xmalloc(cap + 1), *p;
	int fd = proxy_connect(a->socket_path), status = -1;
	ssize_t k;

	*answer = NULL;
	if (fd < 0 || write_all(fd, head, strlen(head)) < 0 || write_all(fd, body, strlen(body)) < 0)
		goto out;
	while ((k = read(fd, buf + len, cap - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto out;
		len += (size_t)k;
		if (len == cap) {
			if (cap >= ANSWER_MAX)
				goto out;
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !(p = strstr(buf, "\r\n\r\n"))) {
		status = -1;
		goto out;
	}
	*answer = json_tokener_parse(p + 4);
out:
	if (fd >= 0)
		close(fd);
	free(head);
	free(buf);
	return status;
}

/* --- the tools --- */

static const char *arg_str(json_object *args, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t arg_int(json_object *args, const char *key, int64_t def)
{
	json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

/* A tool's result text: the caller's buffer grows up to TOOL_OUT_MAX. */
struct out {
	char *s;
	size_t len;
	int full;
};

__attribute__((format(printf, 2, 3)))
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (o->len + (size_t)n > TOOL_OUT_MAX) {
		o->full = 1;
		n = (int)strlen("[output cut]\n");
		free(line);
		line = xstrdup("[output cut]\n");
	}
	o->s = xrealloc(o->s, o->len + (size_t)n + 1);
	memcpy(o->s + o->len, line, (size_t)n + 1);
	o->len += (size_t)n;
	free(line);
}

/* A refusal: the tool's error, counted. */
static char *refused(struct agent *a, const char *why)
{
	a->refusals++;
	return xasprintf("error: %s", why);
}

/* The whole regular file at path (gate-checked) into *text, NUL-terminated. */
static int file_load(struct agent *a, const char *path, char **text, size_t *len, char *why,
		     size_t whylen)
{
	struct stat st;
	int fd, r;

	if (gate_path(a->root, path, 0, why, whylen) < 0)
		return -EPERM;
	fd = gate_open(a->root, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		snprintf(why, whylen, "'%s' is not a regular file of at most %u bytes", path, FILE_MAX);
		if (fd >= 0)
			close(fd);
		return -EPERM;
	}
	*text = xmalloc((size_t)st.st_size + 1);
	*len = 0;
	while (*len < (size_t)st.st_size &&
	       (r = (int)read(fd, *text + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)r;
	(*text)[*len] = '\0';
	close(fd);
	return 0;
}

static char *tool_read(struct agent *a, json_object *args)
{
	const char *path = arg_str(args, "path");
	int64_t start = arg_int(args, "start", 1), end = arg_int(args, "end", start + 99);
	struct out o = { 0 };
	char why[512], *text;
	size_t len;
	int64_t n = 1;

	if (!path)
		return refused(a, "read needs a path");
	if (file_load(a, path, &text, &len, why, sizeof(why)) < 0)
		return refused(a, why);
	if (start < 1 || end < start || end - start >= READ_LINES) {
		free(text);
		return refused(a, "read takes start <= end, at most 400 lines");
	}
	for (char *p = text; *p && n <= end; n++) {
		char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (n >= start)
			out_add(&o, "%lld: %.*s\n", (long long)n, (int)l, p);
		p += l + (nl != NULL);
	}
	free(text);
	if (!o.s)
		out_add(&o, "(no such lines)\n");
	return o.s;
}

static char *tool_list(struct agent *a, json_object *args)
{
	const char *path = arg_str(args, "path");
	struct out o = { 0 };
	struct dirent *d;
	char why[512];
	DIR *dir;
	int fd, n = 0;

	if (!path || !strcmp(path, "") || !strcmp(path, "."))
		fd = dup(a->root);
	else if (gate_path(a->root, path, 0, why, sizeof(why)) < 0)
		return refused(a, why);
	else
		fd = gate_open(a->root, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return refused(a, "not a directory of the work tree");
	}
	while ((d = readdir(dir)) && n < LIST_MAX) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") || !strcmp(d->d_name, ".git"))
			continue;
		out_add(&o, "%s%s\n", d->d_name, d->d_type == DT_DIR ? "/" :
			d->d_type == DT_LNK ? " (symlink)" : "");
		n++;
	}
	closedir(dir);
	if (!o.s)
		out_add(&o, "(empty)\n");
	return o.s;
}

static void search_file(struct agent *a, const regex_t *re, const char *path, struct out *o,
			int *hits)
{
	char why[512], *text = NULL;
	size_t len;
	int n = 1;

	if (file_load(a, path, &text, &len, why, sizeof(why)) < 0)
		return;
	if (memchr(text, '\0', len)) {	/* binary */
		free(text);
		return;
	}
	for (char *p = text; *p && *hits < SEARCH_HITS; n++) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (regexec(re, p, 0, NULL, 0) == 0) {
			out_add(o, "%s:%d: %.300s\n", path, n, p);
			++*hits;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(text);
}

static void search_dir(struct agent *a, const regex_t *re, const char *path, struct out *o,
		       int *hits, int depth)
{
	int fd = *path ? gate_open(a->root, path, O_RDONLY | O_DIRECTORY, 0) : dup(a->root);
	struct dirent *d;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((d = readdir(dir)) && *hits < SEARCH_HITS && !o->full) {
		char *sub;

		if (d->d_name[0] == '.' && (!d->d_name[1] || !strcmp(d->d_name, "..") ||
					    !strcmp(d->d_name, ".git")))
			continue;
		sub = *path ? xasprintf("%s/%s", path, d->d_name) : xstrdup(d->d_name);
		if (d->d_type == DT_DIR && depth < 32)
			search_dir(a, re, sub, o, hits, depth + 1);
		else if (d->d_type == DT_REG)
			search_file(a, re, sub, o, hits);
		free(sub);
	}
	closedir(dir);
}

static char *tool_search(struct agent *a, json_object *args)
{
	const char *pattern = arg_str(args, "pattern"), *path = arg_str(args, "path");
	struct out o = { 0 };
	struct stat st;
	char why[512];
	regex_t re;
	int hits = 0, fd;

	if (!pattern || strlen(pattern) > 1000)
		return refused(a, "search needs a pattern of at most 1000 bytes");
	if (path && (!strcmp(path, ".") || !*path))
		path = NULL;
	if (path && gate_path(a->root, path, 0, why, sizeof(why)) < 0)
		return refused(a, why);
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return refused(a, "the pattern is not an extended regular expression");
	fd = path ? gate_open(a->root, path, O_PATH, 0) : -1;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		search_file(a, &re, path, &o, &hits);
	else
		search_dir(a, &re, path ? path : "", &o, &hits, 0);
	if (fd >= 0)
		close(fd);
	regfree(&re);
	if (!o.s)
		out_add(&o, "(no match)\n");
	return o.s;
}

static char *tool_edit(struct agent *a, json_object *args)
{
	const char *path = arg_str(args, "path"), *old = arg_str(args, "old"),
		   *new = arg_str(args, "new");
	char why[512], *text = NULL, *at, *result;
	size_t len = 0, rlen;
	int fd, r;

	if (!path || !old || !new)
		return refused(a, "edit needs path, old and new");
	if (!*old) {	/* a new file */
		if (gate_path(a->root, path, 1, why, sizeof(why)) < 0)
			return refused(a, why);
		fd = gate_open(a->root, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
		if (fd < 0)
			return refused(a, "the file is there already: give old text to replace");
		r = write_all(fd, new, strlen(new));
		close(fd);
		a->edits++;
		return xstrdup(r < 0 ? "error: unable to write" : "created");
	}
	if (file_load(a, path, &text, &len, why, sizeof(why)) < 0)
		return refused(a, why);
	at = strstr(text, old);
	if (!at || strstr(at + 1, old)) {
		free(text);
		return refused(a, at ? "old occurs more than once: give more context"
				  : "old does not occur in the file");
	}
	rlen = len - strlen(old) + strlen(new);
	if (rlen > FILE_MAX) {
		free(text);
		return refused(a, "the file would pass 1 MiB");
	}
	result = xasprintf("%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
	fd = gate_open(a->root, path, O_WRONLY | O_TRUNC | O_NOFOLLOW, 0);
	r = fd < 0 ? -1 : write_all(fd, result, rlen);
	if (fd >= 0)
		close(fd);
	free(text);
	free(result);
	if (r < 0)
		return xstrdup("error: unable to write");
	a->edits++;
	return xstrdup("replaced");
}

/* The environment of a command: nothing of ours. */
static char *const run_env[] = {
	"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=/nonexistent", "TERM=dumb",
	"GIT_PAGER=cat", "PAGER=cat", "PYTHONDONTWRITEBYTECODE=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "GIT_CONFIG_COUNT=1",
	"GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=*", NULL,
};

static void run_child(int root, int out, const char *bin, char **argv)
{
	int devnull = open("/dev/null", O_RDONLY);

	/* A group of its own, so that a timeout kills what it started too. */
	if (setpgid(0, 0) < 0 || fchdir(root) < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0)
		_exit(127);
	execve(bin, argv, run_env);
	_exit(127);
}

static char *tool_run(struct agent *a, json_object *args)
{
	json_object *av;
	char *argv[GATE_MAX_ARGS + 2], why[512], buf[4096];
	struct out o = { 0 };
	const char *bin;
	int p[2], status = 0, n;
	int64_t deadline = mono_usec() / 1000 + RUN_TIMEOUT_MS;
	pid_t pid;

	if (!json_object_object_get_ex(args, "argv", &av) || !json_object_is_type(av, json_type_array))
		return refused(a, "run needs argv, an array of strings (no shell)");
	n = (int)json_object_array_length(av);
	if (n == 0 || n > GATE_MAX_ARGS)
		return refused(a, "run takes 1 to 64 arguments");
	for (int i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(av, (size_t)i);

		if (!json_object_is_type(v, json_type_string))
			return refused(a, "every argument is a string");
		argv[i] = (char *)json_object_get_string(v);
	}
	argv[n] = NULL;
	if (gate_check(a->root, &a->test, argv, &bin, why, sizeof(why)) < 0)
		return refused(a, why);
	if (pipe2(p, O_CLOEXEC) < 0)
		return xstrdup("error: unable to run");
	pid = fork();
	if (pid == 0)
		run_child(a->root, p[1], bin, argv);
	if (pid > 0)
		setpgid(pid, pid);	/* as the child does: whichever runs first */
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = deadline - mono_usec() / 1000;
		ssize_t k;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			out_add(&o, "[killed after %d s]\n", RUN_TIMEOUT_MS / 1000);
			break;
		}
		k = read(p[0], buf, sizeof(buf));
		if (k <= 0)
			break;
		out_add(&o, "%.*s", (int)k, buf);
	}
	close(p[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0)
		kill(-pid, SIGKILL);	/* what it left running */
	out_add(&o, "[exit status %d]\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return o.s;
}

static char *tool_call(struct agent *a, const char *name, const char *arguments)
{
	json_object *args = json_tokener_parse(arguments ? arguments : "");
	char *r;

	a->calls++;
	if (!json_object_is_type(args, json_type_object))
		r = refused(a, "the arguments are not a JSON object");
	else if (!strcmp(name, "read"))
		r = tool_read(a, args);
	else if (!strcmp(name, "list"))
		r = tool_list(a, args);
	else if (!strcmp(name, "search"))
		r = tool_search(a, args);
	else if (!strcmp(name, "edit"))
		r = tool_edit(a, args);
	else if (!strcmp(name, "run"))
		r = tool_run(a, args);
	else if (!strcmp(name, "done")) {
		a->finished = 1;
		r = xstrdup("ok");
	} else
		r = refused(a, "no such tool; the tools are list, read, search, edit, run, done");
	json_object_put(args);
	return r;
}

/* --- the conversation --- */

static json_object *tool_def(const char *name, const char *desc, const char *params)
{
	json_object *t = json_object_new_object(), *f = json_object_new_object();

	json_object_object_add(t, "type", json_object_new_string("function"));
	json_object_object_add(f, "name", json_object_new_string(name));
	json_object_object_add(f, "description", json_object_new_string(desc));
	json_object_object_add(f, "parameters", json_tokener_parse(params));
	json_object_object_add(t, "function", f);
	return t;
}

/* The run tool's description: the gate's programs, and the test command if any. */
static char *run_description(const struct gate_test *test)
{
	json_object *words = json_object_new_array();
	char *d;

	for (int i = 0; test->gt_words[i]; i++)
		json_object_array_add(words, json_object_new_string(test->gt_words[i]));
	d = xasprintf("Run a command without a shell: git diff, status, log, show, grep, ls-files, "
		      "blame; grep; sed -n 'N,Mp'; cat; head; tail; wc; ls; diff.%s%s%s",
		      test->gt_words[0] ? " The repository's tests: exactly the argv " : "",
		      test->gt_words[0] ? json_object_to_json_string_ext(words, JSON_C_TO_STRING_PLAIN)
					: "",
		      test->gt_words[0] ? ", optionally followed by paths in the repository." : "");
	json_object_put(words);
	return d;
}

static json_object *tools(const struct gate_test *test)
{
	json_object *t = json_object_new_array();
	char *run = run_description(test);

#define STR "{\"type\":\"string\"}"
#define INT "{\"type\":\"integer\"}"
#define OBJ(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req "]}"
	json_object_array_add(t, tool_def("list", "List a directory of the repository.",
					  OBJ("\"path\":" STR, "")));
	json_object_array_add(t, tool_def("read", "Read lines start to end (at most 400) of a file.",
					  OBJ("\"path\":" STR ",\"start\":" INT ",\"end\":" INT,
					      "\"path\"")));
	json_object_array_add(t, tool_def("search", "Lines matching an extended regular "
					  "expression, in a file or under a directory.",
					  OBJ("\"pattern\":" STR ",\"path\":" STR, "\"pattern\"")));
	json_object_array_add(t, tool_def("edit", "Replace the one occurrence of old by new in a "
					  "file; old empty creates a new file.",
					  OBJ("\"path\":" STR ",\"old\":" STR ",\"new\":" STR,
					      "\"path\",\"old\",\"new\"")));
	json_object_array_add(t, tool_def("run", run,
					  OBJ("\"argv\":{\"type\":\"array\",\"items\":" STR "}",
					      "\"argv\"")));
	json_object_array_add(t, tool_def("done", "The fix is written.",
					  OBJ("\"summary\":" STR, "")));
#undef STR
#undef INT
#undef OBJ
	free(run);
	return t;
}

static json_object *message(const char *role, const char *content)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "role", json_object_new_string(role));
	json_object_object_add(m, "content", json_object_new_string(content));
	return m;
}

/* The conversation's start, from the task (the finding) alone. */
static json_object *opening(json_object *task)
{
	const char *tool = arg_str(task, "tool"), *rule = arg_str(task, "rule"),
		   *path = arg_str(task, "path"), *instr = arg_str(task, "instruction");
	json_object *msgs = json_object_new_array();
	char *text, *ask;

	if (!tool || !rule || !path)
		return NULL;
	text = ruletext_rule(tool, rule);
	ask = xasprintf("Finding: %s rule %s: %s\nFile: %s, line %lld.\n%s%s\n"
			"Change the code so that the finding no longer applies, keeping its "
			"behaviour; then call done.", tool, rule, text, path,
			(long long)arg_int(task, "line", 0), instr ? "Instruction: " : "",
			instr ? instr : "");
	json_object_array_add(msgs, message("system", "You fix one security finding in a "
					    "repository with the tools given. Make the smallest "
					    "change that removes the weakness."));
	json_object_array_add(msgs, message("user", ask));
	free(text);
	free(ask);
	return msgs;
}

/* The task's test_command, an array of words, into a->test: 0, or -1 with why. */
static int task_test(struct agent *a, json_object *task, char *why, size_t whylen)
{
	char *words[GATE_TEST_WORDS + 1];
	json_object *tc;
	size_t n;

	if (!json_object_object_get_ex(task, "test_command", &tc))
		return 0;
	n = json_object_is_type(tc, json_type_array) ? json_object_array_length(tc) : 0;
	if (n == 0 || n > GATE_TEST_WORDS)
		return snprintf(why, whylen, "not an array of 1 to %d words", GATE_TEST_WORDS), -1;
	for (size_t i = 0; i < n; i++) {
		json_object *w = json_object_array_get_idx(tc, i);

		if (!json_object_is_type(w, json_type_string))
			return snprintf(why, whylen, "a word is not a string"), -1;
		words[i] = (char *)json_object_get_string(w);
	}
	words[n] = NULL;
	return gate_test_set(&a->test, words, why, whylen) < 0 ? -1 : 0;
}

static const char *answer_error(json_object *answer)
{
	json_object *e, *m;

	if (json_object_object_get_ex(answer, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m))
		return json_object_get_string(m);
	return "no answer";
}

/* One turn: 1 to go on, 0 when the model is done, -1 on an error (why). */
static int turn(struct agent *a, json_object *msgs, json_object *tooldefs, char *why, size_t whylen)
{
	json_object *rq = json_object_new_object(), *answer, *choices, *msg, *calls;
	int status, n;

	json_object_object_add(rq, "model", json_object_new_string("lethe-fix"));
	json_object_object_add(rq, "messages", json_object_get(msgs));
	json_object_object_add(rq, "tools", json_object_get(tooldefs));
	status = chat(a, json_object_to_json_string_ext(rq, JSON_C_TO_STRING_PLAIN), &answer);
	json_object_put(rq);
	a->turns++;
	if (status != 200 || !json_object_object_get_ex(answer, "choices", &choices) ||
	    !(msg = json_object_array_get_idx(choices, 0)) ||
	    !json_object_object_get_ex(msg, "message", &msg)) {
		snprintf(why, whylen, "the proxy answered %d: %s", status, answer_error(answer));
		json_object_put(answer);
		return -1;
	}
	json_object_array_add(msgs, json_object_get(msg));
	n = json_object_object_get_ex(msg, "tool_calls", &calls) &&
	    json_object_is_type(calls, json_type_array) ? (int)json_object_array_length(calls) : 0;
	for (int i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(calls, (size_t)i), *f, *id, *name, *args;
		json_object *reply;
		char *result;

		if (!json_object_object_get_ex(c, "id", &id) ||
		    !json_object_object_get_ex(c, "function", &f) ||
		    !json_object_object_get_ex(f, "name", &name))
			continue;
		json_object_object_get_ex(f, "arguments", &args);
		result = tool_call(a, json_object_get_string(name), json_object_get_string(args));
		reply = message("tool", result);
		json_object_object_add(reply, "tool_call_id", json_object_get(id));
		json_object_array_add(msgs, reply);
		free(result);
	}
	json_object_put(answer);
	return n > 0 && !a->finished;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "tree", required_argument, NULL, 't' },
		{ "task", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tree = NULL, *task_file = NULL;
	struct agent a = { .root = -1 };
	json_object *task, *msgs, *defs;
	char why[512] = "", *text;
	size_t len;
	int c, r = 1;

	std_options(argc, argv, USAGE);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			a.socket_path = optarg;
		else if (c == 't')
			tree = optarg;
		else if (c == 'k')
			task_file = optarg;
		else {
			fputs(USAGE, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !a.socket_path || !tree || !task_file) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	a.root = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.root < 0 || read_file(task_file, 65536, &text, &len) < 0) {
		fprintf(stderr, "lethe-agent: unable to open the work tree or the task\n");
		return EXIT_PERMFAIL;
	}
	task = json_tokener_parse(text);
	free(text);
	msgs = opening(task);
	if (!msgs) {
		fprintf(stderr, "lethe-agent: the task names no tool, rule and path\n");
		return EXIT_PERMFAIL;
	}
	if (task_test(&a, task, why, sizeof(why)) < 0) {
		fprintf(stderr, "lethe-agent: the task's test_command is refused: %s\n", why);
		return EXIT_PERMFAIL;
	}
	defs = tools(&a.test);
	while (a.turns < MAX_TURNS && (r = turn(&a, msgs, defs, why, sizeof(why))) > 0)
		;
	if (r > 0)
		snprintf(why, sizeof(why), "%d turns without done", MAX_TURNS);
	printf("{\"outcome\":\"%s\",\"turns\":%d,\"tool_calls\":%d,\"refusals\":%d,\"edits\":%d}\n",
	       r == 0 ? "done" : "stopped", a.turns, a.calls, a.refusals, a.edits);
	if (r != 0)
		fprintf(stderr, "lethe-agent: stopped: %s\n", why);
	json_object_put(msgs);
	json_object_put(defs);
	json_object_put(task);
	gate_test_release(&a.test);
	close(a.root);
	return r == 0 ? EXIT_OK : EXIT_TEMPFAIL;
}
