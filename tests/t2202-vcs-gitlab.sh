#!/bin/bash
# A GitLab repository end to end against the stand-in GitLab API
# (tests/vcs-standin): a merge request webhook through the stack, a scan
# cloned with the stored read_repository token, and the commit status and
# one merge request note made with the separately stored api-scoped token;
# an update of the merge request edits that note.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
[ -x /usr/bin/python3 ] || skip_all "the stand-in needs /usr/bin/python3"
export GIT_AUTHOR_NAME=t2202 GIT_AUTHOR_EMAIL=t2202@lethe.invalid
export GIT_COMMITTER_NAME=t2202 GIT_COMMITTER_EMAIL=t2202@lethe.invalid

# The fixture helper (tests/vcs-fixture.c), built by make with the library.
VCS_FIXTURE=$TOP/build/tests/helpers/vcs-fixture
[ -x "$VCS_FIXTURE" ] || skip_all "build/tests/helpers/vcs-fixture not built"
plan 7
scan_pause_loop

# Tokens made up now: one to read the repository, one for the API.
sd=$SCRATCH/standin
mkdir -p "$sd/git/acme"
clone_token=glpat-$(openssl rand -hex 12)
report_token=glpat-$(openssl rand -hex 12)
cat >"$sd/config.json" <<EOF
{"apps": {}, "installations": {}, "tokens": {
 "$clone_token": {"provider": "gitlab", "repos": ["acme/app"], "scopes": ["read_repository"]},
 "$report_token": {"provider": "gitlab", "repos": ["acme/app"], "scopes": ["api"]}}}
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

scan_org vcsgl
(umask 077; printf '%s\n' "$clone_token" >"$SCRATCH/clone.token"
 printf '%s\n' "$report_token" >"$SCRATCH/report.token")
"$TOP/bin/lethectl" --json repo add --org "$ORG" --provider gitlab --name acme/app \
	--clone-url "$api/acme/app.git" --token-file "$SCRATCH/clone.token" >"$SCRATCH/repo.json"
repo=$(jq -r .id "$SCRATCH/repo.json")
"$VCS_FIXTURE" "$repo" "$api/gitlab/api/v4" token status+comment \
	<"$SCRATCH/report.token" >/dev/null
rm -f "$SCRATCH/clone.token" "$SCRATCH/report.token"

mr() { # ACTION SHA: a merge request webhook with the hook's token; prints the job
	jq -n --arg a "$1" --arg sha "$2" --arg url "$api/acme/app.git" '{
		object_kind: "merge_request",
		project: {path_with_namespace: "acme/app", git_http_url: $url},
		object_attributes: {action: $a, iid: 7, source_branch: "feature",
			target_branch: "main", last_commit: {id: $sha}, oldrev: ("0" * 40)}}' \
		>"$SCRATCH/mr.json"
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		"$LETHE_URL$(jq -r .hook_path "$SCRATCH/repo.json")" \
		-H 'Content-Type: application/json' -H 'X-Gitlab-Event: Merge Request Hook' \
		-H "X-Gitlab-Event-UUID: t2202-$$-$1-$2" \
		-H "X-Gitlab-Token: $(jq -r .webhook_secret "$SCRATCH/repo.json")" \
		--data-binary @"$SCRATCH/mr.json" >"$SCRATCH/code"
	q "SELECT id FROM lethe.jobs WHERE repository_id = $repo ORDER BY id DESC LIMIT 1"
}

job=$(mr open "$sha1")
is "$(cat "$SCRATCH/code") $(q "SELECT pr_number FROM lethe.jobs WHERE id = ${job:-0}")" "202 7" \
	"the merge request webhook queues a scan of merge request 7"
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"

log=$sd/requests.log
is "$(jq -c 'select(.auth == "git" and .status == 200) | .token_scopes' "$log" | sort -u)" \
	'["read_repository"]' "the clone was made with the read_repository token"
is "$(jq -c 'select(.path | startswith("/gitlab/")) | .token_scopes' "$log" | sort -u)" \
	'["api"]' "every API request used the api-scoped reporting token"
is "$(jq -r "select(.path == \"/gitlab/api/v4/projects/acme%2Fapp/statuses/$sha1\") | .status" "$log")" \
	201 "the commit status was set"
nnew=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo AND state = 'open'")
# shellcheck disable=SC2016 # $n is jq's
ok "the merge request note lists the $nnew new findings under its marker" \
	jq -e --arg n "$nnew" -s '[.[] | select(.method == "POST" and .path == "/gitlab/api/v4/projects/acme%2Fapp/merge_requests/7/notes") | .body.body | startswith("<!-- lethe:report -->") and contains("(" + $n + ")")] == [true]' "$log"

printf '/* a second commit */\n' >>"$SCRATCH/src/src/copy.c"
git -C "$SCRATCH/src" commit -q -am second
git -C "$SCRATCH/src" push -q "$sd/git/acme/app.git" feature
job2=$(mr update "$(git -C "$SCRATCH/src" rev-parse HEAD)")
scan_until_done "$job2"
is "$(jq -s '[.[] | select(.method == "POST" and (.path | endswith("/merge_requests/7/notes")))] | length' "$log") $(jq -s '[.[] | select(.method == "PUT" and (.path | contains("/merge_requests/7/notes/")))] | length' "$log")" \
	"1 1" "the update edits the note instead of adding one"
