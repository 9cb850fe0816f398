#!/bin/bash
# The fix routes of lethe-api: an admin asks for a fix of an open finding
# (one on the way at a time), reads it with its patch opened from its seal
# for that answer only, and rejects it, which destroys the sealed patch at
# once; each step is an audit event; another org's fix is not found; a
# finding carries its newest fix's id and state.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/api-lib.sh"
api_need
SEAL=$TOP/build/tests/helpers/fix-seal
[ -x "$SEAL" ] || skip_all "$SEAL not built"
plan 24

api_scanned_repo github acme/app
finding=$(sql -c "SELECT min(finding_id) FROM lethe.scan_findings WHERE scan_id = $scan")
marker=lethe-marker-$(openssl rand -hex 8)

req POST "/api/v1/findings/$finding/fix" "$at" '{"instruction":"keep the API"}'
is "$STATUS" 201 "an admin asks for a fix"
fix=$(jq -r .id <<<"$BODY")
is "$(jq -c '[.finding, .state, .instruction, .patch]' <<<"$BODY")" "[$finding,\"queued\",\"keep the API\",null]" \
	"it is queued, for that finding, with the instruction"
is "$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'fix.request' AND target = 'fix:$fix'")" 1 \
	"the request is an audit event"
req GET "/api/v1/findings/$finding" "$at"
is "$(jq -c .fix <<<"$BODY")" "{\"id\":$fix,\"state\":\"queued\"}" "the finding carries its fix's id and state"
req POST "/api/v1/findings/$finding/fix" "$at" '{}'
is "$STATUS $(jq -r .error <<<"$BODY")" "409 the finding has a fix on the way already" \
	"a second fix of the same finding is refused while one is on the way"
other=$(sql -c "INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id,
	level, path, message) VALUES ($org, $repo, 'main', md5(random()::text), 'bandit', 'B602', 'error',
	'a.py', 'm') RETURNING id")
req POST "/api/v1/findings/$other/fix" "$at" "{\"instruction\":\"$(printf 'x%.0s' $(seq 2001))\"}"
is "$STATUS" 400 "an instruction over 2000 characters is refused"
req POST "/api/v1/findings/$other/fix" "$at" '{"instruction":7}'
is "$STATUS" 400 "an instruction that is not a string is refused"
is "$(sql -c "SELECT count(*) FROM lethe.fixes WHERE finding_id = $other")" 0 "and neither made a fix"
req GET "/api/v1/findings?repository=$repo" "$at"
is "$(jq -c "[.findings[] | select(.id == $other or .id == $finding) | .fix.state]" <<<"$BODY")" '[null,"queued"]' \
	"the list gives each finding its fix, null for none"
sql -c "UPDATE lethe.findings SET state = 'fixed' WHERE id = $other" >/dev/null
req POST "/api/v1/findings/$other/fix" "$at" '{}'
is "$STATUS $(jq -r .error <<<"$BODY")" "409 the finding is fixed already" "a fixed finding gets no fix"
req POST /api/v1/findings/999999999/fix "$at" '{}'
is "$STATUS" 404 "nor a finding that does not exist"

req GET "/api/v1/fixes/$fix" "$at"
is "$STATUS $(jq -c '[.state, .patch, .deadline]' <<<"$BODY")" '200 ["queued",null,null]' \
	"before a patch is sealed the fix has none"
printf -- '--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x\n+%s\n' "$marker" >"$SCRATCH/patch"
sql -c "UPDATE lethe.fixes SET state = 'proposed' WHERE id = $fix" >/dev/null
ok "a patch is sealed for it (as the fix job will)" "$SEAL" seal "$org" "$fix" "$SCRATCH/patch"
req GET "/api/v1/fixes/$fix" "$at"
is "$STATUS $(jq -r .state <<<"$BODY")" "200 proposed" "the admin reads the proposed fix"
ok "with its patch, opened from the seal" cmp <(jq -j .patch <<<"$BODY") "$SCRATCH/patch"
is "$(jq -r '.patch_bytes, (.deadline != null)' <<<"$BODY" | tr '\n' ' ')" "$(stat -c %s "$SCRATCH/patch") true " \
	"its size and deadline"

at1=$at
TAG=${TAG}o api_scanned_repo github acme/other
req GET "/api/v1/fixes/$fix" "$at"
is "$STATUS" 404 "another org's admin does not find it"
req POST "/api/v1/fixes/$fix/reject" "$at"
is "$STATUS" 404 "nor rejects it"

req POST "/api/v1/fixes/$fix/reject" "$at1"
is "$STATUS $(jq -c '[.state, .destroy_reason]' <<<"$BODY")" '200 ["rejected","rejected"]' \
	"the admin rejects it"
is "$(sql -c "SELECT patch_enc IS NULL, destroyed_at IS NOT NULL FROM lethe.fixes WHERE id = $fix")" "t|t" \
	"its sealed patch is destroyed at once"
req GET "/api/v1/findings/$finding" "$at1"
is "$(jq -r .fix.state <<<"$BODY")" rejected "the finding carries its newest fix, rejected"
is "$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'fix.reject' AND target = 'fix:$fix'")" 1 \
	"the rejection is an audit event"
req POST "/api/v1/fixes/$fix/reject" "$at1"
is "$STATUS" 409 "a rejected fix is not rejected again"
pg_dump -n lethe >"$SCRATCH/dump.sql"
absent "the patch is in no database dump or log" "$marker" "$SCRATCH/dump.sql" "$LETHE_RUN/log"
