/*
 * sandbox.h - run one command under bubblewrap (DESIGN.md invariant 5).
 *
 * The command sees the checkout read-only at /workspace, /usr read-only
 * (with the host's /bin, /lib, /lib64, /sbin symlinks into it), a private
 * size-limited tmpfs at /tmp, a fresh /proc and a minimal /dev, a one-line
 * /etc/passwd and /etc/group for its own uid, and nothing else.  It runs as
 * the unprivileged user SANDBOX_USER (bubblewrap is started as that user,
 * never as root), in new user, pid, network, ipc, uts and cgroup
 * namespaces, with no capabilities, no new privileges, an environment of
 * PATH=/usr/bin:/bin, HOME=/tmp and LC_ALL=C.UTF-8 only, and a seccomp filter that answers
 * EPERM to ptrace, keyctl, add_key, request_key, bpf, mount, umount2,
 * unshare, setns, perf_event_open, io_uring_*, kexec_*, module loading,
 * clone() into new namespaces, and socket() for any family but AF_UNIX.
 *
 * Limits: memory, processes and CPU share through a per-run cgroup: v2 in
 * the caller's delegated subtree, else v1 directories
 * (/sys/fs/cgroup/{memory,pids}/lethe/ID) (lib/scan/cgroup.h), falling back to
 * RLIMIT_AS and RLIMIT_NPROC without either; CPU time with RLIMIT_CPU; output through pipes
 * read by the caller's process; wall time, after which the whole tree is
 * killed.  The caller must be root (it switches to SANDBOX_USER).
 */
#ifndef LETHE_SANDBOX_H
#define LETHE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox_paths.h"

#define SANDBOX_USER	"lethe-sandbox"
#define SANDBOX_BWRAP	"/usr/bin/bwrap"
#define SANDBOX_BINDS_MAX 16

struct sandbox_limits {
	int64_t memory;		/* bytes: the run's cgroup, /tmp included */
	int64_t cpu_secs;	/* CPU seconds per process (RLIMIT_CPU) */
	int64_t cpus;		/* CPUs' worth of time at once (cgroup v2 cpu.max) */
	int64_t pids;		/* processes and threads at once */
	int64_t wall_secs;	/* then every process of the run is killed */
	int64_t output_bytes;	/* kept of stdout, and again of stderr */
	int64_t tmp_bytes;	/* size of the /tmp tmpfs */
};

/* 2G memory, 600 s CPU, 1 CPU at once, 256 pids, 600 s wall, 16M output, 512M /tmp. */
void sandbox_limits_default(struct sandbox_limits *l);

struct sandbox_bind {
	const char *src;	/* host path, absolute */
	const char *dst;	/* path inside, absolute, not /workspace, /tmp, ... */
};

struct sandbox_opts {
	const char *user;		/* NULL: SANDBOX_USER; never root */
	const char *workspace;		/* host directory shown at /workspace */
	const char *const *argv;	/* command inside, argv[0] a path inside */
	const struct sandbox_bind *ro_binds;	/* extra read-only binds */
	size_t n_ro_binds;		/* at most SANDBOX_BINDS_MAX */
	struct sandbox_limits lim;
	bool workspace_writable;	/* read-write (a fix's work tree); else read-only */
};

struct sandbox_result {
	int exit_status;	/* exit code; a command killed by signal N
				 * inside shows 128 + N (bubblewrap's way) */
	int term_signal;	/* bubblewrap itself killed by this signal */
	bool timed_out;		/* the wall limit killed the run */
	bool oom_killed;	/* the memory limit killed a process */
	bool pids_exhausted;	/* a fork failed at the process limit */
	bool output_truncated;	/* stdout or stderr went over the limit */
	char *out;		/* stdout, NUL-terminated, owned by the result */
	size_t out_len;
	char *err;		/* stderr, likewise */
	size_t err_len;
	int64_t wall_usec;
	char limits[320];	/* which limits applied (cgroup v2, v1 or rlimits), and why */
};

/*
 * Run o->argv in the sandbox and wait for it (at most the wall limit).
 * Returns 0 when the command ran, whatever its outcome (see *r), and a
 * negative errno when the sandbox could not be set up: -EINVAL bad
 * options, -ENOENT unknown user, -EPERM root user or caller not root.
 * *r is always initialized; release it with sandbox_result_release.
 */
int sandbox_run(const struct sandbox_opts *o, struct sandbox_result *r);

/* Free what *r owns; *r can be reused afterwards. */
void sandbox_result_release(struct sandbox_result *r);

struct config;
/* The user and limits of the configuration (sandbox_*), with wall seconds of wall time. */
void sandbox_opts_configure(const struct config *cfg, int64_t wall, struct sandbox_opts *o);
/* How many tools one analysis runs at once: scan_parallel, or with 0 the
 * CPUs this process may run on, at most sandbox_cpus (more would share them). */
int sandbox_parallel(const struct config *cfg);

#endif
