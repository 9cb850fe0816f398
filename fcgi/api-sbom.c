/*
 * api-sbom.c - GET /repositories/{id}/sbom: the repository's dependencies
 * as a CycloneDX 1.5 JSON document (lethe.cyclonedx(), migration 060),
 * under the caller's row-level security.
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
