-- 110_advisories.sql - known vulnerabilities, from OSV advisories that the
-- operator imports (lethectl advisories import).
--
-- The advisories are the same for every org: no org_id, no row-level
-- security; every role that shows findings may read them, only lethe_admin
-- writes them.  One row per advisory (the newest "modified" wins; a
-- withdrawn advisory is deleted) and one per affected[] entry of an
-- ecosystem Lethe knows, looked up by the dependency facts' ecosystem (the
-- package-URL type) and the package's name key (lib/parse/version.h: PEP 503 for
-- PyPI, lower case for NuGet and Composer).  The entry keeps the OSV ranges
-- and versions of the affected[] entry as they came: lib/parse/advisory.c
-- evaluates them per ecosystem.
SET LOCAL search_path = lethe;

CREATE TABLE advisories (
	id           text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
	modified     timestamptz NOT NULL,
	published    timestamptz,
	summary      text CHECK (length(summary) <= 1000),
	aliases      text[] NOT NULL DEFAULT '{}',
	severity     text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'none', 'unknown')),
	cvss_score   numeric(3, 1) CHECK (cvss_score BETWEEN 0 AND 10),
	cvss_vector  text CHECK (length(cvss_vector) <= 200),
	imported_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE advisory_packages (
	id           bigserial PRIMARY KEY,
	advisory_id  text NOT NULL REFERENCES advisories ON DELETE CASCADE,
	ecosystem    text NOT NULL,
	name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
	name_key     text NOT NULL,
	fixed        text,		-- the fixed versions, comma-separated
	entry        jsonb NOT NULL	-- the affected[] entry's ranges and versions
);
CREATE INDEX advisory_packages_lookup ON advisory_packages (ecosystem, name_key);
CREATE INDEX advisory_packages_advisory ON advisory_packages (advisory_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON advisories, advisory_packages TO lethe_admin;
GRANT SELECT ON advisories, advisory_packages TO lethe_api, lethe_jobs;
GRANT USAGE ON SEQUENCE advisory_packages_id_seq TO lethe_admin;
