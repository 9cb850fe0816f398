-- 098_pull_request_base.sql - a pull request is compared with its target.
--
-- A pull request's scan is filed under pull/<number>, never under the
-- branch name its payload gives (a fork's "main" is not the repository's),
-- so it neither opens nor fixes findings of any branch.  What it introduces
-- and what it would fix are judged against the last complete scan of the
-- branch it targets, taken when the scan starts: base_scan_id.
SET LOCAL search_path = lethe;

ALTER TABLE scans ADD COLUMN base_scan_id bigint REFERENCES scans ON DELETE SET NULL;
