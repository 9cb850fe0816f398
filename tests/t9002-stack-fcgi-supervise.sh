#!/bin/bash
# scripts/fcgi-supervise hands its FastCGI children the listening socket on
# fd 0 as socket activation does, replaces a child that exits after its
# bounded number of requests, passes the environment on, and leaves nothing
# behind when stopped.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (libfcgi-bin) missing"
command -v cc >/dev/null || skip_all "no C compiler"

plan 8

# A responder that answers with its pid and configuration, three requests
# per process, as the handlers do with hook_max_requests.
cat >"$SCRATCH/echo.c" <<'EOF'
#include <fcgi_stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *conf = getenv("LETHE_CONFIG");	/* before FCGI_Accept swaps environ */
	int n = 0;

	while (n < 3 && FCGI_Accept() >= 0) {
		printf("Content-Type: text/plain\r\n\r\n%d %s\n", (int)getpid(), conf ? conf : "-");
		n++;
	}
	return 0;
}
EOF
ok "test responder builds" cc -o "$SCRATCH/echo" "$SCRATCH/echo.c" -lfcgi

sock=$SCRATCH/echo.sock
LETHE_CONFIG=/etc/lethe/test.conf setsid "$TOP/scripts/fcgi-supervise" "$sock" 2 \
    "$SCRATCH/echo.log" "$SCRATCH/echo" </dev/null 2>"$SCRATCH/sup.log" &
sup=$!
on_exit "kill -KILL -- -$sup 2>/dev/null"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
is "$(stat -c %a "$sock" 2>/dev/null)" 666 "listening socket created, mode 0666"

request() {
	REQUEST_METHOD=GET SCRIPT_NAME=/ SERVER_PROTOCOL=HTTP/1.1 \
	    cgi-fcgi -bind -connect "$sock" 2>/dev/null | tail -1
}
: >"$SCRATCH/answers"
for _ in $(seq 10); do request >>"$SCRATCH/answers"; done
is "$(grep -c ' /etc/lethe/test.conf$' "$SCRATCH/answers")" 10 \
    "ten requests answered, each child saw LETHE_CONFIG"
pids=$(cut -d' ' -f1 "$SCRATCH/answers" | sort -u | wc -l)
ok "exited children were replaced ($pids processes served 10 requests)" test "$pids" -ge 4

children() { pgrep -P "$sup" | wc -l; }
for _ in $(seq 20); do [ "$(children)" = 2 ] && break; sleep 0.1; done
is "$(children)" 2 "two children running"
kids=$(pgrep -P "$sup" | tr '\n' ' ')

kill -TERM "$sup"
for _ in $(seq 50); do alive "$sup" || break; sleep 0.1; done
must_fail "supervisor exits on SIGTERM" alive "$sup"
left=
for p in $kids; do alive "$p" && left="$left $p"; done
is "$left" "" "its children are gone"
ok "socket removed" test ! -e "$sock"
