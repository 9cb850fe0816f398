#!/bin/bash
# Every SARIF file of the shared corpus either parses or is refused with a
# clear one-line reason, and no source text it carries (snippets,
# contextRegion, artifact contents, fix content) survives into the parsed
# structure or into the document Lethe writes back.
set -u
. "$(dirname "$0")/lib.sh"
PARSE="$TOP/build/tests/sarif_test"
DIR=$CORPUS/sarif

# Files expected to be refused, and a word of the reason.
declare -A REFUSED=(
	[sdk-JSON1001-syntax-error.sarif]="invalid JSON"
	[tutorials-runs-null.sarif]="runs is not an array"
	[codeql-action-results-is-42.sarif]="results is not an array"
	[sdk-v2.0.0-Comprehensive-old-version.sarif]="unsupported SARIF version"
	[codeql-action-tool-names-empty-null.sarif]="tool.driver.name missing"
)

# check EXPR DESC: passes when the shell expression EXPR is true.
check() { ok "$2" eval "$1"; }

mapfile -t FILES < <(find "$DIR" -name '*.sarif' -type f | sort)
[ -x "$PARSE" ] || skip_all "build/tests/sarif_test not built"
[ "${#FILES[@]}" -gt 0 ] || skip_all "no SARIF corpus in $DIR"

# Source text lines (trimmed, 8 bytes or more) carried by a corpus file.
source_lines() {
	jq -r '.. | objects | to_entries[]
	       | select(.key == "snippet" or .key == "contextRegion"
	                or .key == "contents" or .key == "insertedContent")
	       | .value | .. | strings' "$1" 2>/dev/null |
		tr -d '\r' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
		awk 'length($0) >= 8' | sort -u
}

MT=$(ls "$SARIF_MULTITOOL" 2>/dev/null ||
	find "$TOP/build/tools" -name 'Sarif.Multitool' -type f 2>/dev/null | head -n1)
written=()
for f in "${FILES[@]}"; do
	b=$(basename "$f")
	out=$SCRATCH/$b.out
	err=$SCRATCH/$b.err
	"$PARSE" --parse "$f" >"$out" 2>"$err"
	rc=$?
	if [ -n "${REFUSED[$b]:-}" ]; then
		check '[ $rc -eq 1 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q "^refused: " "$err" && grep -qF "${REFUSED[$b]}" "$err"' \
			"$b is refused: $(head -c 120 "$err")"
		continue
	fi
	check '[ $rc -eq 0 ] && jq -e ".version == \"2.1.0\"" "$out" >/dev/null' "$b parses and is written back"
	leaked=0
	while IFS= read -r line; do
		if grep -qF -- "$line" "$out" "$err"; then
			leaked=$((leaked + 1))
			echo "# $b: leaked: $line"
		fi
	done < <(source_lines "$f")
	total=$(source_lines "$f" | wc -l)
	check '[ $leaked -eq 0 ]' "$b: none of its $total source text lines survive"
	if [ "$total" -gt 0 ]; then
		check 'grep -Eq "^stripped [1-9]" "$err"' "$b: the dropped source fields are reported"
	fi
	written+=("$out")
done

# A run that does not name its tool takes the configured scanner's name.
f=$DIR/edge/codeql-action-tool-names-empty-null.sarif
if [ -r "$f" ]; then
	"$PARSE" --parse "$f" --tool corpus-scanner >"$SCRATCH/named.out" 2>"$SCRATCH/named.err"
	check 'jq -e "[.runs[].tool.driver.name] | length == 5 and all(. != \"\") and
		(map(select(. == \"corpus-scanner\")) | length == 2)" "$SCRATCH/named.out" >/dev/null' \
		"codeql-action-tool-names-empty-null.sarif: its two unnamed runs take the configured scanner's name"
fi

# Through lethe-analyze, as a configured scanner's output (--extra-tool),
# on a workspace without the files the results name: a log of several runs
# stays as many runs, each with its own name and automationDetails, and
# every refused result is counted in its run's notifications.
AN=$TOP/bin/lethe-analyze
mkdir -p "$SCRATCH/empty-ws"
split_bad=0 count_bad=0 analyzed=0 with_refused=0
for f in "${FILES[@]}"; do
	b=$(basename "$f")
	n=$(jq '.runs | length' "$f" 2>/dev/null) || continue
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$b" != sdk-v2.0.0-Comprehensive-old-version.sarif ] || continue
	[ -z "${REFUSED[$b]:-}" ] || [ "$b" = codeql-action-tool-names-empty-null.sarif ] || continue
	out=$SCRATCH/$b.an
	"$AN" --workspace "$SCRATCH/empty-ws" --extra-tool "corpus=/bin/cat $f" --tool corpus \
		>"$out" 2>/dev/null || { echo "# $b: lethe-analyze failed"; split_bad=1; continue; }
	analyzed=$((analyzed + 1))
	if ! jq -e --argjson n "$n" --slurpfile log "$f" '(.runs | length) == $n and
		([.runs[].tool.driver.name] | unique | length) == $n and
		([.runs[].automationDetails.id // empty] | length) ==
			([$log[0].runs[].automationDetails.id // empty] | length)' "$out" >/dev/null; then
		echo "# $b: $n runs in, $(jq '.runs | length' "$out") out"
		split_bad=1
	fi
	if ! jq -e '[.runs[] | (.properties["lethe/refused"] // 0) as $k | select($k > 0) |
		select([.invocations[0].toolExecutionNotifications[]?.message.text |
			select(startswith("\($k) result"))] | length == 0)] | length == 0' "$out" >/dev/null; then
		echo "# $b: a refused count is missing from its run's notifications"
		count_bad=1
	fi
	jq -e '[.runs[].properties["lethe/refused"] // 0] | add > 0' "$out" >/dev/null &&
		with_refused=$((with_refused + 1))
done
check '[ "$analyzed" -gt 10 ] && [ "$split_bad" -eq 0 ]' \
	"every corpus log ($analyzed) keeps its runs apart, with their names and automationDetails"
check '[ "$with_refused" -gt 0 ] && [ "$count_bad" -eq 0 ]' \
	"every refused result is counted in its run's notifications ($with_refused logs refuse some)"

# The written documents are valid SARIF (Sarif rules; GitHub's rules also
# demand a location per result, which some corpus results lack).
if [ -z "$MT" ]; then
	skip "SARIF Multitool not installed (scripts/deps installs it)"
else
	chmod u+x "$MT" 2>/dev/null
	"$MT" validate "${written[@]}" --rule-kind Sarif >"$SCRATCH/validate" 2>&1
	errors=$(grep -c ': error ' "$SCRATCH/validate")
	grep ': error ' "$SCRATCH/validate" | head -n5 | sed 's/^/# /'
	check '[ "$errors" -eq 0 ] && grep -q "files scanned" "$SCRATCH/validate"' \
		"the Multitool finds no error in the ${#written[@]} written documents"
fi
plan "$_tap_n"
