#!/bin/bash
# lethe-deps on the real lock files and manifests of the shared corpus
# ($CORPUS/manifests, read where it is), compared file by file with what its
# EXPECT.md says a good analyzer reports: the packages (distinct name and
# version, or constraint for a manifest), the pairs it must report, and how
# many are direct.  Prints the figures per ecosystem (the corpus's top
# folders); fails under 90% of the expected packages or pairs, or of the
# files whose direct packages it counts, and when a file gives more packages
# than it holds.
set -u
# shellcheck source=tests/analyze-lib.sh
. "$(dirname "$0")/analyze-lib.sh"
DIR=$CORPUS/manifests
[ -r "$DIR/EXPECT.md" ] || skip_all "no manifests corpus in $DIR"
plan 8

OUT=$SCRATCH/out.sarif
"$AN" --workspace "$DIR" --tool lethe-deps >"$OUT" 2>"$SCRATCH/err"
rc=$?
check '[ $rc -eq 0 ] && jq -e ".runs[0].invocations[0].executionSuccessful" "$OUT" >/dev/null' \
	"lethe-deps runs to completion on the corpus"
check '[ "$(jq "[.runs[0].results[] | select(.ruleId == \"deps/unparsable\")] | length" "$OUT")" = 0 ]' \
	"every corpus file is read (no deps/unparsable note)"

# EXPECT.md: the summary table (file, entries, direct) and each section's
# "package entries" line and "must report" pairs.
awk -F'|' '/^\| `[^`]*` \|/ { f = $2; gsub(/[ `]/, "", f); e = $4; d = $5
		gsub(/^ +| +$/, "", e); gsub(/^ +| +$/, "", d); print f "\t" e "\t" d }' \
	"$DIR/EXPECT.md" >"$SCRATCH/table"
awk '/^## `/ { f = $2; gsub(/`/, "", f) }
     /^- package entries:/ { print f "\t" $0 }' "$DIR/EXPECT.md" >"$SCRATCH/entries"
awk '/^## `/ { f = $2; gsub(/`/, "", f) }
     /^- must report:/ { s = $0; while (match(s, /\(`[^`]*`, `[^`]*`\)/)) {
		p = substr(s, RSTART + 2, RLENGTH - 4); s = substr(s, RSTART + RLENGTH)
		split(p, a, /`, `/); print f "\t" a[1] "\t" a[2] } }' "$DIR/EXPECT.md" >"$SCRATCH/must"

# The number of packages EXPECT.md counts in an entries text: the distinct
# name@version figure of the section when it gives one, else the table's,
# without the project itself (workspace members, root) and with optional
# entries added; nothing for "n/a".
count_of() { # TEXT [SECTION-LINE]
	local t=$1 s=${2:-}
	if [[ $s =~ ([0-9]+)\ distinct\ name@version ]]; then echo "${BASH_REMATCH[1]}"
	elif [[ $t =~ \(([0-9]+)\ distinct\) ]]; then echo "${BASH_REMATCH[1]}"
	elif [[ $t =~ /\ ([0-9]+)\  ]]; then echo "${BASH_REMATCH[1]}"
	elif [[ $t =~ \(([0-9]+)\ \+\ [0-9]+\ workspace\) ]]; then echo "${BASH_REMATCH[1]}"
	elif [[ $t =~ ^([0-9]+)\ \+\ [0-9]+\ (root|workspace) ]]; then echo "${BASH_REMATCH[1]}"
	elif [[ $t =~ ^([0-9]+)\ \+\ ([0-9]+) ]]; then echo $((BASH_REMATCH[1] + BASH_REMATCH[2]))
	elif [[ $t =~ ^([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"
	fi
}

# manifest, name, version or constraint, direct: one line per distinct fact.
jq -r '.runs[0].properties["lethe/facts"].dependencies[] |
	[.manifest, .name, (.version // .constraint // ""), .version // "", .constraint // "",
	 .direct] | @tsv' "$OUT" | sort -u >"$SCRATCH/facts"

: >"$SCRATCH/rows"
while IFS=$'\t' read -r file entries direct; do
	want=$(count_of "$entries" "$(grep -F "$file	" "$SCRATCH/entries" | cut -f2)")
	wantd=$(count_of "$direct")
	got=$(awk -F'\t' -v f="$file" '$1 == f { print $2 "\t" $3 }' "$SCRATCH/facts" | sort -u | wc -l)
	gotd=$(awk -F'\t' -v f="$file" '$1 == f && $6 == "true" { print $2 "\t" $3 }' \
		"$SCRATCH/facts" | sort -u | wc -l)
	mw=0 mg=0
	while IFS=$'\t' read -r _ name ver; do
		mw=$((mw + 1))
		awk -F'\t' -v f="$file" -v n="$name" -v v="$ver" \
			'$1 == f && $2 == n && ($4 == v || $5 == v) { x = 1 } END { exit !x }' \
			"$SCRATCH/facts" && mg=$((mg + 1))
	done < <(awk -F'\t' -v f="$file" '$1 == f' "$SCRATCH/must")
	found=$((got < want ? got : want))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${file%%/*}" "$file" "$want" "$got" \
		"$found" "$mw" "$mg" "${wantd:--}" "$gotd" >>"$SCRATCH/rows"
	diag "$(printf '%-50s packages %4s/%-4s must %s/%s direct %s/%s' "$file" "$got" "$want" \
		"$mg" "$mw" "$gotd" "${wantd:-n/a}")"
done <"$SCRATCH/table"

awk -F'\t' '{ w[$1] += $3; f[$1] += $5; mw[$1] += $6; mg[$1] += $7
	if ($8 != "-") { dn[$1]++; if ($8 == $9) dk[$1]++ } }
	END { for (e in w) printf "%-8s packages %4d/%-4d (%3d%%)  must %2d/%-2d  direct right in %d/%d files\n",
		e, f[e], w[e], 100 * f[e] / w[e], mg[e], mw[e], dk[e], dn[e] }' "$SCRATCH/rows" |
	sort | while read -r l; do diag "$l"; done

read -r want found mw mg dn dk < <(awk -F'\t' '{ w += $3; f += $5; mw += $6; mg += $7
	if ($8 != "-") { dn++; if ($8 == $9) dk++ } } END { print w, f, mw, mg, dn, dk }' "$SCRATCH/rows")
diag "all: packages $found/$want, must $mg/$mw, direct right in $dk/$dn files"
check '[ "$want" -gt 1000 ] && [ "$(wc -l <"$SCRATCH/rows")" -ge 20 ]' \
	"EXPECT.md gives the table of files and their package counts"
check '[ $((found * 100)) -ge $((want * 90)) ]' "at least 90% of the expected packages are reported"
check '[ $((mg * 100)) -ge $((mw * 90)) ]' "at least 90% of the pairs EXPECT.md lists are reported exactly"
check '[ $((dk * 100)) -ge $((dn * 90)) ]' \
	"the number of direct packages is EXPECT.md's in at least 90% of the files that say it"
over=$(awk -F'\t' '$4 > $3 { print $2 " (" $4 " > " $3 ")" }' "$SCRATCH/rows")
check '[ -z "$over" ] || { echo "more packages than there are: $over"; false; }' \
	"no file gives more packages than it holds (nothing counted twice, no project as its own dependency)"
# Each package's line is one of its manifest's that names it (in any case;
# a Maven group:artifact by its artifact).
jq -r '.runs[0].properties["lethe/facts"].dependencies[] | [.manifest, (.line // 0), .name] | @tsv' \
	"$OUT" >"$SCRATCH/lines"
misplaced=$(awk -F'\t' -v dir="$DIR" '
	!($1 in read) { read[$1] = 1; n = 0; while ((getline l <(dir "/" $1)) > 0) text[$1, ++n] = tolower(l) }
	{ name = tolower($3); art = name; sub(/.*:/, "", art); t = text[$1, $2]
	  if ($2 < 1 || (index(t, name) == 0 && index(t, art) == 0)) print $1 ":" $2 " " $3 }' \
	"$SCRATCH/lines" | head -n 3)
check '[ -s "$SCRATCH/lines" ] && [ -z "$misplaced" ] || { echo "not named there: $misplaced"; false; }' \
	"every package is given a line of its manifest that names it"
