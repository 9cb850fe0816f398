#!/bin/bash
# A dump of the database holds no plaintext secret: not the password of a
# user, the webhook secret lethectl generated, the clone token given to it,
# nor the master key; neither do Lethe's logs.
# Each of them is generated here, and the dump is shown to hold the rows
# they belong to (so that an empty dump cannot pass).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "bin/lethectl not built"

plan 9
org=t3001d$$
lethectl() { "$TOP/bin/lethectl" "$@"; }
on_exit "psql -X -q -c \"DELETE FROM lethe.orgs WHERE name = '$org'\" >/dev/null 2>&1"
keyfile=$(sed -n 's/^master_key_file = //p' "$LETHE_CONFIG")

umask 077
openssl rand -hex 16 >"$SCRATCH/password"
openssl rand -hex 20 >"$SCRATCH/token"
ok "org created" lethectl org create "$org"
ok "user added, password on standard input" \
	lethectl user add --org "$org" --email "ana@$org.invalid" --role owner <"$SCRATCH/password"
lethectl --json repo add --org "$org" --provider github --name "$org/app" \
	--clone-url "https://example.invalid/$org/app.git" --token-file "$SCRATCH/token" >"$SCRATCH/repo.json"
jq -r .webhook_secret "$SCRATCH/repo.json" >"$SCRATCH/secret"
is "$(wc -c <"$SCRATCH/secret")" 65 "repository added, its webhook secret shown once"

# The patterns: every secret in the clear, and the master key's hex.
{
	cat "$SCRATCH/password" "$SCRATCH/token" "$SCRATCH/secret"
	cut -d' ' -f2 "$keyfile"
} >"$SCRATCH/patterns"
is "$(grep -c . "$SCRATCH/patterns")" 4 "four secrets to look for"

pg_dump -U postgres -d "$PGDATABASE" >"$SCRATCH/dump.sql"
ok "the dump holds the org" grep -q "$org" "$SCRATCH/dump.sql"
ok "and the user's bcrypt hash" grep -q "ana@$org.invalid.*\\\$2b\\\$" "$SCRATCH/dump.sql"
# A sealed blob starts with its org key version, 4 bytes big endian.
ok "and the repository's sealed secrets" grep -q "$org/app.*\\\\x0000000[0-9a-f]" "$SCRATCH/dump.sql"
found=$(grep -c -F -f "$SCRATCH/patterns" "$SCRATCH/dump.sql")
is "$found" 0 "no plaintext secret, token, password or key in the dump"
found=$(cat "$LETHE_RUN"/log/* 2>/dev/null | grep -c -F -f "$SCRATCH/patterns")
is "$found" 0 "nor in Lethe's logs"
