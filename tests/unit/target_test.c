/*
 * target_test - lib/target: the clone_hosts allow-list, the schemes it
 * allows and the address ranges it refuses, table-driven; and a name that
 * resolves to loopback refused after resolution, an address pinned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"
#include "tap.h"
#include "util.h"

static struct target_list *list_of(const char *text)
{
	char path[] = "/tmp/lethe-target-test.XXXXXX", why[256];
	struct target_list *l = NULL;
	struct config *c = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	if (config_load(path, &c, why, sizeof(why)) < 0 || target_list_load(c, &l, why, sizeof(why)) < 0)
		diag("%s", why);
	config_free(c);
	unlink(path);
	return l;
}

static const struct {
	const char *url;
	int ok;			/* 0: allowed; else the refusal's words */
	const char *words;
} DEFAULTS[] = {
	{ "https://github.com/acme/app.git", 1, NULL },
	{ "https://GitLab.com:443/acme/app.git", 1, NULL },
	{ "https://bitbucket.org/acme/app", 1, NULL },
	{ "https://api.github.com/repos/acme/app", 1, NULL },	/* github_api_url's host */
	{ "http://github.com/acme/app.git", 0, "plain HTTP to 'github.com' is refused" },
	{ "https://example.com/x.git", 0, "host 'example.com' port 443 is not in clone_hosts" },
	{ "http://169.254.169.254/x", 0, "not in clone_hosts" },
	{ "https://10.0.0.1/x", 0, "not in clone_hosts" },
	{ "https://user:pw@github.com/x.git", 0, "no user" },
	{ "ftp://github.com/x.git", 0, "not an http(s) URL" },
	{ "https://github.com.evil.test/x", 0, "not in clone_hosts" },
};

static const struct {
	const char *url;
	int ok;
	const char *words;
} LISTED[] = {
	{ "http://127.0.0.1:8080/git/app.git", 1, NULL },	/* listed explicitly, http */
	{ "http://127.0.0.1:1/x.git", 0, "port 1 is not in clone_hosts" },
	{ "https://ghe.corp/acme/app.git", 1, NULL },
	{ "http://ghe.corp/acme/app.git", 0, "plain HTTP" },
	{ "https://github.com/acme/app.git", 0, "not in clone_hosts" },	/* the list replaces the defaults */
	{ "https://169.254.169.254/x", 0, "the cloud metadata address" },
	{ "https://10.0.0.1/x", 0, "a private address" },
	{ "https://[fd00:ec2::254]/x", 0, "the cloud metadata address" },
	{ "https://100.64.1.2/x", 0, "a carrier-grade NAT address" },
	{ "https://192.168.1.9:8443/x", 1, NULL },	/* listed explicitly */
	{ "http://[::1]:8080/x", 1, NULL },
};

static void table(struct target_list *l, const char *what, const char *url, int want_ok,
		  const char *words)
{
	char why[512] = "";
	struct target t;
	int r = target_check(l, url, &t, why, sizeof(why));

	if (want_ok)
		ok(r == 0, "%s: '%s' allowed (%s)", what, url, why);
	else
		ok(r == -EPERM && strstr(why, words), "%s: '%s' refused: %s", what, url, why);
}

int main(void)
{
	struct target_list *d = list_of("database = x\n");
	/* The API URLs' hosts are allowed, but not explicitly: their ranges count. */
	struct target_list *l = list_of("clone_hosts = http://127.0.0.1:8080, ghe.corp "
					"192.168.1.9:8443 http://[::1]:8080\n"
					"github_api_url = https://[fd00:ec2::254]/api/v3\n"
					"gitlab_api_url = https://169.254.169.254/api/v4\n"
					"bitbucket_api_url = https://100.64.1.2/2.0\n"
					"bitbucket_dc_api_url = https://10.0.0.1/rest\n");
	char why[512] = "", pin[TARGET_PIN_MAX] = "";
	struct target t;

	plan((int)(ARRAY_SIZE(DEFAULTS) + ARRAY_SIZE(LISTED)) + 5);
	if (!d || !l)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(DEFAULTS); i++)
		table(d, "defaults", DEFAULTS[i].url, DEFAULTS[i].ok, DEFAULTS[i].words);
	for (size_t i = 0; i < ARRAY_SIZE(LISTED); i++)
		table(l, "listed", LISTED[i].url, LISTED[i].ok, LISTED[i].words);
	ok(list_of("clone_hosts = https://x/path\n") == NULL, "an entry with a path is refused");

	/* localhost: on the list only through github_api_url, so not explicit. */
	target_list_free(l);
	l = list_of("clone_hosts = github.com\ngithub_api_url = https://localhost:4443/api/v3\n");
	ok(target_check(l, "https://localhost:4443/acme/app.git", &t, why, sizeof(why)) == 0 &&
	   !t.explicit, "an API URL's host is allowed, not explicitly (%s)", why);
	ok(target_pin(&t, pin, why, sizeof(why)) == -EPERM && strstr(why, "a loopback address"),
	   "and refused once it resolves to loopback: %s", why);
	target_list_free(l);
	l = list_of("clone_hosts = localhost:4443\n");
	ok(target_check(l, "https://localhost:4443/x.git", &t, why, sizeof(why)) == 0 && t.explicit,
	   "listed in clone_hosts, localhost is explicit");
	ok(target_pin(&t, pin, why, sizeof(why)) == 0 && (!strcmp(pin, "localhost:4443:127.0.0.1") || !strcmp(pin, "localhost:4443:[::1]")),
	   "and pinned to the address it resolved to: %s", pin);
	target_list_free(l);
	target_list_free(d);
	return tap_failed ? 1 : 0;
}
