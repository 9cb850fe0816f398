/* cmdgate_test.c - every rule of the command gate, allowed and refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdgate.h"
#include "tap.h"
#include "util.h"

static char tree[] = "/tmp/lethe-cmdgate-test.XXXXXX";
static int root = -1;

/* One case: argv (NULL-ended), and NULL when it must pass or what the refusal must say. */
struct gcase {
	const char *argv[12];
	const char *refusal;
};

static const struct gcase cases[] = {
	/* allowed */
	{ { "git", "diff", NULL }, NULL },
	{ { "git", "diff", "--stat", "HEAD", "--", "app.py", NULL }, NULL },
	{ { "git", "status", "--short", NULL }, NULL },
	{ { "git", "log", "-n", "3", "--format=%h %s", "HEAD~1..HEAD", NULL }, NULL },
	{ { "git", "show", "HEAD:app.py", NULL }, NULL },
	{ { "git", "ls-files", "src", NULL }, NULL },
	{ { "git", "grep", "-n", "shell=True", "--", "src/a.c", NULL }, NULL },
	{ { "git", "grep", "-e", "subprocess call", NULL }, NULL },
	{ { "git", "blame", "-L", "1,5", "app.py", NULL }, NULL },
	{ { "grep", "-rn", "subprocess", ".", NULL }, NULL },
	{ { "grep", "-n", "-e", "-x", "--include=*.py", "app.py", NULL }, NULL },
	{ { "grep", "-m", "5", "-C2", "os.system$", "src", NULL }, NULL },
	{ { "sed", "-n", "1,20p", "app.py", NULL }, NULL },
	{ { "sed", "-n", "7p", "src/a.c", NULL }, NULL },
	{ { "cat", "app.py", "src/a.c", NULL }, NULL },
	{ { "head", "-n", "5", "app.py", NULL }, NULL },
	{ { "tail", "-n20", "app.py", NULL }, NULL },
	{ { "wc", "-l", "app.py", NULL }, NULL },
	{ { "ls", NULL }, NULL },
	{ { "ls", "-la", "src", NULL }, NULL },
	{ { "diff", "-u", "app.py", "src/a.c", NULL }, NULL },
	/* programs */
	{ { "curl", "http://127.0.0.1/", NULL }, "'curl' is not allowed" },
	{ { "wget", "-O-", "x", NULL }, "'wget' is not allowed" },
	{ { "sh", "-c", "id", NULL }, "'sh' is not allowed" },
	{ { "bash", "-c", "id", NULL }, "'bash' is not allowed" },
	{ { "python3", "-c", "print(1)", NULL }, "'python3' is not allowed" },
	{ { "env", "git", "status", NULL }, "'env' is not allowed" },
	{ { "/usr/bin/git", "status", NULL }, "named, not given by path" },
	{ { "./app.py", NULL }, "named, not given by path" },
	{ { "nc", "127.0.0.1", "5432", NULL }, "'nc' is not allowed" },
	{ { NULL }, "an empty command" },
	/* git */
	{ { "git", NULL }, "without a subcommand" },
	{ { "git", "push", "origin", "HEAD", NULL }, "git push is denied" },
	{ { "git", "remote", "add", "x", "http://evil.example/", NULL }, "git remote is denied" },
	{ { "git", "config", "core.pager", "sh", NULL }, "git config is denied" },
	{ { "git", "submodule", "update", NULL }, "git submodule is denied" },
	{ { "git", "fetch", NULL }, "git fetch is denied" },
	{ { "git", "clone", "http://x/", NULL }, "git clone is denied" },
	{ { "git", "commit", "-m", "x", NULL }, "git commit is not allowed" },
	{ { "git", "checkout", "main", NULL }, "git checkout is not allowed" },
	{ { "git", "-c", "core.pager=sh -c id", "log", NULL }, "options before the subcommand" },
	{ { "git", "-c", "core.pager=less", "log", NULL }, "options before the subcommand" },
	{ { "git", "-C", "/", "status", NULL }, "options before the subcommand" },
	{ { "git", "--exec-path=/tmp", "status", NULL }, "options before the subcommand" },
	{ { "git", "--git-dir=/x", "log", NULL }, "options before the subcommand" },
	{ { "git", "-p", "log", NULL }, "options before the subcommand" },
	{ { "git", "log", "--output=/tmp/x", NULL }, "git log --output refused" },
	{ { "git", "diff", "--output", "x", NULL }, "git diff --output refused" },
	{ { "git", "diff", "--ext-diff", NULL }, "--ext-diff refused" },
	{ { "git", "diff", "--textconv", NULL }, "--textconv refused" },
	{ { "git", "diff", "--no-index", "app.py", "/etc/passwd", NULL }, "--no-index refused" },
	{ { "git", "grep", "-Ovi", "x", NULL }, "git grep -Ovi refused" },
	{ { "git", "grep", "--open-files-in-pager=sh", "x", NULL }, "--open-files-in-pager refused" },
	{ { "git", "log", "--exec=id", NULL }, "--exec refused" },
	{ { "git", "log", "--upload-pack=id", NULL }, "--upload-pack refused" },
	{ { "git", "log", "--config-env=core.pager=X", NULL }, "--config-env refused" },
	{ { "git", "log", "--format=x", "--", "../x", NULL }, "'..' leaves the work tree" },
	{ { "git", "show", "HEAD:../../etc/passwd", NULL }, "'..' leaves the work tree" },
	{ { "git", "log", "/etc/passwd", NULL }, "absolute paths" },
	{ { "git", "log", "--", ".git/config", NULL }, ".git is not open" },
	{ { "git", "log", "--", "link", NULL }, "through a symlink" },
	{ { "git", "log", "--", "nosuch.py", NULL }, "no such file" },
	{ { "git", "log", "!id", NULL }, "'!' escapes" },
	{ { "git", "log", "rev*", NULL }, "neither a revision nor a path" },
	{ { "git", "log", "--=x", NULL }, "git option '--=x' refused" },
	{ { "git", "grep", NULL }, "git grep needs a pattern" },
	{ { "git", "grep", "-e", NULL }, "needs a pattern" },
	/* shell operators, in any argument */
	{ { "grep", "x", "app.py", "|", "sh", NULL }, "shell operator '|'" },
	{ { "grep", "a|b", "app.py", NULL }, "shell operator '|'" },
	{ { "cat", "app.py;id", NULL }, "shell operator ';'" },
	{ { "cat", "app.py", "&", NULL }, "shell operator '&'" },
	{ { "cat", "`id`", NULL }, "shell operator '`'" },
	{ { "cat", "$(id)", NULL }, "shell operator '$('" },
	{ { "cat", "${HOME}", NULL }, "shell operator '${'" },
	{ { "cat", "$HOME/.ssh/id_rsa", NULL }, "shell operator '$NAME'" },
	{ { "cat", "app.py", ">", "out", NULL }, "shell operator '>'" },
	{ { "cat", ">>app.py", NULL }, "shell operator '>'" },
	{ { "cat", "<app.py", NULL }, "shell operator '<'" },
	{ { "grep", "x\nid", "app.py", NULL }, "shell operator '\\n'" },
	{ { "ls", "!", NULL }, "'!' escapes" },
	/* paths */
	{ { "cat", "/proc/self/environ", NULL }, "absolute paths" },
	{ { "cat", "/etc/shadow", NULL }, "absolute paths" },
	{ { "ls", "/", NULL }, "absolute paths" },
	{ { "cat", "../secret", NULL }, "'..' leaves the work tree" },
	{ { "cat", "src/../../x", NULL }, "'..' leaves the work tree" },
	{ { "cat", "~/.netrc", NULL }, "'~' is not expanded" },
	{ { "cat", ".git/config", NULL }, ".git is not open" },
	{ { "ls", ".git/hooks", NULL }, ".git is not open" },
	{ { "cat", "src/.git", NULL }, ".git is not open" },
	{ { "cat", "link/passwd", NULL }, "through a symlink" },
	{ { "cat", "inlink", NULL }, "through a symlink" },
	{ { "cat", "nosuch", NULL }, "no such file" },
	{ { "cat", "*.py", NULL }, "globs are not expanded" },
	{ { "cat", "", NULL }, "an empty path" },
	{ { "grep", "-r", "x", "--include=../*", ".", NULL }, "glob '../*' refused" },
	{ { "grep", "-r", "x", "--exclude=/etc/*", ".", NULL }, "absolute paths" },
	/* options */
	{ { "grep", "-R", "x", ".", NULL }, "grep option -R is not allowed" },
	{ { "grep", "-f", "/etc/passwd", "app.py", NULL }, "grep option -f is not allowed" },
	{ { "grep", "--file=x", "app.py", NULL }, "grep option '--file=x' is not allowed" },
	{ { "grep", "-m", "x", "y", "app.py", NULL }, "grep -m takes a number" },
	{ { "grep", "-mx", "y", "app.py", NULL }, "grep -m takes a number" },
	{ { "grep", "-m", NULL }, "grep -m needs a value" },
	{ { "grep", "-n", NULL }, "grep needs a pattern" },
	{ { "sed", "-i", "s/a/b/", "app.py", NULL }, "sed option -i is not allowed" },
	{ { "sed", "-n", "1e id", "app.py", NULL }, "only 'Np' or 'N,Mp'" },
	{ { "sed", "-n", "1w out", "app.py", NULL }, "only 'Np' or 'N,Mp'" },
	{ { "sed", "-n", "1,/x/p", "app.py", NULL }, "only 'Np' or 'N,Mp'" },
	{ { "sed", "1p", "app.py", NULL }, "sed is allowed only as" },
	{ { "sed", "-n", "1p", NULL }, "sed takes 1 or more paths" },
	{ { "cat", NULL }, "cat takes 1 or more paths" },
	{ { "cat", "-v", "app.py", NULL }, "cat option -v is not allowed" },
	{ { "head", "-c", "5", "app.py", NULL }, "head option -c is not allowed" },
	{ { "tail", "-f", "app.py", NULL }, "tail option -f is not allowed" },
	{ { "ls", "--color=always", NULL }, "ls option '--color=always' is not allowed" },
	{ { "diff", "app.py", NULL }, "diff takes 2 paths" },
};

/* With the test command "make -s check" set. */
static const struct gcase test_cases_on[] = {
	{ { "make", "-s", "check", NULL }, NULL },
	{ { "make", "-s", "check", "app.py", "src", NULL }, NULL },
	{ { "git", "diff", NULL }, NULL },
	{ { "make", "-s", "check", "-k", NULL }, "test command argument '-k' refused" },
	{ { "make", "-s", "check", "--eval=x", NULL }, "only paths in the work tree may follow" },
	{ { "make", "-s", "check", "V=1", NULL }, "no such file" },
	{ { "make", "-s", "check", "../x", NULL }, "'..' leaves the work tree" },
	{ { "make", "-s", "check", "/etc/passwd", NULL }, "absolute paths" },
	{ { "make", "-s", "check", ".git/config", NULL }, ".git is not open" },
	{ { "make", "-s", "check", ";", "id", NULL }, "shell operator ';'" },
	{ { "make", "-s", "check", "app.py|sh", NULL }, "shell operator '|'" },
	{ { "make", "-s", NULL }, "runs only as the test command 'make -s check'" },
	{ { "make", "-C", "/", "-s", "check", NULL }, "runs only as the test command" },
	{ { "make", "-s", "install", NULL }, "runs only as the test command" },
	{ { "/usr/bin/make", "-s", "check", NULL }, "named, not given by path" },
	{ { "curl", "x", NULL }, "and the test command 'make -s check'" },
};

/* Without a test command, the same command is one more program not allowed. */
static const struct gcase test_cases_off[] = {
	{ { "make", "-s", "check", NULL }, "'make' is not allowed" },
	{ { "python3", "-m", "unittest", NULL }, "'python3' is not allowed" },
};

static void mkfile(const char *path, const char *text)
{
	char *p = xasprintf("%s/%s", tree, path);

	if (write_file_atomic(p, text, strlen(text), 0644) < 0)
		abort();
	free(p);
}

static void setup(void)
{
	char *p;

	if (!mkdtemp(tree))
		abort();
	mkfile("app.py", "import os\nos.system(cmd)\n");
	p = xasprintf("%s/src", tree);
	if (mkdir(p, 0755) < 0)
		abort();
	free(p);
	mkfile("src/a.c", "int main(void) { return 0; }\n");
	p = xasprintf("%s/.git", tree);
	if (mkdir(p, 0755) < 0)
		abort();
	free(p);
	mkfile(".git/config", "[core]\n");
	p = xasprintf("%s/link", tree);
	if (symlink("/etc", p) < 0)
		abort();
	free(p);
	p = xasprintf("%s/inlink", tree);
	if (symlink("app.py", p) < 0)
		abort();
	free(p);
	root = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		abort();
}

static void describe(const char *const *argv, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; argv[i] && used + 1 < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " " : "", argv[i]);
	if (!argv[0])
		snprintf(out, n, "(empty)");
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '#')
			*c = '?';
}

static void run_cases(const struct gcase *cases_, size_t n, const struct gate_test *test,
		      const char *label)
{
	for (size_t i = 0; i < n; i++) {
		const struct gcase *c = &cases_[i];
		const char *bin = NULL;
		char why[512] = "", what[300];
		int r = gate_check(root, test, (char *const *)c->argv, &bin, why, sizeof(why));

		describe(c->argv, what, sizeof(what));
		if (!c->refusal) {
			ok(r == 0 && bin && bin[0] == '/' && !strcmp(strrchr(bin, '/') + 1, c->argv[0]),
			   "allowed%s: %s", label, what);
		} else {
			ok(r == -EPERM && !bin && strstr(why, c->refusal), "refused%s: %s", label, what);
		}
		if ((r == 0) != !c->refusal || (c->refusal && !strstr(why, c->refusal)))
			diag("got %d '%s'", r, why);
	}
}

static void test_cases(void)
{
	struct gate_test t;
	char why[256];

	run_cases(cases, ARRAY_SIZE(cases), NULL, "");
	if (gate_test_parse(&t, "make -s check", why, sizeof(why)) < 0) {
		diag("%s", why);
		abort();
	}
	run_cases(test_cases_on, ARRAY_SIZE(test_cases_on), &t, " with the test command");
	gate_test_release(&t);
	run_cases(test_cases_off, ARRAY_SIZE(test_cases_off), &t, " without a test command");
	run_cases(test_cases_off, ARRAY_SIZE(test_cases_off), NULL, " without a test command");
}

/* fix_test_command's line: NULL when it must be taken, else what the refusal must say. */
struct tcase {
	const char *line;
	const char *refusal;
};

static const struct tcase test_lines[] = {
	{ "make check", NULL },
	{ "  make\t -s   check ", NULL },
	{ "/usr/bin/make check", NULL },
	{ "python3 -m unittest", NULL },
	{ "make check;id", "shell operator ';'" },
	{ "make check | tee x", "shell operator '|'" },
	{ "make $HOME", "shell operator '$NAME'" },
	{ "make `id`", "shell operator '`'" },
	{ "!make check", "'!' escapes" },
	{ "./run-tests", "name it, or give an absolute path under /usr or /bin" },
	{ "tests/run", "name it, or give an absolute path" },
	{ "/opt/venv/bin/pytest", "absolute path under /usr or /bin" },
	{ "/usr/bin/../../tmp/x", "'..'" },
	{ "/usr/share", "not an executable file" },
	{ "lethe-no-such-program", "not an executable file in /usr/bin or /bin" },
	{ "make 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "more than 16 words" },
};

static void test_commands(void)
{
	struct gate_test t;
	char why[256];

	for (size_t i = 0; i < ARRAY_SIZE(test_lines); i++) {
		const struct tcase *c = &test_lines[i];
		int r;

		why[0] = '\0';
		r = gate_test_parse(&t, c->line, why, sizeof(why));
		if (!c->refusal)
			ok(r == 0 && t.gt_binary && t.gt_binary[0] == '/' && t.gt_words[0] &&
			   !strcmp(strrchr(t.gt_binary, '/') + 1, strrchr(t.gt_words[0], '/') ?
				   strrchr(t.gt_words[0], '/') + 1 : t.gt_words[0]),
			   "test command taken: '%s'", c->line);
		else
			ok(r == -EINVAL && !t.gt_words[0] && !t.gt_binary && strstr(why, c->refusal),
			   "test command refused: '%s'", c->line);
		if ((r == 0) != !c->refusal || (c->refusal && !strstr(why, c->refusal)))
			diag("got %d '%s'", r, why);
		gate_test_release(&t);
	}
	ok(gate_test_parse(&t, "", why, sizeof(why)) == 0 && !t.gt_words[0], "empty: none");
	ok(gate_test_parse(&t, "  \t ", why, sizeof(why)) == 0 && !t.gt_words[0], "blank: none");
	ok(gate_test_parse(&t, "  make\t -s   check ", why, sizeof(why)) == 0 &&
	   !strcmp(t.gt_line, "make -s check") && !strcmp(t.gt_words[2], "check") &&
	   !t.gt_words[3], "words split at spaces and tabs");
	gate_test_release(&t);
	gate_test_release(NULL);
}

static void test_paths(void)
{
	char why[256];

	ok(gate_path(root, "src/new.c", 1, why, sizeof(why)) == 0,
	   "a new file in a directory that is there may be created");
	ok(gate_path(root, "new.c", 1, why, sizeof(why)) == 0, "and at the top");
	ok(gate_path(root, "nodir/new.c", 1, why, sizeof(why)) == -EPERM && strstr(why, "no such file"),
	   "not in a directory that is not there");
	ok(gate_path(root, "link/new.c", 1, why, sizeof(why)) == -EPERM && strstr(why, "symlink"),
	   "nor through a symlink");
	ok(gate_path(root, ".git/hooks/post-checkout", 1, why, sizeof(why)) == -EPERM &&
	   strstr(why, ".git"), "nor in .git");
	ok(gate_path(root, "new.c", 0, why, sizeof(why)) == -EPERM, "to read, a file must be there");
}

static void test_limits(void)
{
	const char *argv[GATE_MAX_ARGS + 2], *bin;
	char why[256], *big = xmalloc(GATE_MAX_ARG + 1);

	argv[0] = "cat";
	for (int i = 1; i <= GATE_MAX_ARGS; i++)
		argv[i] = "app.py";
	argv[GATE_MAX_ARGS + 1] = NULL;
	ok(gate_check(root, NULL, (char *const *)argv, &bin, why, sizeof(why)) == -EPERM &&
	   strstr(why, "more than"), "more than %d arguments are refused", GATE_MAX_ARGS);
	memset(big, 'a', GATE_MAX_ARG);
	big[GATE_MAX_ARG] = '\0';
	argv[1] = big;
	argv[2] = NULL;
	ok(gate_check(root, NULL, (char *const *)argv, &bin, why, sizeof(why)) == -EPERM &&
	   strstr(why, "longer than"), "an argument of %d bytes is refused", GATE_MAX_ARG);
	free(big);
}

int main(void)
{
	char *cmd;

	setup();
	test_cases();
	test_commands();
	test_paths();
	test_limits();
	close(root);
	cmd = xasprintf("rm -rf '%s'", tree);
	if (system(cmd) != 0)
		diag("unable to remove '%s'", tree);
	free(cmd);
	return done_testing();
}
