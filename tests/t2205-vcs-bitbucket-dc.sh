#!/bin/bash
# A Bitbucket Data Center repository end to end against the stand-in
# Bitbucket Data Center REST API (tests/vcs-standin): a signed pr:opened
# webhook (the corpus's payload, pointed at ACME/app) through the stack, a
# scan cloned with the stored REPO_READ HTTP access token as a Bearer token
# (the stand-in's /git-bearer path refuses Basic), the build status
# and one pull request comment made with the separately stored REPO_WRITE
# token; pr:from_ref_updated edits that comment at its current version,
# with the server named by bitbucket_dc_api_url alone; a REPO_READ token
# cannot report, and the scan stands.
. "$(dirname "$0")/lib.sh"
VCS_OWNER=ACME
VCS_GIT_PATH=/git-bearer
. "$TOP/tests/vcs-lib.sh"
vcs_need t2205
plan 11
pause_jobs

vcs_tokens bitbucket-dc '["REPO_READ"]' '["REPO_WRITE"]'
vcs_standin
vcs_source
vcs_repo_add bitbucket-dc "$API/bitbucket-dc" status+comment
dc=/bitbucket-dc/rest/api/latest/projects/ACME/repos/app

pr() { # EVENT SHA: a signed Data Center pull request webhook; prints the job
	jq --arg e "pr:$1" --arg sha "$2" '.eventKey = $e | .pullRequest.id = 7 |
		.pullRequest.fromRef |= (.id = "refs/heads/feature" | .displayId = "feature" |
			.latestCommit = $sha) |
		.pullRequest.toRef.repository |= (.slug = "app" | .project.key = "ACME")' \
		"$CORPUS/webhooks/bitbucket-dc/pr_opened-basic.json" >"$SCRATCH/pr.json"
	vcs_deliver "$SCRATCH/pr.json" "X-Event-Key: pr:$1" "X-Request-Id: t2205-$$-$1-$2" \
		"X-Hub-Signature: sha256=$(sign_hmac_sha256 "$(vcs_secret)" "$SCRATCH/pr.json")"
}

job=$(pr opened "$SHA1")
is "$(vcs_hook_code "$job")" "202 7" "the signed pr:opened webhook queues a scan of pull request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

check_clone_scopes '["REPO_READ"]'
check_clone_scheme bearer
check_api_scopes /bitbucket-dc/ '["REPO_WRITE"]'
is "$(jq -c --arg p "$dc/commits/$SHA1/builds" 'select(.path == $p) |
	[.status, .body.state, .body.key, .body.name, (.body.url | test("/scans/[0-9]+$"))]' "$LOG")" \
	'[204,"FAILED","lethe","Lethe",true]' "the build status says FAILED and links to the scan"
check_comment "$dc/pull-requests/7/comments"
absent "no source line reached the stand-in" 'strcpy(buf' "$LOG"

# The next push, with the server named by the configuration alone.
q "UPDATE lethe.repositories SET api_url = NULL WHERE id = ${REPO:-0}" >/dev/null
scan_config "bitbucket_dc_api_url = $API/bitbucket-dc"
job2=$(pr from_ref_updated "$(vcs_push)")
scan_until_done "$job2" "$SCRATCH/lethe.conf"
check_edited /pull-requests/7/comments PUT /pull-requests/7/comments/
is "$(jq -c 'select(.method == "PUT") | [.status, .body.version]' "$LOG")" '[200,0]' \
	"the edit named the comment's version"

# A REPO_READ token as the reporting token: refused, the scan stands.
"$TOP/bin/lethectl" repo set --api-url "$API/bitbucket-dc" --report-token-file - "$REPO" \
	<<<"$CLONE_TOKEN" >/dev/null
job3=$(pr from_ref_updated "$(vcs_push)")
scan_until_done "$job3"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job3:-0}") $(jq -s '[.[] | select(.method != "GET" and (.path | startswith("/bitbucket-dc/")) and .status == 401)] | length' "$LOG")" \
	"done 2" "the REPO_READ token may not set the status or comment, and the scan stands"
