#!/bin/bash
# Every program that reads lethe.conf starts the same way (config_start):
# a file that does not load is a permanent failure, exit 100, with one line
# naming the file, the line and the key, so that a timer or supervisor
# does not retry what only a person can fix.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
progs=(lethe-hook lethe-api lethe-scan lethe-fix lethe-report lethe-scrub lethe-rotate
       lethe-drain "lethe-llm-proxy --socket $SCRATCH/proxy.sock --fix 1")
plan $((${#progs[@]} * 4))

printf '# a comment\nno_such_key = 1\n' >"$SCRATCH/bad.conf"
for p in "${progs[@]}"; do
	# shellcheck disable=SC2086 # the program and its arguments
	LETHE_CONFIG=$SCRATCH/bad.conf "$TOP"/bin/$p </dev/null >"$SCRATCH/out" 2>&1
	is "$?" 100 "${p%% *}: an unknown key is exit 100"
	ok "${p%% *}: the reason names the file, the line and the key" \
	    grep -qF "$SCRATCH/bad.conf:2: unknown key 'no_such_key'" "$SCRATCH/out"
	# shellcheck disable=SC2086
	LETHE_CONFIG=$SCRATCH/none.conf "$TOP"/bin/$p </dev/null >"$SCRATCH/out" 2>&1
	is "$?" 100 "${p%% *}: a missing file is exit 100"
	ok "${p%% *}: the reason names the file" \
	    grep -qF "unable to read '$SCRATCH/none.conf'" "$SCRATCH/out"
done
