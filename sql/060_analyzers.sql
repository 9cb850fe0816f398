-- 060_analyzers.sql - the software bill of materials of a repository.
--
-- cyclonedx(repository) is the CycloneDX 1.5 JSON document of the
-- dependencies that the repository's latest finished scan found (the
-- lethe-deps analyzer), or NULL when the caller cannot see the repository.
-- It runs with the caller's rights, so row-level security decides for the
-- API's role.  One component per package and version; a package that only
-- a manifest names (a constraint, no lock file) is one component without a
-- version.  Each component says in properties which manifests name it,
-- whether it is a direct dependency, and the constraints asked for.
SET LOCAL search_path = lethe;

CREATE FUNCTION purl(p_ecosystem text, p_name text, p_version text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = lethe, pg_catalog AS $$
	SELECT 'pkg:' || p_ecosystem || '/' ||
		CASE p_ecosystem
		WHEN 'npm' THEN replace(p_name, '@', '%40')
		WHEN 'maven' THEN replace(p_name, ':', '/')
		WHEN 'pypi' THEN lower(regexp_replace(p_name, '[-_.]+', '-', 'g'))
		ELSE p_name END ||
		coalesce('@' || replace(p_version, '@', '%40'), '')
$$;

CREATE FUNCTION cyclonedx(p_repo bigint)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = lethe, pg_catalog AS $$
	WITH r AS (
		SELECT r.id, r.full_name,
		       (SELECT max(s.id) FROM scans s WHERE s.repository_id = r.id
			AND s.state <> 'running') AS scan
		FROM repositories r WHERE r.id = p_repo
	), d AS (
		SELECT d.* FROM dependencies d, r WHERE d.scan_id = r.scan
	), c AS (
		SELECT d.ecosystem, d.name, d.version, bool_or(d.direct) AS direct,
		       array_agg(DISTINCT d.manifest_path ORDER BY d.manifest_path) AS manifests,
		       array_remove(array_agg(DISTINCT d.constraint_spec ORDER BY d.constraint_spec),
				    NULL) AS constraints
		FROM d
		WHERE d.version IS NOT NULL OR NOT EXISTS (SELECT 1 FROM d v
			WHERE v.ecosystem = d.ecosystem AND v.name = d.name AND v.version IS NOT NULL)
		GROUP BY d.ecosystem, d.name, d.version
	), comp AS (
		SELECT row_number() OVER (ORDER BY ecosystem, name, version) AS n, c.* FROM c
	)
	SELECT jsonb_build_object(
		'bomFormat', 'CycloneDX',
		'specVersion', '1.5',
		'version', 1,
		'serialNumber', 'urn:uuid:' || md5('lethe-sbom:' || r.id || ':' || coalesce(r.scan, 0))::uuid,
		'metadata', jsonb_build_object(
			'timestamp', to_char(coalesce((SELECT finished_at FROM scans WHERE id = r.scan), now())
				AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
			'tools', jsonb_build_object('components', jsonb_build_array(
				jsonb_build_object('type', 'application', 'name', 'Lethe'))),
			'component', jsonb_build_object('type', 'application', 'bom-ref', 'repository',
				'name', r.full_name),
			'properties', jsonb_build_array(jsonb_build_object('name', 'lethe:scan',
				'value', coalesce(r.scan::text, 'none')))),
		'components', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
			'type', 'library',
			'bom-ref', 'component-' || comp.n,
			'name', comp.name,
			'version', comp.version,
			'purl', purl(comp.ecosystem, comp.name, comp.version),
			'scope', CASE WHEN comp.direct THEN 'required' END,
			'properties', jsonb_build_array(
				jsonb_build_object('name', 'lethe:ecosystem', 'value', comp.ecosystem),
				jsonb_build_object('name', 'lethe:direct', 'value', comp.direct::text),
				jsonb_build_object('name', 'lethe:manifests',
					'value', array_to_string(comp.manifests, ',')),
				jsonb_build_object('name', 'lethe:constraints',
					'value', array_to_string(comp.constraints, ','))))) ORDER BY comp.n)
			FROM comp), '[]'::jsonb))
	FROM r
$$;

GRANT EXECUTE ON FUNCTION purl(text, text, text), cyclonedx(bigint) TO lethe_api, lethe_admin;
