#!/bin/bash
# A GitLab repository end to end against the stand-in GitLab API
# (tests/vcs-standin): a merge request webhook through the stack, a scan
# cloned with the stored read_repository token, and the commit status and
# one merge request note made with the separately stored api-scoped token;
# an update of the merge request edits that note.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2202
plan 7
pause_jobs

vcs_tokens gitlab '["read_repository"]' '["api"]'
vcs_standin
vcs_source
vcs_repo_add gitlab "$API/gitlab/api/v4" status+comment

mr() { # ACTION SHA: a merge request webhook with the hook's token; prints the job
	jq -n --arg a "$1" --arg sha "$2" --arg url "$API/acme/app.git" '{
		object_kind: "merge_request",
		project: {path_with_namespace: "acme/app", git_http_url: $url},
		object_attributes: {action: $a, iid: 7, source_branch: "feature",
			target_branch: "main", last_commit: {id: $sha}, oldrev: ("0" * 40)}}' \
		>"$SCRATCH/mr.json"
	vcs_deliver "$SCRATCH/mr.json" 'X-Gitlab-Event: Merge Request Hook' \
		"X-Gitlab-Event-UUID: t2202-$$-$1-$2" "X-Gitlab-Token: $(vcs_secret)"
}

job=$(mr open "$SHA1")
is "$(vcs_hook_code "$job")" "202 7" "the merge request webhook queues a scan of merge request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

check_clone_scopes '["read_repository"]'
check_api_scopes /gitlab/ '["api"]'
check_status "/gitlab/api/v4/projects/acme%2Fapp/statuses/$SHA1"
check_comment /gitlab/api/v4/projects/acme%2Fapp/merge_requests/7/notes

job2=$(mr update "$(vcs_push)")
scan_until_done "$job2"
check_edited /merge_requests/7/notes PUT /merge_requests/7/notes/
