#!/bin/bash
# make install PREFIX=/usr DESTDIR=...: every installed file (programs,
# units, manual pages, nginx site, dashboard, example configuration) names the
# install's paths and none /usr/local; every unit's program is installed;
# the sysusers.d file makes every user and group a unit names, the
# tmpfiles.d file every directory they write, with its owner and mode;
# build flags given to make are kept.  Built in a copy of the tree.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null ||
	skip_all "systemd-sysusers or systemd-tmpfiles is not installed"
plan 13

src=$SCRATCH/src root=$SCRATCH/root
copy_tree "$src"
make -s -C "$src" -j2 install DESTDIR="$root" PREFIX=/usr >"$SCRATCH/install.log" 2>&1
rc=$?
ok "make install DESTDIR PREFIX=/usr succeeds" test "$rc" = 0
tail -n 5 "$SCRATCH/install.log" >&2
is "$(grep -rl /usr/local "$root" | sed "s#^$root##")" "" "no installed file names /usr/local"
missing=
for u in "$root"/lib/systemd/system/lethe-*.service; do
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
	case $exe in /usr/sbin/lethe*) [ -x "$root$exe" ] || missing="$missing $exe" ;;
	*) missing="$missing $(basename "$u"):$exe" ;; esac
done
is "$missing" "" "every installed service runs a program installed under /usr/sbin"
ok "lethe-analyze is in /usr/libexec/lethe, and the programs look for it there" \
	eval '[ -x "$root/usr/libexec/lethe/lethe-analyze" ] &&
	grep -aq /usr/libexec/lethe/lethe-analyze "$root/usr/sbin/lethe-scan"'
ok "the nginx site is installed, not enabled, and serves from /usr/share/lethe" \
	eval '[ -f "$root/etc/nginx/sites-available/lethe" ] && [ ! -e "$root/etc/nginx/sites-enabled" ] &&
	grep -q "/usr/share/lethe" "$root/etc/nginx/sites-available/lethe"'
is "$(cd "$root/usr/share/lethe/web" 2>/dev/null && find . -type f | sort) $(sed -n 's/^\t*root \(.*\);/\1/p' \
	"$root/etc/nginx/sites-available/lethe")" "$(cd "$TOP/web" && find . -type f | sort) /usr/share/lethe/web" \
	"every file of web/ is installed where the nginx site serves the dashboard from"
is "$(stat -c %a "$root/etc/lethe") $(stat -c %a "$root/etc/lethe/lethe.conf.example")" "750 640" \
	"/etc/lethe is 0750 and the example configuration 0640"

systemd-sysusers --root="$root" >/dev/null 2>&1
names=$(sed -n 's/^\(User\|Group\)=//p' "$root"/lib/systemd/system/*.service | sort -u | grep -vx root)
nousers=
for n in $names lethe-sandbox; do
	grep -q "^$n:" "$root/etc/passwd" "$root/etc/group" || nousers="$nousers $n"
done
is "$nousers" "" "sysusers.d makes every user and group the units name ($(echo $names)), and lethe-sandbox"
gid=$(awk -F: '$1 == "lethe" { print $3 }' "$root/etc/group")
is "$(awk -F: -v g="$gid" '$4 == g { print $1 }' "$root/etc/passwd" | sort | tr '\n' ' ')" \
	"lethe lethe-hook lethe-jobs lethe-report " \
	"lethe, lethe-hook, lethe-jobs and lethe-report are in group lethe, the sandbox is not"
systemd-tmpfiles --root="$root" --create >/dev/null 2>&1
uid() { awk -F: -v u="$1" '$1 == u { print $3 }' "$root/etc/passwd"; }
is "$(stat -c '%a %u %g' "$root/var/spool/lethe") $(stat -c %a "$root/var/lib/lethe") $(stat -c '%a %u' "$root/var/log/lethe")" \
	"770 $(uid lethe-hook) $gid 750 770 $(uid lethe)" \
	"tmpfiles.d makes the spool (lethe-hook:lethe 0770), the state (root:lethe 0750) and the log (lethe 0770) directories"
is "$(stat -c '%a %u' "$root/var/lib/lethe/audit-anchors")" "640 $(uid lethe)" \
	"and the audit anchors file lethe-rotate appends to (lethe 0640)"

out=$(make -n -B -C "$src" CFLAGS='-O1 -g' CPPFLAGS=-DLETHE_FLAG_TEST LDFLAGS=-Wl,-O1 bin/lethectl 2>&1)
ok "CFLAGS and CPPFLAGS given to make are kept, Lethe's added" \
	eval 'grep -q -- "-DLETHE_FLAG_TEST.*-O1 -g -std=gnu11" <<<"$out"'
ok "LDFLAGS given to make are kept, Lethe's added" eval 'grep -q -- "-Wl,-O1 -pie" <<<"$out"'
