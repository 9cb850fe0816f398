#!/bin/bash
# One signed push of several branches queues a job for each branch tip:
# Bitbucket Cloud's push.changes and Data Center's changes, made from the
# corpus's real pushes; tags and deletions in the same push get none, and
# the same delivery again changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
plan 10
pause_jobs

hook_org
secret=$(random_secret)
a=$(printf 'a%.0s' $(seq 40)) b=$(printf 'b%.0s' $(seq 40)) c=$(printf 'c%.0s' $(seq 40))

# jobs: each job of the repository as branch|commit|state, by branch.
jobs() {
	sql "SELECT string_agg(branch || '|' || commit_sha || '|' || state, ',' ORDER BY branch)
	     FROM lethe.jobs WHERE repository_id = $REPO_ID"
}

# Bitbucket Cloud: the real change, copied as main and feature/x, then a
# tag and a deletion.
hook_repo bitbucket "$secret"
jq -c --arg a "$a" --arg b "$b" --arg c "$c" '.push.changes[0] as $one | .push.changes = [
	($one | .new.name = "main" | .new.target.hash = $a),
	($one | .new.name = "feature/x" | .new.target.hash = $b),
	($one | .new.name = "v1" | .new.type = "tag" | .new.target.hash = $c),
	($one | .new = null)]' \
    "$CORPUS/webhooks/bitbucket-cloud/repo_push-basic.json" >"$SCRATCH/cloud.json"
id=$(new_id)
hook_headers bitbucket repo:push "$id" good "$SCRATCH/cloud.json" "$secret"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/cloud.json")" 202 "bitbucket cloud: a push of two branches: 202"
is "$(jq -r .outcome "$SCRATCH/answer")" queued "bitbucket cloud: outcome queued"
is "$(jobs)" "feature/x|$b|queued,main|$a|queued" "bitbucket cloud: one job per branch, none for the tag"
is "$(sql "SELECT (SELECT branch FROM lethe.jobs WHERE id = d.job_id) || '|' ||
                  (SELECT string_agg(j.branch, ',') FROM lethe.jobs j WHERE j.id = ANY (d.more_job_ids))
           FROM lethe.deliveries d WHERE repository_id = $REPO_ID")" "main|feature/x" \
    "bitbucket cloud: one delivery row naming both jobs"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/cloud.json")" 200 "bitbucket cloud: the same delivery again: 200"
is "$(jobs)" "feature/x|$b|queued,main|$a|queued" "bitbucket cloud: and no other job"

# Data Center: the real deletion, then main and next updated and a tag added.
hook_repo bitbucket-dc "$secret"
jq -c --arg a "$a" --arg b "$b" --arg c "$c" '.changes[0] as $one | .changes = [$one,
	($one | .type = "UPDATE" | .refId = "refs/heads/main" | .ref.id = .refId | .ref.type = "BRANCH" | .toHash = $a),
	($one | .type = "ADD" | .refId = "refs/tags/v1" | .ref.id = .refId | .ref.type = "TAG" | .toHash = $c),
	($one | .type = "ADD" | .refId = "refs/heads/next" | .ref.id = .refId | .ref.type = "BRANCH" | .toHash = $b)]' \
    "$CORPUS/webhooks/bitbucket-dc/repo_refs_changed-branch-delete.json" >"$SCRATCH/dc.json"
hook_headers bitbucket-dc repo:refs_changed "$(new_id)" good "$SCRATCH/dc.json" "$secret"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/dc.json")" 202 "bitbucket dc: a push of two branches: 202"
is "$(jq -r .outcome "$SCRATCH/answer")" queued "bitbucket dc: outcome queued"
is "$(jobs)" "main|$a|queued,next|$b|queued" "bitbucket dc: one job per branch, none for the tag or the deletion"

# One tip already queued (main at a): it absorbs that tip, the new one queues.
jq -c --arg c "$c" '.changes[3].toHash = $c' "$SCRATCH/dc.json" >"$SCRATCH/dc2.json"
hook_headers bitbucket-dc repo:refs_changed "$(new_id)" good "$SCRATCH/dc2.json" "$secret"
hook_post "$HOOK_PATH" "$SCRATCH/dc2.json" >/dev/null
is "$(sql "SELECT string_agg(branch || '|' || deliveries, ',' ORDER BY branch, commit_sha)
           FROM lethe.jobs WHERE repository_id = $REPO_ID")" "main|2,next|1,next|1" \
    "bitbucket dc: a queued job absorbs its tip, the other tip gets a new job"
