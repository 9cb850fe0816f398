/*
 * sandbox.c - bubblewrap as an unprivileged user, with cgroup limits and a
 * seccomp filter (see sandbox.h).
 *
 * The parent prepares everything that needs root (cgroup directories, the
 * seccomp program, the synthesized passwd and group files), forks, and
 * reads the child's output until it exits or the wall limit passes.  The
 * child joins the cgroups, sets rlimits, arranges its fds, drops to the
 * sandbox user and execs bwrap, which builds the namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <seccomp.h>

#include "cgroup.h"
#include "confine.h"
#include "config.h"
#include "sandbox.h"
#include "util.h"

#define ARGV_MAX	4096
#define GRACE_USEC	(3 * 1000 * 1000)

/* The child's fd layout just before exec. */
enum { FD_STDIN, FD_STDOUT, FD_STDERR, FD_SECCOMP, FD_PASSWD, FD_GROUP, FD_ERRPIPE, FD__N };

struct strv {
	char **v;
	size_t n;
};

struct sbx {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int fds[FD__N];		/* parent's copies, moved into place by the child */
	int out_r, err_r, errpipe_r;
	struct cgroup_run cg;
	struct strv argv;
};

/* ---- string vectors, fds ---- */

static void strv_add(struct strv *s, const char *a)
{
	s->v = xrealloc(s->v, (s->n + 2) * sizeof(*s->v));
	s->v[s->n++] = xstrdup(a);
	s->v[s->n] = NULL;
}

static void strv_addl(struct strv *s, ...)
{
	const char *a;
	va_list ap;

	va_start(ap, s);
	while ((a = va_arg(ap, const char *)))
		strv_add(s, a);
	va_end(ap);
}

static void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void sandbox_limits_default(struct sandbox_limits *l)
{
	l->memory = 2LL << 30;
	l->cpu_secs = 600;
	l->cpus = 1;
	l->pids = 256;
	l->wall_secs = 600;
	l->output_bytes = 16 << 20;
	l->tmp_bytes = 512 << 20;
}

void sandbox_result_release(struct sandbox_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* A memfd (inherited across exec) holding data. */
static int memfd_with(const char *name, const char *data, size_t len)
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* ---- seccomp ---- */

/* The calls no tool needs (confine.c), and no network: only local sockets. */
static int seccomp_rules(scmp_filter_ctx ctx)
{
	int r = confine_seccomp_rules(ctx);

	/* the netns has nothing else either */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	return r;
}

/* The compiled BPF program in a memfd, for bwrap --seccomp. */
static int seccomp_fd(void)
{
	scmp_filter_ctx ctx;
	int fd, r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	fd = memfd_create("lethe-seccomp", 0);
	r = fd < 0 ? -errno : seccomp_rules(ctx);
	if (r == 0)
		r = seccomp_export_bpf(ctx, fd);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	seccomp_release(ctx);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

/* ---- cgroups ---- */

static void cg_setup(struct sbx *s, const struct sandbox_limits *l)
{
	static unsigned seq;
	const struct cgroup_roots roots = { 0 };
	struct cgroup_limits cl = { l->memory, l->pids, l->cpus };
	char id[64];

	snprintf(id, sizeof(id), "%d-%u-%lld", (int)getpid(), seq++, (long long)now_usec());
	cgroup_run_make(&roots, id, &cl, &s->cg);
}

/* ---- the child ---- */

static void __attribute__((noreturn)) child_fail(int fd, int err)
{
	(void)!write(fd, &err, sizeof(err));
	_exit(127);
}

static void child_limits(const struct sbx *s, const struct sandbox_limits *l, int errfd)
{
	struct rlimit cpu = { (rlim_t)l->cpu_secs, (rlim_t)l->cpu_secs + 1 };
	struct rlimit zero = { 0, 0 };
	char pid[32];
	int n, procs[2];

	n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	cgroup_run_procs(&s->cg, procs);
	for (int i = 0; i < 2; i++)
		if (procs[i] >= 0 && write(procs[i], pid, (size_t)n) != n)
			child_fail(errfd, errno);
	if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_CORE, &zero) < 0)
		child_fail(errfd, errno);
	/* weaker fallbacks where the cgroup controllers are missing */
	if (!cgroup_run_memory(&s->cg)) {
		struct rlimit as = { (rlim_t)l->memory, (rlim_t)l->memory };

		if (setrlimit(RLIMIT_AS, &as) < 0)
			child_fail(errfd, errno);
	}
	if (!cgroup_run_pids(&s->cg)) {
		struct rlimit np = { (rlim_t)l->pids, (rlim_t)l->pids };

		if (setrlimit(RLIMIT_NPROC, &np) < 0)
			child_fail(errfd, errno);
	}
}

/* Put s->fds at 0..FD__N-1 and close everything else. */
static void child_fds(const struct sbx *s)
{
	int hi[FD__N], i;

	for (i = 0; i < FD__N; i++) {
		hi[i] = fcntl(s->fds[i], F_DUPFD_CLOEXEC, 100);
		if (hi[i] < 0)
			child_fail(s->fds[FD_ERRPIPE], errno);
	}
	for (i = 0; i < FD__N; i++)
		if (dup3(hi[i], i, i == FD_ERRPIPE ? O_CLOEXEC : 0) < 0)
			child_fail(hi[FD_ERRPIPE], errno);
	if (close_range(FD__N, ~0U, 0) < 0)
		child_fail(FD_ERRPIPE, errno);
}

static void child_drop(const struct sbx *s, pid_t parent)
{
	/* supplementary groups first: root's would otherwise survive setgid */
	if (setgroups(1, &s->gid) < 0)
		child_fail(FD_ERRPIPE, errno);
	/* the group while we still may change it */
	if (setresgid(s->gid, s->gid, s->gid) < 0)
		child_fail(FD_ERRPIPE, errno);
	/* the user last: afterwards nothing of root is left */
	if (setresuid(s->uid, s->uid, s->uid) < 0)
		child_fail(FD_ERRPIPE, errno);
	/* prove it: root must be out of reach now */
	if (setuid(0) == 0 || geteuid() != s->uid || getegid() != s->gid)
		child_fail(FD_ERRPIPE, EPERM);
	/* die with the caller; set after setuid, which clears it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		child_fail(FD_ERRPIPE, ESRCH);
}

static void __attribute__((noreturn)) child_run(struct sbx *s, const struct sandbox_limits *l,
						pid_t parent)
{
	char *envp[] = { NULL };

	setpgid(0, 0);
	child_limits(s, l, s->fds[FD_ERRPIPE]);
	child_fds(s);
	child_drop(s, parent);
	if (chdir("/") < 0)
		child_fail(FD_ERRPIPE, errno);
	execve(SANDBOX_BWRAP, s->argv.v, envp);
	child_fail(FD_ERRPIPE, errno);
}

/* ---- bwrap's command line ---- */

/* /bin, /lib, ...: the host's symlinks into /usr, or read-only binds. */
static void argv_toplevel(struct strv *a)
{
	static const char *const dirs[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (lstat(dirs[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode) && (n = readlink(dirs[i], target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			strv_addl(a, "--symlink", target, dirs[i], NULL);
		} else if (S_ISDIR(st.st_mode)) {
			strv_addl(a, "--ro-bind", dirs[i], dirs[i], NULL);
		}
	}
}

static void argv_build(struct sbx *s, const struct sandbox_opts *o)
{
	struct strv *a = &s->argv;
	char num[32], fdn[16];
	size_t i;

	strv_addl(a, SANDBOX_BWRAP, "--unshare-user", "--unshare-pid", "--unshare-net",
		  "--unshare-ipc", "--unshare-uts", "--unshare-cgroup", "--disable-userns",
		  "--die-with-parent", "--new-session", "--cap-drop", "ALL",
		  "--hostname", "lethe-sandbox", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
		  "--setenv", "HOME", "/tmp", "--setenv", "LC_ALL", "C.UTF-8",
		  "--ro-bind", "/usr", "/usr", NULL);
	argv_toplevel(a);
	snprintf(num, sizeof(num), "%lld", (long long)o->lim.tmp_bytes);
	strv_addl(a, "--perms", "1777", "--size", num, "--tmpfs", "/tmp",
		  "--proc", "/proc", "--dev", "/dev", NULL);
	snprintf(fdn, sizeof(fdn), "%d", FD_PASSWD);
	strv_addl(a, "--perms", "0644", "--ro-bind-data", fdn, "/etc/passwd", NULL);
	snprintf(fdn, sizeof(fdn), "%d", FD_GROUP);
	strv_addl(a, "--perms", "0644", "--ro-bind-data", fdn, "/etc/group", NULL);
	strv_addl(a, o->workspace_writable ? "--bind" : "--ro-bind", o->workspace, "/workspace", NULL);
	for (i = 0; i < o->n_ro_binds; i++)
		strv_addl(a, "--ro-bind", o->ro_binds[i].src, o->ro_binds[i].dst, NULL);
	snprintf(fdn, sizeof(fdn), "%d", FD_SECCOMP);
	/* bwrap always sets PWD: env -i leaves exactly PATH, HOME and LC_ALL,
	 * a UTF-8 locale so that scanners read and write file names as bytes */
	strv_addl(a, "--chdir", "/workspace", "--seccomp", fdn, "--",
		  "/usr/bin/env", "-i", "--", "PATH=/usr/bin:/bin", "HOME=/tmp", "LC_ALL=C.UTF-8",
		  NULL);
	for (i = 0; o->argv[i]; i++)
		strv_add(a, o->argv[i]);
}

/* ---- setup, validation ---- */

/* Absolute, one line, no ".." component. */
static bool path_ok(const char *p)
{
	const char *d;

	if (!p || p[0] != '/' || strlen(p) >= PATH_MAX || strchr(p, '\n'))
		return false;
	for (d = strstr(p, "/.."); d; d = strstr(d + 1, "/.."))
		if (d[3] == '/' || d[3] == '\0')
			return false;
	return true;
}

static int opts_check(const struct sandbox_opts *o)
{
	const struct sandbox_limits *l = &o->lim;
	size_t i;

	if (!o->argv || !o->argv[0] || !path_ok(o->workspace) ||
	    o->n_ro_binds > SANDBOX_BINDS_MAX || (o->n_ro_binds && !o->ro_binds))
		return -EINVAL;
	for (i = 0; o->argv[i]; i++)
		if (i >= ARGV_MAX)
			return -E2BIG;
	for (i = 0; i < o->n_ro_binds; i++)
		if (!path_ok(o->ro_binds[i].src) || !path_ok(o->ro_binds[i].dst))
			return -EINVAL;
	if (l->memory < (16 << 20) || l->cpu_secs < 1 || l->pids < 1 || l->wall_secs < 1 ||
	    l->output_bytes < 0 || l->output_bytes > (1LL << 32) || l->tmp_bytes < 4096)
		return -EINVAL;
	return 0;
}

static int user_lookup(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return -EPERM;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* The passwd and group files the sandbox sees: its own uid, nothing else. */
static int files_make(struct sbx *s, const char *user)
{
	char *pw = xasprintf("%s:x:%u:%u::/tmp:/usr/sbin/nologin\n", user,
			     (unsigned)s->uid, (unsigned)s->gid);
	char *gr = xasprintf("%s:x:%u:\n", user, (unsigned)s->gid);

	s->fds[FD_PASSWD] = memfd_with("lethe-passwd", pw, strlen(pw));
	s->fds[FD_GROUP] = memfd_with("lethe-group", gr, strlen(gr));
	free(pw);
	free(gr);
	if (s->fds[FD_PASSWD] < 0)
		return s->fds[FD_PASSWD];
	return s->fds[FD_GROUP] < 0 ? s->fds[FD_GROUP] : 0;
}

static int pipes_make(struct sbx *s)
{
	int p[2];

	s->fds[FD_STDIN] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->fds[FD_STDIN] < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s->out_r = p[0];
	s->fds[FD_STDOUT] = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s->err_r = p[0];
	s->fds[FD_STDERR] = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s->errpipe_r = p[0];
	s->fds[FD_ERRPIPE] = p[1];
	return 0;
}

static int sbx_setup(struct sbx *s, const struct sandbox_opts *o)
{
	int r;

	r = user_lookup(o->user ? o->user : SANDBOX_USER, &s->uid, &s->gid);
	if (r == 0 && geteuid() != 0)
		r = -EPERM;
	if (r == 0)
		r = files_make(s, o->user ? o->user : SANDBOX_USER);
	if (r == 0)
		r = pipes_make(s);
	if (r == 0) {
		s->fds[FD_SECCOMP] = seccomp_fd();
		r = s->fds[FD_SECCOMP] < 0 ? s->fds[FD_SECCOMP] : 0;
	}
	if (r == 0) {
		cg_setup(s, &o->lim);
		argv_build(s, o);
	}
	return r;
}

static void sbx_release(struct sbx *s)
{
	int i;

	for (i = 0; i < FD__N; i++)
		close_fd(&s->fds[i]);
	close_fd(&s->out_r);
	close_fd(&s->err_r);
	close_fd(&s->errpipe_r);
	cgroup_run_remove(&s->cg);
	strv_free(&s->argv);
}

/* ---- the parent: output, wall time, outcome ---- */

struct sink {
	int *fd;
	char **buf;
	size_t *len;
	size_t cap;
};

/* Read what is there; keep up to the limit, drain and flag the rest. */
static void sink_read(struct sink *k, int64_t limit, struct sandbox_result *r)
{
	char chunk[65536];
	ssize_t n;
	size_t keep;

	n = read(*k->fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(k->fd);
		return;
	}
	keep = (size_t)limit > *k->len ? (size_t)limit - *k->len : 0;
	if ((size_t)n > keep)
		r->output_truncated = true;
	keep = (size_t)n < keep ? (size_t)n : keep;
	if (*k->len + keep + 1 > k->cap) {
		k->cap = (*k->len + keep + 1) * 2;
		*k->buf = xrealloc(*k->buf, k->cap);
	}
	memcpy(*k->buf + *k->len, chunk, keep);
	*k->len += keep;
	(*k->buf)[*k->len] = '\0';
}

static void tree_kill(struct sbx *s)
{
	kill(s->pid, SIGKILL);		/* bwrap; --die-with-parent takes the pid ns along */
	kill(-s->pid, SIGKILL);		/* fallback: its process group */
	cgroup_run_kill(&s->cg);	/* and every process the cgroups know */
}

static void run_wait(struct sbx *s, const struct sandbox_opts *o, struct sandbox_result *r,
		     int64_t t0)
{
	struct sink out = { &s->out_r, &r->out, &r->out_len, 0 };
	struct sink err = { &s->err_r, &r->err, &r->err_len, 0 };
	int64_t deadline = t0 + o->lim.wall_secs * 1000000, left;
	struct pollfd pfd[3];
	bool exited = false, killed = false;
	int pidfd, status = 0;

	pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	while (s->out_r >= 0 || s->err_r >= 0 || (!exited && pidfd >= 0)) {
		left = deadline - mono_usec();
		if (left <= 0 && !killed) {
			r->timed_out = !exited;
			tree_kill(s);
			killed = true;
			deadline = mono_usec() + GRACE_USEC;
			continue;
		}
		if (left <= 0)
			break;	/* something outside the tree holds a pipe */
		pfd[0] = (struct pollfd){ s->out_r, POLLIN, 0 };
		pfd[1] = (struct pollfd){ s->err_r, POLLIN, 0 };
		pfd[2] = (struct pollfd){ exited ? -1 : pidfd, POLLIN, 0 };
		if (poll(pfd, 3, (int)((left + 999) / 1000)) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			sink_read(&out, o->lim.output_bytes, r);
		if (pfd[1].revents)
			sink_read(&err, o->lim.output_bytes, r);
		if (pfd[2].revents && !exited) {
			exited = true;	/* the pipes close as the pid ns goes */
			deadline = mono_usec() + GRACE_USEC;
		}
	}
	if (!exited && !killed)
		tree_kill(s);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Did the child fail before exec?  Its errno, or 0 once exec closed the pipe. */
static int child_error(struct sbx *s)
{
	int err = 0;
	ssize_t n;

	do
		n = read(s->errpipe_r, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	return n == sizeof(err) ? -err : 0;
}

int sandbox_run(const struct sandbox_opts *o, struct sandbox_result *r)
{
	struct sbx s = { .pid = -1, .out_r = -1, .err_r = -1, .errpipe_r = -1,
			 .cg = { .v2 = { NULL, -1 }, .mem = { NULL, -1 }, .pids = { NULL, -1 } } };
	int64_t t0 = mono_usec();
	pid_t parent = getpid();
	int i, rc;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < FD__N; i++)
		s.fds[i] = -1;
	rc = opts_check(o);
	if (rc == 0)
		rc = sbx_setup(&s, o);
	if (rc == 0 && (s.pid = fork()) < 0)
		rc = -errno;
	if (rc < 0)
		goto out;
	if (s.pid == 0)
		child_run(&s, &o->lim, parent);
	for (i = 0; i < FD__N; i++)
		close_fd(&s.fds[i]);
	rc = child_error(&s);
	run_wait(&s, o, r, t0);
	r->oom_killed = cgroup_run_oom(&s.cg);
	r->pids_exhausted = cgroup_run_pids_max(&s.cg);
	snprintf(r->limits, sizeof(r->limits), "%s", s.cg.note);
	r->wall_usec = mono_usec() - t0;
out:
	sbx_release(&s);
	return rc;
}

void sandbox_opts_configure(const struct config *cfg, int64_t wall, struct sandbox_opts *o)
{
	o->user = config_v(cfg)->sandbox_user;
	o->lim.memory = config_v(cfg)->sandbox_memory;
	o->lim.cpu_secs = config_v(cfg)->sandbox_cpu;
	o->lim.cpus = config_v(cfg)->sandbox_cpus;
	o->lim.pids = config_v(cfg)->sandbox_pids;
	o->lim.wall_secs = wall;
	o->lim.output_bytes = config_v(cfg)->sandbox_output;
	o->lim.tmp_bytes = config_v(cfg)->sandbox_tmp;
}

int sandbox_parallel(const struct config *cfg)
{
	int64_t n = config_v(cfg)->scan_parallel;
	cpu_set_t cpus;

	if (n > 0)
		return (int)n;
	n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
	return (int)(n < config_v(cfg)->sandbox_cpus ? n : config_v(cfg)->sandbox_cpus);
}
