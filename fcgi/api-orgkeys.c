/*
 * api-orgkeys.c - the org's data keys: list their versions (never their
 * material) and rotate them, as lethectl keys rotate-org does, within the
 * request's transaction and under row-level security.
 */
#include <errno.h>
#include <stdio.h>

#include "api.h"
#include "audit.h"
#include "log.h"

int api_orgkeys_list(struct api_req *req, struct api_resp *resp)
{
	return API_QUERY_JSON(req, resp, "no keys",
		"SELECT json_build_object('org_keys', coalesce(json_agg(json_build_object("
		"'version', k.version, 'active', k.retired_at IS NULL, 'created_at', k.created_at, "
		"'retired_at', k.retired_at) ORDER BY k.version), '[]')) "
		"FROM org_keys k WHERE k.org_id = $1", req->org);
}

static int rotate_fail(struct api_resp *resp, int r, const struct orgkey_rotation *rot)
{
	char msg[320];

	if (r == -ENOENT)
		return api_error(resp, 409, "this org has no key to rotate");
	if (r != -ENOTSUP)
		return r;
	log_warning("refusing to rotate an org key: %s", rot->why);
	snprintf(msg, sizeof(msg), "refusing to rotate the org key: %s", rot->why);
	return api_error(resp, 500, msg);
}

/* The audit event lethectl writes, with the caller as actor. */
static int rotate_audit(struct api_req *req, const struct orgkey_rotation *rot)
{
	char details[160];
	PGresult *res;
	int r = DB_QUERY(req->db, &res, "SELECT name FROM orgs WHERE id = $1", req->org);

	if (r < 0)
		return r;
	snprintf(details, sizeof(details), "{\"old_version\": %d, \"new_version\": %d, "
		 "\"secrets_reencrypted\": %d}", rot->old_version, rot->new_version, rot->count);
	r = PQntuples(res) != 1 ? -ENOENT :
		audit_append(req->db, req->org_id, req->actor_type, req->actor, "org key rotated",
			     db_value(res, 0, 0), details, NULL);
	PQclear(res);
	return r;
}

int api_orgkey_rotate(struct api_req *req, struct api_resp *resp)
{
	struct orgkey_rotation rot;
	struct json_object *o;
	int r = orgkey_rotate(req->db, req->ctx->keyring, req->org_id, &rot);

	if (r < 0)
		return rotate_fail(resp, r, &rot);
	if ((r = rotate_audit(req, &rot)) < 0)
		return r;
	o = json_object_new_object();
	json_object_object_add(o, "old_version", json_object_new_int(rot.old_version));
	json_object_object_add(o, "new_version", json_object_new_int(rot.new_version));
	json_object_object_add(o, "secrets_reencrypted", json_object_new_int(rot.count));
	return api_json_obj(resp, 200, o);
}
