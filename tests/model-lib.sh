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
#   fix_fixture                after scan_org: a repository of $ORG, an open
#                              finding of it (in app.py) and a fix of that
#                              finding; sets FINDING and FIX
#   model_proxy ORG [KEY=V...] after model_standin, with scan-lib.sh: ORG
#                              (scan_org), its fix (fix_fixture), a config
#                              ($SCRATCH/lethe.conf, now LETHE_CONFIG) for
#                              the stand-in with the keys given, the model
#                              key sealed and lethe-llm-proxy on SOCK
#                              ($SCRATCH/llm.sock) for the fix
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

fix_fixture() {
	local org hook
	org=$(q "SELECT id FROM lethe.orgs WHERE name = '$ORG'")
	hook=$(openssl rand -hex 16)
	FINDING=$(q "WITH r AS (INSERT INTO lethe.repositories (org_id, provider, full_name,
		clone_url, hook_id) VALUES ($org, 'github', 'acme/app', 'https://example.invalid/app.git',
		'$hook') RETURNING id, org_id)
		INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id,
		level, path, start_line, message) SELECT org_id, id, 'main', '$(openssl rand -hex 16)',
		'bandit', 'B602', 'error', 'app.py', 5, 'subprocess call with shell=True' FROM r
		RETURNING id")
	FIX=$(q "INSERT INTO lethe.fixes (org_id, finding_id) VALUES ($org, $FINDING) RETURNING id")
}

model_proxy() { # ORG [KEY=V...]
	local org=$1
	shift
	scan_org "$org"
	fix_fixture
	scan_config "fix_model_url = $MODEL_URL" "fix_model_key_file = $SCRATCH/model.key" "$@"
	export LETHE_CONFIG=$SCRATCH/lethe.conf
	printf '%s\n' "$MODEL_KEY" | "$TOP/bin/lethe-llm-proxy" --seal-key "$SCRATCH/model.key" >/dev/null
	SOCK=$SCRATCH/llm.sock
	"$TOP/bin/lethe-llm-proxy" --socket "$SOCK" --fix "$FIX" 2>"$SCRATCH/proxy.err" &
	on_exit "kill $! 2>/dev/null"
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
}
