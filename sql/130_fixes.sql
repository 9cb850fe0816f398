-- 130_fixes.sql - fixes of findings and the model requests made for them.
--
-- A fix is a proposed change to one finding, written in a sandbox whose
-- only way out is lethe-llm-proxy(8).  The proxy records each request it
-- answers in fix_requests: the model named, the tokens the endpoint counted,
-- the bytes, the status and, for a refusal, why.  Never a prompt or an
-- answer: those hold the repository's code.  Fix jobs share the queue with
-- scans (jobs.kind 'fix'); lethe-scan claims kind 'scan' only.
SET LOCAL search_path = lethe;

ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('scan', 'fix'));

CREATE TABLE fixes (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	finding_id     bigint NOT NULL REFERENCES findings ON DELETE CASCADE,
	state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running',
	               'proposed', 'approved', 'rejected', 'expired', 'failed')),
	created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fixes_finding ON fixes (finding_id);

CREATE TABLE fix_requests (
	id                 bigserial PRIMARY KEY,
	org_id             bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	fix_id             bigint NOT NULL REFERENCES fixes ON DELETE CASCADE,
	at                 timestamptz NOT NULL DEFAULT now(),
	outcome            text NOT NULL CHECK (outcome IN ('answered', 'refused', 'limit', 'failed')),
	reason             text CHECK (length(reason) <= 200),
	model              text CHECK (length(model) <= 200),
	status             integer NOT NULL,
	upstream_status    integer,
	attempts           integer NOT NULL DEFAULT 0,
	prompt_tokens      bigint NOT NULL DEFAULT 0,
	completion_tokens  bigint NOT NULL DEFAULT 0,
	bytes_in           bigint NOT NULL DEFAULT 0,
	bytes_out          bigint NOT NULL DEFAULT 0,
	duration_ms        bigint NOT NULL DEFAULT 0
);
CREATE INDEX fix_requests_fix ON fix_requests (fix_id, id);

ALTER TABLE fixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE fixes FORCE ROW LEVEL SECURITY;
ALTER TABLE fix_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE fix_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY fixes_org ON fixes TO lethe_api
	USING (org_id = current_org()) WITH CHECK (org_id = current_org());
CREATE POLICY fix_requests_org ON fix_requests TO lethe_api
	USING (org_id = current_org()) WITH CHECK (org_id = current_org());
CREATE POLICY fixes_all ON fixes TO lethe_owner, lethe_admin, lethe_jobs
	USING (true) WITH CHECK (true);
CREATE POLICY fix_requests_all ON fix_requests TO lethe_owner, lethe_admin, lethe_jobs
	USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON fixes TO lethe_admin, lethe_jobs;
GRANT SELECT, DELETE ON fix_requests TO lethe_admin;
GRANT SELECT, INSERT ON fix_requests TO lethe_jobs;
GRANT SELECT ON fixes, fix_requests TO lethe_api;
GRANT USAGE ON SEQUENCE fixes_id_seq, fix_requests_id_seq TO lethe_admin, lethe_jobs;
