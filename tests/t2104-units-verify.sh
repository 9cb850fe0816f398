#!/bin/bash
# Every systemd unit in systemd/ passes `systemd-analyze verify` without a
# single warning (unknown keys, unknown system call groups and bad values
# are only warnings there), and every service names the hardening baseline.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip_all "systemd-analyze is not installed"
mapfile -t units < <(cd "$TOP/systemd" && ls -- *.service *.socket *.timer 2>/dev/null)
[ "${#units[@]}" -gt 0 ] || skip_all "no units in systemd/"
services=0
for u in "${units[@]}"; do case $u in *.service) services=$((services + 1)) ;; esac; done
plan $((${#units[@]} + services * 2))

# Executables are installed under /usr/local/sbin; verify against the
# build (or /bin/true for one not built yet) so verify can check them.
for u in "${units[@]}"; do
	exe=$(sed -n 's#^ExecStart=/usr/local/sbin/\([a-z-]*\).*#\1#p' "$TOP/systemd/$u")
	if [ -n "$exe" ] && [ ! -x "$TOP/bin/$exe" ]; then
		diag "$u: bin/$exe is not built, verifying with /bin/true"
		sed "s#^ExecStart=/usr/local/sbin/$exe#ExecStart=/bin/true#" "$TOP/systemd/$u" >"$SCRATCH/$u"
	else
		sed "s#^ExecStart=/usr/local/sbin/#ExecStart=$TOP/bin/#" "$TOP/systemd/$u" >"$SCRATCH/$u"
	fi
done

cd "$SCRATCH" || exit 1
for u in "${units[@]}"; do
	out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$u" 2>&1)
	rc=$?
	[ -z "$out" ] || diag "$out"
	is "$rc:$out" "0:" "$u passes systemd-analyze verify without warnings"
done

for u in "${units[@]}"; do
	case $u in *.service) ;; *) continue ;; esac
	missing=
	for k in NoNewPrivileges=yes CapabilityBoundingSet= RestrictAddressFamilies= \
	    SystemCallFilter=@system-service SystemCallArchitectures=native User=; do
		grep -q "^$k" "$u" || missing="$missing $k"
	done
	is "${missing# }" "" "$u sets the hardening baseline"
	name=${u%.service}
	ok "$name has a row in systemd/POSTURE.md" grep -q "^| $name |" "$TOP/systemd/POSTURE.md"
done
