#!/bin/bash
# doc/openapi.json documents exactly lethe-api's route table: every route
# with its method, least role and every status it may answer, nothing more,
# an operationId for each, a licence, and Redocly's linter finds nothing to
# warn of.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$TOP/bin/lethe-api" ] || skip_all "lethe-api not built"
plan 8

"$TOP/bin/lethe-api" --routes | sort >"$SCRATCH/routes"
jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
	| "\(.key | ascii_upcase) \($p) \(.value["x-lethe-role"]) \(.value.responses | keys | join(" "))"' \
	"$TOP/doc/openapi.json" | sort >"$SCRATCH/documented"
ok "the route table is not empty" test -s "$SCRATCH/routes"
diff -u "$SCRATCH/routes" "$SCRATCH/documented" >&2
is "$?" 0 "every route, method, role and status is documented, and nothing else"
is "$(jq -r .openapi "$TOP/doc/openapi.json")" 3.0.3 "the document is OpenAPI 3"
is "$(jq '[.paths[][] | select((.responses | length) == 0 or (.summary | length) == 0)] | length' \
	"$TOP/doc/openapi.json")" 0 "every operation has a summary and responses"
is "$(jq '[.paths[][] | select(."x-lethe-role" != "none" and (.responses["401"] == null or .responses["403"] == null))] | length' \
	"$TOP/doc/openapi.json")" 0 "every authenticated operation documents 401 and 403"
# The role table in the description says the same as x-lethe-role.
table_ok=0
while read -r m path need _; do
	case $need in none) want="anyone | anyone | anyone" ;; member) want="yes | yes | yes" ;;
	admin) want="no | yes | yes" ;; owner) want="no | no | yes" ;; esac
	jq -r .info.description "$TOP/doc/openapi.json" | grep -qxF "| $m $path | $want |" || { table_ok=1; diag "table row for $m $path"; }
done <"$SCRATCH/routes"
is "$table_ok" 0 "the role table in the description matches every route's role"
is "$(jq '[.paths[][] | .operationId] | (length == (unique | length)) and all(type == "string")' \
	"$TOP/doc/openapi.json")" true "every operation has its own operationId"
redocly=$TOP/build/tools/redocly/node_modules/.bin/redocly
if [ -x "$redocly" ]; then
	"$redocly" lint --format=summary "$TOP/doc/openapi.json" >"$SCRATCH/lint" 2>&1
	rc=$?
	ok "Redocly's linter reports neither error nor warning: $(grep -E '^(warning|error) ' "$SCRATCH/lint" | tr '\n' ';')" \
		eval '[ $rc -eq 0 ] && ! grep -qE "^(warning|error) " "$SCRATCH/lint" && grep -q "is valid" "$SCRATCH/lint"'
else
	skip 1 "Redocly's linter is missing (scripts/deps installs it from the npm registry)"
fi
