#!/bin/bash
# Fix and push jobs share the queue with scans (jobs.kind, sql/130 and
# sql/170), each of one fix: lethe-scan claims scans only, so a queued fix
# job is left for lethe-fix, untouched, while the scan queued after it is
# done; nor does the fix job absorb a scan of its commit.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 6

pause_jobs
scan_org fixqueue
scan_git_repo "fixqueue-$$" "$TOP/tests/fixtures/vulnrepo"
repo=$(scan_repo "$ORG" app "$url")
fix=$(q "WITH f AS (INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool,
	rule_id, level, path, message) SELECT org_id, id, 'main', md5(random()::text), 'bandit', 'B602',
	'error', 'app/server.py', 'm' FROM lethe.repositories WHERE id = $repo RETURNING org_id, id)
	INSERT INTO lethe.fixes (org_id, finding_id) SELECT org_id, id FROM f RETURNING id")
fixjob=$(q "INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha, fix_id)
	SELECT org_id, id, 'fix', '$sha', $fix FROM lethe.repositories WHERE id = $repo RETURNING id")
must_fail "a job of another kind is refused by the schema" --says jobs_kind_check \
	q "INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha, fix_id)
	   SELECT org_id, id, 'deploy', '$sha', $fix FROM lethe.repositories WHERE id = $repo"
must_fail "so is a fix job of no fix" --says jobs_fix_kind \
	q "INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha)
	   SELECT org_id, id, 'push', '$sha' FROM lethe.repositories WHERE id = $repo"
scanjob=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch)
	SELECT org_id, id, '$sha', 'refs/heads/main', 'main' FROM lethe.repositories
	WHERE id = $repo ON CONFLICT DO NOTHING RETURNING id")
ok "a scan of the fix job's commit is queued beside it" test -n "$scanjob"
ok "lethe-scan runs the scan" scan_until_done "$scanjob"
is "$(q "SELECT state FROM lethe.jobs WHERE id = $scanjob")" "done" "the scan is done"
is "$(q "SELECT state, attempts, lease_owner IS NULL FROM lethe.jobs WHERE id = $fixjob")" "queued|0|t" \
	"the fix job queued before it was never claimed"
