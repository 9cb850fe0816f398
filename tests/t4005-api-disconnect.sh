#!/bin/bash
# Disconnecting a scanned repository through nginx deletes everything about
# it in one transaction and says how much: the answer and the audit event
# carry the same non-zero counts, and no row about it is left anywhere but
# the audit log.  A live checkout makes it wait (409).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 19

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
api_user "$org" "a@$TAG.test" admin "$pw" >/dev/null
api_user "$org" "m@$TAG.test" member "$pw" >/dev/null
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
mt=$(api_login "m@$TAG.test" "$pw" | jq -r .access_token)
name="acme/gone-$TAG"

token=$(openssl rand -hex 20)
req POST /api/v1/repositories "$at" "{\"provider\":\"github\",\"full_name\":\"$name\",\"clone_url\":\"https://example.invalid/$name.git\",\"clone_token\":\"$token\"}"
repo=$(jq -r .id <<<"$BODY")
is "$STATUS" 201 "an admin connects a repository"
ok "the answer shows a webhook secret once and the webhook path" \
	test "$(jq -r '.webhook_secret | length' <<<"$BODY")" = 64 -a \
	"$(jq -r .webhook_path <<<"$BODY")" = "/hooks/github/$(jq -r .hook_id <<<"$BODY")"
is "$(sql -c "SELECT webhook_secret_enc IS NOT NULL AND clone_token_enc IS NOT NULL
	AND position(convert_to('$(jq -r .webhook_secret <<<"$BODY")', 'UTF8') IN webhook_secret_enc) = 0
	AND position(convert_to('$token', 'UTF8') IN clone_token_enc) = 0 FROM lethe.repositories WHERE id = $repo")" t \
	"the webhook secret and the clone token are stored sealed, not as given"
req POST /api/v1/repositories "$at" "{\"provider\":\"github\",\"full_name\":\"$name-cr\",\"clone_url\":\"https://example.invalid/$name.git\",\"report_mode\":\"check-run\",\"report_token\":\"$token\"}"
is "$STATUS $(jq -r .error <<<"$BODY")" "400 report_mode check-run needs a GitHub App integration: with a report_token, use status or status+comment" \
	"check-run with a stored reporting token is refused: the Checks API takes App tokens only"
is "$(sql -c "SELECT count(*) FROM lethe.repositories WHERE full_name = '$name-cr'")" 0 \
	"and nothing was stored"
scan=$(api_fixture_scan "$org" "$repo")
finding=$(sql -c "SELECT min(finding_id) FROM lethe.scan_findings WHERE scan_id = $scan")
req PUT "/api/v1/findings/$finding/triage" "$at" '{"state":"false_positive","reason":"test code"}'
is "$STATUS" 200 "a finding of it is triaged"
sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, host, name, backend, cipher, deadline)
	VALUES ($org, $repo, 'h', 'co-$TAG', 'fscrypt', 'aes-256-xts', now() + interval '1 hour')"

req DELETE "/api/v1/repositories/$repo" "$mt"
is "$STATUS" 403 "a member cannot disconnect"
req DELETE "/api/v1/repositories/$repo" "$at"
is "$STATUS" 409 "while a checkout of it is live, disconnect waits (409)"
is "$(sql -c "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo")" 2 "and nothing was deleted"
sql -c "UPDATE lethe.checkouts SET destroyed_at = now(), destroy_reason = 'done' WHERE name = 'co-$TAG'"

req DELETE "/api/v1/repositories/$repo" "$at"
deleted=$(jq -c '.deleted' <<<"$BODY")
is "$STATUS" 200 "once the checkout is destroyed, disconnect succeeds"
diag "deleted: $deleted"
is "$(jq '[.scans, .findings, .scan_findings, .scan_tools, .dependencies, .workflow_facts, .jobs,
	.deliveries, .triage, .checkouts, .secrets, .repositories] | map(select(. > 0)) | length' <<<"$deleted")" 12 \
	"the answer counts every kind of record removed, each non-zero"
is "$(jq -c '[.scans, .findings, .scan_findings, .triage, .secrets, .repositories]' <<<"$deleted")" "[1,2,2,1,2,1]" \
	"and the counts are exact"
left=$(sql -c "SELECT (SELECT count(*) FROM lethe.repositories WHERE id = $repo)
	+ (SELECT count(*) FROM lethe.scans WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.scan_tools WHERE scan_id = $scan)
	+ (SELECT count(*) FROM lethe.scan_findings WHERE scan_id = $scan)
	+ (SELECT count(*) FROM lethe.findings WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.triage WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.dependencies WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.workflow_facts WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.jobs WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.deliveries WHERE repository_id = $repo)
	+ (SELECT count(*) FROM lethe.checkouts WHERE repository_id = $repo)")
is "$left" 0 "no row about the repository is left in any table"
pg_dump --data-only --schema=lethe --exclude-table=lethe.audit_events >"$SCRATCH/dump.sql"
ok "a database dump (audit log aside) no longer names it" test "$(grep -c -F "$name" "$SCRATCH/dump.sql")" = 0
event=$(sql -c "SELECT details FROM lethe.audit_events WHERE org_id = $org AND action = 'repository.disconnect'
	AND target = 'repository:$repo'")
is "$(jq -Sc .deleted <<<"$event")" "$(jq -Sc . <<<"$deleted")" "the audit event carries the same counts"
is "$(jq -r .full_name <<<"$event")" "$name" "and names the repository"
req GET /api/v1/audit/verify "$at"
is "$STATUS $(jq -r .ok <<<"$BODY")" "200 true" "the audit chain still verifies"
req DELETE "/api/v1/repositories/$repo" "$at"
is "$STATUS" 404 "disconnecting it again: 404"
req GET "/api/v1/audit?action=repository" "$at"
is "$(jq -r '[.events[].action] | join(" ")' <<<"$BODY")" "repository.disconnect repository.connect" \
	"the org's audit log lists the connect and the disconnect, newest first"
