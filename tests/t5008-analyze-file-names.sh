#!/bin/bash
# A repository's own file names come back exactly, whatever bytes they hold
# ('#', '%', '?', '\', spaces, an escape that decodes to something else), from
# every scanner, whether it writes file names (shellcheck, bandit) or SARIF
# (flawfinder, which does not encode them); a result Lethe cannot place in the
# workspace is counted and makes its run incomplete; results of kind pass or
# notApplicable are not findings; a SARIF log of several runs stays several
# runs, each named after its category or driver.
set -u
# shellcheck source=tests/analyze-lib.sh
. "$(dirname "$0")/analyze-lib.sh"
plan 11

WS=$SCRATCH/ws
mkdir -p "$WS"
names=('deploy#prod.sh' '100%.sh' 'a?b\c.sh' 'sp ace.sh')
for n in "${names[@]}"; do
	printf '#!/bin/sh\necho $1\n' >"$WS/$n"
done
printf 'import pickle\n\ndef f(x):\n    return pickle.loads(x)\n' >"$WS/%41.py"
printf 'void f(char *d, char *s) { strcpy(d, s); }\n' >"$WS/100%.c"
cp "$WS/100%.c" "$WS/%41.c"

# A tool writing SARIF: places outside the workspace, a result without a
# location, a passed check and a notApplicable one next to a real result.
cat >"$SCRATCH/outside" <<'TOOL'
#!/bin/sh
loc() { printf '"locations":[{"physicalLocation":{"artifactLocation":{"uri":"%s"}}}]' "$1"; }
cat <<SARIF
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"outside"}},"results":[
 {"ruleId":"r1","message":{"text":"m"},$(loc file:///etc/passwd)},
 {"ruleId":"r1","message":{"text":"m"},$(loc ../../x)},
 {"ruleId":"r1","message":{"text":"m"}},
 {"ruleId":"r2","kind":"pass","message":{"text":"m"},$(loc 100%25.sh)},
 {"ruleId":"r2","kind":"notApplicable","message":{"text":"m"},$(loc 100%25.sh)},
 {"ruleId":"r3","message":{"text":"m"},$(loc 100%25.sh)}]}]}
SARIF
TOOL
chmod 0755 "$SCRATCH/outside"

# A tool writing one log of three runs: two categories of one driver, and
# another driver.
cat >"$SCRATCH/multi" <<'TOOL'
#!/bin/sh
res() { printf '{"ruleId":"%s","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"100%%25.sh"},"region":{"startLine":%s}}}]}' "$1" "$2"; }
cat <<SARIF
{"version":"2.1.0","runs":[
 {"tool":{"driver":{"name":"alpha"}},"automationDetails":{"id":"sec/js/"},"results":[$(res j1 1)]},
 {"tool":{"driver":{"name":"alpha"}},"automationDetails":{"id":"sec/py/"},"results":[$(res p1 1),$(res p2 2)]},
 {"tool":{"driver":{"name":"beta"}},"results":[$(res b1 2)]}]}
SARIF
TOOL
chmod 0755 "$SCRATCH/multi"

OUT=$SCRATCH/out.sarif
"$AN" --workspace "$WS" --tool shellcheck --tool bandit --tool flawfinder --tool outside \
	--tool multi --extra-tool "outside=$SCRATCH/outside" --extra-tool "multi=$SCRATCH/multi" \
	>"$OUT" 2>"$SCRATCH/err"
rc=$?
check '[ $rc -eq 0 ]' "lethe-analyze runs shellcheck, bandit, flawfinder and a SARIF tool"

# The uris of a tool's results, and a name as Lethe's writer encodes it.
uris() { jq -r --arg t "$1" '.runs[] | select(.tool.driver.name == $t) | .results[] |
	.locations[0].physicalLocation.artifactLocation.uri' "$OUT" | sort -u; }
enc() { jq -rn --arg n "$1" '$n | @uri'; }
want=$(for n in "${names[@]}"; do enc "$n"; done | sort -u)
got=$(uris shellcheck)
check '[ "$got" = "$want" ]' "shellcheck's findings keep the four file names exactly: $(echo $got)"
check '[ "$(uris bandit)" = "$(enc %41.py)" ]' \
	"bandit's finding in %41.py is at %41.py, not A.py: $(uris bandit)"
want=$(printf '%s\n' "$(enc %41.c)" "$(enc 100%.c)" | sort -u)
check '[ "$(uris flawfinder)" = "$want" ]' \
	"flawfinder's unencoded SARIF names are taken as written: $(echo $(uris flawfinder))"
check 'jq -e "[.runs[] | select(.tool.driver.name | test(\"^(outside|multi/)\") | not) |
	.invocations[0].executionSuccessful] | all" "$OUT" >/dev/null' \
	"the scanners' runs are complete: nothing of theirs was refused"

outside() { jq -r "$1" <(jq '.runs[] | select(.tool.driver.name == "outside")' "$OUT"); }
check '[ "$(outside .invocations[0].executionSuccessful)" = false ] &&
	outside ".invocations[0].toolExecutionNotifications[0].message.text" |
	grep -q "^3 results refused"' \
	"three results without a place in the workspace make their run incomplete, counted: $(outside '.invocations[0].toolExecutionNotifications[0].message.text')"
check '[ "$(outside ".properties[\"lethe/refused\"]")" = 3 ]' "the count is in the run's properties"
check '[ "$(outside "[.results[].ruleId] | join(\",\")")" = r3 ]' \
	"passed and not-applicable checks are not findings; the real result is kept"

runs=$(jq -r '.runs[] | select(.tool.driver.name | startswith("multi/")) |
	"\(.tool.driver.name) \(.automationDetails.id // "-") \([.results[].ruleId] | join(","))"' "$OUT")
check '[ "$runs" = "multi/sec/js sec/js/ j1
multi/sec/py sec/py/ p1,p2
multi/beta - b1" ]' "three runs in one log stay three runs with their categories: $(echo $runs)"
check 'jq -e "[.runs[] | select(.tool.driver.name | startswith(\"multi/\")) |
	.invocations[0].executionSuccessful] == [true, true, true]" "$OUT" >/dev/null' \
	"each of them is complete"

# The host reads what lethe-analyze wrote the same way.
"$TOP/build/tests/sarif_test" --parse "$OUT" >"$SCRATCH/host.sarif" 2>/dev/null
check 'cmp -s <(jq -S ".runs[].results[].locations" "$OUT") \
	<(jq -S ".runs[].results[].locations" "$SCRATCH/host.sarif")' \
	"the host's reader keeps every name and place as lethe-analyze wrote them"
