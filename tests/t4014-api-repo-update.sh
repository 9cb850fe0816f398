#!/bin/bash
# PATCH /api/v1/repositories/{id} through nginx: an admin changes a
# repository's API URL, report mode, default branch and tokens; the tokens
# are sealed under the org key and never answered or audited; the change is
# audited as repository.update.  A bad value is a 400 with a one-line reason
# and changes nothing; another org's repository is a 404; a member is 403.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 17

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
other=$(api_org "${TAG}b")
api_user "$org" "a@$TAG.test" admin "$pw" >/dev/null
api_user "$org" "m@$TAG.test" member "$pw" >/dev/null
api_user "$other" "b@$TAG.test" admin "$pw" >/dev/null
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
mt=$(api_login "m@$TAG.test" "$pw" | jq -r .access_token)
bt=$(api_login "b@$TAG.test" "$pw" | jq -r .access_token)
req POST /api/v1/repositories "$at" "{\"provider\":\"github\",\"full_name\":\"acme/patch-$TAG\",\"clone_url\":\"https://example.invalid/p.git\"}"
repo=$(jq -r .id <<<"$BODY")
row() { sql -c "SELECT coalesce(api_url, '-') || ' ' || report_mode || ' ' || default_branch
	|| ' ' || (report_token_enc IS NOT NULL) || ' ' || (clone_token_enc IS NOT NULL)
	FROM lethe.repositories WHERE id = $1"; }
is "$(row "$repo")" "- status main false false" "a new repository: no API URL, status, main, no tokens"

report=$(openssl rand -hex 20)
clone=$(openssl rand -hex 20)
req PATCH "/api/v1/repositories/$repo" "$at" "{\"api_url\":\"https://ghe.example.invalid/api/v3\",\"report_mode\":\"status+comment\",\"default_branch\":\"trunk\",\"report_token\":\"$report\",\"clone_token\":\"$clone\"}"
is "$STATUS $(row "$repo")" "200 https://ghe.example.invalid/api/v3 status+comment trunk true true" \
	"an admin's PATCH changes the API URL, mode, default branch and both tokens"
ok "the answer names what changed and holds no token" \
	eval 'jq -e ".id == $repo and .report_token == true and .clone_token == true and .default_branch == \"trunk\"" <<<"$BODY" >/dev/null &&
	! grep -qF -e "$report" -e "$clone" <<<"$BODY"'
is "$(sql -c "SELECT position(convert_to('$report', 'UTF8') IN report_token_enc) = 0
	AND position(convert_to('$clone', 'UTF8') IN clone_token_enc) = 0 FROM lethe.repositories WHERE id = $repo")" t \
	"the tokens are stored sealed, not as sent"
ev=$(sql -c "SELECT actor_type || ' ' || details::text FROM lethe.audit_events WHERE org_id = $org
	AND action = 'repository.update' AND target = 'repository:$repo' ORDER BY id DESC LIMIT 1")
ok "the change is audited as repository.update, naming the fields, never a token ($ev)" \
	eval 'grep -q "\"report_token\": true" <<<"$ev" && grep -q "status+comment" <<<"$ev" &&
	! grep -qF -e "$report" -e "$clone" <<<"$ev"'
req PATCH "/api/v1/repositories/$repo" "$at" '{"api_url":""}'
is "$STATUS $(row "$repo")" "200 - status+comment trunk true true" "an empty api_url removes it"

before=$(row "$repo")
events=$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'repository.update'")
# refused BODY WANT_ERROR DESC: a 400 naming the problem, nothing changed
refused() {
	req PATCH "/api/v1/repositories/$repo" "$at" "$1"
	is "$STATUS $(jq -r .error <<<"$BODY") | $(row "$repo")" "400 $2 | $before" "$3"
}
refused '{"report_mode":"loud"}' "report mode 'loud' or default branch refused: modes are none, status, check-run, comment, check-run+comment, status+comment" \
	"an unknown report mode is a 400 saying which modes there are"
refused '{"report_mode":"check-run"}' "report mode check-run needs a GitHub App integration: with a stored reporting token, use status or status+comment" \
	"check-run without a GitHub App integration is a 400"
refused '{"api_url":"ftp://ghe.example.invalid"}' "API URL refused: 'ftp://ghe.example.invalid' is not an http(s) URL with a host (and no user information)" \
	"an API URL that is not http(s) is a 400"
refused '{"default_branch":"x","colour":"red"}' "unknown field 'colour'" "an unknown field is a 400"
refused '{"report_mode":7}' "report_mode must be a string" "a value that is no string is a 400"
refused '{"clone_token":""}' "clone_token must be a non-empty string" "an empty token is a 400"
refused '{}' "one of api_url, report_mode, default_branch, report_token, clone_token required" \
	"an empty object is a 400"
is "$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'repository.update'")" "$events" \
	"no refusal was audited"

req PATCH "/api/v1/repositories/$repo" "$bt" '{"default_branch":"theirs"}'
is "$STATUS $(row "$repo")" "404 $before" "another org's admin gets a 404 and changes nothing"
req PATCH "/api/v1/repositories/$repo" "$mt" '{"default_branch":"mine"}'
is "$STATUS $(row "$repo")" "403 $before" "a member gets a 403 and changes nothing"
req PATCH "/api/v1/repositories/$repo" "$bt" '{"colour":"red"}'
is "$STATUS" 404 "another org's repository is a 404 whatever the body"
