-- 104_delivery_unusable.sql - a verified delivery Lethe cannot use is recorded, not refused.
--
-- GitLab disables a webhook that is answered 4xx, so lethe-hook answers
-- every delivery whose signature or token verified with 2xx.  One whose
-- body is not JSON is recorded as 'unparsable'; one without an event
-- header, without a usable delivery id, or a scan event missing its
-- repository, commit or ref is recorded as 'incomplete' (see lethe-hook(8)).
SET LOCAL search_path = lethe;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_outcome_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_outcome_check
	CHECK (outcome IN ('queued', 'absorbed', 'ignored', 'recorded', 'unparsable', 'incomplete'));
