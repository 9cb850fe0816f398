#!/bin/bash
# What the API shows about a repository's data: findings filtered by
# repository, state, level and tool; triage that expires, reopens and
# survives later scans through the fingerprint; dependencies and workflow
# facts; live checkouts with the seconds left; the audit log paginated.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 24

api_scanned_repo gitlab acme/data
err=$(sql -c "SELECT id FROM lethe.findings WHERE repository_id = $repo AND level = 'error'")
ids() { jq -r '[.findings[].id] | sort | map(tostring) | join(" ")' <<<"$BODY"; }

req GET "/api/v1/findings?repository=$repo" "$at"
is "$(jq '.findings | length' <<<"$BODY")" 2 "the repository's findings are listed"
req GET "/api/v1/findings?repository=$repo&level=error" "$at"
is "$(ids)" "$err" "filtered by level"
req GET "/api/v1/findings?repository=$repo&tool=cppcheck" "$at"
is "$(ids)" "" "filtered by tool"
req GET "/api/v1/findings?repository=abc" "$at"
is "$STATUS" 400 "a repository filter that is not an id is a 400"
req GET "/api/v1/findings?tool=$(head -c 300 /dev/zero | tr '\0' a)" "$at"
is "$STATUS" 400 "an overlong filter value is a 400, not ignored"
req GET "/api/v1/findings?state=%zz" "$at"
is "$STATUS" 400 "a badly encoded filter value is a 400"

req PUT "/api/v1/findings/$err/triage" "$at" '{"state":"suppressed","reason":"x","expires_at":"2001-01-01T00:00:00Z"}'
is "$STATUS" 400 "a triage expiring in the past is refused"
req PUT "/api/v1/findings/$err/triage" "$at" '{"state":"suppressed","reason":"x","expires_at":"not-a-date"}'
ok "a bad expiry is a 400 whose reason names the fields, not the SQL error" \
	test "$STATUS" = 400 -a "$(grep -ci -e syntax -e timestamp -e sql <<<"$BODY")" = 0
req PUT "/api/v1/findings/$err/triage" "$at" '{"state":"ignored","reason":"x"}'
is "$STATUS" 400 "an unknown triage state is refused"
req PUT "/api/v1/findings/$err/triage" "$at" '{"state":"false_positive","reason":"test fixture only"}'
is "$STATUS $(jq -r .state <<<"$BODY")" "200 false_positive" "a finding is marked a false positive with a reason"
req GET "/api/v1/findings?repository=$repo&state=false_positive" "$at"
is "$(ids)" "$err" "the state filter finds it"
req GET "/api/v1/findings?repository=$repo&state=open" "$at"
is "$(jq '.findings | length' <<<"$BODY")" 1 "and it left the open ones"

# A later scan sees the same finding again, and the same code on another branch.
sql -c "WITH s AS (INSERT INTO lethe.scans (org_id, repository_id, commit_sha, branch, state)
	VALUES ($org, $repo, 'bbbbbbb1234567', 'main', 'complete') RETURNING id)
	INSERT INTO lethe.scan_findings (scan_id, finding_id, org_id) SELECT id, $err, $org FROM s" >/dev/null
sql -c "INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id, level, path, message)
	SELECT org_id, repository_id, 'dev', fingerprint, tool, rule_id, level, path, message
	FROM lethe.findings WHERE id = $err" >/dev/null
req GET "/api/v1/findings?repository=$repo&state=false_positive" "$at"
is "$(jq -r '[.findings[].branch] | sort | join(" ")' <<<"$BODY")" "dev main" \
	"triage follows the fingerprint: later scans and other branches keep it"
sql -c "UPDATE lethe.triage SET expires_at = now() - interval '1 second' WHERE repository_id = $repo"
req GET "/api/v1/findings/$err" "$at"
is "$(jq -r .state <<<"$BODY")" open "an expired triage no longer hides the finding"
req PUT "/api/v1/findings/$err/triage" "$at" '{"state":"suppressed","reason":"again"}'
req DELETE "/api/v1/findings/$err/triage" "$at"
is "$STATUS $(jq -r '.state + " " + (.triage | tostring)' <<<"$BODY")" "200 open null" "reopening removes the triage"
req DELETE "/api/v1/findings/$err/triage" "$at"
is "$STATUS" 404 "reopening an open finding is a 404"

req GET "/api/v1/repositories/$repo/dependencies" "$at"
is "$(jq -r '.dependencies | length' <<<"$BODY")" 0 "facts come from the latest finished scan (which recorded none)"
sql -c "DELETE FROM lethe.scans WHERE repository_id = $repo AND id <> $scan" >/dev/null
req GET "/api/v1/repositories/$repo/dependencies" "$at"
is "$(jq -r '.scan as $s | .dependencies[0] | "\($s) \(.ecosystem) \(.name) \(.version) \(.direct)"' <<<"$BODY")" \
	"$scan pypi requests 2.31.0 true" "dependencies of the repository's latest scan"
req GET "/api/v1/repositories/$repo/workflows" "$at"
is "$(jq -r '.facts[0] | "\(.system) \(.kind) \(.value) \(.pinning)"' <<<"$BODY")" \
	"github-actions action actions/checkout@v4 tag" "workflow facts of the latest scan"

sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, host, name, backend, cipher, created_at, deadline)
	VALUES ($org, $repo, 'h1', 'co-$TAG', 'fscrypt', 'AES-256-XTS', now() - interval '10 minutes', now() + interval '50 minutes')"
req GET /api/v1/checkouts "$at"
c=$(jq -c ".checkouts[] | select(.repository == $repo)" <<<"$BODY")
is "$(jq -r '"\(.backend) \(.cipher) \(.full_name)"' <<<"$c")" "fscrypt AES-256-XTS acme/data" "a live checkout is listed with backend and cipher"
ok "with its age and the seconds left before automatic deletion" \
	test "$(jq .age_seconds <<<"$c")" -ge 600 -a "$(jq .seconds_left <<<"$c")" -gt 2900 -a "$(jq .seconds_left <<<"$c")" -le 3000
sql -c "UPDATE lethe.checkouts SET destroyed_at = now() WHERE name = 'co-$TAG'"
req GET /api/v1/checkouts "$at"
is "$(jq "[.checkouts[] | select(.repository == $repo)] | length" <<<"$BODY")" 0 "a destroyed checkout is no longer listed"

req GET "/api/v1/audit?limit=2" "$at"
first=$(jq -r '[.events[].id] | join(" ")' <<<"$BODY")
next=$(jq -r .next_before <<<"$BODY")
req GET "/api/v1/audit?limit=2&before=$next" "$at"
ok "the audit log pages backwards without overlap" \
	test "$(wc -w <<<"$first")" = 2 -a -n "$(jq -r '.events[0].id' <<<"$BODY")" -a "$(jq -r '.events[0].id' <<<"$BODY")" -lt "$next"
req GET "/api/v1/audit?action=finding.triage" "$at"
is "$(jq -r '[.events[].action] | unique | join(" ")' <<<"$BODY")" finding.triage "and filters by action"
