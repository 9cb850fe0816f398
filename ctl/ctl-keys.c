/*
 * ctl-keys.c - lethectl keys rotate-master, keys rotate-org.
 *
 * Rotating the master key: add a new version to the key file (both stay
 * readable), re-wrap every org key under it in one transaction with its
 * audit event, then drop the versions no org key uses any more.  A failure
 * in between leaves a file with both versions, which every program reads;
 * running the command again finishes the job.  Before the old versions
 * go, the audit chain is anchored under the new one (lib/store/anchor.h).  No
 * key or secret is ever written anywhere but the key file and org_keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor.h"
#include "audit.h"
#include "ctl.h"
#include "util.h"

#define MASTER_VERSIONS_MAX 16
#define ROTATE_LOCK "7406832"	/* one master key rotation at a time */

/* Master versions org keys still use; at most max of them. */
static int master_versions_used(struct ctl *c, int *versions, size_t max, size_t *n)
{
	PGresult *res;

	if (DB_QUERY(c->db, &res, "SELECT DISTINCT master_version FROM lethe.org_keys "
		     "ORDER BY 1 LIMIT $1", "16") < 0)
		return -EIO;
	*n = 0;
	for (int i = 0; i < PQntuples(res) && *n < max; i++)
		versions[(*n)++] = (int)db_int(res, i, 0);
	PQclear(res);
	return 0;
}

/* Re-wrap every org key under kr's current version, audited, in one transaction. */
static int rewrap_all(struct ctl *c, struct keyring *kr, int version, int *count)
{
	char details[128], target[32];
	int r;

	snprintf(target, sizeof(target), "master key v%d", version);
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	r = orgkey_rewrap(c->db, kr, 0, count);
	if (r == -EIO || r == -ENOTCONN)
		return ctl_db_fail(c, "re-wrapping the org keys");
	if (r < 0) {
		db_rollback(c->db);
		return ctl_fail("unable to re-wrap the org keys: %s", r == -ENOKEY ?
				"one is wrapped under a master version missing from the key file" :
				r == -EBADMSG ? "one does not open under its master key (altered, or "
				"another installation's key file)" : strerror(-r));
	}
	snprintf(details, sizeof(details), "{\"master_version\": %d, \"org_keys_rewrapped\": %d}",
		 version, *count);
	if (audit_append(c->db, 0, AUDIT_SYSTEM, c->actor, "master key rotated", target, details,
			 NULL) < 0)
		return ctl_db_fail(c, "auditing the rotation");
	if (db_commit(c->db) < 0)
		return ctl_db_fail(c, "commit");
	return 0;
}

/*
 * Drop the master versions nothing uses any more, audited when some go.
 * org_keys stays locked against inserts meanwhile, so that an org key
 * wrapped under an old version cannot appear between the check and the
 * rewrite of the file.
 */
static int drop_unused(struct ctl *c, const char *path, int *dropped)
{
	int used[MASTER_VERSIONS_MAX];
	char why[512], details[64];
	size_t n;

	if (db_begin(c->db) < 0 ||
	    DB_QUERY(c->db, NULL, "LOCK TABLE lethe.org_keys IN SHARE MODE") < 0 ||
	    master_versions_used(c, used, ARRAY_SIZE(used), &n) < 0)
		return ctl_db_fail(c, "listing master key versions in use");
	if (keys_master_retain(path, used, n, dropped, why, sizeof(why)) < 0) {
		db_rollback(c->db);
		return ctl_fail("%s", why);
	}
	snprintf(details, sizeof(details), "{\"versions_dropped\": %d}", *dropped);
	if (*dropped && audit_append(c->db, 0, AUDIT_SYSTEM, c->actor, "old master keys dropped",
				     path, details, NULL) < 0)
		return ctl_db_fail(c, "auditing the dropped versions");
	if (db_commit(c->db) < 0)
		return ctl_db_fail(c, "commit");
	return 0;
}

/*
 * Anchor the audit chain under the new master version while the old ones,
 * which the earlier anchors are MACed under, are still in the file: the
 * anchors are checked first, and the new one covers every event they did.
 * A failure does not stop the rotation; it is reported (1) at the end.
 */
static int anchor_now(struct ctl *c, const struct keyring *kr)
{
	const char *path = config_v(c->cfg)->audit_anchors;
	struct anchor_check k = { 0 };
	int r = anchor_checkpoint(c->db, kr, path, time(NULL), &k);

	if (r == 0 || r == -ENODATA)
		return 0;
	if (k.bad_id)
		return ctl_fail("the audit chain was not anchored under the new master key: broken "
				"at event %lld: %s", (long long)k.bad_id, k.why);
	return ctl_fail("the audit chain was not anchored under the new master key: %s", k.why);
}

int ctl_keys_rotate_master(struct ctl *c, int argc, char **argv)
{
	struct keyring *kr = NULL;
	char *path, why[512];
	int version = 0, count = 0, dropped = 0, rc, anchored = 0;
	json_object *o;

	if (argc != 1)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	/* Two rotations at once would each add "the next" version. */
	if (DB_QUERY(c->db, NULL, "SELECT pg_advisory_lock(" ROTATE_LOCK ")") < 0)
		return ctl_db_fail(c, "waiting for other rotations");
	path = keys_master_path(c->cfg);
	if (keys_master_add(path, &version, why, sizeof(why)) < 0 ||
	    keyring_load_path(path, &kr, why, sizeof(why)) < 0) {
		rc = ctl_fail("%s", why);
		goto out;
	}
	rc = rewrap_all(c, kr, version, &count);
	if (rc == 0)
		anchored = anchor_now(c, kr);
	if (rc == 0)
		rc = drop_unused(c, path, &dropped);
	if (rc != 0) {
		ctl_fail("master key version %d stays in '%s' next to the old ones; run the command "
			 "again to finish", version, path);
		goto out;
	}
	rc = anchored;
	o = json_object_new_object();
	json_object_object_add(o, "master_version", json_object_new_int(version));
	json_object_object_add(o, "org_keys_rewrapped", json_object_new_int(count));
	json_object_object_add(o, "versions_dropped", json_object_new_int(dropped));
	ctl_print_object(c, o);
out:
	keyring_free(kr);
	free(path);
	return rc;
}

static int rotate_org_fail(struct ctl *c, int r, const struct orgkey_rotation *rot,
			   const char *org)
{
	if (r == -EIO || r == -ENOTCONN)
		return ctl_db_fail(c, "rotating the org key");
	db_rollback(c->db);
	if (r == -ENOTSUP)
		return ctl_fail("refusing to rotate the key of org '%s': %s", org, rot->why);
	if (r == -ENOENT)
		return ctl_fail("org '%s' has no key to rotate", org);
	return ctl_fail("unable to rotate the key of org '%s': %s", org, strerror(-r));
}

int ctl_keys_rotate_org(struct ctl *c, int argc, char **argv)
{
	struct orgkey_rotation rot;
	char details[160];
	json_object *o;
	int64_t org;
	int r;

	if (argc != 2)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN) || ctl_keyring(c) || !(org = ctl_org(c, argv[1])))
		return 1;
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	r = orgkey_rotate(c->db, c->kr, org, &rot);
	if (r < 0)
		return rotate_org_fail(c, r, &rot, argv[1]);
	snprintf(details, sizeof(details), "{\"old_version\": %d, \"new_version\": %d, "
		 "\"secrets_reencrypted\": %d}", rot.old_version, rot.new_version, rot.count);
	if (audit_append(c->db, org, AUDIT_SYSTEM, c->actor, "org key rotated", argv[1], details,
			 NULL) < 0)
		return ctl_db_fail(c, "auditing the rotation");
	if (db_commit(c->db) < 0)
		return ctl_db_fail(c, "commit");
	o = json_object_new_object();
	json_object_object_add(o, "org_id", json_object_new_int64(org));
	json_object_object_add(o, "old_version", json_object_new_int(rot.old_version));
	json_object_object_add(o, "new_version", json_object_new_int(rot.new_version));
	json_object_object_add(o, "secrets_reencrypted", json_object_new_int(rot.count));
	ctl_print_object(c, o);
	return 0;
}
