#!/bin/bash
# Tokens: forged, expired, not-yet-valid, alg=none, HS/RS-confused and
# tampered access tokens are refused; a reused refresh token revokes its
# whole family; API keys are shown once, bounded by their creator's role,
# and stop working the moment they are revoked or expire.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 30

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
uid=$(api_user "$org" "a@$TAG.test" admin "$pw")
mid=$(api_user "$org" "m@$TAG.test" member "$pw")
login=$(api_login "a@$TAG.test" "$pw")
at=$(jq -r .access_token <<<"$login")

# mint CLAIMS-JSON [HEADER-JSON] [KEY-MODE]: a token signed as Lethe would,
# with the key derived here from the stack's master key (the test's own
# copy of the derivation: HMAC-SHA256(master key, "lethe-jwt-v1")), of the
# master key version that signed the login's token (a running lethe-api
# signs with the newest version it loaded).
keyfile=$(sed -n 's/^master_key_file *= *//p' "$LETHE_CONFIG")
mint() {
	KEYFILE=$keyfile LOGIN_TOKEN=$at python3 - "$@" <<-'PY'
	import base64, hashlib, hmac, json, os, sys
	b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
	login = os.environ["LOGIN_TOKEN"].rsplit(".", 1)
	keys = [hmac.new(bytes.fromhex(l.split()[1]), b"lethe-jwt-v1", hashlib.sha256).digest()
	        for l in open(os.environ["KEYFILE"]) if l.strip()]
	key = [k for k in keys if b64(hmac.new(k, login[0].encode(), hashlib.sha256).digest()) == login[1]][0]
	claims = sys.argv[1]
	header = sys.argv[2] if len(sys.argv) > 2 else '{"alg":"HS256","typ":"JWT"}'
	mode = sys.argv[3] if len(sys.argv) > 3 else "lethe"
	signing = b64(header.encode()) + "." + b64(claims.encode())
	if mode == "lethe":
	    sig = b64(hmac.new(key, signing.encode(), hashlib.sha256).digest())
	elif mode == "other":
	    sig = b64(hmac.new(os.urandom(32), signing.encode(), hashlib.sha256).digest())
	else:
	    sig = ""
	print(signing + "." + sig)
	PY
}
now=$(date +%s)
claims() { # IAT NBF EXP [ROLE] [ORG]
	printf '{"iss":"lethe","aud":"lethe-api","use":"access","sub":"%s","org":%s,"role":"%s","iat":%s,"nbf":%s,"exp":%s}' \
	    "$uid" "${5:-$org}" "${4:-admin}" "$1" "$2" "$3"
}
code() { req GET /api/v1/me "$1"; echo "$STATUS"; }

is "$(code "$at")" 200 "the login's access token works"
is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)))")")" 200 \
	"a token minted with the derived key works (control: the cases below differ in one thing)"
is "$(code "$(mint "$(claims $((now - 7200)) $((now - 7200)) $((now - 1)))")")" 401 "an expired token is refused"
is "$(code "$(mint "$(claims "$now" $((now + 600)) $((now + 1200)))")")" 401 "a token not yet valid (nbf) is refused"
is "$(code "$(mint "$(claims $((now + 600)) "$now" $((now + 1200)))")")" 401 "a token issued in the future (iat) is refused"
is "$(code "$(mint "$(claims "$now" "$now" $((now + 5 * 3600)))")")" 401 "a lifetime over four hours is refused"
is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)))" '{"alg":"HS256","typ":"JWT"}' other)")" 401 \
	"a wrong signature is refused"
for alg in none None NONE nOnE; do
	is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)))" "{\"alg\":\"$alg\"}" none)")" 401 \
		"alg=$alg without a signature is refused"
done
is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)))" '{"alg":"RS256","typ":"JWT"}')")" 401 \
	"alg=RS256 with Lethe's HMAC as signature is refused (algorithm pinned)"
is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)))" '{"alg":"HS512","typ":"JWT"}')")" 401 \
	"alg=HS512 is refused"
is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)))" '{"alg":"HS256","typ":"JWT","kid":"../../etc/passwd"}')")" 401 \
	"an unexpected header field (kid) is refused"
# Tampering: a member's token whose payload is swapped for an owner's.
good=$(mint "$(claims "$now" "$now" $((now + 600)) member)")
forged="${good%%.*}.$(printf '%s' "$(claims "$now" "$now" $((now + 600)) owner)" | base64 -w0 | tr '+/' '-_' | tr -d =).${good##*.}"
is "$(code "$forged")" 401 "a payload changed after signing is refused"
other_org=$(api_org "${TAG}b")
is "$(code "$(mint "$(claims "$now" "$now" $((now + 600)) admin "$other_org")")")" 401 \
	"a valid signature naming a user of another org is refused"
fails=0
while read -r id compact; do
	[ "$(code "$compact")" = 401 ] || { fails=$((fails + 1)); diag "accepted: $id"; }
done < <(jq -r '.cases[] | "\(.id) \(.compact)"' "$CORPUS/jwt/attack-cases-derived.json")
is "$fails" 0 "every token of the JWT attack corpus (RFC 8725 cases) is refused"

# Refresh rotation and reuse.
r1=$(jq -r .refresh_token <<<"$login")
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$r1\"}"
r2=$(jq -r .refresh_token <<<"$BODY")
is "$STATUS" 200 "a refresh token is traded for new tokens"
ok "the new refresh token differs from the old" test "$r2" != "$r1" -a -n "$r2"
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$r1\"}"
is "$STATUS" 401 "the used refresh token, presented again, is refused"
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$r2\"}"
is "$STATUS" 401 "and its reuse revoked the whole family: the newest token is refused too"
ok "the reuse is in the audit log" \
	test "$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE org_id = $org AND action = 'auth.refresh_reused'")" -ge 1

# API keys.
req POST /api/v1/api-keys "$at" '{"name":"ci","role":"member"}'
key=$(jq -r .key <<<"$BODY")
kid=$(jq -r .id <<<"$BODY")
is "$STATUS ${key:0:6}" "201 lethe_" "an admin creates a member API key, shown once"
req GET /api/v1/me "$key"
is "$STATUS $(jq -r .role <<<"$BODY")" "200 member" "the key authenticates with its own role"
req GET /api/v1/api-keys "$at"
ok "the listing shows its prefix and never the key" \
	test "$(jq -r ".api_keys[] | select(.id == $kid) | .prefix" <<<"$BODY")" = "${key:0:12}" -a \
	"$(grep -c -- "$key" <<<"$BODY")" = 0
req POST /api/v1/api-keys "$at" '{"name":"up","role":"owner"}'
is "$STATUS" 403 "an admin cannot create an owner key"
req POST /api/v1/api-keys "$at" '{"name":"demo","ephemeral":true,"expires_in":300000}'
is "$STATUS" 400 "an ephemeral key over 72 hours is refused"
req POST /api/v1/api-keys "$at" '{"name":"demo","ephemeral":true}'
is "$STATUS $(sql -c "SELECT expires_at <= created_at + interval '72 hours' FROM lethe.api_keys WHERE id = $(jq -r .id <<<"$BODY")")" \
	"201 t" "an ephemeral key lasts at most 72 hours"
req DELETE "/api/v1/api-keys/$kid" "$at"
req GET /api/v1/me "$key"
is "$STATUS" 401 "a revoked key stops working at once"
req POST /api/v1/api-keys "$at" '{"name":"short","expires_in":3600}'
key2=$(jq -r .key <<<"$BODY")
sql -c "UPDATE lethe.api_keys SET expires_at = now() - interval '1 second' WHERE id = $(jq -r .id <<<"$BODY")"
req GET /api/v1/me "$key2"
is "$STATUS" 401 "an expired key is refused"
