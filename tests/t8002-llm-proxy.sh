#!/bin/bash
# lethe-llm-proxy: the fix sandbox's one way out.  It forwards only POST of
# the configured path to the configured endpoint with the API key it holds
# sealed (the caller's Authorization never goes on), retries 429 and 5xx
# honouring Retry-After, stops at the fix's limits, records every request
# (model, tokens, status, attempts) and never logs or stores a body.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/model-lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
model_need
[ -x "$TOP/bin/lethe-llm-proxy" ] || skip_all "bin/lethe-llm-proxy not built"
command -v curl >/dev/null || skip_all "no curl"
plan 28

cat >"$SCRATCH/script.json" <<'JSON'
{"model": "stand-in-1", "answers": [
 {"tool_calls": [{"name": "read", "arguments": {"path": "app.py"}}],
  "usage": {"prompt_tokens": 120, "completion_tokens": 30}},
 {"status": 429, "retry_after": "1"},
 {"content": "done", "usage": {"prompt_tokens": 10, "completion_tokens": 2}},
 {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500},
 {"content": "never asked for"}]}
JSON
model_standin "$SCRATCH/script.json"
scan_org fixproxy
fix_fixture
scan_config "fix_model_url = $MODEL_URL" "fix_model = stand-in-1" \
	"fix_model_key_file = $SCRATCH/model.key" "fix_max_requests = 3"
export LETHE_CONFIG=$SCRATCH/lethe.conf
SOCK=$SCRATCH/llm.sock
marker=lethe-marker-$(openssl rand -hex 8)

printf '%s\n' "$MODEL_KEY" | "$TOP/bin/lethe-llm-proxy" --seal-key "$SCRATCH/model.key" >/dev/null
ok "--seal-key writes the key file, mode 0600" test "$(stat -c %a "$SCRATCH/model.key")" = 600
absent "the file does not hold the key" "$MODEL_KEY" "$SCRATCH/model.key"
must_fail "a key with a blank in it is refused" --says "blank or control" \
	sh -c "printf 'sk a\n' | '$TOP/bin/lethe-llm-proxy' --seal-key '$SCRATCH/bad.key'"

proxy() { # the proxy for $FIX on $SOCK, in the background
	rm -f "$SOCK"
	"$TOP/bin/lethe-llm-proxy" --socket "$SOCK" --fix "$FIX" 2>>"$SCRATCH/proxy.err" &
	PROXY=$!
	on_exit "kill $PROXY 2>/dev/null"
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
}
proxy
# send [CURL ARGS...]: a chat request through the socket; prints the status,
# the answer in $SCRATCH/answer.json
send() {
	curl -s -o "$SCRATCH/answer.json" -w '%{http_code}' --unix-socket "$SOCK" \
		-H 'Authorization: Bearer sk-made-up-by-the-sandbox' -H 'Content-Type: application/json' \
		--data-binary '{"model":"any","messages":[{"role":"user","content":"fix '"$marker"'"}]}' \
		"$@"
}
URL=http://localhost/v1/chat/completions

ok "the socket is its owner's only" test "$(stat -c %a "$SOCK")" = 600
is "$(send "$URL")" 200 "a chat request is forwarded and answered"
is "$(jq -r '.choices[0].message.tool_calls[0].function.name + " " + .choices[0].finish_reason' \
	"$SCRATCH/answer.json")" "read tool_calls" "with the model's tool call as it sent it"
is "$(jq -r .authorization "$MLOG")" "Bearer $MODEL_KEY" \
	"the endpoint got the sealed key, not the sandbox's Authorization"
is "$(jq -r .body.model "$MLOG")" stand-in-1 "and the configured model"
n=$(model_requests)

must_fail "GET is refused" --says 'only POST is forwarded' \
	curl -s --fail-with-body --unix-socket "$SOCK" "$URL"
curl -s -o "$SCRATCH/refusal.json" --unix-socket "$SOCK" "$URL"
is "$(jq -r .error.type "$SCRATCH/refusal.json")" lethe_refused "as an OpenAI-style error object"
is "$(send http://localhost/v1/models)" 403 "another path is refused"
is "$(jq -r .error.message "$SCRATCH/answer.json")" \
	"lethe-llm-proxy: path refused: only POST /v1/chat/completions is forwarded" "saying so"
is "$(send -H 'Host: api.evil.example' "$URL")" 403 "another Host is refused"
is "$(send -X PUT "$URL")" 405 "PUT is refused"
is "$(curl -s -o "$SCRATCH/answer.json" -w '%{http_code}' --unix-socket "$SOCK" \
	--data-binary 'not json' "$URL")" 400 "a body that is not JSON is refused"
is "$(model_requests)" "$n" "the endpoint saw none of them"

is "$(send "$URL")" 200 "a 429 with Retry-After is retried, then answered"
is "$(send "$URL")" 502 "5xx four times: the sandbox gets a 502"
is "$(jq -r .error.message "$SCRATCH/answer.json")" \
	"lethe-llm-proxy: the model endpoint answered 500 after 4 attempts" "naming the status and attempts"
n=$(model_requests)
is "$(send "$URL")" 403 "the fix's fourth request passes its limit of 3"
is "$(jq -r .error.message "$SCRATCH/answer.json")" \
	"lethe-llm-proxy: the fix's requests limit is reached" "saying which limit"
is "$(model_requests)" "$n" "and does not reach the endpoint"

is "$(q "SELECT string_agg(concat_ws(' ', outcome, status, model, upstream_status, attempts,
	prompt_tokens, completion_tokens), ',' ORDER BY id) FROM lethe.fix_requests
	WHERE fix_id = $FIX AND outcome <> 'refused'")" \
	"answered 200 stand-in-1 200 1 120 30,answered 200 stand-in-1 200 2 10 2,failed 502 500 4 0 0,limit 403 0 0 0" \
	"each forwarded request is recorded with its model, status, attempts and tokens"
is "$(q "SELECT count(*) FROM lethe.fix_requests WHERE fix_id = $FIX AND outcome = 'refused'")" 6 \
	"and each refusal"
kill "$PROXY"
wait "$PROXY" 2>/dev/null
q "SELECT row_to_json(r) FROM lethe.fix_requests r WHERE fix_id = $FIX" >"$SCRATCH/rows.json"
absent "no body in the proxy's log or its rows" "$marker" "$LETHE_RUN/log" "$SCRATCH/proxy.err" \
	"$SCRATCH/rows.json"
absent "nor the key" "$MODEL_KEY" "$LETHE_RUN/log" "$SCRATCH/proxy.err" "$SCRATCH/rows.json"

sed -i 's/ v\([0-9]*\) / v9\1 /' "$SCRATCH/model.key"	# a master version that is not there
must_fail "a key file that was changed does not open" --says 'does not open under the master key' \
	"$TOP/bin/lethe-llm-proxy" --socket "$SOCK" --fix "$FIX"
printf '%s\n' "$MODEL_KEY" | "$TOP/bin/lethe-llm-proxy" --seal-key "$SCRATCH/model.key" >/dev/null
sed -i "s|^fix_model_url = .*|fix_model_url = $MODEL_URL?api-version=1|" "$LETHE_CONFIG"
must_fail "an endpoint URL with a query is refused" --says 'not an http\(s\) URL with a path' \
	"$TOP/bin/lethe-llm-proxy" --socket "$SOCK" --fix "$FIX"
