/* confine.c - seccomp and Landlock for the processes that touch a repository. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "util.h"

/* ---- seccomp ---- */

static const char *const denied[] = {
	"ptrace", "keyctl", "add_key", "request_key", "bpf", "mount", "umount2",
	"unshare", "setns", "perf_event_open", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "kexec_load", "kexec_file_load", "init_module",
	"finit_module", "delete_module", "pivot_root", "open_tree", "move_mount",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
};

static const unsigned long clone_ns_flags[] = {
	CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
	CLONE_NEWUTS, CLONE_NEWCGROUP,
};

int confine_seccomp_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int nr, r = 0;

	for (i = 0; i < ARRAY_SIZE(denied) && r == 0; i++) {
		nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* unshare is denied above; clone must not create namespaces either */
	for (i = 0; i < ARRAY_SIZE(clone_ns_flags) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i],
					     clone_ns_flags[i]));
	/* clone3 passes its flags in memory, out of reach: make libc fall back */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return r;
}

int confine_seccomp_load(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	r = confine_seccomp_rules(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* ---- Landlock (the kernel's ABI, as include/uapi/linux/landlock.h has it) ---- */

#define LL_VERSION 1U			/* landlock_create_ruleset: ask the ABI */
#define LL_RULE_PATH 1
#define LL_RULE_PORT 2
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_V1 ((1ULL << 13) - 1)	/* execute .. make_sym */
#define LL_FS_REFER (1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset {
	uint64_t fs, net, scoped;
};

struct ll_path {
	uint64_t allowed;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_port {
	uint64_t allowed, port;
};

/* The part of struct ll_ruleset an ABI knows: its size, and what it handles. */
static size_t ll_handled(int abi, struct ll_ruleset *rs)
{
	rs->fs = LL_FS_V1 | (abi >= 2 ? LL_FS_REFER : 0) | (abi >= 3 ? LL_FS_TRUNCATE : 0) |
		 (abi >= 5 ? LL_FS_IOCTL_DEV : 0);
	rs->net = abi >= 4 ? LL_NET_BIND_TCP | LL_NET_CONNECT_TCP : 0;
	rs->scoped = abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL : 0;
	return abi >= 6 ? sizeof(*rs) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
}

static int ll_paths(int ruleset, const char *const *paths, uint64_t allowed)
{
	for (; paths && *paths; paths++) {
		int fd = open(*paths, O_PATH | O_CLOEXEC);
		struct ll_path rule = { .allowed = allowed, .parent_fd = fd };
		int r;

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		/* a file (not a directory) takes only the file rights */
		r = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH, &rule, 0);
		if (r < 0 && errno == EINVAL) {
			rule.allowed &= LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE |
					LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
			r = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH, &rule, 0);
		}
		r = r < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

static int ll_rules(int ruleset, const struct confine_paths *p, const struct ll_ruleset *rs)
{
	uint64_t ro = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
	struct ll_port port = { .allowed = LL_NET_CONNECT_TCP, .port = (uint64_t)p->cp_tcp_port };
	int r = ll_paths(ruleset, p->cp_read, ro);

	if (r == 0)
		r = ll_paths(ruleset, p->cp_write, rs->fs);
	if (r == 0 && rs->net && p->cp_tcp_port > 0 &&
	    syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PORT, &port, 0) < 0)
		r = -errno;
	return r;
}

int confine_landlock(const struct confine_paths *p)
{
	struct ll_ruleset rs;
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
	int ruleset, r;

	if (abi < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? -ENOSYS : -errno;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &rs, ll_handled(abi, &rs), 0);
	if (ruleset < 0)
		return -errno;
	r = ll_rules(ruleset, p, &rs);
	/* restrict_self needs no_new_privs (or CAP_SYS_ADMIN): set it here too */
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		r = -errno;
	close(ruleset);
	return r < 0 ? r : abi;
}
