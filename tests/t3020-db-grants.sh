#!/bin/bash
# Every grant a Lethe role holds in PostgreSQL is a row of the table
# "Database roles" in systemd/POSTURE.md, and every row of it is granted:
# the catalogue and the table are compared both ways.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack

plan 3
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# role|object|privileges, one line per role and object, for every role but
# the migrations' owner (which owns everything).
sql >"$SCRATCH/granted" <<'SQL'
	WITH roles AS (
		SELECT rolname::text AS role FROM pg_roles
		WHERE rolname LIKE 'lethe\_%' AND rolname <> 'lethe_owner'
	), t AS (
		SELECT g.grantee::text AS role, 'table ' || g.table_name AS obj, g.privilege_type::text AS priv
		FROM information_schema.role_table_grants g JOIN roles r ON r.role = g.grantee
		WHERE g.table_schema = 'lethe'
		UNION ALL
		SELECT c.grantee, 'table ' || c.table_name, c.privilege_type || ' ('
			|| string_agg(c.column_name, ', ' ORDER BY c.column_name) || ')'
		FROM information_schema.column_privileges c JOIN roles r ON r.role = c.grantee
		WHERE c.table_schema = 'lethe' AND NOT EXISTS (
			SELECT 1 FROM information_schema.role_table_grants g
			WHERE g.grantee = c.grantee AND g.table_schema = 'lethe'
			AND g.table_name = c.table_name AND g.privilege_type = c.privilege_type)
		GROUP BY c.grantee, c.table_name, c.privilege_type
		UNION ALL
		SELECT r.role, 'sequence ' || c.relname, 'USAGE'
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, roles r
		WHERE n.nspname = 'lethe' AND c.relkind = 'S' AND has_sequence_privilege(r.role, c.oid, 'USAGE')
		UNION ALL
		SELECT DISTINCT p.grantee::text, 'function ' || p.routine_name, 'EXECUTE'
		FROM information_schema.routine_privileges p JOIN roles r ON r.role = p.grantee
		WHERE p.routine_schema = 'lethe'
	)
	SELECT role || '|' || obj || '|' || string_agg(priv, ', ' ORDER BY priv)
	FROM t GROUP BY role, obj ORDER BY role, obj;
SQL
sort -o "$SCRATCH/granted" "$SCRATCH/granted"

# The table's rows, without its program column.
sed -n '/^## Database roles$/,/^## /p' "$TOP/systemd/POSTURE.md" |
	awk -F' *\\| *' '/^\| lethe_/ { print $2 "|" $4 "|" $5 }' | sort >"$SCRATCH/documented"

ok "POSTURE.md has a table of database roles" grep -q '^lethe_drain|table deliveries|' "$SCRATCH/documented"
ok "every grant in PostgreSQL is a row of POSTURE.md's table" \
	diff <(comm -23 "$SCRATCH/granted" "$SCRATCH/documented") /dev/null
ok "every row of POSTURE.md's table is granted in PostgreSQL" \
	diff <(comm -13 "$SCRATCH/granted" "$SCRATCH/documented") /dev/null
