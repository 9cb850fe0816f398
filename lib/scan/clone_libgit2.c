/* clone_libgit2.c - the depth=1 fetch of one commit, in process (libgit2 1.7+). */
#include "clone_int.h"

#ifdef CLONE_HAVE_LIBGIT2
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "util.h"

#define TREE_MAX_ENTRIES 5000000	/* tree entries checked before checkout */

struct lg2 {
	const struct clone_opts *lg_o;
	int64_t lg_deadline;
	git_repository *lg_repo;
	git_odb *lg_odb;	/* lg_repo's, while its tree is walked */
	int lg_asked;		/* credential requests in this fetch */
	struct secbuf lg_bearer;	/* "Authorization: Bearer TOKEN", or empty */
	char *lg_header;	/* lg_bearer.data, for git_fetch_options */
	int lg_err;		/* the error of a callback that aborted */
	int64_t lg_blob_bytes;	/* sum of the tree's blob sizes */
	size_t lg_entries;
};

static int lg2_abort(struct lg2 *g, int err)
{
	g->lg_err = err;
	return -1;
}

static int lg2_credentials(git_credential **out, const char *url, const char *user,
			   unsigned int allowed, void *payload)
{
	struct lg2 *g = payload;
	struct secbuf pw = { 0 };
	int r;

	/* A second request in one fetch: the server refused the token. */
	if (!g->lg_o->co_token || g->lg_asked++ > 0 ||
	    !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) ||
	    memchr(g->lg_o->co_token, '\0', g->lg_o->co_token_len)) {
		g->lg_err = -EACCES;
		return GIT_EAUTH;
	}
	if (secbuf_alloc(&pw, g->lg_o->co_token_len + 1) < 0)
		return lg2_abort(g, -ENOMEM);
	memcpy(pw.data, g->lg_o->co_token, g->lg_o->co_token_len);
	/* libgit2 keeps its own copy and zeroes it when it frees the credential. */
	r = git_credential_userpass_plaintext_new(out, "x-access-token", (const char *)pw.data);
	secbuf_release(&pw);
	return r;
}

static int lg2_limits(struct lg2 *g, size_t received)
{
	if (received > (size_t)g->lg_o->co_max_size)
		return lg2_abort(g, -EFBIG);
	if (mono_usec() > g->lg_deadline)
		return lg2_abort(g, -ETIMEDOUT);
	return 0;
}

static int lg2_progress(const git_indexer_progress *p, void *payload)
{
	return lg2_limits(payload, p->received_bytes);
}

static int lg2_sideband(const char *str, int len, void *payload)
{
	return lg2_limits(payload, 0);
}

/* What libgit2 said, as a clone_fetch error (its message is never shown). */
static int lg2_classify(const struct lg2 *g, int code)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "";

	if (g->lg_err)
		return g->lg_err;
	if (code == GIT_EAUTH || strstr(m, "status code: 401") || strstr(m, "status code: 403"))
		return -EACCES;
	if (code == GIT_TIMEOUT)
		return -ETIMEDOUT;
	/*
	 * libgit2 1.8 refuses a bare id itself ("cannot fetch a specific
	 * object") when the server does not allow one, and reports the server's
	 * "ERR not our ref" to a depth=1 want as "unexpected packet type".
	 */
	if (code == GIT_ENOTFOUND || strstr(m, "status code: 404") || strstr(m, "not our ref") ||
	    strstr(m, "specific object") || strstr(m, "unexpected packet type"))
		return -ENOENT;
	return -EIO;
}

/*
 * Bearer: the header libgit2 sends on every request of the fetch (libgit2
 * 1.8 refuses only the headers it sets itself: User-Agent, Host, Accept,
 * Content-Type, Transfer-Encoding, Content-Length); no credential callback,
 * so a 401 ends the fetch with GIT_EAUTH.  The token was checked to hold
 * visible ASCII only (no CR, LF or NUL).
 */
static int lg2_bearer(struct lg2 *g)
{
	int r = secbuf_alloc(&g->lg_bearer, clone_auth_len(g->lg_o) + 1);

	if (r == 0)
		r = clone_auth_write(g->lg_o, (char *)g->lg_bearer.data);
	if (r == 0)
		g->lg_header = (char *)g->lg_bearer.data;
	return r;
}

static void lg2_fetch_options(struct lg2 *g, git_fetch_options *fo)
{
	if (g->lg_header) {
		fo->custom_headers.strings = &g->lg_header;
		fo->custom_headers.count = 1;
	} else {
		fo->callbacks.credentials = lg2_credentials;
	}
	fo->callbacks.transfer_progress = lg2_progress;
	fo->callbacks.sideband_progress = lg2_sideband;
	fo->callbacks.payload = g;
	/* certificate_check stays NULL: a certificate libgit2 cannot verify fails. */
	fo->download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo->update_fetchhead = 0;
	fo->follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	fo->proxy_opts.type = GIT_PROXY_NONE;
	fo->depth = 1;
}

/* One fetch of spec from an anonymous remote (nothing in .git/config). */
static int lg2_fetch_spec(struct lg2 *g, const char *spec)
{
	git_remote_create_options ro;
	git_fetch_options fo;
	git_strarray specs = { (char **)&spec, 1 };
	git_remote *rem = NULL;
	int r;

	if (git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION) < 0 ||
	    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION) < 0)
		return -EIO;
	ro.repository = g->lg_repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	lg2_fetch_options(g, &fo);
	g->lg_asked = 0;
	r = git_remote_create_with_opts(&rem, g->lg_o->co_url, &ro);
	if (r == 0)
		r = git_remote_fetch(rem, &specs, &fo, NULL);
	r = r < 0 ? lg2_classify(g, r) : 0;
	git_remote_free(rem);
	return r;
}

/* A name git's fsck or checkout refuses, or one that reaches into .git. */
static int lg2_bad_name(const char *n)
{
	return !*n || !strcmp(n, ".") || !strcmp(n, "..") || strchr(n, '/') ||
	       !strcasecmp(n, ".git") || !strcasecmp(n, "git~1");
}

static int lg2_entry(const char *root, const git_tree_entry *te, void *payload)
{
	struct lg2 *g = payload;
	git_object_t type;
	size_t len;

	if (++g->lg_entries > TREE_MAX_ENTRIES)
		return lg2_abort(g, -EFBIG);
	if (lg2_bad_name(git_tree_entry_name(te)))
		return lg2_abort(g, -EPROTO);
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return 0;	/* trees are walked (and parsed); gitlinks are skipped */
	if (git_odb_read_header(&len, &type, g->lg_odb, git_tree_entry_id(te)) < 0 ||
	    type != GIT_OBJECT_BLOB)
		return lg2_abort(g, -EPROTO);
	g->lg_blob_bytes += (int64_t)len;
	return g->lg_blob_bytes > g->lg_o->co_max_size ? lg2_abort(g, -EFBIG) : 0;
}

/* Check every object of the commit's tree, then check it out, filters off. */
static int lg2_checkout(struct lg2 *g, const git_oid *want)
{
	git_checkout_options co;
	git_commit *c = NULL;
	git_tree *t = NULL;
	int r = -EPROTO;

	if (git_commit_lookup(&c, g->lg_repo, want) < 0 || git_commit_tree(&t, c) < 0)
		goto out;
	if (git_repository_odb(&g->lg_odb, g->lg_repo) < 0) {
		r = -EIO;
		goto out;
	}
	if (git_tree_walk(t, GIT_TREEWALK_PRE, lg2_entry, g) < 0) {
		r = g->lg_err ? g->lg_err : -EPROTO;
		goto out;
	}
	if (git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION) < 0)
		goto out;
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	co.disable_filters = 1;
	co.dir_mode = 0750;
	if (git_checkout_tree(g->lg_repo, (const git_object *)c, &co) < 0 ||
	    git_repository_set_head_detached(g->lg_repo, want) < 0)
		goto out;
	r = mono_usec() > g->lg_deadline ? -ETIMEDOUT : 0;
out:
	git_odb_free(g->lg_odb);
	g->lg_odb = NULL;
	git_tree_free(t);
	git_commit_free(c);
	return r;
}

/* No system, XDG or user configuration; network timeouts within the deadline. */
static int lg2_setup(const struct clone_opts *o, int64_t deadline)
{
	static const int levels[] = { GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
				      GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL };
	int64_t left = (deadline - mono_usec()) / 1000 + 1;
	int ms = left > INT_MAX ? INT_MAX : left < 1 ? 1 : (int)left;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], o->co_home) < 0)
			return -EIO;
	if (git_libgit2_opts(GIT_OPT_SET_HOMEDIR, o->co_home) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_SERVER_CONNECT_TIMEOUT, ms) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_SERVER_TIMEOUT, ms) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1) < 0)
		return -EIO;
	return 0;
}

int clone_libgit2_fetch(const char *dir, const struct clone_opts *o, int64_t deadline)
{
	git_repository_init_options io;
	struct lg2 g = { .lg_o = o, .lg_deadline = deadline };
	char *spec = NULL;
	git_oid want;
	int r;

	git_libgit2_init();
	r = lg2_setup(o, deadline);
	if (r == 0)
		r = clone_pin_register(o->co_pin);
	if (r == 0 && git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0)
		r = -EIO;
	io.flags = GIT_REPOSITORY_INIT_NO_REINIT;
	if (r == 0 && (git_oid_fromstr(&want, o->co_sha) < 0 ||
		       git_repository_init_ext(&g.lg_repo, dir, &io) < 0))
		r = -EIO;
	if (r == 0 && o->co_token && o->co_auth == CLONE_AUTH_BEARER)
		r = lg2_bearer(&g);
	if (r == 0)
		r = lg2_fetch_spec(&g, o->co_sha);
	/* The server does not serve bare commits: the ref's tip, checked below. */
	if (r == -ENOENT && o->co_ref) {
		spec = xasprintf("+%s:refs/lethe/tip", o->co_ref);
		r = lg2_fetch_spec(&g, spec);
	}
	secbuf_release(&g.lg_bearer);
	if (r == 0)
		r = lg2_checkout(&g, &want);
	free(spec);
	git_repository_free(g.lg_repo);
	clone_pin_unregister();
	git_libgit2_shutdown();
	return r;
}
#else
/* libgit2 before 1.7: the git(1) fetch in clone.c serves alone. */
typedef int clone_libgit2_unused;
#endif
