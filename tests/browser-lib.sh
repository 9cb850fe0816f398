# shellcheck shell=bash
# tests/browser-lib.sh: sourced by the dashboard's browser tests after lib.sh.
#
#   browser_need         skip unless Debian's chromium, playwright-core and
#                        axe-core are there; sets BROWSER_TOOLS
#   browser_run SCRIPT   run tests/SCRIPT (a .mjs using tests/browser-lib.mjs)
#                        under node with the environment as it is, its lines
#                        as TAP, then one line that it ran to its end

browser_need() {
	BROWSER_TOOLS=$TOP/build/tools/browser
	[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium (scripts/deps installs Debian's chromium)"
	[ -d "$BROWSER_TOOLS/node_modules/playwright-core" ] && [ -d "$BROWSER_TOOLS/node_modules/axe-core" ] ||
		skip_all "playwright-core or axe-core missing from build/tools/browser (scripts/deps installs them)"
	export BROWSER_TOOLS
}

browser_run() {
	local out=$SCRATCH/${1%.mjs}.out err=$SCRATCH/${1%.mjs}.err rc line
	timeout 900 node "$TOP/tests/$1" >"$out" 2>"$err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) _tap_result 0 "${line#ok - }" ;;
		"not ok - "*) _tap_result 1 "${line#not ok - }" ;;
		*) diag "$line" ;;
		esac
	done <"$out"
	[ $rc = 0 ] || { diag "the browser script exited $rc:"; tail -n 15 "$err" | sed 's/^/# /' >&2; }
	is "$rc" 0 "the browser script ran to its end"
}
