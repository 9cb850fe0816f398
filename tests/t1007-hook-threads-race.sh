#!/bin/bash
# The threads of one lethe-hook worker share one database connection and
# keyring, behind one lock: repository and GitHub App deliveries arriving
# together never use them at the same time.  A private instance with four
# threads runs under Helgrind, spoken to with cgi-fcgi; Helgrind must find
# no data race.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hook.sh"
need_stack
need_hook
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (libfcgi-bin) is not installed"
command -v valgrind >/dev/null || skip_all "valgrind is not installed"
# Valgrind cannot run a program built with AddressSanitizer (make SANITIZE=1);
# the plain build's run of this test is the one that counts.
grep -aq __asan_init "$TOP/bin/lethe-hook" &&
	skip_all "bin/lethe-hook is built with AddressSanitizer, which Valgrind cannot run"
ROUNDS=6
plan 4

hook_org
secret=$(random_secret)
hook_repo github "$secret"
body=$CORPUS/webhooks/github/push-basic.json
sig=sha256=$(sign_hmac_sha256 "$secret" "$body")
printf '{"action": "deleted", "installation": {"id": %d}}' $((900000000 + $$)) >"$SCRATCH/app.json"
appsig=sha256=$(sign_hmac_sha256 "$secret" "$SCRATCH/app.json")

# Four deliveries per round, two of each kind: the worker's hook_max_requests.
dir=$SCRATCH/hook
mkdir -p "$dir"
grep -v '^log_file\|^hook_' "$LETHE_CONFIG" >"$dir/lethe.conf"
printf 'log_file = %s\nhook_workers = 1\nhook_threads = 4\nhook_max_requests = %d\n' \
    "$dir/log" $((ROUNDS * 4)) >>"$dir/lethe.conf"
LETHE_CONFIG=$dir/lethe.conf setsid "$TOP/scripts/fcgi-supervise" "$dir/sock" 1 "$dir/out" \
    valgrind --tool=helgrind --log-file="$dir/helgrind.%p" "$TOP/bin/lethe-hook" \
    </dev/null >/dev/null 2>&1 &
on_exit "kill -TERM $! 2>/dev/null; sleep 0.5"
for _ in $(seq 100); do [ -S "$dir/sock" ] && break; sleep 0.1; done

# post N URI BODY EVENT SIGNATURE: one delivery over FastCGI, its status into
# $dir/answers.N (none when no answer came within 30 s: a worker whose
# connection two threads garbled can hang)
post() {
	REQUEST_METHOD=POST DOCUMENT_URI=$2 CONTENT_TYPE=application/json \
	CONTENT_LENGTH=$(stat -c %s "$3") HTTP_X_GITHUB_EVENT=$4 HTTP_X_GITHUB_DELIVERY=race-$1 \
	HTTP_X_HUB_SIGNATURE_256=$5 HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID=31 \
	    timeout 30 cgi-fcgi -bind -connect "$dir/sock" <"$3" 2>&1 | sed -n 's/^Status: \([0-9]*\).*/\1/p' \
	    >"$dir/answers.$1"
}
for round in $(seq 1 $ROUNDS); do
	pids=
	post "$round-a" "$HOOK_PATH" "$body" push "$sig" & pids="$pids $!"
	post "$round-b" /hooks/github-app "$SCRATCH/app.json" installation "$appsig" & pids="$pids $!"
	post "$round-c" "$HOOK_PATH" "$body" push "$sig" & pids="$pids $!"
	post "$round-d" /hooks/github-app "$SCRATCH/app.json" installation "$appsig" & pids="$pids $!"
	# shellcheck disable=SC2086 # a list of pids
	wait $pids
done
# The worker exits after its last request, and Helgrind writes its summary.
for _ in $(seq 300); do
	grep -qs 'ERROR SUMMARY' "$dir"/helgrind.* && break
	sleep 0.1
done

is "$(cat "$dir"/answers.*-[ac] | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ' -)" \
    "200x$((ROUNDS * 2 - 1)) 202x1" "repository deliveries: one recorded, its replays duplicates"
is "$(cat "$dir"/answers.*-[bd] | sort -u)" 404 "App deliveries for an unknown installation: 404"
ok "Helgrind ran to the worker's end" grep -qs 'ERROR SUMMARY' "$dir"/helgrind.*
absent "Helgrind found no data race" "Possible data race" "$dir"/helgrind.*
