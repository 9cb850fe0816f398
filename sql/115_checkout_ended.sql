-- 115_checkout_ended.sql - how each checkout ended, as its destroyer saw it.
--
-- The scrub log (GET /api/v1/checkouts/history) tells apart a checkout that
-- lethe-scan destroyed as its scan ended ('scan'), one lethe-scrub destroyed
-- past its deadline ('deadline') and one lethe-scrub destroyed because its
-- job died, lapsed or moved on ('orphaned').  Each program writes it with
-- destroyed_at; rows from before are told apart by the reason each wrote.
SET LOCAL search_path = lethe;

ALTER TABLE checkouts ADD COLUMN ended text CHECK (ended IN ('scan', 'deadline', 'orphaned'));
UPDATE checkouts SET ended = CASE
	WHEN destroy_reason IN ('scan finished', 'volume creation failed') THEN 'scan'
	WHEN destroy_reason = 'deadline passed' THEN 'deadline'
	ELSE 'orphaned' END
WHERE destroyed_at IS NOT NULL;
