/*
 * fix-push [-B] [-A APP:INSTALLATION:KEY [-R]] PROVIDER API REPO CLONE_URL SHA
 *          BRANCH BASE TITLE DIR HOME PATCH
 * - push PATCH (a file of git diff --cached --binary HEAD) onto commit SHA
 * of REPO as the new BRANCH through lib/fixpush, then open its pull
 * request into BASE through lib/pullreq, as the fix job will.  The token is
 * read from standard input (one line), never argv; with -A it is minted
 * instead: an installation token of GITHUB_FIX from GitHub App APP's
 * INSTALLATION, signed with the key file KEY (-R: of GITHUB_CLONE, a token
 * that may only read, to see it refused).  -B: git gets the token as
 * Bearer (Bitbucket Data Center).  DIR and HOME are empty directories.
 * Prints "pushed BRANCH" and "pull request NUMBER URL"; on a refusal,
 * "fix-push: STEP: WHY (ERRNO-NAME)" and exits 1.  Built for t8008.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "fixpush.h"
#include "github.h"
#include "pullreq.h"
#include "util.h"

#define TOKEN_MAX 4096

static int fail(const char *step, int r, const char *why)
{
	fprintf(stderr, "fix-push: %s: %s (%s)\n", step, why, strerrorname_np(-r));
	return 1;
}

/* One line of standard input into locked memory. */
static int token_read(struct secbuf *tok)
{
	ssize_t n;
	int r = secbuf_alloc(tok, TOKEN_MAX + 1);

	if (r < 0)
		return r;
	n = read(0, tok->data, TOKEN_MAX);
	if (n <= 0)
		return -EINVAL;
	while (n > 0 && (tok->data[n - 1] == '\n' || tok->data[n - 1] == '\r'))
		tok->data[--n] = '\0';
	return n > 0 ? 0 : -EINVAL;
}

/* "APP:INSTALLATION:KEY": an installation token of GITHUB_FIX. */
static int token_mint(const struct http_client *hc, const char *spec, const char *api,
		      const char *repo, unsigned scopes, struct github_token *tok)
{
	char *s = xstrdup(spec), *inst = strchr(s, ':'), *key = inst ? strchr(inst + 1, ':') : NULL;
	struct github_app app = { 0 };
	int r = -EINVAL;

	if (key) {
		*inst++ = '\0';
		*key++ = '\0';
		app.ga_api_url = xstrdup(api);
		app.ga_app_id = xstrdup(s);
		app.ga_installation_id = xstrdup(inst);
		r = github_app_key_file(&app, key);
	}
	if (r == 0)
		r = github_token_get(hc, &app, repo, scopes, tok);
	github_app_release(&app);
	free(s);
	return r;
}

int main(int argc, char **argv)
{
	struct fixpush_opts o = { .fp_timeout = 120, .fp_max_size = 64 << 20 };
	struct github_token gt = { 0 };
	struct secbuf tok = { 0 };
	struct http_client hc;
	const char *app = NULL, *token;
	unsigned scopes = GITHUB_FIX;
	char why[512], url[1024], *patch = NULL;
	int64_t number = 0;
	int c, r, rc = 1;

	while ((c = getopt(argc, argv, "BA:R")) != -1)
		if (c == 'B')
			o.fp_auth = CLONE_AUTH_BEARER;
		else if (c == 'A')
			app = optarg;
		else if (c == 'R')
			scopes = GITHUB_CLONE;
		else
			return 2;
	argv += optind;
	if (argc - optind != 11) {
		fputs("usage: fix-push [-B] [-A APP:INSTALLATION:KEY [-R]] PROVIDER API REPO CLONE_URL "
		      "SHA BRANCH BASE TITLE DIR HOME PATCH\n", stderr);
		return 2;
	}
	http_client_init(&hc);
	r = app ? token_mint(&hc, app, argv[1], argv[2], scopes, &gt) : token_read(&tok);
	if (r < 0)
		return fail("token", r, app ? "no installation token" : "no token on stdin");
	token = (const char *)(app ? gt.gt_token.data : tok.data);
	r = read_file(argv[10], 1 << 20, &patch, &o.fp_patch_len);
	if (r < 0) {
		rc = fail("patch", r, "unable to read the patch");
		goto out;
	}
	o.fp_url = argv[3];
	o.fp_sha = argv[4];
	o.fp_ref = NULL;
	o.fp_token = token;
	o.fp_token_len = strlen(token);
	o.fp_dir = argv[8];
	o.fp_home = argv[9];
	o.fp_patch = patch;
	o.fp_branch = argv[5];
	o.fp_message = argv[7];
	r = fixpush_run(&o, why, sizeof(why));
	if (r < 0) {
		rc = fail("push", r, why);
		goto out;
	}
	printf("pushed %s\n", argv[5]);
	fflush(stdout);
	r = pullreq_open(&hc, argv[0], argv[1], token, argv[2], argv[5], argv[6], argv[7],
			 "Proposed by Lethe for a finding; review before merging.", &number,
			 url, sizeof(url), why, sizeof(why));
	if (r < 0) {
		rc = fail("pull request", r, why);
		goto out;
	}
	printf("pull request %lld %s\n", (long long)number, url);
	rc = 0;
out:
	free(patch);
	github_token_release(&gt);
	secbuf_release(&tok);
	return rc;
}
