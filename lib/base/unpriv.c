/* unpriv.c - drop from root to an unprivileged user for good. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "unpriv.h"

/* Every capability set empty, the ambient one included. */
static int caps_none(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    syscall(SYS_capset, &h, d) < 0 || syscall(SYS_capget, &h, d) < 0)
		return -errno;
	return d[0].effective | d[0].permitted | d[0].inheritable | d[1].effective |
	       d[1].permitted | d[1].inheritable ? -EPERM : 0;
}

int unpriv_drop(const char *user)
{
	const struct passwd *pw = getpwnam(user);

	return pw ? unpriv_become(pw->pw_uid, pw->pw_gid) : -ENOENT;
}

int unpriv_become(uid_t uid, gid_t gid)
{
	if (uid == 0 || gid == 0)
		return -EPERM;
	/* supplementary groups first: root's would otherwise survive setgid */
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0)
		return -errno;
	/* the user last: afterwards nothing of root is left */
	if (setresuid(uid, uid, uid) < 0)
		return -errno;
	/* no exec may give back what was dropped */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* prove it: root must be out of reach now */
	if (setuid(0) == 0 || geteuid() != uid || getegid() != gid)
		return -EPERM;
	return caps_none();
}
