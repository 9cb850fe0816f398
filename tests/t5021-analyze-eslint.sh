#!/bin/bash
# ESLint in lethe-analyze: each rule of eslint-plugin-security and
# @microsoft/eslint-plugin-sdl is found in the vulnerable form of its
# fixture (tests/fixtures/eslint) and not in the safe one, with Lethe's text
# for the rule; ESLint is not run without JavaScript or TypeScript, and says
# so when its tree is missing.  Then a JavaScript and TypeScript repository
# is scanned by lethe-scan in the sandbox: its findings are stored, and the
# repository's own eslint.config.js, .eslintrc.js and node_modules (plugins,
# parser, formatter, ESLint itself), each planted to make itself seen, are
# never run.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
ESL=$TOP/build/tools/eslint
[ -e "$ESL/node_modules/eslint/bin/eslint.js" ] || skip_all "no ESLint tree in $ESL (scripts/deps)"
command -v jq >/dev/null || skip_all "jq missing"
FIX=$TOP/tests/fixtures/eslint
mapfile -t VULN < <(cd "$FIX/vulnerable" && ls)
plan $((${#VULN[@]} + 10))
check() { ok "$2" eval "$1"; }
an() { "$TOP/bin/lethe-analyze" --tool eslint --eslint-dir "$ESL" --workspace "$@"; }

cp -r "$FIX" "$SCRATCH/fx"
an "$SCRATCH/fx" >"$SCRATCH/fx.sarif" 2>/dev/null
check 'jq -e ".runs[0].invocations[0].executionSuccessful and .runs[0].tool.driver.name == \"eslint\"" \
	"$SCRATCH/fx.sarif" >/dev/null' "ESLint runs to completion on the fixtures"
jq -r '.runs[0].results[] | [.ruleId, .locations[0].physicalLocation.artifactLocation.uri] | @tsv' \
	"$SCRATCH/fx.sarif" | sort -u >"$SCRATCH/found"
# A fixture's name is its rule: security-NAME or sdl-NAME (@microsoft/sdl/NAME).
for f in "${VULN[@]}"; do
	r=${f%.*}
	case $r in
	security-*) rule=security/${r#security-} ;;
	*) rule=@microsoft/sdl/${r#sdl-} ;;
	esac
	check 'grep -qxF "$rule	vulnerable/$f" "$SCRATCH/found" && ! grep -qxF "$rule	safe/$f" "$SCRATCH/found"' \
		"$rule: found in its vulnerable form, not in its safe one"
done
jq -r '.runs[0].results[].message.text' "$SCRATCH/fx.sarif" | sort -u >"$SCRATCH/texts"
check '[ -s "$SCRATCH/texts" ] && while read -r t; do grep -qF "\"$t\"" "$TOP/lib/parse/ruletext.c" || exit 1; done <"$SCRATCH/texts"' \
	"every message is Lethe's text for its rule, none the plugin's"

an "$TOP/tests/fixtures/deps" >"$SCRATCH/none.sarif" 2>/dev/null
is "$(jq -r '.runs[0] | "\(.invocations[0].executionSuccessful) \(.properties["lethe/not-applicable"])"' \
	"$SCRATCH/none.sarif")" "true no JavaScript or TypeScript file" \
	"not run where there is no JavaScript or TypeScript file"
"$TOP/bin/lethe-analyze" --tool eslint --eslint-dir "$SCRATCH/none" --workspace "$SCRATCH/fx" \
	>"$SCRATCH/missing.sarif" 2>/dev/null
is "$(jq -r '.runs[0] | "\(.invocations[0].executionSuccessful) \(.invocations[0].toolExecutionNotifications[0].message.text)"' \
	"$SCRATCH/missing.sarif")" "false ESLint is not installed (eslint_path)" \
	"without its tree the run is incomplete and says why"

# The repository: findings in JavaScript and TypeScript, and a configuration
# and modules of its own that, if ESLint ran them, would show: the
# configuration writes a finding of its own and ends ESLint, each module
# ends it with status 9.
src=$SCRATCH/src
mkdir -p "$src/src"
cat >"$src/src/app.js" <<'JS'
const cp = require("child_process");

function run(cmd) {
	cp.exec(cmd);
	return eval(cmd);
}

module.exports = run;
JS
cat >"$src/src/view.ts" <<'TS'
export function show(el: HTMLElement, html: string): void {
	el.innerHTML = html;
}
TS
fake='{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"ESLint"}},"results":[{"ruleId":"planted/config","level":"error","message":{"text":"planted"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/app.js"},"region":{"startLine":1}}}]}]}]}'
for c in eslint.config.js eslint.config.mjs .eslintrc.js; do
	printf 'process.stdout.write(%s);\nprocess.exit(0);\n' "'$fake'" >"$src/$c"
done
for m in eslint eslint-plugin-security @microsoft/eslint-plugin-sdl @typescript-eslint/parser \
    @microsoft/eslint-formatter-sarif; do
	mkdir -p "$src/node_modules/$m"
	printf '{"name":"%s","version":"1.0.0","main":"index.js"}\n' "$m" >"$src/node_modules/$m/package.json"
	echo 'process.exit(9);' >"$src/node_modules/$m/index.js"
done
echo 'process.exit(9);' >"$src/node_modules/@microsoft/eslint-formatter-sarif/sarif.js"
printf '{"name":"planted","eslintConfig":{"plugins":["planted"]}}\n' >"$src/package.json"

an "$src" >"$SCRATCH/direct.sarif" 2>/dev/null
check 'jq -e ".runs[0].invocations[0].executionSuccessful and ([.runs[0].results[].ruleId] | index(\"planted/config\") | not)" \
	"$SCRATCH/direct.sarif" >/dev/null' "outside the sandbox too, the repository's configuration and modules are not run"

pause_jobs
name=eslint-$$
scan_git_repo "$name" "$src"
scan_org eslint
repo=$(scan_repo "$ORG" "$name" "$url")
job=$(scan_job "$repo" "$sha")
scan_until_done "$job"
is "$(q "SELECT j.state || ' ' || s.state FROM lethe.jobs j JOIN lethe.scans s ON s.job_id = j.id
	WHERE j.id = ${job:-0}")" "done complete" "the scan of the JavaScript and TypeScript repository is complete"
scan=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job:-0}")
is "$(q "SELECT status || ' ' || version || ' ' || result_count FROM lethe.scan_tools
	WHERE scan_id = ${scan:-0} AND tool = 'eslint'")" "complete 9.39.5 3" \
	"ESLint ran in the sandbox, at the pinned version, with three results"
is "$(q "SELECT string_agg(rule_id || ' ' || path || ':' || start_line, ', ' ORDER BY path, start_line)
	FROM lethe.findings WHERE repository_id = ${repo:-0} AND tool = 'eslint'")" \
	"security/detect-child-process src/app.js:4, security/detect-eval-with-expression src/app.js:5, @microsoft/sdl/no-inner-html src/view.ts:2" \
	"the findings stored are the code's, at their lines"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${repo:-0}
	AND (rule_id LIKE 'planted%' OR message LIKE '%planted%')")" 0 \
	"no finding of the repository's own configuration: it was never executed"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${repo:-0} AND tool = 'eslint'
	AND (message LIKE '%innerHTML = %' OR message LIKE '%eval(cmd)%' OR message LIKE '%Do not%')")" 0 \
	"the stored messages quote no code and are not the plugins' own"
