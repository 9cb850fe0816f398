#!/bin/bash
# Known-vulnerable dependencies end to end: the real OSV advisories of the
# corpus are imported; a repository whose package-lock.json pins minimist
# 0.2.3 and whose go.mod pins golang.org/x/net at a pseudo-version before
# the HTTP/2 fix is scanned; each affected package is one finding of rule
# lethe/vulnerable-dependency at its manifest (the first line naming the
# package), with the advisory, aliases,
# severity and fixed versions (GitHub's and the Go database's advisory of
# one CVE are one finding); lodash at its fixed version is not one.  A
# rescan keeps the same findings; withdrawing an advisory fixes its finding
# and importing it again re-opens it, without a scan; a pull request that
# downgrades lodash to an affected version introduces that finding alone.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 15
pause_jobs

osv=$CORPUS/osv
on_exit "q 'DELETE FROM lethe.advisories' >/dev/null"
q 'DELETE FROM lethe.advisories' >/dev/null
ok "the corpus advisories are imported" "$TOP/bin/lethectl" advisories import \
	$(find "$osv" -name '*.json' ! -name expect-derived.json | sort)

mkdir -p "$SCRATCH/src"
cat >"$SCRATCH/src/package-lock.json" <<'JSON'
{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": { "name": "app", "version": "1.0.0", "dependencies": { "minimist": "^0.2.0", "lodash": "^4.17.0" } },
    "node_modules/minimist": { "version": "0.2.3" },
    "node_modules/lodash": { "version": "4.17.21" }
  }
}
JSON
cat >"$SCRATCH/src/go.mod" <<'GO'
module example.org/app

go 1.19

require golang.org/x/net v0.0.0-20220826154423-83b083e8dc8b
GO
name=vuln-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org vuln
repo=$(scan_repo "$ORG" "$name" "$url")
job=$(scan_job "$repo" "$sha")
ok "the repository is scanned" scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" done "the scan job is done"

vq() {
	q "SELECT $1 FROM lethe.findings WHERE repository_id = ${repo:-0}
	   AND rule_id = 'lethe/vulnerable-dependency' $2 ORDER BY path, message"
}
is "$(vq "path || ' ' || (properties ->> 'package') || ' ' || (properties ->> 'version')" \
	"AND state = 'open'")" \
	"go.mod golang.org/x/net v0.0.0-20220826154423-83b083e8dc8b
package-lock.json minimist 0.2.3" "one open finding per vulnerable package, at the manifest that pins it"
is "$(vq "path || ':' || start_line" "AND state = 'open'")" "go.mod:5
package-lock.json:4" "each at the first line of its manifest that names the package"
is "$(vq "tool || ' ' || level || ' ' || (properties ->> 'advisory') || ' ' || (properties -> 'aliases')::text
	|| ' ' || (properties ->> 'severity') || ' ' || (properties ->> 'cvss_score') || ' ' ||
	(properties -> 'fixed')::text" "AND path = 'package-lock.json'")" \
	'lethe-advisories error GHSA-xvch-5gv4-984h ["CVE-2021-44906"] critical 9.8 ["0.2.4"]' \
	"minimist's finding carries the advisory, its CVE, the CVSS rating and the fix of its range"
is "$(vq "(properties -> 'advisories')::text || ' ' || (properties -> 'aliases')::text" \
	"AND path = 'go.mod'")" '["GHSA-69cg-p879-7622", "GO-2022-0969"] ["CVE-2022-27664"]' \
	"GitHub's and the Go database's advisories of CVE-2022-27664 are one finding"
is "$(vq message "AND path = 'package-lock.json'")" \
	'minimist 0.2.3 has a known vulnerability: GHSA-xvch-5gv4-984h (CVE-2021-44906) (critical): Prototype Pollution in minimist; fixed in 0.2.4' \
	"the message names the package, version, advisory, rating and fix"
is "$(q "SELECT status || ' ' || result_count FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id
	WHERE s.job_id = $job AND t.tool = 'lethe-advisories'")" "complete 2" \
	"the scan lists the advisory match as a tool run with two results"

before=$(vq "id || ' ' || fingerprint" "")
job2=$(scan_job "$repo" "$sha")
scan_until_done "$job2"
is "$(vq "id || ' ' || fingerprint || ' ' || state" "")" "$(sed 's/$/ open/' <<<"$before")" \
	"a rescan keeps the same findings, fingerprints and states"

# GHSA-xvch withdrawn (a newer modified): fixed at once, no scan.
jq '.modified = "2030-01-01T00:00:00Z" | .withdrawn = "2030-01-01T00:00:00Z"' \
	"$osv/npm/GHSA-xvch-5gv4-984h.json" >"$SCRATCH/withdrawn.json"
"$TOP/bin/lethectl" --json advisories import "$SCRATCH/withdrawn.json" >"$SCRATCH/w.json"
is "$(jq -r '[.removed, .fixed_findings] | join(" ")' "$SCRATCH/w.json") $(vq state \
	"AND path = 'package-lock.json'")" "1 1 fixed" "withdrawing the advisory fixes its finding without a scan"
"$TOP/bin/lethectl" --json advisories import "$osv/npm/GHSA-xvch-5gv4-984h.json" >"$SCRATCH/r.json"
is "$(jq -r '[.added, .fixed_findings] | join(" ")' "$SCRATCH/r.json") $(vq state \
	"AND path = 'package-lock.json'")" "1 0 open" "importing it again re-opens the same finding"
is "$(q "SELECT count(*) FROM lethe.jobs WHERE repository_id = $repo")" 2 \
	"no scan was queued for either"

# A pull request: lodash 4.17.20 (CVE-2021-23337) on top of main.
git clone -q "$LETHE_GIT_ROOT/$name.git" "$SCRATCH/w"
sed -i 's/"version": "4.17.21"/"version": "4.17.20"/' "$SCRATCH/w/package-lock.json"
git -C "$SCRATCH/w" -c user.name=t -c user.email=t@example.invalid commit -qam "lodash 4.17.20"
git -C "$SCRATCH/w" push -q origin HEAD:refs/heads/feature
sha2=$(git -C "$SCRATCH/w" rev-parse HEAD)
pr=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch, pr_number, base_sha)
	SELECT org_id, id, '$sha2', 'refs/heads/feature', 'main', 5, '$sha' FROM lethe.repositories
	WHERE id = $repo RETURNING id")
scan_until_done "$pr"
is "$(q "SELECT string_agg((f.properties ->> 'package') || ' ' || (f.properties ->> 'version') || ' ' ||
	sf.introduced, ', ' ORDER BY f.path, f.message) FROM lethe.scan_findings sf
	JOIN lethe.findings f ON f.id = sf.finding_id JOIN lethe.scans s ON s.id = sf.scan_id
	WHERE s.job_id = ${pr:-0} AND f.rule_id = 'lethe/vulnerable-dependency'")" \
	"golang.org/x/net v0.0.0-20220826154423-83b083e8dc8b false, lodash 4.17.20 true, minimist 0.2.3 false" \
	"the pull request's scan introduces lodash's vulnerability, not those main already has"
is "$(q "SELECT f.branch || ' ' || (f.properties ->> 'advisory') FROM lethe.findings f
	WHERE f.repository_id = $repo AND f.properties ->> 'package' = 'lodash'")" \
	"pull/5 GHSA-35jh-r3h4-6jhm" "it is the pull request's finding, not the branch's"
