#!/bin/bash
# What the dashboard needs of lethe-api: the refresh token as an HttpOnly
# cookie scoped to /api/v1/auth/, refused without the CSRF header or from
# another origin; the scrub log of destroyed checkouts with how each ended;
# the live checkouts with their commit; the queued and running jobs.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 35

api_scanned_repo github "dash/r$TAG"
jar=$SCRATCH/jar
origin=${LETHE_URL%/}

# cookie_req PATH [HEADER...]: POST with the cookie jar, no body; $STATUS,
# $BODY, the answer's headers in $SCRATCH/hdr.
cookie_req() {
	local path=$1
	shift
	STATUS=$(curl -s -o "$SCRATCH/resp" -D "$SCRATCH/hdr" -w '%{http_code}' -X POST -b "$jar" -c "$jar" \
	    "$@" "$LETHE_URL$path")
	BODY=$(cat "$SCRATCH/resp")
}
jar_token() { awk '$6 == "lethe_refresh" { print $7 }' "$jar"; }

printf '%s' "$(jq -nc --arg e "a@$TAG.test" --arg p "$pw" '{email: $e, password: $p, refresh_cookie: true}')" \
	>"$SCRATCH/login.json"
cookie_req /api/v1/auth/login -H 'Content-Type: application/json' --data-binary @"$SCRATCH/login.json"
is "$STATUS $(jq -r .error <<<"$BODY")" \
	"403 cross-site request refused: refresh_cookie needs the X-Lethe-CSRF: 1 header and this site's Origin" \
	"a cookie login without the CSRF header is refused with its reason"
ok "and sets no cookie" test ! -s "$jar" -o -z "$(jar_token)"
csrf=(-H 'X-Lethe-CSRF: 1' -H "Origin: $origin")
cookie_req /api/v1/auth/login -H 'Content-Type: application/json' --data-binary @"$SCRATCH/login.json" -H "Origin: https://evil.example" -H 'X-Lethe-CSRF: 1'
is "$STATUS" 403 "a cookie login from another origin is refused"
cookie_req /api/v1/auth/login -H 'Content-Type: application/json' --data-binary @"$SCRATCH/login.json" "${csrf[@]}"
is "$STATUS" 200 "login with refresh_cookie from this site answers 200"
is "$(jq -r '.refresh_token // "absent"' <<<"$BODY")" absent "the body holds no refresh token"
is "$(jq -r .refresh_cookie <<<"$BODY")" true "the body says the refresh token is in the cookie"
ok "the access token works" test "$(jq -r .access_token <<<"$BODY" | cut -c1-3)" = eyJ
cookie=$(tr -d '\r' <"$SCRATCH/hdr" | sed -n 's/^[Ss]et-[Cc]ookie: //p')
ok "the cookie is HttpOnly, Secure, SameSite=Strict, for /api/v1/auth/ only: $cookie" \
	eval 'grep -q "^lethe_refresh=lethe_[^;]*; Max-Age=[0-9]*; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth/$" <<<"$cookie"'
first=$(jar_token)

cookie_req /api/v1/auth/refresh -H "Origin: $origin"
is "$STATUS" 403 "refresh by cookie without the X-Lethe-CSRF header: 403"
like_csrf=$(jq -r .error <<<"$BODY")
ok "the refusal names the header: $like_csrf" eval 'grep -q "X-Lethe-CSRF" <<<"$like_csrf"'
cookie_req /api/v1/auth/refresh -H 'X-Lethe-CSRF: 1' -H 'Origin: https://evil.example'
is "$STATUS" 403 "refresh by cookie from another origin: 403"
cookie_req /api/v1/auth/refresh -H 'X-Lethe-CSRF: 1'
is "$STATUS" 403 "refresh by cookie without an Origin: 403"
is "$(jar_token)" "$first" "the refusals left the cookie as it was"

forged=lethe_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')
STATUS=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -X POST -H 'X-Lethe-CSRF: 1' -H "Origin: $origin" \
	-H "Cookie: theme=dark; lethe_refresh=$forged; lang=en" "$LETHE_URL/api/v1/auth/refresh")
is "$STATUS $(jq -r .error "$SCRATCH/resp")" "401 invalid or expired refresh token" \
	"the refresh cookie is found among others, and a forged one refused"
cookie_req /api/v1/auth/refresh -H 'X-Lethe-CSRF: 1' -H "Origin: $origin"
is "$STATUS" 200 "refresh by cookie with the header from the same origin: 200"
is "$(jq -r '.refresh_token // "absent"' <<<"$BODY")" absent "the refreshed body holds no refresh token"
second=$(jar_token)
is "$([ -n "$second" ] && [ "$second" != "$first" ] && echo new)" new "the cookie now holds a new refresh token"
at2=$(jq -r .access_token <<<"$BODY")
req GET /api/v1/me "$at2"
is "$(jq -r .user.email <<<"$BODY")" "a@$TAG.test" "the refreshed access token names the user"

# The old token, replayed through the body, is a reuse: the family is revoked.
req POST /api/v1/auth/refresh - "{\"refresh_token\":\"$first\"}"
is "$STATUS" 401 "the rotated-out cookie token, replayed, is refused"
cookie_req /api/v1/auth/refresh -H 'X-Lethe-CSRF: 1' -H "Origin: $origin"
is "$STATUS" 401 "after the reuse the current cookie token is revoked too"
ok "and the answer clears the cookie" grep -qi '^set-cookie: lethe_refresh=; Max-Age=0;' "$SCRATCH/hdr"

# Logout by cookie revokes and clears.
rm -f "$jar"
cookie_req /api/v1/auth/login -H 'Content-Type: application/json' --data-binary @"$SCRATCH/login.json" "${csrf[@]}"
cookie_req /api/v1/auth/logout -H "Origin: $origin"
is "$STATUS" 403 "logout by cookie without the header: 403"
cookie_req /api/v1/auth/logout -H 'X-Lethe-CSRF: 1' -H "Origin: $origin"
is "$(jq -c . <<<"$BODY")" '{"revoked":1}' "logout by cookie revokes its session"
cookie_req /api/v1/auth/refresh -H 'X-Lethe-CSRF: 1' -H "Origin: $origin"
is "$STATUS" 400 "after logout the browser holds no refresh cookie"

# The scrub log: rows as lethe-scan and lethe-scrub write them.
job=$(sql -c "SELECT job_id FROM lethe.scans WHERE id = $scan")
sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, job_id, host, name, backend, cipher, created_at,
        deadline, destroyed_at, destroy_reason, ended, teardown_usec) VALUES
        ($org, $repo, $job, 'h1', 'c$TAG-1', 'luks2', 'aes-xts-plain64', now() - interval '90 s',
         now() + interval '1 hour', now() - interval '30 s', 'scan finished', 'scan', 41000),
        ($org, $repo, NULL, 'h1', 'c$TAG-2', 'fscrypt', 'AES-256-XTS', now() - interval '2 hours',
         now() - interval '1 s', now(), 'deadline passed', 'deadline', 52000),
        ($org, $repo, $job, 'h1', 'c$TAG-3', 'luks2', 'aes-xts-plain64', now() - interval '10 min',
         now() + interval '1 hour', now(), 'lease expired', 'orphaned', 63000),
        ($org, $repo, $job, 'h1', 'c$TAG-4', 'luks2', 'aes-xts-plain64', now(),
         now() + interval '1 hour', NULL, NULL, NULL, NULL)" >/dev/null
req GET /api/v1/checkouts/history "$at"
is "$(jq -c '[.checkouts[] | [.reason, .ended, .destroyed_by, .teardown_usec]]' <<<"$BODY")" \
	'[["lease expired","orphaned","lethe-scrub",63000],["deadline passed","deadline","lethe-scrub",52000],["scan finished","scan","lethe-scan",41000]]' \
	"the scrub log lists the destroyed checkouts, newest first, with how each ended"
is "$(jq '.checkouts[2].lived_ms' <<<"$BODY")" 60000 "how long a checkout lived, in ms"
is "$(jq -r '.checkouts[2].commit_sha' <<<"$BODY")" abcdef1234567 "the scrub log names the commit"
req GET "/api/v1/checkouts/history?limit=2" "$at"
next=$(jq -r .next_before <<<"$BODY")
req GET "/api/v1/checkouts/history?limit=2&before=$next" "$at"
is "$(jq -r '[.checkouts[].reason] | join(",")' <<<"$BODY")" "scan finished" "the log pages with before"
req GET "/api/v1/checkouts/history?limit=0" "$at"
is "$STATUS $(jq -r .error <<<"$BODY")" "400 repository and before must be ids, limit 1 to 500" \
	"a bad limit is refused with its reason"

req GET /api/v1/checkouts "$at"
is "$(jq -c '[.checkouts[] | [.commit_sha, .branch]]' <<<"$BODY")" '[["abcdef1234567",null]]' \
	"a live checkout names its commit; destroyed ones are not live"

# Jobs: queued and running only, another org's never (the stack's scan loop
# paused, so that the queued job stays queued).
pause_jobs
sql -c "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, branch, state)
        VALUES ($org, $repo, 'feed123456789', 'dev', 'queued')" >/dev/null
other=$(api_org "${TAG}b")
api_user "$other" "b@$TAG.test" admin "$pw" >/dev/null
bt=$(api_login "b@$TAG.test" "$pw" | jq -r .access_token)
req GET /api/v1/jobs "$at"
is "$(jq -c '[.jobs[] | [.state, .commit_sha, .branch]]' <<<"$BODY")" '[["queued","feed123456789","dev"]]' \
	"the jobs route lists the queued job, not the finished one"
req GET /api/v1/jobs "$bt"
jobs_b=$(jq -c .jobs <<<"$BODY")
req GET /api/v1/checkouts/history "$bt"
is "$jobs_b $(jq -c .checkouts <<<"$BODY")" "[] []" "another org sees neither the jobs nor the scrub log"

# Findings of a pull request: those a scan of it saw; a finding lists its scans.
sql -c "WITH s AS (INSERT INTO lethe.scans (org_id, repository_id, commit_sha, pr_number, state, finished_at)
        VALUES ($org, $repo, 'abcdef1234568', 7, 'complete', now()) RETURNING id)
        INSERT INTO lethe.scan_findings (scan_id, finding_id, org_id) SELECT s.id, f.id, $org
        FROM s, lethe.findings f WHERE f.repository_id = $repo AND f.rule_id = 'FF1002'" >/dev/null
req GET "/api/v1/findings?pull_request=7" "$at"
is "$(jq -c '[.findings[].rule_id]' <<<"$BODY")" '["FF1002"]' "the pull_request filter keeps what its scans saw"
req GET "/api/v1/findings?pull_request=seven" "$at"
is "$STATUS $(jq -r .error <<<"$BODY")" "400 pull_request must be a pull request number" \
	"a bad pull_request is refused with its reason"
fid=$(sql -c "SELECT id FROM lethe.findings WHERE repository_id = $repo AND rule_id = 'FF1002'")
req GET "/api/v1/findings/$fid" "$at"
is "$(jq -c '[.scans[].commit_sha]' <<<"$BODY")" '["abcdef1234567","abcdef1234568"]' \
	"a finding lists the scans that saw it"
