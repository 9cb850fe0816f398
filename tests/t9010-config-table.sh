#!/bin/bash
# The table of configuration keys (lib/base/config_keys.h) against lethe.conf(5)
# and lethe.conf.example: every key documented with the table's default, no
# documented or example key the table lacks.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
plan 5
# name<TAB>default as the table writes it (C string literals, macros kept).
sed -n 's/^CONFIG_KEY(\([a-z0-9_]*\), *[A-Z]*, *\(.*\), *[^,]*, *[^,]*)$/\1\t\2/p' \
	"$TOP/lib/base/config_keys.h" | sort >"$SCRATCH/table"
# name<TAB>default as the man page writes it (".It Cm k Pq d , Cm k2 Pq d2").
sed -n 's/^\.It //p' "$TOP/man/lethe.conf.5" | sed 's/ , Cm /\nCm /g' |
	sed -n 's/^Cm \([A-Za-z0-9_.]*\)\( Pq \(Li \|Pa \)\{0,1\}\([^ ]*\)\)\{0,1\}.*$/\1\t\4/p' | grep -v "^scanner\\." | sort >"$SCRATCH/man"
sed -n 's/^#\{0,1\} *\([a-z][a-z0-9_]*\) *=.*/\1/p' "$TOP/lethe.conf.example" | sort -u >"$SCRATCH/example"
ok "the table has keys" test "$(wc -l <"$SCRATCH/table")" -gt 50
is "$(cut -f1 "$SCRATCH/table" | comm -23 - <(cut -f1 "$SCRATCH/man" | sort -u) | paste -sd' ' -)" "" \
	"every key of the table is in lethe.conf(5)"
is "$(cut -f1 "$SCRATCH/man" | sort -u | comm -23 - <(cut -f1 "$SCRATCH/table") | paste -sd' ' -)" "" \
	"every key of lethe.conf(5) is in the table"
is "$(comm -23 "$SCRATCH/example" <(cut -f1 "$SCRATCH/table") | paste -sd' ' -)" "" \
	"every key of lethe.conf.example is in the table"
# Defaults: a literal "x" must read x (empty: "empty" or no default shown);
# MACRO "/suffix" must end in /suffix; a key the page lists without Pq is not compared.
join -t "$(printf '\t')" "$SCRATCH/table" "$SCRATCH/man" | while IFS="$(printf '\t')" read -r k def doc; do
	[ -n "$doc" ] || continue
	case $def in
	'""') [ "$doc" = empty ] || echo "$k: $doc, not empty" ;;
	\"*) want=${def#\"}; want=${want%\"}; [ "$doc" = "$want" ] || echo "$k: $doc, not $want" ;;
	*) want=${def#*\"}; want=${want%\"}; case $doc in *"$want") ;; *) echo "$k: $doc, not *$want" ;; esac ;;
	esac
done >"$SCRATCH/defaults"
is "$(paste -sd' ' - <"$SCRATCH/defaults")" "" "lethe.conf(5) shows each key's default as the table has it"
