#!/bin/bash
# lethe-workflows on tests/fixtures/workflows: every risk rule fires where
# the fixture plants it and on none of the near misses (the table below is
# the whole expected set, so a rule firing elsewhere fails too); the facts
# match the workflows exactly; malformed YAML is reported as unparsable.
set -u
# shellcheck source=tests/analyze-lib.sh
. "$(dirname "$0")/analyze-lib.sh"
plan 9

analyze_fixture workflows lethe-workflows "lethe-workflows runs to completion on malformed files too"

# rule, path, line: positives; the near misses are every other line.
cat >"$SCRATCH/want-rules" <<'TABLE'
gha/curl-pipe-shell	.github/workflows/pr-target.yml	22
gha/expression-injection	.github/workflows/pr-target.yml	16
gha/expression-injection	.github/workflows/pr-target.yml	21
gha/expression-injection	.github/workflows/workflow-run.yml	15
gha/permissions-missing	.github/workflows/lint.yml	4
gha/permissions-write-all	.github/workflows/pr-target.yml	6
gha/privileged-trigger	.github/workflows/pr-target.yml	4
gha/privileged-trigger	.github/workflows/workflow-run.yml	3
gha/secrets-untrusted-trigger	.github/workflows/pr-target.yml	9
gha/self-hosted-public	.github/workflows/pr-target.yml	9
gha/unparsable	.github/workflows/broken.yml	0
gha/unparsable	.github/workflows/list.yaml	0
gha/unpinned-action	.github/workflows/pr-target.yml	11
gha/unpinned-action	.github/workflows/pr-target.yml	23
gha/untrusted-checkout	.github/workflows/pr-target.yml	13
gha/untrusted-checkout-unused	.github/workflows/workflow-run.yml	14
gitlab/curl-pipe-shell	.gitlab-ci.yml	29
gitlab/mr-protected-variables	ci/mr.yml	6
gitlab/unparsable	ci/broken.yml	0
gitlab/unpinned-image	.gitlab-ci.yml	25
gitlab/unpinned-image	ci/mr.yml	6
gitlab/unpinned-include	.gitlab-ci.yml	3
TABLE
jq -r '.runs[0].results[] | [.ruleId, .locations[0].physicalLocation.artifactLocation.uri,
	.locations[0].physicalLocation.region.startLine // 0] | @tsv' "$OUT" | sort >"$SCRATCH/rules"
diff -u "$SCRATCH/want-rules" "$SCRATCH/rules" >&2
rc=$?
check '[ $rc -eq 0 ]' "the rules fire exactly on the planted risks, not on the near misses"

for r in permissions-missing unpinned-action untrusted-checkout expression-injection permissions-write-all \
	secrets-untrusted-trigger self-hosted-public curl-pipe-shell; do
	grep -q "^gha/$r	" "$SCRATCH/want-rules" || echo "# table lacks gha/$r" >&2
done
check '[ "$(cut -f1 "$SCRATCH/want-rules" | sort -u | wc -l)" -eq 16 ]' \
	"the table covers the fourteen risk rules and both unparsable rules"

# system, path, workflow, job, kind, value, pinning, in document order.
cat >"$SCRATCH/want-facts" <<'TABLE'
github-actions	.github/workflows/ci.yml	CI	-	workflow	CI	-
github-actions	.github/workflows/ci.yml	CI	-	trigger	push	-
github-actions	.github/workflows/ci.yml	CI	-	trigger	pull_request	-
github-actions	.github/workflows/ci.yml	CI	-	permission	contents: read	-
github-actions	.github/workflows/ci.yml	CI	test	job	test	-
github-actions	.github/workflows/ci.yml	CI	test	runner	ubuntu-22.04	-
github-actions	.github/workflows/ci.yml	CI	test	image	node:20.11-bookworm	tag
github-actions	.github/workflows/ci.yml	CI	test	image	postgres@sha256:4c6d3b8e1f0a2b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c	digest
github-actions	.github/workflows/ci.yml	CI	test	action	actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11	sha
github-actions	.github/workflows/ci.yml	CI	test	action	actions/setup-node@60edb5dd545a775178f52524783378180af0d1f8	sha
github-actions	.github/workflows/ci.yml	CI	test	action	./.github/actions/lint	-
github-actions	.github/workflows/lint.yml	Lint	-	workflow	Lint	-
github-actions	.github/workflows/lint.yml	Lint	-	trigger	push	-
github-actions	.github/workflows/lint.yml	Lint	-	trigger	workflow_dispatch	-
github-actions	.github/workflows/lint.yml	Lint	lint	job	lint	-
github-actions	.github/workflows/lint.yml	Lint	lint	runner	ubuntu-24.04	-
github-actions	.github/workflows/lint.yml	Lint	lint	action	actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11	sha
github-actions	.github/workflows/pr-target.yml	Preview	-	workflow	Preview	-
github-actions	.github/workflows/pr-target.yml	Preview	-	trigger	pull_request_target	-
github-actions	.github/workflows/pr-target.yml	Preview	-	permission	write-all	-
github-actions	.github/workflows/pr-target.yml	Preview	preview	job	preview	-
github-actions	.github/workflows/pr-target.yml	Preview	preview	runner	self-hosted	-
github-actions	.github/workflows/pr-target.yml	Preview	preview	runner	linux	-
github-actions	.github/workflows/pr-target.yml	Preview	preview	action	actions/checkout@v4	tag
github-actions	.github/workflows/pr-target.yml	Preview	preview	action	actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea	sha
github-actions	.github/workflows/pr-target.yml	Preview	preview	action	example/deploy@main	branch
github-actions	.github/workflows/release.yml	Release	-	workflow	Release	-
github-actions	.github/workflows/release.yml	Release	-	trigger	push	-
github-actions	.github/workflows/release.yml	Release	release	job	release	-
github-actions	.github/workflows/release.yml	Release	release	permission	contents: write	-
github-actions	.github/workflows/release.yml	Release	release	runner	self-hosted	-
github-actions	.github/workflows/workflow-run.yml	After CI	-	workflow	After CI	-
github-actions	.github/workflows/workflow-run.yml	After CI	-	trigger	workflow_run	-
github-actions	.github/workflows/workflow-run.yml	After CI	report	job	report	-
github-actions	.github/workflows/workflow-run.yml	After CI	report	permission	actions: read	-
github-actions	.github/workflows/workflow-run.yml	After CI	report	runner	ubuntu-latest	-
github-actions	.github/workflows/workflow-run.yml	After CI	report	action	actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11	sha
github-actions	.github/workflows/workflow-run.yml	After CI	summary	job	summary	-
github-actions	.github/workflows/workflow-run.yml	After CI	summary	runner	ubuntu-latest	-
github-actions	.github/workflows/workflow-run.yml	After CI	summary	action	actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11	sha
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	-	workflow	.gitlab-ci.yml	-
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	-	include	ci/mr.yml	-
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	-	include	project:acme/templates	tag
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	-	include	template:Security/SAST.gitlab-ci.yml	-
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	unit	job	unit	-
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	unit	runner	docker	-
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	unit	image	python:3.12-slim	tag
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	deploy	job	deploy	-
gitlab-ci	.gitlab-ci.yml	.gitlab-ci.yml	deploy	image	alpine	none
gitlab-ci	ci/mr.yml	ci/mr.yml	-	workflow	ci/mr.yml	-
gitlab-ci	ci/mr.yml	ci/mr.yml	-	include	ci/broken.yml	-
gitlab-ci	ci/mr.yml	ci/mr.yml	-	include	ci/mr.yml	-
gitlab-ci	ci/mr.yml	ci/mr.yml	review	job	review	-
gitlab-ci	ci/mr.yml	ci/mr.yml	review	trigger	merge_request_event	-
gitlab-ci	ci/mr.yml	ci/mr.yml	review	image	registry.example.org/review:latest	none
gitlab-ci	ci/mr.yml	ci/mr.yml	lint	job	lint	-
gitlab-ci	ci/mr.yml	ci/mr.yml	lint	trigger	merge_request_event	-
gitlab-ci	ci/mr.yml	ci/mr.yml	lint	image	node:20@sha256:0f3ba8e1c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6	digest
TABLE
jq -r '.runs[0].properties["lethe/facts"].workflows[] | [.system, .path, .workflow // "-",
	.job // "-", .kind, .value, .pinning // "-"] | @tsv' "$OUT" >"$SCRATCH/facts"
diff -u "$SCRATCH/want-facts" "$SCRATCH/facts" >&2
rc=$?
check '[ $rc -eq 0 ]' "the facts match the workflows exactly"

check 'jq -e "[.runs[0].results[] | select(.ruleId | endswith(\"/unparsable\"))
	| .message.text] | length == 3 and all(test(\"unparsable workflow: \"))" "$OUT" >/dev/null' \
	"broken YAML and a non-mapping document are reported as unparsable with the reason"

# No script text leaves the sandbox: scripts of the fixtures are not in the output.
leak=0
for s in './build.sh' 'npm run lint' 'pip install -r requirements.txt' 'sha256sum -c install.sha256' \
	'console.log'; do
	grep -qF -- "$s" "$OUT" && { echo "# leaked: $s" >&2; leak=1; }
done
check '[ $leak -eq 0 ]' "no script text of the workflows is in the output"

# The host's reader keeps the facts through its whitelist.
"$TOP/build/tests/sarif_test" --parse "$OUT" >"$SCRATCH/reparsed" 2>/dev/null
check 'jq -e "[.runs[0].properties[\"lethe/facts\"].workflows[]] | length == $(wc -l <"$SCRATCH/want-facts")" \
	"$SCRATCH/reparsed" >/dev/null' "lib/sarif carries every workflow fact through"

# A local include that points outside the workspace is not read.
printf 'include:\n  - local: ../../etc/passwd\nx:\n  script: [a]\n' >"$SCRATCH/ws/.gitlab-ci.yml"
"$AN" --workspace "$SCRATCH/ws" --tool lethe-workflows >"$SCRATCH/out2" 2>/dev/null
check '! grep -q "root:" "$SCRATCH/out2" && jq -e ".runs[0].invocations[0].executionSuccessful" "$SCRATCH/out2" >/dev/null' \
	"an include escaping the workspace is refused"

# A step whose run: is a list or a mapping is no script (it once crashed the reader).
rm -f "$SCRATCH/ws/.gitlab-ci.yml"
printf 'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: [curl x, sh]\n      - run: {a: b}\n' \
	>"$SCRATCH/ws/.github/workflows/odd.yml"
"$AN" --workspace "$SCRATCH/ws" --tool lethe-workflows >"$SCRATCH/out3" 2>/dev/null
rc=$?
check '[ $rc -eq 0 ] && jq -e "[.runs[0].results[] | select(.locations[0].physicalLocation.artifactLocation.uri == \".github/workflows/odd.yml\")] | length == 0" "$SCRATCH/out3" >/dev/null' \
	"a run: that is a list or a mapping is read without a finding or a crash"
