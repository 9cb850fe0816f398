#!/bin/bash
# lethe-analyze on the deliberately vulnerable fixture repository: every
# scanner finds something, with paths and lines; the document validates,
# carries no source line and no absolute path; failing scanners give
# incomplete runs with the reason; fingerprints survive moved code.
set -u
. "$(dirname "$0")/lib.sh"
AN=$TOP/bin/lethe-analyze
PARSE=$TOP/build/tests/sarif_test
FIX=$TOP/tests/fixtures/vulnrepo

# check EXPR DESC: passes when the shell expression EXPR is true.
check() { ok "$2" eval "$1"; }

[ -x "$AN" ] || skip_all "bin/lethe-analyze not built"
missing=""
for t in flawfinder cppcheck shellcheck bandit jq; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
[ -z "$missing" ] || skip_all "not installed:$missing"

# The workspace is a copy, as the sandbox would mount it.
WS=$SCRATCH/ws
cp -r "$FIX" "$WS"
# A link to a script outside the workspace is not followed.
printf '#!/bin/sh\nrm -rf $1/*\n' >"$SCRATCH/outside.sh"
ln -s "$SCRATCH/outside.sh" "$WS/scripts/link.sh"
OUT=$SCRATCH/out.sarif
"$AN" --workspace "$WS" >"$OUT" 2>"$SCRATCH/err"
rc=$?
check '[ $rc -eq 0 ] && jq -e ".version == \"2.1.0\" and (.runs | length) == 9" "$OUT" >/dev/null' \
	"lethe-analyze writes one SARIF 2.1.0 document with nine runs (five scanners, four of its own)"

run() { jq -c --arg t "$1" '.runs[] | select(.tool.driver.name == $t)' "$OUT"; }
for t in flawfinder cppcheck shellcheck bandit; do
	r=$(run "$t")
	check '[ "$(jq -r ".invocations[0].executionSuccessful" <<<"$r")" = true ] &&
	       [ -n "$(jq -r ".tool.driver.version // empty" <<<"$r")" ] &&
	       jq -e "(.results | length) > 0 and all(.results[];
	              (.locations[0].physicalLocation.artifactLocation.uri | length) > 0 and
	              .locations[0].physicalLocation.region.startLine > 0 and
	              (.partialFingerprints[\"lethe/v1\"] | test(\"^[0-9a-f]{64}$\")))" <<<"$r" >/dev/null' \
		"$t: complete run with version and results that have a path, a line and a fingerprint"
done

# Specific findings, at the lines where the fixture has them.
line_of() { grep -nF -- "$2" "$WS/$1" | head -n1 | cut -d: -f1; }
has() { # tool rule path line
	run "$1" | jq -e --arg r "$2" --arg p "$3" --argjson l "$4" 'any(.results[];
		.ruleId == $r and .locations[0].physicalLocation.artifactLocation.uri == $p and
		.locations[0].physicalLocation.region.startLine == $l)' >/dev/null
}
check 'has flawfinder FF1001 src/copy.c "$(line_of src/copy.c "strcpy(buf")"' "flawfinder flags strcpy at its line"
check 'has flawfinder FF1044 src/copy.c "$(line_of src/copy.c "system(cmd)")"' "flawfinder flags system() at its line"
check 'has cppcheck getsCalled src/copy.c "$(line_of src/copy.c "gets(input)")"' "cppcheck flags gets at its line"
check 'has shellcheck SC2086 scripts/deploy.sh "$(line_of scripts/deploy.sh "files=\$(ls")"' \
	"shellcheck flags the unquoted variable in deploy.sh"
check 'run shellcheck | jq -e "any(.results[]; .locations[0].physicalLocation.artifactLocation.uri == \"scripts/cleanup\")" >/dev/null' \
	"shellcheck also checks a script found by its shebang"
check 'has bandit B602 app/server.py "$(line_of app/server.py "shell=True")"' "bandit flags shell=True at its line"
check 'has bandit B506 app/server.py "$(line_of app/server.py "yaml.load(")"' "bandit flags yaml.load at its line"
check 'run flawfinder | jq -e "any(.results[]; .ruleId == \"FF1001\" and (.properties.tags | index(\"external/cwe/cwe-120\")))" >/dev/null' \
	"CWE ids are result tags external/cwe/cwe-N"
check 'run bandit | jq -e "all(.results[]; .level == \"error\" or .level == \"warning\" or .level == \"note\")" >/dev/null' \
	"levels are error, warning or note"

# No source text: every distinct non-trivial fixture line is absent.
leaks=0
lines=0
while IFS= read -r l; do
	lines=$((lines + 1))
	if grep -qF -- "$l" "$OUT"; then
		leaks=$((leaks + 1))
		echo "# leaked: $l"
	fi
done < <(find "$WS" -type f -exec cat {} + | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
	 awk 'length($0) >= 8' | sort -u)
check '[ "$lines" -gt 30 ] && [ "$leaks" -eq 0 ]' "none of the $lines fixture source lines appears in the output"
check '! grep -qF "admin123" "$OUT" && ! grep -qF "fixture-not-a-secret" "$OUT"' "no hardcoded password value appears"
check '! grep -qF "$WS" "$OUT" && ! grep -q "\.\./" "$OUT"' "no absolute path and no '..' in the output"
check '! grep -qF "link.sh" "$OUT"' "a symbolic link to a script outside the workspace is not followed"

# The host's reader takes it without having to strip anything.
"$PARSE" --parse "$OUT" >/dev/null 2>"$SCRATCH/parse.err"
rc=$?
check '[ $rc -eq 0 ] && grep -qx "stripped 0" "$SCRATCH/parse.err"' "lib/sarif parses it with nothing to strip"

MT=$(ls "$SARIF_MULTITOOL" 2>/dev/null ||
	find "$TOP/build/tools" -name 'Sarif.Multitool' -type f 2>/dev/null | head -n1)
validate() {
	"$MT" validate "$1" --rule-kind "Gh;Sarif" >"$SCRATCH/validate" 2>&1
	grep ': error ' "$SCRATCH/validate" | head -n5 | sed 's/^/# /'
	! grep -q ': error ' "$SCRATCH/validate" && grep -q 'files scanned' "$SCRATCH/validate"
}
if [ -z "$MT" ]; then
	skip "SARIF Multitool not installed (scripts/deps installs it)"
else
	chmod u+x "$MT" 2>/dev/null
	check 'validate "$OUT"' "the Multitool (Gh;Sarif rules) finds no error"
fi

# Failing scanners, faked through PATH.
FAKE=$SCRATCH/fake
mkdir -p "$FAKE"
printf '#!/bin/sh\necho "<results version=\\"2\\"><errors> not xml at all"\nexit 0\n' >"$FAKE/cppcheck"
printf '#!/bin/sh\nexec sleep 60\n' >"$FAKE/bandit"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$FAKE/flawfinder"
printf '#!/bin/sh\necho "{\\"comments\\": 42"\n' >"$FAKE/shellcheck"
chmod +x "$FAKE"/*
reason() { jq -r --arg t "$1" '.runs[] | select(.tool.driver.name == $t) |
	if .invocations[0].executionSuccessful == false
	then .invocations[0].toolExecutionNotifications[0].message.text else "complete" end' "$2"; }
start=$(date +%s)
PATH=$FAKE:$PATH "$AN" --workspace "$WS" --tool-timeout 2 >"$SCRATCH/fail.sarif" 2>/dev/null
elapsed=$(($(date +%s) - start))
check '[ "$(reason bandit "$SCRATCH/fail.sarif")" = "timed out after 2s" ] && [ $elapsed -lt 20 ]' \
	"a scanner that hangs is killed and its run is incomplete: timed out ($elapsed s)"
check '[ "$(reason cppcheck "$SCRATCH/fail.sarif")" = "unparsable output" ]' \
	"a scanner printing garbage gives an incomplete run: unparsable output"
check '[ "$(reason shellcheck "$SCRATCH/fail.sarif")" = "unparsable output" ]' \
	"wrongly shaped JSON gives an incomplete run"
check '[ "$(reason flawfinder "$SCRATCH/fail.sarif")" = "killed by signal 11" ]' \
	"a crashing scanner gives an incomplete run: killed by signal 11"
if [ -n "$MT" ]; then
	check 'validate "$SCRATCH/fail.sarif"' "the document with incomplete runs validates too"
fi

printf '#!/bin/sh\nexit 3\n' >"$FAKE/shellcheck"
printf '#!/bin/sh\nyes "{}"\n' >"$FAKE/bandit"
PATH=$FAKE:$PATH "$AN" --workspace "$WS" --tool shellcheck --tool bandit \
	--max-output 64k >"$SCRATCH/fail2.sarif" 2>/dev/null
check '[ "$(reason shellcheck "$SCRATCH/fail2.sarif")" = "exited with status 3" ]' \
	"an error exit status gives an incomplete run"
check '[ "$(reason bandit "$SCRATCH/fail2.sarif")" = "output over 65536 bytes" ]' \
	"output over the limit gives an incomplete run"

"$AN" --workspace "$WS" --tool flawfinder --max-results 3 >"$SCRATCH/limit.sarif" 2>/dev/null
check '[ "$(reason flawfinder "$SCRATCH/limit.sarif")" = "result limit" ] &&
       [ "$(jq ".runs[0].results | length" "$SCRATCH/limit.sarif")" -eq 3 ]' \
	"more results than --max-results: the run keeps 3 and is incomplete: result limit"

"$AN" --workspace "$WS" --tool nosuch >/dev/null 2>"$SCRATCH/usage.err"
rc=$?
check '[ $rc -eq 2 ] && grep -q "unknown tool .nosuch." "$SCRATCH/usage.err"' "an unknown tool is refused"

# Fingerprints: moving the code keeps them, changing the line does not.
fp() { # file rule line-text
	jq -r --arg r "$2" --arg p "src/copy.c" --argjson l "$(line_of src/copy.c "$3")" '.runs[].results[] |
		select(.ruleId == $r and .locations[0].physicalLocation.artifactLocation.uri == $p and
		       .locations[0].physicalLocation.region.startLine == $l) |
		.partialFingerprints["lethe/v1"]' "$1" | head -n1
}
before=$(fp "$OUT" FF1001 "strcpy(buf")
sed -i '1i /* a line inserted above everything */\n' "$WS/src/copy.c"
"$AN" --workspace "$WS" --tool flawfinder >"$SCRATCH/moved.sarif" 2>/dev/null
after=$(fp "$SCRATCH/moved.sarif" FF1001 "strcpy(buf")
check '[ -n "$before" ] && [ "$before" = "$after" ]' "inserting lines above a finding keeps its fingerprint"
sed -i 's/strcpy(buf, name);/strcpy(buf, name + 1);/' "$WS/src/copy.c"
"$AN" --workspace "$WS" --tool flawfinder >"$SCRATCH/changed.sarif" 2>/dev/null
changed=$(fp "$SCRATCH/changed.sarif" FF1001 "strcpy(buf")
check '[ -n "$changed" ] && [ "$changed" != "$before" ]' "changing the flagged line changes its fingerprint"

# An extra tool writing SARIF with source text in it: taken, then stripped.
cat >"$SCRATCH/extra" <<'EOF'
#!/bin/sh
cat <<'SARIF'
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","version":"0.1"}},"results":[
{"ruleId":"X1","level":"error","message":{"text":"bad call"},
 "locations":[{"physicalLocation":{"artifactLocation":{"uri":"app/server.py"},
 "region":{"startLine":12,"snippet":{"text":"EXTRA_SNIPPET_MARK"}}}}],
 "fixes":[{"description":{"text":"EXTRA_FIX_MARK"}}]}]}]}
SARIF
EOF
chmod +x "$SCRATCH/extra"
"$AN" --workspace "$WS" --tool extra --extra-tool "extra=$SCRATCH/extra" >"$SCRATCH/extra.sarif" 2>/dev/null
check '[ "$(reason extra "$SCRATCH/extra.sarif")" = complete ] &&
       jq -e ".runs[0].results[0].ruleId == \"X1\" and .runs[0].tool.driver.version == \"0.1\"" "$SCRATCH/extra.sarif" >/dev/null &&
       ! grep -q "_MARK" "$SCRATCH/extra.sarif"' "an extra tool's SARIF is taken without its source text"
# flawfinder gives up on a file not in UTF-8: it is skipped, and said so.
WS2=$SCRATCH/ws2
cp -r "$FIX" "$WS2"
printf '/* caf\351 */\nvoid f(char *d, char *s) { strcpy(d, s); }\n' >"$WS2/src/latin1.c"
"$AN" --workspace "$WS2" --tool flawfinder >"$SCRATCH/latin1.sarif" 2>/dev/null
check '[ "$(reason flawfinder "$SCRATCH/latin1.sarif")" = "skipped 1 files not in UTF-8" ] &&
       jq -e "any(.runs[0].results[]; .ruleId == \"FF1001\" and
                  .locations[0].physicalLocation.artifactLocation.uri == \"src/copy.c\") and
              all(.runs[0].results[]; .locations[0].physicalLocation.artifactLocation.uri != \"src/latin1.c\")" \
              "$SCRATCH/latin1.sarif" >/dev/null' \
	"a C file not in UTF-8 is skipped with the reason, the others still scanned"
plan "$_tap_n"
