#!/bin/bash
# Every SARIF file of the shared corpus, handed to lethe-scan as if
# lethe-analyze had written it (from inside the sandbox), is stored or
# refused with a clear reason, and none of its snippets, context regions or
# artifact contents reaches the database.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
mapfile -t FILES < <(find "$CORPUS/sarif" -name '*.sarif' -type f | sort)
[ "${#FILES[@]}" -gt 0 ] || skip_all "no SARIF corpus in $CORPUS/sarif"
plan $(( ${#FILES[@]} + 2 ))
pause_jobs

# One repository holding the corpus; per file, a stand-in for lethe-analyze
# (bound read-only into the sandbox like the real one) that prints it.
mkdir -p "$SCRATCH/src/corpus"
cp "${FILES[@]}" "$SCRATCH/src/corpus/"
name=corpus-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org corpus
org=$ORG
repo=$(scan_repo "$org" "$name" "$url")

for f in "${FILES[@]}"; do
	b=$(basename "$f")
	printf '#!/bin/sh\nexec cat /workspace/corpus/%s\n' "$b" >"$SCRATCH/an-$b"
	chmod 0755 "$SCRATCH/an-$b"
	scan_config "analyze_path = $SCRATCH/an-$b"
	job=$(scan_job "$repo" "$sha")
	scan_until_done "$job" "$SCRATCH/lethe.conf"
	got=$(q "SELECT j.state || ' ' || coalesce(s.state, '-') || ' ' || coalesce(j.last_error, '')
		FROM lethe.jobs j LEFT JOIN lethe.scans s ON s.job_id = j.id WHERE j.id = $job")
	case $got in
	"done complete "|"done incomplete ") _r=0 ;;
	"failed failed analysis output refused: "?*) _r=0 ;;
	*) _r=1 ;;
	esac
	_tap_result $_r "$b: $got"
done

is "$(q "SELECT count(*) > 0 FROM lethe.findings WHERE repository_id = $repo")" t \
	"results of the corpus with a path are stored as findings"
pg_dump -U postgres lethe >"$SCRATCH/dump.sql"
leaked=0
for f in "${FILES[@]}"; do
	while IFS= read -r line; do
		if grep -qF -- "$line" "$SCRATCH/dump.sql"; then
			leaked=$((leaked + 1))
			diag "$(basename "$f"): in the database: $line"
		fi
	done < <(jq -r '.. | objects | to_entries[]
		| select(.key == "snippet" or .key == "contextRegion"
		         or .key == "contents" or .key == "insertedContent")
		| .value | .. | strings' "$f" 2>/dev/null |
		tr -d '\r' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | awk 'length($0) >= 8' | sort -u)
done
is "$leaked" 0 "no snippet, context region or artifact content of the corpus is in pg_dump"
