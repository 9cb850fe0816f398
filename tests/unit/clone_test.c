/*
 * clone_test.c - clone_fetch: option checks offline; with CLONE_TEST_URL,
 * CLONE_TEST_SHA (and CLONE_TEST_OLD_SHA, CLONE_TEST_BIG_URL,
 * CLONE_TEST_BIG_SHA) and
 * LETHE_GIT_TOKEN set (tests/t2004-scan-clone.sh does), real fetches from
 * the local git server.
 */
#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clone.h"
#include "util.h"
#include "tap.h"

static char scratch[] = "/tmp/clone-test.XXXXXX";
static const char *token;
static int token_seen;

static int scan_file(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char *data = NULL;
	size_t len;

	(void)st; (void)f;
	if (flag == FTW_F && read_file(p, 64 << 20, &data, &len) == 0 &&
	    memmem(data, len, token, strlen(token)))
		token_seen = 1;
	free(data);
	return 0;
}

static char *fresh_dir(const char *name)
{
	char *d = xasprintf("%s/%s", scratch, name);

	mkdir(d, 0700);
	return d;
}

static int fetch(const char *dir, const char *url, const char *sha, const char *tok,
		 int64_t max_size, char *why)
{
	struct clone_opts o = {
		.co_url = url, .co_sha = sha, .co_ref = NULL,
		.co_token = tok, .co_token_len = tok ? strlen(tok) : 0,
		.co_home = scratch, .co_timeout = 60, .co_max_size = max_size,
	};

	return clone_fetch(dir, &o, why, 256);
}

static void offline(void)
{
	char why[256];
	char *d = fresh_dir("offline");
	int r;

	r = fetch(d, "file:///etc", "0123456789012345678901234567890123456789", NULL, 1 << 20, why);
	ok(r == -EINVAL && strstr(why, "https"), "file:// url refused (%d: %s)", r, why);
	r = fetch(d, "http://127.0.0.1:1/x.git", "abc123", NULL, 1 << 20, why);
	ok(r == -EINVAL && strstr(why, "sha-1"), "short sha refused (%d: %s)", r, why);
	r = fetch(d, "http://127.0.0.1:1/x.git", "0123456789012345678901234567890123456789",
		  NULL, 1 << 20, why);
	ok(r == -EIO && clone_error_temporary(r), "unreachable server is temporary (%d: %s)", r, why);
	free(d);
}

static void online(const char *url, const char *sha)
{
	char why[256], *cfg = NULL, *head = NULL, *d;
	size_t len;
	int r;

	d = fresh_dir("good");
	r = fetch(d, url, sha, token, 64 << 20, why);
	ok(r == 0, "fetch of the commit succeeds (%d: %s)", r, r ? why : "");
	char *hp = xasprintf("%s/.git/HEAD", d), *cp = xasprintf("%s/.git/config", d);
	ok(read_file(hp, 4096, &head, &len) == 0 && !strncmp(head, sha, 40), "HEAD is the commit");
	ok(read_file(cp, 65536, &cfg, &len) == 0 && !strstr(cfg, "[remote") && !strstr(cfg, "url"),
	   ".git/config names no remote");
	nftw(d, scan_file, 16, FTW_PHYS);
	ok(!token_seen, "the token is in no file of the checkout");
	free(hp); free(cp); free(cfg); free(head); free(d);

	d = fresh_dir("badtoken");
	r = fetch(d, url, sha, "not-the-token", 64 << 20, why);
	ok(r == -EACCES && !clone_error_temporary(r), "a refused token is permanent (%d: %s)", r, why);
	free(d);

	d = fresh_dir("nosha");
	r = fetch(d, url, "1111111111111111111111111111111111111111", token, 64 << 20, why);
	ok(r == -ENOENT, "a commit the server lacks is not found (%d: %s)", r, why);
	free(d);
}

/* A commit older than the branch tip (protocol v2 serves any reachable one). */
static void older(const char *url, const char *sha)
{
	char why[256], *d = fresh_dir("older");
	int r;

	r = fetch(d, url, sha, token, 64 << 20, why);
	ok(r == 0, "a commit below the tip is fetched alone (%d: %s)", r, r ? why : "");
	free(d);
}

static void too_big(const char *url, const char *sha)
{
	char why[256], *d = fresh_dir("big");
	int r;

	r = fetch(d, url, sha, token, 1 << 20, why);
	ok(r == -EFBIG && !clone_error_temporary(r), "a repository over the size limit is refused (%d: %s)",
	   r, why);
	free(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

int main(void)
{
	const char *url = getenv("CLONE_TEST_URL"), *sha = getenv("CLONE_TEST_SHA");
	const char *big = getenv("CLONE_TEST_BIG_URL"), *bigsha = getenv("CLONE_TEST_BIG_SHA");
	const char *old = getenv("CLONE_TEST_OLD_SHA");

	token = getenv("LETHE_GIT_TOKEN");
	if (!mkdtemp(scratch))
		return 1;
	plan(11);
	offline();
	if (url && sha && token)
		online(url, sha);
	else
		skip(6, "CLONE_TEST_URL, CLONE_TEST_SHA or LETHE_GIT_TOKEN not set");
	if (url && old && token)
		older(url, old);
	else
		skip(1, "CLONE_TEST_OLD_SHA not set");
	if (big && bigsha && token)
		too_big(big, bigsha);
	else
		skip(1, "CLONE_TEST_BIG_URL or CLONE_TEST_BIG_SHA not set");
	nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_failed ? 1 : 0;
}
