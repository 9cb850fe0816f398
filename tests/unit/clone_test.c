/*
 * clone_test.c - clone_fetch: option checks offline; a silent server for
 * the time limit; with CLONE_TEST_URL, CLONE_TEST_SHA, CLONE_TEST_OLD_SHA,
 * CLONE_TEST_PLAIN_URL, CLONE_TEST_PLAIN_SHA, CLONE_TEST_BIG_URL,
 * CLONE_TEST_BIG_SHA, CLONE_TEST_ZEROS_URL, CLONE_TEST_ZEROS_SHA and
 * CLONE_TEST_TOKEN_FILE set (tests/t2004-scan-clone.sh does), real fetches
 * from the local git server, and with CLONE_TEST_BEARER_URL (CLONE_TEST_URL's
 * repository where the server takes "Authorization: Bearer TOKEN" alone)
 * the Bearer scheme against both.  CLONE_TEST_METHOD (git, libgit2 or auto)
 * picks the fetch; libgit2 in a build without it skips.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clone.h"
#include "util.h"
#include "tap.h"

static char scratch[] = "/tmp/clone-test.XXXXXX";
static char *token;
static enum clone_method method;
static enum clone_auth auth;	/* how fetch_ref sends the token */
static int token_seen;

static int has_token(const char *path)
{
	char *data = NULL;
	size_t len;
	int seen = 0;

	if (read_file(path, 64 << 20, &data, &len) == 0)
		seen = memmem(data, len, token, strlen(token)) != NULL;
	free(data);
	return seen;
}

static int scan_file(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)f;
	if (flag == FTW_F && has_token(p))
		token_seen = 1;
	return 0;
}

static char *fresh_dir(const char *name)
{
	char *d = xasprintf("%s/%s", scratch, name);

	mkdir(d, 0700);
	return d;
}

static int fetch_ref(const char *dir, const char *url, const char *sha, const char *ref,
		     const char *tok, int64_t max_size, int64_t timeout, char *why)
{
	struct clone_opts o = {
		.co_url = url, .co_sha = sha, .co_ref = ref,
		.co_token = tok, .co_token_len = tok ? strlen(tok) : 0, .co_auth = auth,
		.co_home = scratch, .co_timeout = timeout, .co_max_size = max_size,
		.co_method = method,
	};

	return clone_fetch(dir, &o, why, 256);
}

static int fetch(const char *dir, const char *url, const char *sha, const char *tok,
		 int64_t max_size, char *why)
{
	return fetch_ref(dir, url, sha, NULL, tok, max_size, 60, why);
}

/* Processes this test starts while a fetch runs, and the token in their argv. */
static struct watch {
	pthread_t w_thread;
	atomic_int w_stop;
	int w_children, w_in_argv;
} watch;

static void watch_tree(pid_t pid, int depth)
{
	char *p = xasprintf("/proc/%d/task/%d/children", pid, pid), *kids = NULL, *s, *save = NULL;
	size_t len;

	if (depth < 8 && read_file(p, 65536, &kids, &len) == 0)
		for (s = strtok_r(kids, " \n", &save); s; s = strtok_r(NULL, " \n", &save)) {
			char *cmd = xasprintf("/proc/%s/cmdline", s);

			watch.w_children++;
			watch.w_in_argv |= has_token(cmd);
			free(cmd);
			watch_tree(atoi(s), depth + 1);
		}
	free(kids);
	free(p);
}

static void *watch_run(void *arg)
{
	(void)arg;
	while (!atomic_load(&watch.w_stop)) {
		watch_tree(getpid(), 0);
		usleep(1000);
	}
	return NULL;
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
	auth = CLONE_AUTH_BEARER;
	r = fetch(d, "http://127.0.0.1:1/x.git", "0123456789012345678901234567890123456789",
		  "tok\r\nX-Injected: 1", 1 << 20, why);
	auth = CLONE_AUTH_BASIC;
	ok(r == -EINVAL && strstr(why, "bearer"), "a bearer token holding CR LF is refused (%d: %s)",
	   r, why);
	free(d);
	ok(!strcmp(clone_method_name(&(struct clone_opts){ .co_method = CLONE_METHOD_AUTO,
							   .co_auth = CLONE_AUTH_BEARER }), "git"),
	   "auto leaves a Bearer token to git");
	ok(!strcmp(clone_method_name(&(struct clone_opts){ .co_method = CLONE_METHOD_AUTO }),
		   clone_has_libgit2() ? "libgit2" : "git"), "auto fetches Basic in process where it can");
}

/* A server that accepts connections and never answers: the time limit. */
static void silent(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;
	char why[256], *url, *d = fresh_dir("silent");
	int64_t t0;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) < 0) {
		skip(1, "no loopback listener");
		goto out;
	}
	url = xasprintf("http://127.0.0.1:%d/x.git", ntohs(a.sin_port));
	t0 = mono_usec();
	r = fetch_ref(d, url, "0123456789012345678901234567890123456789", NULL, NULL, 1 << 20, 2, why);
	t0 = (mono_usec() - t0) / 1000;
	ok(r == -ETIMEDOUT && clone_error_temporary(r) && t0 < 10000,
	   "a server that never answers hits clone_timeout (%d: %s, %lld ms)", r, why, (long long)t0);
	free(url);
out:
	if (s >= 0)
		close(s);
	free(d);
}

static void good(const char *name, const char *url, const char *sha)
{
	char why[256], *cfg = NULL, *head = NULL, *d = fresh_dir(name);
	char *hp = xasprintf("%s/.git/HEAD", d), *cp = xasprintf("%s/.git/config", d);
	size_t len;
	int r;

	token_seen = watch.w_children = watch.w_in_argv = 0;
	atomic_store(&watch.w_stop, 0);
	pthread_create(&watch.w_thread, NULL, watch_run, NULL);
	r = fetch(d, url, sha, token, 64 << 20, why);
	atomic_store(&watch.w_stop, 1);
	pthread_join(watch.w_thread, NULL);
	ok(r == 0, "fetch of the commit succeeds (%d: %s)", r, r ? why : "");
	ok(read_file(hp, 4096, &head, &len) == 0 && !strncmp(head, sha, 40), "HEAD is the commit");
	ok(read_file(cp, 65536, &cfg, &len) == 0 && !strstr(cfg, "[remote") && !strstr(cfg, "url"),
	   ".git/config names no remote");
	nftw(d, scan_file, 16, FTW_PHYS);
	ok(!token_seen, "the token is in no file of the checkout");
	ok(!watch.w_in_argv && !has_token("/proc/self/cmdline"),
	   "the token is in no process's argv (%d sightings of child processes)", watch.w_children);
	if (method == CLONE_METHOD_GIT)
		skip(1, "git(1) gets the token through the fetch process's environment");
	else
		ok(watch.w_children == 0 && !has_token("/proc/self/environ"),
		   "libgit2 starts no process and the token is in no environment (%d sightings)",
		   watch.w_children);
	free(hp); free(cp); free(cfg); free(head); free(d);
}

static void refused(const char *url, const char *sha)
{
	char why[256], *d = fresh_dir("badtoken");
	int r;

	r = fetch(d, url, sha, "not-the-token", 64 << 20, why);
	ok(r == -EACCES && !clone_error_temporary(r) && strstr(why, "authentication refused"),
	   "a refused token is a permanent error (%d: %s)", r, why);
	free(d);
	d = fresh_dir("nosha");
	r = fetch(d, url, "1111111111111111111111111111111111111111", token, 64 << 20, why);
	ok(r == -ENOENT && !clone_error_temporary(r), "a commit the server lacks is not found (%d: %s)",
	   r, why);
	free(d);
}

/* A commit below the branch tip, fetched alone: depth 1, one commit. */
static void older(const char *url, const char *sha)
{
	char why[256], *d = fresh_dir("older"), *shallow = xasprintf("%s/.git/shallow", d);
	char *data = NULL;
	size_t len;
	int r;

	r = fetch(d, url, sha, token, 64 << 20, why);
	ok(r == 0, "a commit below the tip is fetched alone (%d: %s)", r, r ? why : "");
	ok(read_file(shallow, 4096, &data, &len) == 0 && len == 41 && !strncmp(data, sha, 40),
	   "the checkout is shallow at the commit");
	free(data); free(shallow); free(d);
}

/*
 * A server that serves no bare commit over protocol v0: the ref's tip is
 * fetched instead; a commit below it is refused (git(1) speaks protocol v2,
 * which serves it).
 */
/*
 * co_pin: the fetch connects to the pinned address, never to what the name
 * resolves to.  The stack listens on 127.0.0.1 only, so a pin to 127.0.0.2
 * (loopback too, nobody there) fails, and a pin to 127.0.0.1 works.
 */
static void pinned(const char *url, const char *sha)
{
	const char *hp = strstr(url, "://") + 3;
	char why[256], *d = fresh_dir("pin-good"), *good, *bad;
	struct clone_opts o = {
		.co_url = url, .co_sha = sha, .co_token = token, .co_token_len = strlen(token),
		.co_auth = auth, .co_home = scratch, .co_timeout = 60, .co_max_size = 64 << 20,
		.co_method = method,
	};
	int r;

	good = xasprintf("%.*s:127.0.0.1", (int)strcspn(hp, "/"), hp);
	bad = xasprintf("%.*s:127.0.0.2", (int)strcspn(hp, "/"), hp);
	o.co_pin = good;
	r = clone_fetch(d, &o, why, sizeof(why));
	ok(r == 0, "pinned to the address the name has, the fetch succeeds (%d: %s)", r, r ? why : "");
	free(d);
	d = fresh_dir("pin-bad");
	o.co_pin = bad;
	r = clone_fetch(d, &o, why, sizeof(why));
	ok(r == -EIO, "pinned to another address, the fetch goes there and fails (%d: %s)", r, why);
	free(d);
	free(good);
	free(bad);
}

static void plain(const char *url, const char *tip, const char *old)
{
	char why[256], *d = fresh_dir("plain-tip");
	int r;

	r = fetch_ref(d, url, tip, "refs/heads/main", token, 64 << 20, 60, why);
	ok(r == 0, "the tip is fetched through its ref (%d: %s)", r, r ? why : "");
	free(d);
	d = fresh_dir("plain-old");
	r = fetch_ref(d, url, old, "refs/heads/main", token, 64 << 20, 60, why);
	if (method == CLONE_METHOD_GIT)
		ok(r == 0, "git(1) fetches a commit below the tip by protocol v2 (%d: %s)", r,
		   r ? why : "");
	else
		ok(r == -EPROTO && !clone_error_temporary(r),
		   "a commit that is not the ref's tip is refused (%d: %s)", r, why);
	free(d);
}

static void too_big(const char *url, const char *sha, const char *zurl, const char *zsha)
{
	char why[256], *d = fresh_dir("big");
	int r;

	r = fetch(d, url, sha, token, 1 << 20, why);
	ok(r == -EFBIG && !clone_error_temporary(r), "a repository over the size limit is refused (%d: %s)",
	   r, why);
	free(d);
	/* A few kilobytes on the wire that check out to 8 MB. */
	d = fresh_dir("zeros");
	r = fetch(d, zurl, zsha, token, 1 << 20, why);
	ok(r == -EFBIG, "a small pack that checks out over the size limit is refused (%d: %s)", r, why);
	free(d);
}

/*
 * Bitbucket Data Center's scheme: a server that takes Bearer alone serves
 * it and refuses a wrong token; each server refuses the other's scheme.
 */
static void bearer(const char *burl, const char *url, const char *sha)
{
	char why[256], *d;
	int r;

	auth = CLONE_AUTH_BEARER;
	good("bearer", burl, sha);
	d = fresh_dir("bearer-bad");
	r = fetch(d, burl, sha, "not-the-token", 64 << 20, why);
	ok(r == -EACCES && !clone_error_temporary(r) && strstr(why, "authentication refused"),
	   "a refused bearer token is a permanent error (%d: %s)", r, why);
	free(d);
	d = fresh_dir("bearer-on-basic");
	r = fetch(d, url, sha, token, 64 << 20, why);
	ok(r == -EACCES && strstr(why, "authentication refused"),
	   "the basic-only server refuses the token as bearer (%d: %s)", r, why);
	free(d);
	auth = CLONE_AUTH_BASIC;
	d = fresh_dir("basic-on-bearer");
	r = fetch(d, burl, sha, token, 64 << 20, why);
	ok(r == -EACCES && strstr(why, "authentication refused"),
	   "the bearer-only server refuses the token as basic (%d: %s)", r, why);
	free(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static int setup(void)
{
	const char *m = getenv("CLONE_TEST_METHOD"), *tf = getenv("CLONE_TEST_TOKEN_FILE");
	size_t len;

	if (clone_method_parse(m ? m : "auto", &method) == -EINVAL) {
		printf("Bail out! CLONE_TEST_METHOD '%s' is none of auto, libgit2, git\n", m);
		return -EINVAL;
	}
	if (tf && read_file(tf, 4096, &token, &len) == 0)
		token[strcspn(token, "\n")] = '\0';
	return mkdtemp(scratch) ? 0 : -errno;
}

int main(void)
{
	const char *url = getenv("CLONE_TEST_URL"), *sha = getenv("CLONE_TEST_SHA");
	const char *big = getenv("CLONE_TEST_BIG_URL"), *bigsha = getenv("CLONE_TEST_BIG_SHA");
	const char *old = getenv("CLONE_TEST_OLD_SHA"), *purl = getenv("CLONE_TEST_PLAIN_URL");
	const char *psha = getenv("CLONE_TEST_PLAIN_SHA"), *zurl = getenv("CLONE_TEST_ZEROS_URL");
	const char *zsha = getenv("CLONE_TEST_ZEROS_SHA"), *burl = getenv("CLONE_TEST_BEARER_URL");
	int online = url && sha && old && purl && psha && big && bigsha && zurl && zsha;

	if (setup() < 0)
		return 1;
	plan(32);
	if (method == CLONE_METHOD_LIBGIT2 && !clone_has_libgit2()) {
		skip(32, "this build has no in-process fetch (libgit2 before 1.7)");
		goto out;
	}
	diag("fetch through %s", clone_method_name(&(struct clone_opts){ .co_method = method }));
	offline();
	silent();
	if (online && token) {
		good("good", url, sha);
		refused(url, sha);
		older(url, old);
		plain(purl, psha, old);
		pinned(url, sha);
		too_big(big, bigsha, zurl, zsha);
		if (burl)
			bearer(burl, url, sha);
		else
			skip(9, "CLONE_TEST_BEARER_URL not set");
	} else {
		skip(25, "CLONE_TEST_* (urls, commits, token file) not set");
	}
out:
	nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(token);
	return tap_failed ? 1 : 0;
}
