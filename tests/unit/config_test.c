/* config_test.c - the configuration file: good files load, bad ones name file, line and key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

struct bad_case {
	const char *text;
	const char *want;	/* substring of the error, after "<path>:" */
};

static const struct bad_case bad_cases[] = {
	{ "no_such_key = 1\n", ":1: unknown key 'no_such_key'" },
	{ "# comment\n\nbcrypt_cost = 9\n", ":3: bad value for 'bcrypt_cost'" },
	{ "bcrypt_cost = twelve\n", ":1: bad value for 'bcrypt_cost'" },
	{ "checkout_max_age = 3h\n", ":1: bad value for 'checkout_max_age'" },
	{ "hook_max_body = 25X\n", ":1: bad value for 'hook_max_body'" },
	{ "sandbox_pids = 256\nsandbox_pids = 128\n", ":2: key 'sandbox_pids' given twice" },
	{ "just some words\n", ":1: expected 'key = value'" },
	{ "Database = x\n", ":1: bad key name 'Database'" },
};

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/lethe-config-test.XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

static void test_good(void)
{
	char why[512] = "";
	struct config *c = NULL;
	char *path = write_tmp("# Lethe\n  database = host=/tmp/x dbname=lethe  \n"
			       "checkout_max_age = 1h30m0\nsandbox_memory = 512M\nscanner.semgrep = /usr/bin/semgrep\n");
	int r;

	r = config_load(path, &c, why, sizeof(why));
	ok(r < 0 && strstr(why, ":3: bad value for 'checkout_max_age'"), "a compound duration is refused: %s", why);
	unlink(path);
	free(path);
	path = write_tmp("# Lethe\n  database = host=/tmp/x dbname=lethe  \n"
			 "checkout_max_age = 90m\nsandbox_memory = 512M\nscanner.semgrep = /usr/bin/semgrep\n");
	r = config_load(path, &c, why, sizeof(why));
	ok(r == 0, "a good file loads (%s)", r ? why : "ok");
	if (r == 0) {
		ok(!strcmp(config_v(c)->database, "host=/tmp/x dbname=lethe"), "value trimmed, spaces inside kept");
		ok(config_v(c)->checkout_max_age == 5400, "90m is 5400 seconds");
		ok(config_v(c)->sandbox_memory == 512LL << 20, "512M in bytes");
		ok(config_v(c)->bcrypt_cost == 12, "defaults apply: bcrypt cost 12");
		ok(!strcmp(config_v(c)->volume_backend, "auto"), "defaults apply: volume backend auto");
		config_free(c);
	} else {
		skip(5, "file did not load");
	}
	unlink(path);
	free(path);
}

static void test_missing(void)
{
	char why[512] = "";
	struct config *c = NULL;

	setenv("LETHE_CONFIG", "/nonexistent/lethe.conf", 1);
	ok(config_load(NULL, &c, why, sizeof(why)) == -ENOENT && strstr(why, "'/nonexistent/lethe.conf'"),
	   "LETHE_CONFIG is used and a missing file is named: %s", why);
}

int main(void)
{
	plan((int)(sizeof(bad_cases) / sizeof(bad_cases[0])) * 2 + 8);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char why[512] = "";
		struct config *c = NULL;
		char *path = write_tmp(bad_cases[i].text);
		int r = config_load(path, &c, why, sizeof(why));

		ok(r < 0 && c == NULL, "bad file %zu refused", i);
		ok(strncmp(why, path, strlen(path)) == 0 && strstr(why, bad_cases[i].want),
		   "error names file, line and key: %s", why);
		unlink(path);
		free(path);
	}
	test_good();
	test_missing();
	return tap_exit();
}
