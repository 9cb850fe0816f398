/*
 * an-exec.c - run one scanner: no shell, own process group, time and
 * output limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "an.h"
#include "util.h"

void an_argv_add(struct an_argv *a, const char *arg)
{
	if (a->n + 2 > a->alloc) {
		a->alloc = a->alloc ? 2 * a->alloc : 16;
		a->v = xrealloc(a->v, a->alloc * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(arg);
	a->v[a->n] = NULL;
}

void an_argv_truncate(struct an_argv *a, size_t n)
{
	while (a->n > n)
		free(a->v[--a->n]);
	if (a->v)
		a->v[a->n] = NULL;
}

void an_argv_release(struct an_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* In the child: stdin and the uncaptured stream from /dev/null, cwd. */
static void __attribute__((noreturn))
child_exec(const struct an_ctx *ctx, char *const *argv, int capture_fd, int wfd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	setpgid(0, 0);	/* so that a timeout kills the whole tree */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, capture_fd == 1 ? 2 : 1) < 0 ||
	    dup2(wfd, capture_fd) < 0 || fchdir(ctx->wsfd) < 0)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	_exit(127);
}

struct capture {
	char *buf;
	size_t len, alloc;
};

/* Read what is available; 1 at end of output, 0 for more, <0 on error. */
static int capture_read(struct capture *c, int fd, size_t max)
{
	ssize_t n;

	if (c->alloc - c->len < 65536) {
		c->alloc = c->alloc ? 2 * c->alloc : 131072;
		c->buf = xrealloc(c->buf, c->alloc);
	}
	n = read(fd, c->buf + c->len, c->alloc - c->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	c->len += (size_t)n;
	if (c->len > max)
		return -EFBIG;
	return n == 0;
}

/* Collect output until EOF, the deadline or the size limit. */
static int capture_all(const struct an_ctx *ctx, int fd, int64_t deadline,
		       struct capture *c, char *why, size_t whylen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r = 0;

	while (r == 0) {
		int64_t left = (deadline - mono_usec()) / 1000;

		if (left <= 0) {
			snprintf(why, whylen, "timed out after %ds", ctx->timeout);
			return -ETIMEDOUT;
		}
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR)
			r = -errno;
		else if (pfd.revents)
			r = capture_read(c, fd, ctx->max_output);
	}
	if (r == -EFBIG)
		snprintf(why, whylen, "output over %zu bytes", ctx->max_output);
	else if (r < 0)
		snprintf(why, whylen, "reading its output failed: %s", strerror(-r));
	return r < 0 ? r : 0;
}

/* Reap the child, killing its process group at the deadline (-ETIMEDOUT). */
static int wait_child(pid_t pid, int64_t deadline, int *ws)
{
	pid_t r;

	while ((r = waitpid(pid, ws, WNOHANG)) == 0 && mono_usec() < deadline)
		usleep(10000);
	if (r == pid)
		return 0;
	kill(-pid, SIGKILL);
	while (waitpid(pid, ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return -ETIMEDOUT;
}

static int exit_status(int ws, int *status, char *why, size_t whylen)
{
	if (WIFSIGNALED(ws)) {
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(ws));
		return -ECHILD;
	}
	*status = WEXITSTATUS(ws);
	if (*status == 126 || *status == 127) {
		snprintf(why, whylen, "could not be started (status %d)", *status);
		return -ENOENT;
	}
	return 0;
}

int an_exec(const struct an_ctx *ctx, char *const *argv, int capture_fd,
	    char **out, size_t *len, int *status, char *why, size_t whylen)
{
	int64_t deadline = mono_usec() + (int64_t)ctx->timeout * 1000000;
	struct capture c = { 0 };
	int fds[2], r, ws = 0;
	pid_t pid;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		child_exec(ctx, argv, capture_fd, fds[1]);
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	close(fds[1]);
	setpgid(pid, pid);	/* also here: no race with an early kill */
	r = capture_all(ctx, fds[0], deadline, &c, why, whylen);
	close(fds[0]);
	if (r < 0)
		kill(-pid, SIGKILL);
	if (wait_child(pid, r < 0 ? 0 : deadline, &ws) < 0 && r == 0) {
		/* it closed its output but did not exit in time */
		snprintf(why, whylen, "timed out after %ds", ctx->timeout);
		r = -ETIMEDOUT;
	}
	kill(-pid, SIGKILL);	/* whatever the scanner left running */
	if (r == 0)
		r = exit_status(ws, status, why, whylen);
	if (r < 0) {
		if (c.buf)
			OPENSSL_cleanse(c.buf, c.len);
		free(c.buf);
		return r;
	}
	*out = c.buf ? c.buf : xstrdup("");
	(*out)[c.len] = '\0';
	*len = c.len;
	return 0;
}
