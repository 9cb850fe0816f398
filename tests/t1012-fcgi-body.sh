#!/bin/bash
# A request's body as both FastCGI handlers read it (fcgi/fcgi-http.c):
# a Content-Length that is no number of bytes, one over the handler's
# limit, a body shorter than its Content-Length; each refused with its
# status and one-line JSON reason, and a body of the length it says read
# whole.  nginx never passes such requests on, so they go to the stack's
# own sockets with cgi-fcgi.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (libfcgi-bin) is not installed"
plan 26

# Over every limit a configuration can set (hook_max_body is at most 1G).
HUGE=$(((1 << 30) + 1))
JSON='{"a":1}'

# ask DESC HANDLER URI LENGTH BODY STATUS REASON: POST BODY, saying LENGTH;
# the answer's status and its reason (.error).
ask() {
	local st
	printf '%s' "$5" | REQUEST_METHOD=POST DOCUMENT_URI=$3 CONTENT_TYPE=application/json \
	    CONTENT_LENGTH=$4 timeout 20 cgi-fcgi -bind -connect "$LETHE_RUN/sock/$2.sock" \
	    >"$SCRATCH/answer" 2>&1
	st=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$SCRATCH/answer")
	is "$st" "$6" "$1: $6"
	is "$(tail -n 1 "$SCRATCH/answer" | jq -r .error 2>/dev/null)" "$7" "$1: reason '$7'"
}

hook=/hooks/github/unknownhook$(openssl rand -hex 8)
ask "hook, length not a number" hook "$hook" 12x "$JSON" 400 "bad content length"
ask "hook, negative length" hook "$hook" -1 "$JSON" 400 "bad content length"
ask "hook, over hook_max_body" hook "$hook" "$HUGE" "$JSON" 413 "payload too large"
ask "hook, body shorter than its length" hook "$hook" 100 "$JSON" 400 \
    "body shorter than its content length"
ask "hook, whole body read" hook "$hook" ${#JSON} "$JSON" 404 "unknown hook"

app=/hooks/github-app
ask "github-app, length not a number" hook "$app" 12x "$JSON" 400 "bad content length"
ask "github-app, over its limit (4M)" hook "$app" $(((4 << 20) + 1)) "$JSON" 413 "payload too large"
ask "github-app, body shorter than its length" hook "$app" 100 "$JSON" 400 \
    "body shorter than its content length"
ask "github-app, whole body read" hook "$app" ${#JSON} "$JSON" 401 \
    "no app id, event or delivery header"

api=/api/v1/repositories
ask "api, length not a number" api "$api" 12x "$JSON" 400 "body is not a JSON object"
ask "api, over api_max_body" api "$api" "$HUGE" "$JSON" 413 "request body too large"
ask "api, body shorter than its length" api "$api" 100 "$JSON" 400 "body is not a JSON object"
ask "api, whole body read" api "$api" ${#JSON} "$JSON" 401 "authentication required"
