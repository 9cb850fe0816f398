#!/bin/bash
# A fix's proposed patch is stored only sealed under the org key, bound to
# its fix, until a deadline no later than two hours after sealing; an org
# key rotation re-seals it; past its deadline it no longer opens and
# lethe-scrub destroys it, with an audit event.  Its text is in no database
# dump or log.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/model-lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
SEAL=$TOP/build/tests/helpers/fix-seal
for b in "$SEAL" "$TOP/bin/lethe-scrub" "$TOP/bin/lethectl"; do
	[ -x "$b" ] || skip_all "$b not built"
done
[ "$(id -u)" = 0 ] || skip_all "lethe-scrub needs root"
plan 14

scan_org fixseal
fix_fixture
org=$(q "SELECT id FROM lethe.orgs WHERE name = '$ORG'")
marker=lethe-marker-$(openssl rand -hex 8)
printf -- '--- a/app/server.py\n+++ b/app/server.py\n@@ -1 +1 @@\n-x\n+%s\n' "$marker" >"$SCRATCH/patch"

ok "the patch is sealed" "$SEAL" seal "$org" "$FIX" "$SCRATCH/patch"
ok "and opens again, unchanged" cmp <("$SEAL" open "$org" "$FIX") "$SCRATCH/patch"
age=$(sed -n 's/^checkout_max_age = //p' "$LETHE_CONFIG")
is "$(q "SELECT extract(epoch FROM deadline - sealed_at)::int, patch_bytes FROM lethe.fixes WHERE id = $FIX")" \
	"${age:-6600}|$(stat -c %s "$SCRATCH/patch")" "its deadline is checkout_max_age after sealing"
pg_dump -n lethe >"$SCRATCH/dump.sql"
absent "the database dump holds only its ciphertext" "$marker" "$SCRATCH/dump.sql"

ok "an org key rotation re-seals it" "$TOP/bin/lethectl" keys rotate-org "$ORG"
is "$(q "SELECT get_byte(patch_enc, 3) FROM lethe.fixes WHERE id = $FIX")" 2 \
	"under the org key's new version"
ok "it still opens" cmp <("$SEAL" open "$org" "$FIX") "$SCRATCH/patch"

FIX2=$(q "WITH f AS (INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool,
	rule_id, level, path, message) SELECT org_id, repository_id, branch, md5(random()::text), tool,
	rule_id, level, path, message FROM lethe.findings WHERE id = $FINDING RETURNING id)
	INSERT INTO lethe.fixes (org_id, finding_id) SELECT $org, id FROM f RETURNING id")
q "UPDATE lethe.fixes f SET patch_enc = o.patch_enc, sealed_at = o.sealed_at, deadline = o.deadline
   FROM lethe.fixes o WHERE o.id = $FIX AND f.id = $FIX2" >/dev/null
must_fail "copied to another fix it does not open" --says 'does not open' "$SEAL" open "$org" "$FIX2"
must_fail "the schema refuses a deadline past two hours" --says fixes_patch_deadline \
	q "UPDATE lethe.fixes SET deadline = sealed_at + interval '2 hours 1 second' WHERE id = $FIX"


q "UPDATE lethe.fixes SET state = 'proposed', sealed_at = now() - interval '3 hours',
   deadline = now() - interval '1 hour' WHERE id = $FIX" >/dev/null
must_fail "past its deadline it no longer opens" --says 'no sealed patch' "$SEAL" open "$org" "$FIX"
"$TOP/bin/lethe-scrub" >>"$SCRATCH/scrub.log" 2>&1
is "$(q "SELECT state, destroy_reason, patch_enc IS NULL, destroyed_at IS NOT NULL FROM lethe.fixes
	WHERE id = $FIX")" "expired|expired|t|t" "lethe-scrub destroyed it and marked the fix expired"
is "$(q "SELECT count(*) FROM lethe.audit_events WHERE target = 'fix:$FIX'
	AND action = 'fix patch destroyed' AND actor = 'lethe-scrub'")" 1 "with one audit event"
is "$(q "SELECT patch_enc IS NOT NULL FROM lethe.fixes WHERE id = $FIX2")" t \
	"a patch before its deadline is left alone"
absent "no log holds the patch" "$marker" "$LETHE_RUN/log" "$SCRATCH/scrub.log"
