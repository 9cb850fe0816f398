/*
 * confine.h - what a process that handles a hostile repository gives up
 * on itself: system calls (seccomp) and, where the kernel has Landlock,
 * the files and TCP ports it may reach.
 */
#ifndef LETHE_CONFINE_H
#define LETHE_CONFINE_H

#include <seccomp.h>

/*
 * The system calls no scanning or fetching process needs, each answered
 * EPERM: ptrace, the kernel keyring, bpf, mounts, namespaces (unshare,
 * setns, clone with a CLONE_NEW* flag), io_uring, module and kexec loads;
 * clone3 answers ENOSYS (its flags are out of a filter's reach), so libc
 * falls back to clone.  Added to ctx; 0 or a negative errno.
 */
int confine_seccomp_rules(scmp_filter_ctx ctx);

/* Load confine_seccomp_rules into this process (no_new_privs must be set). */
int confine_seccomp_load(void);

struct confine_paths {
	const char *const *cp_read;	/* read and execute beneath each; NULL-ended */
	const char *const *cp_write;	/* everything beneath each; NULL-ended */
	int cp_tcp_port;	/* the one TCP port it may connect to; 0: none */
};

/*
 * Restrict this process and its future children with Landlock to p: no
 * other file or directory, no TCP connection but to cp_tcp_port (kernel
 * ABI 4 and later), no TCP bind, and (ABI 6) no signal to and no abstract
 * socket of a process outside.  A path in p that does not exist is left
 * out.  Returns the ABI applied, -ENOSYS when the kernel has no Landlock
 * (nothing is changed), or another negative errno.
 */
int confine_landlock(const struct confine_paths *p);

#endif
