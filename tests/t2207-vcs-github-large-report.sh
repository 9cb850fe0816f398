#!/bin/bash
# A large report that GitHub's own API description accepts: a repository
# with 1,000 findings in files whose long names are multi-byte, scanned
# through the stack and reported to the stand-in GitHub, which holds every
# request to @octokit/openapi's description of api.github.com and to the
# documented limits.  The check run gets its 1,000 annotations 50 at a time
# and a summary within 65,535 characters, the commit status a description
# within 140, and the one comment stays within 65,536 characters, ending its
# list with the overflow line; no request is refused.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2207
plan 10
pause_jobs

vcs_app_standin 79

# 1,000 shell scripts, each with one unquoted expansion (shellcheck SC2086),
# in a directory and under names of two- and three-byte characters, each
# name near the 255-byte limit of a file name.
src=$SCRATCH/src
dir="$src/données-ünïcödé"
mkdir -p "$dir"
long=$(printf 'ñ%.0s' $(seq 50))$(printf '字%.0s' $(seq 40))
for i in $(seq -w 1 1000); do
	printf '#!/bin/sh\nrm -f $1\n' >"$dir/${long}-$i.sh"
done
vcs_source

scan_org vcslarge
vcs_github_repo
vcs_app "$REPO" 79 "$INST" check-run+comment "$SD/app.pem" >/dev/null

job=$(vcs_hub_pr X-GitHub-Event X-GitHub-Delivery X-Hub-Signature-256 sha256= opened "$SHA1")
scan_until_done "$job"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $REPO AND state = 'open'
	AND tool = 'shellcheck' AND rule_id = 'SC2086' AND path LIKE 'données-ünïcödé/ñ%字-%.sh'")" 1000 \
	"the scan stores 1,000 findings under their multi-byte names"

# The same commit again, reported as a commit status this time.
"$TOP/bin/lethectl" repo set --report-mode status+comment "$REPO" >/dev/null
job2=$(vcs_hub_pr X-GitHub-Event X-GitHub-Delivery X-Hub-Signature-256 sha256= reopened "$SHA1")
scan_until_done "$job2"

api() { jq -c 'select(.path | startswith("/repos/acme/app/") or startswith("/app/"))' "$LOG"; }
is "$(api | jq -s '[.[] | select(.status >= 300)] | length')" 0 \
	"the stand-in GitHub accepted every request: $(api | jq -s -c '[.[] | select(.status >= 300) | {path, status, openapi_error}] | .[:3]')"
ok "every request named an operation of GitHub's description, every body was valid against it" \
	jq -e -s '[.[] | .openapi] | all and length > 0' <(api)
# check METHODS PATH EXPR: EXPR of each request whose method and path match
# the regexes, as a JSON array (empty when none: the callers count them)
check() { jq -s "[.[] | select((.method | test(\"^($1)\$\")) and (.path | test(\"$2\"))) | $3]" <(api); }
is "$(check 'POST|PATCH' '/check-runs' '.body.output.annotations // [] | length' |
	jq -c 'map(select(. > 0)) | [add, max, length]')" \
	"[1000,50,20]" "the check run got its 1,000 annotations 50 at a time, in 20 requests"
ok "the check run's summaries stay within 65,535 characters" \
	jq -e 'length > 0 and all(. <= 65535)' <(check 'POST|PATCH' '/check-runs' '.body.output.summary | length')
name=$(q "SELECT path FROM lethe.findings WHERE repository_id = $REPO ORDER BY path LIMIT 1")
ok "an annotation names its file exactly, multi-byte characters and all" \
	jq -e --arg p "$name" 'flatten | map(.path) | index($p) != null' \
	<(check 'POST|PATCH' '/check-runs' '.body.output.annotations // []')
is "$(check POST '/statuses/' '.body.description | length <= 140' | jq -c .)" "[true]" \
	"the second scan's commit status was accepted, its description within 140 characters"

comments=$(check 'POST|PATCH' '/issues/(7/)?comments' '.body.body')
is "$(jq -c '[length, (map(length) | max <= 65536)]' <<<"$comments")" "[2,true]" \
	"one comment, then its edit, each within 65,536 characters"
last=$(jq -r 'last' <<<"$comments")
ok "the comment ends its list of findings with the overflow line" \
	grep -qE '^[0-9]+ more findings: see the dashboard' <<<"$last"
ok "the comment's names were cut on character boundaries (its JSON parsed, no U+FFFD)" \
	eval '[ -n "$last" ] && ! grep -q $'"'"'\xef\xbf\xbd'"'"' <<<"$last"'
