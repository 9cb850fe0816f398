#!/bin/bash
# Fix jobs share the queue with scans (jobs.kind 'fix', sql/130): lethe-scan
# claims scans only, so a queued fix job is left for the fix job runner,
# untouched, while the scan queued after it is done.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 4

pause_jobs
scan_org fixqueue
scan_git_repo "fixqueue-$$" "$TOP/tests/fixtures/vulnrepo"
repo=$(scan_repo "$ORG" app "$url")
fixjob=$(q "INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha)
	SELECT org_id, id, 'fix', '$sha' FROM lethe.repositories WHERE id = $repo RETURNING id")
must_fail "a job of another kind is refused by the schema" --says jobs_kind_check \
	q "INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha)
	   SELECT org_id, id, 'push', '$sha' FROM lethe.repositories WHERE id = $repo"
scanjob=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch, pr_number)
	SELECT org_id, id, '$sha', 'refs/heads/main', 'main', 1 FROM lethe.repositories
	WHERE id = $repo RETURNING id")
ok "lethe-scan runs the scan" scan_until_done "$scanjob"
is "$(q "SELECT state FROM lethe.jobs WHERE id = $scanjob")" "done" "the scan is done"
is "$(q "SELECT state, attempts, lease_owner IS NULL FROM lethe.jobs WHERE id = $fixjob")" "queued|0|t" \
	"the fix job queued before it was never claimed"
