#!/bin/bash
# Refusals through nginx: the status, a one-line JSON reason, nothing
# written: 404 unknown hook, 405 wrong method, 413 too large, 415 wrong
# content type; a bad payload after a valid signature is recorded, 202.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
plan 32

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

# Signed, but not JSON / no delivery id / no event / no commit: recorded
# with its outcome and answered 202, never 4xx (GitLab disables a hook it
# is refused with 4xx); no job.
# signed_bad BODY OUTCOME DESC: the answer and its outcome.
signed_bad() {
	is "$(hook_post "$HOOK_PATH" "$1")" 202 "$3: 202"
	is "$(jq -r .outcome "$SCRATCH/answer")" "$2" "$3: outcome '$2'"
}
printf '{"ref": ' >"$SCRATCH/bad.json"
id=$(new_id)
hook_headers github push "$id" good "$SCRATCH/bad.json" "$secret"
signed_bad "$SCRATCH/bad.json" unparsable "signed truncated JSON"
is "$(sql "SELECT event || '|' || outcome FROM lethe.deliveries WHERE delivery_id = '$id'")" \
    "push|unparsable" "truncated JSON: its delivery row says unparsable"
jq -c '.after = "1111111111111111111111111111111111111111"' "$body" >"$SCRATCH/noid.json"
hook_headers github push "$(new_id)" good "$SCRATCH/noid.json" "$secret"
sed -i '/^X-GitHub-Delivery/d' "$SCRATCH/headers"
signed_bad "$SCRATCH/noid.json" incomplete "signed delivery without a delivery id"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/noid.json")" 200 "the same again: 200 (a duplicate, by its digest)"
is "$(sql "SELECT count(*) FROM lethe.deliveries WHERE repository_id = $REPO_ID
           AND delivery_id ~ '^digest-[0-9a-f]{64}$' AND outcome = 'incomplete'")" 1 \
    "without a delivery id: recorded once under its digest"
hook_headers github push "$(new_id)" good "$body" "$secret"
sed -i '/^X-GitHub-Event/d' "$SCRATCH/headers"
signed_bad "$body" incomplete "signed delivery without an event"
jq -c 'del(.after)' "$body" >"$SCRATCH/noafter.json"
hook_headers github push "$(new_id)" good "$SCRATCH/noafter.json" "$secret"
signed_bad "$SCRATCH/noafter.json" incomplete "signed branch push without its commit"

is "$(sql "SELECT string_agg(outcome, ',' ORDER BY id) FROM lethe.deliveries WHERE repository_id = $REPO_ID")" \
    "unparsable,incomplete,incomplete,incomplete" "only the signed deliveries written, each with its outcome"
is "$(sql "SELECT count(*) FROM lethe.jobs WHERE repository_id = $REPO_ID")" 0 "no job"

# The same for every provider: GitLab, whose hooks a 4xx disables.
hook_repo gitlab "$secret"
hook_headers gitlab "Push Hook" "$(new_id)" good "$SCRATCH/bad.json" "$secret"
signed_bad "$SCRATCH/bad.json" unparsable "gitlab: token verified, truncated JSON"
hook_headers gitlab "Push Hook" "$(new_id)" wrong "$SCRATCH/bad.json" "$secret"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/bad.json")" 401 "gitlab: wrong token, truncated JSON: 401"
