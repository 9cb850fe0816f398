#!/bin/bash
# lethectl user add on a terminal asks for the password twice without
# echoing it, and refuses two that differ; from a pipe it reads one line.
# The terminal is a pseudo-terminal made by python3's pty module.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
[ -x /usr/bin/python3 ] || skip_all "the terminal needs /usr/bin/python3"
plan 5

org=$(api_org "${TAG}tty")
oname=$(sql -c "SELECT name FROM lethe.orgs WHERE id = $org")
# on_tty FIRST SECOND ARGS...: run lethectl ARGS on a terminal, typing the
# two lines when asked; prints the terminal's output, then "rc=N".
on_tty() {
	/usr/bin/python3 - "$@" <<'PY'
import os, pty, sys, time
first, second, args = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
out, typed = b"", 0
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    while typed < 2 and out.count(b"assword") > typed:
        os.write(fd, ((first, second)[typed] + "\n").encode())
        typed += 1
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace") + "\nrc=%d\n" % os.waitstatus_to_exitcode(status))
PY
}
pw=$(openssl rand -hex 12)
out=$(on_tty "$pw" "$pw" "$TOP/bin/lethectl" user add --org "$oname" --email "t@$TAG.test" --role member)
ok "on a terminal it asks twice and adds the user" \
	eval 'grep -q "^rc=0" <<<"$out" && [ "$(grep -c "assword" <<<"$out")" -ge 2 ]'
printf '%s\n' "$out" >"$SCRATCH/tty.out"
absent "the password typed is never echoed" "$pw" "$SCRATCH/tty.out"
is "$(sql -c "SELECT count(*) FROM lethe.users WHERE email = 't@$TAG.test'")" 1 "the user is stored"
out=$(on_tty "$pw" "other$pw" "$TOP/bin/lethectl" user add --org "$oname" --email "u@$TAG.test" --role member)
ok "two passwords that differ are refused, and no user is added" \
	eval 'grep -q "^rc=1" <<<"$out" && grep -q "differ" <<<"$out" &&
	[ "$(sql -c "SELECT count(*) FROM lethe.users WHERE email = '"'"'u@$TAG.test'"'"'")" = 0 ]'
printf '%s\n' "$pw" | "$TOP/bin/lethectl" user add --org "$oname" --email "v@$TAG.test" --role member >/dev/null 2>&1
is "$? $(sql -c "SELECT count(*) FROM lethe.users WHERE email = 'v@$TAG.test'")" "0 1" \
	"from a pipe it reads the first line, without a prompt"
