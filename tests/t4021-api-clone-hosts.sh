#!/bin/bash
# clone_hosts when a repository is connected or its URL changed: the API's
# POST and PATCH answer 400 naming the URL, lethectl repo add / repo set
# exit 1 naming it, and nothing is stored, for the metadata address, a
# private address, plain HTTP to an HTTPS-only host and a host not on the
# list; the stack's own 127.0.0.1 server is allowed.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 15

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
api_user "$org" "a@$TAG.test" admin "$pw" >/dev/null
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
count() { sql -c "SELECT count(*) FROM lethe.repositories WHERE org_id = $org"; }

connect_refused() { # URL WORDS DESC
	req POST /api/v1/repositories "$at" \
		"$(jq -nc --arg u "$1" --arg n "acme/r$RANDOM" '{provider: "github", full_name: $n, clone_url: $u}')"
	case "$STATUS $(jq -r .error <<<"$BODY") $(count)" in
	"400 clone_url refused: '$1'"*"$2"*" 0") _tap_result 0 "$3" ;;
	*) _tap_result 1 "$3"; diag "$STATUS $BODY" ;;
	esac
}
connect_refused http://169.254.169.254/x "is not in clone_hosts" "the metadata address is refused (400, nothing stored)"
connect_refused https://10.0.0.1/x "is not in clone_hosts" "a private address is refused"
connect_refused http://github.com/x "plain HTTP to 'github.com' is refused" "plain HTTP to an HTTPS-only host is refused"
connect_refused https://git.unlisted.test/x "host 'git.unlisted.test' port 443 is not in clone_hosts" \
	"a host not on the list is refused"

req POST /api/v1/repositories "$at" \
	"$(jq -nc --arg u "$LETHE_GIT_URL/app.git" '{provider: "gitea", full_name: "acme/own", clone_url: $u}')"
repo=$(jq -r .id <<<"$BODY")
is "$STATUS $(count)" "201 1" "the stack's own server ($LETHE_GIT_URL) is allowed"
req POST /api/v1/repositories "$at" \
	"$(jq -nc '{provider: "github", full_name: "acme/gh", clone_url: "https://github.com/acme/gh.git"}')"
is "$STATUS" 201 "and so is github.com over HTTPS"

req PATCH "/api/v1/repositories/$repo" "$at" '{"api_url":"http://169.254.169.254/api/v3"}'
is "$STATUS $(jq -r .error <<<"$BODY")" \
	"400 API URL refused: 'http://169.254.169.254/api/v3': host '169.254.169.254' port 80 is not in clone_hosts" \
	"an API URL to the metadata address is refused by PATCH"
is "$(sql -c "SELECT coalesce(api_url, 'none') FROM lethe.repositories WHERE id = $repo")" none "and not stored"
req PATCH "/api/v1/repositories/$repo" "$at" "{\"api_url\":\"http://127.0.0.1:${LETHE_URL##*:}/api/v3\"}"
is "$STATUS" 200 "an API URL on the stack's own server is taken"

ctl() { "$TOP/bin/lethectl" "$@"; }
must_fail "lethectl repo add refuses the metadata address" ctl repo add --org "$org" --provider github \
	--name acme/ctl --clone-url http://169.254.169.254/x
grep -q "clone URL refused: 'http://169.254.169.254/x'" "$SCRATCH/.ok.out"
is "$? $(count)" "0 2" "naming the URL, and nothing is stored"
must_fail "lethectl repo set refuses an API URL to a private address" ctl repo set --api-url https://10.0.0.1/api "$repo"
grep -q "API URL refused: 'https://10.0.0.1/api'" "$SCRATCH/.ok.out"
is "$?" 0 "naming the URL"
must_fail "lethectl integration add refuses an API URL over plain HTTP to an HTTPS-only host" \
	ctl integration add github-app --org "$org" --app-id 1 --installation-id 1 \
	--private-key-file /dev/null --api-url http://github.com/api/v3
grep -q "API URL refused: 'http://github.com/api/v3': plain HTTP to 'github.com' is refused" "$SCRATCH/.ok.out"
is "$?" 0 "naming the URL and why"
