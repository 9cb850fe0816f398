#!/bin/bash
# A third-party scanner, "scanner.NAME = PATH [ARGS]" in lethe.conf: it runs
# in the same sandbox as the built-in ones (outside /usr it is bound in
# read-only), as PATH ARGS . in the workspace; its SARIF goes through the
# same sanitizer; its run is named after it and is in the scan's tools.  A
# scanner that is missing or not executable stops lethe-scan at start with
# the key named, and the job is left queued.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 6
pause_jobs

mkdir -p "$SCRATCH/src" "$SCRATCH/tools"
printf 'print("hello")\n' >"$SCRATCH/src/app.py"
# The scanner: one result whose rule names its arguments (as they came), on
# a file it lists in the workspace; a message quoting code, which must go.
cat >"$SCRATCH/tools/mine" <<'TOOL'
#!/bin/sh
f=$(ls | head -1)
rule=$(printf 'args:%s' "$*" | tr ' ' '_')
cat <<SARIF
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Mine","version":"1.2"}},"results":[
 {"ruleId":"$rule","level":"error","message":{"text":"print(\"hello\") is suspicious"},
  "locations":[{"physicalLocation":{"artifactLocation":{"uri":"$f"},"region":{"startLine":1}}}]}]}]}
SARIF
TOOL
chmod 0755 "$SCRATCH/tools" "$SCRATCH/tools/mine"
name=third-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org third
repo=$(scan_repo "$ORG" "$name" "$url")

scan_config "scanner.mine = $SCRATCH/tools/mine --strict --level=2" "scanners = bandit"
job=$(scan_job "$repo" "$sha")
scan_until_done "$job" "$SCRATCH/lethe.conf"
is "$(q "SELECT j.state || ' ' || s.state FROM lethe.jobs j JOIN lethe.scans s ON s.job_id = j.id
	WHERE j.id = ${job:-0}")" "done complete" "the scan with a third-party scanner is complete"
is "$(q "SELECT string_agg(t.tool || ' ' || t.status || ' ' || t.result_count, ', ' ORDER BY t.tool)
	FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id WHERE s.job_id = ${job:-0}")" \
	"bandit complete 0, mine complete 1" "its run is named after it, beside the built-in one"
is "$(q "SELECT rule_id || ' ' || path || ':' || start_line || ' ' || level FROM lethe.findings
	WHERE repository_id = $repo AND tool = 'mine'")" "args:--strict_--level=2_. app.py:1 error" \
	"it ran as PATH ARGS . in the workspace, and its finding is stored"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo AND message LIKE '%hello%'")" 0 \
	"its message, which quoted the code, is not stored"

q "UPDATE lethe.jobs SET state = 'cancelled' WHERE repository_id = $repo AND state = 'queued'" >/dev/null
job2=$(scan_job "$repo" "$sha")
scan_config "scanner.gone = $SCRATCH/tools/absent"
LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/out" 2>&1
rc=$?
ok "a missing scanner stops lethe-scan at start, naming the key: $(tail -n 1 "$SCRATCH/out")" \
	eval '[ $rc -eq 100 ] && grep -q "scanner.gone = .*does not exist" "$SCRATCH/out"'
chmod 0644 "$SCRATCH/tools/mine"
scan_config "scanner.mine = $SCRATCH/tools/mine"
LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/out" 2>&1
is "$? $(q "SELECT state FROM lethe.jobs WHERE id = ${job2:-0}")" "100 queued" \
	"so does one that cannot be run, and the job is left queued"
