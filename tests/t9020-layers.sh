#!/bin/bash
# The library's layers (`make layers`): the tree passes, and each kind of
# violation, planted in a copy of the tree, is refused by name: an include
# of a layer not declared, a program's include of a layer it does not link,
# a call to a layer not declared, two modules calling each other, a file
# in no layer.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
plan 7
cd "$TOP" || exit 1

ok "make layers passes on the tree" make -s layers

# The check as the Makefile runs it, on a copy: its sources and objects.
cmd=$(make --no-print-directory -n layers | sed -n '/scripts\/layers/,$p' | tr -d '\\\n')
copy=$SCRATCH/tree
fresh() {
	rm -rf "$copy" && mkdir -p "$copy/build" "$copy/scripts"
	cp -R lib analyze ctl fcgi jobs "$copy/" && cp -R build/lib "$copy/build/" &&
		cp scripts/layers "$copy/scripts/"
}
check_copy() { (cd "$copy" && eval "$cmd"); }
# A module of lib/LAYER/ compiled into the copy's objects.
plant() { # LAYER NAME SOURCE
	printf '%s\n' "$3" >"$copy/lib/$1/$2.c" &&
		cc -c -o "$copy/build/lib/$1/$2.o" "$copy/lib/$1/$2.c"
}

fresh
ok "the copy passes as it is" check_copy

fresh
sed -i '0,/#include "util.h"/s//#include "util.h"\n#include "db.h"/' "$copy/lib/parse/redact.c"
must_fail "a parser that includes the database's header is refused" \
	--says 'lib/parse/redact.c includes db.h of layer db, which layer parse does not use' check_copy

fresh
sed -i '0,/#include "util.h"/s//#include "util.h"\n#include "keys.h"/' "$copy/analyze/lethe-analyze.c"
must_fail "lethe-analyze including the keys' header is refused" \
	--says 'analyze/lethe-analyze.c includes keys.h of layer secret, which lethe-analyze does not use' \
	check_copy

fresh
plant base upward 'int audit_append(void); int upward(void) { return audit_append(); }'
must_fail "a base module calling the audit log is refused" \
	--says 'lib/base/upward.c calls lib/store/audit.c, of a layer base does not use' check_copy

fresh
plant base ping 'int pong(int); int ping(int n) { return n ? pong(n - 1) : 0; }'
plant base pong 'int ping(int); int pong(int n) { return n ? ping(n - 1) : 1; }'
must_fail "two modules calling each other are refused" \
	--says 'modules call each other in a circle: ping -> pong -> ping' check_copy

fresh
touch "$copy/lib/stray.c"
must_fail "a source file in no layer is refused" --says 'lib/stray.c is in no layer' check_copy
