#!/bin/bash
# What lethe-scan stores of one tool run, handed to it as if lethe-analyze
# had written it: a result reported twice is one finding (placed where it
# was last reported, linked to the scan where it was first), a result
# without Lethe's fingerprint is tracked by a fallback one, a result without
# a location is refused, counted, and makes the run incomplete, a message is
# stored as the generic text of the tool's rule (the tool's own text, which
# may quote code, nowhere), and the next scan keeps what it sees again and
# marks fixed what it does not.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 12
pause_jobs

fp1=$(printf 'one' | sha256sum | cut -c1-64)
fp2=$(printf 'two' | sha256sum | cut -c1-64)
msg='a "quoted" \\ back-slashed, accented (é), tabbed	and
two-line message'
# sarif RESULTS...: a complete run of tool stand-in holding RESULTS
sarif() {
	local IFS=,
	printf '{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json",'
	printf '"runs":[{"tool":{"driver":{"name":"stand-in","version":"1.0"}},'
	printf '"invocations":[{"executionSuccessful":true}],"results":[%s]}]}\n' "$*"
}
# result RULE PATH LINE [FINGERPRINT [MESSAGE]]: PATH - for none
result() {
	jq -cn --arg rule "$1" --arg path "$2" --argjson line "$3" --arg fp "${4:-}" \
		--arg msg "${5:-found}" '{ruleId: $rule, level: "error", message: {text: $msg}}
		+ (if $path == "-" then {} else {locations: [{physicalLocation:
		   {artifactLocation: {uri: $path}, region: {startLine: $line}}}]} end)
		+ (if $fp == "" then {} else {partialFingerprints: {"lethe/v1": $fp}} end)'
}

mkdir -p "$SCRATCH/src"
sarif "$(result R1 a.c 3 "$fp1")" "$(result R1 a.c 9 "$fp1")" "$(result R2 b.c 5)" \
	"$(result R3 - 0)" "$(result R4 c.c 7 "$fp2" "$msg")" >"$SCRATCH/src/first.sarif"
sarif "$(result R1 a.c 4 "$fp1")" "$(result R4 c.c 7 "$fp2" "$msg")" >"$SCRATCH/src/second.sarif"
printf 'int x;\n' >"$SCRATCH/src/a.c"
name=store-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org store
repo=$(scan_repo "$ORG" "$name" "$url")

# scan FILE: one scan whose analysis prints FILE of the checkout; sets job
scan() {
	printf '#!/bin/sh\nexec cat /workspace/%s\n' "$1" >"$SCRATCH/an"
	chmod 0755 "$SCRATCH/an"
	scan_config "analyze_path = $SCRATCH/an"
	q "UPDATE lethe.jobs SET state = 'cancelled' WHERE repository_id = $repo AND state = 'queued'" >/dev/null
	job=$(scan_job "$repo" "$sha")
	scan_until_done "$job" "$SCRATCH/lethe.conf"
}
finding() { # RULE COLUMNS
	q "SELECT $2 FROM lethe.findings WHERE repository_id = $repo AND rule_id = '$1'"
}
stats() { q "SELECT s.state || ' ' || s.stats FROM lethe.scans s WHERE s.job_id = $job"; }

scan first.sarif
is "$(stats)" 'incomplete {"new": 3, "fixed": 0, "tools": 1, "refused": 1, "findings": 4, "stripped": 0}' \
	"the first scan counts four results stored, three findings new, one refused: incomplete"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo")" 3 \
	"three findings: the one reported twice is stored once"
is "$(finding R1 "path || ':' || start_line || ' ' || state")" "a.c:9 open" \
	"a finding reported twice takes the place where it was last reported"
is "$(q "SELECT sf.start_line FROM lethe.scan_findings sf JOIN lethe.findings f ON f.id = sf.finding_id
	WHERE f.repository_id = $repo AND f.rule_id = 'R1'")" 3 \
	"and is linked to the scan at the line where it was first reported"
fallback=$(q "SELECT fingerprint FROM lethe.findings WHERE repository_id = $repo AND rule_id = 'R2'")
ok "a result without a fingerprint gets a fallback one ($fallback)" \
	grep -qxE '[0-9a-f]{64}' <<<"$fallback"
is "$(finding R4 message) $(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo
	AND message LIKE '%quoted%'")" "stand-in rule R4 0" \
	"a tool's message is stored as the generic text of its rule, its own text nowhere"
is "$(q "SELECT count(*) FROM lethe.scan_findings sf JOIN lethe.scans s ON s.id = sf.scan_id
	WHERE s.job_id = $job AND sf.introduced")" 0 "a push scan introduces nothing"

id1=$(finding R1 id)
scan second.sarif
is "$(stats)" 'complete {"new": 0, "fixed": 1, "tools": 1, "refused": 0, "findings": 2, "stripped": 0}' \
	"the second scan finds nothing new and one fixed"
is "$(finding R1 "id || ' ' || path || ':' || start_line || ' ' || state")" "$id1 a.c:4 open" \
	"the finding seen again keeps its row and takes its new place"
is "$(finding R2 state)" fixed "the finding not seen again is fixed"
is "$(finding R4 "state || ' ' || (first_scan_id < last_scan_id)")" "open true" \
	"the finding seen by both scans spans them"
is "$(q "SELECT count(*) FROM lethe.scan_findings sf JOIN lethe.scans s ON s.id = sf.scan_id
	WHERE s.job_id = $job")" 2 "the second scan links the two findings it saw"
