-- 151_role_scrub.sql - lethe-scrub logs in as lethe_scrub.
--
-- It marks the checkouts it destroys (locking each first), puts a job whose
-- lease died back in the queue or fails it, destroys sealed fix patches past
-- their deadline, and audits each.  Nothing else.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lethe_scrub') THEN
		CREATE ROLE lethe_scrub LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
	END IF;
END $$;
GRANT USAGE ON SCHEMA lethe TO lethe_scrub;
ALTER ROLE lethe_scrub SET search_path = lethe;
SET LOCAL search_path = lethe;

DO $$
DECLARE p record;
BEGIN
	FOR p IN SELECT schemaname, tablename, policyname, roles FROM pg_policies
		 WHERE schemaname = 'lethe' AND tablename IN ('checkouts', 'jobs', 'fixes', 'audit_events')
		 AND 'lethe_jobs' = ANY (roles) LOOP
		EXECUTE format('ALTER POLICY %I ON %I.%I TO %s', p.policyname, p.schemaname, p.tablename,
			(SELECT string_agg(quote_ident(x), ', ') FROM unnest(p.roles || 'lethe_scrub'::name) AS x));
	END LOOP;
END $$;

GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, jsonb) TO lethe_scrub;
GRANT SELECT ON checkouts, jobs, fixes TO lethe_scrub;
GRANT UPDATE (destroyed_at, destroy_reason, teardown_usec, ended) ON checkouts TO lethe_scrub;
GRANT UPDATE (state, finished_at, lease_owner, lease_expires, not_before, last_error) ON jobs
	TO lethe_scrub;
GRANT UPDATE (patch_enc, destroyed_at, destroy_reason, state) ON fixes TO lethe_scrub;
