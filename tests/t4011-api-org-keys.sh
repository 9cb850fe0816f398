#!/bin/bash
# An owner rotates the org key through nginx (POST /api/v1/org/keys/rotate):
# the new version is active and the old one retired, the webhook secret and
# the clone token stored before still open (lethe-hook accepts a signed
# webhook; the token opens under the new key version), admins and members
# get 403, another org's key is untouched, and the audit log holds the
# rotation with the caller as actor.  GET /api/v1/org/keys shows versions,
# never key material.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/hook.sh
. "$(dirname "$0")/hook.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
[ -x "$TOP/bin/lethe-hook" ] || skip_all "lethe-hook not built"
python3 -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography not installed"
plan 19

keyfile=$(sed -n 's/^master_key_file *= *//p' "$LETHE_CONFIG")
pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
other=$(api_org "${TAG}b")
on_exit "psql -X -q -c \"DELETE FROM lethe.orgs WHERE name IN ('${TAG}a', '${TAG}b')\" >/dev/null 2>&1"
for role in owner admin member; do
	api_user "$org" "$role@$TAG.test" "$role" "$pw" >/dev/null
done
api_user "$other" "owner@b$TAG.test" owner "$pw" >/dev/null
tok() { api_login "$1" "$pw" | jq -r .access_token; }
owner=$(tok "owner@$TAG.test")
admin=$(tok "admin@$TAG.test")
member=$(tok "member@$TAG.test")
owner_b=$(tok "owner@b$TAG.test")

# A repository in each org, with a clone token; the answer shows the webhook secret once.
(umask 077 && openssl rand -hex 20 >"$SCRATCH/token")
connect() { # TOKEN NAME
	req POST /api/v1/repositories "$1" "$(jq -nc --arg n "$2" --rawfile t "$SCRATCH/token" \
		'{provider: "github", full_name: $n, clone_url: "https://example.invalid/r.git",
		  clone_token: ($t | rtrimstr("\n"))}')"
	[ "$STATUS" = 201 ] || diag "connect: $STATUS $BODY"
}
connect "$owner" "acme/keys-$TAG"
(umask 077 && printf '%s' "$BODY" >"$SCRATCH/repo.json")
repo=$(jq -r .id "$SCRATCH/repo.json")
connect "$owner_b" "other/keys-$TAG"
other_keys() { sql -c "SELECT version, master_version, encode(wrapped, 'hex'), retired_at IS NULL
                       FROM lethe.org_keys WHERE org_id = $other ORDER BY version"; }
other_before=$(other_keys)

req GET /api/v1/org/keys "$admin"
is "$STATUS $(jq -c '[.org_keys[] | {version, active}]' <<<"$BODY")" '200 [{"version":1,"active":true}]' \
	"an admin lists the org's key versions: 1, active"
is "$(jq -c '[.org_keys[] | keys] | add | unique' <<<"$BODY")" '["active","created_at","retired_at","version"]' \
	"the list holds versions and dates, never key material"
req GET /api/v1/org/keys "$member"
is "$STATUS" 403 "a member cannot list the org's keys"
req POST /api/v1/org/keys/rotate "$admin" '{}'
is "$STATUS $(jq -r .error <<<"$BODY")" "403 this needs the owner role" "an admin cannot rotate the org key"
req POST /api/v1/org/keys/rotate "$member" '{}'
is "$STATUS" 403 "nor can a member"
is "$(sql -c "SELECT count(*) FROM lethe.org_keys WHERE org_id = $org")" 1 "and the refused calls changed nothing"

req POST /api/v1/org/keys/rotate "$owner" '{}'
is "$STATUS $(jq -c . <<<"$BODY")" '200 {"old_version":1,"new_version":2,"secrets_reencrypted":2}' \
	"an owner rotates: key 1 -> 2, the webhook secret and the clone token re-encrypted"
req GET /api/v1/org/keys "$owner"
is "$(jq -c '[.org_keys[] | {version, active, retired: (.retired_at != null)}]' <<<"$BODY")" \
	'[{"version":1,"active":false,"retired":true},{"version":2,"active":true,"retired":false}]' \
	"version 2 is active, version 1 retired"
is "$(sql -c "SELECT string_agg(DISTINCT get_byte(c, 3)::text, ',') FROM lethe.repositories,
              unnest(ARRAY[webhook_secret_enc, clone_token_enc]) c WHERE id = $repo")" 2 \
	"both stored secrets now name key version 2"

# The webhook secret still opens: lethe-hook checks a signature with it.
body=$CORPUS/webhooks/github/ping-basic.json
secret=$(jq -r .webhook_secret "$SCRATCH/repo.json")
hook_path=$(jq -r .webhook_path "$SCRATCH/repo.json")
hook_headers github ping "t4011-$$-a" wrong "$body" "$secret"
code=$(hook_post "$hook_path" "$body")
ok "lethe-hook refuses a webhook signed with another secret (HTTP $code)" test "${code:0:1}" = 4
hook_headers github ping "t4011-$$-b" good "$body" "$secret"
code=$(hook_post "$hook_path" "$body")
is "$code" 202 "and accepts one signed with the secret stored before the rotation"

# The clone token still opens, under key version 2 (unwrapped here with the
# master key file, independently of lib/secret/keys.c); only the verdict is printed.
opened=$(sql -c "SELECT k.master_version, encode(k.wrapped, 'hex'), encode(r.clone_token_enc, 'hex')
                 FROM lethe.repositories r JOIN lethe.org_keys k ON k.org_id = r.org_id
                 AND k.version = (get_byte(r.clone_token_enc, 2) << 8) + get_byte(r.clone_token_enc, 3)
                 WHERE r.id = $repo" |
	KEYFILE=$keyfile TOKEN=$SCRATCH/token ORG=$org REPO=$repo python3 -c '
import os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
mv, wrapped, blob = sys.stdin.read().strip().split("|")
wrapped, blob = bytes.fromhex(wrapped), bytes.fromhex(blob)
keys = dict(l.split() for l in open(os.environ["KEYFILE"]))
ver = int.from_bytes(blob[:4], "big")
org, repo = os.environ["ORG"], os.environ["REPO"]
ad = b"lethe-orgkey-v1\0%s\0%d" % (org.encode(), ver)
okey = AESGCM(bytes.fromhex(keys["v" + mv])).decrypt(wrapped[:12], wrapped[12:], ad)
ad = b"lethe-secret-v1\0repositories\0clone_token_enc\0%s\0%s" % (org.encode(), repo.encode())
pt = AESGCM(okey).decrypt(blob[4:16], blob[16:], ad)
print("same" if pt == open(os.environ["TOKEN"], "rb").read().strip() else "different")
' 2>&1)
is "$opened" same "the clone token opens under key version 2 and is the one given"

is "$(other_keys)" "$other_before" "the other org's key is untouched"
is "$(sql -c "SELECT string_agg(DISTINCT get_byte(c, 3)::text, ',') FROM lethe.repositories,
              unnest(ARRAY[webhook_secret_enc, clone_token_enc]) c WHERE org_id = $other")" 1 \
	"and its secrets still name its version 1"

owner_id=$(sql -c "SELECT id FROM lethe.users WHERE email = 'owner@$TAG.test'")
req GET "/api/v1/audit?action=org%20key%20rotated" "$owner"
is "$(jq -c '[.events[] | {actor, target, details}]' <<<"$BODY")" \
	"[{\"actor\":\"user:$owner_id\",\"target\":\"${TAG}a\",\"details\":{\"new_version\":2,\"old_version\":1,\"secrets_reencrypted\":2}}]" \
	"the audit log holds the rotation, with the owner as actor"
req GET /api/v1/audit/verify "$owner"
is "$(jq -r .ok <<<"$BODY")" true "and the audit chain verifies"

# An owner's API key rotates too, and is the actor of its event.
req POST /api/v1/api-keys "$owner" '{"name":"rotator","role":"owner"}'
key_id=$(jq -r .id <<<"$BODY")
req POST /api/v1/org/keys/rotate "$(jq -r .key <<<"$BODY")" '{}'
req GET "/api/v1/audit?action=org%20key%20rotated" "$owner"
is "$(jq -r '.events[0] | "\(.actor) \(.details.old_version) \(.details.new_version)"' <<<"$BODY")" \
	"api_key:$key_id 2 3" "an owner API key rotates key 2 -> 3 and is the actor of the event"

# The grants stop there: lethe_api writes no other column of org_keys, and
# row-level security keeps its insert to the org of the transaction.
as_api() { # SQL, for org $org
	psql -X -q -At -v ON_ERROR_STOP=1 2>&1 <<-SQL
	BEGIN; SET LOCAL ROLE lethe_api; SELECT set_config('lethe.org_id', '$org', true) \\g /dev/null
	$1;
	ROLLBACK;
	SQL
}
out=$(as_api "UPDATE lethe.org_keys SET wrapped = '\\x00' WHERE org_id = $org")
ok "lethe_api cannot overwrite a wrapped key" grep -q "permission denied" <<<"$out"
out=$(as_api "INSERT INTO lethe.org_keys (org_id, version, master_version, wrapped)
              VALUES ($other, 9, 1, '\\x00')")
ok "nor insert a key for another org" grep -q "row-level security" <<<"$out"
