#!/bin/bash
# In-code suppressions: "lethe:ignore RULE -- reason" in the comment syntax
# of the file suppresses the finding on its line or the next, with the
# reason; near misses (wrong rule, two lines above, outside a comment, no
# reason) suppress nothing, and a marker without a reason is reported.  The
# suppression survives lib/sarif's reader.  Secrets are generated here.
set -u
# shellcheck source=tests/analyze-lib.sh
. "$(dirname "$0")/analyze-lib.sh"
plan 6

rnd() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 20; }
WS=$SCRATCH/ws
mkdir -p "$WS"
# file: line content; S is replaced by a fresh secret.  Expected per line:
# "suppressed REASON", "open" or "marker" (a lethe-markers result).
cat >"$SCRATCH/cases" <<'TABLE'
a.py|password = "@S@"  # lethe:ignore secrets/generic -- rotated, kept for history|suppressed rotated, kept for history
a.py|# lethe:ignore secrets/generic -- the staging database, not production|
a.py|password = "@S@"|suppressed the staging database, not production
a.py|# lethe:ignore secrets/generic -- two lines above does not count|
a.py||
a.py|password = "@S@"|open
a.py|password = "@S@"  # lethe:ignore secrets/jwt -- another rule|open
a.py|password = "@S@"  # lethe:ignore secrets/generic|marker
a.py|note = "lethe:ignore secrets/generic -- in a string"; password = "@S@"|open
b.js|const token = "@S@"; // lethe:ignore lethe-secrets:secrets/generic -- tool-qualified rule|suppressed tool-qualified rule
b.js|/* lethe:ignore secrets/generic -- block comment */|
b.js|const secret = "@S@";|suppressed block comment
b.js|const apiKey = "@S@"; # lethe:ignore secrets/generic -- not a JS comment|open
c.xml|<!-- lethe:ignore secrets/generic -- XML comment -->|
c.xml|<db password="@S@"/>|suppressed XML comment
c.xml|<db password="@S@"/> <!-- lethe:ignore secrets/generic -- XML comment too -->|suppressed XML comment too
c.sql|-- lethe:ignore secrets/generic -- SQL comment|
c.sql|UPDATE users SET password = '@S@';|suppressed SQL comment
d.yml|# lethe:ignore -- no rule|marker
TABLE
declare -A want
while IFS='|' read -r file text expect; do
	text=${text//@S@/$(rnd)}
	printf '%s\n' "$text" >>"$WS/$file"
	[ -n "$expect" ] && want["$file:$(wc -l <"$WS/$file")"]=$expect
done <"$SCRATCH/cases"

OUT=$SCRATCH/out.sarif
"$AN" --workspace "$WS" --tool lethe-secrets --tool lethe-markers >"$OUT" 2>/dev/null
rc=$?
check '[ $rc -eq 0 ]' "lethe-analyze runs with the suppression pass"

jq -r '.runs[] | .tool.driver.name as $t | .results[] |
	[$t, .locations[0].physicalLocation.artifactLocation.uri + ":" +
	 (.locations[0].physicalLocation.region.startLine | tostring),
	 (if .suppressions then "suppressed " + .suppressions[0].justification else "open" end)] | @tsv' \
	"$OUT" >"$SCRATCH/got"
bad=0
for k in "${!want[@]}"; do
	case ${want[$k]} in
	marker) grep -q "^lethe-markers	$k	open$" "$SCRATCH/got" ;;
	*) grep -qx "lethe-secrets	$k	${want[$k]}" "$SCRATCH/got" ;;
	esac || { echo "# $k: want '${want[$k]}'" >&2; bad=1; }
done
check '[ $bad -eq 0 ]' "each marker suppresses exactly where it should, with its reason"
check '[ "$(wc -l <"$SCRATCH/got")" -eq "$(( ${#want[@]} + 1 ))" ]' \
	"no other result (the marker without a reason also leaves its finding open)"
check '[ "$(grep -c "^lethe-markers" "$SCRATCH/got")" -eq 2 ]' \
	"markers without a reason or without a rule are reported, no others"

"$TOP/build/tests/sarif_test" --parse "$OUT" >"$SCRATCH/reparsed" 2>/dev/null
check '[ "$(jq "[.runs[].results[] | select(.suppressions[0].kind == \"inSource\")] | length" "$SCRATCH/reparsed")" -eq 7 ]' \
	"lib/sarif reads the in-source suppressions and writes them again"
check 'jq -e "[.runs[].results[] | select(.suppressions) | .suppressions[0].justification] | index(\"SQL comment\") != null" \
	"$SCRATCH/reparsed" >/dev/null' "the reason travels with the suppression"
