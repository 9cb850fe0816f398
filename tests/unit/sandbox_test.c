/*
 * sandbox_test.c - every promise of the sandbox, checked from inside it.
 *
 * Needs root, bubblewrap and the lethe-sandbox user; skips otherwise.
 * Works in a scratch directory under $LETHE_SHARED (where the stack's
 * service users can enter; scripts/tap-exec sets it), or /tmp.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/rand.h>

#include "proc.h"
#include "sandbox.h"
#include "tap.h"
#include "util.h"

static char scratch[1024], workspace[1100];
static char marker[40];

/* Run argv with the default limits changed by the caller; show stderr on failure. */
static int run(const char *const *argv, const struct sandbox_limits *lim,
	       struct sandbox_result *r)
{
	struct sandbox_opts o = { NULL, workspace, argv, NULL, 0, { 0 }, false };
	int rc;

	if (lim)
		o.lim = *lim;
	else
		sandbox_limits_default(&o.lim);
	rc = sandbox_run(&o, r);
	if (rc < 0)
		printf("# sandbox_run: %s\n", strerror(-rc));
	return rc;
}

/* The first line of s, copied (for messages). */
static const char *line1(const char *s)
{
	static char buf[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%.*s", (int)strcspn(s ? s : "", "\n"), s ? s : "");
	return buf[i];
}

static void diag_err(const struct sandbox_result *r)
{
	if (r->err_len)
		diag("stderr: %s", line1(r->err));
}

static void test_basics(void)
{
	const char *t[] = { "/usr/bin/true", NULL };
	const char *cat[] = { "/usr/bin/cat", "/workspace/hello.txt", NULL };
	const char *wr[] = { "/bin/sh", "-c", "echo x > /workspace/new", NULL };
	const char *env[] = { "/usr/bin/env", NULL };
	struct sandbox_result r;
	char path[1200];
	int rc;

	rc = run(t, NULL, &r);
	ok(rc == 0 && r.exit_status == 0 && !r.timed_out && !r.output_truncated,
	   "true runs and exits 0 (%lld ms)", (long long)r.wall_usec / 1000);
	diag_err(&r);
	sandbox_result_release(&r);

	ok(run(cat, NULL, &r) == 0 && r.exit_status == 0 && r.out && !strcmp(r.out, marker),
	   "the checkout is readable at /workspace");
	sandbox_result_release(&r);

	run(wr, NULL, &r);
	snprintf(path, sizeof(path), "%s/new", workspace);
	ok(r.exit_status != 0 && r.err && strstr(r.err, "Read-only file system") && access(path, F_OK) < 0,
	   "writing to /workspace fails: %s", line1(r.err));
	sandbox_result_release(&r);

	setenv("LETHE_TEST_TOKEN", marker, 1);
	run(env, NULL, &r);
	ok(r.exit_status == 0 && r.out && !strcmp(r.out, "PATH=/usr/bin:/bin\nHOME=/tmp\nLC_ALL=C.UTF-8\n"),
	   "environment is PATH, HOME and LC_ALL only");
	ok(r.out && !strstr(r.out, marker) && !strstr(r.out, "LETHE_TEST_TOKEN"),
	   "a token in the caller's environment is absent inside");
	unsetenv("LETHE_TEST_TOKEN");
	sandbox_result_release(&r);
}

/* Host uid of the sandboxed process whose command line holds key. */
static int host_uid_of(const char *const *argv, const char *key)
{
	char path[64], *buf = NULL, *u;
	struct sandbox_result r;
	int uid = -1, i, status;
	pid_t pid, found = 0;
	size_t len;

	pid = fork();
	if (pid == 0)
		_exit(run(argv, NULL, &r) < 0);
	for (i = 0; i < 300 && !found; i++) {
		found = process_with(key);
		usleep(10000);
	}
	if (found > 0) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)found);
		if (read_file(path, 65536, &buf, &len) == 0 && (u = strstr(buf, "\nUid:")))
			uid = atoi(u + 5);
		free(buf);
	}
	waitpid(pid, &status, 0);
	return uid;
}

static void test_identity(uid_t uid)
{
	const char *id[] = { "/bin/sh", "-c", "id -u", NULL };
	char sl[128];
	const char *slp[] = { "/bin/sh", "-c", sl, NULL };
	const char *st[] = { "/bin/sh", "-c",
		"grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status", NULL };
	const char *fds[] = { "/usr/bin/python3", "-c",
		"import os; print(' '.join(sorted(os.listdir('/proc/self/fd'))))", NULL };
	const char *fs[] = { "/bin/sh", "-c", "ls / | tr '\\n' ' '; cat /etc/passwd", NULL };
	struct sandbox_result r;
	int host;
	char want[128];

	run(id, NULL, &r);
	ok(r.exit_status == 0 && r.out && atoi(r.out) != 0 && (uid_t)atoi(r.out) == uid,
	   "uid inside is %d, not 0", r.out ? atoi(r.out) : -1);
	sandbox_result_release(&r);

	snprintf(sl, sizeof(sl), "sleep 2; : %s-uid", marker);
	host = host_uid_of(slp, sl);
	ok(host == (int)uid, "on the host the sandboxed process runs as uid %d (lethe-sandbox)", host);

	run(st, NULL, &r);
	ok(r.out && strstr(r.out, "CapEff:\t0000000000000000") && strstr(r.out, "CapPrm:\t0000000000000000"),
	   "no effective or permitted capabilities");
	ok(r.out && strstr(r.out, "NoNewPrivs:\t1") && strstr(r.out, "Seccomp:\t2"),
	   "no new privileges, seccomp filter on");
	sandbox_result_release(&r);

	run(fds, NULL, &r);
	ok(r.out && !strcmp(r.out, "0 1 2 3\n"), "no fd leaks in: %s", line1(r.out));
	sandbox_result_release(&r);

	run(fs, NULL, &r);
	snprintf(want, sizeof(want), "%s:x:%u:", SANDBOX_USER, (unsigned)uid);
	ok(r.out && !strncmp(r.out, "bin dev etc lib", 15) && strstr(r.out, "proc sbin tmp usr workspace") &&
	   strstr(r.out, want), "root holds only the expected entries, passwd one line: %.80s",
	   r.out ? r.out : "");
	sandbox_result_release(&r);
}

static void test_network(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char script[512], port[16];
	const char *py[] = { "/usr/bin/python3", "-c", script, port, NULL };
	struct sandbox_result r;
	int lfd, cfd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
		ok(0, "listener on 127.0.0.1");
		return;
	}
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	snprintf(script, sizeof(script),
		 "import socket, sys\n"
		 "a, b = socket.socketpair(); a.send(b'u'); print('unix', b.recv(1).decode())\n"
		 "try:\n"
		 "  s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 2); print('connected')\n"
		 "except OSError as e: print('tcp', type(e).__name__, e.errno)\n");
	run(py, NULL, &r);
	cfd = accept(lfd, NULL, NULL);
	ok(r.out && strstr(r.out, "tcp PermissionError 1") && !strstr(r.out, "connected") && cfd < 0,
	   "TCP connect to a host listener on 127.0.0.1 fails with EPERM");
	ok(r.out && strstr(r.out, "unix u"), "local (AF_UNIX) sockets still work");
	diag_err(&r);
	sandbox_result_release(&r);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
}

static void test_syscalls(void)
{
	static const char probe[] =
		"import ctypes, os\n"
		"libc = ctypes.CDLL(None, use_errno=True)\n"
		"def e(r): return ctypes.get_errno() if r == -1 else 0\n"
		"print('ptrace', e(libc.ptrace(0, 0, 0, 0)))\n"
		"print('mount', e(libc.mount(b'none', b'/tmp', b'tmpfs', 0, 0)))\n"
		"print('unshare', e(libc.unshare(0x10000000)))\n"
		"print('keyctl', e(libc.syscall(250, 0, 0, 0, 0)))\n"
		"print('bpf', e(libc.syscall(321, 0, 0, 0)))\n"
		"print('perf', e(libc.syscall(298, 0, 0, -1, -1, 0)))\n"
		"print('io_uring', e(libc.syscall(425, 1, 0)))\n"
		"print('clone_newuser', e(libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)))\n";
	const char *py[] = { "/usr/bin/python3", "-c", probe, NULL };
	static const char *const names[] = { "ptrace", "mount", "unshare", "keyctl", "bpf", "perf",
		"io_uring", "clone_newuser" };
	char want[64], bad[256] = "";
	struct sandbox_result r;
	size_t i;

	run(py, NULL, &r);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(want, sizeof(want), "%s 1\n", names[i]);
		if (!r.out || !strstr(r.out, want))
			strcat(strcat(bad, " "), names[i]);
	}
	ok(r.exit_status == 0 && !bad[0], "ptrace, mount, unshare, keyctl, bpf, perf_event_open, "
	   "io_uring_setup, clone(CLONE_NEWUSER) fail with EPERM%s%s", bad[0] ? "; not:" : "", bad);
	diag_err(&r);
	sandbox_result_release(&r);
}

static void test_limits(void)
{
	char bomb[256], counter[256], sleeper[128];
	const char *b[] = { "/bin/sh", "-c", bomb, NULL };
	const char *c[] = { "/usr/bin/python3", "-c", counter, NULL };
	const char *m[] = { "/usr/bin/python3", "-c", "b = b'x' * (200 << 20); print('alive')", NULL };
	const char *s[] = { "/bin/sh", "-c", sleeper, NULL };
	const char *cpu[] = { "/usr/bin/python3", "-c", "while True: pass", NULL };
	const char *big[] = { "/usr/bin/head", "-c", "100000", "/dev/zero", NULL };
	struct sandbox_limits lim;
	struct sandbox_result r;
	char sleeparg[64];

	sandbox_limits_default(&lim);
	lim.pids = 32;
	lim.wall_secs = 4;
	snprintf(counter, sizeof(counter),
		 "import os, time\nn = 0\ntry:\n  while n < 1000:\n"
		 "    if os.fork() == 0: time.sleep(30); os._exit(0)\n    n += 1\n"
		 "except OSError as e: print(n, e.errno)\n");
	run(c, &lim, &r);
	ok(r.out && atoi(r.out) > 0 && atoi(r.out) < 32 && strstr(r.out, " 11\n") && r.pids_exhausted,
	   "forking stops at the process limit (32): %s", line1(r.out));
	sandbox_result_release(&r);

	snprintf(bomb, sizeof(bomb), "f() { f | f & }; f; sleep 3; : %s", marker);
	run(b, &lim, &r);
	ok(r.pids_exhausted && r.wall_usec < 10 * 1000000,
	   "a fork bomb hits the limit and the run ends (%lld ms)", (long long)r.wall_usec / 1000);
	ok(!process_with(marker), "no process of the bomb is left");
	sandbox_result_release(&r);

	sandbox_limits_default(&lim);
	lim.memory = 64 << 20;
	run(m, &lim, &r);
	ok(r.oom_killed && r.exit_status != 0 && (!r.out || !strstr(r.out, "alive")),
	   "allocating 200M under a 64M limit is killed (exit %d)", r.exit_status);
	sandbox_result_release(&r);

	sandbox_limits_default(&lim);
	lim.wall_secs = 2;
	snprintf(sleeparg, sizeof(sleeparg), "sleep 1000.%d", (int)getpid());
	snprintf(sleeper, sizeof(sleeper), "%s; : %s", sleeparg, marker);
	run(s, &lim, &r);
	ok(r.timed_out && r.wall_usec >= 2000000 && r.wall_usec < 6000000,
	   "sleep 1000 under a 2 s wall limit is killed, timed_out (%lld ms)", (long long)r.wall_usec / 1000);
	ok(!process_with(sleeparg) && !process_with(marker), "no process of it is left");
	sandbox_result_release(&r);

	sandbox_limits_default(&lim);
	lim.cpu_secs = 1;
	lim.wall_secs = 20;
	run(cpu, &lim, &r);
	ok(!r.timed_out && r.exit_status == 128 + SIGXCPU, "a busy loop stops at 1 s of CPU (exit %d, %lld ms)",
	   r.exit_status, (long long)r.wall_usec / 1000);
	sandbox_result_release(&r);

	sandbox_limits_default(&lim);
	lim.output_bytes = 1000;
	run(big, &lim, &r);
	ok(r.exit_status == 0 && r.out_len == 1000 && r.output_truncated,
	   "output over the limit is truncated at it and flagged (%zu bytes)", r.out_len);
	sandbox_result_release(&r);
}

/* Each scanner finds the flaw planted in its fixture, from inside. */
static void test_tools(void)
{
	static const struct {
		const char *file, *text, *argv[6], *want;
	} tools[] = {
		{ "vuln.py", "import subprocess\nsubprocess.call(input(), shell=True)\n",
		  { "/usr/bin/bandit", "-q", "-f", "csv", "/workspace/vuln.py", NULL }, "B602" },
		{ "vuln.c", "#include <string.h>\nvoid f(char *s) { char b[8]; strcpy(b, s); }\n",
		  { "/usr/bin/flawfinder", "--dataonly", "--quiet", "/workspace/vuln.c", NULL }, "strcpy" },
		{ "oob.c", "int f(void) { int a[4]; return a[4]; }\n",
		  { "/usr/bin/cppcheck", "--quiet", "--template={id}", "/workspace/oob.c", NULL }, "arrayIndexOutOfBounds" },
		{ "vuln.sh", "#!/bin/sh\nrm -rf $1/*\n",
		  { "/usr/bin/shellcheck", "-f", "gcc", "/workspace/vuln.sh", NULL }, "SC2086" },
	};
	struct sandbox_result r;
	char path[1200];
	size_t i;
	int fd, found;

	for (i = 0; i < ARRAY_SIZE(tools); i++) {
		if (access(tools[i].argv[0], X_OK) < 0) {
			skip(1, "scanner not installed");
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", workspace, tools[i].file);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, tools[i].text, strlen(tools[i].text)) < 0)
			diag("unable to write '%s'", path);
		if (fd >= 0)
			close(fd);
		run(tools[i].argv, NULL, &r);
		found = (r.out && strstr(r.out, tools[i].want)) || (r.err && strstr(r.err, tools[i].want));
		ok(found, "%s finds %s inside (exit %d)", tools[i].argv[0] + 9, tools[i].want,
		   r.exit_status);
		if (!found)
			diag_err(&r);
		sandbox_result_release(&r);
	}
}

/* /tmp is private, writable and bounded. */
static void test_tmp(void)
{
	const char *w[] = { "/bin/sh", "-c", "echo x > /tmp/a && cat /tmp/a && "
		"head -c 3000000 /dev/zero > /tmp/b", NULL };
	struct sandbox_limits lim;
	struct sandbox_result r;

	sandbox_limits_default(&lim);
	lim.tmp_bytes = 1 << 20;
	run(w, &lim, &r);
	ok(r.out && !strcmp(r.out, "x\n") && r.exit_status != 0 && r.err &&
	   strstr(r.err, "No space left on device"), "/tmp is writable and stops at its size (1M): %s",
	   line1(r.err));
	sandbox_result_release(&r);
}

static void test_opts(void)
{
	char src[1200];
	struct sandbox_bind bind = { src, "/opt/lethe/marker" };
	const char *cat[] = { "/usr/bin/cat", "/opt/lethe/marker", NULL };
	const char *t[] = { "/usr/bin/true", NULL };
	struct sandbox_opts o = { NULL, workspace, cat, &bind, 1, { 0 }, false };
	struct sandbox_bind badbind = { "/usr", "/opt/../etc" };
	struct sandbox_result r;
	struct dirent *de;
	char prefix[32];
	int left = 0;
	DIR *d;

	snprintf(src, sizeof(src), "%s/hello.txt", workspace);
	sandbox_limits_default(&o.lim);
	ok(sandbox_run(&o, &r) == 0 && r.out && !strcmp(r.out, marker), "an extra read-only bind is visible");
	sandbox_result_release(&r);

	o.argv = t;
	o.user = "root";
	ok(sandbox_run(&o, &r) == -EPERM, "running as root is refused");
	o.user = NULL;
	o.ro_binds = &badbind;
	ok(sandbox_run(&o, &r) == -EINVAL, "a bind with '..' is refused");
	o.ro_binds = NULL;
	o.n_ro_binds = 0;
	o.workspace = "relative/dir";
	ok(sandbox_run(&o, &r) == -EINVAL, "a relative workspace is refused");

	snprintf(prefix, sizeof(prefix), "%d-", (int)getpid());
	d = opendir("/sys/fs/cgroup/pids/lethe");
	while (d && (de = readdir(d)))
		left |= !strncmp(de->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	ok(!left, "every per-run cgroup was removed");
}

static int setup(void)
{
	const char *base = getenv("LETHE_SHARED");
	unsigned char raw[16];
	char path[1200];
	int fd;

	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(scratch, sizeof(scratch), "%s/sandbox_test.XXXXXX", base);
	if (!mkdtemp(scratch) || chmod(scratch, 0755) < 0)
		return -errno;
	snprintf(workspace, sizeof(workspace), "%s/ws", scratch);
	if (mkdir(workspace, 0755) < 0)
		return -errno;
	RAND_bytes(raw, sizeof(raw));
	memcpy(marker, "LETHE-T", 7);
	hex_encode(raw, sizeof(raw), marker + 7);
	snprintf(path, sizeof(path), "%s/hello.txt", workspace);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, marker, strlen(marker)) != (ssize_t)strlen(marker))
		return -EIO;
	close(fd);
	return 0;
}

int main(void)
{
	struct passwd *pw = getpwnam(SANDBOX_USER);
	char cmd[1100];

	if (geteuid() != 0 || !pw || access(SANDBOX_BWRAP, X_OK) < 0) {
		printf("1..0 # SKIP needs root, bubblewrap and the %s user\n", SANDBOX_USER);
		return 0;
	}
	if (setup() < 0) {
		printf("1..0 # SKIP unable to make a scratch directory\n");
		return 0;
	}
	test_basics();
	test_identity(pw->pw_uid);
	test_network();
	test_syscalls();
	test_limits();
	test_tools();
	test_tmp();
	test_opts();
	done_testing();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		printf("# unable to remove %s\n", scratch);
	return tap_exit();
}
