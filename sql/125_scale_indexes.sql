-- 125_scale_indexes.sql - indexes for a large database.
--
-- The API lists an org's or a repository's findings newest first, a page
-- at a time before an id (keyset pagination): (org_id, id) and
-- (repository_id, id) give each page without reading the ones before it.
-- The rest serve the foreign keys that PostgreSQL follows row by row when
-- a referenced row goes: lethe-rotate pruning finished jobs sets
-- scans.job_id and deliveries.job_id to NULL and deletes their checkouts;
-- a repository's disconnect deletes its jobs, and each of its scans sets
-- the findings' first, last and fixed scan to NULL.  Without them every
-- pruned job or deleted scan reads a whole table.  The report of each scan
-- also counts its findings by first, last and fixed scan (lib/vcs/report.c).
SET LOCAL search_path = lethe;

CREATE INDEX findings_org_id ON findings (org_id, id);
CREATE INDEX findings_repository_id ON findings (repository_id, id);
CREATE INDEX findings_first_scan ON findings (first_scan_id);
CREATE INDEX findings_last_scan ON findings (last_scan_id);
CREATE INDEX findings_fixed_scan ON findings (fixed_scan_id) WHERE fixed_scan_id IS NOT NULL;
CREATE INDEX scans_job ON scans (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX deliveries_job ON deliveries (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX checkouts_job ON checkouts (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX jobs_repository ON jobs (repository_id);
