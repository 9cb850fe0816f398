#!/bin/bash
# A scan stops itself before its checkout's deadline: held in its sandbox
# before the analysis (scan_hold) with checkout_max_age = 20 s, lethe-scan
# stops the analysis on its own, destroys the volume before the deadline,
# and puts the job back in the queue with the reason.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 6
pause_jobs

name=dl-$$
mkdir -p "$SCRATCH/src"
printf 'int main(void) { char b[4]; gets(b); return 0; }\n' >"$SCRATCH/src/m.c"
scan_git_repo "$name" "$SCRATCH/src"
scan_org dl
repo=$(scan_repo "$ORG" "$name" "$url")
job=$(scan_job "$repo" "$sha")
scan_config "checkout_max_age = 20" "analyze_path = $(scan_hold)"

# Older jobs of other tests may be queued: run until this job was tried.
for _ in $(seq 20); do
	rc=0
	LETHE_CONFIG=$SCRATCH/lethe.conf timeout 120 "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.log" 2>&1 || rc=$?
	co=$(q "SELECT id FROM lethe.checkouts WHERE job_id = $job")
	[ -n "$co" ] && break
done
is "$rc" 111 "lethe-scan ends by itself with a temporary failure (exit 111)"
is "$(q "SELECT destroyed_at IS NOT NULL AND destroyed_at < deadline FROM lethe.checkouts WHERE id = ${co:-0}")" t \
	"its checkout was destroyed before the deadline"
is "$(q "SELECT destroy_reason IS NOT NULL AND ended = 'scan' AND teardown_usec > 0 FROM lethe.checkouts WHERE id = ${co:-0}")" t \
	"with a reason, ended by its scan, and a teardown duration"
is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" queued "the job is back in the queue"
is "$(q "SELECT last_error FROM lethe.jobs WHERE id = $job")" "analysis stopped at the checkout's deadline" \
	"the job says why"
absent "nothing is left mounted" "/checkouts/c${co:-0} " /proc/self/mountinfo
