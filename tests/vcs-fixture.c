/*
 * vcs-fixture - for tests/t2201: make repository REPO_ID part of a
 * github-app integration whose private key (PEM on stdin) is sealed under
 * the org key, as an install would store it.  Built by the test itself.
 *
 * usage: vcs-fixture REPO_ID API_URL APP_ID INSTALLATION_ID REPORT_MODE < key.pem
 * Prints the integration id.  With LETHE_CONFIG naming the stack's config.
 * (A repository's API URL and reporting token are lethectl repo set's.)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "util.h"

static char pem[16384];

/* A GitHub App integration holding the key on stdin, for repository argv[1]. */
static int app_integration(struct db *db, const struct keyring *kr, char **argv, size_t n)
{
	PGresult *res = NULL;
	char integ[24] = "", *blob = NULL;
	int r;

	r = DB_QUERY(db, &res, "INSERT INTO integrations (org_id, provider, kind, api_url, app_id, "
		     "installation_id) SELECT org_id, 'github', 'github-app', $2, $3, $4 "
		     "FROM repositories WHERE id = $1 ON CONFLICT (provider, installation_id) "
		     "WHERE installation_id IS NOT NULL DO UPDATE SET api_url = EXCLUDED.api_url "
		     "RETURNING id, org_id", argv[1], argv[2], argv[3], argv[4]);
	if (r == 0 && PQntuples(res) == 1) {
		snprintf(integ, sizeof(integ), "%s", db_value(res, 0, 0));
		r = secret_seal(db, kr, db_int(res, 0, 1), "integrations", "app_key_enc",
				db_int(res, 0, 0), pem, n, &blob);
	}
	if (r == 0 && integ[0])
		r = DB_QUERY(db, NULL, "UPDATE integrations SET app_key_enc = $1 WHERE id = $2",
			     blob, integ);
	if (r == 0 && integ[0])
		r = DB_QUERY(db, NULL, "UPDATE repositories SET integration_id = $2, report_mode = $3 "
			     "WHERE id = $1", argv[1], integ, argv[5]);
	if (r < 0 || !integ[0])
		fprintf(stderr, "vcs-fixture: %s\n", db_error(db));
	else
		printf("%s\n", integ);
	free(blob);
	PQclear(res);
	return r < 0 || !integ[0];
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	struct db *db = NULL;
	char why[512] = "";
	size_t n = fread(pem, 1, sizeof(pem) - 1, stdin);
	int rc = 1;

	if (argc != 6 || n == 0)
		return fprintf(stderr, "usage: vcs-fixture REPO API APP INST MODE < key.pem\n"), 2;
	if (config_load(NULL, &cfg, why, sizeof(why)) < 0 || keyring_load(cfg, &kr, why, sizeof(why)) < 0)
		fprintf(stderr, "vcs-fixture: %s\n", why);
	else if (db_open(cfg, DB_ROLE_ADMIN, &db) < 0)
		fprintf(stderr, "vcs-fixture: %s\n", db_error(db));
	else
		rc = app_integration(db, kr, argv, n);
	OPENSSL_cleanse(pem, sizeof(pem));
	db_free(db);
	keyring_free(kr);
	config_free(cfg);
	return rc;
}
