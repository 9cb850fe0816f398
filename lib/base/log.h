/*
 * log.h - logging for every Lethe executable.
 *
 * Under systemd (JOURNAL_STREAM names our stderr) lines go to the journal
 * with structured fields (LETHE_JOB=, LETHE_ORG=, ...) so that
 * `journalctl LETHE_JOB=42` works; otherwise to stderr as
 * "ident: message [job=42]".  With log_file set, lines are also appended to
 * that file, reopened for every line so that rotation never loses one.
 *
 * Library code logs at debug only; executables decide and log once.
 * Messages: lowercase, what failed and then why, ids but never bodies,
 * secrets or code.  Control characters in messages are replaced by '?'.
 */
#ifndef LETHE_LOG_H
#define LETHE_LOG_H

#include <stdint.h>
#include <syslog.h>

void log_init(const char *ident);
void log_set_file(const char *path);	/* NULL: no file */
void log_set_verbose(int verbose);	/* show LOG_DEBUG */

/* Context fields attached to every following line; value NULL clears. */
enum log_field { LOG_F_JOB, LOG_F_ORG, LOG_F_DELIVERY, LOG_F_REPO,
		 LOG_F_CHECKOUT, LOG_F__MAX };
void log_field(enum log_field f, int64_t id);	/* id <= 0 clears */

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends ": strerror(err)"; err may be positive or negative. */
void log_errno(int prio, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_err(...)     log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log at LOG_ERR and exit(status); fatal() adds strerror(errno). */
void fatal(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void fatalx(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

#endif
