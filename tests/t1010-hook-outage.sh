#!/bin/bash
# Nothing lost during a PostgreSQL outage: every lethe-hook worker loads
# every hook's secret at start and keeps the set current (NOTIFY), so a
# hook it never served is verified and spooled while PostgreSQL is down.
# Three repositories are connected, then lethe-hook starts (a private
# instance with two workers, spoken to with cgi-fcgi); a fourth is
# connected while it runs; PostgreSQL stops before any delivery; signed
# pushes to all four are acknowledged, none 503; PostgreSQL starts again
# and lethe-drain stores each acknowledged delivery exactly once (and a
# spooled push of two branches queues both).  A worker
# that starts during the outage answers 503 until it has loaded once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (libfcgi-bin) is not installed"
PGLOG=${PGDATA%/*}/postgres.log
PG_CTL=/usr/lib/postgresql/15/bin/pg_ctl
[ -d "$PGDATA" ] || skip_all "no stack cluster at '$PGDATA'"
plan 15

pg() { (cd / && runuser -u postgres -- "$PG_CTL" -D "$PGDATA" -l "$PGLOG" -w "$@" >/dev/null); }
on_exit "pg status 2>/dev/null || pg start"
pause_jobs	# lethe-drain runs when this test says

# logged NAME PATTERN N: wait (up to 60 s) until N log lines of NAME match.
logged() {
	for _ in $(seq 600); do
		[ "$(grep -c "$2" "$SCRATCH/$1/log")" -ge "$3" ] && return 0
		sleep 0.1
	done
	diag "$(cat "$SCRATCH/$1/log")"
	return 1
}

# connect NAME PROVIDER FILE EVENT: a repository and what its pushes look like.
declare -A path provider file event
connect() {
	hook_repo "$2" "$secret" || return 1
	path[$1]=$HOOK_PATH provider[$1]=$2 file[$1]=$CORPUS/webhooks/$3 event[$1]=$4
	echo "$REPO_ID $1" >>"$SCRATCH/repos"
}

# deliver INSTANCE NAME ID: one signed push over FastCGI; prints the status
# and remembers an acknowledged id.
deliver() {
	local body sig st out=$SCRATCH/answer
	body=$(hook_variant "${file[$2]}" "$3")
	sig=sha256=$(sign_hmac_sha256 "$secret" "$body")
	case ${provider[$2]} in
	github) set -- "$@" HTTP_X_GITHUB_EVENT="${event[$2]}" HTTP_X_GITHUB_DELIVERY="$3" \
	        HTTP_X_HUB_SIGNATURE_256="$sig" ;;
	gitlab) set -- "$@" HTTP_X_GITLAB_EVENT="${event[$2]}" HTTP_IDEMPOTENCY_KEY="$3" \
	        HTTP_X_GITLAB_TOKEN="$secret" ;;
	bitbucket) set -- "$@" HTTP_X_EVENT_KEY="${event[$2]}" HTTP_X_REQUEST_UUID="$3" \
	           HTTP_X_HUB_SIGNATURE="$sig" ;;
	esac
	env REQUEST_METHOD=POST DOCUMENT_URI="${path[$2]}" CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(stat -c %s "$body")" "${@:4}" \
	    timeout 30 cgi-fcgi -bind -connect "$SCRATCH/$1/sock" <"$body" >"$out" 2>&1
	st=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$out")
	case $st in 2??) echo "$3" >>"$SCRATCH/acked.$2" ;; esac
	echo "${st:-none}"
}

hook_org
secret=$(random_secret)
: >"$SCRATCH/repos"
connect gh github github/push-new-branch.json push
connect gl gitlab gitlab/push-basic.json "Push Hook"
connect bb bitbucket bitbucket-cloud/repo_push-basic.json repo:push
# Bitbucket's pushes move two branches: the spool keeps both tips.
a=$(printf 'a%.0s' $(seq 40)) b=$(printf 'b%.0s' $(seq 40))
jq -c --arg a "$a" --arg b "$b" '.push.changes[0] as $one | .push.changes = [
	($one | .new.name = "main" | .new.target.hash = $a),
	($one | .new.name = "next" | .new.target.hash = $b)]' "${file[bb]}" >"$SCRATCH/two.json"
file[bb]=$SCRATCH/two.json
bb_repo=$REPO_ID

ok "lethe-hook starts with two workers" hook_instance door 2
ok "both workers load every hook's secret at start" logged door 'webhook secrets loaded (start)' 2
connect late github github/push-new-branch.json push
ok "both workers load the hook connected while they run" \
    logged door 'webhook secrets loaded (notified)' 2

ok "PostgreSQL stops before any delivery" pg -m fast stop
answers=
for name in gh gl bb late; do
	for i in 1 2 3; do
		answers="$answers $name-$i:$(deliver door "$name" "$name-$i-$(new_id)")"
	done
done
is "$(tr ' ' '\n' <<<"$answers" | sed -n 's/.*:\(.*\)/\1/p' | sort | uniq -c | awk '{print $2 "x" $1}')" \
    "202x12" "all 12 deliveries to the 4 hooks acknowledged, none 503 (${answers# })"
is "$(cat "$SCRATCH"/acked.* | wc -l)" 12 "12 acknowledged"

ok "a worker started during the outage starts" hook_instance fresh 1
ok "it cannot load the secrets" logged fresh 'unable to load the webhook secrets' 1
is "$(deliver fresh gh "gh-fresh-$(new_id)")" 503 "it answers 503 until it has loaded once"

ok "PostgreSQL starts again" pg start
ok "lethe-drain replays the spool" "$TOP/bin/lethe-drain"
got=$(while read -r repo name; do
	sql "SELECT delivery_id || ':' || count(*) || ':' || bool_and(spooled) FROM lethe.deliveries
	     WHERE repository_id = $repo GROUP BY delivery_id ORDER BY delivery_id"
done <"$SCRATCH/repos" | sort)
is "$got" "$(sort "$SCRATCH"/acked.* | sed 's/$/:1:true/')" \
    "every acknowledged delivery stored exactly once, from the spool"
is "$(sql "SELECT string_agg(branch || '|' || commit_sha || '|' || deliveries, ',' ORDER BY branch)
           FROM lethe.jobs WHERE repository_id = $bb_repo")" "main|$a|3,next|$b|3" \
    "each spooled push of two branches queued both: one job per branch, absorbing the later pushes"

ok "the fresh worker loads once PostgreSQL is back" logged fresh 'webhook secrets loaded (retry)' 1
is "$(deliver fresh gh "gh-after-$(new_id)")" 202 "and then answers 202"
