#!/bin/bash
# A Bitbucket Cloud repository end to end against the stand-in Bitbucket
# API (tests/vcs-standin): a signed pullrequest:created webhook carrying
# the 12-digit commit hash Bitbucket sends, the full SHA resolved through
# the API with the read-only token before the clone, stored on the job and
# the scan, the commit status and one pull request comment made with the
# separately stored reporting token; pullrequest:updated edits that
# comment; an unknown short hash fails the job for good, saying why.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2204
plan 12
pause_jobs

vcs_tokens bitbucket '["repository"]' '["repository:write", "pullrequest:write", "account"]'
vcs_standin
vcs_source
vcs_repo_add bitbucket "$API/bitbucket/2.0" status+comment
bb=/bitbucket/2.0/repositories/acme/app

pr() { # EVENT SHORT_SHA: a signed Bitbucket Cloud pull request webhook; prints the job
	jq -n --arg sha "$2" '{
		pullrequest: {id: 7, state: "OPEN",
			source: {commit: {hash: $sha}, branch: {name: "feature"}},
			destination: {commit: {hash: ("0" * 12)}, branch: {name: "main"}}},
		repository: {full_name: "acme/app", type: "repository"}}' >"$SCRATCH/pr.json"
	vcs_deliver "$SCRATCH/pr.json" "X-Event-Key: pullrequest:$1" \
		"X-Request-UUID: t2204-$$-$1-$2" \
		"X-Hub-Signature: sha256=$(sign_hmac_sha256 "$(vcs_secret)" "$SCRATCH/pr.json")"
}

job=$(pr created "${SHA1:0:12}")
is "$(vcs_hook_code "$job")" "202 7" "the signed pullrequest:created webhook queues a scan of pull request 7"
scan_until_done "$job"
is "$(q "SELECT j.state || ' ' || j.commit_sha || ' ' || s.commit_sha FROM lethe.jobs j
	JOIN lethe.scans s ON s.job_id = j.id WHERE j.id = ${job:-0}")" "done $SHA1 $SHA1" \
	"the scan is done, the job and the scan hold the full SHA"
is "$(jq -c --arg p "$bb/commit/${SHA1:0:12}" 'select(.path == $p) | [.method, .status, .token_scopes]' "$LOG")" \
	'["GET",200,["repository"]]' "the short hash was resolved with the read-only token"
ok "the resolution came before the clone" jq -e -s \
	'(map(select(.path | contains("/commit/"))) | first | .time) < (map(select(.auth == "git")) | first | .time)' "$LOG"
check_clone_scopes '["repository"]'
check_api_scopes /bitbucket/ '["repository:write","pullrequest:write","account"]' '/commit/[0-9a-f]{7,39}$'
check_status "$bb/commit/$SHA1/statuses/build"
check_comment "$bb/pullrequests/7/comments"
absent "no source line reached the stand-in" 'strcpy(buf' "$LOG"

sha2=$(vcs_push)
job2=$(pr updated "${sha2:0:12}")
scan_until_done "$job2"
check_edited /pullrequests/7/comments PUT /pullrequests/7/comments/

job3=$(pr updated deadbeef0123)
scan_until_done "$job3"
is "$(q "SELECT state || ' ' || attempts FROM lethe.jobs WHERE id = ${job3:-0}")" "failed 1" \
	"an unknown short hash fails the job at once"
ok "and says why" \
	grep -q "unable to resolve commit 'deadbeef0123' of 'acme/app': the commit is unknown or ambiguous there" \
	"$SCRATCH/scan.log"
