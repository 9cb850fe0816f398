-- 132_fix_requests_api.sql - fixes asked for and rejected through the API.
--
-- POST /api/v1/findings/{id}/fix records who asked and the optional
-- instruction; POST /api/v1/fixes/{id}/reject marks the fix rejected and
-- destroys its sealed patch at once.
SET LOCAL search_path = lethe;

ALTER TABLE fixes
	ADD COLUMN requested_by text,
	ADD COLUMN instruction  text CHECK (length(instruction) <= 2000);
-- At most one fix of a finding on the way at a time.
CREATE UNIQUE INDEX fixes_one_active ON fixes (finding_id)
	WHERE state IN ('queued', 'running', 'proposed', 'approved');

GRANT INSERT ON fixes TO lethe_api;
GRANT UPDATE (state, destroyed_at, destroy_reason) ON fixes TO lethe_api;
GRANT USAGE ON SEQUENCE fixes_id_seq TO lethe_api;
