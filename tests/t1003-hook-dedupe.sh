#!/bin/bash
# The same delivery sent twice at once is recorded once with one job (the
# other answer says duplicate); a redelivery later is a duplicate too; a new
# delivery of the same commit is absorbed by the queued job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
plan 8
# The stack's jobs loop would claim the queued job, and a claimed job
# absorbs nothing: keep it queued for this test.
pause_jobs

hook_org
secret=$(random_secret)
hook_repo github "$secret"
body=$CORPUS/webhooks/github/pull_request-opened.json
id=$(new_id)
hook_headers github pull_request "$id" good "$body" "$secret"

# Several rounds of two simultaneous posts of one delivery.
post_twice() { # DIR
	curl --no-progress-meter -s -o "$1.a" -w '%{http_code}\n' -X POST -H @"$SCRATCH/headers" \
	    -H 'Content-Type: application/json' --data-binary @"$body" "$LETHE_URL$HOOK_PATH" \
	    --next -s -o "$1.b" -w '%{http_code}\n' -X POST -H @"$SCRATCH/headers" \
	    -H 'Content-Type: application/json' --data-binary @"$body" "$LETHE_URL$HOOK_PATH" \
	    --parallel --parallel-immediate
}
st=$(post_twice "$SCRATCH/r1" | sort | paste -sd' ' -)
is "$st" "200 202" "two simultaneous posts: one accepted, one duplicate"
is "$(cat "$SCRATCH/r1.a" "$SCRATCH/r1.b" | jq -r '.status // "recorded"' | sort | paste -sd' ' -)" \
    "duplicate recorded" "the duplicate answer says so"
is "$(sql "SELECT count(*) FROM lethe.deliveries WHERE repository_id = $REPO_ID")" 1 "one delivery row"
is "$(sql "SELECT count(*) || '|' || min(deliveries) FROM lethe.jobs WHERE repository_id = $REPO_ID")" \
    "1|1" "one job, counting one delivery"

# Sixteen concurrent copies of another delivery of the same commit (its
# own bytes: the same bytes under a new id would be a replay).
id2=$(new_id)
body2=$(hook_variant "$body" 2)
hook_headers github pull_request "$id2" good "$body2" "$secret"
for i in $(seq 1 16); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -H @"$SCRATCH/headers" \
	    -H 'Content-Type: application/json' --data-binary @"$body2" "$LETHE_URL$HOOK_PATH" &
done >"$SCRATCH/many"
wait
is "$(sort "$SCRATCH/many" | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ' -)" "200x15 202x1" \
    "sixteen concurrent copies: one accepted, fifteen duplicates"
is "$(sql "SELECT outcome FROM lethe.deliveries WHERE repository_id = $REPO_ID AND delivery_id = '$id2'")" \
    absorbed "a new delivery of the queued commit is absorbed"
is "$(sql "SELECT count(*) || '|' || min(deliveries) FROM lethe.jobs WHERE repository_id = $REPO_ID")" \
    "1|2" "still one job, now counting two deliveries"

# GitHub redelivers with the same id, even days later.
hook_headers github pull_request "$id" good "$body" "$secret"
is "$(hook_post "$HOOK_PATH" "$body")" 200 "a later redelivery is a duplicate"
