-- 096_delivery_digest.sql - a captured delivery replayed under a new id is a duplicate.
--
-- The delivery ids of GitHub, Gitea, Bitbucket and GitLab's token mode
-- (X-GitHub-Delivery, Idempotency-Key, ...) are headers outside the
-- signature: a captured delivery sent again with a fresh id would queue a
-- new scan of an old commit.  So each delivery also records signed_digest,
-- a keyed digest of the bytes its signature covers (lethe-hook's HMAC-SHA256
-- under the hook's own webhook secret, domain-separated from the VCS's
-- signature; see lethe-hook(8)), and a delivery whose digest was recorded
-- for the same repository within GitHub's redelivery window (3 days) is a
-- duplicate: nothing changes.  Standard Webhooks deliveries carry none:
-- their webhook-id is signed and is their delivery id.  The digest goes
-- with its delivery row, pruned by lethe-rotate's retention_deliveries.
SET LOCAL search_path = lethe;

ALTER TABLE deliveries ADD COLUMN signed_digest bytea CHECK (length(signed_digest) = 32);
CREATE INDEX deliveries_signed_digest ON deliveries (repository_id, signed_digest)
	WHERE signed_digest IS NOT NULL;

DROP FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text, text, text,
	text, integer, boolean, timestamptz);

CREATE FUNCTION delivery_record(p_org bigint, p_repo bigint, p_provider text,
	p_delivery text, p_event text, p_action text, p_scan boolean, p_outcome text, p_ref text,
	p_branch text, p_sha text, p_pr integer, p_spooled boolean, p_received timestamptz,
	p_digest text, OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
#variable_conflict use_column
DECLARE
	v_digest bytea := decode(p_digest, 'hex');
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
		outcome, ref, commit_sha, pr_number, job_id, spooled, received_at, signed_digest)
	VALUES (p_org, p_repo, p_provider, p_delivery, p_event, p_action, outcome, p_ref, p_sha,
		p_pr, job_id, p_spooled, coalesce(p_received, now()), v_digest)
	RETURNING d.id INTO delivery_id;
	RETURN NEXT;
END $$;

REVOKE ALL ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz, text) TO lethe_hook, lethe_jobs;

CREATE OR REPLACE FUNCTION delivery_record_many(p_batch jsonb,
	OUT idx bigint, OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
DECLARE
	b record;
BEGIN
	FOR b IN SELECT * FROM ROWS FROM (jsonb_to_recordset(p_batch) AS (org bigint, repo bigint,
			provider text, delivery text, event text, action text, scan boolean,
			outcome text, ref text, branch text, sha text, pr integer, spooled boolean,
			received_usec bigint, digest text)) WITH ORDINALITY AS x
		 ORDER BY x.repo, x.scan, x.sha, x.pr, x.digest, x.delivery LOOP
		idx := b.ordinality;
		SELECT r.delivery_id, r.job_id, r.outcome INTO delivery_id, job_id, outcome
		FROM delivery_record(b.org, b.repo, b.provider, b.delivery, b.event, b.action, b.scan,
			b.outcome, b.ref, b.branch, b.sha, b.pr, b.spooled,
			to_timestamp(b.received_usec / 1000000.0), b.digest) AS r;
		IF FOUND THEN
			RETURN NEXT;
		END IF;
	END LOOP;
END $$;
