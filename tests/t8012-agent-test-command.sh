#!/bin/bash
# The repository's test command (fix_test_command) through the real agent
# and the stand-in model: set in the task, exactly its words run, and with a
# path of the work tree after them, as the repository's own code; an option
# or other word added, another use of its program, a shell operator refused
# and counted.  Without it in the task the same command is refused and
# counted; a task's test command the gate does not take stops the agent, and
# lethe-fix refuses such a fix_test_command at its start.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/model-lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
model_need
for b in lethe-llm-proxy lethe-agent lethe-fix; do
	[ -x "$TOP/bin/$b" ] || skip_all "bin/$b not built"
done
plan 14

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@lethe.invalid GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@lethe.invalid
W=$SCRATCH/tree
cp -a "$TOP/tests/fixtures/vulnrepo" "$W"
marker=ran-the-repository-tests-$(openssl rand -hex 8)
cat >"$W/test_server.py" <<PY
import unittest


class ServerTest(unittest.TestCase):
    def test_marker(self):
        print("$marker")


if __name__ == "__main__":
    unittest.main()
PY
git -C "$W" init -q -b main && git -C "$W" add -A && git -C "$W" commit -q -m import

cat >"$SCRATCH/script.json" <<'JSON'
{"answers": [
 {"tool_calls": [
  {"name": "run", "arguments": {"argv": ["python3", "-m", "unittest"]}},
  {"name": "run", "arguments": {"argv": ["python3", "-m", "unittest", "test_server.py"]}},
  {"name": "run", "arguments": {"argv": ["python3", "-m", "unittest", "-k", "marker"]}},
  {"name": "run", "arguments": {"argv": ["python3", "-c", "__import__('os').system('id')"]}},
  {"name": "run", "arguments": {"argv": ["python3", "-m", "unittest", ";", "id"]}},
  {"name": "run", "arguments": {"argv": ["python3", "-m", "unittest", "../outside"]}},
  {"name": "run", "arguments": {"argv": ["/usr/bin/python3", "-m", "unittest"]}}]},
 {"tool_calls": [{"name": "done", "arguments": {"summary": "tests pass"}}]},
 {"tool_calls": [
  {"name": "run", "arguments": {"argv": ["python3", "-m", "unittest"]}}]},
 {"tool_calls": [{"name": "done", "arguments": {"summary": "no tests"}}]}]}
JSON
model_standin "$SCRATCH/script.json"
model_proxy fixtests
task() { # [TEST_COMMAND_JSON]
	jq -n --argjson tc "${1:-null}" '{tool: "bandit", rule: "B602", path: "app/server.py",
		line: 12} + (if $tc then {test_command: $tc} else {} end)' >"$SCRATCH/task.json"
}
agent() { # OUT
	env -i PATH=/usr/bin:/bin "$TOP/bin/lethe-agent" --socket "$SOCK" --tree "$W" \
		--task "$SCRATCH/task.json" >"$SCRATCH/$1.out" 2>"$SCRATCH/$1.err"
}
# The tool results of request N, and the run tool's description in it.
tools() { jq -c "select(.status == 200) | .body.messages | map(select(.role == \"tool\"))" "$MLOG" | sed -n "$1p"; }
run_desc() { jq -r "select(.status == 200) | .body.tools[] | select(.function.name == \"run\") | .function.description" "$MLOG" | sed -n "$1p"; }

task '["python3", "-m", "unittest"]'
agent on
is "$(cat "$SCRATCH/on.out")" '{"outcome":"done","turns":2,"tool_calls":8,"refusals":5,"edits":0}' \
	"with the test command set, the agent ends done, counting five refusals"
is "$(tools 2 | jq -r '.[0].content' | grep -cxF -e "$marker" -e 'OK' -e '[exit status 0]')" 3 \
	"the test command ran the repository's tests, which passed"
is "$(tools 2 | jq -r '.[0].content' | grep -c '^Ran 1 test')" 1 "unittest found the one test"
is "$(tools 2 | jq -r '.[1].content' | grep -cxF -e "$marker" -e '[exit status 0]')" 2 \
	"followed by a path of the work tree, it ran that file's tests"
is "$(tools 2 | jq -r '.[2,3,4,5,6].content')" \
"error: test command argument '-k' refused: only paths in the work tree may follow 'python3 -m unittest'
error: 'python3' runs only as the test command 'python3 -m unittest', optionally followed by paths in the work tree
error: shell operator ';' refused in ';': commands run without a shell, one at a time
error: path '../outside' refused: '..' leaves the work tree
error: '/usr/bin/python3' refused: programs are named, not given by path" \
	"an added option, another use of its program, a shell operator, a path out, a path to the program: refused"
case $(run_desc 1) in
*'The repository'"'"'s tests: exactly the argv ["python3","-m","unittest"], optionally followed by paths'*)
	ok "the run tool's description names the test command" true ;;
*) ok "the run tool's description names the test command" false; diag "$(run_desc 1)" ;;
esac
is "$(git -C "$W" status --porcelain)" "" "the tests left nothing in the work tree (no byte code)"

task
agent off
is "$(cat "$SCRATCH/off.out")" '{"outcome":"done","turns":2,"tool_calls":2,"refusals":1,"edits":0}' \
	"without a test command in the task, the agent counts one refusal"
is "$(tools 4 | jq -r '.[0].content')" \
	"error: 'python3' is not allowed; allowed: git, grep, sed -n, cat, head, tail, wc, ls, diff" \
	"the same command is refused as any program not allowed"
tools 4 >"$SCRATCH/off.tools"
absent "and the repository's tests did not run" "$marker" "$SCRATCH/off.tools"
case $(run_desc 3) in
*test*) ok "the run tool's description names no test command" false ;;
*) ok "the run tool's description names no test command" true ;;
esac

task '["sh", "-c", "id;true"]'
must_fail "a task's test command with a shell operator stops the agent" \
	--says "test_command is refused: shell operator ';'" \
	env -i PATH=/usr/bin:/bin "$TOP/bin/lethe-agent" --socket "$SOCK" --tree "$W" \
	--task "$SCRATCH/task.json"
is "$(model_requests)" 4 "before any request to the model"

{ cat "$LETHE_CONFIG"; echo "agent_path = $TOP/bin/lethe-agent"
  echo "fix_test_command = ./run-tests --all"; } >"$SCRATCH/bad.conf"
LETHE_CONFIG=$SCRATCH/bad.conf must_fail "lethe-fix refuses at start a fix_test_command not named or under /usr or /bin" \
	--says "fix_test_command './run-tests --all' refused: program './run-tests' refused" \
	"$TOP/bin/lethe-fix" --once
