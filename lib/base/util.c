/* util.c - allocation, parsing and file helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>

#include "util.h"

static void oom(void)
{
	static const char msg[] = "out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	/* strtoll would also take leading blanks and a '+': a whole number here is digits with an optional '-'. */
	if (!s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Split "123x" into number and a one-letter unit; no unit means unit 0. */
static int parse_unit(const char *s, int64_t *num, char *unit)
{
	char buf[32];
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	*unit = 0;
	if (buf[n - 1] < '0' || buf[n - 1] > '9') {
		*unit = buf[n - 1];
		buf[n - 1] = '\0';
	}
	return parse_i64(buf, 0, INT64_MAX / 1024 / 1024 / 1024 / 1024, num);
}

struct unit {
	char name;
	int64_t factor;
};

/* A number with an optional one-letter unit from units. */
static int parse_with_units(const char *s, const struct unit *units, size_t n, int64_t *out)
{
	int64_t v;
	char u;
	int r = parse_unit(s, &v, &u);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (units[i].name == u) {
			*out = v * units[i].factor;
			return 0;
		}
	return -EINVAL;
}

int parse_duration(const char *s, int64_t *secs)
{
	static const struct unit units[] = {
		{ 0, 1 }, { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};

	return parse_with_units(s, units, ARRAY_SIZE(units), secs);
}

int parse_size(const char *s, int64_t *bytes)
{
	static const struct unit units[] = {
		{ 0, 1 }, { 'k', 1 << 10 }, { 'K', 1 << 10 }, { 'M', 1 << 20 }, { 'G', 1 << 30 },
	};

	return parse_with_units(s, units, ARRAY_SIZE(units), bytes);
}

char *i64s(int64_t v, char buf[I64S_MAX])
{
	snprintf(buf, I64S_MAX, "%" PRId64, v);
	return buf;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, unsigned char *out, size_t n)
{
	if (strlen(in) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

ssize_t percent_decode(const char *in, size_t n, char *out, size_t size, int flags)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int hi = i + 2 < n ? hex_digit(in[i + 1]) : -1, lo = hi < 0 ? -1 : hex_digit(in[i + 2]);

			if (lo < 0)
				return -EINVAL;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+' && (flags & PCT_FORM)) {
			c = ' ';
		}
		if (c == 0)
			return -EINVAL;
		if (o + 1 >= size)
			return -ENOBUFS;
		out[o++] = (char)c;
	}
	if (size == 0)
		return -ENOBUFS;
	out[o] = '\0';
	return (ssize_t)o;
}

int read_fd(int fd, size_t max, char **out, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int r = 0;

	for (;;) {
		ssize_t k;

		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		k = read(fd, buf + n, cap - n - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			r = -EFBIG;
			goto out;
		}
	}
	buf[n] = '\0';
	*out = steal_pointer(&buf);
	if (len)
		*len = n;
out:
	free(buf);
	return r;
}

int read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0)
		return -errno;
	r = read_fd(fd, max, out, len);
	close(fd);
	return r;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

int fsync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int write_file_durable(const char *path, const void *data, size_t len, int mode, int flags,
		       const struct stat *owner)
{
	char *dir = xstrdup(path), *base = xstrdup(path);
	char *tmp = xasprintf("%s/.%s.tmp.%d", dirname(dir), basename(base), (int)getpid());
	int fd, r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, data, len);
	if (r == 0 && owner && fchown(fd, owner->st_uid, owner->st_gid) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && ((flags & WRITE_EXCL) ? link(tmp, path) : rename(tmp, path)) < 0)
		r = -errno;
	if (r < 0 || (flags & WRITE_EXCL))
		unlink(tmp);
	if (r == 0)
		r = fsync_parent(path);
out:
	free(tmp);
	free(dir);
	free(base);
	return r;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return write_file_durable(path, data, len, mode, 0, NULL);
}

static int64_t clock_usec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_usec(void) { return clock_usec(CLOCK_REALTIME); }
int64_t mono_usec(void) { return clock_usec(CLOCK_MONOTONIC); }

static int has_option(int argc, char **argv, const char *a, const char *b)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], a) || (b && !strcmp(argv[i], b)))
			return 1;
	return 0;
}

int wants_help(int argc, char **argv)
{
	return has_option(argc, argv, "-h", "--help");
}

void std_options(int argc, char **argv, const char *usage)
{
	const char *name = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
			   : argc > 0 ? argv[0] : "lethe";

	if (has_option(argc, argv, "--version", NULL)) {
		printf("%s %s\n", name, LETHE_VERSION);
		exit(EXIT_OK);
	}
	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		exit(EXIT_OK);
	}
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_seq(u + i, n - i)) == 0)
			return false;
	return true;
}

char *text_clean(const char *text, size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), o = 0;
	char *out = xmalloc((n < max ? n : max) + 1);

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i);

		if (o + (k ? k : 1) > max)
			break;
		if (k == 0)
			out[o++] = '?';
		else if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			out[o++] = ' ';
		else
			memcpy(out + o, s + i, k), o += k;
		i += k ? k : 1;
	}
	out[o] = '\0';
	return out;
}
