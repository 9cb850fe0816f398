-- 170_fix_jobs.sql - fix and push jobs, run by lethe-fix as lethe_fix.
--
-- A fix asked for through the API queues a job of kind 'fix' at the commit
-- its finding was last seen at; lethe-fix(8) writes the patch in the
-- sandbox and seals it.  Approving the fix queues a job of kind 'push': on
-- the host, lethe-fix pushes the branch with a write token and opens the
-- pull request, then destroys the sealed patch.  Both are jobs of one fix
-- (jobs.fix_id), at most one of each kind.  Only scans absorb deliveries:
-- a queued fix of a commit is no scan of it.
SET LOCAL search_path = lethe;

ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('scan', 'fix', 'push'));
ALTER TABLE jobs ADD COLUMN fix_id bigint REFERENCES fixes ON DELETE CASCADE;
ALTER TABLE jobs ADD CONSTRAINT jobs_fix_kind CHECK ((fix_id IS NULL) = (kind = 'scan'));
CREATE UNIQUE INDEX jobs_fix ON jobs (fix_id, kind) WHERE fix_id IS NOT NULL;

-- A fix job's checkout is destroyed by the job as it ends ('fix').
ALTER TABLE checkouts DROP CONSTRAINT checkouts_ended_check;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_ended_check
	CHECK (ended IN ('scan', 'fix', 'deadline', 'orphaned'));

DROP INDEX jobs_one_queued;
CREATE UNIQUE INDEX jobs_one_queued ON jobs (repository_id, commit_sha, coalesce(pr_number, 0))
	WHERE state = 'queued' AND kind = 'scan';

ALTER TABLE fixes DROP CONSTRAINT fixes_state_check;
ALTER TABLE fixes ADD CONSTRAINT fixes_state_check CHECK (state IN ('queued', 'running',
	'proposed', 'approved', 'pushed', 'rejected', 'expired', 'failed'));
ALTER TABLE fixes
	ADD COLUMN failure     text CHECK (length(failure) <= 500),
	ADD COLUMN approved_by text,
	ADD COLUMN approved_at timestamptz,
	ADD COLUMN rejected_by text,
	ADD COLUMN branch      text CHECK (branch ~ '^lethe/fix-[1-9][0-9]*-[1-9][0-9]{0,3}$'),
	ADD COLUMN pr_number   bigint,
	ADD COLUMN pr_url      text CHECK (length(pr_url) <= 500),
	ADD COLUMN pushed_at   timestamptz;

-- A fix's job that ended without success ends its fix: failed, with the
-- job's last error (never code: lethe-fix's one-line reasons).
CREATE FUNCTION fix_job_ended() RETURNS trigger LANGUAGE plpgsql
	SET search_path = lethe, pg_catalog AS $$
BEGIN
	UPDATE fixes SET state = 'failed', failure = left(NEW.last_error, 500)
	WHERE id = NEW.fix_id AND state IN ('queued', 'running', 'approved');
	RETURN NULL;
END $$;
CREATE TRIGGER jobs_fix_ended AFTER UPDATE OF state ON jobs FOR EACH ROW
	WHEN (NEW.fix_id IS NOT NULL AND NEW.state IN ('failed', 'cancelled')
	      AND OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION fix_job_ended();

-- The delivery of a commit is absorbed only by a queued scan of it.
CREATE OR REPLACE FUNCTION delivery_record(p_org bigint, p_repo bigint, p_provider text,
	p_delivery text, p_event text, p_action text, p_scan boolean, p_outcome text, p_ref text,
	p_branch text, p_sha text, p_pr integer, p_spooled boolean, p_received timestamptz,
	p_digest text, p_more jsonb, OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
#variable_conflict use_column
DECLARE
	v_digest bytea := decode(p_digest, 'hex');
	v_more bigint[];
	v_job bigint;
	v_new boolean;
	t record;
BEGIN
	IF EXISTS (SELECT 1 FROM deliveries d
		   WHERE d.repository_id = p_repo AND d.delivery_id = p_delivery) THEN
		RETURN;	-- a duplicate: nothing changed
	END IF;
	IF v_digest IS NOT NULL THEN
		-- Two copies at once: the second waits here for the first's COMMIT.
		PERFORM pg_advisory_xact_lock(hashtextextended(p_repo || ':' || p_digest, 96));
		IF EXISTS (SELECT 1 FROM deliveries d
			   WHERE d.repository_id = p_repo AND d.signed_digest = v_digest
			   AND d.received_at > coalesce(p_received, now()) - interval '3 days') THEN
			RETURN;	-- the same signed bytes under another id: a replay
		END IF;
	END IF;
	outcome := CASE WHEN p_scan THEN 'absorbed' ELSE p_outcome END;
	IF p_scan THEN
		FOR t IN SELECT x.ref, x.branch, x.sha, x.n FROM (
				SELECT p_ref AS ref, p_branch AS branch, p_sha AS sha, 0::bigint AS n
				UNION ALL
				SELECT m.ref, m.branch, m.sha, m.ordinality FROM ROWS FROM (jsonb_to_recordset(
					coalesce(p_more, '[]')) AS (ref text, branch text, sha text))
					WITH ORDINALITY AS m) x
			 ORDER BY x.sha, x.n LOOP
			INSERT INTO jobs AS j (org_id, repository_id, commit_sha, ref, branch, pr_number)
			VALUES (p_org, p_repo, t.sha, t.ref, t.branch, p_pr)
			ON CONFLICT (repository_id, commit_sha, coalesce(pr_number, 0))
				WHERE state = 'queued' AND kind = 'scan'
			DO UPDATE SET deliveries = j.deliveries + 1
			RETURNING j.id, j.xmax = 0 INTO v_job, v_new;
			IF v_new THEN
				outcome := 'queued';
			END IF;
			IF t.n = 0 THEN
				job_id := v_job;
			ELSE
				v_more := v_more || v_job;
			END IF;
		END LOOP;
	END IF;
	INSERT INTO deliveries AS d (org_id, repository_id, provider, delivery_id, event, action,
		outcome, ref, commit_sha, pr_number, job_id, spooled, received_at, signed_digest,
		more_job_ids)
	VALUES (p_org, p_repo, p_provider, p_delivery, p_event, p_action, outcome, p_ref, p_sha,
		p_pr, job_id, p_spooled, coalesce(p_received, now()), v_digest, v_more)
	RETURNING d.id INTO delivery_id;
	RETURN NEXT;
END $$;

-- lethe-api: asking for a fix queues its job; approving it, the push; who
-- approved or rejected it is kept.
GRANT INSERT ON jobs TO lethe_api;
GRANT UPDATE (approved_by, approved_at, rejected_by) ON fixes TO lethe_api;

-- lethe-fix logs in as lethe_fix.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lethe_fix') THEN
		CREATE ROLE lethe_fix LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
	END IF;
END $$;
GRANT USAGE ON SCHEMA lethe TO lethe_fix;
ALTER ROLE lethe_fix SET search_path = lethe;

DO $$
DECLARE p record;
BEGIN
	FOR p IN SELECT schemaname, tablename, policyname, roles FROM pg_policies
		 WHERE schemaname = 'lethe' AND tablename IN ('checkouts', 'jobs', 'fixes', 'findings',
		 'repositories', 'integrations', 'orgs', 'org_keys', 'audit_events')
		 AND 'lethe_jobs' = ANY (roles) LOOP
		EXECUTE format('ALTER POLICY %I ON %I.%I TO %s', p.policyname, p.schemaname, p.tablename,
			(SELECT string_agg(quote_ident(x), ', ') FROM unnest(p.roles || 'lethe_fix'::name) AS x));
	END LOOP;
END $$;

-- It claims fix and push jobs, holds their lease and ends them; records
-- its checkouts; reads the fix, its finding and repository and the
-- org's keys; seals the patch, then records the push and destroys it.
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, jsonb) TO lethe_fix;
GRANT SELECT ON jobs, checkouts, fixes, findings, repositories, integrations, orgs, org_keys
	TO lethe_fix;
GRANT UPDATE (state, attempts, lease_owner, lease_expires, started_at, finished_at, not_before,
	last_error) ON jobs TO lethe_fix;
GRANT INSERT ON checkouts TO lethe_fix;
GRANT UPDATE (path, backend, cipher, destroyed_at, destroy_reason, teardown_usec, ended)
	ON checkouts TO lethe_fix;
GRANT USAGE ON SEQUENCE checkouts_id_seq TO lethe_fix;
GRANT UPDATE (state, failure, patch_enc, patch_bytes, sealed_at, deadline, destroyed_at,
	destroy_reason, branch, pr_number, pr_url, pushed_at) ON fixes TO lethe_fix;

-- lethe-scrub fails a job whose lease died after its last attempt: for a
-- fix's job that ends the fix too (fix_job_ended, with the caller's grants).
GRANT UPDATE (failure) ON fixes TO lethe_scrub;
