#!/bin/bash
# The dashboard's links to a file and line in the repository's own web
# interface (web/js/vcs.js), built from the clone URL alone: one form per
# provider, each path segment percent-encoded (a file name holding markup or
# '#' stays a path), and no link for a clone URL that is not http(s).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || skip_all "node is not installed (scripts/deps installs nodejs)"
plan 8

# As an .mjs file, node loads it as the ES module the browser does.
cp "$TOP/web/js/vcs.js" "$SCRATCH/vcs.mjs"
link() { # PROVIDER CLONE_URL REF PATH LINE
	node --input-type=module -e '
		const { fileUrl } = await import(process.argv[1]);
		const [provider, clone_url, ref, path, line] = process.argv.slice(2);
		console.log(fileUrl({ provider, clone_url }, ref, path, Number(line)) ?? "none");' \
		"$SCRATCH/vcs.mjs" "$@"
}
sha=0123456789abcdef0123456789abcdef01234567
is "$(link github https://github.com/acme/app.git main src/a.c 12)" \
	"https://github.com/acme/app/blob/main/src/a.c#L12" "GitHub: blob, branch, #L"
is "$(link gitlab https://gitlab.example.org/grp/sub/app.git "$sha" lib/x.py 3)" \
	"https://gitlab.example.org/grp/sub/app/-/blob/$sha/lib/x.py#L3" "GitLab: /-/blob/, a commit"
is "$(link gitea https://git.example.org/o/r.git "$sha" a.go 7)" \
	"https://git.example.org/o/r/src/commit/$sha/a.go#L7" "Gitea: src/commit for a commit"
is "$(link gitea https://git.example.org/o/r.git dev a.go 7)" \
	"https://git.example.org/o/r/src/branch/dev/a.go#L7" "Gitea: src/branch for a branch"
is "$(link bitbucket https://bitbucket.org/ws/repo.git main b.sh 9)" \
	"https://bitbucket.org/ws/repo/src/main/b.sh#lines-9" "Bitbucket Cloud: src, #lines-"
is "$(link bitbucket-dc https://bb.example.org/scm/PROJ/repo.git main c/d.rb 4)" \
	"https://bb.example.org/projects/PROJ/repos/repo/browse/c/d.rb?at=main#4" "Bitbucket Data Center: browse?at="
is "$(link github https://github.com/acme/app.git main '<img src=x onerror=alert(1)>/a #b.sh' 1)" \
	"https://github.com/acme/app/blob/main/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/a%20%23b.sh#L1" \
	"a file name holding markup, spaces or '#' is percent-encoded segment by segment"
is "$(link github 'javascript:alert(1)//x.git' main a.c 1)" none "no link for a clone URL that is not http(s)"
