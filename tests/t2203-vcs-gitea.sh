#!/bin/bash
# A Gitea/Forgejo repository end to end against the stand-in Gitea API
# (tests/vcs-standin): a signed pull request webhook through the stack, a
# scan cloned with the stored read:repository token, and the commit status
# and one pull request comment made with the separately stored token that
# may write statuses and issues; a new push edits that comment.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2203
plan 7
pause_jobs

vcs_tokens gitea '["read:repository"]' '["write:repository", "write:issue", "read:user"]'
vcs_standin
vcs_source
vcs_repo_add gitea "$API/gitea/api/v1" status+comment

pr() { # ACTION SHA: a signed pull request webhook; prints the job
	vcs_hub_pr X-Gitea-Event X-Gitea-Delivery X-Gitea-Signature "" "$@"
}

job=$(pr opened "$SHA1")
is "$(vcs_hook_code "$job")" "202 7" "the signed pull request webhook queues a scan of pull request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

check_clone_scopes '["read:repository"]'
check_api_scopes /gitea/ '["write:repository","write:issue","read:user"]'
check_status "/gitea/api/v1/repos/acme/app/statuses/$SHA1"
check_comment /gitea/api/v1/repos/acme/app/issues/7/comments

job2=$(pr synchronized "$(vcs_push)")
scan_until_done "$job2"
check_edited /issues/7/comments PATCH /issues/comments/
