#!/bin/bash
# lib/clone against the stack's git server: a depth=1 fetch of one commit,
# the token in no file, argv or (for libgit2) environment, refused tokens and
# missing commits, the ref fallback, the size and time limits, the Bearer
# scheme against /git-bearer (and each scheme refused by the other's
# server); once through git(1) and once through libgit2 (skipped where the
# build lacks it).
. "$(dirname "$0")/lib.sh"
need_stack

mkdir -p "$SCRATCH/small/src" "$SCRATCH/big" "$SCRATCH/zeros"
for i in 1 2; do
	echo "int f$i(void) { return $i; }" >"$SCRATCH/small/src/f.c"
	if [ "$i" = 1 ]; then
		url=$(git_repo_create "clone-$$" "$SCRATCH/small")
		old=$(git -C "$LETHE_GIT_ROOT/clone-$$.git" rev-parse main)
	else
		work=$SCRATCH/work
		git_token clone -q "$url" "$work"
		cp "$SCRATCH/small/src/f.c" "$work/src/f.c"
		git_token -C "$work" commit -q -am "second commit"
		git_token -C "$work" push -q origin main
	fi
done
on_exit "rm -rf '$LETHE_GIT_ROOT/clone-$$.git' '$LETHE_GIT_ROOT/clone-plain-$$.git' '$LETHE_GIT_ROOT/clone-big-$$.git' '$LETHE_GIT_ROOT/clone-zeros-$$.git'"
sha=$(git -C "$LETHE_GIT_ROOT/clone-$$.git" rev-parse main)
# The same repository where only "Authorization: Bearer LETHE_GIT_TOKEN" is
# let in (a stack started before /git-bearer existed: those tests skip).
bearer=${LETHE_GIT_BEARER_URL:+$LETHE_GIT_BEARER_URL/clone-$$.git}
# A copy that serves no bare commit over protocol v0 (git's default), then
# the original as GitHub and GitLab serve: any reachable commit by its id.
git clone -q --bare "$LETHE_GIT_ROOT/clone-$$.git" "$LETHE_GIT_ROOT/clone-plain-$$.git"
plain=${url%/clone-$$.git}/clone-plain-$$.git
git -C "$LETHE_GIT_ROOT/clone-$$.git" config uploadpack.allowReachableSHA1InWant true
head -c 3M /dev/urandom >"$SCRATCH/big/blob.bin"
big=$(git_repo_create "clone-big-$$" "$SCRATCH/big")
bigsha=$(git -C "$LETHE_GIT_ROOT/clone-big-$$.git" rev-parse main)

head -c 8M /dev/zero >"$SCRATCH/zeros/zeros.bin"
zeros=$(git_repo_create "clone-zeros-$$" "$SCRATCH/zeros")
zerossha=$(git -C "$LETHE_GIT_ROOT/clone-zeros-$$.git" rev-parse main)
for r in big zeros; do
	git -C "$LETHE_GIT_ROOT/clone-$r-$$.git" config uploadpack.allowReachableSHA1InWant true
done

# The token reaches the test through a file, so that no environment holds it.
rc=0
for method in git libgit2; do
	echo "# clone_fetch = $method"
	env -u LETHE_GIT_TOKEN CLONE_TEST_METHOD=$method CLONE_TEST_TOKEN_FILE="$LETHE_RUN/git.token" \
		CLONE_TEST_URL="$url" CLONE_TEST_SHA="$sha" CLONE_TEST_OLD_SHA="$old" \
		${bearer:+CLONE_TEST_BEARER_URL="$bearer"} \
		CLONE_TEST_PLAIN_URL="$plain" CLONE_TEST_PLAIN_SHA="$sha" \
		CLONE_TEST_BIG_URL="$big" CLONE_TEST_BIG_SHA="$bigsha" \
		CLONE_TEST_ZEROS_URL="$zeros" CLONE_TEST_ZEROS_SHA="$zerossha" \
		"$TOP/build/tests/clone_test" >"$SCRATCH/$method.tap" || rc=$?
done
# lethe-scan refuses to start with a clone_fetch it does not know.
cp "$LETHE_CONFIG" "$SCRATCH/lethe.conf"
echo "clone_fetch = svn" >>"$SCRATCH/lethe.conf"
out=$(LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scan" --once 2>&1) && st=0 || st=$?
{
	echo 1..1
	if [ "$st" = 100 ] && [[ $out == *"clone_fetch 'svn' is none of auto, libgit2, git"* ]]; then
		echo "ok 1 - lethe-scan refuses an unknown clone_fetch (exit 100)"
	else
		echo "not ok 1 - lethe-scan refuses an unknown clone_fetch (exit $st: $out)"
		rc=1
	fi
} >"$SCRATCH/scan.tap"

# One TAP stream: one plan, the three parts numbered on.
awk '/^1\.\./ { split($0, p, "\\.\\."); n += p[2]; next }
     /^(not )?ok [0-9]+/ { sub(/ok [0-9]+/, "ok " ++i) }
     { out[++k] = $0 }
     END { print "1.." n; for (j = 1; j <= k; j++) print out[j] }' \
	"$SCRATCH/git.tap" "$SCRATCH/libgit2.tap" "$SCRATCH/scan.tap"
exit $rc
