/* ctl-integ.c - lethectl integration add|list|remove: GitHub App installations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit.h"
#include "ctl.h"
#include "keys.h"
#include "util.h"

#define APP_KEY_MAX 16384	/* a PEM RSA key of 4096 bits is ~3.3 KiB */

/* The App's private key from path into key: a PEM RSA private key, read once. */
static int read_app_key(const char *path, struct secbuf *key)
{
	char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *pk = NULL;
	BIO *bio;
	int r = read_file(path, APP_KEY_MAX, &buf, &len), rsa;

	if (r < 0)
		return ctl_fail("unable to read '%s': %s", path, strerror(-r));
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	rsa = pk && EVP_PKEY_base_id(pk) == EVP_PKEY_RSA;
	EVP_PKEY_free(pk);
	BIO_free(bio);
	r = rsa ? secbuf_alloc(key, len) : -EINVAL;
	if (r == 0)
		memcpy(key->data, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	if (r < 0)
		return ctl_fail(rsa ? "unable to hold the key" :
				"'%s' holds no PEM RSA private key (unencrypted)", path);
	return 0;
}

struct integ_new {
	const char *org, *app_id, *inst, *api_url;
	int64_t org_id, id;
	struct secbuf key, secret;
};

/* Seal pt into column of integrations row n->id. */
static int integ_seal(struct ctl *c, const struct integ_new *n, const char *column,
		      const struct secbuf *pt)
{
	char *blob = NULL, ids[24];
	int r;

	if (secret_seal(c->db, c->kr, n->org_id, "integrations", column, n->id, pt->data, pt->len,
			&blob) < 0)
		return -EIO;
	i64s(n->id, ids);
	r = DB_QUERY(c->db, NULL, !strcmp(column, "app_key_enc")
		     ? "UPDATE lethe.integrations SET app_key_enc = $1 WHERE id = $2"
		     : "UPDATE lethe.integrations SET webhook_secret_enc = $1 WHERE id = $2", blob, ids);
	free(blob);
	return r;
}

static int integ_insert(struct ctl *c, struct integ_new *n)
{
	PGresult *res;
	char org[24], target[40], *details;
	json_object *d;

	i64s(n->org_id, org);
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	if (DB_QUERY(c->db, &res, "INSERT INTO lethe.integrations (org_id, provider, kind, api_url, app_id,"
		     " installation_id) VALUES ($1, 'github', 'github-app', $2, $3, $4) RETURNING id", org,
		     n->api_url, n->app_id, n->inst) < 0) {
		int dup = !strcmp(db_sqlstate(c->db), "23505");

		if (!dup)
			return ctl_db_fail(c, "adding the integration");
		db_rollback(c->db);
		return ctl_fail("GitHub App installation %s is already registered", n->inst);
	}
	n->id = db_int(res, 0, 0);
	PQclear(res);
	if (integ_seal(c, n, "app_key_enc", &n->key) < 0 ||
	    (n->secret.data && integ_seal(c, n, "webhook_secret_enc", &n->secret) < 0))
		return ctl_db_fail(c, "storing the integration's secrets");
	d = json_object_new_object();
	json_object_object_add(d, "id", json_object_new_int64(n->id));
	json_object_object_add(d, "org_id", json_object_new_int64(n->org_id));
	json_object_object_add(d, "kind", json_object_new_string("github-app"));
	json_object_object_add(d, "app_id", json_object_new_string(n->app_id));
	json_object_object_add(d, "installation_id", json_object_new_string(n->inst));
	json_object_object_add(d, "api_url", n->api_url ? json_object_new_string(n->api_url) : NULL);
	json_object_object_add(d, "webhook_secret", json_object_new_boolean(n->secret.data != NULL));
	details = xstrdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	snprintf(target, sizeof(target), "integration:%lld", (long long)n->id);
	if (audit_append(c->db, n->org_id, AUDIT_SYSTEM, c->actor, "integration added", target,
			 details, NULL) < 0 || db_commit(c->db) < 0) {
		free(details);
		json_object_put(d);
		return ctl_db_fail(c, "adding the integration");
	}
	free(details);
	ctl_print_object(c, d);
	return 0;
}

int ctl_integration_add(struct ctl *c, int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "", *key_file = NULL, *secret_file = NULL;
	struct integ_new n = { 0 };
	struct ctl_opt opts[] = {
		{ "org", 1, &n.org }, { "app-id", 1, &n.app_id }, { "installation-id", 1, &n.inst },
		{ "private-key-file", 1, &key_file }, { "webhook-secret-file", 1, &secret_file },
		{ "api-url", 1, &n.api_url }, { 0 } };
	int64_t v;
	int oi, rc = 1;

	if (strcmp(kind, "github-app"))
		return argc > 1 ? ctl_fail("unknown integration kind '%s': github-app", kind) : ctl_usage();
	if (ctl_parse(argc - 1, argv + 1, opts, &oi) < 0 || oi != argc - 1 || !n.org || !n.app_id ||
	    !n.inst || !key_file)
		return ctl_usage();
	if (parse_i64(n.app_id, 1, INT64_MAX, &v) < 0)
		return ctl_fail("bad App id '%s': a positive number", n.app_id);
	if (parse_i64(n.inst, 1, INT64_MAX, &v) < 0)
		return ctl_fail("bad installation id '%s': a positive number", n.inst);
	if (!strcmp(key_file, "-") && secret_file && !strcmp(secret_file, "-"))
		return ctl_fail("only one of --private-key-file and --webhook-secret-file can be '-'");
	if ((n.api_url && ctl_url_check(c, "API URL", n.api_url)) || ctl_db(c, DB_ROLE_ADMIN) ||
	    ctl_keyring(c) || !(n.org_id = ctl_org(c, n.org)))
		return 1;
	if (read_app_key(!strcmp(key_file, "-") ? "/dev/stdin" : key_file, &n.key) ||
	    (secret_file && ctl_read_secret(secret_file, &n.secret)))
		goto out;
	rc = integ_insert(c, &n);
out:
	secbuf_release(&n.key);
	secbuf_release(&n.secret);
	return rc;
}

int ctl_integration_list(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL;
	struct ctl_opt opts[] = { { "org", 1, &org }, { 0 } };
	int oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	return CTL_LIST(c, "integrations", "SELECT i.id, o.name AS org, i.provider, i.kind, i.app_id,"
		     " i.installation_id, i.api_url, i.app_key_enc IS NOT NULL AS app_key,"
		     " i.webhook_secret_enc IS NOT NULL AS webhook_secret,"
		     " (SELECT count(*) FROM lethe.repositories r WHERE r.integration_id = i.id) AS repositories,"
		     " i.created_at::text AS created FROM lethe.integrations i JOIN lethe.orgs o ON o.id = i.org_id"
		     " WHERE $1::text IS NULL OR o.name = $1 OR o.id::text = $1 ORDER BY i.id", org);
}

/*
 * Repositories go with their integration (ON DELETE CASCADE), and their
 * findings with them: an integration still in use is refused, the
 * repositories named, for them to be attached elsewhere or removed first.
 */
int ctl_integration_remove(struct ctl *c, int argc, char **argv)
{
	PGresult *res;
	char target[40], *details;
	int64_t id, org;
	int r;

	if (argc != 2 || parse_i64(argv[1], 1, INT64_MAX, &id) < 0)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	if (DB_QUERY(c->db, &res, "SELECT i.org_id, (SELECT count(*) FROM lethe.repositories r"
		     " WHERE r.integration_id = i.id), (SELECT string_agg(r.id::text, ', ' ORDER BY r.id)"
		     " FROM lethe.repositories r WHERE r.integration_id = i.id),"
		     " (i.app_key_enc IS NOT NULL)::int + (i.token_enc IS NOT NULL)::int"
		     " + (i.report_token_enc IS NOT NULL)::int + (i.webhook_secret_enc IS NOT NULL)::int"
		     " FROM lethe.integrations i WHERE i.id = $1 FOR UPDATE OF i", argv[1]) < 0)
		return ctl_db_fail(c, "looking up the integration");
	if (PQntuples(res) != 1 || db_int(res, 0, 1) > 0) {
		int used = PQntuples(res) == 1;

		if (used)
			ctl_fail("integration %s is used by %lld repositories (%s): attach them elsewhere "
				 "with lethectl repo set --integration, or remove them, first", argv[1],
				 (long long)db_int(res, 0, 1), db_value(res, 0, 2));
		PQclear(res);
		db_rollback(c->db);
		return used ? 1 : ctl_fail("no integration '%s'", argv[1]);
	}
	org = db_int(res, 0, 0);
	details = xasprintf("{\"integrations\": 1, \"repositories\": 0, \"secrets\": %lld}",
			    (long long)db_int(res, 0, 3));
	PQclear(res);
	snprintf(target, sizeof(target), "integration:%lld", (long long)id);
	r = DB_QUERY(c->db, NULL, "DELETE FROM lethe.integrations WHERE id = $1", argv[1]);
	if (r < 0 || audit_append(c->db, org, AUDIT_SYSTEM, c->actor, "integration removed", target,
				  details, NULL) < 0 || db_commit(c->db) < 0) {
		free(details);
		return ctl_db_fail(c, "removing the integration");
	}
	if (c->json)
		puts(details);
	else
		printf("removed integration %lld: %s\n", (long long)id, details);
	free(details);
	return 0;
}
