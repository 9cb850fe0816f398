/*
 * redact.c - replace credentials in outgoing text; see redact.h.
 */
#include <pthread.h>
#include <regex.h>
#include <string.h>

#include <openssl/crypto.h>

#include "redact.h"
#include "util.h"

static const char *const REDACT_RULES[] = {
	"(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}",	/* App tokens run to ~520 */
	"github_pat_[A-Za-z0-9_]{20,255}",
	"glpat-[A-Za-z0-9_-]{20,255}",
	"xox[abposr]-[A-Za-z0-9-]{10,255}",
	"(AKIA|ASIA)[A-Z0-9]{16}",
	"ATBB[A-Za-z0-9_=.-]{28,255}",
	"eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}",
	"-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=[:space:]]*(-----END [A-Z ]*PRIVATE KEY-----)?",
};

static regex_t redact_rx[ARRAY_SIZE(REDACT_RULES)];
static pthread_once_t redact_once = PTHREAD_ONCE_INIT;

static void redact_compile(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(REDACT_RULES); i++)
		if (regcomp(&redact_rx[i], REDACT_RULES[i], REG_EXTENDED) != 0)
			abort();	/* a constant pattern that does not compile is a bug */
}

/* Replace every match of rx in *s; returns how many. */
static int redact_one(char **s, const regex_t *rx)
{
	size_t mark = strlen(REDACT_MARK), off = 0;
	regmatch_t m;
	int n = 0;

	while (regexec(rx, *s + off, 1, &m, off ? REG_NOTBOL : 0) == 0 && m.rm_eo > m.rm_so) {
		size_t len = strlen(*s), so = off + (size_t)m.rm_so, eo = off + (size_t)m.rm_eo;
		char *t = xmalloc(len - (eo - so) + mark + 1);

		memcpy(t, *s, so);
		memcpy(t + so, REDACT_MARK, mark);
		memcpy(t + so + mark, *s + eo, len - eo + 1);
		explicit_bzero(*s, len);
		free(*s);
		*s = t;
		off = so + mark;
		n++;
	}
	return n;
}

char *redact_text(const char *text, int *count)
{
	char *s = xstrdup(text);
	int n = 0;

	pthread_once(&redact_once, redact_compile);
	for (size_t i = 0; i < ARRAY_SIZE(REDACT_RULES); i++)
		n += redact_one(&s, &redact_rx[i]);
	if (count)
		*count = n;
	return s;
}

int redact_userinfo(char *s)
{
	int n = 0;

	for (char *p = s; (p = strstr(p, "://")); ) {
		char *host = p + 3, *end = host + strcspn(host, "/?# \t\r\n\"'");
		char *at = memrchr(host, '@', (size_t)(end - host));

		if (at) {
			OPENSSL_cleanse(host, (size_t)(at + 1 - host));
			memmove(host, at + 1, strlen(at + 1) + 1);
			n++;
		}
		p = host;
	}
	return n;
}
