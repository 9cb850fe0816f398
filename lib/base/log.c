/* log.c - journald-aware logging to stderr and optionally a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "util.h"

static const char *log_ident = "lethe";
static const char *log_path;
static int log_journal;
static int log_verbose;
static _Thread_local int64_t log_ids[LOG_F__MAX];	/* each thread its own */

static const char *const field_journal[LOG_F__MAX] = {
	"LETHE_JOB", "LETHE_ORG", "LETHE_DELIVERY", "LETHE_REPO", "LETHE_CHECKOUT",
};
static const char *const field_plain[LOG_F__MAX] = {
	"job", "org", "delivery", "repo", "checkout",
};

/* True when systemd connected our stderr to the journal. */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(const char *ident)
{
	log_ident = ident;
	log_journal = stderr_is_journal();
}

void log_set_file(const char *path) { log_path = path; }
void log_set_verbose(int verbose) { log_verbose = verbose; }

void log_field(enum log_field f, int64_t id)
{
	if (f < LOG_F__MAX)
		log_ids[f] = id > 0 ? id : 0;
}

static void scrub_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static size_t plain_fields(char *buf, size_t cap)
{
	size_t n = 0;
	int any = 0;

	buf[0] = '\0';
	for (int f = 0; f < LOG_F__MAX && n < cap; f++) {
		if (!log_ids[f])
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s%s=%lld", any ? " " : " [",
				      field_plain[f], (long long)log_ids[f]);
		any = 1;
	}
	if (any && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "]");
	return n < cap ? n : cap - 1;
}

static void emit_journal(int prio, const char *msg)
{
	struct iovec iov[3 + LOG_F__MAX];
	char bufs[3 + LOG_F__MAX][96];
	char *m = xasprintf("MESSAGE=%s", msg);
	int n = 0;

	snprintf(bufs[n], sizeof(bufs[n]), "PRIORITY=%d", prio);
	iov[n].iov_base = bufs[n]; iov[n].iov_len = strlen(bufs[n]); n++;
	snprintf(bufs[n], sizeof(bufs[n]), "SYSLOG_IDENTIFIER=%s", log_ident);
	iov[n].iov_base = bufs[n]; iov[n].iov_len = strlen(bufs[n]); n++;
	iov[n].iov_base = m; iov[n].iov_len = strlen(m); n++;
	for (int f = 0; f < LOG_F__MAX; f++) {
		if (!log_ids[f])
			continue;
		snprintf(bufs[n], sizeof(bufs[n]), "%s=%lld", field_journal[f],
			 (long long)log_ids[f]);
		iov[n].iov_base = bufs[n]; iov[n].iov_len = strlen(bufs[n]); n++;
	}
	if (sd_journal_sendv(iov, n) < 0)
		fprintf(stderr, "<%d>%s\n", prio, msg);
	free(m);
}

static void emit_file(const char *line)
{
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd < 0)
		return;
	(void)!write(fd, line, strlen(line));
	close(fd);
}

static void log_vemit(int prio, int err, const char *fmt, va_list ap)
{
	char msg[2048], fields[256], line[2400];
	size_t n;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (err)
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err < 0 ? -err : err));
	scrub_controls(msg);
	plain_fields(fields, sizeof(fields));
	if (log_journal)
		emit_journal(prio, msg);
	else
		fprintf(stderr, "%s: %s%s\n", log_ident, msg, fields);
	if (log_path) {
		snprintf(line, sizeof(line), "%lld %s[%d] <%d> %s%s\n",
			 (long long)(now_usec() / 1000000), log_ident, (int)getpid(),
			 prio, msg, fields);
		emit_file(line);
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(prio, 0, fmt, ap);
	va_end(ap);
}

void log_errno(int prio, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(prio, err, fmt, ap);
	va_end(ap);
}

void fatal(int status, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_ERR, err, fmt, ap);
	va_end(ap);
	exit(status);
}

void fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(status);
}
