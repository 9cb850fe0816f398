#!/bin/bash
# A scan's SARIF export through nginx validates against the SARIF 2.1.0
# schema, carries a fingerprint per result and triage as suppressions, and
# holds no source text.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 10

api_scanned_repo github acme/sarif
finding=$(sql -c "SELECT min(finding_id) FROM lethe.scan_findings WHERE scan_id = $scan")
req PUT "/api/v1/findings/$finding/triage" "$at" '{"state":"suppressed","reason":"vendored code","expires_at":"2099-01-01T00:00:00Z"}'
is "$STATUS" 200 "a finding is suppressed with a reason and an expiry"

req GET "/api/v1/scans/$scan/sarif" "$at"
printf '%s' "$BODY" >"$SCRATCH/scan.sarif"
is "$STATUS" 200 "the SARIF export answers"
schema=$CORPUS/sarif/schema/sarif-schema-2.1.0.json
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$schema" "$SCRATCH/scan.sarif" >"$SCRATCH/validate" 2>&1 <<-'PY'
	import json, sys, jsonschema
	schema = json.load(open(sys.argv[1]))
	doc = json.load(open(sys.argv[2]))
	errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(doc))
	for e in errors:
	    print(list(e.path), e.message)
	sys.exit(1 if errors else 0)
	PY
	is "$?" 0 "it validates against the SARIF 2.1.0 schema"
	[ -s "$SCRATCH/validate" ] && diag "$(head -5 "$SCRATCH/validate")"
else
	skip "python3-jsonschema not installed"
fi
if [ -x "$SARIF_MULTITOOL" ]; then
	ok "the SARIF Multitool validates it too" "$SARIF_MULTITOOL" validate "$SCRATCH/scan.sarif"
else
	skip "SARIF Multitool not installed (scripts/deps)"
fi
is "$(jq -r '.version + " " + (.runs | length | tostring) + " " + .runs[0].tool.driver.name' "$SCRATCH/scan.sarif")" \
	"2.1.0 1 flawfinder" "one run per tool, named"
is "$(jq '[.runs[].results[] | select(.partialFingerprints["lethe/v1"] | test("^[0-9a-f]{16,}$"))] | length' "$SCRATCH/scan.sarif")" 2 \
	"every result carries its fingerprint"
is "$(jq -r '[.runs[].results[] | select(.suppressions) | .suppressions[0].kind + ":" + .suppressions[0].justification] | join(",")' "$SCRATCH/scan.sarif")" \
	"external:suppressed: vendored code" "the triaged finding is exported as suppressed"
is "$(jq '[.. | objects | select(has("snippet") or has("contextRegion") or has("contents") or has("text") and (has("startLine")))] | length' "$SCRATCH/scan.sarif")" 0 \
	"no snippet, context region or file contents anywhere in it"
is "$(jq -r '[.runs[].results[].locations[0].physicalLocation | .artifactLocation.uri + ":" + (.region.startLine | tostring)] | sort | join(" ")' "$SCRATCH/scan.sarif")" \
	"src/a.c:10 src/a.c:20" "locations are paths and lines only"
other=$(api_org "${TAG}b")
api_user "$other" "b@$TAG.test" owner "$pw" >/dev/null
bt=$(api_login "b@$TAG.test" "$pw" | jq -r .access_token)
req GET "/api/v1/scans/$scan/sarif" "$bt"
is "$STATUS" 404 "another org's export of it answers 404"
