#!/bin/bash
# No source text leaves the sandbox: markers planted in the expressions,
# string literals and variable names of C, shell and Python files (which
# cppcheck, shellcheck and bandit quote in their own messages) are, after a
# pull-request scan reported to the stand-in GitHub API with a check run
# and a comment, in no database dump, log, API answer, SARIF export or
# request the stand-in received; the findings carry the rules' texts.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/api-lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2206
api_need
plan 12
pause_jobs

M=zq$(openssl rand -hex 8)
mkdir -p "$SCRATCH/src"
cat >"$SCRATCH/src/mark.c" <<C
#include <stdio.h>
#include <string.h>
int ${M}fn(const char *${M}p, int ${M}x)
{
	char ${M}buf[10];
	if (${M}x == 1 && ${M}x == 2)
		return 1;
	if (strcmp(${M}p, "${M}lit") == 0 || strcmp(${M}p, "${M}lit") == 0)
		return 2;
	${M}buf[10] = 0;
	strcpy(${M}buf, ${M}p);
	printf(${M}p);
	return ${M}buf[0];
}
C
cat >"$SCRATCH/src/mark.sh" <<SH
#!/bin/sh
${M}var=\$1
rm -rf \$${M}var/*
echo \$${M}unset
cd ${M}dir
SH
cat >"$SCRATCH/src/mark.py" <<PY
import subprocess
def ${M}f(${M}arg, password="${M}default"):
    subprocess.call(${M}arg, shell=True)
    assert ${M}arg
PY

vcs_app_standin 78
vcs_source

scan_org t2206
vcs_github_repo
vcs_app "$REPO" 78 "$INST" check-run+comment "$SD/app.pem" >/dev/null

job=$(vcs_hub_pr X-GitHub-Event X-GitHub-Delivery X-Hub-Signature-256 sha256= opened "$SHA1")
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" done "the pull-request scan is done"
is "$(q "SELECT string_agg(tool || ' ' || rule_id || ': ' || message, '; ' ORDER BY tool, rule_id)
	FROM lethe.findings WHERE repository_id = ${REPO:-0} AND rule_id IN ('knownConditionTrueFalse',
	'incorrectLogicOperator', 'SC2154', 'B107')")" \
	"bandit B107: possible password as an argument default; cppcheck incorrectLogicOperator: comparisons joined so that the result never changes; cppcheck knownConditionTrueFalse: condition with a value known in advance; shellcheck SC2154: variable referenced but never assigned" \
	"the scanners flagged the planted lines, and the findings carry their rules' texts"
ok "the check run annotated the findings" \
	jq -e -s '[.[] | select(.path | startswith("/repos/acme/app/check-runs")) | .body.output.annotations | length] | add > 0' "$LOG"
ok "and a comment listed them" \
	jq -e -s '[.[] | select(.method == "POST" and .path == "/repos/acme/app/issues/7/comments")] | length == 1' "$LOG"

pw=$(openssl rand -hex 12)
api_user "$ORG" "a@$TAG.test" admin "$pw" >/dev/null
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
req GET "/api/v1/findings?repository=$REPO&limit=200" "$at"
printf '%s' "$BODY" >"$SCRATCH/findings.json"
scan=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job:-0}")
req GET "/api/v1/scans/$scan/sarif" "$at"
printf '%s' "$BODY" >"$SCRATCH/scan.sarif"
ok "the API lists the findings" jq -e '.findings | length > 3' "$SCRATCH/findings.json"
ok "and exports them as SARIF" jq -e '[.runs[].results[]] | length > 3' "$SCRATCH/scan.sarif"
pg_dump -U postgres lethe >"$SCRATCH/dump.sql"

# absent FILE DESC: the marker is nowhere in FILE (which must exist).
absent() {
	local r=2
	[ -s "$1" ] && { grep -rqaF -e "$M" "$1"; r=$?; }
	ok "$2" test "$r" = 1
}
absent "$SCRATCH/dump.sql" "no marker in pg_dump"
absent "$LETHE_RUN/log" "nor in the stack's logs"
absent "$SCRATCH/scan.log" "nor in lethe-scan's"
absent "$LOG" "nor in any request the stand-in VCS received"
absent "$SCRATCH/findings.json" "nor in the API's findings or"
absent "$SCRATCH/scan.sarif" "the SARIF export"
