#!/bin/bash
# The sandbox's SARIF is parsed and the findings stored by a process that
# has left root: in a real scan traced with strace, the process that opens
# the database connection the findings are stored through first became
# user lethe (uid, gid, groups), emptied its capabilities and set no new
# privileges; and the scan's findings are there.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
command -v strace >/dev/null || skip_all "strace is not installed"
uid=$(id -u lethe 2>/dev/null) || skip_all "user lethe does not exist"
gid=$(id -g lethe)
plan 5
pause_jobs

scan_org t2125
scan_git_repo "t2125-$$" "$TOP/tests/fixtures/vulnrepo"
repo=$(scan_repo "$ORG" app "$url")
job=$(scan_job "$repo" "$sha")
# (LeakSanitizer, in a sanitizer build, cannot work under ptrace.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -e trace=setgroups,setresgid,setresuid,capset,prctl,connect \
	-o "$SCRATCH/trace" "$TOP/bin/lethe-scan" --once >"$SCRATCH/scan.log" 2>&1
is "$(q "SELECT state FROM lethe.jobs WHERE id = $job")" "done" "the traced scan completes"
ok "it stored findings" test "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo")" -gt 0

# Per process, in order: what it had done when it connected to PostgreSQL.
awk -v u="$uid" -v g="$gid" '
	$2 == "setgroups(1," && $3 == "[" g "])" && / = 0$/ { grp[$1] = 1 }
	$2 == "setresgid(" g "," && / = 0$/ { gi[$1] = 1 }
	$2 == "setresuid(" u "," && / = 0$/ { ui[$1] = 1 }
	/^[0-9]+ +capset\(.*effective=0, permitted=0, inheritable=0\}\) = 0$/ { cap[$1] = 1 }
	/^[0-9]+ +prctl\(PR_SET_NO_NEW_PRIVS, 1/ && / = 0$/ { nnp[$1] = 1 }
	$2 ~ /^connect\(/ && /\.s\.PGSQL\./ {
		print $1, (grp[$1] ? "groups" : "-"), (gi[$1] ? "gid" : "-"), (ui[$1] ? "uid" : "-"),
		      (cap[$1] ? "nocaps" : "-"), (nnp[$1] ? "nnp" : "-")
	}' "$SCRATCH/trace" >"$SCRATCH/connects"
diag "$(cat "$SCRATCH/connects")"
ok "some process connected to PostgreSQL as user lethe" grep -q ' uid ' "$SCRATCH/connects"
is "$(grep ' uid ' "$SCRATCH/connects" | cut -d' ' -f2- | sort -u)" "groups gid uid nocaps nnp" \
   "it had dropped its groups, gid, uid and capabilities and set no new privileges first"
# The storing process is the one lethe-scan forks after the sandbox.
storer=$(grep ' uid ' "$SCRATCH/connects" | head -1 | cut -d' ' -f1)
ok "and it never asked for root back" \
   awk -v p="$storer" '$1 == p && /setres[ug]id\(0,/ { bad = 1 } END { exit bad }' "$SCRATCH/trace"
