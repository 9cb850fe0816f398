#!/bin/bash
# Tampering with the audit log, as the database superuser who first
# disables its triggers: an edited, a deleted, a reordered event and
# swapped hashes each make lethectl audit verify exit 1 naming that event;
# with the original restored it exits 0 again.  Runs on a fresh chain in a
# database of its own.  Also: the export lets standard tools check it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack
[ -x "$TOP/bin/lethectl" ] || skip_all "bin/lethectl not built"

plan 33
db=lethe_t3006_$$
su() { psql -X -q -At -v ON_ERROR_STOP=1 -U postgres -d "$db" "$@"; }
lethectl() { "$TOP/bin/lethectl" "$@"; }

psql -X -q -U postgres -d postgres -c "CREATE DATABASE $db OWNER lethe_owner" || exit 1
on_exit "psql -X -q -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $db' >/dev/null 2>&1"
# Its own chain, so its own anchors.
sed -e "s|^database = .*|database = host=$PGHOST port=$PGPORT dbname=$db|" \
    -e "s|^audit_anchors = .*|audit_anchors = $SCRATCH/audit-anchors|" "$LETHE_CONFIG" >"$SCRATCH/lethe.conf"
export LETHE_CONFIG=$SCRATCH/lethe.conf

ok "a fresh database migrates" lethectl migrate
migrations=$(su -c "SELECT count(*) FROM lethe.audit_events")
files=$(find "$TOP/sql" -name '[0-9][0-9][0-9]_*.sql' | wc -l)
is "$(su -c "SELECT count(*) FROM lethe.audit_events WHERE action = 'migration applied'")" "$files" \
	"each of the $files migrations applied is in the audit log"
for i in 1 2 3 4 5 6 7; do
	psql -X -q -At -U lethe_admin -d "$db" -c "SELECT lethe.audit_append(NULL, 'user', 'ana', 'test.event', 'thing $i', '{\"i\": $i, \"note\": \"caf\u00e9\"}')" >/dev/null
done
mapfile -t e < <(su -c "SELECT id FROM lethe.audit_events WHERE action = 'test.event' ORDER BY id")
is "${#e[@]} $(su -c 'SELECT count(*) FROM lethe.audit_events')" "7 $((migrations + 7))" \
	"the migrations ($migrations) and seven events are logged"
ok "the untouched chain verifies" lethectl audit verify

# tampered WHAT EVENT SQL: run SQL with the triggers off, then expect
# verify to exit 1 naming EVENT; VERIFY holds what it printed.
tampered() {
	local what=$1 event=$2 sql=$3 rc=0
	su -c "ALTER TABLE lethe.audit_events DISABLE TRIGGER USER; $sql;
	       ALTER TABLE lethe.audit_events ENABLE TRIGGER USER" || { _tap_result 1 "$what: tampering ran"; return; }
	VERIFY=$(lethectl audit verify 2>&1) || rc=$?
	is "$rc" 1 "$what: verify exits 1"
	case $VERIFY in
	*"broken at event $event:"*) _tap_result 0 "$what: it names event $event" ;;
	*) _tap_result 1 "$what: it names event $event"; diag "$VERIFY" ;;
	esac
}
restored() { # WHAT SQL
	su -c "ALTER TABLE lethe.audit_events DISABLE TRIGGER USER; $2;
	       ALTER TABLE lethe.audit_events ENABLE TRIGGER USER" &&
		lethectl audit verify >/dev/null
	_tap_result $? "$1: restored, the chain verifies again"
}

must_fail "with the triggers on, even the superuser cannot edit an event" --says "append-only: UPDATE refused" \
	su -c "UPDATE lethe.audit_events SET actor = 'mallory' WHERE id = ${e[2]}"
must_fail "nor delete one" --says "append-only: DELETE refused" su -c "DELETE FROM lethe.audit_events WHERE id = ${e[2]}"
must_fail "nor truncate the log" --says "append-only: TRUNCATE refused" su -c "TRUNCATE lethe.audit_events"

tampered "edited actor" "${e[2]}" "UPDATE lethe.audit_events SET actor = 'mallory' WHERE id = ${e[2]}"
restored "edited actor" "UPDATE lethe.audit_events SET actor = 'ana' WHERE id = ${e[2]}"

tampered "time moved by one microsecond" "${e[3]}" \
	"UPDATE lethe.audit_events SET ts = ts + interval '1 microsecond' WHERE id = ${e[3]}"
restored "time moved" "UPDATE lethe.audit_events SET ts = ts - interval '1 microsecond' WHERE id = ${e[3]}"

tampered "edited details" "${e[1]}" \
	"UPDATE lethe.audit_events SET details = details || '{\"i\": 99}' WHERE id = ${e[1]}"
restored "edited details" "UPDATE lethe.audit_events SET details = details || '{\"i\": 2}' WHERE id = ${e[1]}"

su -c "CREATE TABLE public.saved AS SELECT * FROM lethe.audit_events WHERE id = ${e[4]}"
tampered "deleted event" "${e[5]}" "DELETE FROM lethe.audit_events WHERE id = ${e[4]}"
case $VERIFY in
*"events ${e[4]} to ${e[4]} are missing"*) _tap_result 0 "deleted event: the missing id ${e[4]} is named" ;;
*) _tap_result 1 "deleted event: the missing id ${e[4]} is named"; diag "$VERIFY" ;;
esac
restored "deleted event" "INSERT INTO lethe.audit_events SELECT * FROM public.saved"

swap_ids="UPDATE lethe.audit_events SET id = -1 WHERE id = ${e[3]};
	UPDATE lethe.audit_events SET id = ${e[3]} WHERE id = ${e[4]};
	UPDATE lethe.audit_events SET id = ${e[4]} WHERE id = -1"
tampered "events ${e[3]} and ${e[4]} reordered" "${e[3]}" "$swap_ids"
restored "reordered" "$swap_ids"

# hash is unique, so the swap goes through a placeholder; the event after
# each keeps its original hash as its prev_hash.
placeholder="UPDATE lethe.audit_events SET hash = decode(repeat('ff', 32), 'hex') WHERE id = ${e[0]}"
tampered "hashes of events ${e[0]} and ${e[1]} swapped" "${e[0]}" "$placeholder;
	UPDATE lethe.audit_events SET hash = (SELECT prev_hash FROM lethe.audit_events WHERE id = ${e[1]}) WHERE id = ${e[1]};
	UPDATE lethe.audit_events SET hash = (SELECT prev_hash FROM lethe.audit_events WHERE id = ${e[2]}) WHERE id = ${e[0]}"
restored "hashes swapped" "$placeholder;
	UPDATE lethe.audit_events SET hash = (SELECT prev_hash FROM lethe.audit_events WHERE id = ${e[2]}) WHERE id = ${e[1]};
	UPDATE lethe.audit_events SET hash = (SELECT prev_hash FROM lethe.audit_events WHERE id = ${e[1]}) WHERE id = ${e[0]}"

tampered "first event deleted" 2 "DELETE FROM lethe.audit_events WHERE id = 1"
json=$(lethectl --json audit verify 2>/dev/null)
is "$(jq -r '"\(.verified) \(.event)"' <<<"$json")" "false 2" "--json reports verified false and event 2"
# The export: each line's canonical text is rebuilt from its fields as
# man lethectl describes, hashes to its hash, and names its predecessor.
lethectl audit export >"$SCRATCH/export.jsonl" 2>/dev/null
bad=0 prev=0000000000000000000000000000000000000000000000000000000000000000 lines=0
while IFS= read -r line; do
	lines=$((lines + 1))
	rebuilt=$(jq -j '["lethe-audit-v1", .prev_hash, (.id|tostring), (.org_id // "" | tostring),
		(.ts_usec|tostring), .actor_type, .actor, .action, .target, .details] | join("\n")' <<<"$line")
	[ "$rebuilt" = "$(jq -j .canonical <<<"$line")" ] || bad=$((bad + 1))
	[ "$(printf '%s' "$rebuilt" | sha256sum | cut -d' ' -f1)" = "$(jq -r .hash <<<"$line")" ] || bad=$((bad + 1))
	[ "$(jq -r .prev_hash <<<"$line")" = "$prev" ] || bad=$((bad + 1))
	prev=$(jq -r .hash <<<"$line")
done <"$SCRATCH/export.jsonl"
# The first event was deleted above: the export starts at event 2, whose
# predecessor is gone, so exactly that one link fails.
is "$lines $bad" "$((migrations + 6)) 1" "export: $((migrations + 6)) lines, all hashes recomputed with sha256sum, one broken link (the deleted event)"

since=$(su -c "SELECT ts FROM lethe.audit_events WHERE id = ${e[5]}")
is "$(lethectl audit export --since "$since" | jq -s -c 'map(.id)')" "[${e[5]},${e[6]}]" \
	"export --since starts at the event of that time"
must_fail "export --since with a bad time fails" --says "last tuesday-ish" lethectl audit export --since 'last tuesday-ish'
is "$(lethectl --json audit tail -n 3 | jq -c 'map(.id)')" "[${e[4]},${e[5]},${e[6]}]" \
	"tail -n 3 shows the last three events, oldest first"
