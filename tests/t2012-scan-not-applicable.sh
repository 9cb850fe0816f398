#!/bin/bash
# A Python-only repository: the scan is complete; cppcheck, flawfinder and
# the shell checker (whose languages are absent) are recorded as not applicable
# with the reason, bandit ran with findings, and the SARIF export says the
# same.  A tool that crashes still makes the scan incomplete, whatever the
# tools that had nothing to scan.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
. "$TOP/tests/api-lib.sh"
scan_need
plan 7
pause_jobs

mkdir -p "$SCRATCH/src/app"
cp "$TOP/tests/fixtures/vulnrepo/app/server.py" "$SCRATCH/src/app/"
# What lethe-analyze writes when bandit crashes on this repository (faked
# through PATH, outside the sandbox): shown to lethe-scan by a stand-in.
mkdir "$SCRATCH/fake"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$SCRATCH/fake/bandit"
chmod +x "$SCRATCH/fake/bandit"
PATH=$SCRATCH/fake:$PATH "$TOP/bin/lethe-analyze" --workspace "$SCRATCH/src" \
	--tool cppcheck --tool bandit >"$SCRATCH/crash.sarif" 2>/dev/null
mv "$SCRATCH/crash.sarif" "$SCRATCH/src/crash.sarif"
name=na-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org na
repo=$(scan_repo "$ORG" "$name" "$url")
tools() { # JOB: tool=status (reason) of every row of its scan
	q "SELECT string_agg(t.tool || '=' || t.status || coalesce(' (' || t.reason || ')', ''), ', '
	   ORDER BY t.tool) FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id
	   WHERE s.job_id = $1 AND t.tool IN ('bandit', 'cppcheck', 'flawfinder', 'shellcheck')"
}

job=$(scan_job "$repo" "$sha")
scan_until_done "$job"
is "$(q "SELECT j.state || ' ' || s.state FROM lethe.jobs j JOIN lethe.scans s ON s.job_id = j.id
	WHERE j.id = ${job:-0}")" "done complete" "the scan of a Python-only repository is complete"
is "$(tools "${job:-0}")" "bandit=complete, cppcheck=not_applicable (no C or C++ source file), flawfinder=not_applicable (no C or C++ file), shellcheck=not_applicable (no shell script)" \
	"the tools without their languages are recorded as not applicable, with the reason"
is "$(q "SELECT t.result_count > 0 FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id
	WHERE s.job_id = ${job:-0} AND t.tool = 'bandit'")" t "bandit ran, with findings"
# The SARIF export through the API says the same.
scan=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job:-0}")
pw=pw-$(openssl rand -hex 8)
org_id=$(q "SELECT id FROM lethe.orgs WHERE name = '$ORG'")
api_user "$org_id" "m@$ORG.test" member "$pw" >/dev/null
at=$(api_login "m@$ORG.test" "$pw" | jq -r '.access_token // empty')
req GET "/api/v1/scans/$scan/sarif" "${at:--}"
is "$(printf '%s' "$BODY" | jq -r '[.runs[] | select(.tool.driver.name == "cppcheck") |
	"\(.invocations[0].executionSuccessful) \(.properties["lethe/not-applicable"])"][0]')" \
	"true no C or C++ source file" "the SARIF export shows cppcheck's run as successful and not applicable"

printf '#!/bin/sh\nexec cat /workspace/crash.sarif\n' >"$SCRATCH/an"
chmod 0755 "$SCRATCH/an"
scan_config "analyze_path = $SCRATCH/an"
job2=$(scan_job "$repo" "$sha")
scan_until_done "$job2" "$SCRATCH/lethe.conf"
is "$(q "SELECT j.state || ' ' || s.state FROM lethe.jobs j JOIN lethe.scans s ON s.job_id = j.id
	WHERE j.id = ${job2:-0}")" "done incomplete" "a scan whose bandit crashed is incomplete"
is "$(tools "${job2:-0}")" "bandit=incomplete (killed by signal 11), cppcheck=not_applicable (no C or C++ source file)" \
	"the crash is recorded as incomplete, cppcheck still as not applicable"
is "$(q "SELECT count(*) FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id
	WHERE s.job_id = ${job:-0} AND t.status = 'incomplete'")" 0 \
	"the first scan has no incomplete tool"
