#!/bin/bash
# Deliveries that arrive together are committed together, yet each answer
# is exact: of twenty concurrent deliveries of one commit, one queues the
# job and nineteen are absorbed by it, each answered with its own row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
plan 5
# A job claimed by the stack's jobs loop absorbs nothing: keep it queued.
pause_jobs

hook_org
secret=$(random_secret)
hook_repo github "$secret"
body=$CORPUS/webhooks/github/pull_request-opened.json

# Twenty deliveries of the event, each with bytes of its own as the VCS sends them.
for i in $(seq 1 20); do
	copy=$(hook_variant "$body" "$i")
	hook_headers github pull_request "$(new_id)" good "$copy" "$secret"
	cp "$SCRATCH/headers" "$SCRATCH/headers.$i"
done
for i in $(seq 1 20); do
	curl -s -o "$SCRATCH/answer.$i" -w '%{http_code}\n' -X POST -H @"$SCRATCH/headers.$i" \
	    -H 'Content-Type: application/json' --data-binary @"$SCRATCH/variant.$i.json" \
	    "$LETHE_URL$HOOK_PATH" &
done >"$SCRATCH/codes"
wait
is "$(sort "$SCRATCH/codes" | uniq -c | awk '{print $2 "x" $1}')" "202x20" "twenty concurrent deliveries accepted"
is "$(cat "$SCRATCH"/answer.* | jq -r .outcome | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ' -)" \
    "absorbedx19 queuedx1" "one queued the job, nineteen were absorbed"
job=$(sql "SELECT id FROM lethe.jobs WHERE repository_id = $REPO_ID")
is "$(cat "$SCRATCH"/answer.* | jq -r .job | sort -u)" "$job" "every answer names the one job"
is "$(sql "SELECT count(*) || '|' || min(deliveries) FROM lethe.jobs WHERE repository_id = $REPO_ID")" \
    "1|20" "one job, counting twenty deliveries"
is "$(sql "SELECT count(DISTINCT d.id) FROM lethe.deliveries d WHERE d.repository_id = $REPO_ID
	AND d.job_id = $job AND d.id IN ($(cat "$SCRATCH"/answer.* | jq -r .delivery | paste -sd, -))")" \
    20 "each answer names its own delivery row, linked to the job"
