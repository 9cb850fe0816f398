#!/bin/bash
# The suite's own conventions: every test file has a number of its own, so
# that a failure named by its number is one file.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
plan 2
cd "$TOP/tests" || exit 1
ls t[0-9][0-9][0-9][0-9]-*.sh >"$SCRATCH/files"
ok "the suite has test files" test -s "$SCRATCH/files"
is "$(cut -c1-5 "$SCRATCH/files" | sort | uniq -d | paste -sd' ' -)" "" "no two test files share a number"
