#!/bin/bash
# lethectl repo set: a repository's API URL, report mode, default branch,
# reporting and clone tokens and webhook secret, set by the administrator,
# each change audited without a secret in it; tokens sealed under the org
# key, never printed; a rotated webhook secret printed once and the only
# one a delivery is then accepted with.  Bad values are refused, naming
# what is wrong, and change nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 17

ctl() { "$TOP/bin/lethectl" "$@"; }
org=$(api_org "${TAG}set")
oname=$(sql -c "SELECT name FROM lethe.orgs WHERE id = $org")
ctl --json repo add --org "$oname" --provider github --name "acme/set-$TAG" \
	--clone-url "https://example.invalid/set.git" >"$SCRATCH/repo.json"
repo=$(jq -r .id "$SCRATCH/repo.json")
old_secret=$(jq -r .webhook_secret "$SCRATCH/repo.json")
row() { sql -c "SELECT coalesce(api_url, '-') || ' ' || report_mode || ' ' || default_branch
	|| ' ' || (report_token_enc IS NOT NULL) || ' ' || (clone_token_enc IS NOT NULL)
	FROM lethe.repositories WHERE id = $repo"; }
is "$(row)" "- status main false false" "a new repository: no API URL, status, main, no tokens"

report=$(openssl rand -hex 20)
clone=$(openssl rand -hex 20)
(umask 077; printf '%s\n' "$report" >"$SCRATCH/report.token"; printf '%s' "$clone" >"$SCRATCH/clone.token")
ctl --json repo set --api-url https://ghe.example.invalid/api/v3 --report-mode status+comment \
	--default-branch trunk --report-token-file "$SCRATCH/report.token" \
	--clone-token-file "$SCRATCH/clone.token" "acme/set-$TAG" >"$SCRATCH/out" 2>"$SCRATCH/err"
is "$? $(row)" "0 https://ghe.example.invalid/api/v3 status+comment trunk true true" \
	"repo set by OWNER/REPO changes the API URL, mode, default branch and both tokens"
ok "its answer names what changed and holds no token" \
	eval 'jq -e ".report_token == true and .clone_token == true and .id == $repo" "$SCRATCH/out" >/dev/null &&
	! grep -qF -e "$report" -e "$clone" "$SCRATCH/out" "$SCRATCH/err"'
is "$(sql -c "SELECT position(convert_to('$report', 'UTF8') IN report_token_enc) = 0
	AND position(convert_to('$clone', 'UTF8') IN clone_token_enc) = 0 FROM lethe.repositories WHERE id = $repo")" t \
	"the tokens are stored sealed, not as written"
ev=$(sql -c "SELECT actor || ' ' || details::text FROM lethe.audit_events WHERE org_id = $org
	AND action = 'repository updated' AND target = 'repository:$repo' ORDER BY id DESC LIMIT 1")
ok "the change is audited, naming the fields, never a token ($ev)" \
	eval '[[ $ev == lethectl:* ]] && grep -q "\"report_token\": true" <<<"$ev" &&
	grep -q "status+comment" <<<"$ev" && ! grep -qF -e "$report" -e "$clone" <<<"$ev"'

# A rotated webhook secret: printed once, and the only one accepted.
ctl --json repo set --rotate-secret "$repo" >"$SCRATCH/rot"
new_secret=$(jq -r .webhook_secret "$SCRATCH/rot")
ok "--rotate-secret prints a new 64-hex-digit secret" \
	eval '[[ $new_secret =~ ^[0-9a-f]{64}$ ]] && [ "$new_secret" != "$old_secret" ]'
printf '{"zen":"x","hook_id":1}' >"$SCRATCH/ping.json"
deliver() { # SECRET: the HTTP status of a signed ping
	curl -s -o /dev/null -w '%{http_code}' -X POST "$LETHE_URL$(jq -r .hook_path "$SCRATCH/repo.json")" \
		-H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \
		-H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
		-H "X-Hub-Signature-256: sha256=$(sign_hmac_sha256 "$1" "$SCRATCH/ping.json")" \
		--data-binary @"$SCRATCH/ping.json"
}
is "$(deliver "$old_secret") $(deliver "$new_secret")" "401 202" \
	"a delivery signed with the old secret is refused, with the new one accepted"

# Refusals: each names the problem and changes nothing.
before=$(row)
audits() { sql -c "SELECT count(*) FROM lethe.audit_events WHERE target = 'repository:$repo'"; }
n=$(audits)
must_fail "check-run on a GitHub repository without a GitHub App integration is refused" \
	ctl repo set --report-mode check-run "$repo"
grep -q "needs a GitHub App integration" "$SCRATCH/.ok.out"; is "$? $(row)" "0 $before" \
	"it says why and changes nothing"
must_fail "an unknown report mode is refused" ctl repo set --report-mode loud "$repo"
must_fail "an API URL that is not http(s) is refused" ctl repo set --api-url ftp://x "$repo"
grep -q "API URL refused: 'ftp://x' is not an http(s) URL" "$SCRATCH/.ok.out"; is "$?" 0 "naming the URL"
: >"$SCRATCH/empty.token"
must_fail "an empty token file is refused" ctl repo set --report-token-file "$SCRATCH/empty.token" "$repo"
printf 'one\ntwo\n' >"$SCRATCH/two.token"
must_fail "a token file of two lines is refused" ctl repo set --report-token-file "$SCRATCH/two.token" "$repo"
must_fail "an unknown repository is refused" ctl repo set --report-mode none "acme/no-such-$TAG"
is "$(row) $(audits)" "$before $n" "after the refusals the repository and its audit trail are as they were"
ctl repo set "$repo" >/dev/null 2>"$SCRATCH/err"
is "$?" 2 "repo set with nothing to set is a usage error"
