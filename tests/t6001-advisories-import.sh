#!/bin/bash
# lethectl advisories import and status with the real OSV advisories of the
# corpus: every record is read, the withdrawn ones are not stored, status
# counts each ecosystem; a second import changes nothing; a zip archive of
# records (as osv.dev publishes) is read, a newer "modified" replaces the
# stored advisory and an older one does not; a withdrawn record removes
# it; a file that is not JSON or an advisory without "modified" stops the
# import with its name and changes nothing; each import is one audit event
# with its counts.
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "lethectl not built"
plan 15

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
ctl() { "$TOP/bin/lethectl" --json advisories import "$@"; }
counts() { jq -r '[.read, .added, .updated, .unchanged, .withdrawn, .removed] | join(" ")' "$1"; }
stored() { q "SELECT count(*) || ' ' || (SELECT count(*) FROM lethe.advisory_packages) FROM lethe.advisories"; }
audits() { q "SELECT count(*) FROM lethe.audit_events WHERE action = 'advisories imported' AND id > $start"; }

osv=$CORPUS/osv
find "$osv" -name '*.json' ! -name expect-derived.json | sort >"$SCRATCH/files"
on_exit "q 'DELETE FROM lethe.advisories' >/dev/null"
q 'DELETE FROM lethe.advisories' >/dev/null
start=$(q "SELECT coalesce(max(id), 0) FROM lethe.audit_events")

# What the corpus holds: records, withdrawn ones, advisories per ecosystem.
total=$(wc -l <"$SCRATCH/files")
nwd=$(xargs jq -r 'select(.withdrawn) | .id' <"$SCRATCH/files" | wc -l)
xargs jq -r 'select(.withdrawn | not) | [.affected[].package.ecosystem] | unique[] | {
	"npm": "npm", "PyPI": "pypi", "Go": "golang", "crates.io": "cargo", "RubyGems": "gem",
	"Maven": "maven", "Packagist": "composer", "NuGet": "nuget"}[.]' <"$SCRATCH/files" |
	sort | uniq -c | awk '{print $2 "\t" $1}' >"$SCRATCH/want-status"

xargs "$TOP/bin/lethectl" --json advisories import <"$SCRATCH/files" >"$SCRATCH/1.json"
is "$(counts "$SCRATCH/1.json")" "$total $((total - nwd)) 0 0 $nwd 0" \
	"all $total records are read, the $nwd withdrawn ones are not stored"
"$TOP/bin/lethectl" advisories status | tail -n +2 | cut -f1,2 >"$SCRATCH/status"
ok "status counts the advisories of each ecosystem" diff -u "$SCRATCH/want-status" "$SCRATCH/status"
is "$("$TOP/bin/lethectl" --json advisories status | jq -r '.[] | select(.ecosystem == "golang") | .newest_modified')" \
	"$(xargs jq -r 'select(.withdrawn | not) | select(any(.affected[]; .package.ecosystem == "Go")) | .modified' \
	<"$SCRATCH/files" | sort | tail -1)" "status gives the newest modified of an ecosystem"
is "$(q "SELECT severity || ' ' || cvss_score || ' ' || array_to_string(aliases, ',') FROM lethe.advisories
	WHERE id = 'GHSA-xvch-5gv4-984h'")" "critical 9.8 CVE-2021-44906" \
	"an advisory is stored with its CVSS rating and aliases"
before=$(stored)

xargs "$TOP/bin/lethectl" --json advisories import <"$SCRATCH/files" >"$SCRATCH/2.json"
is "$(counts "$SCRATCH/2.json") $(stored)" "$total 0 0 $((total - nwd)) $nwd 0 $before" \
	"a second import of the same records changes nothing"

# A zip of records: minimist's advisory newer, with another fix; lodash's older.
mkdir -p "$SCRATCH/zip/osv"
jq '.modified = "2030-01-01T00:00:00Z" | .affected[0].ranges[0].events[1].fixed = "0.2.5"' \
	"$osv/npm/GHSA-xvch-5gv4-984h.json" >"$SCRATCH/zip/osv/GHSA-xvch-5gv4-984h.json"
jq '.modified = "2001-01-01T00:00:00Z" | .summary = "older"' \
	"$osv/npm/GHSA-35jh-r3h4-6jhm.json" >"$SCRATCH/zip/osv/GHSA-35jh-r3h4-6jhm.json"
(cd "$SCRATCH/zip" && zip -q -r ../npm.zip osv)
ctl "$SCRATCH/npm.zip" >"$SCRATCH/3.json"
is "$(counts "$SCRATCH/3.json")" "2 0 1 1 0 0" "a zip archive is read: the newer record updates, the older does not"
is "$(q "SELECT a.modified::date || ' ' || p.fixed FROM lethe.advisories a JOIN lethe.advisory_packages p
	ON p.advisory_id = a.id WHERE a.id = 'GHSA-xvch-5gv4-984h' ORDER BY p.id LIMIT 1")
$(q "SELECT summary <> 'older' FROM lethe.advisories WHERE id = 'GHSA-35jh-r3h4-6jhm'")" "2030-01-01 0.2.5
t" "the newer record's ranges are stored, the older record is not"

jq '.modified = "2031-01-01T00:00:00Z" | .withdrawn = "2031-01-01T00:00:00Z"' \
	"$osv/npm/GHSA-xvch-5gv4-984h.json" >"$SCRATCH/wd.json"
ctl "$SCRATCH/wd.json" >"$SCRATCH/4.json"
is "$(counts "$SCRATCH/4.json") $(q "SELECT count(*) FROM lethe.advisories WHERE id = 'GHSA-xvch-5gv4-984h'")
$(q "SELECT count(*) FROM lethe.advisory_packages WHERE advisory_id = 'GHSA-xvch-5gv4-984h'")" "1 0 0 0 1 1 0
0" "a withdrawn record removes the advisory and its packages"
after=$(stored)

# Bad input: nothing of the import is stored, the error names the file.
printf 'not json\n' >"$SCRATCH/bad.json"
must_fail "a file that is not JSON stops the import" ctl "$SCRATCH/zip/osv/GHSA-xvch-5gv4-984h.json" "$SCRATCH/bad.json"
ctl "$SCRATCH/zip/osv/GHSA-xvch-5gv4-984h.json" "$SCRATCH/bad.json" 2>"$SCRATCH/err" >/dev/null
is "$(cat "$SCRATCH/err") $(stored)" "lethectl: $SCRATCH/bad.json: not a JSON document: null expected $after" \
	"the error names the file and the good record before it is not stored either"
jq 'del(.modified)' "$osv/pypi/GHSA-j8r2-6x86-q33q.json" >"$SCRATCH/nomod.json"
ctl "$SCRATCH/nomod.json" 2>"$SCRATCH/err2" >/dev/null
is "$? $(cat "$SCRATCH/err2")" "1 lethectl: $SCRATCH/nomod.json: advisory GHSA-j8r2-6x86-q33q: no valid \"modified\" time" \
	"an advisory without modified is refused, saying why"
printf 'PK\003\004 truncated' >"$SCRATCH/broken.zip"
must_fail "a broken zip archive is refused" ctl "$SCRATCH/broken.zip"

is "$(audits)" 4 "each import that succeeded is one audit event"
is "$(q "SELECT details ->> 'read' || ' ' || (details ->> 'updated') || ' ' || (details ->> 'unchanged') || ' ' || actor
	FROM lethe.audit_events WHERE action = 'advisories imported' AND id > $start ORDER BY id LIMIT 1 OFFSET 2")" \
	"2 1 1 lethectl:$(id -un)" "the event gives the counts and who imported"

jq '.id = "LETHE-TEST-1" | .summary = "back\\\\slash \"quoted\"\ttab\nline"' \
	"$osv/npm/GHSA-xvch-5gv4-984h.json" >"$SCRATCH/text.json"
ctl "$SCRATCH/text.json" >/dev/null
is "$(q "SELECT summary FROM lethe.advisories WHERE id = 'LETHE-TEST-1'")" 'back\\slash "quoted" tab line' \
	"a summary keeps its backslashes and quotes, control characters become spaces"
