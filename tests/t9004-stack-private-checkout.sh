#!/bin/bash
# A checkout whose parent only root can enter (a clone under /root, mode
# 0700): a copy of the built tree in such a directory gets a stack whose env
# names directories postgres and lethe-sandbox can reach, whose lethe.conf
# names an analyzer and a run_dir the sandbox user can reach, and whose
# jobs loop scans a repository to completion; a rebuilt analyzer reaches the
# sandbox; `purge` removes what the stack kept outside the checkout.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/scan-lib.sh
. "$TOP/tests/scan-lib.sh"
scan_need
id postgres >/dev/null 2>&1 || skip_all "no user postgres"

PRIV=$SCRATCH/private
TOP3=$PRIV/lethe
RUN3=$TOP3/run
PORT3=$(( ${LETHE_PORT:-8080} + 70 ))
stack3() { LETHE_RUN=$RUN3 LETHE_PORT=$PORT3 "$TOP3/scripts/stack" "$@"; }
port_listens() { ss -Hltn "sport = :$PORT3" | grep -q .; }
port_listens && skip_all "port $PORT3 is taken"
plan 11

mkdir -m 0700 "$PRIV"
mkdir "$TOP3"
cp -a "$TOP/bin" "$TOP/scripts" "$TOP/nginx" "$TOP/sql" "$TOP/web" "$TOP3/"
on_exit 'stack3 purge >/dev/null 2>&1'
if ! stack3 up >"$SCRATCH/up.log" 2>&1; then
	echo "Bail out! the stack under a private directory did not come up"
	sed 's/^/# /' "$SCRATCH/up.log" >&2
	exit 1
fi
_tap_result 0 "the stack comes up under a directory of mode 0700"
# shellcheck disable=SC1091 # written by stack up
. "$RUN3/env"
conf() { sed -n "s/^$1 = //p" "$LETHE_CONFIG"; }
as() { (cd / && runuser -u "$1" -- test "${@:2}"); }
# shellcheck disable=SC2016 # ok evaluates the expressions

ok "env names LETHE_SHARED, which postgres and lethe-sandbox can enter" \
	eval 'as postgres -x "$LETHE_SHARED" && as lethe-sandbox -x "$LETHE_SHARED"'
ok "env names PGDATA, which postgres can write" as postgres -w "$PGDATA"
# shellcheck disable=SC2016
ok "run_dir is under LETHE_SHARED, which lethe-sandbox can enter" \
	eval '[ "$(conf run_dir)" = "$LETHE_SHARED/rundir" ] && as lethe-sandbox -x "$(conf run_dir)"'
analyzer=$(conf analyze_path)
ok "analyze_path ($analyzer) is executable by lethe-sandbox" as lethe-sandbox -x "$analyzer"
ok "and is the analyzer just built" cmp -s "$analyzer" "$TOP3/bin/lethe-analyze"

scan_git_repo private-$$ "$TOP/tests/fixtures/vulnrepo"
"$TOP3/bin/lethectl" org create private >/dev/null
repo=$(scan_repo private private-$$ "$url")
job=$(scan_job "${repo:-0}" "$sha")
for _ in $(seq 300); do
	case $(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}") in done|failed) break ;; esac
	sleep 0.2
done
is "$(q "SELECT state || ' ' || coalesce(last_error, '') FROM lethe.jobs WHERE id = ${job:-0}")" "done " \
	"the stack's jobs loop scans a repository there"
is "$(q "SELECT string_agg(t.tool, ',' ORDER BY t.tool) FROM lethe.scan_tools t
	JOIN lethe.scans s ON s.id = t.scan_id WHERE s.job_id = ${job:-0} AND s.state = 'complete'
	AND t.status = 'complete' AND t.result_count > 0
	AND t.tool IN ('bandit', 'cppcheck', 'flawfinder', 'shellcheck')")" \
	"bandit,cppcheck,flawfinder,shellcheck" \
	"in the sandbox every scanner ran to completion with findings"

# A rebuild: the jobs loop hands the sandbox the new analyzer.
cp -a "$TOP3/bin/lethe-analyze" "$SCRATCH/an"
printf '\n' >>"$SCRATCH/an"
mv "$SCRATCH/an" "$TOP3/bin/lethe-analyze"
touch "$TOP3/bin/lethe-analyze"
for _ in $(seq 150); do
	cmp -s "$analyzer" "$TOP3/bin/lethe-analyze" && break
	sleep 0.2
done
ok "a rebuilt lethe-analyze reaches the sandbox's copy" cmp -s "$analyzer" "$TOP3/bin/lethe-analyze"

shared=$LETHE_SHARED
ok "purge" stack3 purge
# shellcheck disable=SC2016
ok "and removes LETHE_SHARED ($shared)" eval '[ -n "$shared" ] && [ ! -e "$shared" ]'
