-- 105_delivery_tips.sql - a push of several branches queues a job for each.
--
-- A Bitbucket push lists one change per ref (push.changes in Bitbucket
-- Cloud, changes in Data Center): every branch it moved to a commit is
-- scanned.  delivery_record() takes the tips after the first as p_more, a
-- JSON array of {ref, branch, sha}; each queues its own job or is absorbed
-- by the queued one of its commit, as the first is.  The delivery row keeps
-- the first tip's ref, commit and job, and the other jobs in more_job_ids.
-- The tips are taken in the order of their commits, as a batch takes its
-- deliveries (021_hook_batch.sql), so that two deliveries lock the jobs
-- they share in the same order.  Its outcome is 'queued' when any tip
-- queued a job, else 'absorbed'.
SET LOCAL search_path = lethe;

ALTER TABLE deliveries ADD COLUMN more_job_ids bigint[];

DROP FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text, text, text,
	text, integer, boolean, timestamptz, text);

CREATE FUNCTION delivery_record(p_org bigint, p_repo bigint, p_provider text,
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
			ON CONFLICT (repository_id, commit_sha, coalesce(pr_number, 0)) WHERE state = 'queued'
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

REVOKE ALL ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz, text, jsonb) TO lethe_hook, lethe_jobs;

CREATE OR REPLACE FUNCTION delivery_record_many(p_batch jsonb,
	OUT idx bigint, OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
DECLARE
	b record;
BEGIN
	FOR b IN SELECT * FROM ROWS FROM (jsonb_to_recordset(p_batch) AS (org bigint, repo bigint,
			provider text, delivery text, event text, action text, scan boolean,
			outcome text, ref text, branch text, sha text, pr integer, spooled boolean,
			received_usec bigint, digest text, more jsonb)) WITH ORDINALITY AS x
		 ORDER BY x.repo, x.scan, x.sha, x.pr, x.digest, x.delivery LOOP
		idx := b.ordinality;
		SELECT r.delivery_id, r.job_id, r.outcome INTO delivery_id, job_id, outcome
		FROM delivery_record(b.org, b.repo, b.provider, b.delivery, b.event, b.action, b.scan,
			b.outcome, b.ref, b.branch, b.sha, b.pr, b.spooled,
			to_timestamp(b.received_usec / 1000000.0), b.digest, b.more) AS r;
		IF FOUND THEN
			RETURN NEXT;
		END IF;
	END LOOP;
END $$;
