#!/bin/bash
# lethe-scan end to end: a repository with vulnerable C, shell and Python
# code and a marker made up now; a signed push webhook; the scan runs on an
# encrypted volume; every scanner's findings are stored with paths and
# lines; the checkout is destroyed; the marker (and the token) are found
# nowhere: not in the volume's backing image while it is mounted, the
# database dump, the logs, the spool or the state directory.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 17
pause_jobs

marker=lethe-marker-$(openssl rand -hex 16)
cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
printf '/* %s */\n' "$marker" >>"$SCRATCH/src/src/copy.c"
printf '# %s\n' "$marker" >>"$SCRATCH/src/app/server.py"
name=e2e-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org e2e
org=$ORG
repo=$(scan_repo "$org" "$name" "$url")
is "$(q "SELECT clone_token_enc IS NOT NULL FROM lethe.repositories WHERE id = ${repo:-0}")" t \
	"the repository holds an encrypted clone token"

# The push webhook, signed with the repository's secret, through nginx.
if [ -x "$TOP/bin/lethe-hook" ] && [ -S "$LETHE_RUN/sock/hook.sock" ]; then
	jq -n --arg sha "$sha" --arg name "$org/$name" --arg url "$url" '{
		ref: "refs/heads/main", before: ("0" * 40), after: $sha,
		repository: {full_name: $name, clone_url: $url, default_branch: "main"},
		head_commit: {id: $sha}, pusher: {name: "t2001"}}' >"$SCRATCH/push.json"
	sig=$(sign_hmac_sha256 "$(jq -r .webhook_secret "$SCRATCH/repo-$name.json")" "$SCRATCH/push.json")
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
		"$LETHE_URL$(jq -r .hook_path "$SCRATCH/repo-$name.json")" \
		-H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
		-H "X-GitHub-Delivery: t2001-$$" -H "X-Hub-Signature-256: sha256=$sig" \
		--data-binary @"$SCRATCH/push.json")
	case $code in 2??) _r=0 ;; *) _r=1 ;; esac
	_tap_result $_r "the signed push webhook is accepted ($code)"
	job=$(q "SELECT id FROM lethe.jobs WHERE repository_id = $repo ORDER BY id DESC LIMIT 1")
else
	skip "lethe-hook is not built: the job is queued with psql"
	job=$(scan_job "$repo" "$sha")
fi
is "$(q "SELECT state || ' ' || commit_sha FROM lethe.jobs WHERE id = ${job:-0}")" "queued $sha" \
	"a scan job of the pushed commit is queued"

# Hold the scan in its sandbox before the analysis, while the volume is mounted.
scan_config "analyze_path = $(scan_hold)"
LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.log" 2>&1 &
pid=$!
on_exit "kill $pid 2>/dev/null; scan_release"
for _ in $(seq 300); do
	co=$(q "SELECT id || ' ' || name FROM lethe.checkouts WHERE job_id = $job AND destroyed_at IS NULL")
	[ -n "$co" ] && scan_held && break
	sleep 0.1
done
cname=${co#* }
state_dir=$(sed -n 's/^state_dir = //p' "$LETHE_CONFIG")
run_dir=$(sed -n 's/^run_dir = //p' "$LETHE_CONFIG")
spool_dir=$(sed -n 's/^spool_dir = //p' "$LETHE_CONFIG")
img=$state_dir/volumes/$cname.img
ok "the checkout is mounted and holds the marker (the test can see it)" \
	grep -rqF "$marker" "$run_dir/checkouts/$cname/w/src/copy.c"
ok "the volume's backing image exists" test -s "$img"
sync
absent "the backing image holds no marker while mounted" "$marker" "$img"
absent "the backing image holds no token while mounted" "$LETHE_GIT_TOKEN" "$img"
scan_release
wait "$pid"
is "$?" 0 "lethe-scan --once exits 0"

is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" "done" "the job is done"
scan=$(q "SELECT id FROM lethe.scans WHERE job_id = $job")
is "$(q "SELECT state FROM lethe.scans WHERE id = ${scan:-0}")" complete "the scan is complete"
is "$(q "SELECT string_agg(tool || '=' || status, ',' ORDER BY tool) FROM lethe.scan_tools
	WHERE scan_id = ${scan:-0}")" \
	"bandit=complete,cppcheck=complete,eslint=not_applicable,flawfinder=complete,lethe-advisories=complete,lethe-deps=complete,lethe-markers=complete,lethe-secrets=complete,lethe-workflows=complete,shellcheck=complete" \
	"every scanner and analyzer ran to completion (ESLint has no JavaScript to read), and the match against the advisories"
is "$(q "SELECT string_agg(DISTINCT f.tool, ',' ORDER BY f.tool) FROM lethe.findings f
	JOIN lethe.scan_findings sf ON sf.finding_id = f.id
	WHERE sf.scan_id = ${scan:-0} AND f.path <> '' AND f.start_line > 0")" \
	"bandit,cppcheck,flawfinder,lethe-secrets,shellcheck" \
	"every scanner's findings (and the fixture's hard-coded password) are stored with path and line"
strcpy=$(grep -n 'strcpy(buf' "$SCRATCH/src/src/copy.c" | cut -d: -f1)
is "$(q "SELECT count(*) > 0 FROM lethe.findings WHERE repository_id = $repo
	AND tool = 'flawfinder' AND path = 'src/copy.c' AND start_line = $strcpy")" t \
	"the strcpy in src/copy.c is found at line $strcpy"
is "$(q "SELECT (destroyed_at IS NOT NULL) || ' ' || (teardown_usec > 0) || ' ' || backend
	FROM lethe.checkouts WHERE id = ${co%% *}")" "true true fscrypt" \
	"the checkout is destroyed and its teardown time recorded"
ok "nothing of the volume is left: no image, no mount point" \
	test ! -e "$img" -a ! -e "$run_dir/checkouts/$cname"
is "$(q "SELECT string_agg(action, ',' ORDER BY id) FROM lethe.audit_events
	WHERE target = 'checkout:${co%% *}'")" "checkout created,key zeroed,volume destroyed,scan done" \
	"the audit log records creation, key, destruction and the scan"

pg_dump -U postgres lethe >"$SCRATCH/dump.sql"
where=
for f in "$SCRATCH/dump.sql" "$LETHE_RUN/log" "$spool_dir" "$state_dir" "$run_dir" "$SCRATCH/scan.log"; do
	grep -rqaF -e "$marker" -e "$LETHE_GIT_TOKEN" "$f" 2>/dev/null && where="$where $f"
done
is "$where" "" "neither marker nor token is in pg_dump, the logs, the spool, the state or run directory"
