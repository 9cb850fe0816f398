#!/bin/bash
# lethe-analyze --jobs: the tools run several at once and the document is
# the one a single process writes, run for run, in the same order; a tool
# whose process dies is that tool's incomplete run, the others intact;
# bad values are refused.
set -u
. "$(dirname "$0")/lib.sh"
AN=$TOP/bin/lethe-analyze
FIX=$TOP/tests/fixtures/vulnrepo
{ [ -x "$AN" ] && command -v jq >/dev/null; } || skip_all "bin/lethe-analyze or jq missing"
missing=""
for t in flawfinder cppcheck shellcheck bandit; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
[ -z "$missing" ] || skip_all "not installed:$missing"
plan 8

WS=$SCRATCH/ws
cp -r "$FIX" "$WS"
eslint=$TOP/build/tools/eslint
[ -d "$eslint" ] || eslint=/nonexistent
ok "one tool at a time" sh -c "'$AN' --workspace '$WS' --eslint-dir '$eslint' >'$SCRATCH/one' 2>'$SCRATCH/one.err'"
ok "four tools at a time" sh -c "'$AN' --workspace '$WS' --eslint-dir '$eslint' --jobs 4 >'$SCRATCH/four' 2>'$SCRATCH/four.err'"
is "$(jq -r '[.runs[] | .tool.driver.name] | join(" ")' "$SCRATCH/four")" \
	"$(jq -r '[.runs[] | .tool.driver.name] | join(" ")' "$SCRATCH/one")" "the same runs in the same order"
is "$(jq '[.runs[].results | length] | add' "$SCRATCH/four")" \
	"$(jq '[.runs[].results | length] | add' "$SCRATCH/one")" "the same number of results"
ok "the same document, run for run" cmp <(jq -S . "$SCRATCH/one") <(jq -S . "$SCRATCH/four")

# A third-party tool that kills the process running it (its parent).
cat >"$SCRATCH/killer" <<'SH'
#!/bin/sh
kill -KILL "$PPID"
sleep 5
SH
chmod 0755 "$SCRATCH/killer"
"$AN" --workspace "$WS" --tool shellcheck --tool killer --tool lethe-markers \
	--extra-tool "killer=$SCRATCH/killer" --jobs 2 >"$SCRATCH/killed" 2>"$SCRATCH/killed.err"
is "$(jq -r '[.runs[] | .tool.driver.name + ":" +
	(.invocations[0].executionSuccessful | tostring)] | join(" ")' "$SCRATCH/killed")" \
	"shellcheck:true lethe-markers:true killer:false" \
	"a killed tool's run is incomplete, the others complete, in the usual order"
ok "its reason names the signal" \
	jq -e '.runs[2].invocations[0].toolExecutionNotifications[] | select(.message.text | test("killed by signal 9"))' \
	"$SCRATCH/killed"
must_fail "--jobs 0 is refused" --says "invalid --jobs '0'" "$AN" --workspace "$WS" --jobs 0
