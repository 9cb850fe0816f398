#!/bin/bash
# Many hosts, one queue: three lethe-scan hosts, each with its own host
# name (a UTS namespace), run and state directories and configuration,
# work 30 queued pushes of one repository off the stack's one PostgreSQL.
# One host is killed with SIGKILL mid-scan (holding a checkout): every job
# still finishes exactly once, the killed host's job is retried by another
# host once its lease expired, the other hosts' lethe-scrub leave the
# killed host's checkout alone, and its own lethe-scrub destroys it when
# the host comes back.
#
# Each host runs in network and UTS namespaces of its own, made here: the
# network one has its loopback alone, so the host reaches the stack's
# PostgreSQL through its Unix socket and the stack's git server (nginx on
# 127.0.0.1) through tests/netns-relay.py, which listens on the
# namespace's 127.0.0.1 at the stack's port, and nothing else.  The scans
# run flawfinder alone so that 30 of them take about a minute on two
# cores.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
for t in unshare nsenter ip python3; do command -v "$t" >/dev/null || skip_all "no $t"; done
plan 10
pause_jobs

# One repository, 30 commits, each the tip of its own branch (a push each).
name=hosts-$$
mkdir -p "$SCRATCH/src"
printf 'int main(void) { char b[4]; gets(b); return 0; }\n' >"$SCRATCH/src/m.c"
scan_git_repo "$name" "$SCRATCH/src"
scan_org hosts
repo=$(scan_repo "$ORG" "$name" "$url")
git_token clone -q "$url" "$SCRATCH/work"
for i in $(seq 30); do
	printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"$SCRATCH/work/f.c"
	git -C "$SCRATCH/work" add f.c
	git_token -C "$SCRATCH/work" commit -q -m "push $i"
	git -C "$SCRATCH/work" branch "b$i"
done
git_token -C "$SCRATCH/work" push -q origin 'refs/heads/b*:refs/heads/b*'
for i in $(seq 30); do
	q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch)
	   SELECT org_id, id, '$(git -C "$SCRATCH/work" rev-parse "b$i")', 'refs/heads/b$i', 'b$i'
	   FROM lethe.repositories WHERE id = $repo" >/dev/null
done
jobs="SELECT id FROM lethe.jobs WHERE repository_id = $repo"

# host H [LINES]: H's configuration, LINES added; prints its path
host_config() {
	local h=$1 conf=$SCRATCH/host-$1/lethe.conf
	shift
	mkdir -p "$SCRATCH/host-$h/run" "$SCRATCH/host-$h/state"
	scan_config "run_dir = $SCRATCH/host-$h/run" "state_dir = $SCRATCH/host-$h/state" \
		"scan_lease = 5" "scanners = flawfinder" "$@"
	mv "$SCRATCH/lethe.conf" "$conf"
	echo "$conf"
}
# host_up H: H's namespaces (held by a process that sleeps) and its relay
host_up() {
	local h=$1
	unshare --net --uts sh -c 'hostname "lethe-$1-$2" && ip link set lo up && exec sleep 3600' \
		sh "$h" "$$" &
	holder[$h]=$!
	on_exit "kill ${holder[$h]} 2>/dev/null"
	for _ in $(seq 50); do
		[ "$(nsenter -t "${holder[$h]}" --uts hostname 2>/dev/null)" = "lethe-$h-$$" ] && break
		sleep 0.1
	done
	"$TOP/tests/netns-relay.py" "/proc/${holder[$h]}/ns/net" "$LETHE_PORT" >"$SCRATCH/relay-$h.log" 2>&1 &
	on_exit "kill $! 2>/dev/null"
	for _ in $(seq 50); do
		grep -q listening "$SCRATCH/relay-$h.log" && break
		sleep 0.1
	done
}
declare -A holder
# on H PROGRAM [ARGS]: become PROGRAM as host H (in its namespaces, with its
# configuration), so in a subshell: ( on ... ) or on ... &
on() {
	local h=$1
	shift
	LETHE_CONFIG=$SCRATCH/host-$h/lethe.conf exec nsenter -t "${holder[$h]}" --net --uts "$@"
}
for h in a b c; do host_up "$h"; done
is "$(on a ip -o link show | awk '{ print $2 }')" "lo:" \
	"a host's network namespace has its loopback alone"
host_config a "analyze_path = $(scan_hold)" >/dev/null
host_config b >/dev/null
host_config c >/dev/null

# Host a takes the first job and stops mid-scan, its checkout made, held in
# its sandbox.
on a "$TOP/bin/lethe-scan" >"$SCRATCH/a.log" 2>&1 &
apid=$!
on_exit "kill -9 $apid 2>/dev/null"
for _ in $(seq 600); do
	scan_held && break
	sleep 0.1
done
killed=$(q "SELECT job_id FROM lethe.checkouts WHERE host = 'lethe-a-$$' AND destroyed_at IS NULL")
ok "host a holds a job with a checkout, mid-scan (job ${killed:-none})" test -n "$killed"

# Hosts b and c work the queue, each running lethe-scan again while jobs remain.
left() { q "SELECT count(*) FROM lethe.jobs WHERE repository_id = $repo AND state <> 'done'"; }
worker() {
	for _ in $(seq 300); do
		[ "$(left)" = 0 ] && return 0
		(on "$1" "$TOP/bin/lethe-scan") >>"$SCRATCH/$1.log" 2>&1 || true
		sleep 0.5
	done
}
worker b &
bpid=$!
worker c &
cpid=$!
on_exit "kill $bpid $cpid 2>/dev/null"
for _ in $(seq 600); do
	[ "$(q "SELECT count(*) FROM lethe.jobs WHERE repository_id = $repo AND state = 'done'")" -ge 4 ] &&
		break
	sleep 0.1
done
scan_kill "$apid"
wait "$bpid" "$cpid"

is "$(left)" 0 "all 30 jobs are done"
[ "$(left)" = 0 ] ||
	diag "$(q "SELECT id, state, attempts, lease_owner, lease_expires < now() FROM lethe.jobs
		WHERE repository_id = $repo AND state <> 'done'")" "$(tail -5 "$SCRATCH"/[abc].log)"
is "$(q "SELECT count(*) FROM ($jobs) j WHERE (SELECT count(*) FROM lethe.scans s
	WHERE s.job_id = j.id AND s.state IN ('complete', 'incomplete')) = 1")" 30 \
	"each job has exactly one finished scan"
is "$(q "SELECT string_agg(DISTINCT attempts::text, ',') FROM lethe.jobs
	WHERE repository_id = $repo AND id <> ${killed:-0}")" 1 \
	"every job but the killed host's finished on its first attempt"
is "$(q "SELECT attempts FROM lethe.jobs WHERE id = ${killed:-0}")" 2 \
	"the killed host's job finished on its second attempt"
is "$(q "SELECT string_agg(host || ' ' || (destroyed_at IS NULL), ',' ORDER BY id)
	FROM lethe.checkouts WHERE job_id = ${killed:-0}" | sed "s/-$$//g; s/lethe-[bc] false/other false/")" \
	"lethe-a true,other false" \
	"another host retried it with its own checkout; the killed host's is still there"
is "$(q "SELECT count(DISTINCT host) FROM lethe.checkouts c JOIN ($jobs) j ON j.id = c.job_id
	WHERE c.host IN ('lethe-b-$$', 'lethe-c-$$')")" 2 "hosts b and c both took jobs"

live() { q "SELECT count(*) FROM lethe.checkouts WHERE job_id = ${killed:-0} AND destroyed_at IS NULL"; }
(on b "$TOP/bin/lethe-scrub") >"$SCRATCH/scrub-b.log" 2>&1
is "$(live)" 1 "host b's lethe-scrub leaves host a's checkout alone"
# Host a comes back: its lethe-scrub (the timer's run at boot) finds its checkout.
(on a "$TOP/bin/lethe-scrub") >"$SCRATCH/scrub-a.log" 2>&1
is "$(live)" 0 "host a's own lethe-scrub destroys its checkout when it comes back"
