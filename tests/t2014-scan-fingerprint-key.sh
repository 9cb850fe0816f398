#!/bin/bash
# Fingerprints are stored keyed with the org's secret hash key: a finding's
# fingerprint, which lethe-analyze derives from the flagged lines, could
# otherwise confirm a guess of the line.  An org whose findings and triage
# were stored with plain fingerprints (listed by migration 094) has them
# keyed by its next scan, in the same transaction: the finding keeps its
# row and first scan, its triage still applies, the next scans find it
# again (nothing new), another org stores another fingerprint for the same
# line, and the plain fingerprints are in neither pg_dump nor the logs.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 9
pause_jobs

# What the sandbox reports: the hash of a line anyone could guess.
plain=$(printf 'password = "hunter2"' | sha256sum | cut -c1-64)
other=$(printf 'token = "letmein"' | sha256sum | cut -c1-64)
result() { # RULE FINGERPRINT
	jq -cn --arg rule "$1" --arg fp "$2" '{ruleId: $rule, level: "error", message: {text: "m"},
		locations: [{physicalLocation: {artifactLocation: {uri: "a.py"}, region: {startLine: 1}}}],
		partialFingerprints: {"lethe/v1": $fp}}'
}
mkdir -p "$SCRATCH/src"
printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"stand-in"}},"invocations":[{"executionSuccessful":true}],"results":[%s,%s]}]}\n' \
	"$(result R1 "$plain")" "$(result R2 "$other")" >"$SCRATCH/src/out.sarif"
printf '#!/bin/sh\nexec cat /workspace/out.sarif\n' >"$SCRATCH/an"
chmod 0755 "$SCRATCH/an"
scan_config "analyze_path = $SCRATCH/an"
name=fpkey-$$
scan_git_repo "$name" "$SCRATCH/src"

scan() { # REPO: one scan; prints the job's state and the scan's stats
	local job
	job=$(scan_job "$1" "$sha")
	scan_until_done "$job" "$SCRATCH/lethe.conf"
	q "SELECT j.state || ' ' || (s.stats->>'new') FROM lethe.jobs j JOIN lethe.scans s ON s.job_id = j.id
	   WHERE j.id = $job"
}
fp() { q "SELECT fingerprint FROM lethe.findings WHERE repository_id = $1 AND rule_id = '$2'"; }

# Org A as lethe-scan left it before fingerprints were keyed: a scan, a
# finding with the plain fingerprint, suppressed by triage.
scan_org fpkey-a
org_a=$ORG
repo_a=$(scan_repo "$org_a" "$name" "$url")
s0=$(q "WITH j AS (INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state)
	SELECT org_id, id, '$sha', 'done' FROM lethe.repositories WHERE id = $repo_a RETURNING org_id, repository_id, id)
	INSERT INTO lethe.scans (org_id, repository_id, job_id, commit_sha, branch, state, finished_at)
	SELECT org_id, repository_id, id, '$sha', 'main', 'complete', now() FROM j RETURNING id")
id1=$(q "INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id, level, path,
	start_line, message, first_scan_id, last_scan_id)
	SELECT org_id, id, 'main', '$plain', 'stand-in', 'R1', 'error', 'a.py', 1, 'stand-in rule R1', $s0, $s0
	FROM lethe.repositories WHERE id = $repo_a RETURNING id")
q "INSERT INTO lethe.triage (org_id, repository_id, fingerprint, state, reason, created_by)
	SELECT org_id, id, '$plain', 'suppressed', 'test data', 'tester' FROM lethe.repositories
	WHERE id = $repo_a" >/dev/null
# The orgs migration 094 lists: its own statement, on today's rows (what
# it lists of other orgs, in the same transaction, is taken back).
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<-SQL
	BEGIN;
	SET LOCAL search_path = lethe;
	$(sed -n '/^INSERT INTO fingerprint_rekeys/,$p' "$TOP/sql/094_fingerprint_key.sql")
	DELETE FROM fingerprint_rekeys WHERE created_at = now()
		AND org_id <> (SELECT id FROM orgs WHERE name = '$org_a');
	COMMIT;
	SQL
is "$(q "SELECT count(*) FROM lethe.fingerprint_rekeys r JOIN lethe.orgs o ON o.id = r.org_id
	WHERE o.name = '$org_a'")" 1 "the migration lists the org whose fingerprints are plain"

: >"$SCRATCH/scan.log"
is "$(scan "$repo_a")" "done 1" "the next scan of the org is done: of its two results, one is new"
is "$(q "SELECT count(*) FROM lethe.fingerprint_rekeys r JOIN lethe.orgs o ON o.id = r.org_id
	WHERE o.name = '$org_a'") $(grep -c 'keyed the 1 stored fingerprints' "$SCRATCH/scan.log")" "0 1" \
	"it keyed the org's stored fingerprints and unlisted the org"
k1=$(fp "$repo_a" R1)
is "$(q "SELECT id || ' ' || first_scan_id || ' ' || state FROM lethe.findings
	WHERE repository_id = $repo_a AND rule_id = 'R1'") $([ "$k1" != "$plain" ] && echo keyed)" \
	"$id1 $s0 open keyed" "the finding keeps its row, its first scan and its state, with a keyed fingerprint"
is "$(q "SELECT tr.state || ' ' || tr.reason FROM lethe.triage tr JOIN lethe.findings f
	ON f.repository_id = tr.repository_id AND f.fingerprint = tr.fingerprint WHERE f.id = ${id1:-0}")" \
	"suppressed test data" "its triage still applies"
ok "a new finding is stored with a keyed fingerprint too" test "$(fp "$repo_a" R2)" != "$other" -a -n "$(fp "$repo_a" R2)"
is "$(scan "$repo_a") $(fp "$repo_a" R1)" "done 0 $k1" "a later scan finds the same finding, nothing new"

scan_org fpkey-b
repo_b=$(scan_repo "$ORG" "$name" "$url")
scan "$repo_b" >/dev/null
ok "another org stores another fingerprint for the same line" \
	test -n "$(fp "$repo_b" R1)" -a "$(fp "$repo_b" R1)" != "$k1" -a "$(fp "$repo_b" R1)" != "$plain"

pg_dump -U postgres lethe >"$SCRATCH/dump.sql"
where=
for s in "$plain" "$other"; do
	for f in "$SCRATCH/dump.sql" "$LETHE_RUN/log" "$SCRATCH/scan.log"; do
		grep -rqaF -e "$s" "$f" 2>/dev/null && where="$where $f"
	done
done
is "$where" "" "the plain fingerprints are in neither pg_dump nor the logs"
