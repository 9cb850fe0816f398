#!/bin/bash
# The stand-in model endpoint answers as the Chat Completions API does: tool
# calls with finish_reason and usage, 429 with Retry-After, 500, and refuses
# a wrong key, another path or method and a conversation whose tool calls
# are not answered; it logs each request's Authorization header.  Without
# this, a stand-in that accepted everything would pass the fix tests.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/model-lib.sh"
model_need
plan 14

cat >"$SCRATCH/script.json" <<'JSON'
{"answers": [
 {"tool_calls": [{"name": "read", "arguments": {"path": "app.py", "start": 1}}],
  "usage": {"prompt_tokens": 120, "completion_tokens": 30}},
 {"status": 429, "retry_after": "2"},
 {"status": 500},
 {"content": "done"}]}
JSON
model_standin "$SCRATCH/script.json"

chat() { # KEY BODY: "status" and the answer in $SCRATCH/answer.json
	curl -s -o "$SCRATCH/answer.json" -D "$SCRATCH/headers" -w '%{http_code}' \
		-H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		--data-binary "$2" "$MODEL_URL"
}
req='{"model":"m","messages":[{"role":"user","content":"fix it"}],
      "tools":[{"type":"function","function":{"name":"read","parameters":{}}}]}'

is "$(chat wrong "$req")" 401 "a wrong key is refused"
is "$(jq -r .error.message "$SCRATCH/answer.json")" "Incorrect API key provided." \
	"with OpenAI's error object"
is "$(chat "$MODEL_KEY" '{"messages":[]}')" 400 "a request without a model is refused"
is "$(chat "$MODEL_KEY" "$req")" 200 "the first answer is served to the right key"
is "$(jq -c '[.object, .choices[0].finish_reason, .choices[0].message.tool_calls[0].function.name,
	(.choices[0].message.tool_calls[0].function.arguments | fromjson | .path), .usage.total_tokens]' \
	"$SCRATCH/answer.json")" '["chat.completion","tool_calls","read","app.py",150]' \
	"a tool call with its finish_reason, JSON-encoded arguments and usage"
id=$(jq -r '.choices[0].message.tool_calls[0].id' "$SCRATCH/answer.json")
unanswered=$(jq -c --arg id "$id" '.messages += [{"role":"assistant","content":null,
	"tool_calls":[{"id":$id,"type":"function","function":{"name":"read","arguments":"{}"}}]}]' <<<"$req")
is "$(chat "$MODEL_KEY" "$unanswered")" 400 "a tool call left unanswered is refused"
answered=$(jq -c --arg id "$id" '.messages += [{"role":"tool","tool_call_id":$id,"content":"x = 1"}]' \
	<<<"$unanswered")
is "$(chat "$MODEL_KEY" "$answered")" 429 "the scripted 429"
is "$(tr -d '\r' <"$SCRATCH/headers" | sed -n 's/^Retry-After: //p')" 2 "carries Retry-After"
is "$(chat "$MODEL_KEY" "$answered")" 500 "the scripted 500"
is "$(chat "$MODEL_KEY" "$answered")" 200 "the last answer"
is "$(jq -r '.choices[0].finish_reason + " " + .choices[0].message.content' "$SCRATCH/answer.json")" \
	"stop done" "a text answer ends with stop"
is "$(chat "$MODEL_KEY" "$answered")" 500 "a request after the script is a 500"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $MODEL_KEY" \
	"${MODEL_URL%/chat/completions}/models")" 404 "another path or method is not found"
is "$(jq -r 'select(.status == 200) | .authorization' "$MLOG" | sort -u)" "Bearer $MODEL_KEY" \
	"the log holds each request's Authorization header"
