#!/bin/bash
# The schema enforces what it claims: the API's role sees only its org's
# rows, a checkout deadline past two hours is refused, deleting a repository
# takes everything about it along (but never the audit log), and nobody can
# change the audit log.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack

plan 14
tag=t3005$$
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# Two orgs with one repository, job, checkout, scan and finding each.  The
# job is done: the stack's jobs loop must not take it.
seed() { # ORG -> "org_id repo_id"
	sql <<-SQL
	WITH o AS (INSERT INTO lethe.orgs (name) VALUES ('$1') RETURNING id),
	r AS (INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	      SELECT id, 'github', '$1/app', 'https://example.invalid/$1/app.git',
	             'hook_${1}_aaaaaaaaaaaaaaaaaaaaaaa' FROM o RETURNING id, org_id),
	j AS (INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state, finished_at)
	      SELECT org_id, id, 'abcdef1234567', 'done', now() FROM r
	      RETURNING id, org_id, repository_id),
	s AS (INSERT INTO lethe.scans (org_id, repository_id, job_id, commit_sha, branch)
	      SELECT org_id, repository_id, id, 'abcdef1234567', 'main' FROM j RETURNING id, org_id, repository_id),
	f AS (INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id, level, path, message, first_scan_id)
	      SELECT org_id, repository_id, 'main', 'aaaaaaaaaaaaaaaa', 'flawfinder', 'FF1001', 'error', 'a.c', 'm', id FROM s RETURNING id)
	SELECT (SELECT id FROM o) || ' ' || (SELECT id FROM r);
	SQL
}
on_exit "sql -c \"DELETE FROM lethe.orgs WHERE name IN ('${tag}a', '${tag}b')\""
read -r org_a repo_a < <(seed "${tag}a")
read -r org_b repo_b < <(seed "${tag}b")
ok "two orgs seeded" test -n "$repo_a" -a -n "$repo_b"

as_api() { # ORG_ID SQL (the first line of output is set_config's)
	set -o pipefail
	sql -c "BEGIN; SET LOCAL ROLE lethe_api; SELECT set_config('lethe.org_id', '$1', true); $2; COMMIT;" | tail -n +2
}
is "$(as_api "$org_a" "SELECT count(*) FROM lethe.repositories WHERE id = $repo_b")" 0 \
	"the API role of org A does not see org B's repository"
is "$(as_api "$org_a" "SELECT count(*) FROM lethe.findings WHERE repository_id = $repo_b")" 0 \
	"nor its findings"
is "$(as_api "$org_a" "SELECT count(*) FROM lethe.repositories WHERE id = $repo_a")" 1 \
	"but sees its own repository"
is "$(as_api "$org_a" "UPDATE lethe.findings SET state = 'fixed' WHERE repository_id = $repo_b RETURNING id" | grep -c .)" 0 \
	"an update of org B's finding touches nothing"
must_fail "inserting a row for org B is refused" --says "row-level security" \
	as_api "$org_a" "INSERT INTO lethe.triage (org_id, repository_id, fingerprint, state, reason, created_by) VALUES ($org_b, $repo_b, 'aaaaaaaaaaaaaaaa', 'suppressed', 'x', 'x')"
is "$(sql -c "BEGIN; SET LOCAL ROLE lethe_api; SELECT count(*) FROM lethe.orgs; COMMIT;")" 0 \
	"without an org set, the API role sees nothing"

checkout() { # INTERVAL
	sql -c "INSERT INTO lethe.checkouts (org_id, repository_id, host, name, backend, cipher, created_at, deadline)
	        VALUES ($org_a, $repo_a, 'h', 'c$tag$RANDOM', 'fscrypt', 'x', now(), now() + interval '$1')"
}
ok "a checkout deadline of 1 h 55 min is accepted" checkout '1 hour 55 minutes'
must_fail "a checkout deadline of 2 h 1 s is refused" --says "violates check constraint" checkout '2 hours 1 second'

# The stack's jobs may append events meanwhile: what must stay is every
# event up to and including this test's own.
sql -c "SELECT lethe.audit_append($org_a, 'system', 't3005', 'test event', 'repository:$repo_a', '{}')" >/dev/null
upto=$(sql -c "SELECT max(id) FROM lethe.audit_events")
before=$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE id <= $upto")
sql -c "DELETE FROM lethe.repositories WHERE id = $repo_a"
left=$(sql -c "SELECT (SELECT count(*) FROM lethe.jobs WHERE repository_id = $repo_a)
	+ (SELECT count(*) FROM lethe.scans WHERE repository_id = $repo_a)
	+ (SELECT count(*) FROM lethe.findings WHERE repository_id = $repo_a)
	+ (SELECT count(*) FROM lethe.checkouts WHERE repository_id = $repo_a)")
is "$left" 0 "deleting a repository removes its jobs, scans, findings and checkouts"
is "$(sql -c "SELECT count(*) FROM lethe.audit_events WHERE id <= $upto")" "$before" \
	"and leaves the audit log whole"
must_fail "UPDATE of an audit event is refused, even for the superuser" --says "append-only: UPDATE refused" \
	sql -c "UPDATE lethe.audit_events SET action = 'x' WHERE id = (SELECT max(id) FROM lethe.audit_events)"
must_fail "DELETE of an audit event is refused" --says "append-only: DELETE refused" sql -c "DELETE FROM lethe.audit_events"
must_fail "TRUNCATE of the audit log is refused" --says "append-only: TRUNCATE refused" sql -c "TRUNCATE lethe.audit_events"
