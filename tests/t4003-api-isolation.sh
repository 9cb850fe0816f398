#!/bin/bash
# Tenant isolation through nginx: org A's owner (by access token and by API
# key) reaches none of org B's objects: every route with an id answers 404
# for B's ids, lists and filters show nothing of B, and B's rows are left
# exactly as they were.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
mapfile -t idroutes < <("$TOP/bin/lethe-api" --routes | grep -F '{id}')
plan $((${#idroutes[@]} * 2 + 11))

pw=$(openssl rand -hex 12)
org_a=$(api_org "${TAG}a")
org_b=$(api_org "${TAG}b")
api_user "$org_a" "o@${TAG}a.test" owner "$pw" >/dev/null
user_b=$(api_user "$org_b" "o@${TAG}b.test" owner "$pw")
at=$(api_login "o@${TAG}a.test" "$pw" | jq -r .access_token)
req POST /api/v1/api-keys "$at" '{"name":"iso","role":"owner"}'
key=$(jq -r .key <<<"$BODY")
bt=$(api_login "o@${TAG}b.test" "$pw" | jq -r .access_token)

repo_b=$(sql -c "INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	VALUES ($org_b, 'github', 'b/app', 'https://example.invalid/b.git', 'iso${TAG}bbbbbbbbbbbbbbbbbbbb') RETURNING id")
scan_b=$(api_fixture_scan "$org_b" "$repo_b")
finding_b=$(sql -c "SELECT min(finding_id) FROM lethe.scan_findings WHERE scan_id = $scan_b")
req POST /api/v1/api-keys "$bt" '{"name":"b","role":"member"}'
key_b=$(jq -r .id <<<"$BODY")
snapshot() {
	sql -c "SELECT (SELECT count(*) FROM lethe.repositories WHERE org_id = $org_b),
		(SELECT count(*) FROM lethe.findings WHERE org_id = $org_b),
		(SELECT count(*) FROM lethe.scans WHERE org_id = $org_b),
		(SELECT count(*) FROM lethe.triage WHERE org_id = $org_b),
		(SELECT role || coalesce(disabled_at::text, '') FROM lethe.users WHERE id = $user_b),
		(SELECT count(*) FROM lethe.api_keys WHERE org_id = $org_b AND revoked_at IS NULL),
		(SELECT count(*) FROM lethe.users WHERE org_id = $org_b)"
}
before=$(snapshot)

for cred in "$at" "$key"; do
	what=$([ "$cred" = "$at" ] && echo "A's access token" || echo "A's API key")
	for r in "${idroutes[@]}"; do
		read -r m path _ <<<"$r"
		case $path in
		/api/v1/repositories/*) id=$repo_b ;;
		/api/v1/scans/*) id=$scan_b ;;
		/api/v1/findings/*) id=$finding_b ;;
		/api/v1/users/*) id=$user_b ;;
		/api/v1/api-keys/*) id=$key_b ;;
		esac
		case $m in
		PUT) req "$m" "${path//\{id\}/$id}" "$cred" '{"state":"false_positive","reason":"x"}' ;;
		PATCH) req "$m" "${path//\{id\}/$id}" "$cred" '{"role":"member","disabled":true}' ;;
		*) req "$m" "${path//\{id\}/$id}" "$cred" ;;
		esac
		is "$STATUS" 404 "$what: $m $path with org B's id answers 404"
	done
done

for list in repositories scans findings checkouts users api-keys audit; do
	req GET "/api/v1/$list" "$at"
	grep -qF -e "b/app" -e "o@${TAG}b.test" <<<"$BODY" && diag "leak in $list: $BODY"
done
req GET /api/v1/repositories "$at"
is "$(jq '.repositories | length' <<<"$BODY")" 0 "A's repository list is empty: B's repository is not in it"
req GET "/api/v1/findings?repository=$repo_b" "$at"
is "$STATUS $(jq '.findings | length' <<<"$BODY")" "200 0" "filtering A's findings by B's repository shows nothing"
req GET "/api/v1/scans?repository=$repo_b" "$at"
is "$STATUS $(jq '.scans | length' <<<"$BODY")" "200 0" "nor do A's scans"
req GET /api/v1/users "$at"
is "$(jq -r '[.users[].email] | join(" ")' <<<"$BODY")" "o@${TAG}a.test" "A's user list holds A's user only"
req GET /api/v1/audit "$at"
is "$(jq "[.events[] | select(.target == \"repository:$repo_b\" or .target == \"api_key:$key_b\")] | length" <<<"$BODY")" 0 \
	"A's audit log holds nothing of B's"
req GET "/api/v1/findings?repository=$repo_b" "$bt"
is "$(jq '.findings | length' <<<"$BODY")" 2 "B itself sees its findings (the fixture is real)"
req POST /api/v1/repositories "$at" "{\"provider\":\"github\",\"full_name\":\"b/app\",\"clone_url\":\"https://example.invalid/b.git\"}"
is "$STATUS" 201 "A may connect a repository of the same name: it is A's own"
is "$(sql -c "SELECT org_id FROM lethe.repositories WHERE id = $(jq -r .id <<<"$BODY")")" "$org_a" \
	"and it belongs to A"
is "$(snapshot)" "$before" "B's repositories, findings, scans, triage, users and keys are unchanged"
ok "the API's database role cannot bypass row-level security" \
	test "$(sql -c "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'lethe_api'")" = f
must_fail "the cross-org lookups are the API's alone: another role cannot call them" --says "permission denied for function" \
	sql -c "BEGIN; SET LOCAL ROLE lethe_hook; SELECT * FROM lethe.api_login_lookup('o@${TAG}b.test'); COMMIT;"
