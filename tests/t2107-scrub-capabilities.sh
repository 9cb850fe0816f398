#!/bin/bash
# lethe-scrub does its whole job with exactly the capabilities its unit
# keeps (CapabilityBoundingSet= of systemd/lethe-scrub.service): a process
# of another user that holds a file open inside a dead scan's checkout is
# found and killed, and the volume goes entirely, loop device included.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-volume.sh
. "$(dirname "$0")/lib-volume.sh"
need_stack
# shellcheck source=tests/scrub-lib.sh
. "$(dirname "$0")/scrub-lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mounts)"
command -v setpriv >/dev/null || skip_all "setpriv is not installed"
scrub_need_schema

plan 5
pause_jobs
tag=t2107x$$
scrub_dirs
mkdir -p "$state" "$run"

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$TOP/systemd/lethe-scrub.service" | tr 'A-Z ' 'a-z\n' |
	sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd,)
[ -n "$caps" ] || skip_all "no CapabilityBoundingSet= in lethe-scrub.service"
diag "capabilities: $caps"

volume_hold "$state" "$run" "$tag" || skip_all "cannot create a volume here"
# Should the scrub fail, leave no volume behind.
on_exit "mountpoint -q '$run/checkouts/$tag' && umount '$run/checkouts/$tag'
	losetup -a | grep -F '$state/volumes/$tag.img' | cut -d: -f1 | xargs -r losetup -d"
w=$run/checkouts/$tag/w
chmod 0755 "$run" "$run/checkouts" "$run/checkouts/$tag" "$w" && chmod 0644 "$w/main.c"
# Another user holds a file open in the checkout; its cwd is elsewhere.
setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "exec 3<'$w/main.c'; cd /; exec sleep 600" &
user=$!
on_exit "kill -KILL $user 2>/dev/null"
sleep 0.3
kill -KILL "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
ok "another user holds a file open in the checkout" test -e "/proc/$user"

scrub_org_repo "$tag"
checkout=$(sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, host, name, backend, cipher, deadline)
	VALUES ($org, $repo, '$(hostname)', '$tag', '$HOLD_BACKEND', '$HOLD_CIPHER', now() + interval '1 hour') RETURNING id")

LETHE_CONFIG=$SCRATCH/lethe.conf setpriv --inh-caps=-all --bounding-set="-all,$caps" \
	"$TOP/bin/lethe-scrub" 2>"$SCRATCH/scrub.err"
rc=$?
[ "$rc" = 0 ] || diag "$(cat "$SCRATCH/scrub.err")"
is "$rc" 0 "lethe-scrub with only those capabilities exits 0"
for _ in $(seq 20); do kill -0 "$user" 2>/dev/null || break; sleep 0.1; done
ok "the other user's process was killed" bash -c "! kill -0 $user 2>/dev/null"
is "$(losetup -j "$state/volumes/$tag.img" -n; losetup -a | grep -F "$state/volumes/$tag.img")" "" \
	"no loop device is left (not even behind a lazy unmount)"
is "$(sql -c "SELECT destroy_reason FROM lethe.checkouts WHERE id = $checkout")" "job gone" \
	"the row is marked destroyed"
