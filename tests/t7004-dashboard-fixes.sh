#!/bin/bash
# Fixes of findings in a real browser (tests/dashboard-fixes.mjs, run as
# t7002 runs its script): an admin asks for a fix from the Findings page and
# sees it queued; its fix view, polling, shows it proposed once its patch is
# sealed (by fix-seal, as the fix job would), the diff as text with its
# lines marked, a countdown to the deadline; approving it, after a
# confirmation, queues its push job, and once pushed the view shows the
# branch and a link to the pull request; another proposed fix is rejected
# and its sealed patch destroyed; a member sees the states and no fix
# action.  axe-core finds no violation on the fix view.  Screenshots go to
# build/screenshots-fixes/.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$TOP/tests/api-lib.sh"
api_need
# shellcheck source=tests/browser-lib.sh
. "$TOP/tests/browser-lib.sh"
browser_need
SEAL=$TOP/build/tests/helpers/fix-seal
[ -x "$SEAL" ] || skip_all "$SEAL not built"
plan 30
# Nothing but this test moves the fixes on: no job of the stack runs.
pause_jobs

api_scanned_repo github "acme/fixes$TAG"
api_user "$org" "m@$TAG.test" member "$pw" >/dev/null
read -r finding other <<<"$(sql -c "SELECT string_agg(finding_id::text, ' ' ORDER BY finding_id)
	FROM lethe.scan_findings WHERE scan_id = $scan")"
on_exit "sql -c 'DELETE FROM lethe.orgs WHERE id = $org' >/dev/null"

# The patch a fix job would propose; one line holds markup, shown as text.
printf -- '--- a/src/a.c\n+++ b/src/a.c\n@@ -9,3 +9,3 @@ void copy(char *dst, const char *src)\n {\n-\tstrcpy(dst, src);\n+\tstrlcpy(dst, src, DST_MAX); /* <img src=x onerror=window.__lethe_xss=1> */\n }\n' \
	>"$SCRATCH/patch"
# step propose FIX | step push FIX: what lethe-fix does to fix FIX, as the
# browser script needs it done: its patch sealed, or its branch pushed and
# pull request opened (the sealed patch destroyed).
cat >"$SCRATCH/step" <<-SH
	#!/bin/bash
	set -e
	case \$1 in
	propose)
		psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE lethe.fixes SET state = 'proposed' WHERE id = \$2"
		"$SEAL" seal $org "\$2" "$SCRATCH/patch" ;;
	push)
		psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE lethe.fixes SET state = 'pushed',
			branch = 'lethe/fix-' || finding_id || '-1', pr_number = 7,
			pr_url = 'https://example.invalid/acme/app/pull/7', pushed_at = now(), patch_enc = NULL,
			destroyed_at = now(), destroy_reason = 'pushed' WHERE id = \$2" ;;
	esac
SH
chmod +x "$SCRATCH/step"

# The other finding has a proposed fix already, for the browser to reject.
req POST "/api/v1/findings/$other/fix" "$at" '{}'
fix2=$(jq -r .id <<<"$BODY")
sql -c "UPDATE lethe.fixes SET state = 'proposed' WHERE id = $fix2" >/dev/null
ok "a proposed fix of the other finding, its patch sealed" "$SEAL" seal "$org" "$fix2" "$SCRATCH/patch"

SHOTS=$TOP/build/screenshots-fixes
rm -rf "$SHOTS"
LETHE_URL=$LETHE_URL DASH_PASSWORD=$pw DASH_ADMIN=a@$TAG.test DASH_MEMBER=m@$TAG.test DASH_REPO=$repo \
DASH_FINDING=$finding DASH_FIX2=$fix2 DASH_STEP=$SCRATCH/step SHOTS=$SHOTS \
	browser_run dashboard-fixes.mjs

fix1=$(sql -c "SELECT max(id) FROM lethe.fixes WHERE finding_id = $finding")
is "$(sql -c "SELECT instruction, approved_by IS NOT NULL FROM lethe.fixes WHERE id = ${fix1:-0}")" \
	"keep the function signature|t" "the fix asked for in the browser has its instruction and its approver"
is "$(sql -c "SELECT kind, state FROM lethe.jobs WHERE fix_id = ${fix1:-0} ORDER BY id" | paste -sd' ')" \
	"fix|queued push|queued" "approving it in the browser queued its push job"
is "$(sql -c "SELECT state, patch_enc IS NULL, destroy_reason, rejected_by IS NOT NULL FROM lethe.fixes
	WHERE id = $fix2")" "rejected|t|rejected|t" "the fix rejected in the browser has its sealed patch destroyed"
is "$(sql -c "SELECT count(*) FROM lethe.jobs WHERE fix_id = $fix2 AND kind = 'push'")" 0 \
	"and no push job"
is "$(find "$SHOTS" -name 'fix-*.png' | wc -l)" 6 \
	"screenshots of the list and of the fix view, proposed and pushed, at 1280 and 390 px"
