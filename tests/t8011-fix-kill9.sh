#!/bin/bash
# kill -9 of lethe-fix while its agent waits on the model (a 429 with a long
# Retry-After): its lethe-llm-proxy ends with it; the checkout, the work
# tree on its encrypted volume, is left until the job's lease expires; then
# lethe-scrub destroys it, the sandbox's processes with it, and puts the
# job back in the queue.  The patch was never sealed.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
. "$TOP/tests/model-lib.sh"
scan_need
model_need
for b in lethe-fix lethe-llm-proxy lethe-agent lethe-scrub; do
	[ -x "$TOP/bin/$b" ] || skip_all "bin/$b not built"
done
plan 9
pause_jobs

name=fk9-$$
cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
scan_git_repo "$name" "$SCRATCH/src"
scan_org fk9
repo=$(scan_repo "$ORG" "$name" "$url")
scan_until_done "$(scan_job "$repo" "$sha")"
fix=$(q "INSERT INTO lethe.fixes (org_id, finding_id) SELECT org_id, id FROM lethe.findings
	WHERE repository_id = $repo AND rule_id = 'B602' RETURNING id")
job=$(q "INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha, ref, branch, fix_id)
	VALUES ((SELECT org_id FROM lethe.fixes WHERE id = ${fix:-0}), $repo, 'fix', '$sha',
	'refs/heads/main', 'main', ${fix:-0}) RETURNING id")
ok "a fix job of a real finding is queued" test -n "$job"

jq -n '{answers: [{status: 429, retry_after: "60"}]}' >"$SCRATCH/script.json"
model_standin "$SCRATCH/script.json"
cp "$TOP/bin/lethe-agent" "$SCRATCH/lethe-agent"
scan_config "scan_lease = 5" "fix_model_url = $MODEL_URL" "fix_model_key_file = $SCRATCH/model.key" \
	"agent_path = $SCRATCH/lethe-agent"
export LETHE_CONFIG=$SCRATCH/lethe.conf
printf '%s\n' "$MODEL_KEY" | "$TOP/bin/lethe-llm-proxy" --seal-key "$SCRATCH/model.key" >/dev/null

"$TOP/bin/lethe-fix" --once >"$SCRATCH/fix.log" 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
for _ in $(seq 300); do
	[ "$(model_requests)" -ge 1 ] && [ "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" = running ] &&
		break
	sleep 0.1
done
co=$(q "SELECT id FROM lethe.checkouts WHERE job_id = ${job:-0} AND destroyed_at IS NULL")
path=$(q "SELECT path FROM lethe.checkouts WHERE id = ${co:-0}")
ok "the agent asked the model, from a live checkout" test -n "$co" -a "$(model_requests)" -ge 1
proxy() { pgrep -f "lethe-llm-proxy --socket .* --fix ${fix:-0} " >/dev/null; }
ok "its proxy runs" proxy

kill -9 "$pid"
wait "$pid" 2>/dev/null
for _ in $(seq 50); do proxy || break; sleep 0.1; done
must_fail "the proxy ended with lethe-fix" proxy
is "$(q "SELECT destroyed_at IS NULL FROM lethe.checkouts WHERE id = ${co:-0}")" t \
	"kill -9 leaves the checkout behind"

for _ in $(seq 100); do
	[ "$(q "SELECT lease_expires <= now() FROM lethe.jobs WHERE id = ${job:-0}")" = t ] && break
	sleep 0.1
done
"$TOP/bin/lethe-scrub" >"$SCRATCH/scrub.log" 2>&1
is "$(q "SELECT destroyed_at IS NOT NULL, ended FROM lethe.checkouts WHERE id = ${co:-0}")" "t|orphaned" \
	"once the lease expired lethe-scrub destroyed the checkout as orphaned"
must_fail "its volume is no longer mounted" findmnt "$path"
must_fail "no process of the sandbox is left" pgrep -u lethe-sandbox -f lethe-agent
is "$(q "SELECT j.state, f.state, f.patch_enc IS NULL FROM lethe.jobs j JOIN lethe.fixes f ON f.id = j.fix_id
	WHERE j.id = ${job:-0}")" "queued|running|t" "the job is queued again, the fix unsealed"
