# shellcheck shell=bash
# tests/model-lib.sh: the stand-in model endpoint (tests/model-standin) for
# the fix tests (t8001-t8019).  Sourced after tests/lib.sh.
#
#   model_need                 python3 there, else the test is skipped; sets
#                              MD ($SCRATCH/model) and MODEL_KEY (a new key)
#   model_standin SCRIPT       start the stand-in answering from SCRIPT (a
#                              JSON file; "key" is set to $MODEL_KEY); sets
#                              MODEL_URL (its chat completions URL) and MLOG
#   model_requests             the number of requests the stand-in received
# shellcheck disable=SC2034 # MODEL_URL and the others are the tests'

model_need() {
	[ -x /usr/bin/python3 ] || skip_all "the model stand-in needs /usr/bin/python3"
	MD=$SCRATCH/model
	mkdir -p "$MD"
	MODEL_KEY=sk-test-$(openssl rand -hex 16)
}

model_standin() { # SCRIPT
	jq --arg k "$MODEL_KEY" '.key = $k' "$1" >"$MD/script.json"
	rm -f "$MD/port"
	: >"$MD/requests.log"
	/usr/bin/python3 "$TOP/tests/model-standin" --script "$MD/script.json" \
		--log "$MD/requests.log" --port-file "$MD/port" &
	on_exit "kill $! 2>/dev/null"
	for _ in $(seq 100); do [ -s "$MD/port" ] && break; sleep 0.1; done
	MODEL_URL=http://127.0.0.1:$(cat "$MD/port")/v1/chat/completions
	MLOG=$MD/requests.log
}

model_requests() { wc -l <"$MLOG" | tr -d ' '; }
