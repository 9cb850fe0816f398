/* fetch.c - clone_fetch in lethe-fetch, as the fetch user. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fetch.h"
#include "fixpush.h"
#include "unpriv.h"
#include "util.h"

/* How long past the clone's own deadline the helper may take to report. */
#define FETCH_GRACE 30

int fetch_user(const char *user, struct fetch_proc *p)
{
	const struct passwd *pw = getpwnam(user);

	if (!pw)
		return -ENOENT;
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return -EPERM;
	p->fp_uid = pw->pw_uid;
	p->fp_gid = pw->pw_gid;
	return 0;
}

int fetch_prepare(const struct fetch_proc *p, const char *dir, const char *home)
{
	if (chown(dir, p->fp_uid, p->fp_group) < 0 || chmod(dir, 02750) < 0 ||
	    chown(home, p->fp_uid, p->fp_gid) < 0 || chmod(home, 0700) < 0)
		return -errno;
	return 0;
}

static int reclaim_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	return st->st_uid == 0 || lchown(path, 0, (gid_t)-1) == 0 ? 0 : -1;
}

int fetch_reclaim(const struct fetch_proc *p, const char *dir, const char *home)
{
	if (nftw(dir, reclaim_one, 16, FTW_PHYS) < 0 || nftw(home, reclaim_one, 16, FTW_PHYS) < 0)
		return -errno;
	/* the work directory as workdir_share made it */
	if (chown(dir, 0, p->fp_group) < 0 || chmod(dir, 02750) < 0)
		return -errno;
	return 0;
}

/* ---- the helper's command line and environment ---- */

struct fetch_args {
	const char *v[24];
	char *env[8];
	char timeout[24], max_size[24];
	size_t n, nenv;
};

static void arg(struct fetch_args *a, const char *opt, const char *val)
{
	if (!val)
		return;
	a->v[a->n++] = opt;
	a->v[a->n++] = val;
}

static void args_build(struct fetch_args *a, const struct fetch_proc *p, const char *dir,
		       const struct clone_opts *o, const struct fixpush_opts *push)
{
	static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
	static const char *const method[] = {
		[CLONE_METHOD_AUTO] = "auto", [CLONE_METHOD_LIBGIT2] = "libgit2",
		[CLONE_METHOD_GIT] = "git",
	};

	a->v[a->n++] = p->fp_helper;
	arg(a, "--url", o->co_url);
	arg(a, "--sha", o->co_sha);
	arg(a, "--ref", o->co_ref);
	arg(a, "--pin", o->co_pin);
	arg(a, "--auth", o->co_auth == CLONE_AUTH_BEARER ? "bearer" : "basic");
	arg(a, "--method", method[o->co_method]);
	arg(a, "--home", o->co_home);
	i64s(o->co_timeout, a->timeout);
	i64s(o->co_max_size, a->max_size);
	arg(a, "--timeout", a->timeout);
	arg(a, "--max-size", a->max_size);
	if (push) {
		arg(a, "--push", push->fp_branch);
		arg(a, "--name", push->fp_name);
		arg(a, "--email", push->fp_email);
	} else if (o->co_token) {
		a->v[a->n++] = "--token-stdin";
	}
	a->v[a->n++] = dir;
	a->v[a->n] = NULL;
	a->env[a->nenv++] = xstrdup("PATH=/usr/bin:/bin");
	a->env[a->nenv++] = xstrdup("LC_ALL=C");
	for (size_t i = 0; i < ARRAY_SIZE(pass); i++)
		if (getenv(pass[i]))
			a->env[a->nenv++] = xasprintf("%s=%s", pass[i], getenv(pass[i]));
	a->env[a->nenv] = NULL;
}

static void args_release(struct fetch_args *a)
{
	for (size_t i = 0; i < a->nenv; i++)
		free(a->env[i]);
}

/* ---- the child, between fork and exec: system calls only ---- */

static void __attribute__((noreturn)) child_fail(int fd, const char *what)
{
	(void)!write(fd, what, strlen(what));
	_exit(125);
}

static void __attribute__((noreturn)) child(const struct fetch_proc *p, struct fetch_args *a,
					    int in, int out, pid_t parent)
{
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(125);
	/* none of lethe-scan's descriptors: the database, the keyring's files */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		child_fail(STDOUT_FILENO, "unable to close the parent's descriptors");
	if (setpgid(0, 0) < 0)
		child_fail(STDOUT_FILENO, "unable to start a process group");
	if (unpriv_become(p->fp_uid, p->fp_gid) < 0)
		child_fail(STDOUT_FILENO, "unable to become the fetch user");
	/* after the uid change, which clears it; dies with lethe-scan */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(125);
	execve(p->fp_helper, (char *const *)a->v, a->env);
	child_fail(STDOUT_FILENO, "unable to run lethe-fetch");
}

/* ---- the parent ---- */

/*
 * The token alone, or for a push "TOKEN PATCH MESSAGE\n" (their lengths)
 * then the three.
 */
static int stdin_send(int fd, const struct clone_opts *o, const struct fixpush_opts *push)
{
	char head[80];
	int r = 0;

	if (push) {
		snprintf(head, sizeof(head), "%zu %zu %zu\n", push->fp_token_len,
			 push->fp_patch_len, strlen(push->fp_message));
		r = write_all(fd, head, strlen(head));
		if (r == 0)
			r = write_all(fd, push->fp_token, push->fp_token_len);
		if (r == 0)
			r = write_all(fd, push->fp_patch, push->fp_patch_len);
		if (r == 0)
			r = write_all(fd, push->fp_message, strlen(push->fp_message));
	} else if (o->co_token) {
		r = write_all(fd, o->co_token, o->co_token_len);
	}
	close(fd);
	return r;
}

/* The helper's one line into why, until it closes its end or the deadline. */
static int why_read(int fd, int64_t deadline, char *why, size_t whylen)
{
	size_t got = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - mono_usec();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)(left / 1000 + 1)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!pfd.revents)
			continue;
		n = read(fd, why + got, whylen - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == whylen - 1)
			break;
	}
	why[got] = '\0';
	why[strcspn(why, "\n")] = '\0';
	return 0;
}

/*
 * lethe-fetch exits 0, or 1 with "ERRNO WHY" on its standard output for
 * clone_fetch's errors; anything else is its own failure (-EIO).
 */
static int status_error(int status, char *why, size_t whylen)
{
	static const int known[] = { EINVAL, EACCES, ENOENT, EFBIG, EPROTO, ETIMEDOUT, EIO,
				     ENOTSUP, EEXIST, ENOEXEC };
	char *rest;
	long code;

	if (WIFSIGNALED(status))
		return snprintf(why, whylen, "lethe-fetch killed by signal %d", WTERMSIG(status)),
		       -EIO;
	if (WEXITSTATUS(status) == 0)
		return 0;
	code = strtol(why, &rest, 10);
	for (size_t i = 0; WEXITSTATUS(status) == 1 && i < ARRAY_SIZE(known); i++)
		if (code == known[i] && *rest == ' ') {
			memmove(why, rest + 1, strlen(rest));
			return -known[i];
		}
	if (!*why)
		snprintf(why, whylen, "lethe-fetch exited with status %d", WEXITSTATUS(status));
	return -EIO;
}

/*
 * Wait for the helper without reaping it, so that its group id stays its
 * own, kill whatever it left in that group, then reap it.
 */
static void reap(pid_t pid, int *status)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

static int helper_run(const struct fetch_proc *p, const char *dir, const struct clone_opts *o,
		      const struct fixpush_opts *push, char *why, size_t whylen)
{
	struct fetch_args a = { .n = 0 };
	int in[2], out[2], status = 0, r;
	int64_t deadline = mono_usec() + (o->co_timeout + FETCH_GRACE) * 1000000;
	pid_t parent = getpid(), pid;

	*why = '\0';
	if (pipe2(in, O_CLOEXEC) < 0)
		return snprintf(why, whylen, "unable to make a pipe"), -EIO;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return snprintf(why, whylen, "unable to make a pipe"), -EIO;
	}
	args_build(&a, p, dir, o, push);
	pid = fork();
	if (pid == 0)
		child(p, &a, in[0], out[1], parent);
	close(in[0]);
	close(out[1]);
	args_release(&a);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return snprintf(why, whylen, "unable to fork"), -EIO;
	}
	stdin_send(in[1], o, push);	/* a helper that died early shows in its status */
	r = why_read(out[0], deadline, why, whylen);
	close(out[0]);
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	reap(pid, &status);
	if (r == -ETIMEDOUT)
		return snprintf(why, whylen, "lethe-fetch did not end %d s past the clone's "
				"deadline", FETCH_GRACE), -ETIMEDOUT;
	return status_error(status, why, whylen);
}

int fetch_run(const struct fetch_proc *p, const char *dir, const struct clone_opts *o,
	      char *why, size_t whylen)
{
	return helper_run(p, dir, o, NULL, why, whylen);
}

int fetch_push(const struct fetch_proc *p, const struct fixpush_opts *o, char *why,
	       size_t whylen)
{
	struct clone_opts co;

	fixpush_clone_opts(o, &co);
	return helper_run(p, o->fp_dir, &co, o, why, whylen);
}
