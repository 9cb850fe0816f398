/* fixpush.c - an approved fix, applied to its commit and pushed as a new branch; see fixpush.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "clone_int.h"
#include "fixpush.h"
#include "util.h"

#define BRANCH_MAX 200		/* bytes of a branch name */
#define IDENT_MAX 128		/* bytes of the author's name or address */
#define ERR_MAX 4096		/* git's stderr kept to tell a refused push */

struct fpctx {
	const struct fixpush_opts *o;
	struct clone_opts co;	/* the fetch's options; the push's environment */
	int64_t deadline;	/* monotonic usec */
	char err[ERR_MAX];
	char out[ERR_MAX + 1];	/* the push's porcelain status */
	struct clone_sink sink;
};

/* A name or address git puts between "Name <address>": one line, no brackets. */
static int ident_ok(const char *s)
{
	return s && *s && strlen(s) <= IDENT_MAX && !strpbrk(s, "<>\n\r");
}

static int opts_check(const struct fixpush_opts *o, char *why, size_t whylen)
{
	const char *msg = NULL;

	if (!o->fp_dir || o->fp_dir[0] != '/' || !o->fp_url || !o->fp_sha || !o->fp_home)
		msg = "no directory, url, commit or home for the push";
	else if (!o->fp_token || !o->fp_token_len)
		msg = "no token for the push";
	else if (!o->fp_patch || !o->fp_patch_len || memchr(o->fp_patch, '\0', o->fp_patch_len))
		msg = "no patch to push, or one holding a NUL byte";
	else if (!o->fp_branch || !*o->fp_branch || o->fp_branch[0] == '-' ||
		 strlen(o->fp_branch) > BRANCH_MAX)
		msg = "no branch to push, or one that is not a branch name";
	else if (!o->fp_message || !*o->fp_message || strlen(o->fp_message) > FIXPUSH_MESSAGE_MAX)
		msg = "no commit message, or a longer one than fixpush allows";
	else if ((o->fp_name && !ident_ok(o->fp_name)) || (o->fp_email && !ident_ok(o->fp_email)))
		msg = "the commit's author is not a name and an address git takes";
	else if (o->fp_timeout <= 0 || o->fp_max_size <= 0)
		msg = "no time or size limit for the push";
	if (msg)
		snprintf(why, whylen, "%s", msg);
	return msg ? -EINVAL : 0;
}

static int ctx_run(struct fpctx *c, const char *const *argv, const struct git_env *e,
		   const char *in, size_t inlen, int with_out)
{
	struct clone_io io = { in, inlen, c->err, sizeof(c->err), with_out ? &c->sink : NULL };

	c->err[0] = '\0';
	return clone_git_run(c->o->fp_dir, argv, e, c->deadline, c->o->fp_max_size, &io);
}

static int err_has(const struct fpctx *c, const char *s)
{
	return strstr(c->err, s) != NULL;
}

/* Whether git said s on its stderr or, for the push, in its status on stdout. */
static int said(const struct fpctx *c, const char *s)
{
	return err_has(c, s) || strstr(c->out, s) != NULL;
}

/* Whether git takes refs/heads/BRANCH as a ref name. */
static int branch_check(struct fpctx *c, const struct git_env *plain, char *why, size_t whylen)
{
	char *ref = xasprintf("refs/heads/%s", c->o->fp_branch);
	const char *argv[] = { "git", "check-ref-format", ref, NULL };
	int r = ctx_run(c, argv, plain, NULL, 0, 0);

	free(ref);
	if (r < 0 && r != -ETIMEDOUT) {
		snprintf(why, whylen, "branch '%.*s' is not a valid ref name", BRANCH_MAX,
			 c->o->fp_branch);
		r = -EINVAL;
	}
	return r;
}

static int patch_apply(struct fpctx *c, const struct git_env *plain)
{
	const char *argv[] = { "git", "-C", c->o->fp_dir, "apply", "--index", "--whitespace=nowarn",
			       NULL };
	int r = ctx_run(c, argv, plain, c->o->fp_patch, c->o->fp_patch_len, 0);

	return r < 0 && r != -ETIMEDOUT && r != -EFBIG ? -ENOEXEC : r;
}

static int patch_commit(struct fpctx *c, const struct git_env *plain)
{
	const struct fixpush_opts *o = c->o;
	char *name = xasprintf("user.name=%s", o->fp_name ? o->fp_name : FIXPUSH_NAME);
	char *email = xasprintf("user.email=%s", o->fp_email ? o->fp_email : FIXPUSH_EMAIL);
	const char *argv[] = { "git", "-C", o->fp_dir, "-c", name, "-c", email, "commit", "-q",
			       "--no-verify", "--no-gpg-sign", "--cleanup=whitespace", "-F", "-", NULL };
	int r = ctx_run(c, argv, plain, o->fp_message, strlen(o->fp_message), 0);

	if (r < 0 && (err_has(c, "nothing to commit") || err_has(c, "empty commit message")))
		r = -ENOEXEC;
	else if (r == -ENOENT || r == -EACCES)
		r = -EIO;	/* no server here: what looked like one is a local failure */
	free(email);
	free(name);
	return r;
}

/*
 * Create-only: the lease expects no branch of that name on the server.  A
 * branch that already holds this very commit (the same fix pushed again
 * within the second) is "[up to date]" to git, not refused: only
 * "[new branch]" in the porcelain status is a branch created.
 */
static int branch_push(struct fpctx *c, const struct git_env *auth)
{
	char *lease = xasprintf("--force-with-lease=refs/heads/%s:", c->o->fp_branch);
	char *spec = xasprintf("HEAD:refs/heads/%s", c->o->fp_branch);
	const char *argv[] = { "git", "-C", c->o->fp_dir, "push", "--porcelain", "--no-verify",
			       "--no-recurse-submodules", lease, c->o->fp_url, spec, NULL };
	int r = ctx_run(c, argv, auth, NULL, 0, 1);

	if (r == 0 && !strstr(c->out, "[new branch]"))
		r = -EEXIST;
	else if (r < 0 && (said(c, "(stale info)") || said(c, "already exists") ||
			   said(c, "(fetch first)") || said(c, "(non-fast-forward)")))
		r = -EEXIST;
	else if (r < 0 && said(c, "[remote rejected]"))
		r = -EACCES;	/* a rule of the server's (protected branch, hook) */
	free(spec);
	free(lease);
	return r;
}

static const char *fixpush_reason(int r)
{
	switch (r) {
	case -EEXIST: return "the branch exists on the server already";
	case -EACCES: return "the server refused the push (token or permission)";
	case -ENOEXEC: return "the patch does not apply to its commit";
	case -ENOENT: return "repository not found";
	case -EFBIG: return "the repository exceeds clone_max_size";
	case -ETIMEDOUT: return "the push took longer than its timeout";
	default: return "push failed (network or server error)";
	}
}

void fixpush_clone_opts(const struct fixpush_opts *o, struct clone_opts *co)
{
	*co = (struct clone_opts){ .co_url = o->fp_url, .co_sha = o->fp_sha, .co_ref = o->fp_ref,
				   .co_token = o->fp_token, .co_token_len = o->fp_token_len,
				   .co_auth = o->fp_auth, .co_home = o->fp_home,
				   .co_timeout = o->fp_timeout, .co_max_size = o->fp_max_size,
				   .co_method = CLONE_METHOD_GIT, .co_pin = o->fp_pin };
}

static void ctx_init(struct fpctx *c, const struct fixpush_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	fixpush_clone_opts(o, &c->co);
	c->deadline = mono_usec() + o->fp_timeout * 1000000;
	c->sink = (struct clone_sink){ .cs_buf = c->out, .cs_max = ERR_MAX };
}

int fixpush_run(const struct fixpush_opts *o, char *why, size_t whylen)
{
	struct git_env *plain = NULL, *auth = NULL;
	struct fpctx c;
	int r = opts_check(o, why, whylen);

	if (r < 0)
		return r;
	ctx_init(&c, o);
	r = clone_env_new(&c.co, 0, &plain);
	if (r == 0)
		r = branch_check(&c, plain, why, whylen);
	if (r == 0) {
		r = clone_fetch(o->fp_dir, &c.co, why, whylen);
		if (r < 0)
			goto out;	/* why says what clone_fetch found */
	}
	if (r == 0)
		r = patch_apply(&c, plain);
	if (r == 0)
		r = patch_commit(&c, plain);
	if (r == 0)
		r = clone_env_new(&c.co, 1, &auth);
	if (r == 0)
		r = branch_push(&c, auth);
	if (r < 0 && r != -EINVAL)
		snprintf(why, whylen, "%s", fixpush_reason(r));
out:
	OPENSSL_cleanse(c.err, sizeof(c.err));
	OPENSSL_cleanse(c.out, sizeof(c.out));
	clone_env_free(auth);
	clone_env_free(plain);
	return r;
}
