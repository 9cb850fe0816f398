/*
 * util.h - small helpers every Lethe program shares.
 *
 * Conventions (STYLE.md): library functions return 0 or a negative errno and
 * never exit; the one exception is memory allocation, which either succeeds
 * or aborts the program (xmalloc and friends), as in Postfix.
 */
#ifndef LETHE_UTIL_H
#define LETHE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/types.h>

/* Exit statuses of every executable (s6 / skarnet convention). */
#define EXIT_OK        0
#define EXIT_PERMFAIL  100	/* will fail again: do not retry */
#define EXIT_TEMPFAIL  111	/* may succeed later: retry */
#define EXIT_USAGE     2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ownership transfer: returns *pp and sets it to NULL. */
static inline void *steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;

	*p = NULL;
	return v;
}

static inline void freep(void *pp) { free(*(void **)pp); }
#define _cleanup_free_ __attribute__((cleanup(freep)))

/* Parse a whole decimal string into [min, max]; -EINVAL or -ERANGE. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Durations: "90", "90s", "15m", "2h", "3d"; result in seconds. */
int parse_duration(const char *s, int64_t *secs);
/* Sizes: "512", "64k", "25M", "2G"; result in bytes. */
int parse_size(const char *s, int64_t *bytes);

/* The decimal text of v in buf, which any int64_t fits (with its sign and
 * NUL): a query's integer parameter.  Returns buf. */
#define I64S_MAX 24
char *i64s(int64_t v, char buf[I64S_MAX]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* The value of one hex digit (either case), -1 for any other character. */
int hex_digit(int c);
/* Decode exactly n bytes from 2n hex digits; -EINVAL otherwise. */
int hex_decode(const char *in, unsigned char *out, size_t n);

/*
 * Percent-decode n bytes of in (RFC 3986 2.1; with PCT_FORM also '+' as a
 * space, as www-form values are) into out, NUL-terminated within size
 * bytes.  The decoded length, or -EINVAL for a bad escape or a NUL byte
 * (raw or %00), -ENOBUFS when out is too small.
 */
#define PCT_FORM 1
ssize_t percent_decode(const char *in, size_t n, char *out, size_t size, int flags);

/* Read a whole file, refusing more than max bytes (-EFBIG). NUL-terminated. */
int read_file(const char *path, size_t max, char **out, size_t *len);
/* The same from an open descriptor, from where it is to its end. */
int read_fd(int fd, size_t max, char **out, size_t *len);
/*
 * Write data to path durably and atomically: into a temporary file beside
 * it (".NAME.tmp.PID", created with mode, chown'd to owner's uid and gid
 * unless owner is NULL), fsync'd, then renamed over path or, with
 * WRITE_EXCL, linked to it (-EEXIST when path exists), and the directory
 * fsync'd.  A reader sees the old file or the whole new one, never a part;
 * the temporary is gone whatever happens.  write_file_atomic is the plain
 * replace.
 */
#define WRITE_EXCL 1
struct stat;
int write_file_durable(const char *path, const void *data, size_t len, int mode, int flags,
		       const struct stat *owner);
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* write(2) all of data, through EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);
/* fsync the directory that holds path. */
int fsync_parent(const char *path);

/*
 * What every program answers before it reads anything: -h or --help among
 * its options (before a "--") prints usage ("usage: ..." lines) on standard
 * output, --version prints "NAME VERSION"; either exits 0.
 */
void std_options(int argc, char **argv, const char *usage);
/* Whether argv[1..argc) holds -h or --help before a "--". */
int wants_help(int argc, char **argv);

/*
 * A copy of text that is valid UTF-8 (bad bytes become '?'), without
 * control characters (they become spaces) and cut to at most max bytes on
 * a character boundary.
 */
char *text_clean(const char *text, size_t max);

/* Whether s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

int64_t now_usec(void);		/* CLOCK_REALTIME in microseconds */
int64_t mono_usec(void);	/* CLOCK_MONOTONIC in microseconds */

#endif
