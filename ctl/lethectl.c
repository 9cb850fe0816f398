/*
 * lethectl - the sysadmin's tool: migrate, orgs, users, repositories,
 * keys, audit, jobs, checkouts and findings.
 *
 * Reads straight through: parse the command line, run one command, which
 * loads the configuration when it needs it, exit 0, 1 (error) or 2 (usage).
 * --help at any level (lethectl repo add --help) and --version answer on
 * standard output before anything is read.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "target.h"
#include "util.h"

static const struct ctl_cmd ctl_cmds[] = {
	{ "migrate",   NULL,     ctl_migrate,     "[--dir DIR]" },
	{ "keys",      "init",   ctl_keys_init,   "" },
	{ "keys",      "rotate-master", ctl_keys_rotate_master, "" },
	{ "keys",      "rotate-org", ctl_keys_rotate_org, "ORG" },
	{ "audit",     "verify", ctl_audit_verify,  "[--org ORG]" },
	{ "audit",     "checkpoint", ctl_audit_checkpoint, "" },
	{ "audit",     "export", ctl_audit_export,  "[--since TIME]" },
	{ "audit",     "tail",   ctl_audit_tail,    "[-n N]" },
	{ "org",       "create", ctl_org_create,  "NAME" },
	{ "org",       "list",   ctl_org_list,    "" },
	{ "user",      "add",    ctl_user_add,    "--org ORG --email EMAIL --role owner|admin|member  (password on stdin)" },
	{ "repo",      "add",    ctl_repo_add,    "--org ORG --provider github|gitlab|bitbucket|bitbucket-dc|gitea "
						  "--name OWNER/REPO --clone-url URL [--token-file F] [--secret-file F]" },
	{ "repo",      "set",    ctl_repo_set,    "[--org ORG] [--api-url URL] [--report-mode MODE] "
						  "[--default-branch B] [--report-token-file F] [--clone-token-file F] "
						  "[--integration ID|none] [--rotate-secret] ID|OWNER/REPO" },
	{ "integration", "add",  ctl_integration_add, "github-app --org ORG --app-id N --installation-id N "
						  "--private-key-file F [--webhook-secret-file F] [--api-url URL]" },
	{ "integration", "list", ctl_integration_list, "[--org ORG]" },
	{ "integration", "remove", ctl_integration_remove, "ID" },
	{ "repo",      "list",   ctl_repo_list,   "[--org ORG]" },
	{ "repo",      "remove", ctl_repo_remove, "ID" },
	{ "jobs",      NULL,     ctl_jobs,        "[--org ORG] [--state STATE] [--limit N]" },
	{ "checkouts", NULL,     ctl_checkouts,   "[--all]" },
	{ "findings",  NULL,     ctl_findings,    "--repo ID|OWNER/REPO [--state open|fixed|all]" },
	{ "deps",      NULL,     ctl_deps,        "--repo ID|OWNER/REPO [--cyclonedx]" },
	{ "advisories", "import", ctl_advisories_import, "FILE... | --dir DIR" },
	{ "advisories", "status", ctl_advisories_status, "" },
};

static const struct ctl_cmd *ctl_current;

/* The usage lines of the commands called name, or of all when NULL. */
static void usage_of(FILE *f, const char *name)
{
	if (!name)
		fprintf(f, "usage: lethectl [--json] COMMAND ...\n       lethectl --help | --version\n");
	for (size_t i = 0; i < ARRAY_SIZE(ctl_cmds); i++)
		if (!name || !strcmp(name, ctl_cmds[i].name))
			fprintf(f, "%s lethectl %s%s%s %s\n", name ? "usage:" : "      ",
				ctl_cmds[i].name, ctl_cmds[i].sub ? " " : "",
				ctl_cmds[i].sub ? ctl_cmds[i].sub : "", ctl_cmds[i].usage);
}

int ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("lethectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void usage_current(FILE *f)
{
	fprintf(f, "usage: lethectl %s%s%s %s\n", ctl_current->name, ctl_current->sub ? " " : "",
		ctl_current->sub ? ctl_current->sub : "", ctl_current->usage);
}

int ctl_usage(void)
{
	usage_current(stderr);
	return 2;
}

int ctl_config(struct ctl *c)
{
	char why[512];

	if (c->cfg)
		return 0;
	if (config_load(NULL, &c->cfg, why, sizeof(why)) < 0)
		return ctl_fail("%s", why);
	return 0;
}

int ctl_db(struct ctl *c, const char *role)
{
	if (c->db)
		return 0;
	if (ctl_config(c))
		return 1;
	if (db_open(c->cfg, role, &c->db) < 0)
		return ctl_fail("unable to connect to the database: %s", db_error(c->db));
	return 0;
}

int ctl_keyring(struct ctl *c)
{
	char why[512];

	if (c->kr)
		return 0;
	if (ctl_config(c))
		return 1;
	if (keyring_load(c->cfg, &c->kr, why, sizeof(why)) < 0)
		return ctl_fail("%s", why);
	return 0;
}

int ctl_url_check(struct ctl *c, const char *what, const char *url)
{
	struct target t;
	char why[512];

	if (ctl_config(c))
		return 1;
	if (!c->targets && target_list_load(c->cfg, &c->targets, why, sizeof(why)) < 0)
		return ctl_fail("%s", why);
	if (target_check(c->targets, url, &t, why, sizeof(why)) < 0)
		return ctl_fail("%s refused: %s", what, why);
	return 0;
}

int ctl_db_fail(struct ctl *c, const char *what)
{
	ctl_fail("%s failed: %s", what, db_error(c->db));
	db_rollback(c->db);
	return 1;
}

int ctl_list(struct ctl *c, const char *what, const char *sql, int n, const char *const *params)
{
	PGresult *res;

	if (ctl_db(c, DB_ROLE_ADMIN))
		return 1;
	if (db_exec(c->db, &res, sql, n, params) < 0)
		return ctl_fail("listing %s failed: %s", what, db_error(c->db));
	ctl_print_result(c, res);
	PQclear(res);
	return 0;
}

int64_t ctl_org(struct ctl *c, const char *name)
{
	PGresult *res;
	int64_t id = 0;

	if (DB_QUERY(c->db, &res, "SELECT id FROM lethe.orgs WHERE name = $1 OR id::text = $1", name) < 0) {
		ctl_fail("unable to look up org '%s': %s", name, db_error(c->db));
		return 0;
	}
	if (PQntuples(res) == 1)
		id = db_int(res, 0, 0);
	else
		ctl_fail("no org '%s'", name);
	PQclear(res);
	return id;
}

static json_object *ctl_cell(const PGresult *res, int r, int col)
{
	const char *v = db_value(res, r, col);

	if (!v)
		return NULL;
	switch (PQftype(res, col)) {
	case 20: case 21: case 23:		/* int8, int2, int4 */
		return json_object_new_int64(strtoll(v, NULL, 10));
	case 16:				/* bool */
		return json_object_new_boolean(*v == 't');
	case 700: case 701: case 1700:	/* float4, float8, numeric */
		return json_object_new_double(strtod(v, NULL));
	case 114: case 3802:			/* json, jsonb */
		return json_tokener_parse(v);
	}
	return json_object_new_string(v);
}

void ctl_print_result(const struct ctl *c, const PGresult *res)
{
	int rows = PQntuples(res), cols = PQnfields(res);

	if (c->json) {
		json_object *arr = json_object_new_array();

		for (int r = 0; r < rows; r++) {
			json_object *o = json_object_new_object();

			for (int k = 0; k < cols; k++)
				json_object_object_add(o, PQfname(res, k), ctl_cell(res, r, k));
			json_object_array_add(arr, o);
		}
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
		return;
	}
	for (int k = 0; k < cols; k++)
		printf("%s%s", k ? "\t" : "", PQfname(res, k));
	putchar('\n');
	for (int r = 0; r < rows; r++)
		for (int k = 0; k < cols; k++)
			printf("%s%s", db_value(res, r, k) ? db_value(res, r, k) : "-",
			       k + 1 < cols ? "\t" : "\n");
}

void ctl_print_object(const struct ctl *c, json_object *o)
{
	if (c->json) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		json_object_object_foreach(o, key, val)
			printf("%s: %s\n", key, val ? json_object_get_string(val) : "-");
	}
	json_object_put(o);
}

int ctl_parse(int argc, char **argv, struct ctl_opt *opts, int *optind_out)
{
	struct option lo[16];
	int n = 0, ch;

	for (; opts[n].name && n < 15; n++)
		lo[n] = (struct option){ opts[n].name, opts[n].has_arg ? required_argument : no_argument,
					 NULL, n };
	lo[n] = (struct option){ 0 };
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		if (ch < 0 || ch >= n) {
			ctl_fail("unknown or incomplete option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
		*opts[ch].value = opts[ch].has_arg ? optarg : "1";
	}
	*optind_out = optind;
	return 0;
}

/* Removes every "--json" from argv; returns the new argc. */
static int take_json(int argc, char **argv, int *json)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = 1;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static const struct ctl_cmd *find_cmd(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctl_cmds); i++) {
		const struct ctl_cmd *k = &ctl_cmds[i];

		if (strcmp(k->name, argv[0]) != 0)
			continue;
		if (!k->sub) {
			*used = 1;
			return k;
		}
		if (argc > 1 && strcmp(k->sub, argv[1]) == 0) {
			*used = 2;
			return k;
		}
	}
	return NULL;
}

static void ctl_release(struct ctl *c)
{
	db_free(c->db);
	keyring_free(c->kr);
	target_list_free(c->targets);
	config_free(c->cfg);
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	struct passwd *pw = getpwuid(geteuid());
	int used, rc, known = 0;

	log_init("lethectl");
	argc = take_json(argc, argv, &c.json);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("lethectl %s\n", LETHE_VERSION);
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage_of(argc < 2 ? stderr : stdout, NULL);
		return argc < 2 ? 2 : 0;
	}
	ctl_current = find_cmd(argc - 1, argv + 1, &used);
	for (size_t i = 0; !ctl_current && i < ARRAY_SIZE(ctl_cmds); i++)
		known |= !strcmp(ctl_cmds[i].name, argv[1]);
	if (!ctl_current && known) {	/* "lethectl repo", "lethectl repo --help" */
		usage_of(wants_help(argc - 1, argv + 1) ? stdout : stderr, argv[1]);
		return wants_help(argc - 1, argv + 1) ? 0 : 2;
	}
	if (!ctl_current) {
		ctl_fail("unknown command '%s'", argv[1]);
		usage_of(stderr, NULL);
		return 2;
	}
	if (wants_help(argc - used + 1, argv + used - 1)) {
		usage_current(stdout);
		return 0;
	}
	snprintf(c.actor, sizeof(c.actor), "lethectl:%s", pw ? pw->pw_name : "unknown");
	rc = ctl_current->run(&c, argc - used, argv + used);
	ctl_release(&c);
	return rc;
}
