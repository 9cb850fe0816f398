#!/bin/bash
# lethectl advisories import --dir DIR, what lethe-advisories.timer runs:
# every *.json and *.zip directly in DIR is imported, other files are not;
# an empty directory imports nothing and records nothing; a directory that
# cannot be read is refused by name.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "lethectl not built"
plan 6

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
on_exit "q 'DELETE FROM lethe.advisories' >/dev/null"
q 'DELETE FROM lethe.advisories' >/dev/null
start=$(q "SELECT coalesce(max(id), 0) FROM lethe.audit_events")
audits() { q "SELECT count(*) FROM lethe.audit_events WHERE action = 'advisories imported' AND id > $start"; }

dir=$SCRATCH/advisories
mkdir -p "$dir"
ok "an empty directory imports nothing" eval \
	'"$TOP/bin/lethectl" advisories import --dir "$dir" | grep -q "nothing imported"'
is "$(audits)" 0 "and records no import"

# Three real records as files, one in a zip, and a file that is neither.
find "$CORPUS/osv" -name '*.json' ! -name expect-derived.json | sort | head -n 3 >"$SCRATCH/three"
[ "$(wc -l <"$SCRATCH/three")" = 3 ] || skip_all "no OSV records in $CORPUS/osv"
cp "$(sed -n 1p "$SCRATCH/three")" "$(sed -n 2p "$SCRATCH/three")" "$dir/"
(cd "$(dirname "$(sed -n 3p "$SCRATCH/three")")" && zip -q "$dir/more.zip" "$(basename "$(sed -n 3p "$SCRATCH/three")")")
echo 'not an advisory' >"$dir/README"
"$TOP/bin/lethectl" --json advisories import --dir "$dir" >"$SCRATCH/out.json"
is "$(jq -r .read "$SCRATCH/out.json")" 3 "the two JSON files and the zip's record are read, README is not"
is "$(audits)" 1 "the import is audited once"

must_fail "a directory that does not exist is refused by name" \
	--says "unable to read the directory '$SCRATCH/none'" "$TOP/bin/lethectl" advisories import --dir "$SCRATCH/none"
must_fail "--dir without a directory is a usage error" "$TOP/bin/lethectl" advisories import --dir
