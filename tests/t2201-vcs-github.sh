#!/bin/bash
# A GitHub App repository end to end against the stand-in GitHub API
# (tests/vcs-standin): a signed pull_request webhook through the stack, a
# scan, and the stand-in's request log shows the clone made with an
# installation token holding contents: read alone, the report made with a
# separate token holding checks and pull_requests write, a check run
# annotating the findings and one comment listing them; a second push
# edits that comment; a wrong app key is a permanent error.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
[ -x /usr/bin/python3 ] || skip_all "the stand-in needs /usr/bin/python3"
export GIT_AUTHOR_NAME=t2201 GIT_AUTHOR_EMAIL=t2201@lethe.invalid
export GIT_COMMITTER_NAME=t2201 GIT_COMMITTER_EMAIL=t2201@lethe.invalid

# The fixture helper (tests/vcs-fixture.c), built by make with the library.
VCS_FIXTURE=$TOP/build/tests/helpers/vcs-fixture
[ -x "$VCS_FIXTURE" ] || skip_all "build/tests/helpers/vcs-fixture not built"
plan 13
scan_pause_loop

# The app's key pair, made now; the stand-in knows the public half.
sd=$SCRATCH/standin
mkdir -p "$sd/git/acme"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$sd/app.pem" 2>/dev/null
openssl pkey -in "$sd/app.pem" -pubout -out "$sd/app.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$sd/wrong.pem" 2>/dev/null
inst=$((800000 + $$))
cat >"$sd/config.json" <<EOF
{"apps": {"77": {"public_key": "app.pub"}},
 "installations": {"$inst": {"app_id": "77", "account": "acme", "repositories": ["app"],
   "permissions": {"contents": "read", "checks": "write", "pull_requests": "write",
                   "metadata": "read"}}}}
EOF
/usr/bin/python3 "$TOP/tests/vcs-standin" --config "$sd/config.json" --log "$sd/requests.log" \
	--port-file "$sd/port" --git-root "$sd/git" &
spid=$!
on_exit "kill $spid 2>/dev/null"
for _ in $(seq 100); do [ -s "$sd/port" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$sd/port")

# The repository, on the stand-in's git server.
cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
git -C "$SCRATCH/src" init -q -b feature
git -C "$SCRATCH/src" add -A
git -C "$SCRATCH/src" commit -q -m import
git clone -q --bare "$SCRATCH/src" "$sd/git/acme/app.git"
sha1=$(git -C "$SCRATCH/src" rev-parse HEAD)

scan_org vcs
"$TOP/bin/lethectl" --json repo add --org "$ORG" --provider github --name acme/app \
	--clone-url "$api/acme/app.git" >"$SCRATCH/repo.json"
repo=$(jq -r .id "$SCRATCH/repo.json")
"$VCS_FIXTURE" "$repo" "$api" 77 "$inst" check-run+comment <"$sd/app.pem" >/dev/null
is "$(q "SELECT i.kind || ' ' || r.report_mode FROM lethe.repositories r
	JOIN lethe.integrations i ON i.id = r.integration_id WHERE r.id = ${repo:-0}")" \
	"github-app check-run+comment" "the repository belongs to a github-app integration"

# pr ACTION SHA: a signed pull_request webhook through nginx; prints the job.
pr() {
	jq -n --arg a "$1" --arg sha "$2" --arg url "$api/acme/app.git" '{
		action: $a, number: 7,
		pull_request: {number: 7, head: {sha: $sha, ref: "feature"},
			base: {sha: ("0" * 40), ref: "main"}},
		repository: {full_name: "acme/app", clone_url: $url, default_branch: "main"}}' \
		>"$SCRATCH/pr.json"
	sig=$(sign_hmac_sha256 "$(jq -r .webhook_secret "$SCRATCH/repo.json")" "$SCRATCH/pr.json")
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		"$LETHE_URL$(jq -r .hook_path "$SCRATCH/repo.json")" \
		-H 'Content-Type: application/json' -H 'X-GitHub-Event: pull_request' \
		-H "X-GitHub-Delivery: t2201-$$-$1-$2" -H "X-Hub-Signature-256: sha256=$sig" \
		--data-binary @"$SCRATCH/pr.json" >"$SCRATCH/code"
	q "SELECT id FROM lethe.jobs WHERE repository_id = $repo ORDER BY id DESC LIMIT 1"
}

job=$(pr opened "$sha1")
is "$(cat "$SCRATCH/code") $(q "SELECT pr_number FROM lethe.jobs WHERE id = ${job:-0}")" "202 7" \
	"the signed pull_request webhook queues a scan of pull request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

log=$sd/requests.log
# The token the clone used, as the stand-in saw it.
is "$(jq -c 'select(.auth == "git" and .status == 200) | .token_permissions' "$log" | sort -u)" \
	'{"contents":"read"}' "the clone was made with a contents: read token alone"
clone_tok=$(jq -r 'select(.auth == "git" and .status == 200) | .token_id' "$log" | head -1)
run_tok=$(jq -r 'select(.path == "/repos/acme/app/check-runs") | .token_id' "$log" | head -1)
is "$(jq -c "select(.issued.token_id == ${run_tok:-0}) | .issued" "$log")" \
	'{"token_id":'"${run_tok:-0}"',"repositories":["app"],"permissions":{"checks":"write","pull_requests":"write"}}' \
	"the report used its own token: checks and pull_requests write, this repository"
ok "the clone token and the report token differ" test "${clone_tok:-x}" != "${run_tok:-x}"
ok "every App JWT was RS256 with exp 10 minutes after iat" \
	jq -e -s '[.[] | select(.jwt) | .jwt | (.alg == "RS256" and .exp - .iat == 600)] | all and length > 0' "$log"

nfind=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo AND state = 'open'")
is "$(jq -s '[.[] | select(.path | startswith("/repos/acme/app/check-runs")) |
	.body.output.annotations | length] | add' "$log")" "$nfind" \
	"the check run annotates each of the $nfind findings"
rule=$(q "SELECT rule_id FROM lethe.findings WHERE repository_id = $repo ORDER BY id LIMIT 1")
# shellcheck disable=SC2016 # $r is jq's
ok "the comment lists the findings ($rule) under its marker" \
	jq -e --arg r "$rule" -s '[.[] | select(.method == "POST" and .path == "/repos/acme/app/issues/7/comments") | .body.body | startswith("<!-- lethe:report -->") and contains($r)] == [true]' "$log"
not_ok "no source line reached the stand-in" grep -qF 'strcpy(buf' "$log"

# A second push to the pull request: the same comment is edited.
printf '/* a second commit */\n' >>"$SCRATCH/src/src/copy.c"
git -C "$SCRATCH/src" commit -q -am second
git -C "$SCRATCH/src" push -q "$sd/git/acme/app.git" feature
sha2=$(git -C "$SCRATCH/src" rev-parse HEAD)
job2=$(pr synchronize "$sha2")
scan_until_done "$job2"
is "$(jq -s '[.[] | select(.path == "/repos/acme/app/issues/7/comments" and .method == "POST")] | length' "$log") $(jq -s '[.[] | select(.method == "PATCH" and (.path | startswith("/repos/acme/app/issues/comments/")))] | length' "$log")" \
	"1 1" "the second scan edits the comment instead of adding one"

# A wrong app key: the token request is refused, the job fails for good.
"$VCS_FIXTURE" "$repo" "$api" 77 "$inst" check-run+comment <"$sd/wrong.pem" >/dev/null
job3=$(q "INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, ref, branch, pr_number)
	SELECT org_id, id, '$sha2', 'refs/heads/feature', 'feature', 7 FROM lethe.repositories
	WHERE id = $repo RETURNING id")
scan_until_done "$job3"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job3:-0}")" failed \
	"with a wrong app key the job fails"
ok "and says why, once, as a permanent error" \
	grep -q "unable to get a clone token from the github app: the app key or installation was refused" \
	"$SCRATCH/scan.log"
