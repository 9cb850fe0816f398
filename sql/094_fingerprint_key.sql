-- 094_fingerprint_key.sql - fingerprints keyed with the org's secret hash key.
--
-- A finding's fingerprint hashes the flagged line and its neighbours
-- (analyze/an-result.c).  A plain hash lets anyone who holds one confirm a
-- guess of the line (a password assignment, say), so lethe-scan now stores
-- HMAC-SHA256 under the org's secret hash key (sql/091) of what the
-- sandbox computed: fingerprint = hex HMAC(K_org, "lethe/fingerprint" NUL
-- old-fingerprint) (lib/secret/secrethash.c).
--
-- SQL cannot compute that without the key, which only lethe-scan opens.
-- So each org whose findings or triage hold fingerprints stored before is
-- listed here; the first scan of the org deletes its row and, in the same
-- transaction as the scan's results, replaces every fingerprint of the
-- org's findings and triage with its keyed form.  Since a new scan keys the
-- same unkeyed value the same way, every finding keeps its row, first and
-- last scans, fixed state and triage.  Until then the stored fingerprints
-- stay as they were.
SET LOCAL search_path = lethe;

CREATE TABLE fingerprint_rekeys (
	org_id      bigint PRIMARY KEY REFERENCES orgs ON DELETE CASCADE,
	created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE fingerprint_rekeys ENABLE ROW LEVEL SECURITY;
ALTER TABLE fingerprint_rekeys FORCE ROW LEVEL SECURITY;
CREATE POLICY fingerprint_rekeys_all ON fingerprint_rekeys TO lethe_owner, lethe_admin, lethe_jobs
	USING (true) WITH CHECK (true);

GRANT SELECT, DELETE ON fingerprint_rekeys TO lethe_jobs;
GRANT SELECT, INSERT, DELETE ON fingerprint_rekeys TO lethe_admin;
GRANT UPDATE (fingerprint) ON triage TO lethe_jobs;

INSERT INTO fingerprint_rekeys (org_id)
SELECT o.id FROM orgs o
WHERE EXISTS (SELECT 1 FROM findings f WHERE f.org_id = o.id)
   OR EXISTS (SELECT 1 FROM triage t WHERE t.org_id = o.id);
