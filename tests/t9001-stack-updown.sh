#!/bin/bash
# A second, private stack in the scratch directory: it comes up with its
# database migrated, its git server refuses clones without the token, `up`
# twice is harmless, and `down` leaves no process, socket, mount or loop
# device behind.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"

RUN2=$SCRATCH/run
PORT2=$(( ${LETHE_PORT:-8080} + 50 ))
stack2() { LETHE_RUN=$RUN2 LETHE_PORT=$PORT2 "$TOP/scripts/stack" "$@"; }
on_exit 'stack2 down >/dev/null 2>&1'

# The pids of everything this stack started, read before `down` removes them.
stack_pids() {
	cat "$RUN2"/pids/*.pid "$RUN2/nginx/nginx.pid" 2>/dev/null
	head -1 "$RUN2/pg/data/postmaster.pid" 2>/dev/null
}
port_listens() { ss -Hltn "sport = :$PORT2" | grep -q .; }

port_listens && skip_all "port $PORT2 is taken"
plan 18

ok "stack up" stack2 up
ok "env file written" test -r "$RUN2/env"
[ -r "$RUN2/env" ] || { echo "Bail out! the stack did not come up"; exit 1; }
# shellcheck disable=SC1091 # written by stack up
. "$RUN2/env"
is "$(psql -X -At -c 'SELECT 1')" 1 "postgresql answers on its private socket"
if [ -x "$TOP/bin/lethectl" ]; then
	n=$(psql -X -At -c 'SELECT count(*) FROM schema_migrations' 2>/dev/null)
	ok "migrations recorded in schema_migrations ($n)" test "${n:-0}" -gt 0
	org=$("$TOP/bin/lethectl" --json org create acme 2>/dev/null | jq -r '.id // empty')
	ok "lethectl org create" test -n "$org"
	repo=$("$TOP/bin/lethectl" --json repo add --org acme --provider github --name acme/app \
	    --clone-url "$LETHE_GIT_URL/app.git" 2>/dev/null | jq -r '.id // empty')
	ok "lethectl repo add" test -n "$repo"
else
	skip "bin/lethectl not built"
	skip "bin/lethectl not built"
	skip "bin/lethectl not built"
fi

mkdir "$SCRATCH/src"
echo 'int main(void) { return 0; }' >"$SCRATCH/src/main.c"
url=$(git_repo_create app "$SCRATCH/src")
is "$url" "$LETHE_GIT_URL/app.git" "repository created on the git server"
ok "clone with the token" git_token clone -q "$url" "$SCRATCH/c1"
is "$(cat "$SCRATCH/c1/main.c" 2>/dev/null)" 'int main(void) { return 0; }' "clone holds the pushed file"
must_fail "clone without credentials refused" --says "Authentication failed|could not read Username" \
    env GIT_TERMINAL_PROMPT=0 git clone -q "$url" "$SCRATCH/c2"
is "$(curl -s -o /dev/null -w '%{http_code}' "$url/info/refs?service=git-upload-pack")" 401 \
    "anonymous request answered 401"
is "$(curl -s -o /dev/null -w '%{http_code}' -u x-access-token:wrong "$url/info/refs?service=git-upload-pack")" 401 \
    "wrong token answered 401"

before=$(stack_pids | sort)
ok "second up is harmless" stack2 up
is "$(stack_pids | sort)" "$before" "second up started nothing new"

# Something a scan leaves behind when it dies: an image on a loop device,
# mounted under the run dir.  `down` must unmount and detach it.
truncate -s 8M "$RUN2/state/img"
mkfs.ext4 -q "$RUN2/state/img" 2>/dev/null
loop=$(losetup -f --show "$RUN2/state/img" 2>/dev/null) || loop=
mkdir "$RUN2/state/mnt"
mounted=
if [ -n "$loop" ] && mount "$loop" "$RUN2/state/mnt" 2>/dev/null; then
	mkdir "$RUN2/state/mnt/inner"
	mount -t tmpfs none "$RUN2/state/mnt/inner" && mounted=1
fi

pids=$(stack_pids)
stack2 down
left=
for p in $pids; do alive "$p" && left="$left $p"; done
is "$left" "" "no process of the stack left after down"
is "$(ss -Hltn "sport = :$PORT2"; echo "rc=$?")" rc=0 "nothing listens on port $PORT2"
if [ -n "$mounted" ]; then
	absent "no mount left under the run dir" " $RUN2/" /proc/self/mountinfo
else
	skip "cannot mount here"
fi
if [ -n "$loop" ]; then
	losetup -n -l -O BACK-FILE >"$SCRATCH/loops"
	absent "loop device detached" "$RUN2/" "$SCRATCH/loops"
else
	skip "no loop device here"
fi
