/*
 * clone_pin.c - libgit2's connections go to the address Lethe checked.
 *
 * git(1) fetches through libcurl, which takes the checked address as
 * http.curloptResolve (CURLOPT_RESOLVE).  libgit2 1.8 has its own HTTP
 * client and no option to resolve a host to a given address, but it lets a
 * program replace the socket under every connection
 * (git_stream_register(GIT_STREAM_STANDARD)); its TLS stream then runs over
 * that socket and still verifies the certificate against the URL's host.
 * The stream here connects to the pinned address when libgit2 asks for the
 * pinned host and port, and refuses any other host (redirects are refused
 * anyway), so a second DNS lookup never happens.
 */
#include "clone_int.h"

#ifdef CLONE_HAVE_LIBGIT2
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <git2/sys/errors.h>
#include <git2/sys/stream.h>

#include "util.h"

struct pin_stream {
	git_stream ps_parent;
	int ps_fd;
};

/* The one pin of this process's fetch (libgit2's registry is process-wide too). */
static struct {
	char host[256], port[8], addr[64];
} pin;

/* "host:port:address", the address possibly in brackets. */
static int pin_parse(const char *s)
{
	size_t len = strlen(s);
	const char *a = NULL, *p;

	if (len > 0 && s[len - 1] == ']')
		a = strrchr(s, '[');
	else if ((p = strrchr(s, ':')))
		a = p + 1;
	if (!a || a < s + 3 || a[-1] != ':' || !*a)
		return -EINVAL;
	for (p = a - 2; p > s && *p != ':'; p--)
		;
	if (p == s || (size_t)(p - s) >= sizeof(pin.host) || (size_t)(a - p - 2) >= sizeof(pin.port) ||
	    strlen(a) >= sizeof(pin.addr))
		return -EINVAL;
	snprintf(pin.host, sizeof(pin.host), "%.*s", (int)(p - s), s);
	snprintf(pin.port, sizeof(pin.port), "%.*s", (int)(a - p - 2), p + 1);
	snprintf(pin.addr, sizeof(pin.addr), "%.*s", (int)strlen(a) - (*a == '[' ? 2 : 0),
		 a + (*a == '['));
	return 0;
}

/* Connect fd to ai within ms milliseconds (0: the system's own limit). */
static int connect_within(int fd, const struct addrinfo *ai, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int err = 0, fl = fcntl(fd, F_GETFL);
	socklen_t len = sizeof(err);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS || poll(&pfd, 1, ms > 0 ? ms : -1) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			errno = err ? err : ETIMEDOUT;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, fl);
}

static int pin_connect(git_stream *st)
{
	struct pin_stream *ps = (struct pin_stream *)st;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct timeval tv = { st->timeout / 1000, (st->timeout % 1000) * 1000 };
	int r = getaddrinfo(pin.addr, pin.port, &hints, &ai);

	if (r != 0) {
		git_error_set_str(GIT_ERROR_NET, "the pinned address is not numeric");
		return -1;
	}
	ps->ps_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = ps->ps_fd < 0 || connect_within(ps->ps_fd, ai, st->connect_timeout) < 0 ||
	    (st->timeout > 0 && (setsockopt(ps->ps_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
				 setsockopt(ps->ps_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0));
	freeaddrinfo(ai);
	if (r) {
		git_error_set_str(GIT_ERROR_NET, "unable to connect to the pinned address");
		return -1;
	}
	return 0;
}

static ssize_t pin_read(git_stream *st, void *buf, size_t n)
{
	struct pin_stream *ps = (struct pin_stream *)st;
	ssize_t r;

	while ((r = recv(ps->ps_fd, buf, n, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		git_error_set_str(GIT_ERROR_NET, errno == EAGAIN ? "read timed out" : "read failed");
	return r;
}

static ssize_t pin_write(git_stream *st, const char *buf, size_t n, int flags)
{
	struct pin_stream *ps = (struct pin_stream *)st;
	ssize_t r;

	(void)flags;
	while ((r = send(ps->ps_fd, buf, n, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (r < 0)
		git_error_set_str(GIT_ERROR_NET, errno == EAGAIN ? "write timed out" : "write failed");
	return r;
}

static int pin_close(git_stream *st)
{
	struct pin_stream *ps = (struct pin_stream *)st;

	if (ps->ps_fd >= 0)
		close(ps->ps_fd);
	ps->ps_fd = -1;
	return 0;
}

static void pin_free(git_stream *st)
{
	pin_close(st);
	free(st);
}

static int pin_init(git_stream **out, const char *host, const char *port)
{
	struct pin_stream *ps;

	if (strcasecmp(host, pin.host) || strcmp(port, pin.port)) {
		git_error_set_str(GIT_ERROR_NET, "a connection to a host other than the checked one");
		return -1;
	}
	ps = xcalloc(1, sizeof(*ps));
	ps->ps_fd = -1;
	ps->ps_parent.version = GIT_STREAM_VERSION;
	ps->ps_parent.connect = pin_connect;
	ps->ps_parent.read = pin_read;
	ps->ps_parent.write = pin_write;
	ps->ps_parent.close = pin_close;
	ps->ps_parent.free = pin_free;
	*out = &ps->ps_parent;
	return 0;
}

int clone_pin_register(const char *spec)
{
	static git_stream_registration reg = { GIT_STREAM_VERSION, pin_init, NULL };

	if (!spec)
		return 0;
	if (pin_parse(spec) < 0)
		return -EINVAL;
	return git_stream_register(GIT_STREAM_STANDARD, &reg) < 0 ? -EIO : 0;
}

void clone_pin_unregister(void)
{
	git_stream_register(GIT_STREAM_STANDARD, NULL);
}
#else
/* libgit2 before 1.7: git(1) alone fetches, pinned through libcurl. */
typedef int clone_pin_unused;
#endif
