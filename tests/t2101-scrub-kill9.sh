#!/bin/bash
# A scan killed with SIGKILL while its checkout is mounted leaves a volume,
# a loop device, a key and maybe a scanner still inside behind; lethe-scrub,
# once the job's lease has expired, kills the scanner and destroys all of
# it, records why and how long it took in the checkout row and the audit
# log, and puts the job back in the queue.
#
# Until lethe-scan is built, the scan's part is played by tests/volume-hold,
# built here against lib/volume: it creates the volume as lethe-scan does,
# the test inserts the job's lease and the checkout row, and it is killed
# the same way.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-volume.sh
. "$(dirname "$0")/lib-volume.sh"
need_stack
# shellcheck source=tests/scrub-lib.sh
. "$(dirname "$0")/scrub-lib.sh"
# shellcheck source=tests/scan-lib.sh
. "$(dirname "$0")/scan-lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mounts)"
[ -x "$TOP/bin/lethectl" ] || skip_all "lethectl is not built"

plan 15
pause_jobs
tag=t2101$$

# A repository on the stack's git server, registered with a clone token.
mkdir "$SCRATCH/src"
printf 'int main(void) { return 0; }\n' >"$SCRATCH/src/main.c"
url=$(git_repo_create "$tag" "$SCRATCH/src") || skip_all "cannot create a test repository"
on_exit "rm -rf '$LETHE_GIT_ROOT/$tag.git'"
sha=$(git_token ls-remote "$url" refs/heads/main | cut -f1)
(umask 077; printf '%s' "$LETHE_GIT_TOKEN" >"$SCRATCH/token")
"$TOP/bin/lethectl" org create "$tag" >/dev/null
"$TOP/bin/lethectl" repo add --org "$tag" --provider gitea --name "$tag/app" --clone-url "$url" \
	--token-file "$SCRATCH/token" >/dev/null
read -r org repo < <(sql -F " " -c "SELECT org_id, id FROM lethe.repositories WHERE full_name = '$tag/app'")
on_exit "psql -X -q -c 'DELETE FROM lethe.orgs WHERE id = $org'"
# Due before any other queued job, so that the scan claims this one.
job=$(sql -c "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch, not_before)
	VALUES ($org, $repo, '$sha', 'refs/heads/main', 'main', now() - interval '10 years') RETURNING id")

# The scan waits in its sandbox before the analysis (scan_hold); short lease
# and checkout lifetime so that the scrub is due within seconds.
grep -v '^\(scan_lease\|checkout_max_age\) *=' "$LETHE_CONFIG" >"$SCRATCH/lethe.conf"
cat >>"$SCRATCH/lethe.conf" <<-CONF
scan_lease = 5s
checkout_max_age = 60
CONF
conf_get() { sed -n "s/^$1 *= *//p" "$SCRATCH/lethe.conf" | tail -n 1; }
state_dir=$(conf_get state_dir)
run_dir=$(conf_get run_dir)
# Start a real scan, held in its sandbox, and wait for its checkout.
scan_real() {
	sed -i "s|^analyze_path = .*|analyze_path = $(scan_hold)|" "$SCRATCH/lethe.conf"
	LETHE_CONFIG=$SCRATCH/lethe.conf setsid "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.log" 2>&1 &
	scan=$!
	on_exit "kill -KILL $scan 2>/dev/null"
	for _ in $(seq 120); do
		name=$(sql -c "SELECT name FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")
		[ -n "$name" ] && mountpoint -q "$run_dir/checkouts/$name" &&
			[ -n "$(ls -A "$run_dir/checkouts/$name/w" 2>/dev/null)" ] && scan_held && return 0
		sleep 0.5
	done
	diag "$(cat "$SCRATCH/scan.log")"
}

# The same through lib/volume directly (tests/volume-hold.c), with the
# job's lease and the row written as lethe-scan writes them.
scan_standin() {
	name=c$job
	sql -c "UPDATE lethe.jobs SET state = 'running', attempts = 1, lease_owner = '$(hostname):$$:t2101',
		lease_expires = now() + interval '5 seconds', started_at = now() WHERE id = $job"
	volume_hold "$state_dir" "$run_dir" "$name" || return 1
	scan=$HOLD_PID
	sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, job_id, host, name, path, backend, cipher, deadline)
		VALUES ($org, $repo, $job, '$(hostname)', '$name', '$run_dir/checkouts/$name', '$HOLD_BACKEND', '$HOLD_CIPHER',
		        now() + interval '60 seconds')"
}

name=
if [ -x "$TOP/bin/lethe-scan" ]; then
	scan_real
else
	diag "lethe-scan is not built: lib/volume stands in for it"
	scan_standin
fi
mountpoint -q "$run_dir/checkouts/$name" || diag "$(cat "$SCRATCH/scan.log")"
# Should the scrub fail, leave no volume behind.
on_exit "mountpoint -q '$run_dir/checkouts/$name' && umount -l '$run_dir/checkouts/$name'"
ok "the scan mounted its checkout and cloned into it" mountpoint -q "$run_dir/checkouts/$name"
checkout=$(sql -c "SELECT id FROM lethe.checkouts WHERE job_id = $job AND name = '$name'")
image=$state_dir/volumes/$name.img
loops=$(losetup -j "$image" -O NAME -n 2>/dev/null)
# The fscrypt key's identifier, from the directory's v2 policy.
keyid=$(python3 - "$run_dir/checkouts/$name/w" <<-'PY' 2>/dev/null
	import fcntl, os, struct, sys
	fd = os.open(sys.argv[1], os.O_RDONLY)
	buf = bytearray(struct.pack('Q', 24) + bytes(24))
	fcntl.ioctl(fd, 0xC0096616, buf)  # FS_IOC_GET_ENCRYPTION_POLICY_EX
	print(bytes(buf[16:32]).hex() if buf[8] == 2 else '')
	PY
)
backend=$(sql -c "SELECT backend FROM lethe.checkouts WHERE id = $checkout")
if [ "$backend" = fscrypt ]; then
	ok "its fscrypt key is in the kernel" grep -q "${keyid:-no key identifier}" /proc/keys
else
	ok "its mapping exists" test -e "/dev/mapper/lethe-$name"
fi

scan_kill "$scan"
ok "with its scan killed, the checkout is still mounted" mountpoint -q "$run_dir/checkouts/$name"
# A scanner that outlived its scan, still working in the checkout.
(cd "$run_dir/checkouts/$name/w" && exec sleep 600) &
scanner=$!
on_exit "kill $scanner 2>/dev/null"
sleep 6	# the 5 s lease expires

LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scrub" 2>"$SCRATCH/scrub.err"
rc=$?
[ "$rc" = 0 ] || diag "$(cat "$SCRATCH/scrub.err")"
is "$rc" 0 "lethe-scrub exits 0"
for _ in $(seq 20); do kill -0 "$scanner" 2>/dev/null || break; sleep 0.1; done
ok "the scanner still inside was killed" bash -c "! kill -0 $scanner 2>/dev/null"
absent "no mount is left" " $run_dir/checkouts/$name " /proc/self/mountinfo
ok "nor the mount point" test ! -e "$run_dir/checkouts/$name"
is "$(losetup -j "$image" -n 2>/dev/null; for l in $loops; do losetup "$l" 2>/dev/null | grep -F "$image"; done)" "" \
	"no loop device is left"
ok "no mapping is left" test ! -e "/dev/mapper/lethe-$name"
ok "the image file is gone" test ! -e "$image"
if [ "$backend" = fscrypt ] && [ -n "$keyid" ]; then
	absent "the key is gone from the kernel" "$keyid" /proc/keys
else
	skip "no fscrypt key identifier to look for"
fi
is "$(sql -c "SELECT destroyed_at IS NOT NULL, destroy_reason, ended, teardown_usec > 0 FROM lethe.checkouts WHERE id = $checkout")" \
	"t|lease expired|orphaned|t" "the row is marked destroyed, orphaned, with the reason and the teardown's duration"
is "$(sql -c "SELECT details->>'reason' FROM lethe.audit_events WHERE action = 'workspace scrub' AND target = 'checkout:$checkout'")" \
	"lease expired" "an audit event records the scrub and its reason"
is "$(sql -c "SELECT state || ': ' || last_error FROM lethe.jobs WHERE id = $job")" \
	"queued: checkout scrubbed: lease expired" "the job is back in the queue with the reason"
ok "lethectl checkouts no longer lists it" \
	bash -c "! '$TOP/bin/lethectl' checkouts | cut -f1 | grep -qx '$checkout'"
diag "teardown took $(sql -c "SELECT teardown_usec FROM lethe.checkouts WHERE id = $checkout") us"
