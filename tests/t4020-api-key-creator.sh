#!/bin/bash
# An API key acts for the user who created it: with at most that user's
# current role, and not at all once the user is disabled or removed.  A
# user change revokes the keys it leaves above the user's role, each in the
# audit log with the count.  Every key expires: api_key_ttl by default,
# never later than api_key_ttl_max.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 21

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
api_user "$org" "o@$TAG.test" owner "$pw" >/dev/null
ot=$(api_login "o@$TAG.test" "$pw" | jq -r .access_token)
adm=$(api_user "$org" "a@$TAG.test" admin "$pw")
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)

# key TOKEN BODY: create a key; prints "id key".
key() {
	req POST /api/v1/api-keys "$1" "$2"
	[ "$STATUS" = 201 ] || { diag "key creation answered $STATUS: $BODY"; return 1; }
	jq -r '"\(.id) \(.key)"' <<<"$BODY"
}
# me_refused KEY: curl -f exits 22 on the 401
me_refused() {
	printf 'Authorization: Bearer %s\n' "$1" >"$SCRATCH/me.hdr"
	curl -sf -o /dev/null -H @"$SCRATCH/me.hdr" "$LETHE_URL/api/v1/me"
}
events() { # ACTION TARGET: the details of the org's events, one a line
	sql -c "SELECT details FROM lethe.audit_events WHERE org_id = $org AND action = '$1'
	        AND target = '$2' ORDER BY id"
}

read -r kadm kadm_key < <(key "$at" '{"name":"deploy","role":"admin"}')
read -r kmem kmem_key < <(key "$at" '{"name":"ci","role":"member"}')
is "$(sql -c "SELECT abs(extract(epoch FROM expires_at - created_at) - 90 * 86400) < 5
              FROM lethe.api_keys WHERE id = $kmem")" t \
	"a key created without expires_in expires after api_key_ttl (90 days)"
req POST /api/v1/api-keys "$at" "{\"name\":\"long\",\"expires_in\":$((365 * 86400 + 1))}"
is "$STATUS $(jq -r .error <<<"$BODY")" \
	"400 expires_in must be at most 31536000 seconds (api_key_ttl_max)" \
	"a key asked to last longer than api_key_ttl_max is refused with the reason"
is "$(sql -c "SELECT count(*) FROM lethe.api_keys WHERE org_id = $org AND name = 'long'")" 0 \
	"and no key was made"
req POST /api/v1/api-keys "$at" '{"name":"demo","ephemeral":true,"expires_in":300000}'
is "$STATUS $(jq -r .error <<<"$BODY")" \
	"400 expires_in must be at most 259200 seconds (72 hours for an ephemeral key)" \
	"an ephemeral key over 72 hours is refused with the reason"
must_fail "a key row without an expiry cannot be written" \
	sql -c "INSERT INTO lethe.api_keys (org_id, created_by, name, prefix, key_hash, role, expires_at)
	        VALUES ($org, $adm, 'x', 'x', sha256('$TAG'::bytea), 'member', NULL)"

# A key that makes a key: the new one acts for the same user.
read -r kkey kkey_key < <(key "$kadm_key" '{"name":"made-by-key","role":"member"}')
is "$(sql -c "SELECT created_by FROM lethe.api_keys WHERE id = $kkey")" "$adm" \
	"a key created with a key acts for that key's creator"

# A key with a role above its creator's (the creator demoted behind the API's back).
read -r kown kown_key < <(key "$ot" '{"name":"owned","role":"owner"}')
sql -c "UPDATE lethe.api_keys SET created_by = $adm WHERE id = $kown" >/dev/null
req GET /api/v1/me "$kown_key"
is "$STATUS $(jq -r .role <<<"$BODY")" "200 admin" \
	"an owner key whose creator is an admin acts as an admin"
req POST /api/v1/org/keys/rotate "$kown_key" '{}'
is "$STATUS" 403 "and cannot call an owner's route"

# Demote: the keys above the new role are revoked and recorded.
req PATCH "/api/v1/users/$adm" "$ot" '{"role":"member"}'
is "$STATUS" 200 "the owner lowers the admin to member"
must_fail "the admin key stops at once" me_refused "$kadm_key"
req GET /api/v1/me "$kmem_key"
is "$STATUS $(jq -r .role <<<"$BODY")" "200 member" "the member key goes on as a member"
is "$(events api_key.revoke "api_key:$kadm" | jq -r '"\(.cause) \(.user)"')" "user.demote $adm" \
	"the audit log records the admin key revoked by the demotion"
is "$(events user.api_keys_revoked "user:$adm" | jq -c '[.cause, .count, .api_keys]')" \
	"[\"user.demote\",2,[$kadm,$kown]]" "and the count, with the keys"
is "$(sql -c "SELECT revoked_at IS NULL FROM lethe.api_keys WHERE id = $kmem")" t \
	"the member key is not revoked"

# Disable: every key of the user stops and is recorded.
req PATCH "/api/v1/users/$adm" "$ot" '{"disabled":true}'
must_fail "disabled, the creator's member key stops at once" me_refused "$kmem_key"
must_fail "and so does the key made with a key" me_refused "$kkey_key"
is "$(events user.api_keys_revoked "user:$adm" | tail -n 1 | jq -c '[.cause, .count, .api_keys]')" \
	"[\"user.disable\",2,[$kmem,$kkey]]" "the audit log records both keys revoked by the disable"
req PATCH "/api/v1/users/$adm" "$ot" '{"disabled":false}'
must_fail "enabled again, the user's keys stay revoked" me_refused "$kmem_key"

# A disabled creator stops a key even when nothing revoked it.
read -r _ ok_key < <(key "$ot" '{"name":"kept","role":"member"}')
owner2=$(api_user "$org" "o2@$TAG.test" owner "$pw")
sql -c "UPDATE lethe.api_keys SET created_by = $owner2 WHERE name = 'kept' AND org_id = $org" >/dev/null
sql -c "ALTER TABLE lethe.users DISABLE TRIGGER users_revoke_keys;
        UPDATE lethe.users SET disabled_at = now() WHERE id = $owner2;
        ALTER TABLE lethe.users ENABLE TRIGGER users_revoke_keys" >/dev/null
must_fail "a key whose creator is disabled is refused on the next request, revoked or not" \
	me_refused "$ok_key"

# Remove: the creator's keys stop and are recorded.
rem=$(api_user "$org" "r@$TAG.test" admin "$pw")
rt=$(api_login "r@$TAG.test" "$pw" | jq -r .access_token)
read -r krem krem_key < <(key "$rt" '{"name":"gone","role":"member"}')
sql -c "DELETE FROM lethe.users WHERE id = $rem" >/dev/null
must_fail "a removed user's key stops at once" me_refused "$krem_key"
is "$(events api_key.revoke "api_key:$krem" | jq -r .cause)" user.remove \
	"the audit log records the key revoked by the removal"
