/* repo.c - deleting a repository with the counts of what went with it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "crypto.h"
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

	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	snprintf(id, sizeof(id), "%lld", (long long)repo_id);
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
