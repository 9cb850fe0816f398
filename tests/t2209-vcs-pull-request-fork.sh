#!/bin/bash
# A pull request from a fork's "main" cannot make the repository's main
# look clean: its scan is filed under pull/7, leaves main's findings open,
# and its report compares it with main's last complete scan (what it would
# fix, what it introduces), through the stack and the stand-in GitHub API.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2209
plan 8
pause_jobs

vcs_app_standin 78
vcs_source
git -C "$SCRATCH/src" push -q "$SD/git/acme/app.git" feature:main

scan_org vcsfork
vcs_github_repo
vcs_app "$REPO" 78 "$INST" comment "$SD/app.pem" >/dev/null

# main, scanned as a push would have it.
job=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch)
	SELECT org_id, id, '$SHA1', 'refs/heads/main', 'main' FROM lethe.repositories
	WHERE id = $REPO RETURNING id")
scan_until_done "$job"
open_main() { q "SELECT count(*) FROM lethe.findings WHERE repository_id = $REPO
	AND branch = 'main' AND state = 'open'"; }
nmain=$(open_main)
ok "main's scan finds the vulnerable files ($nmain findings)" test "${nmain:-0}" -gt 0

# The fork's "main": the C file removed, a new shell problem added; GitHub
# keeps a fork's head under refs/pull/7/head of the repository.
git -C "$SCRATCH/src" rm -q src/copy.c
printf '#!/bin/sh\nrm -rf $1/\n' >"$SCRATCH/src/scripts/wipe.sh"
git -C "$SCRATCH/src" add scripts/wipe.sh
git -C "$SCRATCH/src" commit -q -m "fork: drop the C file"
fork=$(git -C "$SCRATCH/src" rev-parse HEAD)
git -C "$SCRATCH/src" push -q "$SD/git/acme/app.git" "HEAD:refs/pull/7/head"
# and serves any commit reachable from a ref, as GitHub does.
git -C "$SD/git/acme/app.git" config uploadpack.allowReachableSHA1InWant true

jq -n --arg sha "$fork" --arg url "$API/acme/app.git" '{
	action: "opened", number: 7,
	pull_request: {number: 7, head: {sha: $sha, ref: "main",
		repo: {full_name: "mallory/app"}}, base: {sha: ("0" * 40), ref: "main"}},
	repository: {full_name: "acme/app", clone_url: $url, default_branch: "main"}}' \
	>"$SCRATCH/pr.json"
job=$(vcs_deliver "$SCRATCH/pr.json" "X-GitHub-Event: pull_request" "X-GitHub-Delivery: $$-fork" \
	"X-Hub-Signature-256: sha256=$(sign_hmac_sha256 "$(vcs_secret)" "$SCRATCH/pr.json")")
is "$(cat "$SCRATCH/code") $(q "SELECT branch || ' ' || pr_number FROM lethe.jobs WHERE id = ${job:-0}")" \
	"202 main 7" "the pull request is queued against its target branch, main"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the fork's pull request is scanned"

is "$(q "SELECT branch FROM lethe.scans WHERE job_id = ${job:-0}")" pull/7 \
	"its scan is filed under pull/7, not under the fork's branch name"
is "$(open_main)" "$nmain" "main's findings all stay open"
is "$(q "SELECT s.base_scan_id = m.id FROM lethe.scans s, lethe.scans m
	WHERE s.job_id = ${job:-0} AND m.repository_id = $REPO AND m.branch = 'main'")" t \
	"it is compared with main's last complete scan"

body=$(jq -rs '[.[] | select(.method == "POST" and .path == "/repos/acme/app/issues/7/comments")
	| .body.body] | last // ""' "$LOG")
printf '%s\n' "$body" >"$SCRATCH/comment.md"
fixed=$(sed -n '/Fixed by this pull request/,$p' "$SCRATCH/comment.md")
rules=$(q "SELECT string_agg(DISTINCT rule_id, ' ') FROM lethe.findings WHERE repository_id = $REPO
	AND branch = 'main' AND path = 'src/copy.c'")
missing=
for r in $rules; do grep -qF "$r" <<<"$fixed" || missing="$missing $r"; done
ok "the comment lists main's findings in the removed file as fixed by the pull request ($rules)" \
	test -n "$rules" -a -n "$fixed" -a -z "$missing"
intro=$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE f.path = 'scripts/wipe.sh')
	FROM lethe.scan_findings sf JOIN lethe.findings f ON f.id = sf.finding_id
	JOIN lethe.scans s ON s.id = sf.scan_id WHERE s.job_id = ${job:-0} AND sf.introduced")
ok "only the new file's findings are introduced ($intro), and listed as such" \
	eval '[ "${intro% *}" = "${intro#* }" ] && [ "${intro% *}" -gt 0 ] &&
	sed -n "/Introduced by this pull request/,/Fixed by this pull request/p" "$SCRATCH/comment.md" |
	grep -qF wipe.sh'
