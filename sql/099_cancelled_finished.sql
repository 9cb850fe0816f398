-- 099_cancelled_finished.sql - a cancelled job is finished.
--
-- A retry cancelled because the same commit was queued again kept
-- finished_at NULL, so lethe-rotate, which prunes finished jobs by
-- finished_at, never removed it.  queue_fail now sets it; the rows it left
-- take the time of their last start.
SET LOCAL search_path = lethe;

UPDATE jobs SET finished_at = coalesce(started_at, created_at)
WHERE state = 'cancelled' AND finished_at IS NULL;
