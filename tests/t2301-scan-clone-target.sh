#!/bin/bash
# clone_hosts at clone time, after DNS: lethe-scan checks the clone URL
# again and refuses a repository row changed behind the API's back, and a
# name on the list (here only as an API URL's host, so not listed
# explicitly) that resolves to a loopback address; nothing is fetched.
# Listed explicitly, the same name clones (the address is pinned).
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 8
pause_jobs

scan_org target
org=$ORG
mkdir -p "$SCRATCH/src"
echo 'print(1)' >"$SCRATCH/src/a.py"
scan_git_repo "target-$$" "$SCRATCH/src"
port=${url#http://127.0.0.1:}
port=${port%%/*}
repo=$(scan_repo "$org" app "$url")

# A row changed behind the API's back: only the clone-time check can stop it.
q "UPDATE lethe.repositories SET clone_url = 'http://169.254.169.254/latest/meta-data/x.git' WHERE id = $repo" >/dev/null
job=$(scan_job "$repo" "$sha")
rc=0
"$TOP/bin/lethe-scan" --once >"$SCRATCH/1.log" 2>&1 || rc=$?
is "$rc" 100 "a clone URL changed in the database to the metadata address: a permanent failure (exit 100)"
is "$(q "SELECT state || ' ' || last_error FROM lethe.jobs WHERE id = $job")" \
	"failed clone of '$org/app' refused: 'http://169.254.169.254/latest/meta-data/x.git': host '169.254.169.254' port 80 is not in clone_hosts" \
	"the job fails naming the URL and why"
is "$(q "SELECT count(*) FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")" 0 "its checkout is destroyed"

# localhost is on the list only as github_api_url's host: DNS decides.
lurl="http://localhost:$port${url#http://127.0.0.1:$port}"
scan_config "github_api_url = http://localhost:$port/api/v3"
q "UPDATE lethe.repositories SET clone_url = '$lurl' WHERE id = $repo" >/dev/null
job=$(scan_job "$repo" "$sha")
rc=0
LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/2.log" 2>&1 || rc=$?
is "$rc" 100 "a listed name that resolves to loopback is refused at clone time (exit 100)"
case $(q "SELECT state || ' ' || last_error FROM lethe.jobs WHERE id = $job") in
"failed clone of '$org/app' refused: 'localhost' resolves to "*", a loopback address, refused unless clone_hosts lists it")
	_tap_result 0 "the job fails naming the address it resolved to" ;;
*) _tap_result 1 "the job fails naming the address it resolved to"
   diag "$(q "SELECT last_error FROM lethe.jobs WHERE id = $job")" ;;
esac
is "$(q "SELECT count(*) FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")" 0 "its checkout is destroyed"

# Listed explicitly, the same URL clones at the address it was checked at.
scan_config "github_api_url = http://localhost:$port/api/v3" \
	"clone_hosts = $(sed -n 's/^clone_hosts = //p' "$LETHE_CONFIG") http://localhost:$port"
job=$(scan_job "$repo" "$sha")
scan_until_done "$job" "$SCRATCH/lethe.conf"
is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" done "listed explicitly in clone_hosts, localhost clones"
ok "and the log names the clone" grep -q "cloned '$org/app'" "$SCRATCH/scan.log"
