#!/bin/bash
# PostgreSQL stops; deliveries keep being acknowledged from the spool; it
# starts again; lethe-drain replays the spool; every acknowledged delivery
# is there exactly once, even when a spool file is replayed twice, and the
# spool holds metadata only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
PGLOG=${PGDATA%/*}/postgres.log
PG_CTL=/usr/lib/postgresql/15/bin/pg_ctl
SPOOL=$(sed -n 's/^spool_dir *= *//p' "$LETHE_CONFIG")/deliveries
[ -d "$PGDATA" ] || skip_all "no stack cluster at '$PGDATA'"
plan 13

# From /, which user postgres can enter wherever the checkout is.
pg() { (cd / && runuser -u postgres -- "$PG_CTL" -D "$PGDATA" -l "$PGLOG" -w "$@" >/dev/null); }
# Whatever happens, the stack gets its database and its jobs loop back.
on_exit "rm -f '$LETHE_RUN/jobs.paused'"
on_exit "pg status 2>/dev/null || pg start"
touch "$LETHE_RUN/jobs.paused"	# lethe-drain runs when this test says

hook_org
secret=$(random_secret)
hook_repo github "$secret"
marker=lethe-spool-marker-$(openssl rand -hex 8)
body=$SCRATCH/push.json
jq -c --arg m "$marker" '.head_commit.message = $m' "$CORPUS/webhooks/github/push-new-branch.json" >"$body"

acked=$SCRATCH/acked
: >"$acked"
deliver() { # ID: prints the status, remembers an acknowledged id
	local st copy
	copy=$(hook_variant "$body" "$1")
	hook_headers github push "$1" good "$copy" "$secret"
	st=$(hook_post "$HOOK_PATH" "$copy")
	case $st in 2??) echo "$1" >>"$acked" ;; esac
	echo "$st"
}

warm=0
for i in $(seq 1 32); do
	[ "$(deliver "warm-$i")" = 202 ] && warm=$((warm + 1))
done
is "$warm" 32 "deliveries accepted while PostgreSQL runs"

ok "PostgreSQL stops" pg -m fast stop
spooled=0 other=
for i in $(seq 1 12); do
	st=$(deliver "down-$i")
	if [ "$st" = 202 ] && [ "$(jq -r .status "$SCRATCH/answer")" = spooled ]; then
		spooled=$((spooled + 1))
	elif [ "$st" != 503 ]; then
		other="$other $st"
	fi
done
is "$spooled" 12 "deliveries acknowledged from the spool while PostgreSQL is down"
is "$other" "" "no other answer (every worker holds the hook's secret)"
is "$(find "$SPOOL" -maxdepth 1 -name '*.json' | wc -l)" "$spooled" "one spool file per spooled delivery"
absent "spool files hold metadata only, never the body" "$marker" "$SPOOL"

ok "PostgreSQL starts again" pg start
cp "$(find "$SPOOL" -maxdepth 1 -name '*.json' | sort | head -1)" "$SCRATCH/replay.json"
ok "lethe-drain replays the spool" "$TOP/bin/lethe-drain"
is "$(find "$SPOOL" -maxdepth 1 -name '*.json' | wc -l)" 0 "the spool is empty"
# A crash between COMMIT and unlink leaves a file behind: replaying it changes nothing.
cp "$SCRATCH/replay.json" "$SPOOL/"
ok "lethe-drain replays a file already recorded" "$TOP/bin/lethe-drain"

is "$(deliver after-restart)" 202 "the handlers reconnect after the restart"
is "$(sql "SELECT string_agg(delivery_id || ':' || n, ',' ORDER BY delivery_id) FROM (
             SELECT delivery_id, count(*) AS n FROM lethe.deliveries
             WHERE repository_id = $REPO_ID GROUP BY delivery_id) d")" \
   "$(sort "$acked" | sed 's/$/:1/' | paste -sd, -)" "every acknowledged delivery recorded exactly once"
is "$(sql "SELECT count(*) FROM lethe.deliveries WHERE repository_id = $REPO_ID AND spooled")" \
   "$spooled" "the spooled ones are marked spooled"
