#!/bin/bash
# The dashboard in a real browser (tests/dashboard-browser.mjs: Debian's
# chromium through playwright-core, axe-core for accessibility) against the
# local stack: a real scan held after its clone shows as a live checkout
# with a countdown, then leaves for the scrub log; findings on files named
# like markup are shown as text under the CSP; triage, connect, disconnect,
# audit chain, API keys, a member's view, another org's id.  Screenshots of
# every page at 1280x800 and 390x844 go to build/screenshots/.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
# shellcheck source=tests/scan-lib.sh
. "$TOP/tests/scan-lib.sh"
scan_need
# shellcheck source=tests/api-lib.sh
. "$TOP/tests/api-lib.sh"
api_need
BROWSER_TOOLS=$TOP/build/tools/browser
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium (scripts/deps installs Debian's chromium)"
[ -d "$BROWSER_TOOLS/node_modules/playwright-core" ] && [ -d "$BROWSER_TOOLS/node_modules/axe-core" ] ||
	skip_all "playwright-core or axe-core missing from build/tools/browser (scripts/deps installs them)"
plan 53
pause_jobs

# A repository with a C and two shell files, these named like markup: the
# directory '<script>window.__lethe_xss=2<' holds 'script>.sh'.
img='<img src=x onerror=window.__lethe_xss=1>.sh'
script='<script>window.__lethe_xss=2</script>.sh'
mkdir -p "$SCRATCH/src/<script>window.__lethe_xss=2<"
printf 'int main(void) { char b[4]; gets(b); return 0; }\n' >"$SCRATCH/src/m.c"
printf '#!/bin/sh\necho $1\n' >"$SCRATCH/src/$img"
printf '#!/bin/sh\necho $1\n' >"$SCRATCH/src/$script"
name=dash-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org dash
repo=$(scan_repo "$ORG" "$name" "$url")
pw=$(openssl rand -hex 12)
api_user "$ORG" "owner@$TAG.test" owner "$pw" >/dev/null
api_user "$ORG" "member@$TAG.test" member "$pw" >/dev/null
other=$(api_org "${TAG}b")
other_repo=$(sql -c "INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	VALUES ($other, 'github', 'other/r$TAG', 'https://example.invalid/r.git', 'other${TAG}aaaaaaaaaaaaaaaaaaaaaaaa')
	RETURNING id")
on_exit "sql -c 'DELETE FROM lethe.orgs WHERE id = $other' >/dev/null"

# The scan, held after its clone while $SCRATCH/pause exists (the browser
# script removes it).  Older queued jobs may come first: run until this job
# has had its checkout.
job=$(scan_job "$repo" "$sha")
scan_config "test_pause_file = $SCRATCH/pause"
touch "$SCRATCH/pause"
on_exit "rm -f '$SCRATCH/pause'"
(
	for _ in $(seq 20); do
		LETHE_CONFIG=$SCRATCH/lethe.conf timeout 600 "$TOP/bin/lethe-scan" --once >>"$SCRATCH/scan.log" 2>&1
		[ -n "$(q "SELECT 1 FROM lethe.checkouts WHERE job_id = $job")" ] && break
	done
) &
scanner=$!
on_exit "kill $scanner 2>/dev/null"
co=
for _ in $(seq 1200); do
	co=$(q "SELECT id FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")
	[ -n "$co" ] && break
	sleep 0.1
done
ok "the held scan has a live checkout" test -n "$co"

SHOTS=$TOP/build/screenshots
rm -rf "$SHOTS"
BROWSER_TOOLS=$BROWSER_TOOLS LETHE_URL=$LETHE_URL DASH_PASSWORD=$pw DASH_OWNER=owner@$TAG.test \
DASH_MEMBER=member@$TAG.test DASH_REPO=$repo DASH_REPO_NAME=$ORG/$name DASH_CHECKOUT=${co:-0} \
DASH_PAUSE=$SCRATCH/pause DASH_OTHER_REPO=$other_repo SHOTS=$SHOTS DASH_XSS_IMG=$img DASH_XSS_SCRIPT=$script \
	timeout 900 node "$TOP/tests/dashboard-browser.mjs" >"$SCRATCH/browser.out" 2>"$SCRATCH/browser.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) _tap_result 0 "${line#ok - }" ;;
	"not ok - "*) _tap_result 1 "${line#not ok - }" ;;
	*) diag "$line" ;;
	esac
done <"$SCRATCH/browser.out"
[ $rc = 0 ] || { diag "the browser script exited $rc:"; tail -n 15 "$SCRATCH/browser.err" | sed 's/^/# /' >&2; }
is "$rc" 0 "the browser script ran to its end"
wait "$scanner"
is "$(q "SELECT count(*) FROM lethe.checkouts WHERE job_id = $job")" 0 \
	"the disconnect deleted the scan's checkout row too"
is "$(find "$SHOTS" -name '*-1280.png' | wc -l) $(find "$SHOTS" -name '*-390.png' | wc -l)" "10 10" \
	"a screenshot of each page at 1280x800 and at 390x844"
# t4999 has already run: the answers lethe-api gave the dashboard are checked here.
is "$(grep 'which its route does not list' "$LETHE_RUN/log/lethe-api.log" | sort | uniq -c | head -5)" "" \
	"every answer lethe-api gave was a status its route documents"
