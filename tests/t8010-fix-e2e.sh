#!/bin/bash
# A fix end to end on the stack: a real scan finds bandit's B602 in the
# vulnerable fixture on the stand-in GitHub; an admin asks for its fix;
# lethe-fix clones the commit onto an encrypted volume, runs lethe-agent in
# the sandbox, whose edit (scripted in the stand-in model) replaces the shell
# call, and which runs the operator's test command (fix_test_command) there,
# lists the change on the host and seals it, destroying the volume.
# Nothing is pushed before the admin approves; after approval the stand-in
# receives exactly one branch push and one pull request, made with an
# installation token holding contents and pull_requests write alone, and
# the sealed patch is destroyed; every git process of the push ran as user
# lethe-fetch, not root.  The marker the fix wrote is then in no
# database dump, log or file of the stack.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
. "$TOP/tests/model-lib.sh"
. "$TOP/tests/api-lib.sh"
vcs_need t8010
model_need
api_need
for b in lethe-fix lethe-llm-proxy lethe-agent; do
	[ -x "$TOP/bin/$b" ] || skip_all "bin/$b not built"
done
plan 31
pause_jobs

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SD/app.pem" 2>/dev/null
openssl pkey -in "$SD/app.pem" -pubout -out "$SD/app.pub"
chmod 0600 "$SD/app.pem"
inst=$((810000 + $$))
cat >"$SD/config.json" <<EOF
{"apps": {"81": {"public_key": "app.pub", "slug": "lethe"}},
 "installations": {"$inst": {"app_id": "81", "account": "acme", "repositories": ["app"],
   "permissions": {"contents": "write", "pull_requests": "write", "metadata": "read"}}}}
EOF
vcs_standin
vcs_source
BARE=$SD/git/acme/app.git
scan_org fix
vcs_github_repo
vcs_app "$REPO" 81 "$inst" none "$SD/app.pem" >/dev/null
job=$(scan_job "$REPO" "$SHA1" feature)
scan_until_done "$job"
finding=$(q "SELECT id FROM lethe.findings WHERE repository_id = $REPO AND tool = 'bandit'
	AND rule_id = 'B602' AND path = 'app/server.py' AND state = 'open'")
ok "the scan found B602 in app/server.py" test -n "$finding"

marker=lethe-fix-marker-$(openssl rand -hex 6)
jq -n --arg m "$marker" '{answers: [
  {tool_calls: [{name: "edit", arguments: {path: "app/server.py",
     old: "subprocess.call(\"ls -l \" + user_path, shell=True)",
     new: ("subprocess.call([\"ls\", \"-l\", \"--\", user_path])  # " + $m)}},
    {name: "run", arguments: {argv: ["python3", "-m", "unittest"]}}]},
  {tool_calls: [{name: "done", arguments: {summary: "no shell"}}]}]}' >"$SCRATCH/script.json"
model_standin "$SCRATCH/script.json"
cp "$TOP/bin/lethe-agent" "$SCRATCH/lethe-agent"	# where the sandbox's user reaches it
scan_config "fix_model_url = $MODEL_URL" "fix_model_key_file = $SCRATCH/model.key" \
	"agent_path = $SCRATCH/lethe-agent" "fix_test_command = python3 -m unittest"
export LETHE_CONFIG=$SCRATCH/lethe.conf
printf '%s\n' "$MODEL_KEY" | "$TOP/bin/lethe-llm-proxy" --seal-key "$SCRATCH/model.key" >/dev/null
pw=$(openssl rand -hex 12)
uid=$(api_user "$ORG" "a@$TAG.test" admin "$pw")
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)

req POST "/api/v1/findings/$finding/fix" "$at" '{}'
fix=$(jq -r .id <<<"$BODY")
is "$STATUS $(jq -r .state <<<"$BODY")" "201 queued" "the admin asks for a fix of it"
is "$(q "SELECT kind || ' ' || commit_sha || ' ' || branch FROM lethe.jobs WHERE fix_id = ${fix:-0}")" \
	"fix $SHA1 feature" "a fix job is queued at the commit the finding was seen at"

# fix_until_done JOB [WRAPPER...]: lethe-fix (run by WRAPPER), which takes
# every job due (other tests' may be due first), until JOB ended.
fix_until_done() {
	local job=$1
	shift
	for _ in $(seq 10); do
		"$@" "$TOP/bin/lethe-fix" >>"$SCRATCH/fix.log" 2>&1
		case $(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}") in done|failed) return 0 ;; esac
	done
	return 1
}
fixjob=$(q "SELECT id FROM lethe.jobs WHERE fix_id = ${fix:-0}")
fix_until_done "$fixjob"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${fixjob:-0}")" done "lethe-fix did the fix job"
is "$(q "SELECT state FROM lethe.fixes WHERE id = ${fix:-0}")" proposed "the fix is proposed"
is "$(q "SELECT count(*) FILTER (WHERE destroyed_at IS NOT NULL AND ended = 'fix'), count(*)
	FROM lethe.checkouts c JOIN lethe.jobs j ON j.id = c.job_id WHERE j.fix_id = ${fix:-0}")" "1|1" \
	"its checkout was made and destroyed by the job"
is "$(q "SELECT string_agg(action, ',' ORDER BY id) FROM lethe.audit_events
	WHERE target = 'fix:${fix:-0}'")" "fix.request,fix proposed" "asked and proposed, audited"
req GET "/api/v1/fixes/$fix" "$at"
jq -j .patch <<<"$BODY" >"$SCRATCH/patch"
is "$(grep '^+++ \|^--- ' "$SCRATCH/patch" | tr '\n' ' ')" "--- a/app/server.py +++ b/app/server.py " \
	"the patch changes app/server.py alone"
is "$(grep -c "^+.*subprocess.call(\[\"ls\", \"-l\", \"--\", user_path\])  # $marker" "$SCRATCH/patch")" 1 \
	"it replaces the shell call as the agent edited it"
is "$(jq -r 'select(.status == 200) | .body.tools[] | select(.function.name == "run") |
	.function.description | test("exactly the argv \\[\"python3\",\"-m\",\"unittest\"\\]")' "$MLOG" |
	sort -u)" true "lethe-fix gave the agent the test command, named to the model"
is "$(jq -r 'select(.status == 200) | .body.messages[] | select(.role == "tool") | .content' "$MLOG" |
	grep -c '^Ran 0 tests')" 1 "the test command ran in the sandbox"
is "$(jq -s '[.[] | select(.push or .pull)] | length' "$LOG")" 0 "nothing was pushed or proposed to the VCS"
is "$(jq -r .authorization "$MLOG" | sort -u)" "Bearer $MODEL_KEY" \
	"the model endpoint got the key from the proxy"
absent "the key is in no request body, nor in the job's log" "$MODEL_KEY" \
	<(jq -c 'del(.authorization)' "$MLOG") "$SCRATCH/fix.log"

"$TOP/bin/lethe-fix" --once >>"$SCRATCH/fix.log" 2>&1
is "$(q "SELECT count(*) FROM lethe.jobs WHERE fix_id = ${fix:-0}")|$(jq -s '[.[] | select(.push or .pull)] | length' "$LOG")" \
	"1|0" "lethe-fix run again has no push to do, and nothing was pushed before approval"
is "$(jq -c 'select(.auth == "git" and .status == 200) | .token_permissions' "$LOG" | sort -u)" '{"contents":"read"}' \
	"every clone so far, the fix's too, was made with contents: read alone"

req POST "/api/v1/fixes/$fix/approve" "$at"
is "$STATUS $(jq -c '[.state, .approved_by]' <<<"$BODY")" "200 [\"approved\",\"user:$uid\"]" \
	"the admin approves it"
req POST "/api/v1/fixes/$fix/approve" "$at"
is "$STATUS" 409 "it is not approved twice"
is "$(q "SELECT count(*) FROM lethe.jobs WHERE fix_id = ${fix:-0} AND kind = 'push' AND state = 'queued'")" 1 \
	"the approval queued one push"

pushjob=$(q "SELECT id FROM lethe.jobs WHERE fix_id = ${fix:-0} AND kind = 'push'")
# (LeakSanitizer, in a sanitizer build, cannot work under ptrace.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 fix_until_done "$pushjob" \
	strace -f -qq -A -o "$SCRATCH/push.trace" -e trace="$TRACE_CALLS"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${pushjob:-0}")" done "lethe-fix did the push job"
trace_procs "$SCRATCH/push.trace" "$(cat "$SD/port")" "$(id -g lethe-fetch)" >"$SCRATCH/push.procs"
# (lethe-fix itself reaches the stand-in's API, on the same port, for the
# app's token and the pull request: only the programs run count here.)
is "$(awk '$1 ~ /^(lethe-fetch|git-remote-http)$/ { print $1 }' "$SCRATCH/push.procs" |
	sort -u | paste -sd' ' -)" "git-remote-http lethe-fetch" \
	"the push ran lethe-fetch and git's HTTP transport"
is "$(awk '$1 != "connect" { print $3, $4, $5, $6, $7 }' "$SCRATCH/push.procs" | sort -u)" \
	"$(id -u lethe-fetch) groups gid nocaps nnp" \
	"every git and lethe-fetch process of the push was user lethe-fetch, without groups, capabilities or new privileges"
is "$(q "SELECT state, branch, pr_number, patch_enc IS NULL, destroy_reason FROM lethe.fixes
	WHERE id = ${fix:-0}")" "pushed|lethe/fix-$finding-1|1|t|pushed" \
	"the fix is pushed as lethe/fix-$finding-1, pull request 1, its sealed patch destroyed"
is "$(jq -c 'select(.push) | [.status, (.push | map(.ref + " " + (.ok | tostring)))]' "$LOG")" \
	"[200,[\"refs/heads/lethe/fix-$finding-1 true\"]]" "the stand-in received exactly one push, of that branch"
is "$(jq -c 'select(.pull) | .pull | [.head, .base, .author]' "$LOG")" \
	"[\"lethe/fix-$finding-1\",\"feature\",\"lethe[bot]\"]" \
	"and exactly one pull request, from it into feature, by the app"
dash=$(sed -n 's/^dashboard_url = //p' "$LETHE_CONFIG")
is "$(jq -r 'select(.pull) | .body.body | split("\n") | last' "$LOG")" \
	"${dash:-http://127.0.0.1:8080/}#/findings/$finding" "its description links the finding in the dashboard"
is "$(jq -c 'select(.push) | .token_permissions' "$LOG")" '{"contents":"write","pull_requests":"write"}' \
	"the push was made with a token holding contents and pull_requests write alone"
is "$(git -C "$BARE" show "lethe/fix-$finding-1:app/server.py" | sed -n 12p)" \
	"    return subprocess.call([\"ls\", \"-l\", \"--\", user_path])  # $marker" \
	"the branch holds the fixed line"
is "$(git -C "$BARE" log -1 --format='%an|%P' "lethe/fix-$finding-1")" "Lethe|$SHA1" \
	"committed by Lethe on the finding's commit"
is "$(q "SELECT action FROM lethe.audit_events WHERE target = 'fix:${fix:-0}' ORDER BY id DESC LIMIT 1")" \
	"fix pushed" "the push is an audit event"

pg_dump -n lethe >"$SCRATCH/dump.sql"
dirs=()
for k in state_dir run_dir spool_dir; do dirs+=("$(sed -n "s/^$k = //p" "$LETHE_CONFIG")"); done
absent "the fix's code is in no database dump, log, volume, checkout or spool of the stack" "$marker" \
	"$SCRATCH/dump.sql" "$SCRATCH/fix.log" "$LETHE_RUN/log" "${dirs[@]}"
