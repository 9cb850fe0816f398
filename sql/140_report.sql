-- 140_report.sql - lethe-report: a finished scan is marked for reporting by lethe-scan in
-- the transaction that completes it; lethe-report sends it, retries what
-- can succeed later and records every attempt.
SET LOCAL search_path = lethe;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lethe_report') THEN
		CREATE ROLE lethe_report LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
	END IF;
END $$;
GRANT USAGE ON SCHEMA lethe TO lethe_report;
ALTER ROLE lethe_report SET search_path = lethe;

-- pending: to send at report_next_at; sent; failed: refused (4xx) with
-- report_reason; gave_up: still failing after report_give_up; superseded:
-- a newer scan of the same pull request or branch is reported instead.
ALTER TABLE scans
	ADD COLUMN report_state   text CHECK (report_state IN ('pending', 'sent', 'failed', 'gave_up', 'superseded')),
	ADD COLUMN report_next_at timestamptz,
	ADD COLUMN report_reason  text;
CREATE INDEX scans_report_due ON scans (report_next_at) WHERE report_state = 'pending';

-- One row per attempt: when, how long, what came back; never a token or a body.
CREATE TABLE report_attempts (
	id          bigserial PRIMARY KEY,
	scan_id     bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
	at          timestamptz NOT NULL DEFAULT now(),
	duration_ms integer NOT NULL,
	outcome     text NOT NULL CHECK (outcome IN ('sent', 'temporary', 'refused', 'nothing')),
	error       text
);
CREATE INDEX report_attempts_scan ON report_attempts (scan_id);

GRANT SELECT ON orgs, org_keys, repositories, integrations, scan_tools, findings, scan_findings
	TO lethe_report;
GRANT SELECT, UPDATE (report_state, report_next_at, report_reason) ON scans TO lethe_report;
GRANT SELECT, INSERT ON report_attempts TO lethe_report;
GRANT USAGE ON SEQUENCE report_attempts_id_seq TO lethe_report;
-- Row-level security as for the other programs that act for every org.
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['orgs', 'org_keys', 'repositories', 'integrations', 'scans',
		'scan_tools', 'findings', 'scan_findings'] LOOP
		EXECUTE format('CREATE POLICY %I ON %I TO lethe_report USING (true)', t || '_report', t);
	END LOOP;
END $$;
