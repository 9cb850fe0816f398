/*
 * lethe-fetch - one depth-1 fetch of a repository (clone.h's clone_fetch),
 * by a process that can reach nothing else.  lethe-scan and lethe-fix start
 * it (lib/scan/fetch.c) as fetch_user, with no capabilities and no new
 * privileges; it refuses to run as root, then gives up more on itself:
 *   - it cannot be dumped or traced by its own uid (another fetch);
 *   - Landlock, where the kernel has it: it may read and execute the
 *     system's files (/usr, /etc, /lib*, /bin, /sbin, /proc, /sys and four
 *     devices) and change only DIR and its --home; it may connect over TCP
 *     to the clone URL's port alone and bind none (kernel ABI 4); it may not
 *     signal or reach an abstract socket of a process outside (ABI 6);
 *   - seccomp: no ptrace, keyring, bpf, mount, namespaces or module loads.
 * The token, when there is one, is its standard input (--token-stdin).
 * With --push BRANCH it pushes an approved fix instead (fixpush.h's
 * fixpush_run, with lethe-fix's write token): its standard input is then
 * "TOKEN PATCH MESSAGE\n", the three lengths, followed by the three.  On
 * failure it writes "ERRNO WHY" (one line, never git's output, the token
 * or the patch) on standard output and exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clone.h"
#include "confine.h"
#include "crypto.h"
#include "fixpush.h"
#include "util.h"

#define USAGE "usage: lethe-fetch --url URL --sha SHA [--ref REF] [--pin PIN] " \
	"[--auth basic|bearer] [--method auto|libgit2|git] --home DIR --timeout SECS " \
	"--max-size BYTES [--token-stdin | --push BRANCH [--name NAME] [--email ADDRESS]] DIR\n"
#define TOKEN_MAX 16384
#define PATCH_MAX (4 << 20)	/* fix_max_patch's bound */

static const char *const system_read[] = {
	"/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin", "/proc", "/sys", "/dev/urandom",
	"/dev/random", "/dev/zero", NULL,
};

/* The URL's TCP port: its own, else its scheme's; 0 when it has none. */
static int url_port(const char *url)
{
	const char *host = strstr(url, "://"), *end, *colon;
	int64_t port;

	if (!host)
		return 0;
	host += 3;
	end = host + strcspn(host, "/?#");
	colon = *host == '[' ? memchr(host, ']', (size_t)(end - host)) : host;
	colon = colon ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
	if (colon) {
		char *num = xstrndup(colon + 1, (size_t)(end - colon - 1));
		int r = parse_i64(num, 1, 65535, &port);

		free(num);
		return r < 0 ? 0 : (int)port;
	}
	return !strncmp(url, "https:", 6) ? 443 : !strncmp(url, "http:", 5) ? 80 : 0;
}

static void __attribute__((noreturn)) usage(void)
{
	fputs(USAGE, stderr);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn)) fail(const char *what, int err)
{
	fprintf(stderr, "lethe-fetch: %s: %s\n", what, strerror(-err));
	exit(EXIT_TEMPFAIL);
}

static void options(int argc, char **argv, struct clone_opts *o, struct fixpush_opts *push,
		    int *token, const char **dir)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' }, { "sha", required_argument, NULL, 's' },
		{ "ref", required_argument, NULL, 'r' }, { "pin", required_argument, NULL, 'p' },
		{ "auth", required_argument, NULL, 'a' }, { "method", required_argument, NULL, 'm' },
		{ "home", required_argument, NULL, 'h' }, { "timeout", required_argument, NULL, 't' },
		{ "max-size", required_argument, NULL, 'z' },
		{ "token-stdin", no_argument, NULL, 'k' }, { "push", required_argument, NULL, 'P' },
		{ "name", required_argument, NULL, 'n' }, { "email", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;

	std_options(argc, argv, USAGE);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': o->co_url = optarg; break;
		case 's': o->co_sha = optarg; break;
		case 'r': o->co_ref = optarg; break;
		case 'p': o->co_pin = optarg; break;
		case 'h': o->co_home = optarg; break;
		case 'k': *token = 1; break;
		case 'P': push->fp_branch = optarg; break;
		case 'n': push->fp_name = optarg; break;
		case 'e': push->fp_email = optarg; break;
		case 'a':
			bad |= strcmp(optarg, "basic") && strcmp(optarg, "bearer");
			o->co_auth = !strcmp(optarg, "bearer") ? CLONE_AUTH_BEARER : CLONE_AUTH_BASIC;
			break;
		case 'm': bad |= clone_method_parse(optarg, &o->co_method) < 0; break;
		case 't': bad |= parse_i64(optarg, 1, 86400, &o->co_timeout) < 0; break;
		case 'z': bad |= parse_i64(optarg, 1, INT64_MAX, &o->co_max_size) < 0; break;
		default: usage();
		}
	}
	if (bad || optind != argc - 1 || !o->co_url || !o->co_sha || !o->co_home ||
	    !o->co_timeout || !o->co_max_size || (push->fp_branch && *token) ||
	    (!push->fp_branch && (push->fp_name || push->fp_email)))
		usage();
	*dir = argv[optind];
}

/* Everything this process may still do, given up before the first byte from the network. */
static void confine(const char *dir, const struct clone_opts *o)
{
	const char *const rw[] = { dir, o->co_home, "/dev/null", NULL };
	struct confine_paths p = { .cp_read = system_read, .cp_write = rw,
				   .cp_tcp_port = url_port(o->co_url) };
	int r;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("unable to make the process undumpable", -errno);
	r = confine_landlock(&p);
	if (r == -ENOSYS)
		fputs("lethe-fetch: the kernel has no Landlock: the fetch is confined by its "
		      "user, seccomp and the caller's limits alone\n", stderr);
	else if (r < 0)
		fail("unable to apply Landlock", r);
	r = confine_seccomp_load();
	if (r < 0)
		fail("unable to load the seccomp filter", r);
}

/* Standard input into buf (max bytes, locked); returns its length. */
static size_t stdin_read(struct secbuf *buf, size_t max, const char *what)
{
	size_t got = 0;
	ssize_t n;

	if (secbuf_alloc(buf, max) < 0)
		fail("unable to lock memory for standard input", -ENOMEM);
	while (got < max && (n = read(STDIN_FILENO, buf->data + got, max - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("unable to read standard input", -errno);
		got += (size_t)n;
	}
	if (got == 0 || got == max) {
		char *msg = xasprintf("%s on standard input is empty or too long", what);

		fail(msg, -EINVAL);
	}
	return got;
}

/* The push's token, patch and message, framed as the header says, out of buf. */
static void push_input(struct secbuf *buf, struct clone_opts *o, struct fixpush_opts *push)
{
	size_t got = stdin_read(buf, 64 + TOKEN_MAX + PATCH_MAX + FIXPUSH_MESSAGE_MAX,
				"the push's input");
	char *data = (char *)buf->data, *nl = memchr(data, '\n', got < 64 ? got : 64);
	size_t tok, patch, msg;

	if (!nl || sscanf(data, "%zu %zu %zu\n", &tok, &patch, &msg) != 3 || !tok ||
	    tok >= TOKEN_MAX || !patch || patch > PATCH_MAX || !msg || msg > FIXPUSH_MESSAGE_MAX ||
	    (size_t)(nl + 1 - data) + tok + patch + msg != got) {
		fail("the push's input is not TOKEN PATCH MESSAGE as its header says", -EINVAL);
	}
	o->co_token = nl + 1;
	o->co_token_len = tok;
	push->fp_patch = nl + 1 + tok;
	push->fp_patch_len = patch;
	/* a string of its own: fixpush_run reads the message up to its NUL */
	push->fp_message = xstrndup(nl + 1 + tok + patch, msg);
}

static int push(const char *dir, const struct clone_opts *o, struct fixpush_opts *po,
		char *why, size_t whylen)
{
	po->fp_dir = dir;
	po->fp_url = o->co_url;
	po->fp_sha = o->co_sha;
	po->fp_ref = o->co_ref;
	po->fp_token = o->co_token;
	po->fp_token_len = o->co_token_len;
	po->fp_auth = o->co_auth;
	po->fp_home = o->co_home;
	po->fp_timeout = o->co_timeout;
	po->fp_max_size = o->co_max_size;
	po->fp_pin = o->co_pin;
	return fixpush_run(po, why, whylen);
}

int main(int argc, char **argv)
{
	struct clone_opts o = { .co_method = CLONE_METHOD_AUTO };
	struct fixpush_opts po = { 0 };
	struct secbuf tok = { 0 };
	const char *dir = NULL;
	char why[256] = "";
	int token = 0, r;

	options(argc, argv, &o, &po, &token, &dir);
	if (getuid() == 0 || geteuid() == 0) {
		fputs("lethe-fetch: refusing to run as root\n", stderr);
		return EXIT_PERMFAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	confine(dir, &o);
	if (po.fp_branch) {
		push_input(&tok, &o, &po);
	} else if (token) {
		o.co_token_len = stdin_read(&tok, TOKEN_MAX, "the token");
		o.co_token = (const char *)tok.data;
	}
	if (po.fp_branch)
		r = push(dir, &o, &po, why, sizeof(why));
	else
		r = clone_fetch(dir, &o, why, sizeof(why));
	free((char *)po.fp_message);
	secbuf_release(&tok);
	if (r == 0)
		return 0;
	printf("%d %s\n", -r, why);
	return 1;
}
