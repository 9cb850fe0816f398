/*
 * api-sbom.c - GET /repositories/{id}/sbom: the repository's dependencies
 * as a CycloneDX 1.5 JSON document (lethe.cyclonedx(), migration 060),
 * under the caller's row-level security; GET /repositories/{id}/vulnerabilities:
 * its open findings of known-vulnerable dependencies (lib/store/vulns.h), each
 * with its advisory.
 */
#include "api.h"

int api_repo_sbom(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "repository not found",
		"SELECT cyclonedx(r.id) FROM repositories r WHERE r.id = $1 AND r.org_id = $2",
		id, req->org);
}

int api_repo_vulnerabilities(struct api_req *req, struct api_resp *resp)
{
	char id[24];

	api_id_text(req, 0, id);
	return API_QUERY_JSON(req, resp, "repository not found",
		"SELECT json_build_object('repository', r.id, 'vulnerabilities', (SELECT coalesce(json_agg("
		"json_build_object('finding', f.id, 'branch', f.branch, 'manifest', f.path, "
		"'ecosystem', f.properties ->> 'ecosystem', 'package', f.properties ->> 'package', "
		"'version', f.properties ->> 'version', 'advisory', f.properties ->> 'advisory', "
		"'advisories', f.properties -> 'advisories', 'aliases', f.properties -> 'aliases', "
		"'severity', f.properties ->> 'severity', 'cvss_score', f.properties -> 'cvss_score', "
		"'fixed', f.properties -> 'fixed', 'summary', a.summary, 'first_scan_id', f.first_scan_id, "
		"'last_scan_id', f.last_scan_id) ORDER BY CASE f.properties ->> 'severity' "
		"WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, "
		"f.path, f.id), '[]') FROM findings f LEFT JOIN advisories a ON a.id = f.properties ->> 'advisory' "
		"WHERE f.repository_id = r.id AND f.rule_id = 'lethe/vulnerable-dependency' "
		"AND f.state = 'open')) FROM repositories r WHERE r.id = $1 AND r.org_id = $2", id, req->org);
}
