# shellcheck shell=bash
# tests/scan-lib.sh: helpers for the lethe-scan tests (t2001-t2003), sourced
# after tests/lib.sh and need_stack.
#
#   scan_need                  skip unless the programs and scanners are here
#   scan_git_repo NAME DIR     DIR as bare NAME.git on the stack's git server,
#                              removed when the test ends; sets url and sha
#                              (its main), so not in $( )
#   scan_org NAME              create an org named NAME-$$ into ORG
#   scan_repo ORG NAME URL     repository with the stack's token; prints its id
#   scan_job REPO SHA [BRANCH] queue a push scan of SHA; prints the job id
#   scan_config LINES...       $SCRATCH/lethe.conf: the stack's, LINES replacing
#   scan_until_done JOB        run lethe-scan --once until JOB is done or failed
#   scan_hold                  an analyze_path (prints it) under which every scan
#                              waits in its sandbox, its checkout mounted and
#                              filled, until scan_release
#   scan_held [N]              at least N scans (1) wait there
#   scan_release               let every waiting scan go on to its analysis
#   scan_release_command       prints the command line that scan_release runs
#   scan_kill PID              kill -9 lethe-scan PID, whose sandbox dies with it
#   q SQL                      one psql query as the superuser, unaligned

scan_need() {
	local b t
	for b in lethectl lethe-scan lethe-analyze; do
		[ -x "$TOP/bin/$b" ] || skip_all "bin/$b not built"
	done
	for t in flawfinder cppcheck shellcheck bandit bwrap; do
		command -v "$t" >/dev/null || skip_all "$t not installed"
	done
	[ "$(id -u)" = 0 ] || skip_all "lethe-scan needs root"
	id lethe-sandbox >/dev/null 2>&1 || skip_all "no user lethe-sandbox"
}

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# Sets ORG.  The org and all its rows go when the test ends (the audit log
# stays).  Not in a command substitution: on_exit must run in the test's shell.
scan_org() {
	ORG=$1-$$
	"$TOP/bin/lethectl" org create "$ORG" >/dev/null || return 1
	on_exit "q \"DELETE FROM lethe.orgs WHERE name = '$ORG'\" >/dev/null"
}

# Sets url and sha (see the top).
# shellcheck disable=SC2034 # the test reads them
scan_git_repo() { # NAME DIR
	url=$(git_repo_create "$1" "$2")
	on_exit "rm -rf '$LETHE_GIT_ROOT/$1.git'"
	sha=$(git -C "$LETHE_GIT_ROOT/$1.git" rev-parse main)
}

scan_repo() { # ORG NAME URL
	(umask 077; printf '%s\n' "$LETHE_GIT_TOKEN" >"$SCRATCH/token")
	"$TOP/bin/lethectl" --json repo add --org "$1" --provider github --name "$1/$2" \
	    --clone-url "$3" --token-file "$SCRATCH/token" >"$SCRATCH/repo-$2.json" || return 1
	rm -f "$SCRATCH/token"
	jq -r .id "$SCRATCH/repo-$2.json"
}

scan_job() { # REPO SHA [BRANCH]
	local b=${3:-main}
	q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch)
	   SELECT org_id, id, '$2', 'refs/heads/$b', '$b' FROM lethe.repositories
	   WHERE id = $1 RETURNING id"
}

scan_config() {
	local l
	cp "$LETHE_CONFIG" "$SCRATCH/lethe.conf"
	for l in "$@"; do	# a key given here replaces the stack's
		sed -i "/^${l%% =*} =/d" "$SCRATCH/lethe.conf"
		printf '%s\n' "$l" >>"$SCRATCH/lethe.conf"
	done
}

scan_until_done() { # JOB [CONFIG]
	local st
	for _ in $(seq 10); do
		LETHE_CONFIG=${2:-$LETHE_CONFIG} "$TOP/bin/lethe-scan" --once >>"$SCRATCH/scan.log" 2>&1
		st=$(q "SELECT state FROM lethe.jobs WHERE id = $1")
		case $st in done|failed) report_until_sent "$1" "${2:-$LETHE_CONFIG}"; return 0 ;; esac
	done
	return 1
}

# Run lethe-report as its timer would until JOB's scans have no report due.
report_until_sent() { # JOB CONFIG
	for _ in $(seq 10); do
		[ "$(q "SELECT count(*) FROM lethe.scans WHERE job_id = $1 AND
			report_state = 'pending' AND report_next_at <= now()")" = 0 ] && return 0
		LETHE_CONFIG=$2 "$TOP/bin/lethe-report" --once >>"$SCRATCH/report.log" 2>&1
	done
}

# The held analyzer, $SCRATCH/hold-analyze, is what lethe-scan binds into the
# sandbox as lethe-analyze: a script that first runs a waiter, a shell whose
# command line carries the test's own tag (so the release reaches no other
# test's scans), until scan_release's SIGUSR1 ends it; then it copies the
# lethe-analyze appended after its last line into the sandbox's /tmp and
# runs it, as lethe-scan would have.
_scan_hold_tag() { echo "lethe-hold-${SCRATCH##*/}"; }
# What pgrep and pkill look for: the tag, as a pattern that a command line
# carrying the pattern itself (sh -c "pkill ...") does not match.
_scan_hold_pattern() { echo "[l]ethe-hold-${SCRATCH##*/}"; }

scan_hold() {
	local f=$SCRATCH/hold-analyze
	if [ ! -e "$f" ]; then
		{
			printf '#!/bin/sh\n'
			printf '/bin/sh -c %s %s\n' "'trap \"exit 0\" USR1; while :; do sleep 0.1; done'" \
				"$(_scan_hold_tag)"
			# shellcheck disable=SC2016 # the held analyzer's own variables
			printf '%s\n' 'tail -n +5 "$0" >/tmp/lethe-analyze && chmod 0700 /tmp/lethe-analyze || exit 111' \
				'exec /tmp/lethe-analyze "$@"'
			cat "$TOP/bin/lethe-analyze"
		} >"$f.tmp"
		chmod 0755 "$f.tmp"
		mv "$f.tmp" "$f"
	fi
	echo "$f"
}

scan_held() { [ "$(pgrep -c -f "$(_scan_hold_pattern)")" -ge "${1:-1}" ]; }

# The release as one command line, which another program of the test (t7002's
# browser script) may run too.
scan_release_command() { echo "pkill -USR1 -f '$(_scan_hold_pattern)'"; }

scan_release() { eval "$(scan_release_command)" || true; }

# Its sandbox's cgroups, which lethe-scan would have removed, are removed
# here once the sandbox is gone (named PID-..., see lib/scan/sandbox.c).
scan_kill() { # PID
	kill -9 "$1"
	wait "$1" 2>/dev/null
	for _ in $(seq 50); do
		pgrep -f "$(_scan_hold_pattern)" >/dev/null || break
		sleep 0.1
	done
	find /sys/fs/cgroup -depth -type d -name "$1-[0-9]*-[0-9]*" -exec rmdir {} + 2>/dev/null
	return 0
}
