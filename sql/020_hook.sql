-- 020_hook.sql - recording a webhook delivery in one round trip.
--
-- delivery_record() is the transaction lethe-hook and lethe-drain run for
-- every verified delivery: the delivery row, and for a scan the job it
-- queues or the queued job (jobs_one_queued) that absorbs it.  A delivery
-- id already stored for the repository changes nothing and returns no row.
-- Called as one statement, it commits (or not) as a whole: the caller
-- answers only after that statement's implicit COMMIT.  SECURITY INVOKER:
-- it runs with the caller's grants (001 gives lethe_hook and lethe_jobs
-- INSERT and UPDATE on deliveries and jobs).
SET LOCAL search_path = lethe;

CREATE FUNCTION delivery_record(p_org bigint, p_repo bigint, p_provider text, p_delivery text,
	p_event text, p_action text, p_scan boolean, p_outcome text, p_ref text, p_branch text,
	p_sha text, p_pr integer, p_spooled boolean, p_received timestamptz,
	OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
#variable_conflict use_column
DECLARE
	v_fresh boolean;
BEGIN
	INSERT INTO deliveries AS d (org_id, repository_id, provider, delivery_id, event, action,
		outcome, ref, commit_sha, pr_number, spooled, received_at)
	VALUES (p_org, p_repo, p_provider, p_delivery, p_event, p_action,
		CASE WHEN p_scan THEN 'queued' ELSE p_outcome END, p_ref, p_sha, p_pr, p_spooled,
		coalesce(p_received, now()))
	ON CONFLICT ON CONSTRAINT deliveries_repository_id_delivery_id_key DO NOTHING
	RETURNING d.id INTO delivery_id;
	IF delivery_id IS NULL THEN
		RETURN;	-- a duplicate: nothing changed
	END IF;
	outcome := CASE WHEN p_scan THEN 'queued' ELSE p_outcome END;
	IF p_scan THEN
		INSERT INTO jobs AS j (org_id, repository_id, commit_sha, ref, branch, pr_number)
		VALUES (p_org, p_repo, p_sha, p_ref, p_branch, p_pr)
		ON CONFLICT (repository_id, commit_sha, coalesce(pr_number, 0)) WHERE state = 'queued'
		DO UPDATE SET deliveries = j.deliveries + 1
		RETURNING j.id, (j.xmax = 0) INTO job_id, v_fresh;
		IF NOT v_fresh THEN
			outcome := 'absorbed';
		END IF;
		UPDATE deliveries SET job_id = delivery_record.job_id, outcome = delivery_record.outcome
		WHERE id = delivery_record.delivery_id;
	END IF;
	RETURN NEXT;
END $$;

REVOKE ALL ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery_record(bigint, bigint, text, text, text, text, boolean, text,
	text, text, text, integer, boolean, timestamptz) TO lethe_hook, lethe_jobs;
