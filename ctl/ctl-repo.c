/* ctl-repo.c - lethectl repo add|list|remove, jobs, checkouts, findings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "ctl.h"
#include "repo.h"
#include "util.h"

#define SECRET_FILE_MAX 16384

static const char *const providers[] = { "github", "gitlab", "bitbucket", "bitbucket-dc", "gitea" };

static int known_provider(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(providers); i++)
		if (!strcmp(p, providers[i]))
			return 1;
	return 0;
}

int ctl_read_secret(const char *path, struct secbuf *out)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_file(!strcmp(path, "-") ? "/dev/stdin" : path, SECRET_FILE_MAX, &buf, &len);

	if (r < 0)
		return ctl_fail("unable to read '%s': %s", path, strerror(-r));
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(buf, '\n', len) || memchr(buf, '\0', len) ||
	    secbuf_alloc(out, len) < 0) {
		int empty = len == 0;

		explicit_bzero(buf, len);
		free(buf);
		return ctl_fail(empty ? "'%s' holds no secret" : "'%s' holds more than one line", path);
	}
	memcpy(out->data, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	return 0;
}

static int new_webhook_secret(struct secbuf *out)
{
	return repo_new_webhook_secret(out) < 0 ? ctl_fail("unable to generate a webhook secret") : 0;
}

struct repo_add {
	const char *org;
	struct repo_new n;
	int64_t org_id, id;
	char hook_id[44];
	struct secbuf secret, token;
	int generated;
};

static int repo_insert(struct ctl *c, struct repo_add *a)
{
	int r;

	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	a->n.webhook_secret = &a->secret;
	a->n.clone_token = a->token.data ? &a->token : NULL;
	r = repo_create(c->db, c->kr, a->org_id, AUDIT_SYSTEM, c->actor, &a->n, &a->id, a->hook_id);
	if (r == 0 && db_commit(c->db) == 0)
		return 0;
	db_rollback(c->db);
	if (r == -EEXIST)
		return ctl_fail("repository '%s' is already connected to org '%s'", a->n.full_name, a->org);
	if (r == -EINVAL)
		return ctl_fail("bad repository name '%s' or clone URL '%s'", a->n.full_name,
				a->n.clone_url);
	return ctl_fail("adding the repository failed: %s", db_error(c->db));
}

static void repo_print(struct ctl *c, const struct repo_add *a)
{
	json_object *o = json_object_new_object();
	char *path = xasprintf("/hooks/%s/%s", a->n.provider, a->hook_id);

	json_object_object_add(o, "id", json_object_new_int64(a->id));
	json_object_object_add(o, "org_id", json_object_new_int64(a->org_id));
	json_object_object_add(o, "provider", json_object_new_string(a->n.provider));
	json_object_object_add(o, "name", json_object_new_string(a->n.full_name));
	json_object_object_add(o, "hook_id", json_object_new_string(a->hook_id));
	json_object_object_add(o, "hook_path", json_object_new_string(path));
	/* The one secret Lethe ever shows: the one it just generated. */
	if (a->generated)
		json_object_object_add(o, "webhook_secret",
				       json_object_new_string_len((const char *)a->secret.data,
								  (int)a->secret.len));
	ctl_print_object(c, o);
	free(path);
}

int ctl_repo_add(struct ctl *c, int argc, char **argv)
{
	const char *token_file = NULL, *secret_file = NULL;
	struct repo_add a = { 0 };
	struct ctl_opt opts[] = {
		{ "org", 1, &a.org }, { "provider", 1, &a.n.provider }, { "name", 1, &a.n.full_name },
		{ "clone-url", 1, &a.n.clone_url }, { "token-file", 1, &token_file },
		{ "secret-file", 1, &secret_file }, { 0 } };
	int oi, rc = 1;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc || !a.org || !a.n.provider ||
	    !a.n.full_name || !a.n.clone_url)
		return ctl_usage();
	if (!known_provider(a.n.provider))
		return ctl_fail("unknown provider '%s'", a.n.provider);
	if (token_file && secret_file && !strcmp(token_file, "-") && !strcmp(secret_file, "-"))
		return ctl_fail("only one of --token-file and --secret-file can be '-'");
	if (ctl_url_check(c, "clone URL", a.n.clone_url) || ctl_db(c, DB_ROLE_ADMIN) || ctl_keyring(c) ||
	    !(a.org_id = ctl_org(c, a.org)))
		return 1;
	a.generated = !secret_file;
	if ((secret_file ? ctl_read_secret(secret_file, &a.secret) : new_webhook_secret(&a.secret)) ||
	    (token_file && ctl_read_secret(token_file, &a.token)))
		goto out;
	rc = repo_insert(c, &a);
	if (rc == 0)
		repo_print(c, &a);
out:
	secbuf_release(&a.secret);
	secbuf_release(&a.token);
	return rc;
}

int ctl_repo_list(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL;
	struct ctl_opt opts[] = { { "org", 1, &org }, { 0 } };
	int oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	return CTL_LIST(c, "repositories", "SELECT r.id, o.name AS org, r.provider, r.full_name AS name, r.clone_url,"
		     " '/hooks/' || r.provider || '/' || r.hook_id AS hook_path, r.report_mode,"
		     " r.created_at::text AS created FROM lethe.repositories r JOIN lethe.orgs o ON o.id = r.org_id"
		     " WHERE $1::text IS NULL OR o.name = $1 OR o.id::text = $1 ORDER BY r.id", org);
}

/* Repository which (an id, or OWNER/REPO of org, any org when NULL). */
static int repo_find(struct ctl *c, const char *which, const char *org, int64_t *id, int64_t *org_id)
{
	PGresult *res;
	int n;

	if (DB_QUERY(c->db, &res, "SELECT r.id, r.org_id FROM lethe.repositories r "
		     "JOIN lethe.orgs o ON o.id = r.org_id WHERE (r.id::text = $1 OR r.full_name = $1) "
		     "AND ($2::text IS NULL OR o.name = $2 OR o.id::text = $2)", which, org) < 0)
		return ctl_db_fail(c, "looking up the repository");
	n = PQntuples(res);
	if (n == 1) {
		*id = db_int(res, 0, 0);
		*org_id = db_int(res, 0, 1);
	}
	PQclear(res);
	if (n > 1)
		return ctl_fail("'%s' names repositories of several orgs: give --org or the id", which);
	return n == 1 ? 0 : ctl_fail("no repository '%s'", which);
}

/* What changed (never a secret), and a webhook secret just generated:
 * the one secret Lethe ever shows. */
static void set_print(struct ctl *c, int64_t id, const char *details, const struct secbuf *secret)
{
	json_object *o = json_tokener_parse(details);

	json_object_object_add(o, "id", json_object_new_int64(id));
	if (secret->data)
		json_object_object_add(o, "webhook_secret",
				       json_object_new_string_len((const char *)secret->data,
								  (int)secret->len));
	ctl_print_object(c, o);
}

int ctl_repo_set(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL, *rotate = NULL, *report_file = NULL, *clone_file = NULL;
	struct repo_settings set = { 0 };
	struct ctl_opt opts[] = {
		{ "org", 1, &org }, { "api-url", 1, &set.api_url }, { "report-mode", 1, &set.report_mode },
		{ "default-branch", 1, &set.default_branch }, { "report-token-file", 1, &report_file },
		{ "clone-token-file", 1, &clone_file }, { "integration", 1, &set.integration },
		{ "rotate-secret", 0, &rotate }, { 0 } };
	struct secbuf report = { 0 }, clone = { 0 }, secret = { 0 };
	char target[40], why[256], *details = NULL;
	int64_t id = 0, org_id = 0;
	int oi, r, rc = 1;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc - 1 ||
	    !(set.api_url || set.report_mode || set.default_branch || report_file || clone_file ||
	      set.integration || rotate))
		return ctl_usage();
	if (set.integration && !strcmp(set.integration, "none"))
		set.integration = "";
	if (report_file && clone_file && !strcmp(report_file, "-") && !strcmp(clone_file, "-"))
		return ctl_fail("only one of --report-token-file and --clone-token-file can be '-'");
	if ((set.api_url && *set.api_url && ctl_url_check(c, "API URL", set.api_url)) ||
	    ctl_db(c, DB_ROLE_ADMIN) || ctl_keyring(c) || repo_find(c, argv[oi], org, &id, &org_id))
		return 1;
	if ((report_file && ctl_read_secret(report_file, &report)) ||
	    (clone_file && ctl_read_secret(clone_file, &clone)) || (rotate && new_webhook_secret(&secret)))
		goto out;
	set.report_token = report.data ? &report : NULL;
	set.clone_token = clone.data ? &clone : NULL;
	set.webhook_secret = secret.data ? &secret : NULL;
	if (db_begin(c->db) < 0) {
		rc = ctl_db_fail(c, "begin");
		goto out;
	}
	r = repo_update(c->db, c->kr, c->targets, org_id, id, &set, &details, why, sizeof(why));
	snprintf(target, sizeof(target), "repository:%lld", (long long)id);
	if (r == 0 && audit_append(c->db, org_id, AUDIT_SYSTEM, c->actor, "repository updated",
				   target, details, NULL) < 0)
		r = -EIO;
	if (r == 0 && db_commit(c->db) < 0)
		r = -EIO;
	if (r < 0) {
		db_rollback(c->db);
		rc = r == -EINVAL ? ctl_fail("%s", why) : r == -ENOENT ? ctl_fail("no repository '%s'", argv[oi])
		     : ctl_fail("updating the repository failed: %s", db_error(c->db));
		goto out;
	}
	rc = 0;
	set_print(c, id, details, &secret);
out:
	free(details);
	secbuf_release(&report);
	secbuf_release(&clone);
	secbuf_release(&secret);
	return rc;
}

static int repo_org(struct ctl *c, const char *id, int64_t *org)
{
	int64_t found;

	return repo_find(c, id, NULL, &found, org);
}

int ctl_repo_remove(struct ctl *c, int argc, char **argv)
{
	int64_t org = 0, id;
	char *counts = NULL;
	int r;

	if (argc != 2 || parse_i64(argv[1], 1, INT64_MAX, &id) < 0)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN) || repo_org(c, argv[1], &org))
		return 1;
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	r = repo_delete(c->db, org, id, AUDIT_SYSTEM, c->actor, &counts);
	if (r == -ENOENT) {
		db_rollback(c->db);
		return ctl_fail("no repository '%s'", argv[1]);
	}
	if (r < 0 || db_commit(c->db) < 0) {
		free(counts);
		return ctl_db_fail(c, "removing the repository");
	}
	if (c->json)
		puts(counts);
	else
		printf("removed repository %lld: %s\n", (long long)id, counts);
	free(counts);
	return 0;
}

int ctl_jobs(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL, *state = NULL, *limit = "50";
	struct ctl_opt opts[] = { { "org", 1, &org }, { "state", 1, &state }, { "limit", 1, &limit }, { 0 } };
	int64_t n;
	int oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc || parse_i64(limit, 1, 100000, &n) < 0)
		return ctl_usage();
	return CTL_LIST(c, "jobs", "SELECT j.id, o.name AS org, r.full_name AS repository, j.state, j.commit_sha,"
		     " j.ref, j.pr_number, j.attempts, j.last_error, j.deliveries, j.created_at::text AS created,"
		     " j.finished_at::text AS finished FROM lethe.jobs j JOIN lethe.repositories r ON r.id = j.repository_id"
		     " JOIN lethe.orgs o ON o.id = j.org_id WHERE ($1::text IS NULL OR o.name = $1 OR o.id::text = $1)"
		     " AND ($2::text IS NULL OR j.state = $2) ORDER BY j.id DESC LIMIT $3::int", org, state, limit);
}

int ctl_checkouts(struct ctl *c, int argc, char **argv)
{
	const char *all = NULL;
	struct ctl_opt opts[] = { { "all", 0, &all }, { 0 } };
	int oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc)
		return ctl_usage();
	return CTL_LIST(c, "checkouts", "SELECT k.id, r.full_name AS repository, k.job_id, k.host, k.backend, k.cipher,"
		     " floor(extract(epoch FROM now() - k.created_at))::bigint AS age_seconds,"
		     " greatest(0, ceil(extract(epoch FROM k.deadline - now())))::bigint AS seconds_left,"
		     " k.destroyed_at::text AS destroyed, k.destroy_reason, k.teardown_usec"
		     " FROM lethe.checkouts k JOIN lethe.repositories r ON r.id = k.repository_id"
		     " WHERE $1::text IS NOT NULL OR k.destroyed_at IS NULL ORDER BY k.id", all);
}

int ctl_findings(struct ctl *c, int argc, char **argv)
{
	const char *repo = NULL, *state = "open";
	struct ctl_opt opts[] = { { "repo", 1, &repo }, { "state", 1, &state }, { 0 } };
	int oi;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc || !repo)
		return ctl_usage();
	if (strcmp(state, "open") && strcmp(state, "fixed") && strcmp(state, "all"))
		return ctl_fail("bad state '%s': open, fixed or all", state);
	return CTL_LIST(c, "findings", "SELECT f.id, f.tool, f.rule_id, f.level, f.path, f.start_line, f.end_line,"
		     " f.message, f.cwe, f.state, f.branch, f.fingerprint, f.suppressed_in_code"
		     " FROM lethe.findings f JOIN lethe.repositories r ON r.id = f.repository_id"
		     " WHERE (r.id::text = $1 OR r.full_name = $1) AND ($2 = 'all' OR f.state = $2)"
		     " ORDER BY f.path, f.start_line, f.id", repo, state);
}
