#!/bin/bash
# lethe-agent in a fix's real sandbox (bubblewrap as lethe-sandbox, no
# network, seccomp, lib/scan/fixrun.c): its only way out, the proxy's socket,
# reaches the model; its commands run inside; its edit lands in the work
# tree as the sandbox's user; the key stays in the proxy.  A probe run in
# the agent's place sees no credential, reaches neither nginx nor
# PostgreSQL, and finds only the socket, the task and itself in /lethe.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/model-lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
model_need
RUN=$TOP/build/tests/helpers/fix-run
for b in "$RUN" "$TOP/bin/lethe-llm-proxy" "$TOP/bin/lethe-agent"; do
	[ -x "$b" ] || skip_all "$b not built"
done
[ "$(id -u)" = 0 ] || skip_all "the sandbox needs root"
command -v bwrap >/dev/null || skip_all "bwrap not installed"
id lethe-sandbox >/dev/null 2>&1 || skip_all "no user lethe-sandbox"
plan 15

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@lethe.invalid GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@lethe.invalid
W=$SCRATCH/tree
cp -a "$TOP/tests/fixtures/vulnrepo" "$W"
git -C "$W" init -q -b main && git -C "$W" add -A && git -C "$W" commit -q -m import
chown -R lethe-sandbox "$W"

cat >"$SCRATCH/script.json" <<'JSON'
{"answers": [
 {"tool_calls": [
  {"name": "edit", "arguments": {"path": "app/server.py",
   "old": "subprocess.call(\"ls -l \" + user_path, shell=True)",
   "new": "subprocess.call([\"ls\", \"-l\", \"--\", user_path])"}},
  {"name": "run", "arguments": {"argv": ["git", "status", "--short"]}}]},
 {"tool_calls": [{"name": "done", "arguments": {"summary": "no shell"}}]}]}
JSON
model_standin "$SCRATCH/script.json"
scan_org fixsandbox
fix_fixture
cp "$TOP/bin/lethe-agent" "$SCRATCH/lethe-agent"	# where the sandbox's user reaches it
scan_config "fix_model_url = $MODEL_URL" "fix_model_key_file = $SCRATCH/model.key" \
	"agent_path = $SCRATCH/lethe-agent"
export LETHE_CONFIG=$SCRATCH/lethe.conf
printf '%s\n' "$MODEL_KEY" | "$TOP/bin/lethe-llm-proxy" --seal-key "$SCRATCH/model.key" >/dev/null
mkdir "$SCRATCH/sock"
SOCK=$SCRATCH/sock/llm.sock
"$TOP/bin/lethe-llm-proxy" --socket "$SOCK" --fix "$FIX" --socket-uid "$(id -u lethe-sandbox)" \
	2>"$SCRATCH/proxy.err" &
on_exit "kill $! 2>/dev/null"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
jq -n '{tool: "bandit", rule: "B602", path: "app/server.py", line: 12}' >"$SCRATCH/task.json"
chmod 0644 "$SCRATCH/task.json"

"$RUN" "$W" "$SCRATCH/task.json" "$SOCK" >"$SCRATCH/agent.out" 2>"$SCRATCH/agent.err"
is "$?" 0 "the agent ran in the sandbox and exited 0"
is "$(cat "$SCRATCH/agent.out")" '{"outcome":"done","turns":2,"tool_calls":3,"refusals":0,"edits":1}' \
	"it talked to the model through the socket and ended done"
is "$(sed -n 12p "$W/app/server.py")" '    return subprocess.call(["ls", "-l", "--", user_path])' \
	"its edit is in the work tree"
is "$(stat -c %U "$W/app/server.py")" lethe-sandbox "written as the sandbox's user"
is "$(jq -r 'select(.status == 200) | .body.messages | map(select(.role == "tool")) | .[1].content // empty' \
	"$MLOG")" " M app/server.py
[exit status 0]" "git ran inside the sandbox and saw the change"
is "$(q "SELECT count(*) FROM lethe.fix_requests WHERE fix_id = $FIX AND outcome = 'answered'")" 2 \
	"both requests went through the proxy, recorded"
jq -c 'del(.authorization)' "$MLOG" >"$SCRATCH/bodies.json"
absent "the key is in no request body" "$MODEL_KEY" "$SCRATCH/bodies.json" "$SCRATCH/agent.out" \
	"$SCRATCH/agent.err"
is "$(jq -r .authorization "$MLOG" | sort -u)" "Bearer $MODEL_KEY" "the endpoint got it from the proxy"

# The probe in the agent's place, asked to reach the stack's nginx and
# PostgreSQL and the proxy.
cp "$TOP/build/tests/helpers/sandbox-probe" "$SCRATCH/lethe-agent"
jq -n --arg pg "$PGHOST/.s.PGSQL.$PGPORT" --argjson port "$LETHE_PORT" \
	'{tcp: [["127.0.0.1", $port]], unix: [$pg, "/lethe/llm.sock"]}' >"$SCRATCH/task.json"
"$RUN" "$W" "$SCRATCH/task.json" "$SOCK" >"$SCRATCH/probe.out" 2>&1
is "$(sed -n 's/^env //p' "$SCRATCH/probe.out" | sort | tr '\n' ' ')" \
	"HOME=/tmp LC_ALL=C.UTF-8 PATH=/usr/bin:/bin " "its environment is the sandbox's three variables"
is "$(sed -n 's/^lethe //p' "$SCRATCH/probe.out" | tr '\n' ' ')" "lethe-agent llm.sock task.json " \
	"/lethe holds the program, the proxy's socket and the task only"
is "$(sed -n 's/^tcp [^ ]* //p' "$SCRATCH/probe.out")" "Operation not permitted" \
	"a TCP connection to the stack's nginx is refused"
is "$(sed -n "s|^unix $PGHOST/.s.PGSQL.$PGPORT ||p" "$SCRATCH/probe.out")" "No such file or directory" \
	"PostgreSQL's socket is not there"
is "$(sed -n 's|^unix /lethe/llm.sock ||p' "$SCRATCH/probe.out")" connected "the proxy's socket is"
absent "no model key anywhere it looked" "$MODEL_KEY" "$SCRATCH/probe.out"
absent "nor the stack's git token" "$LETHE_GIT_TOKEN" "$SCRATCH/probe.out"
