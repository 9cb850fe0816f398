#!/bin/bash
# lethe-workflows on the real workflows of the shared corpus
# ($CORPUS/workflows, five forges): each file is put where its forge reads it
# (.github/workflows/, .gitea/workflows/, .forgejo/workflows/, .gitlab-ci.yml
# with its local includes, bitbucket-pipelines.yml) in a workspace of its
# own, and the findings (rule, line) are scored against the rows of
# workflows/EXPECT.md: at least 90% of the "must" rows found, and no finding
# where a "near-miss" row says the line is the safe form; and 90% of the
# "should" rows that a rule of Lethe's covers.  The hit rates per forge are
# printed.  The files are read from the corpus, never copied into
# the tree.
# shellcheck disable=SC2016,SC2034 # check evaluates its expression, which reads rc
set -u
# shellcheck source=tests/analyze-lib.sh
. "$(dirname "$0")/analyze-lib.sh"
DIR=$CORPUS/workflows
[ -r "$DIR/EXPECT.md" ] || skip_all "no workflows corpus in $DIR"
command -v python3 >/dev/null || skip_all "python3 missing"
plan 7

# Where a corpus file lives in its repository: workspace and path.  The two
# gitlab-runner files share a workspace, the second being a local include of
# the first.
place() { # FORGE/FILE
	local f=${1#*/}
	case $1 in
	github/*) echo "$f .github/workflows/$f" ;;
	gitea/*) echo "$f .gitea/workflows/$f" ;;
	forgejo/*) echo "$f .forgejo/workflows/$f" ;;
	gitlab/gitlab-runner-_common.gitlab-ci.yml) echo "gitlab-runner .gitlab/ci/_common.gitlab-ci.yml" ;;
	gitlab/gitlab-runner.gitlab-ci.yml) echo "gitlab-runner .gitlab-ci.yml" ;;
	gitlab/*) echo "$f .gitlab-ci.yml" ;;
	bitbucket/*) echo "$f bitbucket-pipelines.yml" ;;
	esac
}

: >"$SCRATCH/places"
for p in "$DIR"/{github,gitea,forgejo,gitlab,bitbucket}/*; do
	rel=${p#"$DIR"/}
	read -r ws path < <(place "$rel")
	mkdir -p "$SCRATCH/ws/$ws/$(dirname "$path")"
	cp "$p" "$SCRATCH/ws/$ws/$path"
	printf '%s\t%s\t%s\n' "$ws" "$path" "$rel" >>"$SCRATCH/places"
done

# ws, uri, rule, line of every result.
failed=0
: >"$SCRATCH/found"
while read -r ws; do
	out=$SCRATCH/$ws.sarif
	if ! "$AN" --workspace "$SCRATCH/ws/$ws" --tool lethe-workflows >"$out" 2>"$SCRATCH/err" ||
		! jq -e '.runs[0].invocations[0].executionSuccessful' "$out" >/dev/null; then
		diag "lethe-workflows failed on $ws: $(head -c 300 "$SCRATCH/err")"
		failed=1
		continue
	fi
	jq -r --arg ws "$ws" '.runs[0].results[] | [$ws, .locations[0].physicalLocation.artifactLocation.uri,
		.ruleId, .locations[0].physicalLocation.region.startLine // 0] | @tsv' "$out" >>"$SCRATCH/found"
done < <(cut -f1 "$SCRATCH/places" | sort -u)
ok "lethe-workflows runs to completion on every corpus workspace" [ "$failed" = 0 ]
check '! cut -f3 "$SCRATCH/found" | grep -q /unparsable$' "no corpus file is reported as unparsable"

# Score.  A row names no rule: the table below tells from its pattern text
# which rule (the part after "gha/", "gitlab/", "bitbucket/") reports it,
# first match wins.  A must or should row is found when that rule reports
# its line; a near-miss row is reported when any rule does, except the rule
# of a must or should row of the same line.  Should rows of patterns Lethe
# has no rule for are not scored.
cat >"$SCRATCH/rules" <<'TABLE'
secrets: inherit	secrets-inherit
token exported to every step	secret-in-env
x-token-auth	credential-in-url
(secret|token) interpolated	secret-in-script
piped|\\\| (sudo )?(ba)?sh\b	curl-pipe-shell
permissions: write-all	permissions-write-all
no `permissions:`	permissions-missing
pinned by tag|pinned to a branch	unpinned-action
(CI/CD component|include from another project).* tag	unpinned-include
checked out.*(no build|nothing from it is executed)	untrusted-checkout-unused
checks? out|checked out	untrusted-checkout
self-hosted|self\.hosted	self-hosted-public
image|service on	unpinned-image
Verify-Peer	tls-verify-off
(matrix|step output).*interpolated into `run:`|matrix computed	expression-injection-indirect
interpolated into|injection	expression-injection
GITHUB_(OUTPUT|ENV|PATH)	untrusted-env-write
TABLE

python3 - "$DIR/EXPECT.md" "$SCRATCH/places" "$SCRATCH/found" "$SCRATCH/rules" >"$SCRATCH/score" <<'PY'
import re, sys
expect, places, found, rules = sys.argv[1:]
table = [l.rstrip("\n").split("\t") for l in open(rules) if l.strip()]
where = {}
for l in open(places):
    ws, path, rel = l.rstrip("\n").split("\t")
    where[(ws, path)] = rel
got = {}
for l in open(found):
    ws, uri, rule, line = l.rstrip("\n").split("\t")
    got.setdefault((where.get((ws, uri), ws + ":" + uri), int(line)), set()).add(rule.split("/", 1)[-1])

rows, summary, cur = [], {}, None
for l in open(expect):
    m = re.match(r"^### `([^`]+)`", l)
    if m:
        cur = m.group(1)
        continue
    m = re.match(r"^\| `([a-z]+/[^`]+)` \| (\d+) \| (\d+) \| (\d+) \|", l)
    if m:
        summary[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
        continue
    m = re.match(r"^\| (\d+) \| (must|should|near-miss) \| (.*) \|$", l)
    if m and cur:
        rows.append((cur, int(m.group(1)), m.group(2), m.group(3)))

def rule_of(text):
    for pat, rule in table:
        if re.search(pat, text):
            return rule
    return None

counts = {}
for f in summary:
    counts[f] = tuple(sum(1 for r in rows if r[0] == f and r[2] == lvl)
                      for lvl in ("must", "should", "near-miss"))
print("rows\t%s" % ("ok" if counts == summary and rows else "differ"))
claimed = {}
for f, line, lvl, text in rows:
    if lvl != "near-miss" and rule_of(text):
        claimed.setdefault((f, line), set()).add(rule_of(text))
stats = {}
for f, line, lvl, text in rows:
    forge = f.split("/")[0]
    s = stats.setdefault(forge, {"must": [0, 0], "should": [0, 0], "near-miss": [0, 0], "unscored": 0})
    here = got.get((f, line), set())
    if lvl == "near-miss":
        bad = here - claimed.get((f, line), set())
        s[lvl][1] += 1
        if bad:
            s[lvl][0] += 1
            print("nearmiss\t%s:%d\t%s" % (f, line, ",".join(sorted(bad))))
        continue
    rule = rule_of(text)
    if rule is None:
        if lvl == "must":
            print("unclassified\t%s:%d" % (f, line))
        s["unscored"] += 1
        continue
    s[lvl][1] += 1
    if rule in here:
        s[lvl][0] += 1
    else:
        print("missed-%s\t%s:%d\t%s" % (lvl, f, line, rule))
tot = {"must": [0, 0], "should": [0, 0], "near-miss": [0, 0], "unscored": 0}
for forge in ("github", "gitea", "forgejo", "gitlab", "bitbucket", "all"):
    s = stats.get(forge, tot) if forge != "all" else tot
    if forge != "all":
        for k in ("must", "should", "near-miss"):
            tot[k][0] += s[k][0]
            tot[k][1] += s[k][1]
        tot["unscored"] += s["unscored"]
    pct = lambda a: "%d/%d (%s)" % (a[0], a[1], "%.0f%%" % (100.0 * a[0] / a[1]) if a[1] else "-")
    print("forge\t%s\tmust %s\tshould %s (%d not scored)\tnear-miss reported %d of %d" % (
        forge, pct(s["must"]), pct(s["should"]), s["unscored"], s["near-miss"][0], s["near-miss"][1]))
print("total\t%d\t%d\t%d\t%d\t%d" % (tot["must"][0], tot["must"][1], tot["near-miss"][0],
                                tot["should"][0], tot["should"][1]))
PY
rc=$?
while IFS= read -r l; do diag "$l"; done <"$SCRATCH/score"
read -r _ must_hit must near should_hit should < <(grep '^total' "$SCRATCH/score")
check '[ $rc -eq 0 ] && grep -qx "rows	ok" "$SCRATCH/score"' \
	"EXPECT.md was read whole: its rows add up to its summary table"
check '! grep -q "^unclassified" "$SCRATCH/score"' "every must row of EXPECT.md names a pattern a rule reports"
check '[ "${must:-0}" -gt 0 ] && [ $((must_hit * 100)) -ge $((must * 90)) ]' \
	"at least 90% of the must rows are found (${must_hit:-0} of ${must:-0})"
check '[ "${near:-1}" -eq 0 ]' "no near-miss row is reported (${near:-?})"
check '[ "${should:-0}" -gt 0 ] && [ $((should_hit * 100)) -ge $((should * 90)) ]' \
	"at least 90% of the should rows Lethe has a rule for are found too (${should_hit:-0} of ${should:-0})"
