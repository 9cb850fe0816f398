#!/bin/bash
# A GitHub App repository end to end against the stand-in GitHub API
# (tests/vcs-standin): a signed pull_request webhook through the stack, a
# scan, and the stand-in's request log shows the clone made with an
# installation token holding contents: read alone, the report made with a
# separate token holding checks and pull_requests write, a check run
# annotating the findings and one comment listing them; a second push
# edits that comment; a wrong app key is a permanent error.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2201
plan 13
pause_jobs

# The app's key pair, made now; the stand-in knows the public half.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SD/app.pem" 2>/dev/null
openssl pkey -in "$SD/app.pem" -pubout -out "$SD/app.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SD/wrong.pem" 2>/dev/null
inst=$((800000 + $$))
cat >"$SD/config.json" <<EOF
{"apps": {"77": {"public_key": "app.pub"}},
 "installations": {"$inst": {"app_id": "77", "account": "acme", "repositories": ["app"],
   "permissions": {"contents": "read", "checks": "write", "pull_requests": "write",
                   "metadata": "read"}},
   "$((inst + 1))": {"app_id": "77", "account": "acme", "repositories": ["app"],
   "permissions": {"contents": "read", "metadata": "read"}}}}
EOF
vcs_standin

# The repository, on the stand-in's git server.
vcs_source

scan_org vcs
vcs_github_repo
vcs_app "$REPO" 77 "$inst" check-run+comment "$SD/app.pem" >/dev/null
is "$(q "SELECT i.kind || ' ' || r.report_mode FROM lethe.repositories r
	JOIN lethe.integrations i ON i.id = r.integration_id WHERE r.id = ${REPO:-0}")" \
	"github-app check-run+comment" "the repository belongs to a github-app integration"

# pr ACTION SHA: a signed pull_request webhook through nginx; prints the job.
pr() { vcs_hub_pr X-GitHub-Event X-GitHub-Delivery X-Hub-Signature-256 sha256= "$@"; }

job=$(pr opened "$SHA1")
is "$(vcs_hook_code "$job")" "202 7" \
	"the signed pull_request webhook queues a scan of pull request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

# The token the clone used, as the stand-in saw it.
is "$(jq -c 'select(.auth == "git" and .status == 200) | .token_permissions' "$LOG" | sort -u)" \
	'{"contents":"read"}' "the clone was made with a contents: read token alone"
clone_tok=$(jq -r 'select(.auth == "git" and .status == 200) | .token_id' "$LOG" | head -1)
run_tok=$(jq -r 'select(.path == "/repos/acme/app/check-runs") | .token_id' "$LOG" | head -1)
is "$(jq -c "select(.issued.token_id == ${run_tok:-0}) | .issued" "$LOG")" \
	'{"token_id":'"${run_tok:-0}"',"repositories":["app"],"permissions":{"checks":"write","pull_requests":"write"}}' \
	"the report used its own token: checks and pull_requests write, this repository"
ok "the clone token and the report token differ" test "${clone_tok:-x}" != "${run_tok:-x}"
ok "every App JWT was RS256 with exp 10 minutes after iat" \
	jq -e -s '[.[] | select(.jwt) | .jwt | (.alg == "RS256" and .exp - .iat == 600)] | all and length > 0' "$LOG"

nfind=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $REPO AND state = 'open'")
is "$(jq -s '[.[] | select(.path | startswith("/repos/acme/app/check-runs")) |
	.body.output.annotations | length] | add' "$LOG")" "$nfind" \
	"the check run annotates each of the $nfind findings"
rule=$(q "SELECT rule_id FROM lethe.findings WHERE repository_id = $REPO ORDER BY id LIMIT 1")
# shellcheck disable=SC2016 # $r is jq's
ok "the comment lists the findings ($rule) under its marker" \
	jq -e --arg r "$rule" -s '[.[] | select(.method == "POST" and .path == "/repos/acme/app/issues/7/comments") | .body.body | startswith("<!-- lethe:report -->") and contains($r)] == [true]' "$LOG"
absent "no source line reached the stand-in" 'strcpy(buf' "$LOG"

# A second push to the pull request: the same comment is edited.
sha2=$(vcs_push)
job2=$(pr synchronize "$sha2")
scan_until_done "$job2"
is "$(jq -s '[.[] | select(.path == "/repos/acme/app/issues/7/comments" and .method == "POST")] | length' "$LOG") $(jq -s '[.[] | select(.method == "PATCH" and (.path | startswith("/repos/acme/app/issues/comments/")))] | length' "$LOG")" \
	"1 1" "the second scan edits the comment instead of adding one"

# A wrong app key: the token request is refused, the job fails for good.
vcs_app "$REPO" 77 "$((inst + 1))" check-run+comment "$SD/wrong.pem" >/dev/null
job3=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch, pr_number)
	SELECT org_id, id, '$sha2', 'refs/heads/feature', 'feature', 7 FROM lethe.repositories
	WHERE id = $REPO RETURNING id")
scan_until_done "$job3"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job3:-0}")" failed \
	"with a wrong app key the job fails"
ok "and says why, once, as a permanent error" \
	grep -q "unable to get a clone token from the github app: the app key or installation was refused" \
	"$SCRATCH/scan.log"
