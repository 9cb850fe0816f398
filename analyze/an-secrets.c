/*
 * an-secrets.c - credentials committed to the repository.
 *
 * Every file (up to SECRET_FILE_MAX bytes, not binary) is read line by
 * line against the rules below; a match names the rule, the path and the
 * line, and carries "lethe/secret-sha256", the SHA-256 of the secret.
 * No key enters the sandbox: lethe-scan replaces that digest with the
 * HMAC-SHA256 of it under the org's secret hash key before anything is
 * stored (lib/secret/secrethash.h), so that one leaked secret is recognised
 * across files and scans of an org, and only there.  The secret itself
 * never leaves this file: it is hashed and cleansed, and the result's
 * fingerprint is derived from the digest, not from the line.
 *
 * False-positive guard: lock files are not read; paths under test,
 * fixture, example or documentation directories are skipped; values that
 * look like placeholders (EXAMPLE, xxxx, changeme, <...>, ${...}) are
 * ignored; the generic rule also wants enough entropy.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "an.h"
#include "util.h"

#define TOOL "lethe-secrets"
#define SECRET_FILE_MAX (2u << 20)
#define SECRET_MAX 4096		/* bytes of one secret (a PEM key body) */
#define PEM_LINES_MAX 200
#define GENERIC_ENTROPY 3.0	/* bits per character */

struct rule {
	const char *id, *message;
	const char *re;
	int group;		/* the capture group holding the secret */
	bool icase, generic;
	regex_t rx;
};

static struct rule rules[] = {
	{ "secrets/aws-access-key-id", "AWS access key id",
	  "(^|[^A-Z0-9])((AKIA|ASIA)[A-Z0-9]{16})([^A-Z0-9]|$)", 2, false, false, { 0 } },
	{ "secrets/aws-secret-access-key", "AWS secret access key",
	  "aws_?secret_?access_?key[\"']?[[:space:]]{0,8}[:=][[:space:]]{0,8}[\"']?([A-Za-z0-9/+]{40})([^A-Za-z0-9/+]|$)",
	  1, true, false, { 0 } },
	{ "secrets/gcp-api-key", "Google Cloud API key",
	  "(AIza[0-9A-Za-z_-]{35})", 1, false, false, { 0 } },
	{ "secrets/github-token", "GitHub token",
	  "((ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})", 1, false, false, { 0 } },
	{ "secrets/gitlab-token", "GitLab personal access token",
	  "(glpat-[A-Za-z0-9_-]{20})", 1, false, false, { 0 } },
	{ "secrets/bitbucket-token", "Bitbucket app password or Atlassian API token",
	  "(ATBB[A-Za-z0-9_=.-]{28,200})", 1, false, false, { 0 } },
	{ "secrets/slack-token", "Slack token",
	  "(xox[abposr]-[0-9A-Za-z-]{10,200})", 1, false, false, { 0 } },
	{ "secrets/slack-webhook", "Slack incoming webhook URL",
	  "(https://hooks\\.slack\\.com/services/T[A-Z0-9]{1,20}/B[A-Z0-9]{1,20}/[A-Za-z0-9]{16,64})", 1,
	  false, false, { 0 } },
	{ "secrets/stripe-key", "Stripe live secret or restricted key",
	  "((sk|rk)_live_[A-Za-z0-9]{20,200})", 1, false, false, { 0 } },
	{ "secrets/private-key", "private key (PEM or OpenSSH)",
	  "-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----", 0, false, false, { 0 } },
	{ "secrets/jwt", "JSON Web Token",
	  "(eyJ[A-Za-z0-9_-]{8,2000}\\.eyJ[A-Za-z0-9_-]{8,4000}\\.[A-Za-z0-9_-]{16,2000})", 1, false, false, { 0 } },
	{ "secrets/database-url", "database URL with a password",
	  "(postgres|postgresql|mysql|mariadb|mongodb|mongodb\\+srv|redis|rediss|amqp|amqps)://"
	  "[^:/@[:space:]]{1,100}:([^@/[:space:]]{1,200})@", 2, false, false, { 0 } },
	{ "secrets/generic", "password, secret or token assigned a literal",
	  "(password|passwd|pwd|secret|token|api_?key|access_?key|auth_?key|client_?secret)"
	  "[a-z0-9_]{0,40}[\"']?[[:space:]]{0,8}(:|=|:=|=>)[[:space:]]{0,8}[\"']([^\"'[:space:]]{8,200})[\"']",
	  3, true, true, { 0 } },
};
static bool compiled;

/* Files never read: lock files hold hashes that look like secrets. */
static const char *const skip_names[] = {
	"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock",
	"Pipfile.lock", "composer.lock", "Gemfile.lock", "go.sum", "npm-shrinkwrap.json",
};
/* Path components that mark test material, examples and documentation. */
static const char *const skip_dirs[] = {
	"test", "tests", "testdata", "testing", "fixtures", "__tests__", "spec",
	"examples", "example", "docs", "node_modules", "vendor",
};
/* Substrings (case-insensitive) of placeholder values. */
static const char *const placeholders[] = {
	"example", "xxxx", "placeholder", "changeme", "change_me", "your_", "your-",
	"dummy", "sample", "redacted", "<", ">", "${", "{{", "%(", "****", "....",
	"replace", "insert", "todo",
};

static int rules_compile(void)
{
	for (size_t i = 0; !compiled && i < ARRAY_SIZE(rules); i++)
		if (regcomp(&rules[i].rx, rules[i].re,
			    REG_EXTENDED | (rules[i].icase ? REG_ICASE : 0)) != 0)
			return -EINVAL;
	compiled = true;
	return 0;
}

static bool skipped_dir(const char *c, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(skip_dirs); i++)
		if (strlen(skip_dirs[i]) == n && strncasecmp(c, skip_dirs[i], n) == 0)
			return true;
	return false;
}

static bool skipped_path(const char *path)
{
	const char *base = an_basename(path);

	for (size_t i = 0; i < ARRAY_SIZE(skip_names); i++)
		if (!strcmp(base, skip_names[i]))
			return true;
	for (const char *c = path, *sl; (sl = strchr(c, '/')); c = sl + 1)
		if (skipped_dir(c, (size_t)(sl - c)))
			return true;
	return strstr(base, "_test.") || !strncmp(base, "test_", 5) || strstr(base, ".spec.") ||
	       strstr(base, ".test.") || strstr(base, ".example") || strstr(base, ".sample");
}

static bool placeholder(const char *v, size_t n)
{
	size_t same = 0;

	for (size_t i = 0; i < ARRAY_SIZE(placeholders); i++) {
		size_t k = strlen(placeholders[i]);

		for (size_t j = 0; j + k <= n; j++)
			if (strncasecmp(v + j, placeholders[i], k) == 0)
				return true;
	}
	for (size_t i = 1; i < n; i++)
		same += v[i] == v[0];
	return same + 1 == n;
}

/* Shannon entropy in bits per character. */
static double entropy(const char *v, size_t n)
{
	size_t count[256] = { 0 };
	double h = 0;

	for (size_t i = 0; i < n; i++)
		count[(unsigned char)v[i]]++;
	for (size_t i = 0; i < 256; i++)
		if (count[i])
			h -= (double)count[i] / (double)n * log2((double)count[i] / (double)n);
	return h;
}

static void secret_digest(const char *v, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(v, n, md, &len, EVP_sha256(), NULL))
		abort();
	hex_encode(md, len, out);
	OPENSSL_cleanse(md, sizeof(md));
}

struct scan {
	struct sarif_run *run;
	char *data;
	size_t len;
	char **line;	/* line starts; lines NUL-terminated in data */
	size_t nlines;
};

/*
 * The body of a PEM or OpenSSH key from line i: its base64 lines up to the
 * END line (header lines "Name: value" skipped); 0 when there is no END
 * line or a line that is neither, as in code that looks for the header.
 */
static size_t pem_body(const struct scan *s, size_t i, char *buf)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	size_t n = 0;

	for (size_t j = i + 1; j < s->nlines && j <= i + PEM_LINES_MAX; j++) {
		const char *l = s->line[j] + strspn(s->line[j], " \t\"'");
		size_t k = strspn(l, b64);

		if (!strncmp(l, "-----END ", 9))
			return n;
		if (n == 0 && (strstr(l, ": ") || !*l || *l == '\r'))
			continue;	/* Proc-Type: and DEK-Info: headers */
		if (k == 0 || !strchr(" \t\r\"',\\n", l[k]) || n + k > SECRET_MAX)
			return 0;
		memcpy(buf + n, l, k);
		n += k;
	}
	return 0;
}

static void report(const struct an_ctx *ctx, struct scan *s, const struct rule *rule,
		   const char *path, size_t i, const char *v, size_t n)
{
	char digest[65];
	struct sarif_result *r;

	secret_digest(v, n, digest);
	r = an_result_add_digest(ctx, s->run, TOOL, rule->id, path, (int)i + 1, digest);
	if (r) {
		r->level = xstrdup("error");
		r->message = xasprintf("%s committed to the repository", rule->message);
		r->cwe = xstrdup("CWE-798");
		r->secret_sha256 = xstrdup(digest);
	}
	OPENSSL_cleanse(digest, sizeof(digest));
}

/* Match rule on line i; true when it reported a secret. */
static bool scan_rule(const struct an_ctx *ctx, struct scan *s, const struct rule *rule,
		      const char *path, size_t i)
{
	regmatch_t m[6];
	char buf[SECRET_MAX];
	const char *v;
	size_t n;

	if (regexec(&rule->rx, s->line[i], ARRAY_SIZE(m), m, 0) != 0 ||
	    m[rule->group].rm_so < 0)
		return false;
	v = s->line[i] + m[rule->group].rm_so;
	n = (size_t)(m[rule->group].rm_eo - m[rule->group].rm_so);
	if (rule->group == 0) {
		n = pem_body(s, i, buf);
		v = buf;
		if (n < 32)
			return false;	/* a header without a key body */
	} else if (placeholder(v, n) ||
		   (rule->generic && entropy(v, n) < GENERIC_ENTROPY)) {
		return false;
	}
	report(ctx, s, rule, path, i, v, n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return true;
}

static void split_lines(struct scan *s)
{
	size_t alloc = 0;

	for (char *p = s->data; p < s->data + s->len;) {
		char *nl = memchr(p, '\n', (size_t)(s->data + s->len - p));

		if (s->nlines == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			s->line = xrealloc(s->line, alloc * sizeof(*s->line));
		}
		s->line[s->nlines++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

static int scan_file(const struct an_ctx *ctx, const char *path, void *arg)
{
	struct scan s = { .run = arg };

	if (skipped_path(path) ||
	    an_read(ctx->wsfd, path, SECRET_FILE_MAX, &s.data, &s.len) < 0)
		return 0;
	if (!memchr(s.data, '\0', s.len < 8192 ? s.len : 8192)) {	/* not binary */
		split_lines(&s);
		for (size_t i = 0; i < s.nlines; i++) {
			bool found = false;

			/* The generic rule (last) only where no specific one fired. */
			for (size_t k = 0; k < ARRAY_SIZE(rules); k++)
				if (!found || !rules[k].generic)
					found |= scan_rule(ctx, &s, &rules[k], path, i);
		}
	}
	OPENSSL_cleanse(s.data, s.len);
	free(s.data);
	free(s.line);
	return 0;
}

int an_secrets_analyze(const struct an_ctx *ctx, struct sarif_run *run)
{
	int r = rules_compile();

	if (r < 0)
		return r;
	r = an_each_file(ctx, scan_file, run);
	return r == -E2BIG ? (sarif_run_fail(run, "too many files"), 0) : r;
}
