-- 190_role_scan.sql - lethe-scan logs in as lethe_scan; lethe_jobs is gone.
--
-- lethe_jobs was the role every job program shared; lethe-scan was the
-- last to log in as it, and it held far more than a scan does (tokens, API
-- keys, deliveries, fixes).  lethe_scan is granted what lethe-scan's
-- statements and the library calls it makes use (lib/job, lib/store: queue,
-- checkout, scanstore, findings, facts, vulns; lib/secret: org keys, secret
-- hash keys), in its root process and in the child that stores the results
-- as user lethe alike.
SET LOCAL search_path = lethe;

-- role_create(role, tables): the role of a program that acts for every
-- org.  Created unless it exists (roles belong to the cluster, not the
-- database), it may use schema lethe, finds its tables there, and the
-- every-org policy of each of tables (TABLE_all) names it: a policy grants
-- nothing by itself, the grants that follow the call decide.  Migrations
-- call it, as lethe_owner.
CREATE FUNCTION role_create(p_role name, p_tables name[]) RETURNS void LANGUAGE plpgsql
	SET search_path = lethe, pg_catalog AS $$
DECLARE
	t name;
	v_roles name[];
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
		EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', p_role);
	END IF;
	EXECUTE format('GRANT USAGE ON SCHEMA lethe TO %I', p_role);
	EXECUTE format('ALTER ROLE %I SET search_path = lethe', p_role);
	FOREACH t IN ARRAY p_tables LOOP
		SELECT p.roles INTO v_roles FROM pg_policies p
		WHERE p.schemaname = 'lethe' AND p.tablename = t AND p.policyname = t || '_all';
		IF NOT FOUND THEN
			RAISE EXCEPTION 'table lethe.% has no policy %_all', t, t;
		END IF;
		IF NOT p_role = ANY (v_roles) THEN
			EXECUTE format('ALTER POLICY %I ON lethe.%I TO %s', t || '_all', t,
				(SELECT string_agg(quote_ident(x), ', ') FROM unnest(v_roles || p_role) AS x));
		END IF;
	END LOOP;
END $$;
REVOKE ALL ON FUNCTION role_create(name, name[]) FROM PUBLIC;

SELECT role_create('lethe_scan', ARRAY['jobs', 'checkouts', 'repositories', 'integrations',
	'org_keys', 'secret_hash_keys', 'fingerprint_rekeys', 'scans', 'scan_tools', 'findings',
	'scan_findings', 'triage', 'dependencies', 'workflow_facts']::name[]);

-- It claims scan jobs (failing those whose worker died after the last
-- attempt), holds their lease, stores a short commit's full SHA, and ends
-- them; records its checkout and audits it.
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, jsonb) TO lethe_scan;
GRANT SELECT ON jobs, checkouts TO lethe_scan;
GRANT UPDATE (state, attempts, lease_owner, lease_expires, started_at, finished_at, not_before,
	last_error, commit_sha) ON jobs TO lethe_scan;
GRANT INSERT ON checkouts TO lethe_scan;
GRANT UPDATE (path, backend, cipher, destroyed_at, destroy_reason, teardown_usec, ended)
	ON checkouts TO lethe_scan;
-- It reads the repository, its integration and the org's keys (the clone
-- token, a GitHub App's key), and the org's secret hash key, creating it
-- on first use.
GRANT SELECT ON repositories, integrations, org_keys TO lethe_scan;
GRANT SELECT, INSERT ON secret_hash_keys TO lethe_scan;
-- It keys the org's fingerprints stored unkeyed (sql/094), once.
GRANT SELECT, DELETE ON fingerprint_rekeys TO lethe_scan;
GRANT SELECT, UPDATE (fingerprint) ON triage TO lethe_scan;
-- The scan: its row, its tools, its findings (fixed ones too), its facts,
-- its dependencies matched against the advisories.
GRANT SELECT, INSERT ON scans, scan_tools, findings, scan_findings, dependencies TO lethe_scan;
GRANT INSERT ON workflow_facts TO lethe_scan;
GRANT SELECT ON advisories, advisory_packages TO lethe_scan;
GRANT UPDATE (state, finished_at, stats, report_state, report_next_at) ON scans TO lethe_scan;
GRANT UPDATE (status, reason, result_count) ON scan_tools TO lethe_scan;
GRANT UPDATE (last_scan_id, path, start_line, end_line, level, message, state, properties,
	fixed_scan_id, updated_at, suppressed_in_code, suppress_reason, fingerprint)
	ON findings TO lethe_scan;
GRANT USAGE ON SEQUENCE checkouts_id_seq, secret_hash_keys_id_seq, scans_id_seq,
	scan_tools_id_seq, findings_id_seq, dependencies_id_seq, workflow_facts_id_seq TO lethe_scan;

-- No program logs in as lethe_jobs any more: its grants and its place in
-- the policies go, and so does the role, unless another database of the
-- cluster still grants it something (its own migration drops it then).
DO $$
DECLARE p record;
BEGIN
	FOR p IN SELECT tablename, policyname, roles FROM pg_policies
		 WHERE schemaname = 'lethe' AND 'lethe_jobs' = ANY (roles) LOOP
		EXECUTE format('ALTER POLICY %I ON lethe.%I TO %s', p.policyname, p.tablename,
			(SELECT string_agg(quote_ident(x), ', ')
			 FROM unnest(array_remove(p.roles, 'lethe_jobs')) AS x));
	END LOOP;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA lethe FROM lethe_jobs;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA lethe FROM lethe_jobs;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA lethe FROM lethe_jobs;
REVOKE ALL ON SCHEMA lethe FROM lethe_jobs;
DO $$
BEGIN
	DROP ROLE lethe_jobs;
EXCEPTION WHEN dependent_objects_still_exist THEN
	RAISE NOTICE 'lethe_jobs is still granted in another database: kept until its migration';
END $$;
