/*
 * cgroup_test.c - which cgroup a sandbox run gets, and what is written
 * there, against fake trees: a directory that looks like a delegated
 * cgroup2 subtree, one that looks like the v1 hierarchies, and neither.
 * (The kernel's own cgroups are exercised by t2110.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "tap.h"
#include "util.h"

static char *top;

static void put(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", top, rel);
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "unable to write %s\n", path);
		exit(1);
	}
	free(path);
}

/* The file's content, "" when absent (a static buffer). */
static const char *get(const char *rel)
{
	static char buf[256];
	char *path = xasprintf("%s/%s", top, rel);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	free(path);
	return buf;
}

static void dir(const char *rel)
{
	char *path = xasprintf("%s/%s", top, rel);

	mkdir(path, 0755);
	free(path);
}

static char *at(const char *rel)
{
	return xasprintf("%s/%s", top, rel);
}

static int exists(const char *rel)
{
	char *path = at(rel);
	int r = access(path, F_OK) == 0;

	free(path);
	return r;
}

static const struct cgroup_limits lim = { .memory = 1LL << 30, .pids = 64, .cpus = 2 };

/* A delegated subtree holding this service's one process: v2 applies. */
static void test_v2(void)
{
	char *v2 = at("v2"), *v1 = at("v1"), *self = at("self"), *run2;
	struct cgroup_roots roots = { v2, v1, self };
	struct cgroup_run c;
	int fds[2];

	dir("v2");
	dir("v2/system.slice");
	dir("v2/system.slice/lethe-scan.service");
	put("v2/system.slice/lethe-scan.service/cgroup.controllers", "cpuset cpu io memory pids\n");
	put("v2/system.slice/lethe-scan.service/cgroup.procs", "4242\n");
	put("self", "0::/system.slice/lethe-scan.service\n");
	cgroup_run_make(&roots, "run1", &lim, &c);
	ok(c.version == 2 && c.cpu, "delegated subtree with memory and pids: cgroup v2 (%d)", c.version);
	ok(!strcmp(get("v2/system.slice/lethe-scan.service/lethe-scan/cgroup.procs"), "4242"),
	   "the service's process moved into its leaf");
	ok(!strcmp(get("v2/system.slice/lethe-scan.service/cgroup.subtree_control"),
		   "+memory +pids +cpu"), "memory, pids and cpu enabled for the children");
	ok(!strcmp(get("v2/system.slice/lethe-scan.service/run1/memory.max"), "1073741824") &&
	   !strcmp(get("v2/system.slice/lethe-scan.service/run1/memory.swap.max"), "0") &&
	   !strcmp(get("v2/system.slice/lethe-scan.service/run1/pids.max"), "64") &&
	   !strcmp(get("v2/system.slice/lethe-scan.service/run1/cpu.max"), "200000 100000"),
	   "the run's memory.max, memory.swap.max, pids.max and cpu.max");
	cgroup_run_procs(&c, fds);
	ok(fds[0] >= 0 && fds[1] < 0 && cgroup_run_memory(&c) && cgroup_run_pids(&c),
	   "one cgroup.procs to join, memory and processes covered");
	ok(exists("v2/system.slice/lethe-scan.service/run1/cgroup.procs") &&
	   !exists("v1/memory/lethe"), "nothing written to v1");
	ok(strstr(c.note, "cgroup v2") && strstr(c.note, "cpu.max"), "the note says v2: %s", c.note);
	ok(!cgroup_run_oom(&c) && !cgroup_run_pids_max(&c), "no verdict before any event");
	put("v2/system.slice/lethe-scan.service/run1/memory.events",
	    "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	put("v2/system.slice/lethe-scan.service/run1/pids.events", "max 2\n");
	ok(cgroup_run_oom(&c) && cgroup_run_pids_max(&c),
	   "memory.events oom_kill and pids.events max give the verdicts");
	close(c.v2.procs);
	free(c.v2.dir);

	/* A second run, from the leaf the first moved this process into. */
	put("self", "0::/system.slice/lethe-scan.service/lethe-scan\n");
	put("v2/system.slice/lethe-scan.service/cgroup.procs", "");
	cgroup_run_make(&roots, "run2", &lim, &c);
	run2 = at("v2/system.slice/lethe-scan.service/run2");
	ok(c.version == 2 && c.v2.dir && !strcmp(c.v2.dir, run2),
	   "from the leaf, the next run is its sibling: %s", c.v2.dir ? c.v2.dir : "none");
	close(c.v2.procs);
	free(c.v2.dir);
	free(run2);
	free(v2);
	free(v1);
	free(self);
}

/* Controllers held by v1 (cgroup2 offers hugetlb only): v1, as before. */
static void test_v1(void)
{
	char *v2 = at("w2"), *v1 = at("v1"), *self = at("self");
	struct cgroup_roots roots = { v2, v1, self };
	struct cgroup_run c;
	int fds[2];

	dir("w2");
	put("w2/cgroup.controllers", "hugetlb\n");
	put("self", "0::/\n");
	dir("v1");
	dir("v1/memory");
	dir("v1/pids");
	cgroup_run_make(&roots, "r", &lim, &c);
	ok(c.version == 1 && c.mem.dir && c.pids.dir && !c.v2.dir, "v2 without controllers: v1");
	ok(!strcmp(get("v1/memory/lethe/r/memory.limit_in_bytes"), "1073741824") &&
	   !strcmp(get("v1/memory/lethe/r/memory.memsw.limit_in_bytes"), "1073741824") &&
	   !strcmp(get("v1/pids/lethe/r/pids.max"), "64"), "v1's limits written");
	cgroup_run_procs(&c, fds);
	ok(fds[0] >= 0 && fds[1] >= 0, "two cgroup.procs to join");
	ok(strstr(c.note, "cgroup v1 (memory, pids)") && strstr(c.note, "root"),
	   "the note says v1, and why not v2: %s", c.note);
	put("v1/memory/lethe/r/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	ok(cgroup_run_oom(&c), "memory.oom_control oom_kill gives the verdict");
	close(fds[0]);
	close(fds[1]);
	free(c.mem.dir);
	free(c.pids.dir);

	/* A subtree that is not the root but lacks pids: still v1. */
	dir("w2/svc");
	put("w2/svc/cgroup.controllers", "cpu memory\n");
	put("self", "0::/svc\n");
	cgroup_run_make(&roots, "s", &lim, &c);
	ok(c.version == 1 && strstr(c.note, "offers no memory and pids controllers (controllers: "
				    "cpu memory)") && !exists("w2/svc/s"),
	   "a subtree without pids: v1, nothing made under v2: %s", c.note);
	close(c.mem.procs);
	close(c.pids.procs);
	free(c.mem.dir);
	free(c.pids.dir);
	free(v2);
	free(v1);
	free(self);
}

/* Neither: rlimits. */
static void test_none(void)
{
	char *v2 = at("w2"), *v1 = at("none"), *self = at("self");
	struct cgroup_roots roots = { v2, v1, self };
	struct cgroup_run c;
	int fds[2];

	put("self", "0::/\n");
	cgroup_run_make(&roots, "n", &lim, &c);
	cgroup_run_procs(&c, fds);
	ok(c.version == 0 && fds[0] < 0 && fds[1] < 0 && !cgroup_run_memory(&c) &&
	   !cgroup_run_pids(&c) && !cgroup_run_oom(&c), "no cgroup at all: none applied");
	ok(strstr(c.note, "rlimits only (RLIMIT_AS, RLIMIT_NPROC)") != NULL, "the note says rlimits: %s",
	   c.note);
	free(v2);
	free(v1);
	free(self);
}

int main(void)
{
	char tmpl[] = "/tmp/lethe-cgroup-test.XXXXXX";
	char *rm;

	plan(18);
	top = mkdtemp(tmpl);
	if (!top)
		return 1;
	test_v2();
	test_v1();
	test_none();
	rm = xasprintf("rm -rf '%s'", top);
	if (system(rm) != 0)
		diag("unable to remove %s", top);
	free(rm);
	return tap_failed ? 1 : 0;
}
