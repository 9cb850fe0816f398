/* fixdiff.c - a fix's change, listed on the host; see fixdiff.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fixdiff.h"
#include "util.h"

#define GIT_PATH "/usr/bin/git"
#define CP_PATH  "/bin/cp"
#define LIST_MAX (1 << 20)	/* bytes of the raw and numstat listings */

/* Where a child's standard output goes: a growing buffer up to max bytes. */
struct sink {
	char *buf;
	size_t len, cap, max;
	int over;
};

static void sink_put(struct sink *k, const char *data, size_t n)
{
	if (k->len + n > k->max) {
		k->over = 1;
		return;
	}
	memcpy(k->buf + k->len, data, n);
	k->len += n;
	k->buf[k->len] = '\0';
}

static void __attribute__((noreturn)) child(const char *path, const char *const *argv,
					    char *const *env, const char *cwd, int out)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	setpgid(0, 0);
	if (null < 0 || (cwd && chdir(cwd) < 0) || dup2(null, 0) < 0 ||
	    dup2(out >= 0 ? out : null, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	execve(path, (char *const *)argv, env);
	_exit(127);
}

/* Run path with argv; its output into k (NULL: discarded).  0 when it exited 0. */
static int run(const char *path, const char *const *argv, char *const *env, const char *cwd,
	       int64_t deadline, struct sink *k)
{
	int p[2] = { -1, -1 }, status = 0, r = 0;
	char buf[8192];
	pid_t pid;

	if (k && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		child(path, argv, env, cwd, p[1]);
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		r = -errno;
		if (p[0] >= 0)
			close(p[0]);
		return r;
	}
	while (p[0] >= 0 && r == 0) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		ssize_t n;

		if (mono_usec() > deadline)
			r = -ETIMEDOUT;
		else if (poll(&pf, 1, 100) > 0) {
			n = read(p[0], buf, sizeof(buf));
			if (n <= 0)
				break;
			sink_put(k, buf, (size_t)n);
		}
	}
	if (p[0] >= 0)
		close(p[0]);
	while (r == 0 && waitpid(pid, &status, WNOHANG) == 0) {
		if (mono_usec() > deadline)
			r = -ETIMEDOUT;
		usleep(10000);
	}
	kill(-pid, SIGKILL);
	if (r < 0)
		waitpid(pid, &status, 0);
	if (r == 0 && k && k->over)
		r = -EFBIG;
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = -EIO;
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int fixdiff_copy(const char *src, const char *dst)
{
	const char *const argv[] = { "cp", "-a", "--", src, dst, NULL };
	char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };

	return run(CP_PATH, argv, env, NULL, mono_usec() + 600 * 1000000LL, NULL);
}

static const char *const git_config[] = {
	"-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
	"-c", "core.untrackedCache=false", "-c", "core.quotePath=false",
	"-c", "diff.external=", "-c", "safe.directory=*",
};
#define N_GIT_CONFIG (sizeof(git_config) / sizeof(git_config[0]))

/* git with the configuration above, then args (NULL-terminated). */
static int git(char *const *env, const char *tree, int64_t deadline, struct sink *k,
	       const char *const *args)
{
	const char *argv[N_GIT_CONFIG + 16];
	size_t n = 0, i;

	argv[n++] = "git";
	for (i = 0; i < N_GIT_CONFIG; i++)
		argv[n++] = git_config[i];
	for (i = 0; args[i] && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run(GIT_PATH, argv, env, tree, deadline, k);
}

static int list(char *const *env, const char *tree, int64_t deadline, const char *what,
		char **out, size_t *len)
{
	struct sink k = { .buf = xmalloc(LIST_MAX + 1), .max = LIST_MAX };
	const char *const args[] = { "diff", "--cached", what, "-z", "--no-renames", "HEAD", NULL };
	int r;

	k.buf[0] = '\0';
	r = git(env, tree, deadline, &k, args);
	*out = k.buf;
	*len = k.len;
	return r;
}

int fixdiff_list(const char *gitdir, const char *tree, const char *index, const char *home,
		 int64_t max_patch, int64_t timeout_secs, struct fixdiff *d, char *why,
		 size_t whylen)
{
	char *env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
			"GIT_OPTIONAL_LOCKS=0", xasprintf("HOME=%s", home),
			xasprintf("GIT_DIR=%s", gitdir), xasprintf("GIT_WORK_TREE=%s", tree),
			xasprintf("GIT_INDEX_FILE=%s", index), NULL };
	const char *const read_tree[] = { "read-tree", "HEAD", NULL };
	const char *const add[] = { "add", "-A", NULL };
	const char *const patch[] = { "diff", "--cached", "--binary", "--full-index",
				      "--no-renames", "--no-ext-diff", "--no-textconv", "HEAD",
				      NULL };
	int64_t deadline = mono_usec() + timeout_secs * 1000000;
	struct sink k = { .max = (size_t)max_patch };
	const char *step = "read the commit's tree";
	int r, i;

	memset(d, 0, sizeof(*d));
	r = git(env, tree, deadline, NULL, read_tree);
	if (r == 0 && (step = "add the work tree", 1))
		r = git(env, tree, deadline, NULL, add);
	if (r == 0 && (step = "list the change", 1))
		r = list(env, tree, deadline, "--raw", &d->raw, &d->raw_len);
	if (r == 0)
		r = list(env, tree, deadline, "--numstat", &d->numstat, &d->numstat_len);
	if (r == 0 && (step = "write the patch", 1))
		r = secbuf_alloc(&d->patch, (size_t)max_patch + 1);
	if (r == 0) {
		k.buf = (char *)d->patch.data;
		r = git(env, tree, deadline, &k, patch);
		d->patch_len = k.len;
	}
	for (i = 6; env[i]; i++)
		free(env[i]);
	if (r < 0)
		snprintf(why, whylen, "git could not %s: %s", step,
			 r == -EFBIG ? "the patch is larger than fix_max_patch" :
			 r == -ETIMEDOUT ? "out of time" : "it failed");
	return r;
}

void fixdiff_release(struct fixdiff *d)
{
	free(d->raw);
	free(d->numstat);
	secbuf_release(&d->patch);
	memset(d, 0, sizeof(*d));
}
