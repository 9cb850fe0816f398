#!/bin/sh
# fuzz/seeds.sh CORPUS OUT: extra seeds for the extractor targets from the
# webhooks corpus (CORPUS/webhooks): each payload prefixed with its event
# header line, written to OUT/extract_<provider>/; and the SARIF files of
# CORPUS/sarif, written to OUT/sarif/.
set -eu
src=$1/webhooks
out=$2
for f in "$src"/*/*.json; do
	dir=$(basename "$(dirname "$f")")
	name=$(basename "$f" .json)
	base=${name%%-*}
	case $dir in
	github|gitea) target=extract_$dir event=$base ;;
	gitlab)
		target=extract_gitlab
		case $base in
		push) event='Push Hook' ;;
		tag_push) event='Tag Push Hook' ;;
		merge_request) event='Merge Request Hook' ;;
		note) event='Note Hook' ;;
		*) event='Pipeline Hook' ;;
		esac ;;
	bitbucket-cloud) target=extract_bitbucket event=$(echo "$base" | sed 's/_/:/') ;;
	bitbucket-dc) target=extract_bitbucket_dc event=$(echo "$base" | sed 's/_/:/') ;;
	*) continue ;;
	esac
	mkdir -p "$out/$target"
	{ printf '%s\n' "$event"; cat "$f"; } >"$out/$target/$dir-$name"
done
# The SARIF reader: every SARIF file of the corpus as it is.
if [ -d "$1/sarif" ]; then
	mkdir -p "$out/sarif"
	find "$1/sarif" -name '*.sarif' -type f -exec cp {} "$out/sarif/" \;
fi
