-- 022_hook_set.sql - recording a batch of deliveries as sets, not a loop.
--
-- delivery_record_many() keeps its signature and its answers (one row per
-- recorded delivery, numbered by its position in the batch from 1; none
-- for a duplicate) but now writes each table once per batch: one INSERT
-- of the batch's jobs, one of its deliveries.  Per batch:
--   fresh   the first of each delivery id in the batch not stored yet;
--   wanted  one job per repository, commit and pull request among them,
--           with the first delivery's ref and branch and how many
--           deliveries it carries;
--   jobs    inserted, or absorbed by the queued job of the same key
--           (jobs_one_queued), which counts the batch's deliveries;
--   outcome 'queued' for the first delivery of a job this batch created,
--           'absorbed' for every other delivery of a scan, the given
--           outcome otherwise.
-- PL/pgSQL only so that the statement's plan is kept between calls.
-- Both inserts take their keys in order (jobs by repository, commit and
-- pull request; deliveries by repository and delivery id), so two batches
-- that share keys wait for each other and never deadlock.  A concurrent
-- batch that stores one of the same delivery ids first makes the statement
-- fail (unique_violation) and change nothing; lethe-hook then records each
-- delivery of the batch alone, through delivery_record().
SET LOCAL search_path = lethe;

CREATE OR REPLACE FUNCTION delivery_record_many(p_batch jsonb,
	OUT idx bigint, OUT delivery_id bigint, OUT job_id bigint, OUT outcome text)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = lethe, pg_catalog AS $$
BEGIN
RETURN QUERY WITH b AS (
	SELECT * FROM ROWS FROM (jsonb_to_recordset(p_batch) AS (org bigint, repo bigint,
		provider text, delivery text, event text, action text, scan boolean, outcome text,
		ref text, branch text, sha text, pr integer, spooled boolean, received_usec bigint))
		WITH ORDINALITY AS x
), fresh AS (
	SELECT DISTINCT ON (b.repo, b.delivery) b.* FROM b
	WHERE NOT EXISTS (SELECT 1 FROM deliveries d
			  WHERE d.repository_id = b.repo AND d.delivery_id = b.delivery)
	ORDER BY b.repo, b.delivery, b.ordinality
), wanted AS (
	SELECT DISTINCT ON (repo, sha, coalesce(pr, 0)) org, repo, sha, pr, ref, branch,
		ordinality AS first, count(*) OVER (PARTITION BY repo, sha, coalesce(pr, 0)) AS n
	FROM fresh WHERE scan
	ORDER BY repo, sha, coalesce(pr, 0), ordinality
), queued AS (
	INSERT INTO jobs AS j (org_id, repository_id, commit_sha, ref, branch, pr_number, deliveries)
	SELECT org, repo, sha, ref, branch, pr, n FROM wanted ORDER BY repo, sha, coalesce(pr, 0)
	ON CONFLICT (repository_id, commit_sha, coalesce(pr_number, 0)) WHERE state = 'queued'
	DO UPDATE SET deliveries = j.deliveries + excluded.deliveries
	RETURNING j.id, j.repository_id, j.commit_sha, coalesce(j.pr_number, 0) AS pr, j.xmax = 0 AS created
), decided AS (
	SELECT f.*, q.id AS job, CASE WHEN NOT f.scan THEN f.outcome
		WHEN q.created AND f.ordinality = w.first THEN 'queued' ELSE 'absorbed' END AS result
	FROM fresh f
	LEFT JOIN wanted w ON f.scan AND w.repo = f.repo AND w.sha = f.sha
		AND coalesce(w.pr, 0) = coalesce(f.pr, 0)
	LEFT JOIN queued q ON f.scan AND q.repository_id = f.repo AND q.commit_sha = f.sha
		AND q.pr = coalesce(f.pr, 0)
), recorded AS (
	INSERT INTO deliveries AS d (org_id, repository_id, provider, delivery_id, event, action,
		outcome, ref, commit_sha, pr_number, job_id, spooled, received_at)
	SELECT org, repo, provider, delivery, event, action, result, ref, sha, pr, job, spooled,
		coalesce(to_timestamp(received_usec / 1000000.0), now())
	FROM decided ORDER BY repo, delivery
	RETURNING d.id, d.repository_id, d.delivery_id, d.job_id, d.outcome
)
SELECT x.ordinality, r.id, r.job_id, r.outcome
FROM recorded r JOIN decided x ON x.repo = r.repository_id AND x.delivery = r.delivery_id;
END $$;
