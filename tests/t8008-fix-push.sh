#!/bin/bash
# An approved fix pushed and proposed (lib/scan/fixpush, lib/vcs/pullreq)
# against the stand-in VCS (tests/vcs-standin): with a GitHub App's
# GITHUB_FIX token the branch lands in the stand-in's repository holding
# the patched file, committed by Lethe on the fix's commit, and one pull
# request of it is opened; a second push of that branch is refused and
# changes nothing, and a read-only installation token's push is refused.
# GitLab, Gitea, Bitbucket Cloud and Data Center with stored tokens the
# same; GitLab's read-only token is refused; a patch that does not apply
# pushes nothing; a second request of a branch is refused as existing; no
# token is in any argv or output, and the patch in no output or log.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
FIXPUSH=$TOP/build/tests/helpers/fix-push
[ -x "$FIXPUSH" ] || skip_all "build/tests/helpers/fix-push not built"
command -v strace >/dev/null || skip_all "strace not installed (scripts/deps installs it)"
vcs_need_standin t8008
plan 38

# The app (contents and pull_requests write), a read-only installation of
# it, and GitLab tokens: one that may push (api), one that may only read.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SD/app.pem" 2>/dev/null
openssl pkey -in "$SD/app.pem" -pubout -out "$SD/app.pub"
chmod 0600 "$SD/app.pem"
inst=$((880000 + $$))
GL_TOKEN=glpat-$(openssl rand -hex 20)
GL_RO=glpat-$(openssl rand -hex 20)
GT_TOKEN=$(openssl rand -hex 20) BB_TOKEN=$(openssl rand -hex 20) DC_TOKEN=$(openssl rand -hex 20)
cat >"$SD/config.json" <<EOF
{"apps": {"88": {"public_key": "app.pub", "slug": "lethe"}},
 "installations": {"$inst": {"app_id": "88", "account": "acme", "repositories": ["app"],
   "permissions": {"contents": "write", "pull_requests": "write", "metadata": "read"}}},
 "tokens": {"$GL_TOKEN": {"provider": "gitlab", "repos": ["acme/app"], "scopes": ["api"], "user": "fixer"},
            "$GL_RO": {"provider": "gitlab", "repos": ["acme/app"], "scopes": ["read_repository"]},
            "$GT_TOKEN": {"provider": "gitea", "repos": ["acme/app"], "scopes": ["write:repository"]},
            "$BB_TOKEN": {"provider": "bitbucket", "repos": ["acme/app"], "scopes": ["pullrequest:write"]},
            "$DC_TOKEN": {"provider": "bitbucket-dc", "repos": ["acme/app"], "scopes": ["REPO_WRITE"]}}}
EOF
vcs_standin
BARE=$SD/git/acme/app.git

# The repository (branch feature) and the fix: one line of src/copy.c,
# written as the sandbox would list it.
vcs_source
marker=lethe-fix-marker-$$
cp -a "$SCRATCH/src" "$SCRATCH/fixed"
sed -i "1i /* $marker: bounded copy */" "$SCRATCH/fixed/src/copy.c"
git -C "$SCRATCH/fixed" add -A
git -C "$SCRATCH/fixed" diff --cached --binary HEAD >"$SCRATCH/fix.patch"
printf 'diff --git a/src/none.c b/src/none.c\n--- a/src/none.c\n+++ b/src/none.c\n@@ -1 +1 @@\n-/* %s */\n+/* fixed */\n' \
	"$marker" >"$SCRATCH/bad.patch"

# push NAME PROVIDER API CLONE_URL BRANCH PATCH [FIX-PUSH OPTIONS]: fix-push
# in fresh directories, its output in $SCRATCH/NAME.out, its commands
# traced (execve) into $SCRATCH/NAME.exec; the token on stdin from $TOKEN.
push() {
	local name=$1 prov=$2 api=$3 url=$4 branch=$5 patch=$6
	shift 6
	mkdir -p "$SCRATCH/$name/dir" "$SCRATCH/$name/home"
	# LeakSanitizer (make check SANITIZE=1) does not work under ptrace.
	printf '%s\n' "${TOKEN:-}" | ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=execve -s 4096 -o "$SCRATCH/$name.exec" \
		"$FIXPUSH" "$@" "$prov" "$api" acme/app "$url" "$SHA1" "$branch" feature \
		"Fix the unbounded copy ($branch)" "$SCRATCH/$name/dir" "$SCRATCH/$name/home" \
		"$patch" >"$SCRATCH/$name.out" 2>&1
	local rc=$?
	cat "$SCRATCH/$name.out"
	return $rc
}
tip() { git -C "$BARE" rev-parse --verify -q "refs/heads/$1"; }

# GitHub, with the App's GITHUB_FIX token.
TOKEN='' ok "GitHub: the fix is pushed and its pull request opened" \
	push gh github "$API" "$API/acme/app.git" lethe/fix-1-1 "$SCRATCH/fix.patch" \
	-A "88:$inst:$SD/app.pem"
is "$(tail -n 1 "$SCRATCH/gh.out")" "pull request 1 http://127.0.0.1:$(cat "$SD/port")/acme/app/pull/1" \
	"fix-push prints the pull request's number and page"
is "$(jq -c 'select(.issued) | .issued.permissions' "$LOG")" '{"contents":"write","pull_requests":"write"}' \
	"the token was asked for contents and pull_requests write alone"
is "$(git -C "$BARE" show lethe/fix-1-1:src/copy.c | head -n 1)" "/* $marker: bounded copy */" \
	"the branch holds the patched file"
is "$(git -C "$BARE" log -1 --format='%an <%ae>|%cn <%ce>|%P|%s' lethe/fix-1-1)" \
	"Lethe <lethe@localhost>|Lethe <lethe@localhost>|$SHA1|Fix the unbounded copy (lethe/fix-1-1)" \
	"committed by Lethe on the fix's commit, with its message"
is "$(git -C "$BARE" diff --stat "$SHA1" lethe/fix-1-1 | tail -n 1 | sed 's/^ *//')" \
	"1 file changed, 1 insertion(+)" "and changes nothing else"
is "$(jq -c 'select(.push) | [.service, .status, .token_permissions.contents, (.push | map(.ref + " " + (.ok | tostring)))]' "$LOG")" \
	'["git-receive-pack",200,"write",["refs/heads/lethe/fix-1-1 true"]]' \
	"the stand-in logged one push, of the branch, with the write token"
is "$(jq -c 'select(.pull) | .pull | [.provider, .head, .base, .title, .author]' "$LOG")" \
	'["github","lethe/fix-1-1","feature","Fix the unbounded copy (lethe/fix-1-1)","lethe[bot]"]' \
	"one pull request of the branch into feature, by the app"
is "$(jq -r 'select(.pull) | .openapi' "$LOG")" "pulls/create" \
	"the request is GitHub's pulls/create, valid against its description"

# The same branch again: refused, nothing changed.
before=$(tip lethe/fix-1-1)
npush=$(jq -s '[.[] | select(.push)] | length' "$LOG")
TOKEN='' must_fail "a second push of the branch is refused as existing" --says '\(EEXIST\)' \
	push gh2 github "$API" "$API/acme/app.git" lethe/fix-1-1 "$SCRATCH/fix.patch" \
	-A "88:$inst:$SD/app.pem"
is "$(tip lethe/fix-1-1) $(jq -s '[.[] | select(.pull)] | length' "$LOG")" "$before 1" \
	"the branch is as it was, and no second pull request was opened"
is "$(jq -s '[.[] | select(.push)] | length' "$LOG")" "$npush" \
	"the stand-in was sent no update (the lease refuses before)"

# A read-only installation token (contents: read): the push is refused.
TOKEN='' must_fail "GitHub: a read-only installation token's push is refused" --says 'push: .*\(EACCES\)' \
	push gh-ro github "$API" "$API/acme/app.git" lethe/fix-1-2 "$SCRATCH/fix.patch" \
	-A "88:$inst:$SD/app.pem" -R
is "$(tip lethe/fix-1-2 || echo none) $(jq -c 'select(.service == "git-receive-pack" and .status == 403) | .token_permissions' "$LOG")" \
	'none {"contents":"read"}' "no branch: the stand-in refused the read-only token's push with 403"

# GitLab, with a stored token that may push (api).
GL_API=$API/gitlab/api/v4
TOKEN=$GL_TOKEN ok "GitLab: the fix is pushed and its merge request opened" \
	push gl gitlab "$GL_API" "$API/acme/app.git" lethe/fix-2-1 "$SCRATCH/fix.patch"
is "$(tail -n 1 "$SCRATCH/gl.out")" "pull request 1 http://127.0.0.1:$(cat "$SD/port")/acme/app/-/merge_requests/1" \
	"fix-push prints the merge request's iid and web_url"
is "$(git -C "$BARE" log -1 --format='%an|%P' lethe/fix-2-1) $(git -C "$BARE" show lethe/fix-2-1:src/copy.c | head -n 1)" \
	"Lethe|$SHA1 /* $marker: bounded copy */" "the GitLab branch holds the patched file, by Lethe"
is "$(jq -c 'select(.pull.provider == "gitlab") | [.path, .body.source_branch, .body.target_branch, .body.title, .pull.author, .token_scopes]' "$LOG")" \
	'["/gitlab/api/v4/projects/acme%2Fapp/merge_requests","lethe/fix-2-1","feature","Fix the unbounded copy (lethe/fix-2-1)","fixer",["api"]]' \
	"one merge request of the branch, by the token's user"

# Gitea, Bitbucket Cloud and Data Center (git with a Bearer token): pushed
# and proposed each, the request's page as the forge names it.
n=3
for f in "gitea /gitea/api/v1 /acme/app/pulls/1 $GT_TOKEN" \
	"bitbucket /bitbucket/2.0 /acme/app/pull-requests/1 $BB_TOKEN" \
	"bitbucket-dc /bitbucket-dc /projects/acme/repos/app/pull-requests/1 $DC_TOKEN -B"; do
	read -r prov api page tok opt <<<"$f"
	url=$API/acme/app.git
	[ -z "$opt" ] || url=$API/git-bearer/acme/app.git
	TOKEN=$tok ok "$prov: the fix is pushed and its pull request opened" \
		push "$prov" "$prov" "$API$api" "$url" "lethe/fix-$n-1" "$SCRATCH/fix.patch" ${opt:+"$opt"}
	# shellcheck disable=SC2016 # $p is jq's
	is "$(tail -n 1 "$SCRATCH/$prov.out") $(git -C "$BARE" log -1 --format=%an "lethe/fix-$n-1") $(jq -c --arg p "$prov" 'select(.pull.provider == $p) | [.pull.head, .pull.base]' "$LOG")" \
		"pull request 1 http://127.0.0.1:$(cat "$SD/port")$page Lethe [\"lethe/fix-$n-1\",\"feature\"]" \
		"$prov: the branch by Lethe, one request of it into feature, and its page"
	n=$((n + 1))
done

# A read-only token: refused by the server, no branch.
TOKEN=$GL_RO must_fail "a read-only token's push is refused" --says 'push: .*\(EACCES\)' \
	push ro gitlab "$GL_API" "$API/acme/app.git" lethe/fix-2-2 "$SCRATCH/fix.patch"
must_fail "and no branch was created" tip lethe/fix-2-2
is "$(jq -c 'select(.service == "git-receive-pack" and .status == 403 and .token_scopes) | .token_scopes' "$LOG" | sort -u)" \
	'["read_repository"]' "the stand-in refused its push with 403"

# A patch that does not apply: nothing pushed.
npush=$(jq -s '[.[] | select(.service == "git-receive-pack")] | length' "$LOG")
TOKEN=$GL_TOKEN must_fail "a patch that does not apply is refused" --says 'push: .*\(ENOEXEC\)' \
	push bad gitlab "$GL_API" "$API/acme/app.git" lethe/fix-2-3 "$SCRATCH/bad.patch"
is "$(jq -s '[.[] | select(.service == "git-receive-pack")] | length' "$LOG") $(tip lethe/fix-2-3 || echo none)" \
	"$npush none" "and nothing was pushed"

# The branch gone but its merge request open: the second one is refused.
git -C "$BARE" update-ref -d refs/heads/lethe/fix-2-1
TOKEN=$GL_TOKEN must_fail "a second merge request of a branch is refused as existing" \
	--says 'pull request: a pull request of branch .lethe/fix-2-1. exists already \(EPROTO\)' \
	push gl2 gitlab "$GL_API" "$API/acme/app.git" lethe/fix-2-1 "$SCRATCH/fix.patch"

# Secrets and code: the tokens in no argv (git's included), no output, no log.
ok "the traces saw git push" grep -q '"push"' "$SCRATCH/gh.exec" "$SCRATCH/gl.exec"
absent "no installation token in any argv" ghs_ "$SCRATCH"/*.exec
for t in GL_TOKEN GL_RO GT_TOKEN BB_TOKEN DC_TOKEN; do
	absent "$t in no argv, output or log" "${!t}" "$SCRATCH"/*.exec "$SCRATCH"/*.out "$LOG"
done
absent "the patch's text is in no output or log" "$marker" "$SCRATCH"/*.out "$LOG"
