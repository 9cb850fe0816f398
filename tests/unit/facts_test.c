/*
 * facts_test.c - lib/facts: the facts of a SARIF document go into
 * lethe.dependencies and lethe.workflow_facts, entries the schema would
 * refuse are skipped, and lethe.cyclonedx() exports the dependencies.
 * The storage tests need the local stack (LETHE_CONFIG); the others not.
 *
 * With "--store FILE ORG REPO SCAN" it instead parses the SARIF document
 * FILE and stores every run's facts for that scan as lethe_scan, as
 * lethe-scan does, printing "stored D dependencies, W workflow facts"
 * (used by t4017-api-sbom.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "facts.h"
#include "sarif.h"
#include "stack.h"
#include "tap.h"
#include "util.h"

static const char doc[] =
	"{\"version\":\"2.1.0\",\"runs\":["
	"{\"tool\":{\"driver\":{\"name\":\"lethe-deps\"}},\"results\":[],"
	" \"properties\":{\"lethe/facts\":{\"dependencies\":["
	"  {\"ecosystem\":\"npm\",\"name\":\"express\",\"constraint\":\"^4.18.2\",\"direct\":true,"
	"   \"manifest\":\"package.json\"},"
	"  {\"ecosystem\":\"npm\",\"name\":\"express\",\"version\":\"4.18.2\",\"direct\":true,"
	"   \"manifest\":\"package-lock.json\"},"
	"  {\"ecosystem\":\"npm\",\"name\":\"@scope/util\",\"version\":\"2.1.3\",\"direct\":false,"
	"   \"manifest\":\"package-lock.json\",\"content\":\"dropped by the whitelist\"},"
	"  {\"ecosystem\":\"maven\",\"name\":\"junit:junit\",\"constraint\":\"${v}\",\"direct\":true,"
	"   \"manifest\":\"pom.xml\"},"
	"  {\"ecosystem\":\"npm\",\"direct\":true,\"manifest\":\"package.json\"},"
	"  \"not an object\"]}}},"
	"{\"tool\":{\"driver\":{\"name\":\"lethe-workflows\"}},\"results\":[],"
	" \"properties\":{\"lethe/facts\":{\"workflows\":["
	"  {\"system\":\"github-actions\",\"path\":\".github/workflows/ci.yml\",\"workflow\":\"CI\","
	"   \"kind\":\"workflow\",\"value\":\"CI\"},"
	"  {\"system\":\"github-actions\",\"path\":\".github/workflows/ci.yml\",\"workflow\":\"CI\","
	"   \"job\":\"test\",\"kind\":\"action\",\"value\":\"actions/checkout@v4\",\"pinning\":\"tag\"},"
	"  {\"system\":\"bitbucket-pipelines\",\"path\":\"bitbucket-pipelines.yml\",\"job\":\"Deploy\","
	"   \"kind\":\"image\",\"value\":\"alpine/git:latest\",\"pinning\":\"none\"},"
	"  {\"system\":\"jenkins\",\"path\":\"Jenkinsfile\",\"kind\":\"job\",\"value\":\"x\"},"
	"  {\"system\":\"gitlab-ci\",\"path\":\".gitlab-ci.yml\",\"kind\":\"bogus\",\"value\":\"x\"},"
	"  {\"system\":\"gitlab-ci\",\"path\":\".gitlab-ci.yml\",\"kind\":\"image\",\"value\":\"a\","
	"   \"pinning\":\"maybe\"}]}}}]}";

static void test_properties(void)
{
	struct sarif_result r = { 0 };
	char *p = facts_result_properties(&r);

	ok(!strcmp(p, "{}"), "a result without a secret hash has empty properties (%s)", p);
	free(p);
	r.secret_sha256 = xstrdup("cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34");
	p = facts_result_properties(&r);
	ok(!strcmp(p, "{}"), "a secret's plain digest never goes into properties (%s)", p);
	free(p);
	r.secret_hash = xstrdup("ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12");
	p = facts_result_properties(&r);
	ok(strstr(p, "\"secret_hash\":\"ab12") != NULL, "a secret's keyed hash goes into properties");
	free(p);
	sarif_result_release(&r);
}

/* An org, repository, job and finished scan; ids as text. */
static int seed(struct db *db, char org[24], char repo[24], char scan[24])
{
	PGresult *res = NULL;
	int r = DB_QUERY(db, &res,
		"WITH o AS (INSERT INTO orgs (name) VALUES ('factstest-' || pg_backend_pid()) RETURNING id), "
		"r AS (INSERT INTO repositories (org_id, provider, full_name, clone_url, hook_id) "
		"  SELECT id, 'github', 'factstest/app', 'https://example.invalid/app.git', "
		"  'hook_facts_' || pg_backend_pid() || '_aaaaaaaaaaaaaaaaaaaa' FROM o RETURNING id, org_id), "
		"s AS (INSERT INTO scans (org_id, repository_id, commit_sha, branch, state, finished_at) "
		"  SELECT org_id, id, 'abcdef1234567', 'main', 'complete', now() FROM r RETURNING id) "
		"SELECT (SELECT id FROM o), (SELECT id FROM r), (SELECT id FROM s)");

	if (r == 0) {
		snprintf(org, 24, "%s", db_value(res, 0, 0));
		snprintf(repo, 24, "%s", db_value(res, 0, 1));
		snprintf(scan, 24, "%s", db_value(res, 0, 2));
	}
	PQclear(res);
	return r;
}

static char *one(struct db *db, const char *sql, const char *arg)
{
	PGresult *res = NULL;
	char *v = NULL;

	if (DB_QUERY(db, &res, sql, arg) == 0 && PQntuples(res) == 1 && db_value(res, 0, 0))
		v = xstrdup(db_value(res, 0, 0));
	PQclear(res);
	return v;
}

/* Two findings of the scan; the run suppresses one and hashes a secret. */
static void test_mark(struct db *admin, struct db *jobs, const char *org, const char *repo,
		      const char *scan)
{
	static const char fp1[] = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char fp2[] = "2222222222222222222222222222222222222222222222222222222222222222";
	struct sarif_log log;
	struct sarif_run *run;
	struct sarif_result *r;
	size_t marked = 0;
	char *v, *w;

	DB_QUERY(admin, NULL, "INSERT INTO findings (org_id, repository_id, branch, fingerprint, tool, "
		 "rule_id, level, path, message, first_scan_id, last_scan_id, suppressed_in_code, "
		 "suppress_reason) SELECT $1::bigint, $2::bigint, 'main', fp, 'lethe-secrets', "
		 "'secrets/generic', 'error', 'a.py', 'm', $3::bigint, $3::bigint, s, w "
		 "FROM (VALUES ($4, false, NULL), ($5, true, 'an old marker')) AS v(fp, s, w)",
		 org, repo, scan, fp1, fp2);
	sarif_log_init(&log);
	run = sarif_log_add_run(&log, "lethe-secrets", NULL);
	r = sarif_run_add_result(run);
	r->fingerprint = xstrdup(fp1);
	r->suppressed = true;
	r->suppress_reason = xstrdup("rotated in 2024");
	r->secret_hash = xstrdup("abababababababababababababababababababababababababababababababab");
	r = sarif_run_add_result(run);
	r->fingerprint = xstrdup(fp2);
	ok(facts_mark_findings(jobs, repo, "main", scan, run, &marked) == 0 && marked == 1,
	   "lethe_scan marks the run's findings, one of them suppressed");
	v = one(admin, "SELECT string_agg(concat_ws('|', suppressed_in_code, suppress_reason, "
		"properties->>'secret_hash'), ';' ORDER BY fingerprint) FROM findings WHERE last_scan_id = $1",
		scan);
	ok(v && !strcmp(v, "t|rotated in 2024|abababababababababababababababababababababababababababababababab;f"),
	   "a marked finding is suppressed in code with its reason and hash; a marker gone unsuppresses (%s)",
	   v ? v : "NULL");
	free(v);
	v = one(admin, "SELECT string_agg(xmin::text, ',') FROM findings WHERE last_scan_id = $1", scan);
	facts_mark_findings(jobs, repo, "main", scan, run, &marked);
	w = one(admin, "SELECT string_agg(xmin::text, ',') FROM findings WHERE last_scan_id = $1", scan);
	ok(v && w && !strcmp(v, w), "marking them again writes no row (%s, %s)", v ? v : "NULL",
	   w ? w : "NULL");
	free(v);
	free(w);
	sarif_log_release(&log);
}

static void test_store(struct db *admin, struct db *jobs, const struct sarif_log *log)
{
	char org[24], repo[24], scan[24];
	struct facts_count c[2] = { 0 };
	char *v;

	if (!ok(seed(admin, org, repo, scan) == 0, "an org, repository and scan are seeded")) {
		diag("%s", db_error(admin));
		return;
	}
	ok(facts_store(jobs, org, repo, scan, &log->runs[0], &c[0]) == 0 &&
	   facts_store(jobs, org, repo, scan, &log->runs[1], &c[1]) == 0,
	   "lethe_scan stores both runs' facts");
	ok(c[0].dependencies == 4 && c[1].workflow_facts == 3,
	   "4 dependencies and 3 workflow facts stored, the malformed entries skipped (%zu, %zu)",
	   c[0].dependencies, c[1].workflow_facts);
	v = one(admin, "SELECT string_agg(concat_ws('|', ecosystem, name, version, constraint_spec, "
		"direct, manifest_path), ';' ORDER BY id) FROM dependencies WHERE scan_id = $1", scan);
	ok(v && !strcmp(v, "npm|express|^4.18.2|t|package.json;npm|express|4.18.2|t|package-lock.json;"
		"npm|@scope/util|2.1.3|f|package-lock.json;maven|junit:junit|${v}|t|pom.xml"),
	   "the dependency rows are the facts, exactly");
	free(v);
	v = one(admin, "SELECT string_agg(concat_ws('|', system, path, workflow, job, kind, value, "
		"pinning), ';' ORDER BY id) FROM workflow_facts WHERE scan_id = $1", scan);
	ok(v && !strcmp(v, "github-actions|.github/workflows/ci.yml|CI|workflow|CI;"
		"github-actions|.github/workflows/ci.yml|CI|test|action|actions/checkout@v4|tag;"
		"bitbucket-pipelines|bitbucket-pipelines.yml|Deploy|image|alpine/git:latest|none"),
	   "the workflow rows are the facts, exactly");
	free(v);
	v = one(admin, "SELECT jsonb_path_query_array(cyclonedx($1::bigint), '$.components[*].purl')::text",
		repo);
	ok(v && !strcmp(v, "[\"pkg:maven/junit/junit\", \"pkg:npm/%40scope/util@2.1.3\", "
		"\"pkg:npm/express@4.18.2\"]"),
	   "cyclonedx() lists one component per package and version, with purls (%s)", v ? v : "NULL");
	free(v);
	v = one(admin, "SELECT cyclonedx($1::bigint) ->> 'bomFormat'", repo);
	ok(v && !strcmp(v, "CycloneDX"), "the document is a CycloneDX BOM");
	free(v);
	test_mark(admin, jobs, org, repo, scan);
	DB_QUERY(admin, NULL, "DELETE FROM orgs WHERE id = $1", org);
}

static int store_file(char **argv)
{
	struct config *cfg = stack_config();
	struct db *db = NULL;
	struct sarif_log log;
	struct facts_count c, total = { 0 };
	char *buf = NULL, why[256] = "";
	size_t len;
	int r = read_file(argv[0], 64u << 20, &buf, &len);

	if (r == 0)
		r = sarif_parse(buf, len, NULL, &log, why, sizeof(why));
	if (r == 0 && (!cfg || db_open(cfg, DB_ROLE_SCAN, &db) < 0))
		r = -ENOTCONN;
	for (size_t i = 0; r == 0 && i < log.nruns; i++) {
		r = facts_store(db, argv[1], argv[2], argv[3], &log.runs[i], &c);
		total.dependencies += c.dependencies;
		total.workflow_facts += c.workflow_facts;
	}
	if (r == 0)
		printf("stored %zu dependencies, %zu workflow facts\n", total.dependencies,
		       total.workflow_facts);
	else
		fprintf(stderr, "store failed: %s\n", why[0] ? why : db ? db_error(db) : strerror(-r));
	if (buf)
		sarif_log_release(&log);
	free(buf);
	db_free(db);
	config_free(cfg);
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sarif_log log;
	struct config *cfg;
	struct db *admin = NULL, *jobs = NULL;
	char why[256];

	if (argc == 6 && !strcmp(argv[1], "--store"))
		return store_file(argv + 2);
	test_properties();
	ok(sarif_parse(doc, strlen(doc), NULL, &log, why, sizeof(why)) == 0 && log.nruns == 2 &&
	   log.runs[0].facts_json && !strstr(log.runs[0].facts_json, "dropped by the whitelist"),
	   "lib/sarif keeps the facts but not keys outside its whitelist");
	cfg = stack_config();
	if (!cfg || db_open(cfg, DB_ROLE_ADMIN, &admin) < 0 || db_open(cfg, DB_ROLE_SCAN, &jobs) < 0 ||
	    DB_QUERY(admin, NULL, "SELECT cyclonedx(0)") < 0)
		skip(9, "no stack with migration 060");
	else
		test_store(admin, jobs, &log);
	sarif_log_release(&log);
	db_free(jobs);
	db_free(admin);
	config_free(cfg);
	return done_testing();
}
