/* cgroup.c - the cgroup that limits one sandbox run; see cgroup.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "util.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CPU_PERIOD 100000	/* microseconds, cgroup v2's default */

/* Write text into dir/file (created in a tree that is not a cgroupfs). */
static int cg_put(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	size_t n = strlen(text);
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		r = -errno;
	close(fd);
	return r;
}

static int cg_write(const char *dir, const char *file, int64_t val)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)val);
	return cg_put(dir, file, num);
}

/* Value of "key N" in dir/file, 0 if absent. */
static int64_t cg_stat(const struct cgroup_dir *c, const char *file, const char *key)
{
	char path[PATH_MAX], *buf = NULL, *p;
	size_t len, klen = strlen(key);
	int64_t v = 0;

	if (!c->dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	if (read_file(path, 65536, &buf, &len) < 0)
		return 0;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			v = strtoll(p + klen + 1, NULL, 10);
	free(buf);
	return v;
}

static void cg_drop(struct cgroup_dir *c)
{
	if (c->procs >= 0)
		close(c->procs);
	c->procs = -1;
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
	c->dir = NULL;
}

/* Make parent/id, write its limits (NULL-terminated file, value pairs) and open cgroup.procs. */
static int cg_make(struct cgroup_dir *c, const char *parent, const char *id,
		   const char *const *files, const int64_t *values)
{
	char *procs;
	int r = 0;

	c->procs = -1;
	c->dir = xasprintf("%s/%s", parent, id);
	if ((mkdir(parent, 0755) < 0 && errno != EEXIST) || mkdir(c->dir, 0755) < 0) {
		r = -errno;
		free(c->dir);
		c->dir = NULL;
		return r;
	}
	for (size_t i = 0; r == 0 && files[i]; i++)
		r = cg_write(c->dir, files[i], values[i]);
	procs = xasprintf("%s/cgroup.procs", c->dir);
	if (r == 0 && (c->procs = open(procs, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		r = -errno;
	free(procs);
	if (r < 0)
		cg_drop(c);
	return r;
}

/* SIGKILL every process in the cgroup until it is empty (bounded). */
static void cg_kill(const struct cgroup_dir *c)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	char path[PATH_MAX], *buf, *p;
	int round, found = 1;
	size_t len;

	if (!c->dir)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", c->dir);
	for (round = 0; round < 400 && found; round++) {
		buf = NULL;
		if (read_file(path, 1 << 20, &buf, &len) < 0)
			return;
		found = 0;
		for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
			found = 1;
			kill((pid_t)strtol(p, NULL, 10), SIGKILL);
		}
		free(buf);
		if (found)
			nanosleep(&ts, NULL);
	}
}

static void cg_remove(struct cgroup_dir *c)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i;

	if (c->procs >= 0)
		close(c->procs);
	c->procs = -1;
	if (!c->dir)
		return;
	cg_kill(c);
	for (i = 0; i < 200 && rmdir(c->dir) < 0 && errno == EBUSY; i++)
		nanosleep(&ts, NULL);
	free(c->dir);
	c->dir = NULL;
}

/* ---- cgroup v2 ---- */

/* The cgroup2 mount: roots->v2, else /sys/fs/cgroup on a v2 host, else its unified/. */
static char *v2_mount(const struct cgroup_roots *roots)
{
	if (roots->v2)
		return xstrdup(roots->v2);
	if (access(CG_ROOT "/cgroup.controllers", F_OK) == 0)
		return xstrdup(CG_ROOT);
	return xstrdup(CG_ROOT "/unified");
}

/* This process's v2 cgroup, from its "0::" line; its parent when already in our leaf. */
static char *v2_self(const struct cgroup_roots *roots)
{
	char *buf = NULL, *p, *path = NULL;
	size_t len;

	if (read_file(roots->self ? roots->self : "/proc/self/cgroup", 65536, &buf, &len) < 0)
		return NULL;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, "0::/", 4)) {
			path = xstrndup(p + 3, strcspn(p + 3, "\n"));
			break;
		}
	free(buf);
	if (path) {
		size_t n = strlen(path), l = strlen("/" CGROUP_V2_LEAF);

		if (n >= l && !strcmp(path + n - l, "/" CGROUP_V2_LEAF))
			path[n - l] = '\0';
	}
	return path;
}

/* Is the word w in the space-separated list? */
static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* Move every process of base into base/CGROUP_V2_LEAF: a cgroup with processes has no children. */
static int v2_leave(const char *base)
{
	char *procs = xasprintf("%s/cgroup.procs", base), *leaf = xasprintf("%s/" CGROUP_V2_LEAF, base);
	char *buf = NULL, *p;
	size_t len;
	int r = read_file(procs, 1 << 20, &buf, &len);

	if (r == 0 && *buf && mkdir(leaf, 0755) < 0 && errno != EEXIST)
		r = -errno;
	for (p = buf; r == 0 && p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char pid[24];

		snprintf(pid, sizeof(pid), "%.*s", (int)strcspn(p, "\n"), p);
		if (*pid)
			r = cg_put(leaf, "cgroup.procs", pid);
	}
	free(buf);
	free(procs);
	free(leaf);
	return r;
}

static int v2_make(const struct cgroup_roots *roots, const char *id, const struct cgroup_limits *l,
		   struct cgroup_run *c, char *why, size_t whylen)
{
	static const char *const files[] = { "memory.max", "memory.swap.max", "pids.max", NULL };
	char *mount = v2_mount(roots), *self = v2_self(roots), *base = NULL, *ctl = NULL;
	char path[PATH_MAX], cpu[64];
	size_t len;
	int64_t values[] = { l->memory, 0, l->pids };
	int r = -ENOENT;

	if (!self || !strcmp(self, "/")) {
		snprintf(why, whylen, "this process is in %s cgroup v2: no delegated subtree",
			 self ? "the root" : "no");
		goto out;
	}
	base = xasprintf("%s%s", mount, self);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", base);
	if (read_file(path, 4096, &ctl, &len) < 0 || !has_word(ctl, "memory") ||
	    !has_word(ctl, "pids")) {
		snprintf(why, whylen, "cgroup v2 at %s offers no memory and pids controllers "
			 "(controllers: %.*s)", base, ctl ? (int)strcspn(ctl, "\n") : 4,
			 ctl && *ctl != '\n' && *ctl ? ctl : "none");
		goto out;
	}
	c->cpu = has_word(ctl, "cpu");
	r = v2_leave(base);
	if (r == 0)
		r = cg_put(base, "cgroup.subtree_control", c->cpu ? "+memory +pids +cpu" :
			   "+memory +pids");
	if (r == 0)
		r = cg_make(&c->v2, base, id, files, values);
	snprintf(cpu, sizeof(cpu), "%lld %d", (long long)(l->cpus * CPU_PERIOD), CPU_PERIOD);
	if (r == 0 && c->cpu && (r = cg_put(c->v2.dir, "cpu.max", cpu)) < 0)
		cg_drop(&c->v2);
	if (r < 0)
		snprintf(why, whylen, "unable to set up cgroup v2 under %s: %s", base, strerror(-r));
out:
	free(mount);
	free(self);
	free(base);
	free(ctl);
	return r;
}

/* ---- cgroup v1 ---- */

static void v1_make(const struct cgroup_roots *roots, const char *id, const struct cgroup_limits *l,
		    struct cgroup_run *c)
{
	static const char *const mem_files[] = { "memory.limit_in_bytes", NULL };
	static const char *const pid_files[] = { "pids.max", NULL };
	const char *root = roots->v1 ? roots->v1 : CG_ROOT;
	char *mem = xasprintf("%s/memory/lethe", root), *pids = xasprintf("%s/pids/lethe", root);

	cg_make(&c->mem, mem, id, mem_files, &l->memory);
	/* without swap accounting this file is absent: the limit above holds */
	if (c->mem.dir)
		cg_write(c->mem.dir, "memory.memsw.limit_in_bytes", l->memory);
	cg_make(&c->pids, pids, id, pid_files, &l->pids);
	free(mem);
	free(pids);
}

void cgroup_run_make(const struct cgroup_roots *roots, const char *id,
		     const struct cgroup_limits *l, struct cgroup_run *c)
{
	char why[200];

	memset(c, 0, sizeof(*c));
	c->v2.procs = c->mem.procs = c->pids.procs = -1;
	if (v2_make(roots, id, l, c, why, sizeof(why)) == 0) {
		c->version = 2;
		snprintf(c->note, sizeof(c->note), "sandbox limits: cgroup v2 (memory.max, "
			 "memory.swap.max, pids.max%s)", c->cpu ? ", cpu.max" : "");
		return;
	}
	c->cpu = false;
	v1_make(roots, id, l, c);
	c->version = c->mem.dir || c->pids.dir ? 1 : 0;
	snprintf(c->note, sizeof(c->note), "sandbox limits: %s%s%s; %s",
		 c->version ? "cgroup v1 (" : "rlimits only (RLIMIT_AS, RLIMIT_NPROC)",
		 c->mem.dir ? (c->pids.dir ? "memory, pids" : "memory; RLIMIT_NPROC") :
		 c->pids.dir ? "pids; RLIMIT_AS" : "", c->version ? ")" : "", why);
}

bool cgroup_run_memory(const struct cgroup_run *c)
{
	return c->v2.dir || c->mem.dir;
}

bool cgroup_run_pids(const struct cgroup_run *c)
{
	return c->v2.dir || c->pids.dir;
}

void cgroup_run_procs(const struct cgroup_run *c, int fds[2])
{
	fds[0] = c->v2.dir ? c->v2.procs : c->mem.procs;
	fds[1] = c->v2.dir ? -1 : c->pids.procs;
}

bool cgroup_run_oom(const struct cgroup_run *c)
{
	return c->v2.dir ? cg_stat(&c->v2, "memory.events", "oom_kill") > 0 :
		cg_stat(&c->mem, "memory.oom_control", "oom_kill") > 0;
}

bool cgroup_run_pids_max(const struct cgroup_run *c)
{
	return cg_stat(c->v2.dir ? &c->v2 : &c->pids, "pids.events", "max") > 0;
}

void cgroup_run_kill(const struct cgroup_run *c)
{
	cg_kill(&c->v2);
	cg_kill(&c->pids);
	cg_kill(&c->mem);
}

void cgroup_run_remove(struct cgroup_run *c)
{
	cg_remove(&c->v2);
	cg_remove(&c->mem);
	cg_remove(&c->pids);
}
