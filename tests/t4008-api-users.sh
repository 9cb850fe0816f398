#!/bin/bash
# Owners manage users through the API: add (bcrypt, unique email), change
# roles, disable; a disabled user's tokens stop working at once, a lowered
# role applies to the next request, and an org always keeps an owner.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 12

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
owner=$(api_user "$org" "o@$TAG.test" owner "$pw")
ot=$(api_login "o@$TAG.test" "$pw" | jq -r .access_token)

req POST /api/v1/users "$ot" "{\"email\":\"n@$TAG.test\",\"password\":\"$pw\",\"role\":\"admin\"}"
uid=$(jq -r .id <<<"$BODY")
is "$STATUS $(jq -r .role <<<"$BODY")" "201 admin" "an owner adds an admin"
is "$(sql -c "SELECT password_hash LIKE '\$2b\$%' AND password_hash NOT LIKE '%$pw%' FROM lethe.users WHERE id = $uid")" t \
	"the password is stored as bcrypt only"
req POST /api/v1/users "$ot" "{\"email\":\"N@$TAG.test\",\"password\":\"$pw\",\"role\":\"member\"}"
is "$STATUS" 409 "the same email (in any case) cannot be added twice"
req POST /api/v1/users "$ot" "{\"email\":\"s@$TAG.test\",\"password\":\"short\",\"role\":\"member\"}"
is "$STATUS" 400 "a short password is refused"
req POST /api/v1/users "$ot" "{\"email\":\"s@$TAG.test\",\"password\":\"$pw\",\"role\":\"root\"}"
is "$STATUS" 400 "an unknown role is refused"

login=$(api_login "n@$TAG.test" "$pw")
nt=$(jq -r .access_token <<<"$login")
nr=$(jq -r .refresh_token <<<"$login")
req GET /api/v1/api-keys "$nt"
is "$STATUS" 200 "the new admin lists API keys"
req PATCH "/api/v1/users/$uid" "$ot" '{"role":"member"}'
req GET /api/v1/api-keys "$nt"
is "$STATUS" 403 "lowered to member, the same access token loses admin rights at once"
req PATCH "/api/v1/users/$uid" "$ot" '{"disabled":true}'
req GET /api/v1/me "$nt"
is "$STATUS" 401 "disabled, the user's access token stops working at once"
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$nr\"}"
is "$STATUS" 401 "and so does the refresh token"
api_login "n@$TAG.test" "$pw" >/dev/null
is "$STATUS" 401 "and the password"
req PATCH "/api/v1/users/$owner" "$ot" '{"role":"admin"}'
is "$STATUS $(sql -c "SELECT role FROM lethe.users WHERE id = $owner")" "409 owner" \
	"the org's only owner cannot step down (409), and nothing changed"
req PATCH "/api/v1/users/$uid" "$ot" '{"disabled":"yes"}'
is "$STATUS" 400 "disabled must be a boolean"
