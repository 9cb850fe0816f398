#!/bin/bash
# Four writers append 50 audit events each at the same time, as lethectl's
# database role; the chain stays one unbroken line and lethectl audit
# verify says so.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "bin/lethectl not built"

plan 6
tag=t3002c$$
lethectl() { "$TOP/bin/lethectl" "$@"; }

writer() { # N: 50 appends, each its own transaction, in one session
	local i
	for i in $(seq 1 50); do
		echo "SELECT lethe.audit_append(NULL, 'system', '$tag-$1', 'test.concurrent', '$i', '{\"writer\": $1, \"n\": $i}');"
	done | psql -X -q -At -v ON_ERROR_STOP=1 -U lethe_admin >/dev/null
}

pids=()
for w in 1 2 3 4; do
	writer "$w" &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "four concurrent writers finished without error"

count=$(psql -X -At -c "SELECT count(*) FROM lethe.audit_events WHERE actor LIKE '$tag-%'")
is "$count" 200 "200 events appended"

# Each writer's events appear in the chain in the order it wrote them.
disorder=$(psql -X -At -c "SELECT count(*) FROM (SELECT (details->>'n')::int - lag((details->>'n')::int)
	OVER (PARTITION BY actor ORDER BY id) AS step FROM lethe.audit_events WHERE actor LIKE '$tag-%') s
	WHERE step <> 1")
is "$disorder" 0 "each writer's events are in its own order"

interleaved=$(psql -X -At -c "SELECT count(*) FROM (SELECT actor, lag(actor) OVER (ORDER BY id) AS prev
	FROM lethe.audit_events WHERE actor LIKE '$tag-%') s WHERE actor <> prev")
ok "the writers really interleaved ($interleaved switches)" test "$interleaved" -gt 3

lethectl audit verify >/dev/null
is "$?" 0 "lethectl audit verify exits 0"
json=$(lethectl --json audit verify)
is "$(jq -r '.verified' <<<"$json")" true "and reports the chain verified ($(jq -r .events <<<"$json") events)"
