#!/bin/bash
# A Gitea/Forgejo repository end to end against the stand-in Gitea API
# (tests/vcs-standin): a signed pull request webhook through the stack, a
# scan cloned with the stored read:repository token, and the commit status
# and one pull request comment made with the separately stored token that
# may write statuses and issues; a new push edits that comment.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
[ -x /usr/bin/python3 ] || skip_all "the stand-in needs /usr/bin/python3"
export GIT_AUTHOR_NAME=t2203 GIT_AUTHOR_EMAIL=t2203@lethe.invalid
export GIT_COMMITTER_NAME=t2203 GIT_COMMITTER_EMAIL=t2203@lethe.invalid

# The fixture helper (tests/vcs-fixture.c), built by make with the library.
VCS_FIXTURE=$TOP/build/tests/helpers/vcs-fixture
[ -x "$VCS_FIXTURE" ] || skip_all "build/tests/helpers/vcs-fixture not built"
plan 7
scan_pause_loop

# Tokens made up now: one to read the repository, one for the API.
sd=$SCRATCH/standin
mkdir -p "$sd/git/acme"
clone_token=$(openssl rand -hex 20)
report_token=$(openssl rand -hex 20)
cat >"$sd/config.json" <<EOF
{"apps": {}, "installations": {}, "tokens": {
 "$clone_token": {"provider": "gitea", "repos": ["acme/app"], "scopes": ["read:repository"]},
 "$report_token": {"provider": "gitea", "repos": ["acme/app"],
   "scopes": ["write:repository", "write:issue"]}}}
EOF
/usr/bin/python3 "$TOP/tests/vcs-standin" --config "$sd/config.json" --log "$sd/requests.log" \
	--port-file "$sd/port" --git-root "$sd/git" &
spid=$!
on_exit "kill $spid 2>/dev/null"
for _ in $(seq 100); do [ -s "$sd/port" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$sd/port")

cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
git -C "$SCRATCH/src" init -q -b feature
git -C "$SCRATCH/src" add -A
git -C "$SCRATCH/src" commit -q -m import
git clone -q --bare "$SCRATCH/src" "$sd/git/acme/app.git"
sha1=$(git -C "$SCRATCH/src" rev-parse HEAD)

scan_org vcsgt
(umask 077; printf '%s\n' "$clone_token" >"$SCRATCH/clone.token"
 printf '%s\n' "$report_token" >"$SCRATCH/report.token")
"$TOP/bin/lethectl" --json repo add --org "$ORG" --provider gitea --name acme/app \
	--clone-url "$api/acme/app.git" --token-file "$SCRATCH/clone.token" >"$SCRATCH/repo.json"
repo=$(jq -r .id "$SCRATCH/repo.json")
"$VCS_FIXTURE" "$repo" "$api/gitea/api/v1" token status+comment \
	<"$SCRATCH/report.token" >/dev/null
rm -f "$SCRATCH/clone.token" "$SCRATCH/report.token"

pr() { # ACTION SHA: a signed pull request webhook; prints the job
	jq -n --arg a "$1" --arg sha "$2" --arg url "$api/acme/app.git" '{
		action: $a, number: 7,
		pull_request: {number: 7, head: {sha: $sha, ref: "feature"},
			base: {sha: ("0" * 40), ref: "main"}},
		repository: {full_name: "acme/app", clone_url: $url, default_branch: "main"}}' \
		>"$SCRATCH/pr.json"
	sig=$(sign_hmac_sha256 "$(jq -r .webhook_secret "$SCRATCH/repo.json")" "$SCRATCH/pr.json")
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		"$LETHE_URL$(jq -r .hook_path "$SCRATCH/repo.json")" \
		-H 'Content-Type: application/json' -H 'X-Gitea-Event: pull_request' \
		-H "X-Gitea-Delivery: t2203-$$-$1-$2" -H "X-Gitea-Signature: $sig" \
		--data-binary @"$SCRATCH/pr.json" >"$SCRATCH/code"
	q "SELECT id FROM lethe.jobs WHERE repository_id = $repo ORDER BY id DESC LIMIT 1"
}

job=$(pr opened "$sha1")
is "$(cat "$SCRATCH/code") $(q "SELECT pr_number FROM lethe.jobs WHERE id = ${job:-0}")" "202 7" \
	"the signed pull request webhook queues a scan of pull request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

log=$sd/requests.log
is "$(jq -c 'select(.auth == "git" and .status == 200) | .token_scopes' "$log" | sort -u)" \
	'["read:repository"]' "the clone was made with the read:repository token"
is "$(jq -c 'select(.path | startswith("/gitea/")) | .token_scopes' "$log" | sort -u)" \
	'["write:repository","write:issue"]' "every API request used the reporting token"
is "$(jq -r "select(.path == \"/gitea/api/v1/repos/acme/app/statuses/$sha1\") | .status" "$log")" \
	201 "the commit status was set"
nnew=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo AND state = 'open'")
# shellcheck disable=SC2016 # $n is jq's
ok "the pull request comment lists the $nnew new findings under its marker" \
	jq -e --arg n "$nnew" -s '[.[] | select(.method == "POST" and .path == "/gitea/api/v1/repos/acme/app/issues/7/comments") | .body.body | startswith("<!-- lethe:report -->") and contains("(" + $n + ")")] == [true]' "$log"

printf '/* a second commit */\n' >>"$SCRATCH/src/src/copy.c"
git -C "$SCRATCH/src" commit -q -am second
git -C "$SCRATCH/src" push -q "$sd/git/acme/app.git" feature
job2=$(pr synchronized "$(git -C "$SCRATCH/src" rev-parse HEAD)")
scan_until_done "$job2"
is "$(jq -s '[.[] | select(.method == "POST" and (.path | endswith("/issues/7/comments")))] | length' "$log") $(jq -s '[.[] | select(.method == "PATCH" and (.path | contains("/issues/comments/")))] | length' "$log")" \
	"1 1" "the new push edits the comment instead of adding one"
