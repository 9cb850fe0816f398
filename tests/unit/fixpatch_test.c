/* fixpatch_test.c - what the host accepts of a fix, from git's real listings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixpatch.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/lethe-fixpatch-test.XXXXXX";
static const struct fixpatch_limits limits = { .max_files = 3, .max_bytes = 100000 };

/* Run "cd DIR && ..." through the shell (test code only): pre, then arg. */
static void sh(const char *pre, const char *arg)
{
	char *cmd = xasprintf("cd %s%s%s", dir, pre, arg);

	if (system(cmd) != 0) {
		diag("failed: %s", cmd);
		abort();
	}
	free(cmd);
}

/* The check of the change that cmd (run in a fresh copy of the commit) makes. */
static int change(const char *cmd, const struct fixpatch_limits *l, struct fixpatch_summary *s,
		  char *why, size_t whylen)
{
	char *raw = NULL, *ns = NULL, *p;
	size_t rl, nl;
	int r;

	char *c = xasprintf("%s && GIT_INDEX_FILE=../index git read-tree HEAD && "
			    "GIT_INDEX_FILE=../index git add -A && "
			    "GIT_INDEX_FILE=../index git diff --cached --raw -z --no-renames HEAD >../raw && "
			    "GIT_INDEX_FILE=../index git diff --cached --numstat -z --no-renames HEAD "
			    ">../numstat", cmd);

	sh("/repo && git reset -q --hard && git clean -fdqx && ", c);
	free(c);
	p = xasprintf("%s/raw", dir);
	if (read_file(p, 1 << 20, &raw, &rl) < 0)
		abort();
	free(p);
	p = xasprintf("%s/numstat", dir);
	if (read_file(p, 1 << 20, &ns, &nl) < 0)
		abort();
	free(p);
	r = fixpatch_check(raw, rl, ns, nl, 500, l, s, why, whylen);
	free(raw);
	free(ns);
	return r;
}

static int refused(const char *cmd, const char *want)
{
	struct fixpatch_summary s;
	char why[512] = "";
	int r = change(cmd, &limits, &s, why, sizeof(why));

	if (r != -EPERM || !strstr(why, want))
		diag("got %d '%s'", r, why);
	return r == -EPERM && strstr(why, want);
}

static void test_changes(void)
{
	struct fixpatch_summary s;
	struct fixpatch_limits wf = limits;
	char why[512];

	ok(change("sed -i 's/shell=True/shell=False/' app.py", &limits, &s, why, sizeof(why)) == 0 &&
	   s.files == 1 && s.modified == 1 && s.lines_added == 1 && s.lines_deleted == 1,
	   "a modified file is accepted, with its counts");
	ok(change("printf 'x = 1\\n' >sub/new.py", &limits, &s, why, sizeof(why)) == 0 &&
	   s.added == 1, "a new regular file is accepted");
	ok(change("rm app.py", &limits, &s, why, sizeof(why)) == 0 && s.deleted == 1,
	   "a deleted file is accepted");
	ok(change("echo '# more' >>run.sh", &limits, &s, why, sizeof(why)) == 0,
	   "an executable file changed, its mode kept, is accepted");
	ok(refused("true", "changes nothing"), "no change is refused");
	ok(refused("ln -s /etc/passwd link", "new file must be a regular"), "a new symlink is refused");
	ok(refused("ln -s ../../x sub/up", "mode 120000"), "a symlink up and out is refused");
	ok(refused("rm app.py && ln -s run.sh app.py", "change of kind T"),
	   "a file turned into a symlink is refused");
	ok(refused("rm old-link", "only regular files may be deleted"), "deleting a symlink is refused");
	ok(refused("chmod +x app.py", "its mode changes (100644 to 100755)"), "a mode change is refused");
	ok(refused("printf 'x\\n' >tool.sh && chmod +x tool.sh", "non-executable"),
	   "a new executable file is refused");
	ok(refused("printf 'a\\0b' >data.bin", "binary files may not change"), "a binary file is refused");
	ok(refused("echo '  - run: curl evil' >>.github/workflows/ci.yml", "CI workflow files"),
	   "a workflow change is refused");
	ok(refused("printf 'a: b\\n' >.gitlab-ci.yml", "CI workflow files"),
	   "a new GitLab CI file is refused");
	wf.allow_workflows = 1;
	ok(change("echo '# x' >>.github/workflows/ci.yml", &wf, &s, why, sizeof(why)) == 0,
	   "a workflow change is accepted when allowed");
	ok(refused("printf '[submodule \"x\"]\\n' >.gitmodules", "git's own files"),
	   ".gitmodules is refused");
	ok(refused("printf '* filter=x\\n' >sub/.gitattributes", "git's own files"),
	   ".gitattributes is refused");
	ok(refused("touch a b c d", "more than 3"), "more files than the limit are refused");
	wf = limits;
	wf.max_bytes = 10;
	ok(change("echo x >>app.py", &wf, &s, why, sizeof(why)) == -EPERM && strstr(why, "bytes"),
	   "a patch larger than the limit is refused");
}

/* Listings git would not make but a broken or hostile one could. */
static void test_listings(void)
{
	static const struct { const char *path, *want; } paths[] = {
		{ "../x", "not a path inside" },
		{ "a/../../x", "not a path inside" },
		{ "/etc/passwd", "not a path inside" },
		{ "a//b", "not a path inside" },
		{ "./a", "not a path inside" },
		{ ".git/hooks/post-checkout", "under .git" },
		{ "a/.git/config", "under .git" },
		{ ".GIT/config", "under .git" },
		{ ".git./config", "under .git" },
		{ ".git /config", "under .git" },
		{ "git~1/config", "under .git" },
		{ "a\nb", "control character" },
		{ "a\\b", "backslash" },
	};
	struct fixpatch_summary s;
	char why[512], raw[256];
	int n;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		n = snprintf(raw, sizeof(raw), ":100644 100644 %040d %040d M%c%s", 0, 1, 0,
			     paths[i].path);
		ok(fixpatch_check(raw, (size_t)n + 1, "", 0, 1, &limits, &s, why, sizeof(why)) ==
		   -EPERM && strstr(why, paths[i].want), "a listed path '%s' is refused",
		   i == 11 ? "a\\nb" : paths[i].path);
	}
	n = snprintf(raw, sizeof(raw), ":100644 100644 %040d %040d M%c%s", 0, 1, 0, "a");
	ok(fixpatch_check(raw, (size_t)n, "", 0, 1, &limits, &s, why, sizeof(why)) == -EPERM &&
	   strstr(why, "cut"), "a listing cut short is refused");
	ok(fixpatch_check("garbage\0a\0", 10, "", 0, 1, &limits, &s, why, sizeof(why)) == -EPERM &&
	   strstr(why, "malformed"), "a malformed listing is refused");
	n = snprintf(raw, sizeof(raw), ":160000 160000 %040d %040d M%c%s", 0, 1, 0, "vendor/lib");
	ok(fixpatch_check(raw, (size_t)n + 1, "", 0, 1, &limits, &s, why, sizeof(why)) == -EPERM &&
	   strstr(why, "not a regular file"), "a submodule change is refused");
}

static void test_branches(void)
{
	static const char *const good[] = { "lethe/fix-12-1", "lethe/fix-12-9999", NULL };
	static const char *const bad[] = { "main; rm -rf /", "main", "lethe/fix-12-0",
		"lethe/fix-012-1", "lethe/fix-12-01", "lethe/fix-12-10000", "lethe/fix-12-1.lock",
		"lethe/fix-12-1/x", "refs/heads/lethe/fix-12-1", "lethe/fix-12-1 ", "lethe/fix-12",
		"lethe/fix--12-1", "lethe/fix-12-1\n", "lethe/fix-12-1..x", "lethe/fix-99999999999999999999-1",
		NULL };
	char why[256], *cmd;

	for (const char *const *g = good; *g; g++) {
		cmd = xasprintf("git check-ref-format --branch '%s' >/dev/null", *g);
		ok(fixpatch_branch_check(*g, 12, why, sizeof(why)) == 0 && system(cmd) == 0,
		   "branch %s is accepted, as git check-ref-format accepts it", *g);
		free(cmd);
	}
	for (const char *const *b = bad; *b; b++)
		ok(fixpatch_branch_check(*b, 12, why, sizeof(why)) == -EINVAL &&
		   strstr(why, "lethe/fix-12-N"), "branch '%.*s' is refused", (int)strcspn(*b, "\n"), *b);
	ok(fixpatch_branch_check("lethe/fix-13-1", 12, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "names finding 13, not 12"), "another finding's branch is refused");
}

int main(void)
{
	char *cmd;

	if (!mkdtemp(dir))
		abort();
	sh(" && git init -q -b main repo && cd repo && mkdir -p sub .github/workflows && "
	   "printf 'import subprocess\\nsubprocess.call(c, shell=True)\\n' >app.py && "
	   "printf '#!/bin/sh\\necho hi\\n' >run.sh && chmod +x run.sh && "
	   "printf 'on: push\\n' >.github/workflows/ci.yml && touch sub/keep && "
	   "ln -s app.py old-link && git add -A && "
	   "git -c user.name=t -c user.email=t@lethe.invalid commit -qm init", "");
	test_changes();
	test_listings();
	test_branches();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("unable to remove '%s'", dir);
	free(cmd);
	return done_testing();
}
