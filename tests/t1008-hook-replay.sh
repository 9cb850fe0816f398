#!/bin/bash
# A captured delivery replayed under a new delivery id changes nothing: the
# ids of GitHub (X-GitHub-Delivery) and of GitLab's token mode
# (Idempotency-Key) are not signed, so lethe-hook also recognises the signed
# bytes (a keyed digest, within GitHub's 3-day redelivery window), and for
# Standard Webhooks deduplicates on the signed webhook-id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
plan 11
# A queued job would absorb the replays instead: keep the stack's loop away.
pause_jobs

hook_org
secret=$(random_secret)
hook_repo github "$secret"
body=$CORPUS/webhooks/github/pull_request-opened.json
hook_headers github pull_request "$(new_id)" good "$body" "$secret"
is "$(hook_post "$HOOK_PATH" "$body")" 202 "a signed pull_request delivery queues a scan"
hook_headers github pull_request "$(new_id)" good "$body" "$secret"
is "$(hook_post "$HOOK_PATH" "$body")" 200 "the same signed bytes under a new delivery id: 200"
is "$(jq -r .status "$SCRATCH/answer")" duplicate "answered as a duplicate"
is "$(sql "SELECT count(*) || '|' || (SELECT count(*) || '|' || sum(deliveries) FROM lethe.jobs
	WHERE repository_id = $REPO_ID) FROM lethe.deliveries WHERE repository_id = $REPO_ID")" \
    "1|1|1" "one delivery, one job counting one delivery: the replay queued nothing"
digest=$(sql "SELECT encode(signed_digest, 'hex') FROM lethe.deliveries WHERE repository_id = $REPO_ID")
ok "the delivery keeps a digest of what was signed" test "${#digest}" = 64
ok "keyed: not the plain SHA-256 of the body" test "$digest" != "$(sha256sum <"$body" | cut -c1-64)"

# The same event of the same commit sent again by the VCS has other bytes.
jq '.action = "synchronize"' "$body" >"$SCRATCH/sync.json"
hook_headers github pull_request "$(new_id)" good "$SCRATCH/sync.json" "$secret"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/sync.json")" 202 "a new delivery of the same commit is accepted"

# Past the 3-day window the digest no longer counts.
sql "UPDATE lethe.deliveries SET received_at = now() - interval '4 days'
	WHERE repository_id = $REPO_ID" >/dev/null
hook_headers github pull_request "$(new_id)" good "$body" "$secret"
is "$(hook_post "$HOOK_PATH" "$body")" 202 "the same bytes four days later are a new delivery"

# Standard Webhooks: the signed webhook-id is the delivery id, whatever
# Idempotency-Key says.
token=whsec_$(openssl rand -base64 32)
hook_repo gitlab "$token"
body=$CORPUS/webhooks/gitlab/merge_request-basic.json
now=$(date +%s)
sig=$(sw_sign "$token" msg-1 "$now" "$body")
printf 'X-Gitlab-Event: Merge Request Hook\nIdempotency-Key: key-1\nwebhook-id: msg-1\nwebhook-timestamp: %s\nwebhook-signature: %s\n' \
    "$now" "$sig" >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 202 "a Standard Webhooks delivery is accepted"
printf 'X-Gitlab-Event: Merge Request Hook\nIdempotency-Key: key-2\nwebhook-id: msg-1\nwebhook-timestamp: %s\nwebhook-signature: %s\n' \
    "$now" "$sig" >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 200 "replayed with a new Idempotency-Key: a duplicate"
is "$(sql "SELECT string_agg(delivery_id, ',') FROM lethe.deliveries WHERE repository_id = $REPO_ID")" \
    msg-1 "recorded once, under its signed webhook-id"
