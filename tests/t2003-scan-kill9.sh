#!/bin/bash
# kill -9 of lethe-scan mid-scan: while it lives its lease is renewed and no
# other worker takes the job; once it is dead the lease expires, the job
# goes back to the queue, and the next claim makes a new checkout instead
# of reusing the dead one (which lethe-scrub then destroys).  Two workers at
# once take two different jobs (SKIP LOCKED).
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 12
pause_jobs

name=k9-$$
mkdir -p "$SCRATCH/src"
printf 'int main(void) { char b[4]; gets(b); return 0; }\n' >"$SCRATCH/src/m.c"
scan_git_repo "$name" "$SCRATCH/src"
scan_org k9
org=$ORG
repo=$(scan_repo "$org" "$name" "$url")
job=$(scan_job "$repo" "$sha")
# conf is the stack's with a short lease; held_conf also holds each scan in
# its sandbox, its checkout mounted, until scan_release.
scan_config "scan_lease = 5"
conf=$SCRATCH/lethe.conf
held_conf=$SCRATCH/held.conf
sed "s|^analyze_path = .*|analyze_path = $(scan_hold)|" "$conf" >"$held_conf"

LETHE_CONFIG=$held_conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/first.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
for _ in $(seq 300); do
	co1=$(q "SELECT id FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")
	[ -n "$co1" ] && scan_held && break
	sleep 0.1
done
ok "the first worker holds the job with a checkout" test -n "$co1"

# Longer than the lease: the renewal keeps it.
sleep 7
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/second.log" 2>&1
is "$(q "SELECT state || ' ' || attempts || ' ' || (lease_expires > now()) FROM lethe.jobs WHERE id = $job")" \
	"running 1 true" "past the lease period the job is still the first worker's (renewed lease)"

scan_kill "$pid"
is "$(q "SELECT destroyed_at IS NULL FROM lethe.checkouts WHERE id = ${co1:-0}")" t \
	"kill -9 leaves the first checkout behind"
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/third.log" 2>&1
is "$(q "SELECT state || ' ' || attempts FROM lethe.jobs WHERE id = $job")" "running 1" \
	"right after the kill nobody takes the job: its lease is still live"

for _ in $(seq 100); do
	[ "$(q "SELECT lease_expires <= now() FROM lethe.jobs WHERE id = $job")" = t ] && break
	sleep 0.1
done
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/fourth.log" 2>&1
is "$?" 0 "once the lease expired the next worker claims and finishes the job"
is "$(q "SELECT state || ' ' || attempts FROM lethe.jobs WHERE id = $job")" "done 2" \
	"the job is done on its second attempt"
co2=$(q "SELECT max(id) FROM lethe.checkouts WHERE job_id = $job")
ok "the second attempt made a new checkout ($co1 then $co2)" test "${co2:-0}" -gt "${co1:-0}"
is "$(q "SELECT count(*) FROM lethe.checkouts WHERE job_id = $job")" 2 "two checkouts for the job"
is "$(q "SELECT destroyed_at IS NOT NULL FROM lethe.checkouts WHERE id = ${co2:-0}")" t \
	"the second checkout is destroyed by its own scan"

if [ -x "$TOP/bin/lethe-scrub" ]; then
	LETHE_CONFIG=$conf "$TOP/bin/lethe-scrub" >"$SCRATCH/scrub.log" 2>&1
	is "$(q "SELECT destroyed_at IS NOT NULL FROM lethe.checkouts WHERE id = ${co1:-0}")" t \
		"lethe-scrub destroys the dead worker's checkout"
else
	skip "lethe-scrub is not built"
fi

# Two workers at once: each claims its own job.
for i in 1 2; do
	scan_git_repo "$name-$i" "$SCRATCH/src"
	r=$(scan_repo "$org" "$name-$i" "$url")
	jobs[i]=$(scan_job "$r" "$sha")
done
# A longer lease here: this part is about claims, not expiry, and a loaded
# machine must not make a renewal late.  The planner is given the costs of a
# small queue (nested loop over sequential scans), the plan under which a
# claim written as a join took every due job at once.
small_queue_plan='-c enable_hashjoin=off -c enable_mergejoin=off -c enable_indexscan=off
	-c enable_bitmapscan=off -c enable_material=off -c seq_page_cost=0 -c cpu_tuple_cost=0
	-c cpu_operator_cost=0'
conf2=$SCRATCH/lethe-par.conf
sed 's/^scan_lease = .*/scan_lease = 60/' "$held_conf" >"$conf2"
for i in 1 2; do
	PGOPTIONS="$small_queue_plan" \
	LETHE_CONFIG=$conf2 "$TOP/bin/lethe-scan" --once >"$SCRATCH/par$i.log" 2>&1 &
	pids[i]=$!
	on_exit "kill -9 ${pids[i]} 2>/dev/null"
done
held() {
	q "SELECT count(DISTINCT lease_owner) || ' ' || count(DISTINCT c.id) FROM lethe.jobs j
	   JOIN lethe.checkouts c ON c.job_id = j.id AND c.destroyed_at IS NULL
	   WHERE j.id IN (${jobs[1]}, ${jobs[2]}) AND j.state = 'running'"
}
for _ in $(seq 600); do
	[ "$(held)" = "2 2" ] && scan_held 2 && break
	sleep 0.1
done
is "$(held)" "2 2" \
	"two workers at once hold two jobs under two leases, one checkout each"
scan_release
wait "${pids[1]}" "${pids[2]}"
[ "$(q "SELECT count(*) FROM lethe.jobs WHERE id IN (${jobs[1]}, ${jobs[2]}) AND state = 'done'")" = 2 ] ||
	diag "$(cat "$SCRATCH/par1.log" "$SCRATCH/par2.log")"
is "$(q "SELECT string_agg(state || ' ' || attempts, ',') FROM lethe.jobs
	WHERE id IN (${jobs[1]}, ${jobs[2]})")" "done 1,done 1" "both finish on their first attempt"
