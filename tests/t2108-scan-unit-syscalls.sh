#!/bin/bash
# The system call filter of systemd/lethe-scan.service lets a real scan
# through: every system call that lethe-scan and everything it starts
# (git, mkfs.ext4, bubblewrap, lethe-analyze and the scanners inherit the
# unit's filter) make during a whole scan, traced with strace, is in the
# unit's allow list and in none of its deny lists, as systemd-analyze
# expands them.  A call outside would fail with EPERM under systemd only.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
command -v strace >/dev/null || skip_all "strace is not installed"
command -v systemd-analyze >/dev/null || skip_all "systemd-analyze is not installed"
plan 4
pause_jobs

# The calls of a filter line's groups and names, groups expanded.
# shellcheck disable=SC2046 # one call per line
expand() {
	local x
	for x in "$@"; do
		case $x in
		@*) expand $(systemd-analyze syscall-filter "$x" 2>/dev/null |
			sed -n '2,$p' | sed 's/#.*//' | tr -d ' ') ;;
		*) echo "$x" ;;
		esac
	done
}
unit=$TOP/systemd/lethe-scan.service
# shellcheck disable=SC2046 # a filter line is a list of words
expand $(sed -n 's/^SystemCallFilter=\([^~]\)/\1/p' "$unit") | sort -u >"$SCRATCH/allow"
# shellcheck disable=SC2046
expand $(sed -n 's/^SystemCallFilter=~//p' "$unit") | sort -u >"$SCRATCH/deny"
ok "the unit allows some calls and denies others" test -s "$SCRATCH/allow" -a -s "$SCRATCH/deny"

scan_org t2108
scan_git_repo "t2108-$$" "$TOP/tests/fixtures/vulnrepo"
repo=$(scan_repo "$ORG" app "$url")
job=$(scan_job "$repo" "$sha")
# (LeakSanitizer, in a sanitizer build, cannot work under ptrace.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -o "$SCRATCH/trace" "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.log" 2>&1
is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" "done" "the traced scan completes"
sed -E 's/^[0-9]+ +//; s/^<\.\.\. ([a-z0-9_]+) resumed>/\1(/' "$SCRATCH/trace" |
	grep -oE '^[a-z0-9_]+\(' | tr -d '(' | sort -u >"$SCRATCH/used"
diag "$(wc -l <"$SCRATCH/used") distinct system calls in the scan"
is "$(comm -23 "$SCRATCH/used" "$SCRATCH/allow" | paste -sd' ' -)" "" \
    "every call the scan makes is in the unit's allow list"
is "$(comm -12 "$SCRATCH/used" "$SCRATCH/deny" | paste -sd' ' -)" "" \
    "and none is in its deny lists"
