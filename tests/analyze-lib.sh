# shellcheck shell=bash
# tests/analyze-lib.sh: the start of the tests that run bin/lethe-analyze
# straight on a workspace of their own, without the stack (t5005-t5007).
# It sources tests/lib.sh, then skips the whole test unless bin/lethe-analyze
# and jq are here.
#
#   . "$(dirname "$0")/analyze-lib.sh"
#   plan 9
#   check 'EXPR' DESC          passes when the shell expression EXPR is true
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
