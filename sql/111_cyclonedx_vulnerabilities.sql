-- 111_cyclonedx_vulnerabilities.sql - the bill of materials says which
-- components are known to be vulnerable.
--
-- cyclonedx(repository) (sql/060) keeps its components, now made by
-- cyclonedx_components(), and gains CycloneDX 1.5's "vulnerabilities": one
-- entry per advisory of the open lethe/vulnerable-dependency findings
-- (lib/store/vulns.h) of the scanned branch, with the advisory's aliases and the
-- other databases' ids as references, its rating (CVSS v3 score and
-- vector, else the database's severity), summary, fixed versions, dates
-- and the components it affects.  Still with the caller's rights.
SET LOCAL search_path = lethe;

ALTER FUNCTION cyclonedx(bigint) RENAME TO cyclonedx_components;

CREATE FUNCTION cyclonedx(p_repo bigint)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = lethe, pg_catalog AS $$
	WITH bom AS (
		SELECT cyclonedx_components(p_repo) AS doc
	), scan AS (
		SELECT s.id, s.branch FROM scans s, bom
		WHERE s.id::text = bom.doc #>> '{metadata,properties,0,value}'
	), comp AS (
		SELECT c ->> 'bom-ref' AS ref, c ->> 'name' AS name, c ->> 'version' AS version,
		       (SELECT p ->> 'value' FROM jsonb_array_elements(c -> 'properties') p
			WHERE p ->> 'name' = 'lethe:ecosystem') AS ecosystem
		FROM bom, jsonb_array_elements(bom.doc -> 'components') c
	), hit AS (
		SELECT f.properties ->> 'advisory' AS id, f.properties AS props, comp.ref, comp.version
		FROM findings f JOIN scan ON f.branch = scan.branch
		JOIN comp ON comp.ecosystem = f.properties ->> 'ecosystem'
			AND comp.name = f.properties ->> 'package' AND comp.version = f.properties ->> 'version'
		WHERE f.repository_id = p_repo AND f.rule_id = 'lethe/vulnerable-dependency'
		  AND f.state = 'open'
	), v AS (
		SELECT row_number() OVER (ORDER BY hit.id) AS n, hit.id,
		       (array_agg(hit.props ORDER BY hit.ref))[1] AS props,
		       jsonb_agg(DISTINCT jsonb_build_object('ref', hit.ref, 'versions',
				jsonb_build_array(jsonb_build_object('version', hit.version,
				'status', 'affected')))) AS affects,
		       (SELECT jsonb_agg(DISTINCT x) FROM hit h, jsonb_array_elements_text(h.props -> 'fixed') x
			WHERE h.id = hit.id) AS fixed
		FROM hit GROUP BY hit.id
	)
	SELECT bom.doc || jsonb_build_object('vulnerabilities', coalesce((SELECT jsonb_agg(
		jsonb_strip_nulls(jsonb_build_object(
			'bom-ref', 'vulnerability-' || v.n,
			'id', v.id,
			'references', (SELECT jsonb_agg(jsonb_build_object('id', r, 'source',
				jsonb_build_object('name', CASE WHEN r LIKE 'CVE-%' THEN 'NVD'
					WHEN r LIKE 'GHSA-%' THEN 'GitHub Advisory Database'
					WHEN r LIKE 'GO-%' THEN 'Go Vulnerability Database'
					WHEN r LIKE 'RUSTSEC-%' THEN 'RustSec' ELSE 'OSV' END)) ORDER BY r)
				FROM (SELECT jsonb_array_elements_text(v.props -> 'aliases') UNION
				      SELECT jsonb_array_elements_text(v.props -> 'advisories')) AS x(r)
				WHERE r <> v.id),
			'ratings', jsonb_build_array(jsonb_build_object(
				'severity', v.props ->> 'severity',
				'score', a.cvss_score,
				'vector', a.cvss_vector,
				'method', CASE WHEN a.cvss_vector LIKE 'CVSS:3.1/%' THEN 'CVSSv31'
					WHEN a.cvss_vector LIKE 'CVSS:3.0/%' THEN 'CVSSv3' ELSE 'other' END)),
			'description', a.summary,
			'recommendation', CASE WHEN jsonb_array_length(v.fixed) > 0 THEN 'Upgrade to ' ||
				(SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(v.fixed) x) END,
			'published', to_char(a.published AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
			'updated', to_char(a.modified AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
			'affects', v.affects)) ORDER BY v.n)
		FROM v LEFT JOIN advisories a ON a.id = v.id), '[]'::jsonb))
	FROM bom
$$;

GRANT EXECUTE ON FUNCTION cyclonedx(bigint) TO lethe_api, lethe_admin;
