# shellcheck shell=bash
# tests/lib-volume.sh: sourced after tests/lib.sh by tests that need a
# checkout volume whose creator died.
#
#   volume_hold STATE_DIR RUN_DIR NAME   start tests/volume-hold in the
#       background: sets HOLD_PID, HOLD_BACKEND and HOLD_CIPHER; returns 1
#       (after a diag) when the volume could not be made.

_volume_hold_build() {
	local san=
	[ -x "$SCRATCH/volume-hold" ] && return 0
	# A sanitizer build (make SANITIZE=1) needs its runtime linked in.
	nm "$TOP/build/liblethe.a" 2>/dev/null | grep -q __asan_ && san=-fsanitize=address,undefined
	# shellcheck disable=SC2046,SC2086 # pkg-config prints several words; san may be empty
	cc $san -D_GNU_SOURCE -I"$TOP/lib" -o "$SCRATCH/volume-hold" "$TOP/tests/volume-hold.c" \
		"$TOP/build/liblethe.a" $(pkg-config --libs libcryptsetup openssl libsystemd)
}

volume_hold() { # STATE_DIR RUN_DIR NAME
	local out=$SCRATCH/volume-hold.$3
	_volume_hold_build || return 1
	setsid "$SCRATCH/volume-hold" "$1" "$2" "$3" >"$out" 2>&1 &
	HOLD_PID=$!
	on_exit "kill -KILL $HOLD_PID 2>/dev/null"
	for _ in $(seq 60); do [ -s "$out" ] && break; sleep 0.25; done
	# shellcheck disable=SC2034 # read by the caller
	read -r HOLD_BACKEND HOLD_CIPHER <"$out"
	[ -n "$HOLD_CIPHER" ] || { diag "$(cat "$out")"; return 1; }
}
