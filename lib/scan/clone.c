/* clone.c - depth=1 fetch of one commit (libgit2 or git(1)), checked by libgit2. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "clone_int.h"
#include "crypto.h"
#include "util.h"

#define GIT_PATH "/usr/bin/git"
#define ERRBUF_MAX 8192		/* git's stderr kept for classification */
#define MAX_OBJECTS 50000000	/* stop counting objects past this */

/* Configuration every git process gets through GIT_CONFIG_*. */
static const char *const clone_config[][2] = {
	{ "core.hooksPath", "/dev/null" },
	{ "transfer.fsckObjects", "true" },
	{ "submodule.recurse", "false" },
	{ "fetch.recurseSubmodules", "false" },
	{ "http.followRedirects", "false" },
	{ "credential.helper", "" },
	{ "protocol.allow", "never" },
	{ "protocol.http.allow", "always" },
	{ "protocol.https.allow", "always" },
	{ "advice.detachedHead", "false" },
	{ "gc.auto", "0" },
};
#define N_CONFIG ARRAY_SIZE(clone_config)
#define N_FIXED_ENV 10
#define ENV_MAX (N_FIXED_ENV + 2 * (N_CONFIG + 2) + 2)

struct git_env {
	char *ge_vec[ENV_MAX];
	int ge_n;
	struct secbuf ge_auth;	/* "GIT_CONFIG_VALUE_N=Authorization: ..." */
};

static void env_add(struct git_env *e, char *s)
{
	e->ge_vec[e->ge_n++] = s;
}

/* http.extraHeader: the token's Authorization header, in locked memory. */
static int env_auth(struct git_env *e, const struct clone_opts *o, size_t idx)
{
	char prefix[64];
	size_t plen;
	int r;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "GIT_CONFIG_VALUE_%zu=", idx);
	r = secbuf_alloc(&e->ge_auth, plen + clone_auth_len(o) + 1);
	if (r == 0) {
		memcpy(e->ge_auth.data, prefix, plen);
		r = clone_auth_write(o, (char *)e->ge_auth.data + plen);
	}
	if (r < 0)
		return r;
	env_add(e, (char *)e->ge_auth.data);
	env_add(e, xasprintf("GIT_CONFIG_KEY_%zu=http.extraHeader", idx));
	return 0;
}

/* The environment of one git process; fails only when no locked memory is left. */
static int env_build(struct git_env *e, const struct clone_opts *o, int with_token)
{
	size_t i, n = N_CONFIG;

	memset(e, 0, sizeof(*e));
	env_add(e, xstrdup("PATH=/usr/bin:/bin"));
	env_add(e, xasprintf("HOME=%s", o->co_home));
	env_add(e, xstrdup("LC_ALL=C"));
	env_add(e, xstrdup("GIT_TERMINAL_PROMPT=0"));
	env_add(e, xstrdup("GIT_CONFIG_NOSYSTEM=1"));
	env_add(e, xstrdup("GIT_CONFIG_GLOBAL=/dev/null"));
	env_add(e, xstrdup("GIT_LFS_SKIP_SMUDGE=1"));
	env_add(e, xstrdup("GIT_ALLOW_PROTOCOL=http:https"));
	env_add(e, xstrdup("GIT_PROTOCOL_FROM_USER=0"));
	env_add(e, xasprintf("GIT_CONFIG_COUNT=%zu", N_CONFIG + (o->co_pin ? 1 : 0) +
			     (with_token ? 1 : 0)));
	for (i = 0; i < N_CONFIG; i++) {
		env_add(e, xasprintf("GIT_CONFIG_KEY_%zu=%s", i, clone_config[i][0]));
		env_add(e, xasprintf("GIT_CONFIG_VALUE_%zu=%s", i, clone_config[i][1]));
	}
	/* libcurl's CURLOPT_RESOLVE: git connects to the checked address only. */
	if (o->co_pin) {
		env_add(e, xasprintf("GIT_CONFIG_KEY_%zu=http.curloptResolve", n));
		env_add(e, xasprintf("GIT_CONFIG_VALUE_%zu=%s", n++, o->co_pin));
	}
	return with_token ? env_auth(e, o, n) : 0;
}

static void env_release(struct git_env *e)
{
	int i;

	for (i = 0; i < e->ge_n; i++)
		if (e->ge_vec[i] != (char *)e->ge_auth.data)
			free(e->ge_vec[i]);
	secbuf_release(&e->ge_auth);
	memset(e, 0, sizeof(*e));
}

int clone_env_new(const struct clone_opts *o, int with_token, struct git_env **out)
{
	struct git_env *e = xmalloc(sizeof(*e));
	int r = env_build(e, o, with_token);

	if (r < 0) {
		env_release(e);
		free(e);
		e = NULL;
	}
	*out = e;
	return r;
}

void clone_env_free(struct git_env *e)
{
	if (!e)
		return;
	env_release(e);
	free(e);
}

static int64_t dir_bytes;
static int du_add(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p; (void)flag; (void)f;
	dir_bytes += (int64_t)st->st_blocks * 512;
	return 0;
}

int64_t clone_dir_usage(const char *dir)
{
	dir_bytes = 0;
	if (nftw(dir, du_add, 16, FTW_PHYS) < 0)
		return -1;
	return dir_bytes;
}

static void child_exec(const char *const *argv, const struct git_env *e, int infd, int outfd,
		       int errfd, int64_t max_size)
{
	struct rlimit fs = { (rlim_t)max_size, (rlim_t)max_size };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || dup2(infd >= 0 ? infd : null, 0) < 0 ||
	    dup2(outfd >= 0 ? outfd : null, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	/* A single file bigger than the whole budget stops the writer at once. */
	if (setrlimit(RLIMIT_FSIZE, &fs) < 0)
		_exit(127);
	execve(GIT_PATH, (char *const *)argv, e->ge_vec);
	_exit(127);
}

struct run {
	pid_t ru_pid;
	int ru_fd;
	int ru_in;		/* git's stdin (a socket), -1 once all is written */
	int ru_out;		/* git's stdout, -1 when not kept or at its end */
	struct clone_sink *ru_sink;
	const char *ru_inbuf;
	size_t ru_inlen, ru_inoff;
	char ru_err[ERRBUF_MAX];
	size_t ru_errlen;
	int ru_status;
};

static void run_read(struct run *ru)
{
	char buf[4096];
	ssize_t n = read(ru->ru_fd, buf, sizeof(buf));

	if (n <= 0) {
		close(ru->ru_fd);
		ru->ru_fd = -1;
		return;
	}
	if ((size_t)n > sizeof(ru->ru_err) - 1 - ru->ru_errlen)
		n = (ssize_t)(sizeof(ru->ru_err) - 1 - ru->ru_errlen);
	memcpy(ru->ru_err + ru->ru_errlen, buf, (size_t)n);
	ru->ru_errlen += (size_t)n;
	ru->ru_err[ru->ru_errlen] = '\0';
}

static void run_read_out(struct run *ru)
{
	struct clone_sink *k = ru->ru_sink;
	char buf[8192];
	ssize_t n = read(ru->ru_out, buf, sizeof(buf));
	size_t take;

	if (n <= 0) {
		close(ru->ru_out);
		ru->ru_out = -1;
		return;
	}
	take = (size_t)n < k->cs_max - k->cs_len ? (size_t)n : k->cs_max - k->cs_len;
	memcpy(k->cs_buf + k->cs_len, buf, take);
	k->cs_len += take;
	k->cs_buf[k->cs_len] = '\0';
	k->cs_over |= take < (size_t)n;
	OPENSSL_cleanse(buf, (size_t)n);
}

/* More of the input to git's stdin; closed when all is written or git is gone. */
static void run_write(struct run *ru)
{
	ssize_t n = send(ru->ru_in, ru->ru_inbuf + ru->ru_inoff, ru->ru_inlen - ru->ru_inoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n > 0)
		ru->ru_inoff += (size_t)n;
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || ru->ru_inoff == ru->ru_inlen) {
		close(ru->ru_in);
		ru->ru_in = -1;
	}
}

static void run_poll(struct run *ru)
{
	struct pollfd p[3] = { { ru->ru_fd, POLLIN, 0 }, { ru->ru_in, POLLOUT, 0 },
			       { ru->ru_out, POLLIN, 0 } };

	if (ru->ru_fd < 0 && ru->ru_in < 0 && ru->ru_out < 0) {
		usleep(50000);
		return;
	}
	if (poll(p, 3, 100) <= 0)
		return;
	if (p[0].revents)
		run_read(ru);
	if (p[1].revents)
		run_write(ru);
	if (p[2].revents)
		run_read_out(ru);
}

/* What the child wrote before it exited and is still in the pipe (a bounded amount). */
static void run_drain(struct run *ru)
{
	struct pollfd p = { ru->ru_fd, POLLIN, 0 }, q = { ru->ru_out, POLLIN, 0 };

	for (int i = 0; i < 64 && ru->ru_fd >= 0 && poll(&p, 1, 0) > 0; i++)
		run_read(ru);
	/* All of the output, however long: git has exited, the pipe ends. */
	while (ru->ru_out >= 0 && poll(&q, 1, 0) > 0)
		run_read_out(ru);
}

/* Wait for the child, killing its group past the deadline or the size. */
static int run_wait(struct run *ru, const char *dir, int64_t deadline, int64_t max_size)
{
	int64_t next_du = 0;
	int r = 0;

	for (;;) {
		run_poll(ru);
		if (waitpid(ru->ru_pid, &ru->ru_status, WNOHANG) == ru->ru_pid) {
			run_drain(ru);
			break;
		}
		if (mono_usec() > deadline)
			r = -ETIMEDOUT;
		else if (mono_usec() > next_du) {
			if (clone_dir_usage(dir) > max_size)
				r = -EFBIG;
			next_du = mono_usec() + 250000;
		}
		if (r < 0) {
			kill(-ru->ru_pid, SIGKILL);
			waitpid(ru->ru_pid, &ru->ru_status, 0);
			break;
		}
	}
	if (ru->ru_fd >= 0)
		close(ru->ru_fd);
	if (ru->ru_in >= 0)
		close(ru->ru_in);
	if (ru->ru_out >= 0)
		close(ru->ru_out);
	kill(-ru->ru_pid, SIGKILL);	/* anything git left behind */
	return r;
}

static int err_has(const struct run *ru, const char *s)
{
	return strstr(ru->ru_err, s) != NULL;
}

static int run_classify(const struct run *ru)
{
	if (WIFSIGNALED(ru->ru_status) && WTERMSIG(ru->ru_status) == SIGXFSZ)
		return -EFBIG;
	if (err_has(ru, "Authentication failed") || err_has(ru, "could not read Username") ||
	    err_has(ru, "could not read Password") || err_has(ru, "error: 401") ||
	    err_has(ru, "error: 403"))
		return -EACCES;
	if (err_has(ru, "not found") || err_has(ru, "error: 404") || err_has(ru, "not our ref") ||
	    err_has(ru, "unadvertised object") || err_has(ru, "couldn't find remote ref"))
		return -ENOENT;
	/* index-pack or checkout killed by RLIMIT_FSIZE (SIGXFSZ is 25). */
	if (err_has(ru, "signal 25") || err_has(ru, "File too large") || err_has(ru, "No space left"))
		return -EFBIG;
	return -EIO;
}

/* The socket git reads io's input from: *parent writes, *child reads (both -1: none). */
static int run_input(const struct clone_io *io, int *parent, int *child)
{
	int sv[2];

	*parent = *child = -1;
	if (!io || !io->ci_in)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	shutdown(sv[0], SHUT_RD);
	shutdown(sv[1], SHUT_WR);
	*parent = sv[0];
	*child = sv[1];
	return 0;
}

/* The pipe git's stdout goes into when io keeps it: *parent reads, *child writes. */
static int run_output(const struct clone_io *io, int *parent, int *child)
{
	int p[2];

	*parent = *child = -1;
	if (!io || !io->ci_out)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	*parent = p[0];
	*child = p[1];
	io->ci_out->cs_len = 0;
	io->ci_out->cs_over = 0;
	io->ci_out->cs_buf[0] = '\0';
	return 0;
}

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int clone_git_run(const char *dir, const char *const *argv, const struct git_env *e,
		  int64_t deadline, int64_t max_size, const struct clone_io *io)
{
	struct run ru = { .ru_fd = -1, .ru_in = -1, .ru_out = -1 };
	int pfd[2] = { -1, -1 }, infd = -1, outfd = -1, r;

	r = run_input(io, &ru.ru_in, &infd);
	if (r == 0)
		r = run_output(io, &ru.ru_out, &outfd);
	if (r == 0 && pipe2(pfd, O_CLOEXEC) < 0)
		r = -errno;
	if (r == 0 && (ru.ru_pid = fork()) < 0)
		r = -errno;
	if (r < 0)
		goto out;
	if (ru.ru_pid == 0)
		child_exec(argv, e, infd, outfd, pfd[1], max_size);
	ru.ru_fd = pfd[0];
	pfd[0] = -1;
	ru.ru_sink = io ? io->ci_out : NULL;
	if (ru.ru_in >= 0) {
		ru.ru_inbuf = io->ci_in;
		ru.ru_inlen = io->ci_inlen;
	}
	fd_close(&pfd[1]);
	fd_close(&infd);
	fd_close(&outfd);
	r = run_wait(&ru, dir, deadline, max_size);
	ru.ru_in = ru.ru_out = -1;	/* closed by run_wait */
	if (r == 0 && !(WIFEXITED(ru.ru_status) && WEXITSTATUS(ru.ru_status) == 0))
		r = run_classify(&ru);
	if (r == 0 && ru.ru_sink && ru.ru_sink->cs_over)
		r = -EFBIG;
	if (io && io->ci_err && io->ci_errlen)
		snprintf(io->ci_err, io->ci_errlen, "%s", ru.ru_err);
	OPENSSL_cleanse(ru.ru_err, sizeof(ru.ru_err));
out:
	fd_close(&pfd[0]);
	fd_close(&pfd[1]);
	fd_close(&infd);
	fd_close(&outfd);
	fd_close(&ru.ru_in);
	fd_close(&ru.ru_out);
	return r;
}

static int git_run(const char *dir, const char *const *argv, struct git_env *e,
		   int64_t deadline, int64_t max_size)
{
	return clone_git_run(dir, argv, e, deadline, max_size, NULL);
}

/* A Bearer token goes into the header as it is: visible ASCII only. */
static int bearer_fits(const struct clone_opts *o)
{
	size_t i;

	for (i = 0; i < o->co_token_len; i++)
		if ((unsigned char)o->co_token[i] <= ' ' || (unsigned char)o->co_token[i] > '~')
			return 0;
	return o->co_token_len > 0;
}

static int opts_check(const struct clone_opts *o, char *why, size_t whylen)
{
	size_t i;

	if (strncmp(o->co_url, "https://", 8) != 0 && strncmp(o->co_url, "http://", 7) != 0) {
		snprintf(why, whylen, "clone url is neither https nor http");
		return -EINVAL;
	}
	for (i = 0; o->co_sha[i]; i++)
		if (!strchr("0123456789abcdef", o->co_sha[i]))
			break;
	if (i != 40 || o->co_sha[i]) {
		snprintf(why, whylen, "commit '%.64s' is not a full sha-1", o->co_sha);
		return -EINVAL;
	}
	if (!o->co_home || o->co_home[0] != '/') {
		snprintf(why, whylen, "no home directory for the clone");
		return -EINVAL;
	}
	if (o->co_ref && (o->co_ref[0] == '-' || strncmp(o->co_ref, "refs/", 5) != 0)) {
		snprintf(why, whylen, "ref is not under refs/");
		return -EINVAL;
	}
	if (o->co_token && o->co_auth == CLONE_AUTH_BEARER && !bearer_fits(o)) {
		snprintf(why, whylen, "clone token is not fit for a bearer header");
		return -EINVAL;
	}
	return 0;
}

static int count_commit(const git_oid *id, void *arg)
{
	void **a = arg;
	git_odb *odb = a[0];
	size_t *n = a[1], *seen = a[2], len;
	git_object_t type;

	if (++*seen > MAX_OBJECTS)
		return -1;
	if (git_odb_read_header(&len, &type, odb, id) == 0 && type == GIT_OBJECT_COMMIT)
		(*n)++;
	return 0;
}

/* HEAD is o->co_sha and the object store holds exactly one commit. */
static int clone_verify(const char *dir, const char *sha, char *why, size_t whylen)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid want, head;
	size_t commits = 0, seen = 0;
	void *arg[3] = { NULL, &commits, &seen };
	int r = -EPROTO;

	git_libgit2_init();
	if (git_repository_open(&repo, dir) < 0 || git_oid_fromstr(&want, sha) < 0 ||
	    git_reference_name_to_id(&head, repo, "HEAD") < 0) {
		snprintf(why, whylen, "checkout has no readable HEAD");
		goto out;
	}
	if (!git_oid_equal(&want, &head)) {
		snprintf(why, whylen, "HEAD of the checkout is not the requested commit");
		goto out;
	}
	if (git_repository_odb(&odb, repo) < 0)
		goto out;
	arg[0] = odb;
	if (git_odb_foreach(odb, count_commit, arg) < 0 || commits != 1) {
		snprintf(why, whylen, "checkout holds %zu commits, not exactly one", commits);
		goto out;
	}
	r = 0;
out:
	git_odb_free(odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return r;
}

static const char *clone_reason(int r)
{
	switch (r) {
	case -EACCES: return "authentication refused";
	case -ENOENT: return "repository or commit not found";
	case -EFBIG: return "repository exceeds clone_max_size";
	case -ETIMEDOUT: return "clone_timeout exceeded";
	case -EPROTO: return "the commit is not in what the server sent";
	case -ENOTSUP: return "clone_fetch is libgit2 but this build fetches only through git";
	default: return "fetch failed (network or server error)";
	}
}

static int fetch(const char *dir, const struct clone_opts *o, struct git_env *e, int64_t deadline)
{
	const char *by_sha[] = { "git", "-C", dir, "fetch", "-q", "--depth=1", "--no-tags",
				 "--no-recurse-submodules", "--no-write-fetch-head", o->co_url,
				 o->co_sha, NULL };
	const char *by_ref[] = { "git", "-C", dir, "fetch", "-q", "--depth=1", "--no-tags",
				 "--no-recurse-submodules", "--no-write-fetch-head", o->co_url,
				 NULL, NULL };
	char *spec;
	int r;

	r = git_run(dir, by_sha, e, deadline, o->co_max_size);
	if (r != -ENOENT || !o->co_ref)
		return r;
	/* The server does not serve bare commits: the ref's tip, checked below. */
	spec = xasprintf("+%s:refs/lethe/tip", o->co_ref);
	by_ref[10] = spec;
	r = git_run(dir, by_ref, e, deadline, o->co_max_size);
	free(spec);
	return r;
}

static int git_fetch(const char *dir, const struct clone_opts *o, int64_t deadline)
{
	const char *init[] = { "git", "init", "-q", "--template=", dir, NULL };
	const char *checkout[] = { "git", "-C", dir, "checkout", "-q", "--detach", o->co_sha, NULL };
	struct git_env plain, auth;
	int r;

	env_build(&plain, o, 0);
	r = env_build(&auth, o, o->co_token != NULL);
	if (r == 0)
		r = git_run(dir, init, &plain, deadline, o->co_max_size);
	if (r == 0)
		r = fetch(dir, o, &auth, deadline);
	env_release(&auth);
	if (r == 0) {
		r = git_run(dir, checkout, &plain, deadline, o->co_max_size);
		/* What the server sent (the ref's tip) does not hold the commit. */
		if (r == -EIO)
			r = -EPROTO;
	}
	env_release(&plain);
	return r;
}

/*
 * Whether o's fetch runs in process.  auto leaves Bearer tokens to git(1):
 * libgit2 1.8 does not free its copy of a custom header the server
 * refuses, and git's copy ends with its process.
 */
static int in_process(const struct clone_opts *o)
{
	if (!clone_has_libgit2() || o->co_method == CLONE_METHOD_GIT)
		return 0;
	return o->co_method == CLONE_METHOD_LIBGIT2 || o->co_auth != CLONE_AUTH_BEARER;
}

static int method_fetch(const char *dir, const struct clone_opts *o, int64_t deadline)
{
#ifdef CLONE_HAVE_LIBGIT2
	if (in_process(o))
		return clone_libgit2_fetch(dir, o, deadline);
#else
	if (o->co_method == CLONE_METHOD_LIBGIT2)
		return -ENOTSUP;
#endif
	return git_fetch(dir, o, deadline);
}

int clone_fetch(const char *dir, const struct clone_opts *o, char *why, size_t whylen)
{
	int64_t deadline = mono_usec() + o->co_timeout * 1000000;
	int r;

	r = opts_check(o, why, whylen);
	if (r == 0)
		r = method_fetch(dir, o, deadline);
	if (r == 0 && clone_dir_usage(dir) > o->co_max_size)
		r = -EFBIG;
	if (r < 0) {
		if (r != -EINVAL)
			snprintf(why, whylen, "%s", clone_reason(r));
		return r;
	}
	return clone_verify(dir, o->co_sha, why, whylen);
}

int clone_method_parse(const char *s, enum clone_method *out)
{
	if (!strcmp(s, "auto"))
		*out = CLONE_METHOD_AUTO;
	else if (!strcmp(s, "git"))
		*out = CLONE_METHOD_GIT;
	else if (!strcmp(s, "libgit2"))
		*out = CLONE_METHOD_LIBGIT2;
	else
		return -EINVAL;
	return *out == CLONE_METHOD_LIBGIT2 && !clone_has_libgit2() ? -ENOTSUP : 0;
}

const char *clone_method_name(const struct clone_opts *o)
{
	return in_process(o) ? "libgit2" : "git";
}

int clone_has_libgit2(void)
{
#ifdef CLONE_HAVE_LIBGIT2
	return 1;
#else
	return 0;
#endif
}

int clone_error_temporary(int err)
{
	return err == -ETIMEDOUT || err == -EIO || err == -ENOTCONN || err == -ENOMEM;
}
