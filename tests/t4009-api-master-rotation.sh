#!/bin/bash
# A master key rotation (lethectl keys rotate-master, which drops the old
# version once org keys are rewrapped) under a running lethe-api: new
# tokens are signed with the new version at once, an access token signed
# under the dropped version is refused but its session's refresh token
# still refreshes, and connecting a repository (sealing a secret under the
# rewrapped org key) works without restarting anything.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 6

keyfile=$(sed -n 's/^master_key_file *= *//p' "$LETHE_CONFIG")
# signer TOKEN: the master key version whose derived key signed TOKEN.
signer() {
	KEYFILE=$keyfile python3 - "$1" <<-'PY'
	import base64, hashlib, hmac, os, sys
	signing, sig = sys.argv[1].rsplit(".", 1)
	for line in open(os.environ["KEYFILE"]):
	    v, k = line.split()
	    key = hmac.new(bytes.fromhex(k), b"lethe-jwt-v1", hashlib.sha256).digest()
	    mac = base64.urlsafe_b64encode(hmac.new(key, signing.encode(), hashlib.sha256).digest())
	    if mac.rstrip(b"=").decode() == sig:
	        print(v)
	PY
}

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
api_user "$org" "a@$TAG.test" admin "$pw" >/dev/null
login=$(api_login "a@$TAG.test" "$pw")
old=$(jq -r .access_token <<<"$login")
new_version=v$("$TOP/bin/lethectl" --json keys rotate-master | jq -r .master_version)
ok "the master key is rotated to $new_version" test "$new_version" != vnull
req GET /api/v1/me "$old"
is "$STATUS" 401 "an access token signed under the dropped version is refused"
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$(jq -r .refresh_token <<<"$login")\"}"
is "$STATUS $(signer "$(jq -r .access_token <<<"$BODY")")" "200 $new_version" \
	"but its session refreshes, into a token of the new version"
new=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
is "$(signer "$new")" "$new_version" "a new login is signed with the new master version at once"
req GET /api/v1/me "$new"
is "$STATUS" 200 "and works"
req POST /api/v1/repositories "$new" "{\"provider\":\"gitea\",\"full_name\":\"acme/rot-$TAG\",\"clone_url\":\"https://example.invalid/r.git\"}"
is "$STATUS" 201 "connecting a repository seals its secret under the rewrapped org key"
