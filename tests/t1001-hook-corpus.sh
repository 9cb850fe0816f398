#!/bin/bash
# Every payload of the webhooks corpus, delivered through nginx to
# lethe-hook with a correct signature, gives the documented status and the
# right delivery and job rows; with a wrong, missing, empty or truncated
# signature it gives 401 and writes nothing.  Plus GitHub's documented
# vector, form-encoded GitHub and Gitea hooks, Forgejo's headers and
# GitLab's Standard Webhooks signing token.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
W=$CORPUS/webhooks
[ -d "$W" ] || skip_all "no webhooks corpus at '$W'"

# file | event header | outcome | jq path of the commit | jq path of the PR number
# (the field map of HEADERS.md; outcome: queued = a scan job, recorded =
# kept for later work, ignored = kept and not acted on)
TABLE='
github/check_suite-requested.json|check_suite|ignored|-|-
github/delete-basic.json|delete|ignored|-|-
github/installation-created.json|installation|recorded|-|-
github/installation-deleted.json|installation|recorded|-|-
github/installation_repositories-added.json|installation_repositories|recorded|-|-
github/ping-basic.json|ping|recorded|-|-
github/ping-with-app_id.json|ping|recorded|-|-
github/ping-with-organization.json|ping|recorded|-|-
github/pull_request-closed.json|pull_request|ignored|.pull_request.head.sha|.number
github/pull_request-opened-atlantis.json|pull_request|queued|.pull_request.head.sha|.number
github/pull_request-opened-null-body.json|pull_request|queued|.pull_request.head.sha|.number
github/pull_request-opened.json|pull_request|queued|.pull_request.head.sha|.number
github/pull_request-reopened.json|pull_request|queued|.pull_request.head.sha|.number
github/pull_request-synchronize.json|pull_request|queued|.pull_request.head.sha|.number
github/push-basic.json|push|ignored|.after|-
github/push-new-branch.json|push|queued|.after|-
github/push-no-username-committer.json|push|queued|.after|-
github/push-with-installation.json|push|ignored|.after|-
gitlab/merge_request-basic.json|Merge Request Hook|queued|.object_attributes.last_commit.id|.object_attributes.iid
gitlab/merge_request-group.json|Merge Request Hook|ignored|.object_attributes.last_commit.id|.object_attributes.iid
gitlab/merge_request-open-atlantis.json|Merge Request Hook|queued|.object_attributes.last_commit.id|.object_attributes.iid
gitlab/merge_request-service.json|Merge Request Hook|queued|.object_attributes.last_commit.id|.object_attributes.iid
gitlab/merge_request-subgroup-atlantis.json|Merge Request Hook|queued|.object_attributes.last_commit.id|.object_attributes.iid
gitlab/merge_request-update-new-commit-atlantis.json|Merge Request Hook|queued|.object_attributes.last_commit.id|.object_attributes.iid
gitlab/note-merge_request.json|Note Hook|ignored|-|-
gitlab/pipeline-basic.json|Pipeline Hook|ignored|-|-
gitlab/push-basic.json|Push Hook|queued|.after|-
gitlab/tag_push-basic.json|Tag Push Hook|ignored|-|-
bitbucket-cloud/pullrequest_created-atlantis.json|pullrequest:created|queued|.pullrequest.source.commit.hash|.pullrequest.id
bitbucket-cloud/pullrequest_created-basic.json|pullrequest:created|queued|.pullrequest.source.commit.hash|.pullrequest.id
bitbucket-cloud/pullrequest_fulfilled-atlantis.json|pullrequest:fulfilled|ignored|.pullrequest.source.commit.hash|.pullrequest.id
bitbucket-cloud/pullrequest_fulfilled-basic.json|pullrequest:fulfilled|ignored|.pullrequest.source.commit.hash|.pullrequest.id
bitbucket-cloud/pullrequest_updated-atlantis.json|pullrequest:updated|queued|.pullrequest.source.commit.hash|.pullrequest.id
bitbucket-cloud/repo_push-basic.json|repo:push|queued|.push.changes[0].new.target.hash|-
bitbucket-dc/pr_merged-atlantis.json|pr:merged|ignored|.pullRequest.fromRef.latestCommit|.pullRequest.id
bitbucket-dc/pr_merged-basic.json|pr:merged|ignored|.pullRequest.fromRef.latestCommit|.pullRequest.id
bitbucket-dc/pr_modified-basic.json|pr:modified|ignored|.pullRequest.fromRef.latestCommit|.pullRequest.id
bitbucket-dc/pr_opened-atlantis.json|pr:opened|queued|.pullRequest.fromRef.latestCommit|.pullRequest.id
bitbucket-dc/pr_opened-basic.json|pr:opened|queued|.pullRequest.fromRef.latestCommit|.pullRequest.id
bitbucket-dc/repo_refs_changed-branch-delete.json|repo:refs_changed|ignored|-|-
gitea/create-basic.json|create|ignored|-|-
gitea/pull_request-basic.json|pull_request|queued|.pull_request.head.sha|.number
gitea/push-basic.json|push|queued|.after|-
'

provider_of() {
	case $1 in
	bitbucket-cloud/*) echo bitbucket ;;
	*) echo "${1%%/*}" ;;
	esac
}

jq_or_empty() { # PATH FILE
	[ "$1" = - ] && return 0
	jq -r "$1 // empty" "$2"
}

# A job claimed by the stack's jobs loop absorbs nothing: keep jobs queued.
pause_jobs
hook_org || { echo "1..1"; echo "not ok 1 - create an org"; exit 1; }

# One repository per payload, so that no delivery absorbs another's job.
while IFS='|' read -r file event outcome shapath prpath; do
	[ -n "$file" ] || continue
	p=$(provider_of "$file")
	secret=$(random_secret)
	if ! hook_repo "$p" "$secret"; then
		_tap_result 1 "$file: create a $p repository"
		continue
	fi
	for mode in wrong missing empty truncated; do
		hook_headers "$p" "$event" "$(new_id)" "$mode" "$W/$file" "$secret"
		is "$(hook_post "$HOOK_PATH" "$W/$file")" 401 "$file: $mode signature refused with 401"
	done
	is "$(sql "SELECT count(*) FROM lethe.deliveries WHERE repository_id = $REPO_ID")" 0 \
	    "$file: refused deliveries wrote nothing"
	id=$(new_id)
	hook_headers "$p" "$event" "$id" good "$W/$file" "$secret"
	is "$(hook_post "$HOOK_PATH" "$W/$file")" 202 "$file: signed delivery accepted with 202"
	sha=$(jq_or_empty "$shapath" "$W/$file")
	pr=$(jq_or_empty "$prpath" "$W/$file")
	row=$(sql "SELECT provider, event, outcome, coalesce(commit_sha, ''), coalesce(pr_number::text, ''),
	              job_id IS NOT NULL, spooled
	           FROM lethe.deliveries WHERE repository_id = $REPO_ID AND delivery_id = '$id'")
	want_job=f
	[ "$outcome" = queued ] && want_job=t
	is "$row" "$p|$event|$outcome|$sha|$pr|$want_job|f" "$file: delivery row"
	jobs=$(sql "SELECT state || '|' || commit_sha || '|' || coalesce(pr_number::text, '') || '|' || deliveries
	            FROM lethe.jobs WHERE repository_id = $REPO_ID")
	if [ "$outcome" = queued ]; then
		is "$jobs" "queued|$sha|$pr|1" "$file: one queued scan job for the commit"
	else
		is "$jobs" "" "$file: no job"
	fi
done <<<"$TABLE"

# GitHub's documented vector: the signature verifies, so the body (not
# JSON) is recorded as unparsable and answered 202; another body is 401.
printf 'Hello, World!' >"$SCRATCH/hello"
hook_repo github "It's a Secret to Everybody"
printf 'X-GitHub-Event: push\nX-GitHub-Delivery: %s\nX-Hub-Signature-256: %s\n' "$(new_id)" \
    sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17 >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/hello")" 202 "github documented vector verifies (then 202: not JSON)"
is "$(jq -r .outcome "$SCRATCH/answer")" "unparsable" "202 says unparsable"
printf 'Hello, World?' >"$SCRATCH/hello2"
is "$(hook_post "$HOOK_PATH" "$SCRATCH/hello2")" 401 "documented signature over another body: 401"
is "$(jq -r .error "$SCRATCH/answer")" "bad signature" "401 names the reason"
is "$(sql "SELECT string_agg(outcome || '|' || (job_id IS NULL), ',') FROM lethe.deliveries
           WHERE repository_id = $REPO_ID")" "unparsable|true" "documented vector: one unparsable delivery, no job"

# Form-encoded hooks: GitHub signs the form as sent, Gitea the JSON inside.
form=$SCRATCH/form
{ printf 'payload='; jq -sRr @uri "$W/github/push-new-branch.json"; } | tr -d '\n' >"$form"
secret=$(random_secret)
hook_repo github "$secret"
hook_headers github push "$(new_id)" good "$form" "$secret"
is "$(hook_post "$HOOK_PATH" "$form" application/x-www-form-urlencoded)" 202 \
    "github form-encoded delivery signed over the form: 202"
is "$(sql "SELECT outcome FROM lethe.deliveries WHERE repository_id = $REPO_ID")" queued \
    "github form-encoded delivery queued a scan"
hook_headers gitea push "$(new_id)" good "$W/gitea/push-basic.json" "$secret"
{ printf 'payload='; jq -sRr @uri "$W/gitea/push-basic.json"; } | tr -d '\n' >"$form"
hook_repo gitea "$secret"
sed -i 's/^X-Gitea-Delivery: .*/X-Gitea-Delivery: form-1/' "$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$form" application/x-www-form-urlencoded)" 202 \
    "gitea form-encoded delivery signed over the JSON inside: 202"
hook_headers gitea push form-2 good "$form" "$secret"
is "$(hook_post "$HOOK_PATH" "$form" application/x-www-form-urlencoded)" 401 \
    "gitea form-encoded delivery signed over the form itself: 401"

# Forgejo: its own headers come first.  Another delivery of the push the
# form carried: the same signed bytes again would be a replay.
fj=$(hook_variant "$W/gitea/push-basic.json" fj-1)
mac=$(sign_hmac_sha256 "$secret" "$fj")
printf 'X-Forgejo-Event: push\nX-Forgejo-Delivery: fj-1\nX-Forgejo-Signature: %s\nX-Gitea-Event: push\nX-Gitea-Delivery: fj-1\nX-Gitea-Signature: %s\n' \
    "$mac" "$mac" >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$fj")" 202 "forgejo delivery accepted"
# The form delivery above queued a scan of the same commit: it absorbs this one.
is "$(sql "SELECT provider || '|' || outcome FROM lethe.deliveries WHERE repository_id = $REPO_ID AND delivery_id = 'fj-1'")" \
    "gitea|absorbed" "forgejo delivery absorbed by the queued scan of its commit"
is "$(sql "SELECT count(*) || '|' || sum(deliveries) FROM lethe.jobs WHERE repository_id = $REPO_ID")" \
    "1|2" "one job for both deliveries"

# GitLab 19 signing token (Standard Webhooks), at the current time.
token=whsec_$(openssl rand -base64 32)
hook_repo gitlab "$token"
body=$W/gitlab/push-basic.json
now=$(date +%s)
printf 'X-Gitlab-Event: Push Hook\nwebhook-id: sw-1\nwebhook-timestamp: %s\nwebhook-signature: %s\n' \
    "$now" "$(sw_sign "$token" sw-1 "$now" "$body")" >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 202 "gitlab signing token: signed delivery accepted"
old=$((now - 3600))
printf 'X-Gitlab-Event: Push Hook\nwebhook-id: sw-2\nwebhook-timestamp: %s\nwebhook-signature: %s\n' \
    "$old" "$(sw_sign "$token" sw-2 "$old" "$body")" >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 401 "gitlab signing token: an hour-old timestamp refused"
printf 'X-Gitlab-Event: Push Hook\nIdempotency-Key: sw-3\nX-Gitlab-Token: %s\n' "$token" >"$SCRATCH/headers"
is "$(hook_post "$HOOK_PATH" "$body")" 401 "gitlab signing token: the bare token is no signature"
is "$(sql "SELECT string_agg(delivery_id, ',') FROM lethe.deliveries WHERE repository_id = $REPO_ID")" \
    sw-1 "gitlab signing token: only the signed delivery recorded"

plan "$_tap_n"
[ "$_tap_failed" = 0 ]
