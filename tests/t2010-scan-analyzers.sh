#!/bin/bash
# lethe-scan with Lethe's own analyzers, end to end: a repository with a
# workflow, manifests, secrets made up now and a lethe:ignore marker is
# scanned in the sandbox; the dependencies and workflow facts stored are
# exactly the repository's; the secrets are findings with a keyed hash, the
# marked one suppressed in code with its reason; and no planted secret is
# anywhere outside the sandbox: not in pg_dump, the logs, the spool, the
# state or run directory, or lethe-scan's own output.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 9
pause_jobs

rnd() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"; }
ghp=ghp_$(rnd 36)
pw=$(rnd 20)
kept=$(rnd 20)
src=$SCRATCH/src
mkdir -p "$src/.github/workflows" "$src/app"
cat >"$src/.github/workflows/ci.yml" <<'YAML'
name: CI
on: [push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: make test
YAML
printf '{"name":"app","dependencies":{"left-pad":"^1.3.0"}}\n' >"$src/package.json"
printf 'requests==2.31.0\n' >"$src/requirements.txt"
cat >"$src/app/settings.py" <<PY
GITHUB_TOKEN = "$ghp"
db_password = "$pw"
legacy_password = "$kept"  # lethe:ignore secrets/generic -- revoked in 2024, kept for the migration test
PY
name=analyzers-$$
scan_git_repo "$name" "$src"
scan_org analyzers
repo=$(scan_repo "$ORG" "$name" "$url")
job=$(scan_job "$repo" "$sha")
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan job is done"
scan=$(q "SELECT id FROM lethe.scans WHERE job_id = ${job:-0}")
is "$(q "SELECT string_agg(tool || '=' || status, ',' ORDER BY tool) FROM lethe.scan_tools
	WHERE scan_id = ${scan:-0} AND tool LIKE 'lethe-%' AND tool <> 'lethe-advisories'")" \
	"lethe-deps=complete,lethe-markers=complete,lethe-secrets=complete,lethe-workflows=complete" \
	"Lethe's four analyzers ran to completion in the sandbox"
is "$(q "SELECT string_agg(concat_ws('|', ecosystem, name, version, constraint_spec, direct, manifest_path),
	';' ORDER BY manifest_path) FROM lethe.dependencies WHERE scan_id = ${scan:-0}")" \
	"npm|left-pad|^1.3.0|t|package.json;pypi|requests|2.31.0|==2.31.0|t|requirements.txt" \
	"the dependencies stored are the manifests'"
is "$(q "SELECT string_agg(concat_ws('|', kind, job, value, pinning), ';' ORDER BY id)
	FROM lethe.workflow_facts WHERE scan_id = ${scan:-0}")" \
	"workflow|CI;trigger|push;permission|contents: read;job|test|test;runner|test|ubuntu-24.04;action|test|actions/checkout@v4|tag" \
	"the workflow facts stored are the workflow's"
is "$(q "SELECT string_agg(rule_id || ':' || start_line || ':' || suppressed_in_code, ',' ORDER BY start_line)
	FROM lethe.findings WHERE repository_id = ${repo:-0} AND tool = 'lethe-secrets'")" \
	"secrets/github-token:1:false,secrets/generic:2:false,secrets/generic:3:true" \
	"each planted secret is a finding; the marked one is suppressed in code"
is "$(q "SELECT suppress_reason FROM lethe.findings WHERE repository_id = ${repo:-0}
	AND suppressed_in_code")" "revoked in 2024, kept for the migration test" \
	"the marker's reason is stored with the finding"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${repo:-0} AND tool = 'lethe-secrets'
	AND properties->>'secret_hash' ~ '^[0-9a-f]{64}$'")" 3 "every secret finding carries its keyed hash"
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${repo:-0} AND rule_id = 'gha/unpinned-action'")" 1 \
	"the workflow's unpinned action is a finding"

state_dir=$(sed -n 's/^state_dir = //p' "$LETHE_CONFIG")
run_dir=$(sed -n 's/^run_dir = //p' "$LETHE_CONFIG")
spool_dir=$(sed -n 's/^spool_dir = //p' "$LETHE_CONFIG")
pg_dump -U postgres lethe >"$SCRATCH/dump.sql"
where=
for f in "$SCRATCH/dump.sql" "$LETHE_RUN/log" "$spool_dir" "$state_dir" "$run_dir" "$SCRATCH/scan.log"; do
	grep -rqaF -e "$ghp" -e "$pw" -e "$kept" "$f" 2>/dev/null && where="$where $f"
done
is "$where" "" "no planted secret is in pg_dump, the logs, the spool, the state or run directory"
