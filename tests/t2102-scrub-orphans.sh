#!/bin/bash
# lethe-scrub clears every kind of leftover: an image without a row, a
# mount without a row (killing the process still using it), a row whose job
# is over and whose volume is gone; it leaves a young volume without a row
# alone (a scan between creating it and inserting its row), and a symlink
# planted where a checkout would be never leads it outside.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
# shellcheck source=tests/scrub-lib.sh
. "$(dirname "$0")/scrub-lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (mounts)"
scrub_need_schema
mount -t tmpfs none "$SCRATCH" -o size=1m 2>/dev/null || skip_all "cannot mount here"
umount "$SCRATCH"

plan 21
# The stack's own lethe-scrub would race this one for the row below.
pause_jobs
tag=t2102$$
host=$(hostname)
# Our own directories, so the stack's jobs never see these volumes.
scrub_dirs "scrub_orphan_grace = 5m"
mkdir -p "$state/volumes" "$run/checkouts" "$SCRATCH/outside"
scrub() { LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scrub" "$@"; }

# 1. an image without a row, 10 minutes old
head -c 1048576 /dev/urandom >"$state/volumes/${tag}a.img"
touch -d '10 minutes ago' "$state/volumes/${tag}a.img"
# 2. a mount without a row, a process still inside it, and a symlink in it
mkdir "$run/checkouts/${tag}b"
mount -t tmpfs -o size=1m none "$run/checkouts/${tag}b"
on_exit "mountpoint -q '$run/checkouts/${tag}b' && umount -l '$run/checkouts/${tag}b'"
echo inside >"$SCRATCH/outside/kept-b"
ln -s "$SCRATCH/outside" "$run/checkouts/${tag}b/w"
(cd "$run/checkouts/${tag}b" && exec sleep 600) &
sleeper=$!
on_exit "kill $sleeper 2>/dev/null"
touch -d '10 minutes ago' "$run/checkouts/${tag}b"
# 3. a row whose job failed, with nothing on disk
read -r org repo job < <(sql -F " " <<-SQL
	WITH o AS (INSERT INTO lethe.orgs (name) VALUES ('$tag') RETURNING id),
	r AS (INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	      SELECT id, 'github', '$tag/app', 'https://example.invalid/$tag/app.git',
	             'hook_${tag}_aaaaaaaaaaaaaaaaaaaaaa' FROM o RETURNING id, org_id),
	j AS (INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, finished_at)
	      SELECT org_id, id, 'abcdef1234567', 'failed', now() FROM r RETURNING id)
	SELECT (SELECT id FROM o), (SELECT id FROM r), (SELECT id FROM j);
	SQL
)
on_exit "psql -X -q -c 'DELETE FROM lethe.orgs WHERE id = $org'"
checkout=$(sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, job_id, host, name, backend, cipher, deadline)
	VALUES ($org, $repo, $job, '$host', '${tag}c', 'fscrypt', 'aes-256-xts', now() + interval '1 hour') RETURNING id")
# 3b. a row past its deadline whose job still runs under a live lease
read -r job2 < <(sql -c "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, attempts, lease_owner, lease_expires, started_at)
	VALUES ($org, $repo, 'abcdef7654321', 'running', 1, '$tag:1:x', now() + interval '2 minutes', now() - interval '2 hours') RETURNING id")
late=$(sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, job_id, host, name, backend, cipher, created_at, deadline)
	VALUES ($org, $repo, $job2, '$host', '${tag}g', 'fscrypt', 'aes-256-xts', now() - interval '2 hours', now() - interval '1 second') RETURNING id")
# 4. a young image without a row: a scan that has not inserted its row yet
head -c 65536 /dev/urandom >"$state/volumes/${tag}d.img"
# 5. symlinks planted where a checkout and an image would be
echo secret >"$SCRATCH/outside/kept-e"
head -c 65536 /dev/urandom >"$SCRATCH/outside/target.img"
ln -s "$SCRATCH/outside" "$run/checkouts/${tag}e"
ln -s "$SCRATCH/outside/target.img" "$state/volumes/${tag}f.img"
touch -h -d '10 minutes ago' "$run/checkouts/${tag}e" "$state/volumes/${tag}f.img"

audits() { sql -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'workspace scrub' AND target = '$1'"; }

dry=$(scrub --dry-run 2>"$SCRATCH/dry.err")
is "$?" 0 "--dry-run succeeds"
is "$(echo "$dry" | grep -c -e "${tag}a: no row" -e "${tag}b: no row" -e "${tag}c (id $checkout): job failed")" 3 \
	"--dry-run names the image, the mount and the row, with their reasons"
ok "--dry-run changes nothing" test -f "$state/volumes/${tag}a.img" -a -e "/proc/$sleeper" \
	-a "$(sql -c "SELECT destroyed_at IS NULL FROM lethe.checkouts WHERE id = $checkout")" = t

scrub 2>"$SCRATCH/scrub.err"
rc=$?
[ "$rc" = 0 ] || diag "$(cat "$SCRATCH/scrub.err")"
is "$rc" 0 "lethe-scrub exits 0"
ok "the image without a row is gone" test ! -e "$state/volumes/${tag}a.img"
absent "the mount without a row is unmounted" " $run/checkouts/${tag}b " /proc/self/mountinfo
ok "and its mount point removed" test ! -e "$run/checkouts/${tag}b"
for _ in $(seq 20); do kill -0 "$sleeper" 2>/dev/null || break; sleep 0.1; done
ok "the process inside the checkout was killed" bash -c "! kill -0 $sleeper 2>/dev/null"
is "$(sql -c "SELECT destroyed_at IS NOT NULL, destroy_reason, ended, teardown_usec >= 0 FROM lethe.checkouts WHERE id = $checkout")" \
	"t|job failed|orphaned|t" "the row without a volume is marked destroyed, orphaned, with its reason and duration"
is "$(audits "volume:${tag}a")" 1 "an audit event records the image's removal"
is "$(audits "volume:${tag}b")" 1 "an audit event records the mount's removal"
is "$(audits "checkout:$checkout")" 1 "an audit event records the row's scrub"
is "$(sql -c "SELECT details->>'reason' FROM lethe.audit_events WHERE target = 'checkout:$checkout' AND action = 'workspace scrub'")" \
	"job failed" "the audit event carries the reason"
is "$(sql -c "SELECT destroy_reason || ', ' || ended FROM lethe.checkouts WHERE id = $late")" "deadline passed, deadline" \
	"a checkout past its deadline is scrubbed even though its job holds a live lease"
is "$(sql -c "SELECT state || ' ' || lease_owner FROM lethe.jobs WHERE id = $job2")" "running $tag:1:x" \
	"and its job is left to the scan that holds the lease"
ok "the young volume without a row is left alone" test -f "$state/volumes/${tag}d.img"
ok "the file behind the symlink inside the checkout is untouched" grep -qx inside "$SCRATCH/outside/kept-b"
ok "the directory behind a symlinked checkout is untouched" grep -qx secret "$SCRATCH/outside/kept-e"
is "$(stat -c %s "$SCRATCH/outside/target.img")" 65536 "the file behind a symlinked image is untouched"
ok "the journal names the checkout" grep -q "checkout=$checkout" "$SCRATCH/scrub.err"

scrub 2>/dev/null
is "$(audits "checkout:$checkout")" 1 "a second run finds nothing more to do with it"
