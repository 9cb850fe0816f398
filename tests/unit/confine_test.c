/*
 * confine_test.c - what a confined process can no longer do: under
 * confine_landlock, read or create files outside its paths and connect to
 * another TCP port; under confine_seccomp_load, make namespaces or use the
 * keyring.  Each check runs in a child, which reports errno values back.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "tap.h"
#include "util.h"

struct seen {
	int abi;
	int write_inside, read_outside, create_outside, read_system;
	int connect_allowed, connect_other;
	int unshare, keyctl;
};

static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

/* 0 when it worked, else its errno. */
static int try_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	r = fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	return r;
}

static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void child(const char *base, int p1, int p2, int out)
{
	char *inside = xasprintf("%s/in", base), *made = xasprintf("%s/in/new", base);
	char *secret = xasprintf("%s/out/secret", base), *other = xasprintf("%s/out/new", base);
	const char *const ro[] = { "/etc", NULL };
	const char *const rw[] = { inside, NULL };
	struct confine_paths p = { .cp_read = ro, .cp_write = rw, .cp_tcp_port = p1 };
	struct seen s = { .abi = confine_landlock(&p) };

	s.write_inside = try_open(made, O_WRONLY | O_CREAT);
	s.read_outside = try_open(secret, O_RDONLY);
	s.create_outside = try_open(other, O_WRONLY | O_CREAT);
	s.read_system = try_open("/etc/passwd", O_RDONLY);
	s.connect_allowed = try_connect(p1);
	s.connect_other = try_connect(p2);
	if (confine_seccomp_load() == 0) {
		s.unshare = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
		s.keyctl = syscall(SYS_keyctl, 0, 0, 0, 0, 0) < 0 ? errno : 0;
	}
	(void)!write(out, &s, sizeof(s));
	_exit(0);
}

int main(void)
{
	char base[] = "/tmp/confine_test.XXXXXX", *path;
	struct seen s = { 0 };
	int pfd[2], l1, l2, p1, p2, status;
	pid_t pid;

	plan(9);
	if (!mkdtemp(base) || pipe(pfd) < 0)
		return 1;
	path = xasprintf("%s/in", base);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/out", base);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/out/secret", base);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	l1 = listener(&p1);
	l2 = listener(&p2);
	pid = fork();
	if (pid == 0)
		child(base, p1, p2, pfd[1]);
	close(pfd[1]);
	ok(read(pfd[0], &s, sizeof(s)) == sizeof(s) && waitpid(pid, &status, 0) == pid &&
	   WIFEXITED(status), "the confined child reported");
	diag("Landlock ABI %d", s.abi);
	if (s.abi == -ENOSYS) {
		skip(6, "the kernel has no Landlock");
	} else {
		ok(s.write_inside == 0, "it creates a file beneath its writable path (%s)",
		   strerror(s.write_inside));
		ok(s.read_outside == EACCES, "it cannot read a file outside its paths (%s)",
		   strerror(s.read_outside));
		ok(s.create_outside == EACCES, "it cannot create a file outside them (%s)",
		   strerror(s.create_outside));
		ok(s.read_system == 0, "it reads beneath a readable path (%s)",
		   strerror(s.read_system));
		if (s.abi < 4) {
			skip(2, "Landlock before ABI 4 does not restrict TCP");
		} else {
			ok(s.connect_allowed == 0, "it connects to its one TCP port (%s)",
			   strerror(s.connect_allowed));
			ok(s.connect_other == EACCES, "it cannot connect to another (%s)",
			   strerror(s.connect_other));
		}
	}
	ok(s.unshare == EPERM, "under the seccomp filter, no new namespace (%s)", strerror(s.unshare));
	ok(s.keyctl == EPERM, "and no keyring (%s)", strerror(s.keyctl));
	close(l1);
	close(l2);
	path = xasprintf("rm -rf '%s'", base);
	(void)!system(path);
	free(path);
	return tap_exit();
}
