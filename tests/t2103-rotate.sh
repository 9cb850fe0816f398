#!/bin/bash
# lethe-rotate prunes deliveries, installation events no longer queued,
# finished jobs, expired refresh tokens and expired ephemeral API keys past their retention, in batches, and keeps
# everything else; it never touches the audit log, whose chain it verifies
# (and finds broken when an event is altered); it rotates a log file over
# its size limit into compressed archives without losing a line that a
# writer appends meanwhile, and asks nginx (here a stand-in) to reopen.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
# shellcheck source=tests/scrub-lib.sh
. "$(dirname "$0")/scrub-lib.sh"
scrub_need_schema

plan 23
pause_jobs
tag=t2103$$
host=$(hostname)

read -r org repo user < <(sql -F " " <<-SQL
	WITH o AS (INSERT INTO lethe.orgs (name) VALUES ('$tag') RETURNING id),
	r AS (INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	      SELECT id, 'github', '$tag/app', 'https://example.invalid/$tag/app.git',
	             'hook_${tag}_aaaaaaaaaaaaaaaaaaaaaa' FROM o RETURNING id, org_id),
	u AS (INSERT INTO lethe.users (org_id, email, password_hash, role)
	      SELECT id, '$tag@example.invalid', 'x', 'member' FROM o RETURNING id)
	SELECT (SELECT id FROM o), (SELECT id FROM r), (SELECT id FROM u);
	SQL
)
on_exit "psql -X -q -c 'DELETE FROM lethe.orgs WHERE id = $org'"
sql >/dev/null <<-SQL
	INSERT INTO lethe.deliveries (org_id, repository_id, provider, delivery_id, event, outcome, received_at)
	SELECT $org, $repo, 'github', 'old-' || i, 'push', 'queued', now() - interval '40 days'
	FROM generate_series(1, 2500) i;
	INSERT INTO lethe.deliveries (org_id, repository_id, provider, delivery_id, event, outcome)
	SELECT $org, $repo, 'github', 'new-' || i, 'push', 'queued' FROM generate_series(1, 3) i;
	INSERT INTO lethe.installation_events (org_id, delivery_id, event, action, state, received_at)
	SELECT $org, 'old-' || s, 'installation', 'deleted', s, now() - interval '40 days'
	FROM unnest(ARRAY['applied', 'ignored', 'failed', 'queued']) s;
	INSERT INTO lethe.installation_events (org_id, delivery_id, event, action, state)
	VALUES ($org, 'new-applied', 'installation', 'deleted', 'applied');
	INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, finished_at, last_error)
	SELECT $org, $repo, 'abcdef1234567', 'done', now() - interval '40 days', 'old'
	FROM generate_series(1, 1200);
	INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, finished_at, last_error)
	SELECT $org, $repo, 'abcdef1234567', 'failed', now() - interval '1 day', 'recent'
	FROM generate_series(1, 2);
	INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, created_at, last_error)
	VALUES ($org, $repo, 'abcdef1234567', 'queued', now() - interval '40 days', 'queued');
	WITH j AS (INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, finished_at, last_error)
	           VALUES ($org, $repo, 'abcdef1234567', 'done', now() - interval '40 days', 'live') RETURNING id)
	INSERT INTO lethe.checkouts (org_id, repository_id, job_id, host, name, backend, cipher, deadline)
	SELECT $org, $repo, id, '$host-elsewhere', '${tag}live', 'fscrypt', 'x', now() + interval '1 hour' FROM j;
	INSERT INTO lethe.refresh_tokens (org_id, user_id, family, token_hash, created_at, expires_at)
	SELECT $org, $user, 1, sha256(('$tag-r' || i)::bytea), now() - interval '31 days',
	       now() - interval '1 day' * i FROM generate_series(1, 3) i;
	INSERT INTO lethe.refresh_tokens (org_id, user_id, family, token_hash, expires_at)
	VALUES ($org, $user, 2, sha256('$tag-live'::bytea), now() + interval '1 day');
	INSERT INTO lethe.api_keys (org_id, name, prefix, key_hash, role, ephemeral, created_at, expires_at)
	SELECT $org, 'eph-old-' || i, 'x', sha256(('$tag-k' || i)::bytea), 'member', true,
	       now() - interval '4 days', now() - interval '2 days' FROM generate_series(1, 2) i;
	INSERT INTO lethe.api_keys (org_id, name, prefix, key_hash, role, ephemeral, expires_at)
	VALUES ($org, 'eph-live', 'x', sha256('$tag-kl'::bytea), 'member', true, now() + interval '1 day'),
	       ($org, 'lasting', 'x', sha256('$tag-kp'::bytea), 'member', false, now() - interval '1 day');
	SELECT lethe.audit_append($org, 'system', 't2103', 'test event', 'repository:$repo', ('{"n": ' || i || '}')::jsonb)
	FROM generate_series(1, 5) i;
	SQL
audit_before=$(sql -c "SELECT count(*) || ' ' || max(id) FROM lethe.audit_events")

# A log file over the limit, a writer appending numbered lines the way
# lib/base/log.c does (open, append, close), and a stand-in for nginx's master.
mkdir "$SCRATCH/log"
log=$SCRATCH/log/lethe.log
for i in $(seq 1 400); do echo "line $i"; done >"$log"
(i=400; while [ ! -e "$SCRATCH/stop" ]; do i=$((i + 1)); echo "line $i" >>"$log"; done; echo "$i" >"$SCRATCH/written") &
writer=$!
on_exit "touch '$SCRATCH/stop'; kill $writer 2>/dev/null"
bash -c "trap 'touch $SCRATCH/usr1' USR1; while :; do sleep 0.1; done" &
nginx=$!
on_exit "kill $nginx 2>/dev/null"
echo "$nginx" >"$SCRATCH/nginx.pid"
sleep 0.3

grep -v '^\(log_file\|log_max_size\|log_keep\|nginx_pid_file\) *=' "$LETHE_CONFIG" >"$SCRATCH/lethe.conf"
cat >>"$SCRATCH/lethe.conf" <<-CONF
log_file = $log
log_max_size = 4096
log_keep = 3
nginx_pid_file = $SCRATCH/nginx.pid
CONF
rotate() { LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-rotate"; }

rotate 2>"$SCRATCH/rotate.err"
rc=$?
sleep 0.3
touch "$SCRATCH/stop"
wait "$writer"
[ "$rc" = 0 ] || diag "$(cat "$SCRATCH/rotate.err")"
is "$rc" 0 "lethe-rotate exits 0"

count() { sql -c "SELECT count(*) FROM lethe.$1 WHERE org_id = $org AND $2"; }
is "$(count deliveries "delivery_id LIKE 'old-%'")" 0 "2500 deliveries past retention are pruned (in batches)"
is "$(count deliveries "delivery_id LIKE 'new-%'")" 3 "recent deliveries stay"
is "$(count installation_events "true")" 2 \
	"installation events applied, ignored or failed past retention are pruned"
is "$(sql -c "SELECT string_agg(delivery_id, ' ' ORDER BY delivery_id) FROM lethe.installation_events
	WHERE org_id = $org")" "new-applied old-queued" "a recent one and one still queued stay"
is "$(count jobs "last_error = 'old'")" 0 "1200 finished jobs past retention are pruned"
is "$(count jobs "last_error = 'recent'")" 2 "recently finished jobs stay"
is "$(count jobs "last_error = 'queued'")" 1 "an old queued job stays"
is "$(count jobs "last_error = 'live'")" 1 "an old job with a live checkout stays"
is "$(count refresh_tokens "expires_at < now()")" 0 "expired refresh tokens are pruned"
is "$(count refresh_tokens "expires_at > now()")" 1 "a valid refresh token stays"
is "$(count api_keys "ephemeral AND expires_at < now()")" 0 "expired ephemeral API keys are pruned"
is "$(count api_keys "name IN ('eph-live', 'lasting')")" 2 "a valid ephemeral key and a lasting key stay"
is "$(sql -c "SELECT count(*) || ' ' || max(id) FROM lethe.audit_events")" "$audit_before" \
	"every audit event is still there"
last=$(sql -c "SELECT id || ' hash ' || encode(hash, 'hex') FROM lethe.audit_events ORDER BY id DESC LIMIT 1")
ok "the journal carries the audit checkpoint: last id and hash" grep -q "verified, last id $last\$" "$SCRATCH/rotate.err"

if "$TOP/bin/lethectl" --help 2>&1 | grep -q "audit verify"; then
	ok "lethectl audit verify agrees that the chain holds" "$TOP/bin/lethectl" audit verify
else
	skip "lethectl has no audit verify yet"
fi

ok "the log file was rotated into a compressed archive" gzip -t "$log.1.gz"
is "$(zcat "$log.1.gz" | head -n 1)" "line 1" "the archive holds the file as it was before the rotation"
written=$(cat "$SCRATCH/written")
got=$( { cat "$log"; for f in "$log".*.gz; do zcat "$f"; done; } | sed -n 's/^line //p' | sort -n | uniq)
is "$(echo "$got" | wc -l):$(echo "$got" | head -1):$(echo "$got" | tail -1)" "$written:1:$written" \
	"every one of the $written lines written meanwhile is in the log or an archive"
ok "nginx was asked to reopen its logs (SIGUSR1)" test -e "$SCRATCH/usr1"

# Alter one event behind the triggers' back: verification must catch it.
victim=$(sql -c "SELECT max(id) FROM lethe.audit_events WHERE actor = 't2103'")
original=$(sql -c "SELECT details::text FROM lethe.audit_events WHERE id = $victim")
cat >"$SCRATCH/restore.sql" <<-SQL
	ALTER TABLE lethe.audit_events DISABLE TRIGGER audit_no_update;
	UPDATE lethe.audit_events SET details = \$j\$$original\$j\$::jsonb WHERE id = $victim;
	ALTER TABLE lethe.audit_events ENABLE TRIGGER audit_no_update;
	SQL
restore="psql -X -q -v ON_ERROR_STOP=1 -f '$SCRATCH/restore.sql'"
on_exit "$restore"
sql -c "ALTER TABLE lethe.audit_events DISABLE TRIGGER audit_no_update" \
	-c "UPDATE lethe.audit_events SET details = '{\"n\": 99}' WHERE id = $victim" \
	-c "ALTER TABLE lethe.audit_events ENABLE TRIGGER audit_no_update"
rotate 2>"$SCRATCH/tampered.err"
is "$?" 100 "with an altered event, lethe-rotate exits 100"
ok "and raises an alert naming the event" grep -q "audit chain broken at event $victim" "$SCRATCH/tampered.err"
eval "$restore"
rotate 2>/dev/null
is "$?" 0 "restored, the chain verifies again"
