# shellcheck shell=bash
# tests/lib.sh: sourced by every tests/tNNNN-*.sh (bash).
#
#   . "$(dirname "$0")/lib.sh"
#   need_stack                 # source the stack's env, or skip the whole test
#   plan 3
#   ok "server answers" curl -sf "$LETHE_URL/"    # passes when the command succeeds
#                                                 # (its output shown only on failure)
#   must_fail "refused" lethectl repo add ...   # passes only on exit 1-125 or
#                                               # 128 (a refusal), never on a signal,
#                                               # 126 or 127 (not run at all)
#   must_fail "no anonymous clone" --says 'Authentication failed' git clone "$url"
#                                               # ... and only with that reason
#   absent "no marker logged" "$marker" "$LETHE_RUN/log"  # the file exists
#                                               # and does not hold the text
#   absent "no marker" "$m" FILE...  # the files exist and none holds $m
#                                    # (grep -F exits exactly 1)
#   is "$(cat f)" "want" "f holds want"           # string equality
#   skip "no dm-crypt here"                       # ok N # SKIP reason
#   skip_all "needs root"                         # 1..0 # SKIP, before plan
#   diag "anything"                               # # anything (on stderr)
#   on_exit 'umount "$SCRATCH/mnt"'               # cleanup, before SCRATCH goes
# A test exits 1 when one of its checks failed.
#
# Variables:
#   TOP      the checkout
#   SCRATCH  a scratch directory of its own, removed when the test exits:
#            under LETHE_SHARED, else TMPDIR or /tmp
#   CORPUS   the shared test material (../shared/corpus next to the checkout,
#            else /work/shared/corpus)
#   SARIF_MULTITOOL  Microsoft's SARIF Multitool installed by scripts/deps
#            (build/tools/bin/sarif-multitool).  `validate FILE... --rule-kind
#            Sarif` exits 0 whatever it finds: count the lines with ': error '.
# After need_stack, the variables of $LETHE_RUN/env: LETHE_URL, LETHE_CONFIG,
# LETHE_SHARED (a directory every user of the stack can enter), PGDATA (the
# cluster's data directory as user postgres reaches it), PGHOST, PGPORT,
# PGDATABASE, PGUSER (postgres), LETHE_GIT_URL, LETHE_GIT_ROOT,
# LETHE_GIT_TOKEN.
#
# Helpers:
#   git_repo_create NAME DIR    bare NAME.git on the stack's git server, holding
#                               DIR as one commit on main; prints its URL
#   git_token ARGS...           git, authenticated as x-access-token (the token
#                               goes through the environment, never argv)
#   pause_jobs                  stop the stack's jobs loop for this test (until
#                               it exits; a pause already there is left as it
#                               is) and wait until no job of it runs
#   alive PID                   the process runs (exists and is not a zombie)
#   trace_procs TRACE PORT GID  from TRACE (strace -f -qq -e trace=$TRACE_CALLS),
#                               a line per process that connected to TCP PORT
#                               ("connect PID UID ...") or ran git, git-* or
#                               lethe-fetch ("NAME PID UID ..."), with what it had
#                               done by then: groups (set to GID alone), gid
#                               (GID), nocaps, nnp (no new privileges), else -
#   sign_hmac_sha256 SECRET FILE  hex HMAC-SHA256 of FILE (as X-Hub-Signature-256
#                               carries it after 'sha256=')
#   copy_tree DIR               the checkout's sources into DIR (not build/,
#                               bin/, run/, .git: the tree need not be a clone)

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -d "$TOP/../shared/corpus" ]; then
	CORPUS=$(cd "$TOP/../shared/corpus" && pwd)
else
	CORPUS=/work/shared/corpus
fi
SARIF_MULTITOOL=$TOP/build/tools/bin/sarif-multitool
export TOP CORPUS SARIF_MULTITOOL

_tap_n=0
_tap_failed=0
_tap_exit=()

# Under the stack's LETHE_SHARED (scripts/tap-exec passes it on), where the
# service users (postgres, lethe-sandbox) can traverse it when a test needs
# them to, wherever the checkout is.
SCRATCH=$(mktemp -d "${LETHE_SHARED:-${TMPDIR:-/tmp}}/lethe-test.XXXXXX")
chmod 0755 "$SCRATCH"

# on_exit COMMAND: run COMMAND (a string) when the test exits, before the
# scratch directory is removed, last registered first.
on_exit() { _tap_exit=("$1" "${_tap_exit[@]}"); }

_tap_cleanup() {
	local c
	for c in "${_tap_exit[@]}"; do eval "$c" || true; done
	rm -rf "$SCRATCH"
	[ "$_tap_failed" = 0 ] || exit 1
}
trap _tap_cleanup EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }

diag() { echo "# $*" >&2; }

_tap_result() { # status desc
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
}

# ok DESC COMMAND...: passes when COMMAND exits 0.  Its output is shown (as
# diagnostics, last lines) only when it fails.  (Locals of ok and must_fail
# are prefixed so that an eval'd COMMAND sees the test's own variables.)
ok() {
	local _tap_desc=$1 _tap_rc=0
	shift
	"$@" >"$SCRATCH/.ok.out" 2>&1 || _tap_rc=$?
	_tap_result $_tap_rc "$_tap_desc"
	[ $_tap_rc = 0 ] || tail -n 5 "$SCRATCH/.ok.out" | sed 's/^/# /' >&2
}

# must_fail DESC [--says PATTERN] COMMAND...: passes when COMMAND refuses:
# an exit status of 1 to 125 and, with --says, PATTERN (an extended regular
# expression) in its output, so that the test passes on the refusal it means
# and not on any other error.  1 to 125, and 128 (git's fatal error), are
# refusals; a signal (128+N), a command not found (127) or not executable
# (126) is a failure of the test, never an expected refusal.
must_fail() {
	local _tap_desc=$1 _tap_says= _tap_rc=0
	shift
	if [ "$1" = --says ]; then _tap_says=$2; shift 2; fi
	"$@" >"$SCRATCH/.ok.out" 2>&1 || _tap_rc=$?
	if [ "$_tap_rc" -lt 1 ] || { [ "$_tap_rc" -gt 125 ] && [ "$_tap_rc" != 128 ]; }; then
		_tap_result 1 "$_tap_desc"
		diag "exit status $_tap_rc, want 1-125 or 128"
		tail -n 5 "$SCRATCH/.ok.out" | sed 's/^/# /' >&2
	elif [ -n "$_tap_says" ] && ! grep -qE -- "$_tap_says" "$SCRATCH/.ok.out"; then
		_tap_result 1 "$_tap_desc"
		diag "refused (exit status $_tap_rc), but not saying '$_tap_says':"
		tail -n 5 "$SCRATCH/.ok.out" | sed 's/^/# /' >&2
	else
		_tap_result 0 "$_tap_desc"
	fi
}

# absent DESC PATTERN FILE...: passes when every FILE exists and none holds
# the fixed string PATTERN, binary files and, for a directory, every file
# under it included (grep exits 1: not 0, a match, nor 2, an error).
absent() {
	local _tap_desc=$1 _tap_pat=$2 _tap_rc=0
	shift 2
	grep -rqaF -- "$_tap_pat" "$@" 2>"$SCRATCH/.ok.out" || _tap_rc=$?
	[ "$_tap_rc" = 1 ]
	_tap_result $? "$_tap_desc"
	[ "$_tap_rc" = 1 ] || diag "grep exit status $_tap_rc, want 1 (0: found, 2: a file missing)"
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "got:  '$1'"
		diag "want: '$2'"
	fi
}

# skip REASON: one skipped test.
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $*"
}

# skip_all REASON: the whole test cannot run here.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# need_stack: load the running stack's environment or skip the test.
need_stack() {
	local env=${LETHE_RUN:-$TOP/run}/env
	[ -r "$env" ] || skip_all "no stack"
	# shellcheck disable=SC1090 # written by scripts/stack up
	. "$env"
	curl -s -o /dev/null --max-time 5 "$LETHE_URL/" || skip_all "no stack"
}

git_token() {
	local basic
	basic=$(printf 'x-access-token:%s' "$LETHE_GIT_TOKEN" | base64 -w0)
	GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader \
	    GIT_CONFIG_VALUE_0="Authorization: Basic $basic" GIT_TERMINAL_PROMPT=0 \
	    git -c user.name=lethe-test -c user.email=test@lethe.invalid "$@"
}

git_repo_create() { # NAME DIR
	local name=$1 src=$2 work
	: "${LETHE_GIT_ROOT:?no stack environment}" "${LETHE_GIT_URL:?no stack environment}"
	work=$(mktemp -d "$SCRATCH/git.XXXXXX")
	git init -q --bare -b main "$LETHE_GIT_ROOT/$name.git" || return 1
	cp -a "$src/." "$work/" &&
		git -C "$work" init -q -b main &&
		git -C "$work" add -A &&
		git_token -C "$work" commit -q -m "import $name" &&
		git_token -C "$work" push -q "$LETHE_GIT_URL/$name.git" main || return 1
	rm -rf "$work"
	echo "$LETHE_GIT_URL/$name.git"
}

pause_jobs() {
	if [ ! -e "$LETHE_RUN/jobs.paused" ]; then
		touch "$LETHE_RUN/jobs.paused"
		on_exit "rm -f '$LETHE_RUN/jobs.paused'"
	fi
	for _ in $(seq 600); do
		[ -e "$LETHE_RUN/jobs.busy" ] || return 0
		sleep 0.1
	done
	diag "a job of the stack still runs after 60 s"
	return 1
}

TRACE_CALLS=setgroups,setresgid,setresuid,capset,prctl,connect,execve,clone,clone3,fork,vfork
trace_procs() {
	# Two passes: strace may write a child's first calls before its parent's
	# "<... clone resumed> = PID", so each child takes its parent's state
	# when it first shows, from the parents the first pass found.
	awk -v g="$3" -v port="$2" '
		function who(p) { return p " " (uid[p] == "" ? 0 : uid[p]) " " (grp[p] ? "groups" : "-") " " \
			(gi[p] ? "gid" : "-") " " (cap[p] ? "nocaps" : "-") " " (nnp[p] ? "nnp" : "-") }
		NR == FNR {
			if (($2 ~ /^(clone|clone3|fork|vfork)\(/ || ($2 == "<..." && $3 ~ /^(clone|clone3|fork|vfork)$/)) &&
			    $NF ~ /^[0-9]+$/)
				parent[$NF] = $1
			next
		}
		!($1 in seen) {
			seen[$1] = 1; p = parent[$1]
			if (p != "") { uid[$1] = uid[p]; grp[$1] = grp[p]; gi[$1] = gi[p]; cap[$1] = cap[p]; nnp[$1] = nnp[p] }
		}
		$2 == "setgroups(1," && $3 == "[" g "])" && / = 0$/ { grp[$1] = 1 }
		$2 == "setresgid(" g "," && / = 0$/ { gi[$1] = 1 }
		$2 ~ /^setresuid\(/ && / = 0$/ { v = $2; sub(/^setresuid\(/, "", v); sub(/,$/, "", v); uid[$1] = v }
		/ capset\(.*effective=0, permitted=0, inheritable=0\}\) = 0$/ { cap[$1] = 1 }
		/ prctl\(PR_SET_NO_NEW_PRIVS, 1/ && / = 0$/ { nnp[$1] = 1 }
		$2 ~ /^connect\(/ && index($0, "sin_port=htons(" port ")") { print "connect", who($1) }
		$2 ~ /^execve\("[^"]*\/(git|lethe-fetch|git-[a-z-]*)"/ && / = 0$/ {
			n = $2; sub(/^execve\("/, "", n); sub(/".*/, "", n); sub(/.*\//, "", n); print n, who($1)
		}' "$1" "$1"
}

alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# The secret goes through the environment: openssl dgst -hmac would put it
# in argv, where any user can read it.
copy_tree() { # DIR
	mkdir -p "$1" &&
		tar -C "$TOP" -c --exclude=./build --exclude=./bin --exclude=./run --exclude=./.git . |
		tar -x -C "$1"
}

sign_hmac_sha256() { # SECRET FILE
	LETHE_HMAC_KEY=$1 perl -MDigest::SHA=hmac_sha256_hex -e '
		local $/; open(my $f, "<:raw", $ARGV[0]) or die "unable to open $ARGV[0]: $!\n";
		print hmac_sha256_hex(<$f>, $ENV{LETHE_HMAC_KEY}), "\n"' "$2"
}
