# shellcheck shell=bash
# tests/analyze-lib.sh: the start of the tests that run bin/lethe-analyze
# straight on a workspace of their own, without the stack (t5005-t5007).
# It sources tests/lib.sh, then skips the whole test unless bin/lethe-analyze
# and jq are here.
#
#   . "$(dirname "$0")/analyze-lib.sh"
#   plan 9
#   check 'EXPR' DESC          passes when the shell expression EXPR is true
#   analyze_fixture NAME TOOL DESC  lethe-analyze --tool TOOL on a copy of
#                              tests/fixtures/NAME ($SCRATCH/ws): SARIF in $OUT,
#                              stderr in $SCRATCH/err, exit status in rc; one
#                              check, DESC: it ran to completion
#
# Variables: those of tests/lib.sh, and AN (bin/lethe-analyze).

# shellcheck source=tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# No service user needs to enter: keep the workspace (and any secret these
# tests generate into it) to ourselves.
chmod 0700 "$SCRATCH"
AN=$TOP/bin/lethe-analyze

check() { ok "$2" eval "$1"; }

{ [ -x "$AN" ] && command -v jq >/dev/null; } || skip_all "bin/lethe-analyze or jq missing"

# shellcheck disable=SC2034,SC2016 # the test reads rc; check evaluates EXPR
analyze_fixture() { # NAME TOOL DESC
	cp -r "$TOP/tests/fixtures/$1" "$SCRATCH/ws"
	OUT=$SCRATCH/out.sarif
	"$AN" --workspace "$SCRATCH/ws" --tool "$2" >"$OUT" 2>"$SCRATCH/err"
	rc=$?
	check '[ $rc -eq 0 ] && jq -e ".runs[0].invocations[0].executionSuccessful" "$OUT" >/dev/null' "$3"
}
