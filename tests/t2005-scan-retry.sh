#!/bin/bash
# Failures: a temporary one (server unreachable) puts the job back with
# exponential backoff and keeps attempts and the last error, until
# scan_max_attempts; a permanent one (token refused) fails it at once.
# SIGTERM mid-scan tears the checkout down and requeues the job.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 11
pause_jobs

scan_org retry
org=$ORG
scan_config "scan_retry_base = 10" "scan_max_attempts = 2"
conf=$SCRATCH/lethe.conf
sha=0123456789abcdef0123456789abcdef01234567

down=$(scan_repo "$org" down "http://127.0.0.1:1/nothing.git")
job=$(scan_job "$down" "$sha")
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/1.log" 2>&1
is "$?" 111 "an unreachable server is a temporary failure (exit 111)"
is "$(q "SELECT state || ' ' || attempts || ' ' || (last_error LIKE 'clone of % failed: %')
	|| ' ' || (not_before BETWEEN now() + interval '8 s' AND now() + interval '11 s')
	FROM lethe.jobs WHERE id = $job")" "queued 1 true true" \
	"the job is queued again after scan_retry_base, with attempts and the error kept"
ok "the log names the job and never the token" \
	sh -c "grep -q 'job=$job' '$SCRATCH/1.log' && ! grep -qF '$LETHE_GIT_TOKEN' '$SCRATCH/1.log'"
is "$(q "SELECT count(*) FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")" 0 \
	"the failed attempt's checkout is destroyed"
q "UPDATE lethe.jobs SET not_before = now() WHERE id = $job" >/dev/null
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/2.log" 2>&1
is "$(q "SELECT state || ' ' || attempts FROM lethe.jobs WHERE id = $job")" "failed 2" \
	"after scan_max_attempts the job fails for good"

name=refused-$$
mkdir -p "$SCRATCH/src"
# shellcheck disable=SC2016 # a script for the scanners, kept literal
echo 'echo $1' >"$SCRATCH/src/a.sh"
scan_git_repo "$name" "$SCRATCH/src"
(umask 077; echo "not-the-token-$$" >"$SCRATCH/bad")
"$TOP/bin/lethectl" --json repo add --org "$org" --provider github --name "$org/$name" \
	--clone-url "$url" --token-file "$SCRATCH/bad" >"$SCRATCH/bad.json"
job=$(scan_job "$(jq -r .id "$SCRATCH/bad.json")" "$sha")
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/3.log" 2>&1
is "$?" 100 "a refused token is a permanent failure (exit 100)"
is "$(q "SELECT state || ' ' || attempts || ' ' || last_error FROM lethe.jobs WHERE id = $job")" \
	"failed 1 clone of '$org/$name' failed: authentication refused" "the job fails at once, saying why"
absent "the refused token is in no log" "not-the-token-$$" "$SCRATCH/3.log" "$LETHE_RUN/log"

# SIGTERM while the scan holds its checkout.
name=term-$$
scan_git_repo "$name" "$SCRATCH/src"
repo=$(scan_repo "$org" "$name" "$url")
job=$(scan_job "$repo" "$sha")
# SIGTERM while the scan is held in its sandbox; released, the analysis runs
# to its end, and the job goes back all the same.
sed -i "s|^analyze_path = .*|analyze_path = $(scan_hold)|" "$conf"
LETHE_CONFIG=$conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/4.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
for _ in $(seq 300); do scan_held && break; sleep 0.1; done
kill -TERM "$pid"
scan_release
wait "$pid"
is "$?" 111 "SIGTERM mid-scan exits 111"
is "$(q "SELECT state || ' ' || attempts FROM lethe.jobs WHERE id = $job")" "queued 1" \
	"and puts the job back in the queue"
is "$(q "SELECT count(*) FILTER (WHERE destroyed_at IS NULL) || ' ' || count(*) FROM lethe.checkouts
	WHERE job_id = $job")" "0 1" "after destroying its checkout"
