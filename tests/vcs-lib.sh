# shellcheck shell=bash
# tests/vcs-lib.sh: what the VCS end-to-end tests (t2201-t2205) share: the
# stand-in VCS API (tests/vcs-standin) with a repository on its git server,
# a repository added with a stored clone token and a stored reporting token,
# and the checks on the stand-in's request log.  Sourced after tests/lib.sh;
# it sources tests/scan-lib.sh and skips the test when something is missing.
#
#   vcs_need NAME              need_stack, scan_need and vcs_need_standin NAME
#   vcs_need_standin NAME      python3, jsonschema and GitHub's description
#                              (what the stand-in needs, without the stack); git
#                              identity NAME; the repository's owner is
#                              VCS_OWNER (default acme)
#   vcs_tokens PROV CLONE REPORT  two made-up tokens (CLONE_TOKEN, REPORT_TOKEN)
#                              of provider PROV for $VCS_OWNER/app, with the scopes
#                              CLONE and REPORT (JSON arrays); writes the
#                              stand-in's config ($SD/config.json)
#   vcs_standin                start the stand-in on $SD; sets API, LOG
#   vcs_app_standin APP_ID     the same with a GitHub App APP_ID (key pair
#                              $SD/app.pem) installed as INST on $VCS_OWNER/app
#   vcs_app REPO APP INST MODE KEY  lethectl integration add github-app for the
#                              stand-in ($API) with key file KEY, REPO attached
#                              to it reporting in MODE; prints its id
#   vcs_source                 $SCRATCH/src (the vulnerable fixture, unless the
#                              test filled it) as branch feature of
#                              $SD/git/$VCS_OWNER/app.git; sets SHA1
#   vcs_github_repo            $VCS_OWNER/app added to $ORG as a GitHub
#                              repository without a token; sets REPO
#   vcs_repo_add PROV API_URL MODE  a repository $VCS_OWNER/app in a new org
#                              (scan_org), cloned with CLONE_TOKEN from
#                              $API$VCS_GIT_PATH/$VCS_OWNER/app.git (VCS_GIT_PATH
#                              /git-bearer: the stand-in takes Bearer alone),
#                              reporting with REPORT_TOKEN to API_URL; sets
#                              REPO and $SCRATCH/repo.json
#   vcs_push                   a second commit pushed to feature; prints it
#   vcs_deliver FILE HEADER... POST FILE to the repository's hook with the
#                              headers; prints the newest job of REPO
#   vcs_hub_pr EVENT_H DELIVERY_H SIG_H SIG_PREFIX ACTION SHA  a signed
#                              GitHub-like pull_request (number 7) of SHA
#                              through vcs_deliver
#   vcs_hook_code JOB          "HTTP-code pr_number" of the delivery and JOB
#   vcs_secret                 the repository's webhook secret
#
# Checks (one TAP line each; JSON arrays compared as jq -c prints them):
#   check_clone_scopes SCOPES  every successful clone used a token with SCOPES
#   check_clone_scheme SCHEME  every clone request carried an Authorization
#                              header of SCHEME (basic or bearer)
#   check_api_scopes PREFIX SCOPES [SKIP]  every request under PREFIX did,
#                              but those whose path matches the regex SKIP
#   check_status PATH          the commit status POSTed to PATH was created
#   check_comment PATH         one comment POSTed to PATH: the marker, then the
#                              count of the open findings
#   check_edited POST_SUFFIX EDIT_METHOD EDIT_PART  the second scan edited
#                              the comment (one POST ending in POST_SUFFIX, one
#                              EDIT_METHOD whose path contains EDIT_PART)
# shellcheck disable=SC2034 # SHA1, LOG and the others are the tests'
. "$TOP/tests/scan-lib.sh"

vcs_need() {
	need_stack
	scan_need
	vcs_need_standin "$1"
}

vcs_need_standin() {
	[ -x /usr/bin/python3 ] || skip_all "the stand-in needs /usr/bin/python3"
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
		skip_all "the stand-in needs python3-jsonschema (scripts/deps installs it)"
	GITHUB_OPENAPI=$TOP/build/tools/github-openapi/api.github.com.json
	[ -s "$GITHUB_OPENAPI" ] ||
		skip_all "GitHub's OpenAPI description is missing (scripts/deps fetches it from the npm registry)"
	export GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL=$1@lethe.invalid
	export GIT_COMMITTER_NAME=$1 GIT_COMMITTER_EMAIL=$1@lethe.invalid
	SD=$SCRATCH/standin
	VCS_OWNER=${VCS_OWNER:-acme}
	mkdir -p "$SD/git/$VCS_OWNER"
}

vcs_github_repo() { # the GitHub repository $VCS_OWNER/app of the stand-in, added to
	# $ORG without a token (a GitHub App's installation clones); sets REPO
	"$TOP/bin/lethectl" --json repo add --org "$ORG" --provider github --name "$VCS_OWNER/app" \
		--clone-url "$API/$VCS_OWNER/app.git" >"$SCRATCH/repo.json"
	REPO=$(jq -r .id "$SCRATCH/repo.json")
}

vcs_app() { # REPO APP_ID INSTALLATION_ID REPORT_MODE KEY.pem: a GitHub App
	# integration of the stand-in, made by lethectl, and the repository
	# attached to it reporting in REPORT_MODE; prints the integration id.
	local integ
	integ=$("$TOP/bin/lethectl" --json integration add github-app --org "$ORG" --app-id "$2" \
		--installation-id "$3" --private-key-file "$5" --api-url "$API" | jq -r .id) &&
	"$TOP/bin/lethectl" repo set --integration "$integ" --report-mode "$4" "$1" >/dev/null &&
	echo "$integ"
}

vcs_app_standin() { # APP_ID: the stand-in, with a GitHub App APP_ID whose key
	# pair is made now ($SD/app.pem; the stand-in knows the public half) and one
	# installation of it, INST, on $VCS_OWNER/app (contents read; checks,
	# pull_requests and statuses write)
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SD/app.pem" 2>/dev/null
	openssl pkey -in "$SD/app.pem" -pubout -out "$SD/app.pub"
	INST=$(($1 * 1000000 + $$))
	cat >"$SD/config.json" <<-EOF
	{"apps": {"$1": {"public_key": "app.pub"}},
	 "installations": {"$INST": {"app_id": "$1", "account": "$VCS_OWNER", "repositories": ["app"],
	   "permissions": {"contents": "read", "checks": "write", "pull_requests": "write",
	                   "statuses": "write", "metadata": "read"}}}}
	EOF
	vcs_standin
}

vcs_tokens() { # PROVIDER CLONE_SCOPES REPORT_SCOPES
	CLONE_TOKEN=$(openssl rand -hex 20)
	REPORT_TOKEN=$(openssl rand -hex 20)
	cat >"$SD/config.json" <<-EOF
	{"apps": {}, "installations": {}, "tokens": {
	 "$CLONE_TOKEN": {"provider": "$1", "repos": ["$VCS_OWNER/app"], "scopes": $2},
	 "$REPORT_TOKEN": {"provider": "$1", "repos": ["$VCS_OWNER/app"], "scopes": $3}}}
	EOF
}

vcs_standin() {
	/usr/bin/python3 "$TOP/tests/vcs-standin" --config "$SD/config.json" \
		--log "$SD/requests.log" --port-file "$SD/port" --git-root "$SD/git" \
		--github-openapi "$GITHUB_OPENAPI" &
	on_exit "kill $! 2>/dev/null"
	for _ in $(seq 100); do [ -s "$SD/port" ] && break; sleep 0.1; done
	API=http://127.0.0.1:$(cat "$SD/port")
	LOG=$SD/requests.log
}

vcs_source() {
	[ -d "$SCRATCH/src" ] || cp -a "$TOP/tests/fixtures/vulnrepo" "$SCRATCH/src"
	git -C "$SCRATCH/src" init -q -b feature
	git -C "$SCRATCH/src" add -A
	git -C "$SCRATCH/src" commit -q -m import
	git clone -q --bare "$SCRATCH/src" "$SD/git/$VCS_OWNER/app.git"
	SHA1=$(git -C "$SCRATCH/src" rev-parse HEAD)
}

vcs_repo_add() { # PROVIDER API_URL MODE
	scan_org "vcs$1"
	(umask 077; printf '%s\n' "$CLONE_TOKEN" >"$SCRATCH/clone.token"
	 printf '%s\n' "$REPORT_TOKEN" >"$SCRATCH/report.token")
	"$TOP/bin/lethectl" --json repo add --org "$ORG" --provider "$1" --name "$VCS_OWNER/app" \
		--clone-url "$API${VCS_GIT_PATH:-}/$VCS_OWNER/app.git" --token-file "$SCRATCH/clone.token" \
		>"$SCRATCH/repo.json"
	REPO=$(jq -r .id "$SCRATCH/repo.json")
	"$TOP/bin/lethectl" repo set --api-url "$2" --report-mode "$3" \
		--report-token-file "$SCRATCH/report.token" "$REPO" >/dev/null
	rm -f "$SCRATCH/clone.token" "$SCRATCH/report.token"
}

vcs_push() {
	printf '/* a second commit */\n' >>"$SCRATCH/src/src/copy.c"
	git -C "$SCRATCH/src" commit -q -am second
	git -C "$SCRATCH/src" push -q "$SD/git/$VCS_OWNER/app.git" feature
	git -C "$SCRATCH/src" rev-parse HEAD
}

vcs_secret() { jq -r .webhook_secret "$SCRATCH/repo.json"; }

vcs_deliver() { # FILE HEADER...
	local f=$1 h=()
	shift
	for x in "$@"; do h+=(-H "$x"); done
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		"$LETHE_URL$(jq -r .hook_path "$SCRATCH/repo.json")" \
		-H 'Content-Type: application/json' "${h[@]}" --data-binary @"$f" >"$SCRATCH/code"
	q "SELECT id FROM lethe.jobs WHERE repository_id = ${REPO:-0} ORDER BY id DESC LIMIT 1"
}

vcs_hub_pr() { # EVENT_HEADER DELIVERY_HEADER SIG_HEADER SIG_PREFIX ACTION SHA
	jq -n --arg a "$5" --arg sha "$6" --arg url "$API/acme/app.git" '{
		action: $a, number: 7,
		pull_request: {number: 7, head: {sha: $sha, ref: "feature"},
			base: {sha: ("0" * 40), ref: "main"}},
		repository: {full_name: "acme/app", clone_url: $url, default_branch: "main"}}' \
		>"$SCRATCH/pr.json"
	vcs_deliver "$SCRATCH/pr.json" "$1: pull_request" "$2: $$-$5-$6" \
		"$3: $4$(sign_hmac_sha256 "$(vcs_secret)" "$SCRATCH/pr.json")"
}

vcs_hook_code() { # JOB
	echo "$(cat "$SCRATCH/code") $(q "SELECT pr_number FROM lethe.jobs WHERE id = ${1:-0}")"
}

check_clone_scopes() { # SCOPES
	is "$(jq -c 'select(.auth == "git" and .status == 200) | .token_scopes' "$LOG" | sort -u)" \
		"$1" "the clone was made with the token holding $1"
}

check_clone_scheme() { # SCHEME
	is "$(jq -r 'select(.auth == "git") | .scheme' "$LOG" | sort -u)" "$1" \
		"every clone request carried an Authorization header of scheme $1"
}

check_api_scopes() { # PREFIX SCOPES [SKIP]
	# shellcheck disable=SC2016 # $p and $s are jq's
	is "$(jq -c --arg p "$1" --arg s "${3:-^$}" 'select((.path | startswith($p)) and (.path | test($s) | not)) | .token_scopes' "$LOG" | sort -u)" \
		"$2" "every API request used the reporting token ($2)"
}

check_status() { # PATH
	# shellcheck disable=SC2016 # $p is jq's
	is "$(jq -r --arg p "$1" 'select(.path == $p) | .status' "$LOG")" 201 \
		"the commit status was set"
}

check_comment() { # PATH
	local n
	n=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${REPO:-0} AND state = 'open'")
	# shellcheck disable=SC2016 # $n and $p are jq's
	ok "the comment lists the $n new findings under its marker" \
		jq -e --arg n "$n" --arg p "$1" -s '[.[] | select(.method == "POST" and .path == $p) | (.body.body // .body.content.raw // .body.text) | startswith("<!-- lethe:report -->") and contains("(" + $n + ")")] == [true]' "$LOG"
}

check_edited() { # POST_SUFFIX EDIT_METHOD EDIT_PART
	# shellcheck disable=SC2016 # $s, $m and $e are jq's
	is "$(jq -s --arg s "$1" '[.[] | select(.method == "POST" and (.path | endswith($s)))] | length' "$LOG") $(jq -s --arg m "$2" --arg e "$3" '[.[] | select(.method == $m and (.path | contains($e)))] | length' "$LOG")" \
		"1 1" "the second scan edits the comment instead of adding one"
}
