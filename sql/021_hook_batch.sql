-- 021_hook_batch.sql - recording many webhook deliveries in one commit.
--
-- delivery_record() becomes cheaper: it looks the delivery id up first,
-- queues or absorbs the job, and only then inserts the delivery with its
-- job and outcome, so no row is written twice.  A concurrent transaction
-- that stores the same delivery id first makes that insert fail
-- (unique_violation) and the whole statement roll back, job included: the
-- caller answers that delivery as a duplicate.
--
-- delivery_record_many() records a batch of deliveries (a JSON array of
-- objects, one per delivery) in one statement, hence one COMMIT: lethe-hook
-- answers every delivery of the batch after it.  It returns one row per
-- recorded delivery, numbered by its position in the array (from 1); a
-- duplicate returns none.  Deliveries are taken in the order of their job
-- (repository, commit, pull request), so that two batches lock the jobs
-- they share in the same order and never deadlock.
SET LOCAL search_path = lethe;

CREATE OR REPLACE FUNCTION delivery_record(p_org bigint, p_repo bigint, p_provider text,
	p_delivery text, p_event text, p_action text, p_scan boolean, p_outcome text, p_ref text,
	p_branch text, p_sha text, p_pr integer, p_spooled boolean, p_received timestamptz,
	OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
#variable_conflict use_column
BEGIN
	IF EXISTS (SELECT 1 FROM deliveries d
		   WHERE d.repository_id = p_repo AND d.delivery_id = p_delivery) THEN
		RETURN;	-- a duplicate: nothing changed
	END IF;
	outcome := CASE WHEN p_scan THEN 'queued' ELSE p_outcome END;
	IF p_scan THEN
		INSERT INTO jobs AS j (org_id, repository_id, commit_sha, ref, branch, pr_number)
		VALUES (p_org, p_repo, p_sha, p_ref, p_branch, p_pr)
		ON CONFLICT (repository_id, commit_sha, coalesce(pr_number, 0)) WHERE state = 'queued'
		DO UPDATE SET deliveries = j.deliveries + 1
		RETURNING j.id, CASE WHEN j.xmax = 0 THEN 'queued' ELSE 'absorbed' END
		INTO job_id, outcome;
	END IF;
	INSERT INTO deliveries AS d (org_id, repository_id, provider, delivery_id, event, action,
		outcome, ref, commit_sha, pr_number, job_id, spooled, received_at)
	VALUES (p_org, p_repo, p_provider, p_delivery, p_event, p_action, outcome, p_ref, p_sha,
		p_pr, job_id, p_spooled, coalesce(p_received, now()))
	RETURNING d.id INTO delivery_id;
	RETURN NEXT;
END $$;

CREATE FUNCTION delivery_record_many(p_batch jsonb,
	OUT idx bigint, OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
DECLARE
	b record;
BEGIN
	FOR b IN SELECT * FROM ROWS FROM (jsonb_to_recordset(p_batch) AS (org bigint, repo bigint,
			provider text, delivery text, event text, action text, scan boolean,
			outcome text, ref text, branch text, sha text, pr integer, spooled boolean,
			received_usec bigint)) WITH ORDINALITY AS x
		 ORDER BY x.repo, x.scan, x.sha, x.pr, x.delivery LOOP
		idx := b.ordinality;
		SELECT r.delivery_id, r.job_id, r.outcome INTO delivery_id, job_id, outcome
		FROM delivery_record(b.org, b.repo, b.provider, b.delivery, b.event, b.action, b.scan,
			b.outcome, b.ref, b.branch, b.sha, b.pr, b.spooled,
			to_timestamp(b.received_usec / 1000000.0)) AS r;
		IF FOUND THEN
			RETURN NEXT;
		END IF;
	END LOOP;
END $$;

REVOKE ALL ON FUNCTION delivery_record_many(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery_record_many(jsonb) TO lethe_hook, lethe_jobs;
