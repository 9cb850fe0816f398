#!/bin/bash
# The API over a real scan (lethe-scan on the stack, not fixture rows): the
# scan and its findings are listed, the SARIF export validates against the
# 2.1.0 schema and holds no line of the scanned code nor a marker planted
# in it, and disconnecting the repository removes every row about it with
# non-zero counts.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
# shellcheck source=tests/scan-lib.sh
. "$TOP/tests/scan-lib.sh"
scan_need
plan 10
pause_jobs

marker=lethe-marker-$(openssl rand -hex 16)
cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
printf '/* %s */\n' "$marker" >>"$SCRATCH/src/src/copy.c"
name=t4010-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org t4010
repo=$(scan_repo "$ORG" "$name" "$url")
job=$(scan_job "$repo" "$sha")
ok "lethe-scan scans the repository" scan_until_done "$job"

pw=$(openssl rand -hex 12)
api_user "$ORG" "a@$TAG.test" admin "$pw" >/dev/null
at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
req GET "/api/v1/scans?repository=$repo" "$at"
scan=$(jq -r '.scans[0].id' <<<"$BODY")
is "$(jq -r '.scans | map(.state + " " + .commit_sha) | join(",")' <<<"$BODY")" "complete $sha" \
	"the API lists the scan of the pushed commit"
req GET "/api/v1/findings?repository=$repo&limit=200" "$at"
nfind=$(jq '.findings | length' <<<"$BODY")
ok "and its findings ($nfind)" test "$nfind" -gt 0

req GET "/api/v1/scans/$scan/sarif" "$at"
printf '%s' "$BODY" >"$SCRATCH/scan.sarif"
python3 - "$CORPUS/sarif/schema/sarif-schema-2.1.0.json" "$SCRATCH/scan.sarif" <<-'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print("#", list(e.path), e.message, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
is "$?" 0 "the SARIF export of a real scan validates against the 2.1.0 schema"
is "$(jq '[.runs[].results[]] | length' "$SCRATCH/scan.sarif")" "$nfind" "it holds every finding of the scan"
absent "it holds no trace of the marker planted in the code" "$marker" "$SCRATCH/scan.sarif"
# Every line of the scanned files with some substance, looked for verbatim.
found=0
while IFS= read -r line; do
	line=$(sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"$line")
	[ ${#line} -ge 24 ] || continue
	grep -qF -- "$line" "$SCRATCH/scan.sarif" && { found=$((found + 1)); diag "source line in export: $line"; }
done < <(find "$SCRATCH/src" -type f -exec cat {} +)
is "$found" 0 "nor any line of the scanned source"

req DELETE "/api/v1/repositories/$repo" "$at"
is "$STATUS" 200 "the scanned repository is disconnected"
ok "with non-zero counts of scans, findings, jobs and secrets" \
	test "$(jq '.deleted | [.scans, .findings, .jobs, .secrets] | map(select(. > 0)) | length' <<<"$BODY")" = 4
pg_dump --data-only --schema=lethe --exclude-table=lethe.audit_events >"$SCRATCH/dump.sql"
is "$(grep -cF -e "$ORG/$name" -e "$marker" "$SCRATCH/dump.sql")" 0 \
	"a database dump (audit log aside) names it no more"
