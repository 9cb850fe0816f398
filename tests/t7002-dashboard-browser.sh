#!/bin/bash
# The dashboard in a real browser (tests/dashboard-browser.mjs: Debian's
# chromium through playwright-core, axe-core for accessibility) against the
# local stack: a real scan held in its sandbox shows as a live checkout
# with a countdown, then leaves for the scrub log, where the checkout of a
# scan killed with SIGKILL shows as orphaned, destroyed by lethe-scrub;
# findings on files named
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
# shellcheck source=tests/browser-lib.sh
. "$TOP/tests/browser-lib.sh"
browser_need
plan 59
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

# Jobs due before any other queued one, so that each lethe-scan --once
# claims the one this test means.
due_first() { q "UPDATE lethe.jobs SET not_before = now() - interval '10 years' WHERE id = $1" >/dev/null; }
# Scans wait in their sandbox, their checkout mounted, until scan_release
# (the browser script runs its command); a short lease, so that a dead
# one's lapses soon.
scan_config "scan_lease = 5" "analyze_path = $(scan_hold)"
on_exit scan_release
# held JOB LOG: lethe-scan in the background until JOB has a live checkout;
# sets pid and co.
held() {
	LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scan" --once >"$2" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid 2>/dev/null"
	co=
	for _ in $(seq 1200); do
		co=$(q "SELECT id FROM lethe.checkouts WHERE job_id = $1 AND destroyed_at IS NULL")
		[ -n "$co" ] && scan_held && break
		sleep 0.1
	done
}

# First a scan killed while it holds its checkout: lethe-scrub destroys the
# checkout once the lease has lapsed, which the scrub log calls orphaned.
dead_repo=$(scan_repo "$ORG" "$name-killed" "$url")
dead_job=$(scan_job "$dead_repo" "$sha")
due_first "$dead_job"
held "$dead_job" "$SCRATCH/killed.log"
dead_co=$co
scan_kill "$pid"
for _ in $(seq 200); do
	[ "$(q "SELECT lease_expires <= now() FROM lethe.jobs WHERE id = $dead_job")" = t ] && break
	sleep 0.1
done
LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scrub" >"$SCRATCH/scrub.log" 2>&1
is "$(q "SELECT destroy_reason FROM lethe.checkouts WHERE id = ${dead_co:-0}")" "lease expired" \
	"lethe-scrub destroyed the killed scan's checkout once its lease lapsed"

# Then the scan the browser watches.
job=$(scan_job "$repo" "$sha")
due_first "$job"
held "$job" "$SCRATCH/scan.log"
scanner=$pid
ok "the held scan has a live checkout" test -n "$co"

SHOTS=$TOP/build/screenshots
rm -rf "$SHOTS"
LETHE_URL=$LETHE_URL DASH_PASSWORD=$pw DASH_OWNER=owner@$TAG.test \
DASH_MEMBER=member@$TAG.test DASH_REPO=$repo DASH_REPO_NAME=$ORG/$name DASH_CHECKOUT=${co:-0} \
DASH_RELEASE=$(scan_release_command) DASH_SCRUBBED=${dead_co:-0} DASH_KEPT_REPO=$dead_repo DASH_OTHER_REPO=$other_repo SHOTS=$SHOTS DASH_XSS_IMG=$img DASH_XSS_SCRIPT=$script \
	browser_run dashboard-browser.mjs
wait "$scanner"
is "$(q "SELECT count(*) FROM lethe.checkouts WHERE job_id = $job")" 0 \
	"the disconnect deleted the scan's checkout row too"
is "$(find "$SHOTS" -name '*-1280.png' | wc -l) $(find "$SHOTS" -name '*-390.png' | wc -l)" "10 10" \
	"a screenshot of each page at 1280x800 and at 390x844"
# t4999 has already run: the answers lethe-api gave the dashboard are checked here.
is "$(grep 'which its route does not list' "$LETHE_RUN/log/lethe-api.log" | sort | uniq -c | head -5)" "" \
	"every answer lethe-api gave was a status its route documents"
