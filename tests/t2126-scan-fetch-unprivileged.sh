#!/bin/bash
# The repository is fetched by a process that has left root: in real scans
# traced with strace (libgit2 and git(1)), every process that connects to
# the git server, and every git and lethe-fetch process, runs as user
# lethe-fetch, which it became (groups, gid, uid, no capabilities, no new
# privileges) before it executed lethe-fetch; lethe-scan itself never
# connects there.  lethe-fetch refuses to run as root, and a push whose
# input is not framed as its header says.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
command -v strace >/dev/null || skip_all "strace is not installed"
uid=$(id -u lethe-fetch 2>/dev/null) || skip_all "user lethe-fetch does not exist"
gid=$(id -g lethe-fetch)
plan 13
pause_jobs

git_port=$(printf '%s\n' "$LETHE_GIT_URL" | sed -n 's|^http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p')
scan_org t2126
scan_git_repo "t2126-$$" "$TOP/tests/fixtures/vulnrepo"
repo=$(scan_repo "$ORG" app "$url")

# trace METHOD: one traced scan of the repository with clone_fetch = METHOD
trace() {
	local job
	job=$(scan_job "$repo" "$sha")
	scan_config "clone_fetch = $1"
	# (LeakSanitizer, in a sanitizer build, cannot work under ptrace.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 LETHE_CONFIG=$SCRATCH/lethe.conf \
		strace -f -qq -e trace="$TRACE_CALLS" \
		-o "$SCRATCH/trace.$1" "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.$1.log" 2>&1
	is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" "done" "the traced scan ($1) completes"
	trace_procs "$SCRATCH/trace.$1" "$git_port" "$gid" >"$SCRATCH/procs.$1"
	diag "$(sort -u -k1,1 -k3 "$SCRATCH/procs.$1")"
	ok "($1) lethe-fetch ran" grep -q '^lethe-fetch ' "$SCRATCH/procs.$1"
	ok "($1) the git server was reached" grep -q '^connect ' "$SCRATCH/procs.$1"
	is "$(awk '{ print $3, $4, $5, $6, $7 }' "$SCRATCH/procs.$1" | sort -u)" "$uid groups gid nocaps nnp" \
	   "($1) every process that connected to it or ran git or lethe-fetch was user lethe-fetch, with no groups, capabilities or new privileges"
	main=$(head -1 "$SCRATCH/trace.$1" | cut -d' ' -f1)
	absent "($1) lethe-scan itself never connected to it" "connect $main " "$SCRATCH/procs.$1"
}
trace libgit2
trace git

ok "the log says which method fetched" grep -q "cloned '.*(git)" "$SCRATCH/scan.git.log"
must_fail "lethe-fetch refuses to run as root" --says 'refusing to run as root' \
	"$TOP/bin/lethe-fetch" --url "$url" --sha "$sha" --home "$SCRATCH" --timeout 10 \
	--max-size 1000000 "$SCRATCH"

# A push's standard input that is not as long as its header says, as the
# fetch user, in directories of that user's.
fetch=$(sed -n 's/^fetch_path = //p' "$LETHE_CONFIG")
fdir=$(mktemp -d /tmp/t2126.XXXXXX)
on_exit "rm -rf '$fdir'"
mkdir "$fdir/work" "$fdir/home" && chown -R lethe-fetch: "$fdir"
must_fail "lethe-fetch --push refuses input that is not TOKEN PATCH MESSAGE" \
	--says "the push's input is not TOKEN PATCH MESSAGE" \
	runuser -u lethe-fetch -- "${fetch:-$TOP/bin/lethe-fetch}" --push lethe/fix-1-1 --url "$url" \
	--sha "$sha" --home "$fdir/home" --timeout 10 --max-size 1000000 "$fdir/work" \
	< <(printf '5 3 2\ntokenpatchmsg-and-more')
