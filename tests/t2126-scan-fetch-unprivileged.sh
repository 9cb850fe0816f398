#!/bin/bash
# The repository is fetched by a process that has left root: in real scans
# traced with strace (libgit2 and git(1)), every process that connects to
# the git server, and every git and lethe-fetch process, runs as user
# lethe-fetch, which it became (groups, gid, uid, no capabilities, no new
# privileges) before it executed lethe-fetch; lethe-scan itself never
# connects there.  lethe-fetch refuses to run as root.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
command -v strace >/dev/null || skip_all "strace is not installed"
uid=$(id -u lethe-fetch 2>/dev/null) || skip_all "user lethe-fetch does not exist"
gid=$(id -g lethe-fetch)
plan 12
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
		strace -f -qq -e trace=setgroups,setresgid,setresuid,capset,prctl,connect,execve,clone,clone3,fork,vfork \
		-o "$SCRATCH/trace.$1" "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.$1.log" 2>&1
	is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" "done" "the traced scan ($1) completes"
	# Each process: its uid (inherited at fork, changed by setresuid) and
	# what it had done when it connected to the git server or ran a program.
	awk -v u="$uid" -v g="$gid" -v port="$git_port" -v main="" '
		function who(p) { return p " " (uid[p] == "" ? 0 : uid[p]) " " (grp[p] ? "groups" : "-") " " \
			(gi[p] ? "gid" : "-") " " (cap[p] ? "nocaps" : "-") " " (nnp[p] ? "nnp" : "-") }
		main == "" { main = $1 }
		$2 ~ /^(clone|clone3|fork|vfork)\(/ && $NF ~ /^[0-9]+$/ {
			c = $NF; uid[c] = uid[$1]; grp[c] = grp[$1]; gi[c] = gi[$1]; cap[c] = cap[$1]; nnp[c] = nnp[$1]
		}
		$2 == "setgroups(1," && $3 == "[" g "])" && / = 0$/ { grp[$1] = 1 }
		$2 == "setresgid(" g "," && / = 0$/ { gi[$1] = 1 }
		$2 ~ /^setresuid\(/ && / = 0$/ { v = $2; sub(/^setresuid\(/, "", v); sub(/,$/, "", v); uid[$1] = v }
		/ capset\(.*effective=0, permitted=0, inheritable=0\}\) = 0$/ { cap[$1] = 1 }
		/ prctl\(PR_SET_NO_NEW_PRIVS, 1/ && / = 0$/ { nnp[$1] = 1 }
		$2 ~ /^connect\(/ && index($0, "sin_port=htons(" port ")") { print "connect", who($1) }
		$2 ~ /^execve\("[^"]*\/(git|lethe-fetch|git-[a-z-]*)"/ && / = 0$/ {
			n = $2; sub(/^execve\("/, "", n); sub(/".*/, "", n); sub(/.*\//, "", n); print n, who($1)
		}' "$SCRATCH/trace.$1" >"$SCRATCH/procs.$1"
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
