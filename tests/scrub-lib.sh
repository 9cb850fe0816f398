# shellcheck shell=bash
# tests/scrub-lib.sh: sourced after tests/lib.sh and need_stack by the tests
# of lethe-scrub and lethe-rotate that use the stack's database (t2101-t2107).
#
#   sql ARGS...                psql as the superuser: unaligned, tuples only,
#                              stopping at the first error
#   scrub_need_schema          skip unless the stack's database has its schema
#   scrub_dirs [LINE...]       state and run directories of the test's own, so
#                              that the stack's jobs never see its volumes: sets
#                              state and run (not created) and writes
#                              $SCRATCH/lethe.conf, the stack's with state_dir,
#                              run_dir and each LINE ("key = value") in place
#                              of its own
#   scrub_org_repo TAG         an org TAG with a repository TAG/app, removed
#                              when the test ends: sets org and repo

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

scrub_need_schema() {
	[ "$(sql -c "SELECT to_regclass('lethe.checkouts') IS NOT NULL")" = t ] ||
		skip_all "the stack's database has no schema (lethectl migrate)"
}

# shellcheck disable=SC2120 # LINE... is optional
scrub_dirs() { # [LINE...]
	local keys='state_dir\|run_dir' l
	for l in "$@"; do keys="$keys\\|${l%% =*}"; done
	state=$SCRATCH/state
	run=$SCRATCH/run
	grep -v "^\\($keys\\) *=" "$LETHE_CONFIG" >"$SCRATCH/lethe.conf"
	printf '%s\n' "state_dir = $state" "run_dir = $run" "$@" >>"$SCRATCH/lethe.conf"
}

# shellcheck disable=SC2034 # the test reads org and repo
scrub_org_repo() { # TAG
	read -r org repo < <(sql -F " " <<-SQL
	WITH o AS (INSERT INTO lethe.orgs (name) VALUES ('$1') RETURNING id),
	r AS (INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	      SELECT id, 'github', '$1/app', 'https://example.invalid/$1/app.git',
	             'hook_${1}_aaaaaaaaaaaaaaaaaaaaaa' FROM o RETURNING id, org_id)
	SELECT (SELECT id FROM o), (SELECT id FROM r);
	SQL
	)
	on_exit "psql -X -q -c 'DELETE FROM lethe.orgs WHERE id = $org'"
}
