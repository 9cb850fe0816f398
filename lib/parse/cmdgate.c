/* cmdgate.c - the command gate of a fix's work tree; see cmdgate.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmdgate.h"
#include "util.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -EPERM)

/* How a program's operands are checked. */
enum operands {
	OP_PATHS,		/* every operand a path */
	OP_PATTERN_PATHS,	/* grep: a pattern (unless -e), then paths */
	OP_SED,			/* sed -n: a print script, then paths */
	OP_GIT,			/* a subcommand, then revisions and paths */
};

struct program {
	const char *name;
	const char *binary;
	const char *flags;		/* short options without a value, combinable */
	const char *valued;		/* short options with a value (the next argument) */
	const char *const *long_opts;	/* "--name" or "--name=" (a glob value) */
	enum operands operands;
	int min_paths, max_paths;	/* -1: any number */
};

static const char *const grep_long[] = { "--include=", "--exclude=", "--exclude-dir=",
					 "--color=never", NULL };
static const char *const no_long[] = { NULL };

static const struct program programs[] = {
	{ "git", "/usr/bin/git", "", "", no_long, OP_GIT, 0, -1 },
	{ "grep", "/usr/bin/grep", "niwlLcvHhFEGrIsq", "emABC", grep_long, OP_PATTERN_PATHS, 0, -1 },
	{ "sed", "/usr/bin/sed", "n", "", no_long, OP_SED, 1, -1 },
	{ "cat", "/usr/bin/cat", "", "", no_long, OP_PATHS, 1, -1 },
	{ "head", "/usr/bin/head", "", "n", no_long, OP_PATHS, 1, -1 },
	{ "tail", "/usr/bin/tail", "", "n", no_long, OP_PATHS, 1, -1 },
	{ "wc", "/usr/bin/wc", "lwc", "", no_long, OP_PATHS, 1, -1 },
	{ "ls", "/usr/bin/ls", "1alR", "", no_long, OP_PATHS, 0, -1 },
	{ "diff", "/usr/bin/diff", "u", "", no_long, OP_PATHS, 2, 2 },
};

static const char *const git_allowed[] = { "diff", "status", "log", "show", "ls-files", "grep",
					   "blame", NULL };
static const char *const git_denied[] = { "push", "remote", "config", "submodule", "fetch",
					  "pull", "clone", "daemon", "credential", "send-email",
					  "filter-branch", "hook", "archive", "bundle", NULL };
/* git options that run a program, write a file or leave the repository. */
static const char *const git_bad_opts[] = { "--output", "--ext-diff", "--textconv",
					    "--no-index", "--open-files-in-pager", "--exec",
					    "--upload-pack", "--receive-pack", "--config-env",
					    "--paginate", "--contents", "--ignore-revs-file",
					    "--orderfile", "--pathspec-from-file", "--git-dir",
					    "--work-tree", NULL };

static int listed(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

/* The shell operator in arg, or NULL. */
static const char *shell_operator(const char *arg)
{
	static const char *const ops[] = { "|", ";", "&", "`", "$(", "${", ">", "<", "\n", "\r",
					   NULL };

	for (const char *const *o = ops; *o; o++)
		if (strstr(arg, *o))
			return *o;
	for (const char *p = strchr(arg, '$'); p; p = strchr(p + 1, '$'))
		if (p[1] == '_' || (p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z'))
			return "$NAME";
	return NULL;
}

static int has_component(const char *path, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = path; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (!strncmp(p, name, n) && (p[n] == '/' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* The lexical rules for anything that names a place: a path or a glob. */
static int lexical(const char *path, const char *what, char *why, size_t whylen)
{
	if (!*path)
		return WHY("an empty %s is refused", what);
	if (path[0] == '/')
		return WHY("%s '%s' refused: absolute paths leave the work tree", what, path);
	if (path[0] == '~')
		return WHY("%s '%s' refused: '~' is not expanded and leaves the work tree", what, path);
	if (has_component(path, ".."))
		return WHY("%s '%s' refused: '..' leaves the work tree", what, path);
	if (has_component(path, ".git"))
		return WHY("%s '%s' refused: the repository's .git is not open to fixes", what, path);
	return 0;
}

int gate_open(int root_fd, const char *path, int flags, int mode)
{
	struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC), .mode = (unsigned)mode,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };

	return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}

int gate_path(int root_fd, const char *path, int may_create, char *why, size_t whylen)
{
	char *dir;
	int fd, r = lexical(path, "path", why, whylen);

	if (r < 0)
		return r;
	if (strlen(path) >= GATE_MAX_ARG || strchr(path, '*') || strchr(path, '?') ||
	    strchr(path, '['))
		return WHY("path '%.200s' refused: name files, globs are not expanded", path);
	fd = gate_open(root_fd, path, O_PATH, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ELOOP || errno == EXDEV)
		return WHY("path '%s' refused: it goes through a symlink or leaves the work tree",
			   path);
	if (errno != ENOENT || !may_create)
		return WHY("path '%s' refused: %s", path, errno == ENOENT ?
			   "no such file in the work tree" : strerror(errno));
	dir = xstrdup(path);
	*(strrchr(dir, '/') ? strrchr(dir, '/') : dir) = '\0';
	r = *dir ? gate_path(root_fd, dir, 0, why, whylen) : 0;
	free(dir);
	return r;
}

static int is_number(const char *s)
{
	int64_t v;

	return parse_i64(s, 0, 1000000000, &v) == 0;
}

/* "Np" or "N,Mp": sed -n's only script. */
static int sed_print_script(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return 0;
	if (*p == ',') {
		const char *q = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == q)
			return 0;
	}
	return !strcmp(p, "p");
}

/* A git argument before "--" that is no option: a revision, else a path. */
static int git_revision_or_path(int root_fd, const char *arg, char *why, size_t whylen)
{
	char pwhy[256];

	if (gate_path(root_fd, arg, 0, pwhy, sizeof(pwhy)) == 0)
		return 0;
	if (strchr(arg, '/') || has_component(arg, ".."))
		return WHY("%s", pwhy);
	for (const char *p = arg; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_.~^@:,-", *p))
			return WHY("git argument '%.200s' refused: neither a revision nor a path "
				   "in the work tree", arg);
	return 0;
}

static int git_option(const char *sub, const char *opt, char *why, size_t whylen)
{
	size_t n = strcspn(opt, "=");

	for (const char *const *b = git_bad_opts; *b; b++)
		if (strlen(*b) == n && !strncmp(opt, *b, n))
			return WHY("git %s %s refused: it runs a program, writes a file or leaves "
				   "the repository", sub, *b);
	if (!strcmp(sub, "grep") && (opt[1] == 'O' || !strcmp(opt, "-f")))
		return WHY("git grep %s refused: it runs a program or reads another file", opt);
	if (!strncmp(opt, "--", 2) && strcspn(opt + 2, "=") == 0)
		return WHY("git option '%s' refused", opt);
	for (const char *p = opt + 1 + (opt[1] == '-'); *p && *p != '='; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
			    *p))
			return WHY("git option '%.100s' refused", opt);
	if (strchr(opt, '=') && !strncmp(opt, "--", 2)) {
		const char *v = strchr(opt, '=') + 1;

		if (v[0] == '/' || has_component(v, ".."))
			return WHY("git option '%.200s' refused: its value leaves the work tree",
				   opt);
	}
	return 0;
}

static int check_git(int root_fd, char *const argv[], char *why, size_t whylen)
{
	const char *sub = argv[1];
	int paths = 0, pattern = 0, r;

	if (!sub)
		return WHY("git without a subcommand is refused");
	if (sub[0] == '-')
		return WHY("git options before the subcommand are refused (%.100s): they change "
			   "git's configuration or where it runs", sub);
	if (listed(git_denied, sub))
		return WHY("git %s is denied: fixes do not reach remotes, configuration or other "
			   "repositories", sub);
	if (!listed(git_allowed, sub))
		return WHY("git %.100s is not allowed; allowed: diff, status, log, show, ls-files, "
			   "grep, blame", sub);
	for (int i = 2; argv[i]; i++) {
		const char *a = argv[i];

		r = 0;
		if (paths) {
			r = gate_path(root_fd, a, 0, why, whylen);
		} else if (!strcmp(a, "--")) {
			paths = 1;
		} else if (a[0] == '-' && a[1]) {
			r = git_option(sub, a, why, whylen);
			if (r == 0 && !strcmp(a, "-e")) {	/* a pattern follows */
				if (!argv[++i])
					return WHY("git %s -e needs a pattern", sub);
				pattern = 1;
			}
		} else if (!strcmp(sub, "grep") && !pattern) {
			pattern = 1;	/* git grep's pattern: any text the checks let by */
		} else {
			r = git_revision_or_path(root_fd, a, why, whylen);
		}
		if (r < 0)
			return r;
	}
	if (!strcmp(sub, "grep") && !pattern)
		return WHY("git grep needs a pattern");
	return 0;
}

/* A short option cluster ("-rn") or a valued one ("-m", "-m5"); *skip: the value is next. */
static int short_option(const struct program *pg, const char *a, int *skip, int *has_pattern,
			char *why, size_t whylen)
{
	for (const char *p = a + 1; *p; p++) {
		if (strchr(pg->flags, *p))
			continue;
		if (strchr(pg->valued, *p)) {
			if (*p == 'e')
				*has_pattern = 1;
			if (p[1] == '\0')
				*skip = 1;
			else if (*p != 'e' && !is_number(p + 1))
				return WHY("%s -%c takes a number, not '%.100s'", pg->name, *p, p + 1);
			return 0;
		}
		return WHY("%s option -%c is not allowed", pg->name, *p);
	}
	return 0;
}

static int long_option(const struct program *pg, const char *a, char *why, size_t whylen)
{
	for (const char *const *l = pg->long_opts; *l; l++) {
		size_t n = strlen(*l);

		if ((*l)[n - 1] == '=' && !strncmp(a, *l, n))
			return lexical(a + n, "glob", why, whylen);
		if (!strcmp(a, *l))
			return 0;
	}
	return WHY("%s option '%.100s' is not allowed", pg->name, a);
}

static int check_program(const struct program *pg, int root_fd, char *const argv[],
			 char *why, size_t whylen)
{
	int has_pattern = 0, dashdash = 0, paths = 0, r = 0;
	const char *script = NULL;

	for (int i = 1; argv[i]; i++) {
		const char *a = argv[i];
		int skip = 0;

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
		} else if (!dashdash && a[0] == '-' && a[1] == '-') {
			r = long_option(pg, a, why, whylen);
		} else if (!dashdash && a[0] == '-' && a[1]) {
			r = short_option(pg, a, &skip, &has_pattern, why, whylen);
			if (r == 0 && skip) {
				const char *v = argv[++i];
				char o = a[strlen(a) - 1];

				if (!v)
					return WHY("%s -%c needs a value", pg->name, o);
				if (o != 'e' && !is_number(v))
					return WHY("%s -%c takes a number, not '%.100s'", pg->name, o, v);
			}
		} else if (pg->operands == OP_PATTERN_PATHS && !has_pattern) {
			has_pattern = 1;	/* the pattern: any text the checks above let by */
		} else if (pg->operands == OP_SED && !script) {
			script = a;
			if (!sed_print_script(a))
				return WHY("sed script '%.100s' refused: only 'Np' or 'N,Mp' with -n", a);
		} else {
			r = gate_path(root_fd, a, 0, why, whylen);
			paths++;
		}
		if (r < 0)
			return r;
	}
	if (pg->operands == OP_SED && (!script || strcmp(argv[1], "-n")))
		return WHY("sed is allowed only as: sed -n 'N,Mp' FILE");
	if (pg->operands == OP_PATTERN_PATHS && !has_pattern)
		return WHY("%s needs a pattern", pg->name);
	if (paths < pg->min_paths || (pg->max_paths >= 0 && paths > pg->max_paths))
		return WHY("%s takes %d%s path%s", pg->name, pg->min_paths,
			   pg->max_paths < 0 ? " or more" : "", pg->max_paths == 1 ? "" : "s");
	return 0;
}

/* What every word of a command must be: short, without a shell operator or a '!' escape. */
static int argument_check(const char *arg, char *why, size_t whylen)
{
	const char *op;

	if (strlen(arg) >= GATE_MAX_ARG)
		return WHY("an argument longer than %d bytes", GATE_MAX_ARG);
	if ((op = shell_operator(arg)))
		return WHY("shell operator '%s' refused in '%.100s': commands run without "
			   "a shell, one at a time", op[0] == '\n' ? "\\n" : op[0] == '\r' ?
			   "\\r" : op, arg);
	if (arg[0] == '!')
		return WHY("'%.100s' refused: '!' escapes run a shell", arg);
	return 0;
}

/* Whether argv starts with the test command's words. */
static int test_prefix(const struct gate_test *t, char *const argv[])
{
	for (int i = 0; t->gt_words[i]; i++)
		if (!argv[i] || strcmp(argv[i], t->gt_words[i]))
			return 0;
	return 1;
}

/* After the test command's words: paths in the work tree only. */
static int check_test(int root_fd, const struct gate_test *t, char *const argv[],
		      const char **binary, char *why, size_t whylen)
{
	int i = 0;

	while (t->gt_words[i])
		i++;
	for (; argv[i]; i++) {
		if (argv[i][0] == '-')
			return WHY("test command argument '%.100s' refused: only paths in the work "
				   "tree may follow '%s'", argv[i], t->gt_line);
		if (gate_path(root_fd, argv[i], 0, why, whylen) < 0)
			return -EPERM;
	}
	*binary = t->gt_binary;
	return 0;
}

/* An executable regular file at path, or -EINVAL with why. */
static int test_executable(const char *path, const char *name, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return snprintf(why, whylen, "program '%.200s' is not an executable file%s", name,
				strchr(name, '/') ? "" : " in /usr/bin or /bin"), -EINVAL;
	return 0;
}

/* The test command's program as the sandbox has it: /usr/bin/NAME, /bin/NAME or /usr/..., /bin/... */
static int test_resolve(const char *name, char **binary, char *why, size_t whylen)
{
	static const char *const dirs[] = { "/usr/bin/", "/bin/" };

	if (strchr(name, '/')) {
		if (strncmp(name, "/usr/", 5) && strncmp(name, "/bin/", 5))
			return snprintf(why, whylen, "program '%.200s' refused: name it, or give an "
					"absolute path under /usr or /bin (all the sandbox has)",
					name), -EINVAL;
		if (has_component(name, ".."))
			return snprintf(why, whylen, "program '%.200s' refused: '..'", name), -EINVAL;
		if (test_executable(name, name, why, whylen) < 0)
			return -EINVAL;
		*binary = xstrdup(name);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *p = xasprintf("%s%s", dirs[i], name);

		if (test_executable(p, name, why, whylen) == 0) {
			*binary = p;
			return 0;
		}
		free(p);
	}
	return -EINVAL;
}

void gate_test_release(struct gate_test *t)
{
	if (!t)
		return;
	for (int i = 0; t->gt_words[i]; i++)
		free(t->gt_words[i]);
	free(t->gt_binary);
	free(t->gt_line);
	memset(t, 0, sizeof(*t));
}

int gate_test_set(struct gate_test *t, char *const words[], char *why, size_t whylen)
{
	size_t len = 0;
	int n;

	memset(t, 0, sizeof(*t));
	for (n = 0; words[n]; n++) {
		if (n >= GATE_TEST_WORDS)
			return snprintf(why, whylen, "more than %d words", GATE_TEST_WORDS), -EINVAL;
		if (!*words[n])
			return snprintf(why, whylen, "an empty word"), -EINVAL;
		if (argument_check(words[n], why, whylen) < 0)
			return -EINVAL;
		len += strlen(words[n]) + 1;
	}
	if (n == 0)
		return 0;
	if (test_resolve(words[0], &t->gt_binary, why, whylen) < 0)
		return -EINVAL;
	t->gt_line = xmalloc(len);
	t->gt_line[0] = '\0';
	for (int i = 0; i < n; i++) {
		t->gt_words[i] = xstrdup(words[i]);
		if (i)
			strcat(t->gt_line, " ");
		strcat(t->gt_line, words[i]);
	}
	return 0;
}

int gate_test_parse(struct gate_test *t, const char *line, char *why, size_t whylen)
{
	char *copy = xstrdup(line), *words[GATE_TEST_WORDS + 2], *save = NULL;
	int n = 0, r;

	for (char *w = strtok_r(copy, " \t", &save); w && n <= GATE_TEST_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	words[n] = NULL;
	r = gate_test_set(t, words, why, whylen);
	free(copy);
	return r;
}

int gate_check(int root_fd, const struct gate_test *test, char *const argv[],
	       const char **binary, char *why, size_t whylen)
{
	const struct program *pg = NULL;
	int n, has_test;

	*binary = NULL;
	for (n = 0; argv[n]; n++) {
		if (n >= GATE_MAX_ARGS)
			return WHY("more than %d arguments", GATE_MAX_ARGS);
		if (argument_check(argv[n], why, whylen) < 0)
			return -EPERM;
	}
	if (n == 0)
		return WHY("an empty command");
	has_test = test && test->gt_words[0];
	if (has_test && test_prefix(test, argv))
		return check_test(root_fd, test, argv, binary, why, whylen);
	for (size_t i = 0; i < ARRAY_SIZE(programs); i++)
		if (!strcmp(programs[i].name, argv[0]))
			pg = &programs[i];
	if (has_test && !pg && !strcmp(argv[0], test->gt_words[0]))
		return WHY("'%.100s' runs only as the test command '%s', optionally followed by "
			   "paths in the work tree", argv[0], test->gt_line);
	if (strchr(argv[0], '/'))
		return WHY("'%.100s' refused: programs are named, not given by path", argv[0]);
	if (!pg)
		return WHY("'%.100s' is not allowed; allowed: git, grep, sed -n, cat, head, tail, "
			   "wc, ls, diff%s%s%s", argv[0], has_test ? " and the test command '" : "",
			   has_test ? test->gt_line : "", has_test ? "'" : "");
	n = pg->operands == OP_GIT ? check_git(root_fd, argv, why, whylen)
				   : check_program(pg, root_fd, argv, why, whylen);
	if (n == 0)
		*binary = pg->binary;
	return n;
}
