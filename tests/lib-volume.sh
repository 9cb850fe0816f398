# shellcheck shell=bash
# tests/lib-volume.sh: sourced after tests/lib.sh by tests that need a
# checkout volume whose creator died.
#
#   volume_hold STATE_DIR RUN_DIR NAME   start build/tests/helpers/volume-hold in the
#       background: sets HOLD_PID, HOLD_BACKEND and HOLD_CIPHER; returns 1
#       (after a diag) when the volume could not be made.

volume_hold() { # STATE_DIR RUN_DIR NAME
	local out=$SCRATCH/volume-hold.$3
	[ -x "$TOP/build/tests/helpers/volume-hold" ] || { diag "build/tests/helpers/volume-hold not built"; return 1; }
	setsid "$TOP/build/tests/helpers/volume-hold" "$1" "$2" "$3" >"$out" 2>&1 &
	HOLD_PID=$!
	on_exit "kill -KILL $HOLD_PID 2>/dev/null"
	for _ in $(seq 60); do [ -s "$out" ] && break; sleep 0.25; done
	# shellcheck disable=SC2034 # read by the caller
	read -r HOLD_BACKEND HOLD_CIPHER <"$out"
	[ -n "$HOLD_CIPHER" ] || { diag "$(cat "$out")"; return 1; }
}
