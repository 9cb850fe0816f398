#!/bin/bash
# What a sysadmin expects of every program, before any configuration is
# read (LETHE_CONFIG names no file here): --version prints the name and
# version, --help the usage on standard output, both exit 0; a usage error
# exits 2 with the usage on standard error; lethectl answers --help for
# every command.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
progs=(lethe-hook lethe-api lethe-scan lethe-scrub lethe-rotate lethe-drain lethe-analyze lethe-llm-proxy lethe-agent lethectl)
for p in "${progs[@]}"; do [ -x "$TOP/bin/$p" ] || skip_all "bin/$p not built"; done
mapfile -t verbs < <(LETHE_CONFIG=/nonexistent "$TOP/bin/lethectl" --help |
	awk '$1 == "lethectl" || $2 == "lethectl" { i = $1 == "lethectl" ? 2 : 3;
	     if ($i !~ /^[a-z]/) next; v = $i; if ($(i + 1) ~ /^[a-z][a-z-]*$/) v = v " " $(i + 1); print v }')
plan $((${#progs[@]} * 3 + ${#verbs[@]} + 3))
export LETHE_CONFIG=$SCRATCH/no-such.conf
version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")

for p in "${progs[@]}"; do
	out=$("$TOP/bin/$p" --version 2>&1); rc=$?
	is "$rc $out" "0 $p $version" "$p --version"
	"$TOP/bin/$p" --help >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
	ok "$p --help prints its usage on standard output and exits 0" \
		eval '[ $rc -eq 0 ] && grep -q "^usage: $p" "$SCRATCH/out" && [ ! -s "$SCRATCH/err" ]'
	"$TOP/bin/$p" --no-such-option >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
	ok "$p with an unknown option exits 2 with its usage, before reading the configuration" \
		eval '[ $rc -eq 2 ] && grep -q "usage: $p" "$SCRATCH/err" && [ ! -s "$SCRATCH/out" ] &&
		! grep -q no-such.conf "$SCRATCH/err"'
done

for v in "${verbs[@]}"; do
	# shellcheck disable=SC2086 # "repo add" is two words
	"$TOP/bin/lethectl" $v --help >"$SCRATCH/out" 2>&1; rc=$?
	ok "lethectl $v --help exits 0 with its usage" \
		eval '[ $rc -eq 0 ] && grep -q "^usage: lethectl $v" "$SCRATCH/out"'
done
"$TOP/bin/lethectl" repo >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
ok "lethectl repo without a sub-command exits 2 listing the repo commands" \
	eval '[ $rc -eq 2 ] && grep -q "usage: lethectl repo add" "$SCRATCH/err" && grep -q "usage: lethectl repo list" "$SCRATCH/err"'
"$TOP/bin/lethectl" repo add --org x >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
ok "lethectl repo add missing its options exits 2 before reading the configuration" \
	eval '[ $rc -eq 2 ] && grep -q "^usage: lethectl repo add" "$SCRATCH/err" && ! grep -q no-such.conf "$SCRATCH/err"'
"$TOP/bin/lethectl" repo list >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
ok "a command that needs the configuration names the missing file and exits 1" \
	eval '[ $rc -eq 1 ] && grep -q no-such.conf "$SCRATCH/err"'
