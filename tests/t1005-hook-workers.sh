#!/bin/bash
# lethe-hook serves hook_max_requests requests per process, then exits and
# is replaced: alone (hook_workers = 1) under the stack's supervisor, and
# as pre-forked workers of one parent that outlives them.  A private
# instance on a socket of its own, spoken to with cgi-fcgi.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (libfcgi-bin) is not installed"
plan 6

# ask NAME N: N requests for an unknown hook, one at a time.
ask() {
	local i
	for i in $(seq 1 "$2"); do
		REQUEST_METHOD=POST DOCUMENT_URI=/hooks/github/unknownhook$(printf '%012d' "$i") \
		CONTENT_TYPE=application/json CONTENT_LENGTH=0 HTTP_X_GITHUB_DELIVERY=ask-$i \
		    cgi-fcgi -bind -connect "$SCRATCH/$1/sock" </dev/null >>"$SCRATCH/$1/answers" 2>&1
	done
}

pids() { sed -n 's/.*lethe-hook\[\([0-9]*\)\].*refused delivery.*/\1/p' "$SCRATCH/$1/log" | sort -u | wc -l; }

ok "single process instance starts" hook_instance single 1 hook_max_requests=3
ask single 7
is "$(grep -c '^Status: 404' "$SCRATCH/single/answers")" 7 "seven requests answered 404"
is "$(pids single)" 3 "three processes served them: 3 + 3 + 1"

ok "pre-forked instance starts" hook_instance forked 2 hook_max_requests=3
parent=$(pgrep -P "$(cat "$SCRATCH/forked/pid")" -f "$TOP/bin/lethe-hook")
ask forked 9
ok "workers served 9 requests in at least 3 processes" test "$(pids forked)" -ge 3
is "$(pgrep -P "$(cat "$SCRATCH/forked/pid")" -f "$TOP/bin/lethe-hook")" "$parent" \
    "the parent outlived its workers"
