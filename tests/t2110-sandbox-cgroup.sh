#!/bin/bash
# The sandbox's limits: cgroup v2 where a delegated subtree has the memory
# and pids controllers, cgroup v1 where only v1 has them, and which applied
# in every tool notification of the scan.  Where this machine's cgroup2
# cannot get the controllers (the v1 hierarchies hold them), the v2 case
# says so as a SKIP; lib/scan/cgroup.c's v2 writer is tested against a fake
# tree by tests/unit/cgroup_test.c either way.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 4
pause_jobs

# A cgroup2 hierarchy of our own: which controllers can it have?
mkdir "$SCRATCH/cg2"
if mount -t cgroup2 none "$SCRATCH/cg2" 2>"$SCRATCH/mount.err"; then
	on_exit "umount '$SCRATCH/cg2' 2>/dev/null"
	v2ctl=$(cat "$SCRATCH/cg2/cgroup.controllers")
	v2why="a cgroup2 mount offers only '${v2ctl:-no controller}'"
else
	v2ctl= v2why="cgroup2 cannot be mounted: $(cat "$SCRATCH/mount.err")"
fi
has() { [[ " $1 " == *" $2 "* ]]; }
# v1_holds CONTROLLER: the hierarchy number /proc/cgroups gives it, 0 for none.
v1_holds() { awk -v c="$1" '$1 == c { print $2 }' /proc/cgroups; }

if has "$v2ctl" memory && has "$v2ctl" pids; then
	# A delegated subtree of our own, as Delegate=yes gives lethe-scan.service.
	sub=$SCRATCH/cg2/lethe-t2110-$$
	mkdir "$sub"
	on_exit "rmdir '$sub'/* '$sub' 2>/dev/null"
	echo "+memory +pids" >"$SCRATCH/cg2/cgroup.subtree_control"
	ok "the sandbox's limits and verdicts hold in a cgroup v2 subtree (memory.max, pids.max)" \
	    sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2"' sh "$sub" "$TOP/build/tests/sandbox_test"
else
	skip "cgroup v2 cannot have the memory and pids controllers on this machine: $v2why; cgroup v1 holds memory (hierarchy $(v1_holds memory)) and pids (hierarchy $(v1_holds pids))"
fi

# A real scan: every tool notification says which limits applied.
mkdir -p "$SCRATCH/src"
printf '#!/bin/sh\necho "$1"\n' >"$SCRATCH/src/run.sh"
name=cg-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org cg
repo=$(scan_repo "$ORG" "$name" "$url")
job=$(scan_job "$repo" "$sha")
scan_until_done "$job"
notes=$(q "SELECT DISTINCT n->>'text' FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id,
	   jsonb_array_elements(t.sarif_meta->'notifications') n
	   WHERE s.job_id = ${job:-0} AND n->>'text' LIKE 'sandbox limits:%'")
counts=$(q "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(
	    t.sarif_meta->'notifications') n WHERE n->>'text' LIKE 'sandbox limits:%')) || '/' || count(*)
	    FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id WHERE s.job_id = ${job:-0}
	    AND t.tool <> 'lethe-advisories'")	# matched on the host, from the stored dependencies
ok "every tool of the scan notes the sandbox's limits ($counts: $notes)" \
    test "${counts%/*}" = "${counts#*/}" -a "${counts#*/}" -gt 0
if [ "$(v1_holds memory)" != 0 ] && [ "$(v1_holds pids)" != 0 ] &&
    ! { has "$v2ctl" memory && has "$v2ctl" pids; }; then
	is "${notes%%; *}|${notes#*; }" "sandbox limits: cgroup v1 (memory, pids)|${notes#*; }" \
	    "only v1 has the controllers: cgroup v1 applied"
	ok "the note says why not v2 (${notes#*; })" test "${notes#*; }" != "$notes"
else
	skip "this machine's cgroup v1 does not hold both memory and pids"
	skip "this machine's cgroup v1 does not hold both memory and pids"
fi
