#!/bin/bash
# A scan whose sandbox cannot run lethe-analyze says why in one line: the
# job's last_error and `lethectl jobs` name the cause (bubblewrap's or the
# exec's diagnostic), whether analyze_path is out of the sandbox user's
# reach or not executable.  What else the analysis wrote to stderr (which
# might quote the repository) is never passed on.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 6
pause_jobs

mkdir -p "$SCRATCH/src"
echo 'print("hello")' >"$SCRATCH/src/hello.py"
name=cause-$$
scan_git_repo "$name" "$SCRATCH/src"
scan_org cause
repo=$(scan_repo "$ORG" "$name" "$url")

# scan ANALYZE_PATH: one scan with that analyzer; prints the job's state
# and last_error
scan() {
	scan_config "analyze_path = $1"
	job=$(scan_job "$repo" "$sha")
	scan_until_done "$job" "$SCRATCH/lethe.conf"
	q "SELECT state || ': ' || coalesce(last_error, '') FROM lethe.jobs WHERE id = $job"
}

mkdir -m 0700 "$SCRATCH/private"
cp "$TOP/bin/lethe-analyze" "$SCRATCH/private/lethe-analyze"
got=$(scan "$SCRATCH/private/lethe-analyze")
case $got in
"failed: lethe-analyze exited with status 1: bwrap: "*"$SCRATCH/private/lethe-analyze"*"Permission denied") _r=0 ;;
*) _r=1; diag "got: $got" ;;
esac
_tap_result $_r "an analyzer the sandbox user cannot reach: bubblewrap's reason in last_error"
ok "lethectl jobs shows it" eval "'$TOP/bin/lethectl' jobs --org '$ORG' | grep -F 'bwrap: ' | grep -qF 'Permission denied'"

cp "$TOP/bin/lethe-analyze" "$SCRATCH/noexec"
chmod 0644 "$SCRATCH/noexec"
got=$(scan "$SCRATCH/noexec")
case $got in
"failed: lethe-analyze exited with status 126: /usr/bin/env: "*"/opt/lethe/lethe-analyze"*"Permission denied") _r=0 ;;
*) _r=1; diag "got: $got" ;;
esac
_tap_result $_r "an analyzer that is not executable: the exec's reason in last_error"

# A stand-in that writes a marker (as a scanner quoting code would) and a
# diagnostic of its own with control characters, then fails.
marker=lethe-cause-marker-$(openssl rand -hex 8)
printf '#!/bin/sh\necho "%s" >&2\nprintf "lethe-analyze: unable to go on:\\033[31m red\\n" >&2\necho "%s" >&2\nexit 1\n' \
	"$marker" "$marker" >"$SCRATCH/an"
chmod 0755 "$SCRATCH/an"
got=$(scan "$SCRATCH/an")
is "$got" "failed: lethe-analyze exited with status 1: lethe-analyze: unable to go on: [31m red" \
	"lethe-analyze's own line is passed on, without its control characters"
absent "no other line of its stderr in the job" "$marker" <(q "SELECT last_error FROM lethe.jobs WHERE repository_id = $repo")
absent "nor in the logs" "$marker" "$SCRATCH/scan.log" "$LETHE_RUN/log/lethe.log"
