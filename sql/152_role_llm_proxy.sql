-- 152_role_llm_proxy.sql - lethe-llm-proxy logs in as lethe_llm_proxy.
--
-- It runs inside the fix job, facing the fix's sandbox: it looks up its
-- fix's org and records each model request.  Nothing else.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lethe_llm_proxy') THEN
		CREATE ROLE lethe_llm_proxy LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
	END IF;
END $$;
GRANT USAGE ON SCHEMA lethe TO lethe_llm_proxy;
ALTER ROLE lethe_llm_proxy SET search_path = lethe;
SET LOCAL search_path = lethe;

ALTER POLICY fixes_all ON fixes TO lethe_owner, lethe_admin, lethe_jobs, lethe_rotate, lethe_drain,
	lethe_scrub, lethe_llm_proxy;
ALTER POLICY fix_requests_all ON fix_requests TO lethe_owner, lethe_admin, lethe_jobs, lethe_rotate,
	lethe_drain, lethe_llm_proxy;

GRANT SELECT (id, org_id) ON fixes TO lethe_llm_proxy;
GRANT INSERT ON fix_requests TO lethe_llm_proxy;
GRANT USAGE ON SEQUENCE fix_requests_id_seq TO lethe_llm_proxy;
