#!/bin/bash
# File names are a pull request author's to choose, and Lethe's comment
# names them: a repository whose vulnerable files are called like Markdown
# links, images, @mentions, HTML, backticks, pipes and newlines is scanned,
# and the comment the stand-in Gitea API received, rendered as GitHub
# Flavored Markdown (cmark-gfm, raw HTML kept), shows them only as code:
# no link but Lethe's own, no image, no HTML, no mention.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/vcs-lib.sh"
vcs_need t2210
command -v cmark-gfm >/dev/null || skip_all "cmark-gfm (Debian's cmark-gfm) is not installed"
plan 7
pause_jobs

vcs_tokens gitea '["read:repository"]' '["write:repository", "write:issue", "read:user"]'
vcs_standin
vcs_source
# shellcheck disable=SC2016 # backticks in a file name, not a command
names=('[x](evil.example).c' '![i](evil.example/i.png).c' '@victim.c'
       '<img src=x onerror=alert(1)>.c' 'tick`s``.c' 'pi|pe.c' 'a|[z](evil.example)|b.c'
       '[x](http:/evil.example/a)/a.c' $'new\nline.c')
# Only these files, one finding each, so that the comment lists them all.
git -C "$SCRATCH/src" rm -q -r .
for n in "${names[@]}"; do
	mkdir -p "$SCRATCH/src/$(dirname "$n")"
	printf '#include <string.h>\nvoid f(char *d, const char *s) { strcpy(d, s); }\n' >"$SCRATCH/src/$n"
done
git -C "$SCRATCH/src" add -A
git -C "$SCRATCH/src" commit -q -m 'files named like markup'
git -C "$SCRATCH/src" push -q "$SD/git/$VCS_OWNER/app.git" feature
sha=$(git -C "$SCRATCH/src" rev-parse HEAD)
vcs_repo_add gitea "$API/gitea/api/v1" comment

job=$(vcs_hub_pr X-Gitea-Event X-Gitea-Delivery X-Gitea-Signature "" opened "$sha")
scan_until_done "$job"
is "$(q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}")" "done" "the scan is done"
ok "findings in the files named like markup" test "$(q "SELECT count(DISTINCT path) FROM
	lethe.findings WHERE repository_id = ${REPO:-0} AND path LIKE '%victim%'")" -ge 1

jq -r -s '[.[] | select(.method == "POST" and (.path | endswith("/issues/7/comments")))][0].body.body' \
    "$LOG" >"$SCRATCH/comment.md"
cmark-gfm --unsafe -e table -e autolink -e strikethrough "$SCRATCH/comment.md" >"$SCRATCH/comment.html"
# What renders as something else than code: the HTML without its code elements.
perl -0pe 's{<code>.*?</code>}{}gs' "$SCRATCH/comment.html" >"$SCRATCH/outside.html"
# Every stored finding is a row (a path with a URI scheme or a newline may
# give none), each file in a code span of its own cell.
n=$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${REPO:-0} AND state = 'open'")
is "$(grep -c '^<td><code>[^<]*\.c</code> line 2</td>$' "$SCRATCH/comment.html")|$((n >= 7))" "$n|1" \
    "the comment names each file of the $n findings in a code span of its own cell"
is "$(grep -o '<a [^>]*>' "$SCRATCH/outside.html" | grep -cE '^<a href="[^"]*/scans/[0-9]+">$')|$(grep -o '<a ' "$SCRATCH/outside.html" | wc -l)" \
    "1|1" "one link outside code: Lethe's own, to the scan"
absent "no link to the files' host outside code" 'evil' "$SCRATCH/outside.html"
absent "no image or HTML outside code" '<img' "$SCRATCH/outside.html"
absent "no mention outside code" 'victim' "$SCRATCH/outside.html"
