-- 180_dependency_line.sql - where a manifest names each dependency first.
--
-- lethe-analyze's lethe-deps records it, so that a vulnerable dependency's
-- finding points at its line.  NULL: not known (older scans, or a name the
-- file does not spell out).
SET LOCAL search_path = lethe;

ALTER TABLE dependencies ADD COLUMN line integer CHECK (line > 0);
