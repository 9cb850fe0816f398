#!/bin/bash
# Anchors of the audit chain outside PostgreSQL: lethectl audit checkpoint
# and lethe-rotate append a MACed (id, hash, time) line to audit_anchors and
# log it; then the database superuser, triggers disabled, deletes the newest
# events, or rewrites one and recomputes every later hash, so that the chain
# verifies by itself again: lethectl audit verify still exits 1 naming the
# event.  A forged or torn anchor line and a stale newest anchor are caught.
# Runs on a chain in a database of its own, with a master key of its own.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "bin/lethectl not built"
[ -x "$TOP/bin/lethe-rotate" ] || skip_all "bin/lethe-rotate not built"
command -v python3 >/dev/null || skip_all "python3 (to compute a MAC independently) not installed"

plan 25
db=lethe_t3010_$$
anchors=$SCRATCH/audit-anchors
su() { psql -X -q -At -v ON_ERROR_STOP=1 -U postgres -d "$db" "$@"; }
lethectl() { "$TOP/bin/lethectl" "$@"; }
event() { # N: one event, as lethectl or the API would append it
	psql -X -q -At -U lethe_admin -d "$db" \
		-c "SELECT lethe.audit_append(NULL, 'user', 'ana', 'test.event', 'thing $1', '{\"i\": $1}')"
}
# tamper SQL: as the superuser with the triggers off
tamper() {
	su -c "ALTER TABLE lethe.audit_events DISABLE TRIGGER USER; $1;
	       ALTER TABLE lethe.audit_events ENABLE TRIGGER USER"
}
# verify_names WHAT EVENT: verify exits 1 naming EVENT
verify_names() {
	local rc=0
	VERIFY=$(lethectl audit verify 2>&1) || rc=$?
	case "$rc $VERIFY" in
	"1 "*"broken at event $2:"*) _tap_result 0 "$1: verify exits 1 naming event $2" ;;
	*) _tap_result 1 "$1: verify exits 1 naming event $2"; diag "exit $rc: $VERIFY" ;;
	esac
}
self_consistent() { # the chain checked against itself only (the SQL walk) holds
	is "$(su -c "SELECT first_bad IS NULL FROM lethe.api_audit_verify()")" t "$1"
}

psql -X -q -U postgres -d postgres -c "CREATE DATABASE $db OWNER lethe_owner" || exit 1
on_exit "psql -X -q -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $db' >/dev/null 2>&1"
(umask 077 && echo "v1 $(openssl rand -hex 32)" >"$SCRATCH/master.key" && chmod 0400 "$SCRATCH/master.key")
sed -e "s|^database = .*|database = host=$PGHOST port=$PGPORT dbname=$db|" \
    -e "s|^master_key_file = .*|master_key_file = $SCRATCH/master.key|" \
    -e "s|^audit_anchors = .*|audit_anchors = $anchors|" -e '/^log_file = /d' \
    "$LETHE_CONFIG" >"$SCRATCH/lethe.conf"
export LETHE_CONFIG=$SCRATCH/lethe.conf
unset CREDENTIALS_DIRECTORY
lethectl migrate >/dev/null || exit 1

out=$(lethectl audit verify 2>&1)
case "$out" in
*"no audit anchor in '$anchors' yet"*"anchors: 0"*) _tap_result 0 "without anchors, verify says the chain is checked only against itself" ;;
*) _tap_result 1 "without anchors, verify says the chain is checked only against itself"; diag "$out" ;;
esac

# Six events, each anchored as it comes.
for i in 1 2 3 4 5 6; do
	e[i]=$(event "$i")
	lethectl --json audit checkpoint >"$SCRATCH/cp.json" 2>"$SCRATCH/cp.err" || break
done
hash6=$(su -c "SELECT encode(hash, 'hex') FROM lethe.audit_events WHERE id = ${e[6]}")
is "$(jq -r '"\(.anchored_id) \(.anchored_hash)"' "$SCRATCH/cp.json")" "${e[6]} $hash6" \
	"audit checkpoint anchors the last event with its hash"
ok "and logs it" grep -q "audit anchor written to '$anchors': event ${e[6]} hash $hash6" "$SCRATCH/cp.err"
is "$(wc -l <"$anchors") $(cut -d' ' -f1-3 "$anchors" | tail -n 1)" "6 lethe-anchor-v1 1 ${e[6]}" \
	"six lines, the last naming master key version 1 and event ${e[6]}"
is "$(lethectl --json audit verify | jq -r '"\(.verified) \(.anchors) \(.newest_anchor_id)"')" \
	"true 6 ${e[6]}" "the untouched chain verifies against its six anchors"

# The MAC as lethectl(8) describes it, computed here without Lethe.
mac() { # TEXT: HMAC-SHA256(HMAC-SHA256(master key v1, label), TEXT) in hex
	python3 - "$SCRATCH/master.key" "$1" <<-'EOF'
	import hashlib, hmac, sys
	master = bytes.fromhex(open(sys.argv[1]).read().split()[1])
	key = hmac.new(master, b"lethe-audit-anchor-v1", hashlib.sha256).digest()
	print(hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest())
	EOF
}
last=$(tail -n 1 "$anchors")
is "$(mac "${last% *}")" "${last##* }" "an anchor's MAC is HMAC-SHA256 under a key derived from the master key"

ok "lethe-rotate verifies and anchors too" env LETHE_CONFIG="$SCRATCH/lethe.conf" \
	sh -c "'$TOP/bin/lethe-rotate' 2>'$SCRATCH/rotate.err'"
ok "and logs the anchor" grep -q "audit anchor written to '$anchors': event ${e[6]} hash $hash6" "$SCRATCH/rotate.err"
is "$(wc -l <"$anchors")" 7 "a seventh line"

# Delete the newest events: the rest is a good chain, but anchored events are gone.
su -c "CREATE TABLE public.saved AS SELECT * FROM lethe.audit_events WHERE id >= ${e[5]}"
tamper "DELETE FROM lethe.audit_events WHERE id >= ${e[5]}"
self_consistent "with the newest two events deleted, the chain holds by itself"
verify_names "newest events deleted" "${e[5]}"
case $VERIFY in
*"missing, though anchored"*"newest event before it is ${e[4]}"*) _tap_result 0 "the reason: missing though anchored, after event ${e[4]}" ;;
*) _tap_result 1 "the reason: missing though anchored, after event ${e[4]}"; diag "$VERIFY" ;;
esac
rc=0
env LETHE_CONFIG="$SCRATCH/lethe.conf" "$TOP/bin/lethe-rotate" 2>"$SCRATCH/rotate.err" || rc=$?
is "$rc" 100 "lethe-rotate exits 100 on the shortened chain"
ok "with an alert naming the event" grep -q "audit chain broken at event ${e[5]}" "$SCRATCH/rotate.err"
must_fail "audit checkpoint refuses to anchor the shortened chain" lethectl audit checkpoint
is "$(wc -l <"$anchors")" 7 "and no anchor was added"
tamper "INSERT INTO lethe.audit_events SELECT * FROM public.saved; DROP TABLE public.saved"
ok "restored, the chain verifies again" lethectl audit verify

# Rewrite event 4 and recompute every later hash, as audit_append would have.
su -c "CREATE TABLE public.saved AS SELECT * FROM lethe.audit_events WHERE id >= ${e[4]}"
tamper "UPDATE lethe.audit_events SET actor = 'mallory' WHERE id = ${e[4]};
	DO \$\$
	DECLARE ev lethe.audit_events%ROWTYPE; prev bytea;
	BEGIN
		SELECT hash INTO prev FROM lethe.audit_events WHERE id = ${e[3]};
		FOR ev IN SELECT * FROM lethe.audit_events WHERE id >= ${e[4]} ORDER BY id LOOP
			UPDATE lethe.audit_events SET prev_hash = prev, hash = sha256(convert_to(
				lethe.audit_canonical(prev, ev.id, ev.org_id, ev.ts, ev.actor_type,
				ev.actor, ev.action, ev.target, ev.details), 'UTF8'))
			WHERE id = ev.id RETURNING hash INTO prev;
		END LOOP;
	END \$\$"
self_consistent "with event ${e[4]} rewritten and every later hash recomputed, the chain holds by itself"
verify_names "event rewritten, later hashes recomputed" "${e[4]}"
case $VERIFY in
*"not the one anchored"*"after event ${e[3]}"*) _tap_result 0 "the reason: rewritten after event ${e[3]}, the last that matches" ;;
*) _tap_result 1 "the reason: rewritten after event ${e[3]}, the last that matches"; diag "$VERIFY" ;;
esac
tamper "DELETE FROM lethe.audit_events WHERE id >= ${e[4]};
	INSERT INTO lethe.audit_events SELECT * FROM public.saved; DROP TABLE public.saved"
ok "restored, the chain verifies again" lethectl audit verify

# A forged anchor: a well-formed line whose MAC was not made with the master key.
cp "$anchors" "$SCRATCH/anchors.good"
echo "lethe-anchor-v1 1 ${e[6]} $(openssl rand -hex 32) $(date +%s) $(openssl rand -hex 32)" >>"$anchors"
rc=0
out=$(lethectl audit verify 2>&1) || rc=$?
case "$rc $out" in
"1 "*"line 8: its MAC does not verify"*) _tap_result 0 "a forged anchor line is caught and named" ;;
*) _tap_result 1 "a forged anchor line is caught and named"; diag "exit $rc: $out" ;;
esac
cp "$SCRATCH/anchors.good" "$anchors"
printf 'lethe-anchor-v1 1 %s' "${e[6]}" >>"$anchors"
must_fail "so is a torn last line" lethectl audit verify
cp "$SCRATCH/anchors.good" "$anchors"

# A good MAC over an old time: the newest anchor is then too old.
text="lethe-anchor-v1 1 ${e[6]} $hash6 $(($(date +%s) - 3 * 86400))"
echo "$text $(mac "$text")" >"$SCRATCH/old-anchors"
sed "s|^audit_anchors = .*|audit_anchors = $SCRATCH/old-anchors|" "$SCRATCH/lethe.conf" >"$SCRATCH/old.conf"
rc=0
out=$(LETHE_CONFIG=$SCRATCH/old.conf lethectl audit verify 2>&1) || rc=$?
case "$rc $out" in
"1 "*"more than audit_anchor_max_age (172800 s)"*) _tap_result 0 "a newest anchor three days old is refused as stale" ;;
*) _tap_result 1 "a newest anchor three days old is refused as stale"; diag "exit $rc: $out" ;;
esac
ok "the same chain with a fresh anchor verifies" lethectl audit verify
