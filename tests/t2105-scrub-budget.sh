#!/bin/bash
# lethe-scrub checks at start that checkout_max_age, the installed timer's
# period, accuracy and randomized delay and the worst-case scrub time fit in
# two hours, and says so loudly when they do not.  The shipped timer fits.
# The timer is read as systemd reads it: "Key = value" with blanks, the unit
# search path ($SYSTEMD_UNIT_PATH here, so that the machine's own units stay
# out of it) with its drop-ins.  Needs no database: the check comes first,
# the connection fails after.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
plan 10
export SYSTEMD_UNIT_PATH=$SCRATCH/etc:$SCRATCH/run:$SCRATCH/lib
mkdir -p "$SCRATCH/etc" "$SCRATCH/run" "$SCRATCH/lib"

budget() { # CONFIG-LINES... -> what lethe-scrub says about the budget
	printf '%s\n' "database = host=$SCRATCH/nopg connect_timeout=1" \
		"state_dir = $SCRATCH/state" "run_dir = $SCRATCH/run" "$@" >"$SCRATCH/lethe.conf"
	LETHE_CONFIG=$SCRATCH/lethe.conf "$TOP/bin/lethe-scrub" -v 2>&1 |
		grep -e 'outlive two hours' -e 'worst-case checkout lifetime' -e 'OnUnitActiveSec'
}
timer() { printf '[Unit]\nDescription=t\n\n[Timer]\n%s\n' "$@" >"$SCRATCH/lethe-scrub.timer"; }

out=$(budget "scrub_timer = $TOP/systemd/lethe-scrub.timer")
is "$out" "lethe-scrub: worst-case checkout lifetime 6901s (timer from $TOP/systemd/lethe-scrub.timer)" \
	"the shipped timer and defaults give 6901 s: 6600 + 180 + 1 + 120"

timer OnBootSec=1min OnUnitActiveSec=15min
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer")
ok "a 15 minute period alerts" grep -q "checkouts may outlive two hours: checkout_max_age 6600s + period 900s + accuracy 60s" <<<"$out"

timer "OnUnitActiveSec=1min 30s" AccuracySec=1s
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer" "checkout_max_age = 7100")
ok "so does a checkout_max_age that leaves no margin" grep -q "outlive two hours: checkout_max_age 7100s + period 90s + accuracy 1s" <<<"$out"

timer OnUnitInactiveSec=3min AccuracySec=1s
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer" "scrub_worst_case = 4m")
ok "a period counted from the end of a run adds a second worst-case run" \
	grep -q "scrub_worst_case 240s x 2 = 7261s" <<<"$out"

timer OnCalendar=hourly
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer")
ok "a timer without a period cannot guarantee anything" grep -q "has no OnUnitActiveSec=" <<<"$out"

out=$(budget "scrub_timer = $SCRATCH/absent.timer" "scrub_interval = 30m")
ok "without a timer, scrub_interval counts" grep -q "period 1800s + accuracy 0s + randomized delay 0s (scrub_interval)" <<<"$out"

timer OnUnitActiveSec=2min RandomizedDelaySec=30s AccuracySec=1s
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer")
is "$out" "lethe-scrub: worst-case checkout lifetime 6871s (timer from $SCRATCH/lethe-scrub.timer)" \
	"a randomized delay counts: 6600 + 120 + 1 + 30 + 120"

timer "OnUnitActiveSec = 2min" "AccuracySec =	1s"
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer")
is "$out" "lethe-scrub: worst-case checkout lifetime 6841s (timer from $SCRATCH/lethe-scrub.timer)" \
	"blanks around = are read as systemd reads them: 6600 + 120 + 1 + 120"

# Drop-ins of the search path: a name in a higher directory hides the same
# name in a lower one; they apply in the order of their names.
mkdir -p "$SCRATCH/lib/lethe-scrub.timer.d" "$SCRATCH/run/lethe-scrub.timer.d"
printf '[Timer]\nOnUnitActiveSec=\nOnUnitActiveSec=10min\n' >"$SCRATCH/lib/lethe-scrub.timer.d/10-period.conf"
printf '[Timer]\nOnUnitActiveSec=\nOnUnitActiveSec = 4min\n' >"$SCRATCH/run/lethe-scrub.timer.d/10-period.conf"
printf '[Timer]\nAccuracySec=5s\n' >"$SCRATCH/lib/lethe-scrub.timer.d/20-accuracy.conf"
out=$(budget "scrub_timer = $SCRATCH/lethe-scrub.timer")
is "$out" "lethe-scrub: worst-case checkout lifetime 6965s (timer from $SCRATCH/lethe-scrub.timer)" \
	"drop-ins in /run and /usr/lib count, the higher one of a name wins: 6600 + 240 + 5 + 120"
rm -r "$SCRATCH/lib/lethe-scrub.timer.d" "$SCRATCH/run/lethe-scrub.timer.d"

# A unit of that name in a higher directory overrides the one configured.
printf '[Timer]\nOnUnitActiveSec=1min\nAccuracySec=1s\n' >"$SCRATCH/etc/lethe-scrub.timer"
out=$(budget "scrub_timer = $TOP/systemd/lethe-scrub.timer")
is "$out" "lethe-scrub: worst-case checkout lifetime 6781s (timer from $TOP/systemd/lethe-scrub.timer)" \
	"an override in /etc wins over the shipped timer: 6600 + 60 + 1 + 120"
