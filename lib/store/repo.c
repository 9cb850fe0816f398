/* repo.c - changing a repository's settings; deleting a repository with the
 * counts of what went with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>

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

static char *repo_counts_json(const PGresult *res)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "repositories", json_object_new_int64(1));
	for (int k = 0; k < PQnfields(res); k++)
		json_object_object_add(o, PQfname(res, k), json_object_new_int64(db_int(res, 0, k)));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

int repo_delete(struct db *db, int64_t org_id, int64_t repo_id, char **counts)
{
	PGresult *res;
	char org[24], id[24];
	int r;

	i64s(org_id, org);
	i64s(repo_id, id);
	r = DB_QUERY(db, &res, "SELECT 1 FROM lethe.repositories WHERE id = $1 AND org_id = $2 FOR UPDATE",
		     id, org);
	if (r < 0)
		return r;
	r = PQntuples(res) == 1 ? 0 : -ENOENT;
	PQclear(res);
	if (r < 0)
		return r;
	r = DB_QUERY(db, &res, repo_count_sql, id);
	if (r < 0)
		return r;
	*counts = repo_counts_json(res);
	PQclear(res);
	r = DB_QUERY(db, NULL, "DELETE FROM lethe.repositories WHERE id = $1 AND org_id = $2", id, org);
	if (r < 0) {
		free(*counts);
		*counts = NULL;
	}
	return r;
}

int repo_new_hook_id(char out[44])
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
