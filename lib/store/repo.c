/* repo.c - the one home of repositories: connecting one (its hook id, its
 * secrets, its audit event), changing its settings, and deleting it with
 * the counts of what went with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit.h"
#include "crypto.h"
#include "keys.h"
#include "repo.h"
#include "util.h"

/* Counted before the delete, in the same transaction (the rows are locked by it). */
static const char repo_count_sql[] =
	"SELECT (SELECT count(*) FROM lethe.deliveries WHERE repository_id = $1) AS deliveries,"
	" (SELECT count(*) FROM lethe.jobs WHERE repository_id = $1) AS jobs,"
	" (SELECT count(*) FROM lethe.checkouts WHERE repository_id = $1) AS checkouts,"
	" (SELECT count(*) FROM lethe.scans WHERE repository_id = $1) AS scans,"
	" (SELECT count(*) FROM lethe.scan_tools t JOIN lethe.scans s ON s.id = t.scan_id"
	"   WHERE s.repository_id = $1) AS scan_tools,"
	" (SELECT count(*) FROM lethe.findings WHERE repository_id = $1) AS findings,"
	" (SELECT count(*) FROM lethe.scan_findings sf JOIN lethe.findings f ON f.id = sf.finding_id"
	"   WHERE f.repository_id = $1) AS scan_findings,"
	" (SELECT count(*) FROM lethe.triage WHERE repository_id = $1) AS triage,"
	" (SELECT count(*) FROM lethe.dependencies WHERE repository_id = $1) AS dependencies,"
	" (SELECT count(*) FROM lethe.workflow_facts WHERE repository_id = $1) AS workflow_facts,"
	" (SELECT (webhook_secret_enc IS NOT NULL)::int + (clone_token_enc IS NOT NULL)::int"
	"   + (report_token_enc IS NOT NULL)::int FROM lethe.repositories WHERE id = $1) AS secrets";

static char *repo_json(json_object *o)
{
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
}

static char *repo_counts_json(const PGresult *res)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "repositories", json_object_new_int64(1));
	for (int k = 0; k < PQnfields(res); k++)
		json_object_object_add(o, PQfname(res, k), json_object_new_int64(db_int(res, 0, k)));
	s = repo_json(o);
	json_object_put(o);
	return s;
}

static void repo_target(int64_t id, char out[40])
{
	snprintf(out, 40, "repository:%lld", (long long)id);
}

/* Lock row id of org; its full_name into name. */
static int repo_lock(struct db *db, const char *id, const char *org, char name[256])
{
	PGresult *res;
	int r = DB_QUERY(db, &res, "SELECT full_name FROM lethe.repositories WHERE id = $1 "
			 "AND org_id = $2 FOR UPDATE", id, org);

	if (r < 0)
		return r;
	r = PQntuples(res) == 1 ? 0 : -ENOENT;
	if (r == 0)
		snprintf(name, 256, "%s", db_value(res, 0, 0));
	PQclear(res);
	return r;
}

static int repo_audit_delete(struct db *db, int64_t org_id, int64_t repo_id, const char *actor_type,
			     const char *actor, const char *name, const char *counts)
{
	json_object *o = json_object_new_object();
	char target[40], *details;
	int r;

	json_object_object_add(o, "full_name", json_object_new_string(name));
	json_object_object_add(o, "deleted", json_tokener_parse(counts));
	details = repo_json(o);
	json_object_put(o);
	repo_target(repo_id, target);
	r = audit_append(db, org_id, actor_type, actor, "repository.disconnect", target, details, NULL);
	free(details);
	return r;
}

int repo_delete(struct db *db, int64_t org_id, int64_t repo_id, const char *actor_type,
		const char *actor, char **counts)
{
	PGresult *res;
	char org[24], id[24], name[256];
	int r;

	*counts = NULL;
	i64s(org_id, org);
	i64s(repo_id, id);
	r = repo_lock(db, id, org, name);
	if (r < 0)
		return r;
	r = DB_QUERY(db, &res, repo_count_sql, id);
	if (r < 0)
		return r;
	*counts = repo_counts_json(res);
	PQclear(res);
	r = DB_QUERY(db, NULL, "DELETE FROM lethe.repositories WHERE id = $1 AND org_id = $2", id, org);
	if (r == 0)
		r = repo_audit_delete(db, org_id, repo_id, actor_type, actor, name, *counts);
	if (r < 0) {
		free(*counts);
		*counts = NULL;
	}
	return r;
}

/*
 * A new unguessable webhook id: 32 random bytes in base64url (43 chars).
 * lethe-hook routes any id of 22 to 64 base64url characters, so the ids of
 * an older format (48 hex digits) still work.
 */
static int repo_new_hook_id(char out[44])
{
	unsigned char raw[32];
	unsigned char b64[48];
	int n;

	if (crypto_random(raw, sizeof(raw)) < 0)
		return -EIO;
	n = EVP_EncodeBlock(b64, raw, sizeof(raw));	/* 44 chars, one '=' */
	for (int i = 0; i < n; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[43] = '\0';
	return 0;
}

/* The secret settings, in the order of repo_update's list: their column,
 * the statement storing one, and their name in the details. */
static const struct {
	const char *column, *sql, *name;
} secrets[] = {
	{ "report_token_enc", "UPDATE lethe.repositories SET report_token_enc = $2 WHERE id = $1",
	  "report_token" },
	{ "clone_token_enc", "UPDATE lethe.repositories SET clone_token_enc = $2 WHERE id = $1",
	  "clone_token" },
	{ "webhook_secret_enc", "UPDATE lethe.repositories SET webhook_secret_enc = $2 WHERE id = $1",
	  "webhook_secret" },
};

/* Seal and store each secret given (NULL: none) in repo_update's order,
 * naming each as true in o. */
static int seal_secrets(struct db *db, const struct keyring *kr, int64_t org_id, int64_t repo_id,
			const struct secbuf *const given[ARRAY_SIZE(secrets)], json_object *o)
{
	char id[24];
	int r = 0;

	i64s(repo_id, id);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(secrets); i++) {
		const struct secbuf *b = given[i];
		char *blob = NULL;

		if (!b)
			continue;
		r = secret_seal(db, kr, org_id, "repositories", secrets[i].column, repo_id, b->data,
				b->len, &blob);
		if (r == 0)
			r = DB_QUERY(db, NULL, secrets[i].sql, id, blob);
		free(blob);
		json_object_object_add(o, secrets[i].name, json_object_new_boolean(1));
	}
	return r;
}

static int update_plain(struct db *db, const struct target_list *targets, const char *org,
			const char *id, const struct repo_settings *set, char *why, size_t whylen)
{
	struct target t;
	char refused[400];
	PGresult *res = NULL;
	int r;

	if (set->api_url && *set->api_url &&
	    target_check(targets, set->api_url, &t, refused, sizeof(refused)) < 0) {
		snprintf(why, whylen, "API URL refused: %s", refused);
		return -EINVAL;
	}
	r = DB_QUERY(db, &res, "UPDATE lethe.repositories SET "
		     "api_url = CASE WHEN $3::text IS NULL THEN api_url ELSE nullif($3, '') END, "
		     "report_mode = coalesce($4, report_mode), "
		     "default_branch = coalesce($5, default_branch) "
		     "WHERE id = $1 AND org_id = $2 RETURNING id", id, org, set->api_url,
		     set->report_mode, set->default_branch);
	if (r < 0 && (!strcmp(db_sqlstate(db), "23514") || !strncmp(db_sqlstate(db), "22", 2))) {
		snprintf(why, whylen, "report mode '%.40s' or default branch refused: modes are none, "
			 "status, check-run, comment, check-run+comment, status+comment",
			 set->report_mode ? set->report_mode : "");
		r = -EINVAL;
	} else if (r == 0 && PQntuples(res) != 1) {
		r = -ENOENT;
	}
	PQclear(res);
	return r;
}

/* Attach repository id to integration integ of its org and provider ("": none). */
static int update_integration(struct db *db, const char *org, const char *id, const char *integ,
			      char *why, size_t whylen)
{
	PGresult *res = NULL;
	int64_t n;
	int r;

	if (*integ && parse_i64(integ, 1, INT64_MAX, &n) < 0) {
		snprintf(why, whylen, "bad integration id '%.40s': a number, or none", integ);
		return -EINVAL;
	}
	r = DB_QUERY(db, &res, "UPDATE lethe.repositories r SET integration_id = nullif($3, '')::bigint "
		     "WHERE r.id = $1 AND r.org_id = $2 AND ($3 = '' OR EXISTS (SELECT 1 FROM "
		     "lethe.integrations i WHERE i.id = nullif($3, '')::bigint AND i.org_id = r.org_id "
		     "AND i.provider = r.provider)) RETURNING r.id", id, org, integ);
	if (r == 0 && PQntuples(res) != 1) {
		snprintf(why, whylen, "no integration %s of this repository's org and provider", integ);
		r = -EINVAL;
	}
	PQclear(res);
	return r;
}

/* GitHub's Checks API takes App installation tokens only. */
static int check_run_app(struct db *db, const char *id, char *why, size_t whylen)
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res, "SELECT r.provider = 'github' AND r.report_mode LIKE '%check-run%' "
			 "AND coalesce(i.kind, '') <> 'github-app' FROM lethe.repositories r "
			 "LEFT JOIN lethe.integrations i ON i.id = r.integration_id WHERE r.id = $1", id);

	if (r == 0 && PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t")) {
		snprintf(why, whylen, "report mode check-run needs a GitHub App integration: with a "
			 "stored reporting token, use status or status+comment");
		r = -EINVAL;
	}
	PQclear(res);
	return r;
}

int repo_update(struct db *db, const struct keyring *kr, const struct target_list *targets,
		int64_t org_id, int64_t repo_id,
		const struct repo_settings *set, char **details, char *why, size_t whylen)
{
	const struct secbuf *given[] = { set->report_token, set->clone_token, set->webhook_secret };
	json_object *o = json_object_new_object();
	char org[24], id[24];
	int r;

	*details = NULL;
	why[0] = '\0';
	i64s(org_id, org);
	i64s(repo_id, id);
	r = update_plain(db, targets, org, id, set, why, whylen);
	if (r == 0 && set->integration)
		r = update_integration(db, org, id, set->integration, why, whylen);
	if (r == 0)
		r = seal_secrets(db, kr, org_id, repo_id, given, o);
	if (r == 0)
		r = check_run_app(db, id, why, whylen);
	if (set->api_url)
		json_object_object_add(o, "api_url", json_object_new_string(set->api_url));
	if (set->report_mode)
		json_object_object_add(o, "report_mode", json_object_new_string(set->report_mode));
	if (set->default_branch)
		json_object_object_add(o, "default_branch", json_object_new_string(set->default_branch));
	if (set->integration)
		json_object_object_add(o, "integration", *set->integration ?
				       json_object_new_int64(strtoll(set->integration, NULL, 10)) : NULL);
	if (r == 0)
		*details = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

int repo_new_webhook_secret(struct secbuf *out)
{
	unsigned char raw[32];
	int r = crypto_random(raw, sizeof(raw));

	if (r == 0 && (r = secbuf_alloc(out, 2 * sizeof(raw) + 1)) == 0) {
		hex_encode(raw, sizeof(raw), (char *)out->data);
		out->len = 2 * sizeof(raw);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

static const char repo_insert_sql[] =
	"INSERT INTO lethe.repositories (org_id, integration_id, provider, full_name, clone_url, "
	"default_branch, report_mode, external_id, hook_id) VALUES ($1, nullif($2, '0')::bigint, $3, "
	"$4, $5, coalesce($6, 'main'), coalesce($7, 'status'), $8, $9) "
	"ON CONFLICT (org_id, provider, full_name) DO UPDATE SET integration_id = "
	"EXCLUDED.integration_id WHERE EXCLUDED.integration_id IS NOT NULL "
	"RETURNING id, hook_id, xmax = 0";

/* The row: 0 inserted, 1 an existing one attached to n's integration. */
static int repo_insert(struct db *db, int64_t org_id, const struct repo_new *n, int64_t *id,
		       char hook_id[44])
{
	char org[24], integ[24], hook[44];
	PGresult *res;
	int r = repo_new_hook_id(hook);

	if (r < 0)
		return r;
	i64s(org_id, org);
	i64s(n->integration_id, integ);
	r = DB_QUERY(db, &res, repo_insert_sql, org, integ, n->provider, n->full_name, n->clone_url,
		     n->default_branch, n->report_mode, n->external_id, hook);
	if (r < 0) {
		const char *st = db_sqlstate(db);

		return !strncmp(st, "22", 2) || !strncmp(st, "23", 2) ? -EINVAL : r;
	}
	r = PQntuples(res) == 1 ? 0 : -EEXIST;
	if (r == 0) {
		*id = db_int(res, 0, 0);
		snprintf(hook_id, 44, "%s", db_value(res, 0, 1));
		r = strcmp(db_value(res, 0, 2), "t") ? 1 : 0;
	}
	PQclear(res);
	return r;
}

static int repo_audit_connect(struct db *db, int64_t org_id, int64_t id, const char *actor_type,
			      const char *actor, const char *action, json_object *o)
{
	char target[40], *details = repo_json(o);
	int r;

	repo_target(id, target);
	r = audit_append(db, org_id, actor_type, actor, action, target, details, NULL);
	free(details);
	return r;
}

int repo_create(struct db *db, const struct keyring *kr, int64_t org_id, const char *actor_type,
		const char *actor, const struct repo_new *n, int64_t *id, char hook_id[44])
{
	const struct secbuf *given[] = { n->report_token, n->clone_token, n->webhook_secret };
	json_object *o = json_object_new_object();
	int r = repo_insert(db, org_id, n, id, hook_id);

	if (r == 1) {
		/* Already connected: now through n's integration. */
		json_object_object_add(o, "integration", json_object_new_int64(n->integration_id));
		r = repo_audit_connect(db, org_id, *id, actor_type, actor, "repository.update", o);
		json_object_put(o);
		return r < 0 ? r : 1;
	}
	json_object_object_add(o, "full_name", json_object_new_string(n->full_name));
	json_object_object_add(o, "provider", json_object_new_string(n->provider));
	json_object_object_add(o, "integration", n->integration_id ?
			       json_object_new_int64(n->integration_id) : NULL);
	for (size_t i = 0; i < ARRAY_SIZE(secrets); i++)
		json_object_object_add(o, secrets[i].name, json_object_new_boolean(0));
	if (r == 0)
		r = seal_secrets(db, kr, org_id, *id, given, o);
	if (r == 0)
		r = repo_audit_connect(db, org_id, *id, actor_type, actor, "repository.connect", o);
	json_object_put(o);
	return r;
}
