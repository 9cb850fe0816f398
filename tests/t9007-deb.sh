#!/bin/bash
# make deb builds lethe_VERSION-1_ARCH.deb with debhelper, and lintian
# reports no error: programs in /usr/sbin and /usr/libexec/lethe, units,
# sysusers.d and tmpfiles.d files, compressed manual pages, the ISC
# copyright, /etc/lethe's files as conffiles, a -dbgsym package beside it,
# and no /usr/local anywhere.  Built in a copy of the tree.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
for c in dpkg-buildpackage dh lintian; do
	command -v "$c" >/dev/null || skip_all "$c is not installed (scripts/deps installs it)"
done
plan 9

src=$SCRATCH/src
copy_tree "$src"
make -s -C "$src" deb >"$SCRATCH/deb.log" 2>&1
rc=$?
version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
deb=$(ls "$src"/build/deb/lethe_"$version"-1_*.deb 2>/dev/null)
ok "make deb builds lethe_${version}-1_$(dpkg --print-architecture).deb" test "$rc" = 0 -a -f "$deb"
[ "$rc" = 0 ] || tail -n 5 "$SCRATCH/deb.log" >&2
dpkg-deb -c "$deb" 2>/dev/null | awk '{ print $6 }' | sed 's#^\./#/#' >"$SCRATCH/files"
missing=
for f in /usr/sbin/lethectl /usr/sbin/lethe-hook /usr/sbin/lethe-api /usr/sbin/lethe-scan \
    /usr/sbin/lethe-scrub /usr/libexec/lethe/lethe-analyze /lib/systemd/system/lethe-hook.socket \
    /lib/systemd/system/lethe-scan.timer /usr/lib/sysusers.d/lethe.conf \
    /usr/lib/tmpfiles.d/lethe.conf /usr/share/man/man8/lethectl.8.gz /usr/share/doc/lethe/copyright \
    /usr/share/lethe/sql/001_init.sql /etc/nginx/sites-available/lethe; do
	grep -qx "$f" "$SCRATCH/files" || missing="$missing $f"
done
is "$missing" "" "the package holds the programs, units, sysusers.d and tmpfiles.d files, pages and schema"
is "$(dpkg-deb -f "$deb" Depends | tr -d ' ' | tr ',' '\n' | grep -cE '^(bubblewrap|git|flawfinder|cppcheck|shellcheck|bandit)$')" 6 \
	"it depends on bubblewrap, git and the scanners"
is "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" "/etc/lethe/lethe.conf.example
/etc/nginx/sites-available/lethe" "the example configuration and the nginx site are conffiles"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst >"$SCRATCH/postinst" 2>/dev/null
ok "its postinst enables the scan timer, not the advisory import's" \
	eval 'grep -q "lethe-scan.timer" "$SCRATCH/postinst" && ! grep -q "lethe-advisories" "$SCRATCH/postinst"'
ok "the package's copyright names the ISC licence" \
	eval 'dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/lethe/copyright | grep -q "^License: ISC"'
ok "a -dbgsym package holds the debugging symbols" test -f "$(ls "$src"/build/deb/lethe-dbgsym_"$version"-1_*.deb 2>/dev/null)"
ok "no file of the package names /usr/local" \
	eval '! { mkdir -p "$SCRATCH/x" && dpkg-deb -x "$deb" "$SCRATCH/x" && grep -rl /usr/local "$SCRATCH/x"; }'
changes=$(ls "$src"/build/deb/lethe_"$version"-1_*.changes 2>/dev/null)
lintian --no-tag-display-limit "$changes" >"$SCRATCH/lintian" 2>&1
is "$([ -f "$changes" ] || echo "no .changes"; grep '^E:' "$SCRATCH/lintian")" "" "lintian reports no error on the package it built"
