/* ctl-org.c - lethectl keys init, org create|list, user add. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "password.h"
#include "util.h"

int ctl_keys_init(struct ctl *c, int argc, char **argv)
{
	const char *path;
	int r;

	if (argc != 1)
		return ctl_usage();
	if (ctl_config(c))
		return 1;
	path = config_v(c->cfg)->master_key_file;
	r = keys_master_init(path);
	if (r == -EEXIST)
		return ctl_fail("master key file '%s' already exists; refusing to overwrite it", path);
	if (r < 0)
		return ctl_fail("unable to create master key file '%s': %s", path, strerror(-r));
	if (c->json)
		ctl_print_object(c, json_object_new_object());
	else
		printf("created master key file %s\n", path);
	return 0;
}

int ctl_org_create(struct ctl *c, int argc, char **argv)
{
	PGresult *res;
	json_object *o;
	char target[40], details[128];
	int64_t id;

	if (argc != 2)
		return ctl_usage();
	if (ctl_db(c, DB_ROLE_ADMIN) || ctl_keyring(c))
		return 1;
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	if (DB_QUERY(c->db, &res, "INSERT INTO lethe.orgs (name) VALUES ($1) RETURNING id", argv[1]) < 0) {
		if (!strcmp(db_sqlstate(c->db), "23505") || !strcmp(db_sqlstate(c->db), "23514")) {
			db_rollback(c->db);
			return ctl_fail(!strcmp(db_sqlstate(c->db), "23505") ? "org '%s' already exists"
					: "bad org name '%s': letters, digits, '.', '_', '-', up to 63", argv[1]);
		}
		return ctl_db_fail(c, "creating the org");
	}
	id = db_int(res, 0, 0);
	PQclear(res);
	snprintf(target, sizeof(target), "org:%lld", (long long)id);
	snprintf(details, sizeof(details), "{\"key_version\": 1}");
	if (orgkey_create(c->db, c->kr, id) < 0 ||
	    audit_append(c->db, id, AUDIT_SYSTEM, c->actor, "org created", target, NULL, NULL) < 0 ||
	    audit_append(c->db, id, AUDIT_SYSTEM, c->actor, "org key created", target, details, NULL) < 0)
		return ctl_db_fail(c, "creating the org key");
	if (db_commit(c->db) < 0)
		return ctl_db_fail(c, "commit");
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "name", json_object_new_string(argv[1]));
	ctl_print_object(c, o);
	return 0;
}

int ctl_org_list(struct ctl *c, int argc, char **argv)
{

	if (argc != 1)
		return ctl_usage();
	return ctl_list(c, "orgs", "SELECT o.id, o.name, o.created_at::text AS created,"
		    " (SELECT count(*) FROM lethe.users u WHERE u.org_id = o.id) AS users,"
		    " (SELECT count(*) FROM lethe.repositories r WHERE r.org_id = o.id) AS repositories"
		    " FROM lethe.orgs o ORDER BY o.id", 0, NULL);
}

/* The first line of stdin, without its newline; NULL when empty. */
/* One line of f, without its line end; NULL when empty or at EOF. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);

	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n <= 0) {
		if (line)
			explicit_bzero(line, cap);
		free(line);
		return NULL;
	}
	return line;
}

/*
 * prompt on the terminal, then a line typed there without echo.  Echo is
 * off (and what was typed before discarded) before the prompt shows, so
 * nothing typed after it is lost or echoed.
 */
static char *read_hidden(const char *prompt)
{
	struct termios old, quiet;
	char *line;

	if (tcgetattr(STDIN_FILENO, &old) < 0)
		return NULL;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
		return NULL;
	fputs(prompt, stderr);
	fflush(stderr);
	line = read_line(stdin);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return line;
}

/*
 * The password: on a terminal, typed twice without echo; else the first
 * line of standard input.  NULL (with the reason printed) when there is
 * none or the two differ.
 */
static char *read_password(void)
{
	char *pw, *again;

	if (!isatty(STDIN_FILENO)) {
		pw = read_line(stdin);
		if (!pw)
			ctl_fail("no password on standard input");
		return pw;
	}
	pw = read_hidden("Password: ");
	again = pw ? read_hidden("Password again: ") : NULL;
	if (pw && again && strcmp(pw, again) == 0) {
		explicit_bzero(again, strlen(again));
		free(again);
		return pw;
	}
	ctl_fail(pw ? "the two passwords differ" : "no password typed");
	if (pw)
		explicit_bzero(pw, strlen(pw));
	if (again)
		explicit_bzero(again, strlen(again));
	free(pw);
	free(again);
	return NULL;
}

static int user_insert(struct ctl *c, int64_t org, const char *email, const char *role, const char *hash)
{
	PGresult *res;
	char orgs[24], target[40], *details;
	json_object *o, *d;
	int64_t id;

	i64s(org, orgs);
	if (db_begin(c->db) < 0)
		return ctl_db_fail(c, "begin");
	if (DB_QUERY(c->db, &res, "INSERT INTO lethe.users (org_id, email, password_hash, role)"
		     " VALUES ($1, $2, $3, $4) RETURNING id", orgs, email, hash, role) < 0) {
		if (!strcmp(db_sqlstate(c->db), "23505")) {
			db_rollback(c->db);
			return ctl_fail("a user with email '%s' already exists", email);
		}
		if (!strcmp(db_sqlstate(c->db), "23514")) {
			db_rollback(c->db);
			return ctl_fail("bad email '%s'", email);
		}
		return ctl_db_fail(c, "adding the user");
	}
	id = db_int(res, 0, 0);
	PQclear(res);
	snprintf(target, sizeof(target), "user:%lld", (long long)id);
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(email));
	json_object_object_add(d, "role", json_object_new_string(role));
	details = xstrdup(json_object_to_json_string(d));
	json_object_put(d);
	if (audit_append(c->db, org, AUDIT_SYSTEM, c->actor, "user created", target, details, NULL) < 0) {
		free(details);
		return ctl_db_fail(c, "auditing the new user");
	}
	free(details);
	if (db_commit(c->db) < 0)
		return ctl_db_fail(c, "commit");
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "org_id", json_object_new_int64(org));
	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "role", json_object_new_string(role));
	ctl_print_object(c, o);
	return 0;
}

int ctl_user_add(struct ctl *c, int argc, char **argv)
{
	const char *org = NULL, *email = NULL, *role = NULL;
	struct ctl_opt opts[] = { { "org", 1, &org }, { "email", 1, &email }, { "role", 1, &role }, { 0 } };
	char *pw = NULL, *hash = NULL;
	int64_t org_id;
	int oi, r, rc = 1;

	if (ctl_parse(argc, argv, opts, &oi) < 0 || oi != argc || !org || !email || !role)
		return ctl_usage();
	if (strcmp(role, "owner") && strcmp(role, "admin") && strcmp(role, "member"))
		return ctl_fail("bad role '%s': owner, admin or member", role);
	if (ctl_config(c))
		return 1;
	pw = read_password();
	if (!pw)
		return 1;
	r = password_hash(pw, (int)config_v(c->cfg)->bcrypt_cost, &hash);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (r == -E2BIG)
		return ctl_fail("password longer than %d bytes refused (bcrypt would truncate it)", PASSWORD_MAX);
	if (r < 0)
		return ctl_fail("unable to hash the password: %s", strerror(-r));
	if (ctl_db(c, DB_ROLE_ADMIN) == 0 && (org_id = ctl_org(c, org)) > 0)
		rc = user_insert(c, org_id, email, role, hash);
	free(hash);
	return rc;
}
