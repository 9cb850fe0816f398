/*
 * redact_test - credentials are taken out of outgoing text, the rest kept;
 * URLs lose their userinfo, the rest of them kept.
 */
#include <string.h>

#include "redact.h"
#include "tap.h"
#include "util.h"

static const struct {
	const char *in, *want;
	int count;
} CASES[] = {
	{ "nothing secret here, line 12", "nothing secret here, line 12", 0 },
	{ "token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked",
	  "token [redacted] leaked", 1 },
	{ "ghs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa and gho_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	  "[redacted] and [redacted]", 2 },
	{ "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz end",
	  "pat [redacted] end", 1 },
	{ "gitlab glpat-abcdefghij0123456789 x", "gitlab [redacted] x", 1 },
	{ "slack xoxb-1234567890-abcdefghij!", "slack [redacted]!", 1 },
	{ "aws AKIAIOSFODNN7EXAMPLE.", "aws [redacted].", 1 },
	{ "key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK=\n-----END RSA PRIVATE KEY----- done",
	  "key [redacted] done", 1 },
	{ "-----BEGIN PRIVATE KEY-----", "[redacted]", 1 },
	{ "ghp_short is not a token", "ghp_short is not a token", 0 },
	{ "AKIA lowercase akiaiosfodnn7example", "AKIA lowercase akiaiosfodnn7example", 0 },
};

static const struct {
	const char *in, *want;
	int count;
} URLS[] = {
	{ "@ https://user:tok3n@host.example/p.tar.gz", "@ https://host.example/p.tar.gz", 1 },
	{ "git+https://TOKEN@github.com/o/r.git#v1", "git+https://github.com/o/r.git#v1", 1 },
	{ "git+https://u:p@ss@h.example/r.git", "git+https://h.example/r.git", 1 },
	{ "https://registry.example/@scope/pkg/-/pkg-1.tgz", "https://registry.example/@scope/pkg/-/pkg-1.tgz", 0 },
	{ "a https://x:y@h1/ b git+ssh://git@h2:o/r", "a https://h1/ b git+ssh://h2:o/r", 2 },
	{ "https://h.example?u=a@b", "https://h.example?u=a@b", 0 },
	{ "no url, a@b.example", "no url, a@b.example", 0 },
	{ "://@", "://", 1 },
};

int main(void)
{
	plan((int)(ARRAY_SIZE(CASES) + ARRAY_SIZE(URLS)));
	for (size_t i = 0; i < ARRAY_SIZE(URLS); i++) {
		char *s = xstrdup(URLS[i].in);
		int n = redact_userinfo(s);

		ok(!strcmp(s, URLS[i].want) && n == URLS[i].count, "url %zu: '%s' (%d)", i, s, n);
		free(s);
	}
	for (size_t i = 0; i < ARRAY_SIZE(CASES); i++) {
		int n = -1;
		char *got = redact_text(CASES[i].in, &n);

		ok(!strcmp(got, CASES[i].want) && n == CASES[i].count,
		   "case %zu: '%s' (%d)", i, got, n);
		free(got);
	}
	return tap_exit();
}
