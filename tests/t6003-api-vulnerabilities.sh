#!/bin/bash
# GET /api/v1/repositories/{id}/vulnerabilities and the advisory on the
# finding: a scanned repository's stored dependencies pin Requests 2.30.0
# (a PyPI name in another case) and requests 2.31.0; importing the real
# advisory of CVE-2023-32681 (fixed in 2.31.0) makes a finding of the first
# without a scan; the API lists it with its advisory, rating and fix, the
# finding carries the advisory; the CycloneDX SBOM gains a vulnerabilities
# section that affects the component and is valid against CycloneDX's 1.5
# schema; another org sees nothing of it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 12
schemas=$TOP/build/tools/cyclonedx-schema

# Validates FILE against CycloneDX 1.5 (the schemas scripts/deps fetched).
cdx_valid() { # FILE
	python3 - "$schemas" "$1" <<-'PY'
	import json, sys
	import jsonschema
	d = sys.argv[1]
	load = lambda n: json.load(open(f"{d}/{n}"))
	bom = load("bom-1.5.SNAPSHOT.schema.json")
	store = {s["$id"]: s for s in (load("spdx.SNAPSHOT.schema.json"), load("jsf-0.82.SNAPSHOT.schema.json"))}
	store["http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json"] = store["http://cyclonedx.org/schema/spdx.schema.json"]
	store["http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json"] = store["http://cyclonedx.org/schema/jsf-0.82.schema.json"]
	resolver = jsonschema.RefResolver.from_schema(bom, store=store)
	errors = list(jsonschema.Draft7Validator(bom, resolver=resolver).iter_errors(json.load(open(sys.argv[2]))))
	for e in errors:
	    print(e.message, list(e.path), file=sys.stderr)
	sys.exit(1 if errors else 0)
	PY
}

api_scanned_repo github acme/vulns
on_exit "sql -c \"DELETE FROM lethe.orgs WHERE id = $org\"; sql -c 'DELETE FROM lethe.advisories'"
sql -c "INSERT INTO lethe.dependencies (org_id, repository_id, scan_id, ecosystem, name, version, direct, manifest_path)
	VALUES ($org, $repo, $scan, 'pypi', 'Requests', '2.30.0', true, 'requirements-dev.txt');
	INSERT INTO lethe.scan_tools (org_id, scan_id, tool, status) VALUES ($org, $scan, 'lethe-deps', 'complete')"
sql -c 'DELETE FROM lethe.advisories'

req GET "/api/v1/repositories/$repo/vulnerabilities" "$at"
is "$STATUS $(jq -c .vulnerabilities <<<"$BODY")" "200 []" "no advisories, no vulnerabilities"

"$TOP/bin/lethectl" --json advisories import "$CORPUS/osv/pypi/GHSA-j8r2-6x86-q33q.json" >"$SCRATCH/imp.json"
ok "importing the advisory finds the stored dependency without a scan" \
	jq -e '.added == 1 and .new_findings >= 1' "$SCRATCH/imp.json"

req GET "/api/v1/repositories/$repo/vulnerabilities" "$at"
is "$STATUS" 200 "a member gets the repository's vulnerabilities"
is "$(jq -r '.vulnerabilities[] | [.manifest, .ecosystem, .package, .version, .advisory, (.aliases | join(",")),
	.severity, .cvss_score, (.fixed | join(",")), .branch] | join(" ")' <<<"$BODY")" \
	"requirements-dev.txt pypi Requests 2.30.0 GHSA-j8r2-6x86-q33q CVE-2023-32681 medium 6.1 2.31.0 main" \
	"the vulnerable package only, with its advisory, CVE, rating, score and fix"
is "$(jq -r '.vulnerabilities[0].summary' <<<"$BODY")" \
	"Unintended leak of Proxy-Authorization header in requests" "with the advisory's summary"

finding=$(jq -r '.vulnerabilities[0].finding' <<<"$BODY")
req GET "/api/v1/findings/$finding" "$at"
is "$(jq -r '[.rule_id, .level, .advisory.advisory, .advisory.modified, .advisory.cvss_vector] | join(" ")' <<<"$BODY")" \
	"lethe/vulnerable-dependency warning GHSA-j8r2-6x86-q33q 2023-09-20T19:19:30+00:00 CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N" \
	"the finding carries its advisory"
req GET "/api/v1/findings?repository=$repo&tool=lethe-advisories" "$at"
is "$(jq '.findings | length' <<<"$BODY")" 1 "it is listed with the repository's findings"

req GET "/api/v1/repositories/$repo/sbom" "$at"
printf '%s' "$BODY" >"$SCRATCH/sbom.json"
ref=$(jq -r '.components[] | select(.name == "Requests") | ."bom-ref"' "$SCRATCH/sbom.json")
is "$(jq -r --arg ref "$ref" '.vulnerabilities[] | [.id, (.references[] | .id + "@" + .source.name),
	.ratings[0].severity, .ratings[0].score, .ratings[0].method, .recommendation, .updated,
	(.affects[] | select(.ref == $ref) | .versions[0].version + ":" + .versions[0].status)] | join(" ")' \
	"$SCRATCH/sbom.json")" \
	"GHSA-j8r2-6x86-q33q CVE-2023-32681@NVD medium 6.1 CVSSv31 Upgrade to 2.31.0 2023-09-20T19:19:30Z 2.30.0:affected" \
	"the SBOM's vulnerabilities section names the advisory, its CVE, rating and fix, and affects the component"
is "$(jq '[.vulnerabilities[].affects[]] | length' "$SCRATCH/sbom.json")" 1 \
	"requests 2.31.0 is not affected"
if [ -s "$schemas/bom-1.5.SNAPSHOT.schema.json" ]; then
	ok "the SBOM is valid against the CycloneDX 1.5 schema" cdx_valid "$SCRATCH/sbom.json"
else
	skip 1 "CycloneDX's schemas are missing (scripts/deps fetches them from the npm registry)"
fi

other=$(api_org "${TAG}x")
on_exit "sql -c \"DELETE FROM lethe.orgs WHERE id = $other\""
api_user "$other" "x@$TAG.test" member "$pw" >/dev/null
xat=$(api_login "x@$TAG.test" "$pw" | jq -r .access_token)
req GET "/api/v1/repositories/$repo/vulnerabilities" "$xat"
is "$STATUS" 404 "another org's member does not see them"
req GET "/api/v1/repositories/$repo/vulnerabilities" -
is "$STATUS" 401 "nor does an anonymous caller"
