#!/bin/bash
# Logging in through nginx: tokens for the right password only, the same
# answer (and a bcrypt's worth of time) for an unknown email as for a wrong
# password, failed logins limited per account and per address, logout.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 20

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
ok "an org and an owner are created with lethectl" test -n "$(api_user "$org" "o@$TAG.test" owner "$pw")"
on_exit "sql -c \"DELETE FROM lethe.login_failures WHERE key LIKE '%$TAG%' OR key LIKE 'addr:127.%'\""

req GET /api/v1/health -
is "$STATUS $(jq -r .status <<<"$BODY")" "200 ok" "health answers without authentication"
on_exit "sql -c \"UPDATE lethe.schema_migrations SET version = '050_api' WHERE version = '050_api_$TAG'\""
sql -c "UPDATE lethe.schema_migrations SET version = '050_api_$TAG' WHERE version = '050_api'"
req GET /api/v1/health -
is "$STATUS $(jq -r .migrations <<<"$BODY")" "503 behind" "with an installed migration not applied, health answers 503"
sql -c "UPDATE lethe.schema_migrations SET version = '050_api' WHERE version = '050_api_$TAG'"

api_login "o@$TAG.test" "$pw" >/dev/null
login=$BODY
is "$STATUS" 200 "the right password logs in"
at=$(jq -r .access_token <<<"$login")
rt=$(jq -r .refresh_token <<<"$login")
ok "the answer holds an access token (JWT) and a refresh token" \
	test "$(tr -cd . <<<"$at" | wc -c)" = 2 -a "${rt#lethe_}" != "$rt"
is "$(jq -r .expires_in <<<"$login")" 14400 "the access token lasts four hours"
req GET /api/v1/me "$at"
is "$STATUS $(jq -r '.role + " " + .user.email' <<<"$BODY")" "200 owner o@$TAG.test" "the access token names the caller"

req GET /api/v1/me -
is "$STATUS $(jq -r .error <<<"$BODY")" "401 authentication required" "no token: 401 with a JSON reason"

# Three of each, interleaved, so that the machine's load hits both alike.
t_wrong=0 t_unknown=0
for _ in 1 2 3; do
	t0=$(date +%s%N)
	api_login "o@$TAG.test" "wrong-$pw" >/dev/null
	t1=$(date +%s%N)
	wrong="$STATUS $BODY"
	api_login "nobody-$TAG@$TAG.test" "$pw" >/dev/null
	t2=$(date +%s%N)
	unknown="$STATUS $BODY"
	t_wrong=$((t_wrong + t1 - t0)) t_unknown=$((t_unknown + t2 - t1))
done
is "$wrong" '401 {"error":"invalid email or password"}' "a wrong password is refused"
is "$unknown" "$wrong" "an unknown email gets the very same answer"
# Both run one bcrypt: neither may take less than half the other's time.
ok "and takes a similar time (a bcrypt against a decoy hash)" \
	test $((t_unknown * 2)) -gt $t_wrong -a $((t_wrong * 2)) -gt $t_unknown
diag "3 wrong passwords $((t_wrong / 1000000)) ms, 3 unknown emails $((t_unknown / 1000000)) ms"
api_login "o@$TAG.test" '' >/dev/null
is "$STATUS" 400 "an empty body field is a 400"
req POST /api/v1/auth/login - 'not json'
is "$STATUS" 400 "a body that is not JSON is a 400"
head -c 2000000 /dev/zero | tr '\0' a >"$SCRATCH/big"
is "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$SCRATCH/big" "$LETHE_URL/api/v1/auth/login")" 413 \
	"a body over api_max_body is a 413"

# Per account: five failures, then even the right password waits.
pw2=$(openssl rand -hex 12)
api_user "$org" "r@$TAG.test" member "$pw2" >/dev/null
for _ in 1 2 3 4 5; do api_login "r@$TAG.test" nope >/dev/null; done
api_login "r@$TAG.test" "$pw2" >/dev/null
is "$STATUS" 429 "after five failures the account is limited (429), right password or not"
api_login "o@$TAG.test" "$pw" >/dev/null
is "$STATUS" 200 "another account from the same address still logs in"

# Per address: twenty failures from one address, over many emails.
addr=127.0.$((RANDOM % 200 + 10)).$((RANDOM % 200 + 10))
for i in $(seq 20); do
	curl -s -o /dev/null --interface "$addr" -H 'Content-Type: application/json' \
	    --data-binary "{\"email\":\"x$i-$TAG@$TAG.test\",\"password\":\"x\"}" "$LETHE_URL/api/v1/auth/login"
done
jq -nc --arg e "o@$TAG.test" --arg p "$pw" '{email: $e, password: $p}' >"$SCRATCH/cred"
is "$(curl -s -o /dev/null -w '%{http_code}' --interface "$addr" --data-binary @"$SCRATCH/cred" \
	"$LETHE_URL/api/v1/auth/login")" 429 "after twenty failures from one address, that address is limited"

req POST /api/v1/auth/logout - "{\"refresh_token\":\"$rt\"}"
is "$STATUS $(jq -r .revoked <<<"$BODY")" "200 1" "logout revokes the session's refresh token"
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$rt\"}"
is "$STATUS" 401 "a logged-out refresh token no longer refreshes"
ok "no password or token reached the API's log" \
	bash -c "! grep -qF -e '$pw' -e '$rt' -e '$at' '$LETHE_RUN/log/lethe-api.log' '$LETHE_RUN/log/lethe.log' 2>/dev/null"
