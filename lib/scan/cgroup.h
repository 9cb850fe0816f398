/*
 * cgroup.h - the cgroup that limits one sandbox run, v2 or v1.
 *
 * cgroup v2, where this process's own cgroup (its "0::" line in
 * /proc/self/cgroup, under the cgroup2 mount) is a delegated subtree that
 * offers the memory and pids controllers (what systemd's Delegate=yes
 * gives lethe-scan.service): the processes of that cgroup move into its
 * leaf CGROUP_V2_LEAF, the controllers are enabled for its children, and
 * each run gets a child with memory.max, memory.swap.max (0), pids.max and,
 * where the cpu controller is offered, cpu.max; memory.events and
 * pids.events give the verdicts.  Otherwise cgroup v1, as before: a
 * directory under the memory and the pids hierarchies each
 * (memory.limit_in_bytes, memory.memsw.limit_in_bytes, pids.max).  Where
 * neither applies the caller falls back to rlimits.  Every path comes from
 * struct cgroup_roots, so that a test can point them at a tree of its own.
 */
#ifndef LETHE_CGROUP_H
#define LETHE_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#define CGROUP_V2_LEAF "lethe-scan"

struct cgroup_roots {
	const char *v2;		/* a cgroup2 mount; NULL: /sys/fs/cgroup or its unified/ */
	const char *v1;		/* where the v1 hierarchies are; NULL: /sys/fs/cgroup */
	const char *self;	/* NULL: /proc/self/cgroup */
};

struct cgroup_dir {
	char *dir;		/* NULL: not used */
	int procs;		/* its cgroup.procs, open for writing */
};

struct cgroup_run {
	int version;		/* 2 or 1; 0: none applied (rlimits) */
	struct cgroup_dir v2, mem, pids;	/* v2's one, or v1's two */
	bool cpu;		/* cpu.max was set */
	char note[320];		/* which limits applied, and why not v2 */
};

struct cgroup_limits {
	int64_t memory;		/* bytes */
	int64_t pids;
	int64_t cpus;		/* CPUs' worth of time per period (cpu.max) */
};

/* Make the run's cgroup (id names it); c->version says which applied. */
void cgroup_run_make(const struct cgroup_roots *roots, const char *id,
		     const struct cgroup_limits *l, struct cgroup_run *c);
/* Is memory, and are processes, limited by the cgroup? */
bool cgroup_run_memory(const struct cgroup_run *c);
bool cgroup_run_pids(const struct cgroup_run *c);
/* The cgroup.procs fds a child writes its pid to, -1 when unused. */
void cgroup_run_procs(const struct cgroup_run *c, int fds[2]);
/* Did the memory limit kill a process; did a fork hit the process limit? */
bool cgroup_run_oom(const struct cgroup_run *c);
bool cgroup_run_pids_max(const struct cgroup_run *c);
/* SIGKILL every process of the run's cgroups until they are empty (bounded). */
void cgroup_run_kill(const struct cgroup_run *c);
/* Kill what is left and remove the run's cgroups. */
void cgroup_run_remove(struct cgroup_run *c);

#endif
