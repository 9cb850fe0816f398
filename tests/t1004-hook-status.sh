#!/bin/bash
# Refusals through nginx: the status, a one-line JSON reason, nothing
# written: 404 unknown hook, 405 wrong method, 413 too large, 415 wrong
# content type, 400 bad payload after a valid signature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
plan 22

hook_org
secret=$(random_secret)
hook_repo github "$secret"
body=$CORPUS/webhooks/github/push-new-branch.json
hook_headers github push "$(new_id)" good "$body" "$secret"

# check STATUS REASON DESC CURL-ARGS...: status and JSON reason of one request.
check() {
	local want=$1 reason=$2 desc=$3 st
	shift 3
	st=$(curl -s -o "$SCRATCH/answer" -w '%{http_code}' --max-time 30 "$@")
	is "$st" "$want" "$desc: $want"
	is "$(jq -r .error "$SCRATCH/answer" 2>/dev/null)" "$reason" "$desc: reason '$reason'"
}
post=(-X POST -H @"$SCRATCH/headers" -H 'Content-Type: application/json')

check 404 "unknown hook" "unknown hook id" "${post[@]}" --data-binary @"$body" \
    "$LETHE_URL/hooks/github/$(openssl rand -hex 16)"
check 404 "unknown hook" "unknown provider" "${post[@]}" --data-binary @"$body" \
    "$LETHE_URL/hooks/svn/${HOOK_PATH##*/}"
check 404 "unknown hook" "hook of another provider" "${post[@]}" --data-binary @"$body" \
    "$LETHE_URL/hooks/gitlab/${HOOK_PATH##*/}"
check 405 "method not allowed" "GET" "$LETHE_URL$HOOK_PATH"
check 405 "method not allowed" "PUT" -X PUT --data-binary @"$body" "$LETHE_URL$HOOK_PATH"
check 415 "content type must be application/json or form-encoded" "text/plain" \
    -X POST -H @"$SCRATCH/headers" -H 'Content-Type: text/plain' --data-binary @"$body" "$LETHE_URL$HOOK_PATH"

# Over hook_max_body (25M): lethe-hook refuses before reading; far over it nginx does.
head -c $((25 * 1024 * 1024 + 1)) /dev/zero >"$SCRATCH/big"
check 413 "payload too large" "25M + 1 byte" "${post[@]}" --data-binary @"$SCRATCH/big" "$LETHE_URL$HOOK_PATH"
head -c $((27 * 1024 * 1024)) /dev/zero >"$SCRATCH/big"
check 413 "payload too large" "27M" "${post[@]}" --data-binary @"$SCRATCH/big" "$LETHE_URL$HOOK_PATH"
rm -f "$SCRATCH/big"

# 400: signed, but not JSON / no delivery id / no event.
printf '{"ref": ' >"$SCRATCH/bad.json"
hook_headers github push "$(new_id)" good "$SCRATCH/bad.json" "$secret"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/bad.json")" 400 "signed truncated JSON: 400"
hook_headers github push "$(new_id)" good "$body" "$secret"
sed -i '/^X-GitHub-Delivery/d' "$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 400 "signed delivery without a delivery id: 400"
is "$(jq -r .error "$SCRATCH/answer")" "missing or invalid delivery id" "reason names the delivery id"
hook_headers github push "$(new_id)" good "$body" "$secret"
sed -i '/^X-GitHub-Event/d' "$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 400 "signed delivery without an event: 400"
jq -c 'del(.after)' "$body" >"$SCRATCH/noafter.json"
hook_headers github push "$(new_id)" good "$SCRATCH/noafter.json" "$secret"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/noafter.json")" 400 "signed branch push without its commit: 400"

is "$(sql "SELECT count(*) FROM lethe.deliveries WHERE repository_id = $REPO_ID")" 0 "nothing written"
