#!/bin/bash
# Run after every other API test: lethe-api answered nothing that its route
# does not list (fcgi/api-routes.c, the same as doc/openapi.json); it logs
# an error for any such answer, and the API tests before this one exercise
# the handlers' refusals.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
plan 2
log=$LETHE_RUN/log/lethe-api.log
ok "lethe-api has answered requests ($(grep -c ' [0-9][0-9][0-9]\( \[\|$\)' "$log" 2>/dev/null) logged)" \
	grep -q 'lethe-api: GET /health 200' "$log"
is "$(grep 'which its route does not list' "$log" | sort | uniq -c | head -5)" "" \
	"every answer was a status its route documents"
