#!/bin/bash
# Findings across scans: a line inserted above keeps every fingerprint (the
# same finding row, at its new line); a removed vulnerable line is marked
# fixed by the next complete scan; a pull-request scan marks what it
# introduces.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 11
pause_jobs

name=fp-$$
cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
scan_git_repo "$name" "$SCRATCH/src"
scan_org fp
org=$ORG
repo=$(scan_repo "$org" "$name" "$url")
sha1=$sha
job1=$(scan_job "$repo" "$sha1")
scan_until_done "$job1"
scan1=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job1:-0}")
is "$(q "SELECT state FROM lethe.scans WHERE id = ${scan1:-0}")" complete "the first scan is complete"

strcpy=$(grep -n 'strcpy(buf' "$SCRATCH/src/src/copy.c" | cut -d: -f1)
sprintf=$(grep -n 'sprintf(line' "$SCRATCH/src/src/copy.c" | cut -d: -f1)
finding() { # LINE: id|fingerprint of flawfinder's finding there
	q "SELECT id || '|' || fingerprint FROM lethe.findings WHERE repository_id = $repo
	   AND tool = 'flawfinder' AND path = 'src/copy.c' AND start_line = $1 ORDER BY id LIMIT 1"
}
kept=$(finding "$strcpy")
gone=$(finding "$sprintf")
ok "flawfinder reports strcpy (line $strcpy) and sprintf (line $sprintf)" test -n "$kept" -a -n "$gone"
before=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo")

# Second commit: a line above everything, and the sprintf line removed.
work=$SCRATCH/work
git_token clone -q "$url" "$work"
sed -i -e '1i /* a line inserted above every finding */' -e '/sprintf(line/d' "$work/src/copy.c"
git_token -C "$work" commit -q -am "move code down, remove sprintf"
git_token -C "$work" push -q origin main
sha2=$(git -C "$work" rev-parse HEAD)
job2=$(scan_job "$repo" "$sha2")
scan_until_done "$job2"
scan2=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job2:-0}")
is "$(q "SELECT state FROM lethe.scans WHERE id = ${scan2:-0}")" complete "the second scan is complete"

is "$(q "SELECT start_line || ' ' || state || ' ' || (last_scan_id = ${scan2:-0}) FROM lethe.findings
	WHERE id = ${kept%%|*}")" "$((strcpy + 1)) open true" \
	"the strcpy finding keeps its fingerprint and row, now one line lower"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo
	AND fingerprint = '${kept#*|}'")" 1 "and is stored once"
is "$(q "SELECT state || ' ' || (fixed_scan_id = ${scan2:-0}) FROM lethe.findings
	WHERE id = ${gone%%|*}")" "fixed true" "the removed sprintf is marked fixed by the second scan"
is "$(q "SELECT count(*) FROM lethe.findings f WHERE repository_id = $repo AND first_scan_id = $scan1
	AND state = 'open' AND last_scan_id = $scan2")" \
	"$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo AND first_scan_id = $scan1
	AND NOT (path = 'src/copy.c' AND start_line BETWEEN $((sprintf - 3)) AND $((sprintf + 3)))")" \
	"every finding of the first scan away from the removed line keeps its fingerprint"
is "$(q "SELECT count(*) FROM lethe.scan_findings sf JOIN lethe.findings f ON f.id = sf.finding_id
	WHERE sf.scan_id = $scan2 AND f.id = ${gone%%|*}")" 0 "the second scan does not list the fixed one"
ok "no finding was duplicated by the move" \
	test "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo")" -le "$((before + 2))"

# A pull request adding gets(): introduced there, the rest already on main.
git_token -C "$work" checkout -q -b feature
printf 'void slurp(void)\n{\n\tchar b[8];\n\tgets(b);\n}\n' >>"$work/src/copy.c"
git_token -C "$work" commit -q -am "add gets"
git_token -C "$work" push -q origin feature
sha3=$(git -C "$work" rev-parse HEAD)
first_new=$(grep -n 'void slurp' "$work/src/copy.c" | cut -d: -f1)
# As the hook queues it: the source as the ref, the target as the branch.
job3=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch, pr_number, base_sha)
	SELECT org_id, id, '$sha3', 'refs/heads/feature', 'main', 7, '$sha2'
	FROM lethe.repositories WHERE id = $repo RETURNING id")
scan_until_done "$job3"
scan3=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job3:-0}")
gets=$(grep -n 'gets(b)' "$work/src/copy.c" | cut -d: -f1)
is "$(q "SELECT bool_and(f.path = 'src/copy.c' AND f.start_line >= $first_new)
	|| ' ' || bool_or(f.tool = 'flawfinder' AND f.start_line = $gets)
	FROM lethe.scan_findings sf JOIN lethe.findings f ON f.id = sf.finding_id
	WHERE sf.scan_id = ${scan3:-0} AND sf.introduced")" "true true" \
	"the pull request scan marks as introduced the new gets() (line $gets) and nothing older"
is "$(q "SELECT count(*) > 5 FROM lethe.scan_findings WHERE scan_id = ${scan3:-0} AND NOT introduced")" t \
	"the findings already open on main are not introduced"
