-- 150_roles.sql - lethe-rotate and lethe-drain log in as roles of their own.
--
-- Until now they shared lethe_jobs with lethe-scan, -scrub and -llm-proxy,
-- and so held every grant those need.  Each new role is granted exactly what
-- its program's statements use (systemd/POSTURE.md, "Database roles", lists
-- them; t3020 compares that table with the catalogue).  The row-level
-- security policies that let the non-API roles act for every org name the
-- new roles too: a policy grants nothing by itself, the grants below decide.
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['lethe_rotate', 'lethe_drain'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', r);
		END IF;
	END LOOP;
END $$;
GRANT USAGE ON SCHEMA lethe TO lethe_rotate, lethe_drain;
ALTER ROLE lethe_rotate SET search_path = lethe;
ALTER ROLE lethe_drain SET search_path = lethe;
SET LOCAL search_path = lethe;

DO $$
DECLARE p record;
BEGIN
	FOR p IN SELECT schemaname, tablename, policyname, roles FROM pg_policies
		 WHERE schemaname = 'lethe' AND 'lethe_jobs' = ANY (roles) LOOP
		EXECUTE format('ALTER POLICY %I ON %I.%I TO %s', p.policyname, p.schemaname, p.tablename,
			(SELECT string_agg(quote_ident(x), ', ') FROM unnest(p.roles || ARRAY['lethe_rotate',
				'lethe_drain']::name[]) AS x));
	END LOOP;
END $$;

-- lethe-rotate: prunes by age (jobs only without a live checkout), then
-- verifies the audit chain and its anchors.
GRANT SELECT, DELETE ON deliveries, jobs, checkouts, refresh_tokens, api_keys TO lethe_rotate;
GRANT SELECT ON audit_events TO lethe_rotate;

-- lethe-drain: records spooled deliveries through delivery_record(), which
-- runs with the caller's grants: it reads deliveries, inserts the delivery
-- and its jobs, and counts a delivery on a job already queued.
GRANT EXECUTE ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz, text, jsonb) TO lethe_drain;
GRANT SELECT, INSERT ON deliveries, jobs TO lethe_drain;
GRANT UPDATE (deliveries) ON jobs TO lethe_drain;
GRANT USAGE ON SEQUENCE deliveries_id_seq, jobs_id_seq TO lethe_drain;
