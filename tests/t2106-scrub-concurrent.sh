#!/bin/bash
# Three lethe-scrub runs at once share the work without doing any of it
# twice: every leftover and every doomed checkout is scrubbed exactly once
# (one audit event each) and every run exits 0.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
# shellcheck source=tests/scrub-lib.sh
. "$(dirname "$0")/scrub-lib.sh"
scrub_need_schema
[ "$(id -u)" = 0 ] || skip_all "needs root (mounts)"

plan 5
pause_jobs
tag=t2106$$
host=$(hostname)
scrub_dirs
mkdir -p "$state/volumes" "$run/checkouts"

scrub_org_repo "$tag"
# 8 mounted leftovers without a row and 8 checkouts past their deadline.
for i in $(seq 8); do
	mkdir "$run/checkouts/${tag}m$i"
	mount -t tmpfs -o size=64k none "$run/checkouts/${tag}m$i"
	on_exit "mountpoint -q '$run/checkouts/${tag}m$i' && umount -l '$run/checkouts/${tag}m$i'"
	touch -d '10 minutes ago' "$run/checkouts/${tag}m$i"
done
sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, host, name, backend, cipher, created_at, deadline)
	SELECT $org, $repo, '$host', '${tag}r' || i, 'fscrypt', 'x', now() - interval '2 hours', now() - interval '1 minute'
	FROM generate_series(1, 8) i"

pids=
for i in 1 2 3; do
	LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scrub" 2>"$SCRATCH/scrub$i.err" &
	pids="$pids $!"
done
rcs=
for p in $pids; do wait "$p"; rcs="$rcs $?"; done
is "$rcs" " 0 0 0" "three concurrent runs all exit 0"

is "$(sql -c "SELECT count(*), count(DISTINCT target) FROM lethe.audit_events
	WHERE action = 'workspace scrub' AND target LIKE 'volume:${tag}m%'")" "8|8" \
	"each of the 8 leftovers is audited exactly once"
is "$(sql -c "SELECT count(*), count(DISTINCT a.target) FROM lethe.audit_events a
	JOIN lethe.checkouts c ON a.target = 'checkout:' || c.id WHERE a.action = 'workspace scrub' AND c.org_id = $org")" "8|8" \
	"each of the 8 doomed checkouts is audited exactly once"
is "$(sql -c "SELECT count(*) FROM lethe.checkouts WHERE org_id = $org AND destroy_reason = 'deadline passed'")" 8 \
	"and all 8 rows are marked"
left=0
for i in $(seq 8); do [ -e "$run/checkouts/${tag}m$i" ] && left=$((left + 1)); done
is "$left" 0 "no mount point is left"
