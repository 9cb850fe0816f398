#!/bin/bash
# lib/clone against the stack's git server: a depth=1 fetch of one commit,
# the token in no file, refused tokens and missing commits, the size limit.
. "$(dirname "$0")/lib.sh"
need_stack

mkdir -p "$SCRATCH/small/src" "$SCRATCH/big"
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
on_exit "rm -rf '$LETHE_GIT_ROOT/clone-$$.git' '$LETHE_GIT_ROOT/clone-big-$$.git'"
sha=$(git -C "$LETHE_GIT_ROOT/clone-$$.git" rev-parse main)
head -c 3M /dev/urandom >"$SCRATCH/big/blob.bin"
big=$(git_repo_create "clone-big-$$" "$SCRATCH/big")
bigsha=$(git -C "$LETHE_GIT_ROOT/clone-big-$$.git" rev-parse main)

rc=0
CLONE_TEST_URL=$url CLONE_TEST_SHA=$sha CLONE_TEST_OLD_SHA=$old CLONE_TEST_BIG_URL=$big CLONE_TEST_BIG_SHA=$bigsha \
	"$TOP/build/tests/clone_test" || rc=$?
exit $rc
