#!/bin/bash
# scripts/deps on a machine that has everything: silent, and what it set up
# is there: the service users and a SARIF Multitool that really validates.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

plan 6

out=$("$TOP/scripts/deps" 2>&1)
is "$?" 0 "scripts/deps succeeds"
is "$out" "" "and says nothing when nothing is missing"
for u in lethe lethe-sandbox; do
	is "$(getent passwd "$u" | cut -d: -f7)" /usr/sbin/nologin "system user $u exists, without a shell"
done

good=$CORPUS/sarif/real/cppcheck-2.17.1-many_vuln.sarif
bad=$CORPUS/sarif/edge/tutorials-runs-null.sarif
if [ -x "$SARIF_MULTITOOL" ] && [ -r "$good" ] && [ -r "$bad" ]; then
	# validate exits 0 whatever it finds: the verdict is in its messages.
	"$SARIF_MULTITOOL" validate "$good" --rule-kind Sarif >"$SCRATCH/good" 2>&1
	is "$(grep -c ': error ' "$SCRATCH/good")" 0 "the Multitool accepts a real cppcheck log"
	"$SARIF_MULTITOOL" validate "$bad" --rule-kind Sarif >"$SCRATCH/bad" 2>&1
	ok "and finds the error in a log whose runs is null" grep -q ': error JSON1001' "$SCRATCH/bad"
else
	skip "SARIF Multitool or corpus missing"
	skip "SARIF Multitool or corpus missing"
fi
