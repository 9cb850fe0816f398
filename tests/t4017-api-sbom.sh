#!/bin/bash
# A repository's bill of materials: lethe-analyze reads the dependency
# fixtures, lib/facts stores the facts as lethe-scan does, and both
# GET /api/v1/repositories/{id}/sbom and `lethectl deps --cyclonedx` give
# the same CycloneDX document with one component per package and version;
# another org cannot see it; credentials in dependency URLs never reach the
# database.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
[ -x "$TOP/bin/lethe-analyze" ] || skip_all "lethe-analyze not built"
[ -x "$TOP/build/tests/facts_test" ] || skip_all "facts_test not built"
plan 12

pw=$(openssl rand -hex 12)
org=$(api_org "${TAG}a")
other=$(api_org "${TAG}b")
api_user "$org" "m@$TAG.test" member "$pw" >/dev/null
api_user "$other" "x@$TAG.test" member "$pw" >/dev/null
on_exit "sql -c \"DELETE FROM lethe.orgs WHERE id IN ($org, $other)\""
repo=$(sql -c "INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	VALUES ($org, 'github', '$TAG/app', 'https://example.invalid/app.git',
	'hook_${TAG}_aaaaaaaaaaaaaaaaaaaaaaaa') RETURNING id")
scan=$(sql -c "INSERT INTO lethe.scans (org_id, repository_id, commit_sha, branch, state, finished_at)
	VALUES ($org, $repo, 'abcdef1234567', 'main', 'complete', now()) RETURNING id")
ok "an org, a repository and a finished scan" test -n "$repo" -a -n "$scan"

# The fixtures, plus credentials in dependency URLs (generated here).
cp -r "$TOP/tests/fixtures/deps" "$SCRATCH/ws"
secret=$(openssl rand -hex 16)
printf 'private-pkg @ https://ci:%s@pypi.example.org/private-pkg-1.0.tar.gz\n' "$secret" \
	>>"$SCRATCH/ws/py/requirements.txt"
jq --arg s "$secret" '.dependencies.internal = "git+https://deploy:\($s)@git.example.org/acme/internal.git"' \
	"$SCRATCH/ws/web/package.json" >"$SCRATCH/p" && mv "$SCRATCH/p" "$SCRATCH/ws/web/package.json"
"$TOP/bin/lethe-analyze" --workspace "$SCRATCH/ws" --tool lethe-deps >"$SCRATCH/out.sarif"
facts=$(jq '.runs[0].properties["lethe/facts"].dependencies | length' "$SCRATCH/out.sarif")
stored=$("$TOP/build/tests/facts_test" --store "$SCRATCH/out.sarif" "$org" "$repo" "$scan")
is "$stored" "stored $facts dependencies, 0 workflow facts" "every dependency fact is stored"

# Components expected: each (ecosystem, name, version) with a version, and
# each package that no entry gives a version for, once.
want=$(jq '.runs[0].properties["lethe/facts"].dependencies as $d
	| ([$d[] | select(.version) | [.ecosystem, .name, .version]] | unique | length)
	+ ([$d[] | select(.version | not) | [.ecosystem, .name]] | unique
	   | map(select(. as $p | [$d[] | select(.version and .ecosystem == $p[0] and .name == $p[1])]
	   | length == 0)) | length)' "$SCRATCH/out.sarif")

at=$(api_login "m@$TAG.test" "$pw" | jq -r .access_token)
req GET "/api/v1/repositories/$repo/sbom" "$at"
is "$STATUS" 200 "a member gets the repository's SBOM"
printf '%s' "$BODY" >"$SCRATCH/api.json"
is "$(jq -r '.bomFormat + " " + .specVersion' "$SCRATCH/api.json")" "CycloneDX 1.5" "it is a CycloneDX 1.5 document"
is "$(jq '.components | length' "$SCRATCH/api.json")" "$want" \
	"one component per package and version ($want)"
ok "components carry package URLs of every ecosystem" jq -e '[.components[].purl] |
	index("pkg:npm/%40scope/util@2.1.3") and index("pkg:golang/github.com/google/uuid@v1.6.0") and
	index("pkg:maven/org.apache.commons/commons-lang3@3.14.0") and index("pkg:cargo/serde@1.0.197") and
	index("pkg:gem/rack@3.0.9") and index("pkg:composer/psr/log@3.0.0") and index("pkg:pypi/requests@2.31.0")' \
	"$SCRATCH/api.json"
is "$(jq -r '.components[] | select(.name == "express" and .version == "4.18.2") |
	[.scope, (.properties[] | select(.name == "lethe:manifests") | .value)] | join(" ")' "$SCRATCH/api.json")" \
	"required web/package-lock.json" "a locked direct dependency is required, named by its lock file"

"$TOP/bin/lethectl" deps --repo "$repo" --cyclonedx >"$SCRATCH/ctl.json"
is "$(jq -c .components "$SCRATCH/ctl.json")" "$(jq -c .components "$SCRATCH/api.json")" \
	"lethectl deps --cyclonedx gives the same components"
is "$("$TOP/bin/lethectl" --json deps --repo "$repo" | jq length)" "$facts" \
	"lethectl deps lists every stored dependency"

xat=$(api_login "x@$TAG.test" "$pw" | jq -r .access_token)
req GET "/api/v1/repositories/$repo/sbom" "$xat"
is "$STATUS" 404 "another org's member does not see it"
req GET "/api/v1/repositories/$repo/sbom" -
is "$STATUS" 401 "nor does an anonymous caller"

pg_dump -a -n lethe >"$SCRATCH/dump.sql" 2>/dev/null
ok "the credentials in dependency URLs are nowhere in the database" \
	bash -c "[ -s '$SCRATCH/dump.sql' ] && ! grep -qF '$secret' '$SCRATCH/dump.sql' '$SCRATCH/out.sarif'"
