#!/bin/bash
# lethectl keys rotate-master and rotate-org on the stack, with a webhook
# secret and a clone token stored: the key file ends with the new version
# only (mode 0400), every org key is re-wrapped, the org's secrets move to
# its new key, both rotations are in the audit log, and the chain holds.
# A key file with the wrong mode is refused and left as it was.
# (tests/unit/keys_test.c opens the secrets after each rotation.)
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "bin/lethectl not built"

plan 18
org=t3004k$$
keyfile=$(sed -n 's/^master_key_file = //p' "$LETHE_CONFIG")
lethectl() { "$TOP/bin/lethectl" "$@"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
on_exit "psql -X -q -c \"DELETE FROM lethe.orgs WHERE name = '$org'\" >/dev/null 2>&1"

# The clone token goes through a file, never the command line.
(umask 077 && openssl rand -hex 20 >"$SCRATCH/token")
ok "org created" lethectl org create "$org"
lethectl --json repo add --org "$org" --provider github --name "$org/app" \
	--clone-url "https://example.invalid/$org/app.git" --token-file "$SCRATCH/token" >"$SCRATCH/repo.json"
is "$(jq -r '.webhook_secret | length' "$SCRATCH/repo.json")" 64 "repository added with a generated webhook secret"
hook_path=$(jq -r .hook_path "$SCRATCH/repo.json")

before=$(sed -n 's/^v\([0-9]*\) .*/\1/p' "$keyfile" | sort -n | tail -1)
before_sum=$(sha256sum <"$keyfile")
chmod 0440 "$keyfile"
err=$(lethectl keys rotate-master 2>&1 >/dev/null)
is "$?" 1 "a master key file readable by its group is refused"
case $err in
*"'$keyfile'"*"group or others"*) _tap_result 0 "the error names the file and why" ;;
*) _tap_result 1 "the error names the file and why"; diag "$err" ;;
esac
chmod 0400 "$keyfile"
is "$(sha256sum <"$keyfile")" "$before_sum" "and the file is unchanged"

out=$(lethectl --json keys rotate-master)
is "$?" 0 "keys rotate-master exits 0"
new=$((before + 1))
is "$(jq -r .master_version <<<"$out")" "$new" "the new master version is $new"
is "$(grep -c . "$keyfile") $(cut -d' ' -f1 "$keyfile")" "1 v$new" "the key file holds version $new alone"
is "$(stat -c %a "$keyfile")" 400 "with mode 0400"
is "$(sql -c "SELECT count(*) FROM lethe.org_keys WHERE master_version <> $new")" 0 \
	"every org key is wrapped under version $new"
is "$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'master key rotated'
	AND target = 'master key v$new'")" 1 "the rotation is in the audit log"

out=$(lethectl --json keys rotate-org "$org")
is "$?" 0 "keys rotate-org exits 0"
is "$(jq -r '"\(.old_version) \(.new_version) \(.secrets_reencrypted)"' <<<"$out")" "1 2 2" \
	"org key 1 -> 2, the webhook secret and the token re-encrypted"
is "$(sql -c "SELECT string_agg(version || ':' || (retired_at IS NULL), ',' ORDER BY version)
	FROM lethe.org_keys k JOIN lethe.orgs o ON o.id = k.org_id WHERE o.name = '$org'")" \
	"1:false,2:true" "version 1 retired, version 2 active"
is "$(sql -c "SELECT count(*) FROM lethe.audit_events e JOIN lethe.orgs o ON o.id = e.org_id
	WHERE o.name = '$org' AND e.action = 'org key rotated'")" 1 "the org rotation is in the audit log"

# Using the webhook secret: lethe-hook must open it to check a signature.
if [ -x "$TOP/bin/lethe-hook" ]; then
	# shellcheck source=tests/hook.sh
	. "$TOP/tests/hook.sh"
	body=$CORPUS/webhooks/github/ping-basic.json
	secret=$(jq -r .webhook_secret "$SCRATCH/repo.json")
	hook_headers github ping "t3004-$$-a" wrong "$body" "$secret"
	code=$(hook_post "$hook_path" "$body")
	ok "lethe-hook refuses a ping signed with another secret (HTTP $code)" test "${code:0:1}" = 4
	hook_headers github ping "t3004-$$-b" good "$body" "$secret"
	code=$(hook_post "$hook_path" "$body")
	ok "and accepts one signed with the secret, after both rotations (HTTP $code)" test "${code:0:1}" = 2
else
	skip "bin/lethe-hook not built"
	skip "bin/lethe-hook not built"
fi
ok "the audit chain verifies" lethectl audit verify
