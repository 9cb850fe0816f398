/*
 * unpriv.h - leave root for good before touching what others wrote (the
 * model: OpenSMTPD's queue(), which forks, drops, then works).
 */
#ifndef LETHE_UNPRIV_H
#define LETHE_UNPRIV_H

#include <sys/types.h>

/* The unprivileged user that parses and stores a scan's results. */
#define UNPRIV_USER "lethe"

/*
 * Become user for good: its group alone, its gid, its uid (saved ids
 * too), no capabilities, no new privileges.  Checks that root is out of
 * reach afterwards.  0, -ENOENT (no such user), -EPERM (user is root, or
 * root could be regained) or another negative errno.
 */
int unpriv_drop(const char *user);

/*
 * The same for ids looked up before: only system calls, so that a child
 * forked from a process with threads may call it before exec.
 */
int unpriv_become(uid_t uid, gid_t gid);

#endif
