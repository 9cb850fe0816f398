/* fixdiff.c - a fix's change, listed on the host; see fixdiff.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone_int.h"
#include "fixdiff.h"
#include "util.h"

#define CP_PATH  "/bin/cp"
#define LIST_MAX (1 << 20)	/* bytes of the raw and numstat listings */

int fixdiff_copy(const char *src, const char *dst)
{
	const char *const argv[] = { "cp", "-a", "--", src, dst, NULL };
	char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execve(CP_PATH, (char *const *)argv, env);
		_exit(127);
	}
	if (pid < 0)
		return -errno;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

struct listing {
	const struct fixdiff_opts *o;
	struct git_env *env;
	int64_t deadline;
};

/* git -C TREE --git-dir=GITDIR --work-tree=TREE, safe settings, then args; its stdout into k. */
static int git(const struct listing *l, struct clone_sink *k, const char *const *args)
{
	char *gd = xasprintf("--git-dir=%s", l->o->fo_gitdir);
	char *wt = xasprintf("--work-tree=%s", l->o->fo_tree);
	const char *argv[32] = { "git", "-C", l->o->fo_tree, gd, wt,
				 "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
				 "-c", "core.quotePath=false", "-c", "diff.external=" };
	struct clone_io io = { .ci_out = k };
	size_t n = 13, i;
	int r;

	for (i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r = clone_git_run(l->o->fo_volume, argv, l->env, l->deadline, l->o->fo_max_size, &io);
	free(gd);
	free(wt);
	return r;
}

static int list(const struct listing *l, const char *what, char **out, size_t *len)
{
	struct clone_sink k = { .cs_buf = xmalloc(LIST_MAX + 1), .cs_max = LIST_MAX };
	const char *const args[] = { "diff", "--cached", what, "-z", "--no-renames", "HEAD", NULL };
	int r = git(l, &k, args);

	*out = k.cs_buf;
	*len = k.cs_len;
	return r;
}

int fixdiff_list(const struct fixdiff_opts *o, struct fixdiff *d, char *why, size_t whylen)
{
	struct clone_opts co = { .co_home = o->fo_home };
	struct listing l = { .o = o, .deadline = mono_usec() + o->fo_timeout * 1000000 };
	const char *const read_tree[] = { "read-tree", "HEAD", NULL };
	const char *const add[] = { "add", "-A", NULL };
	const char *const patch[] = { "diff", "--cached", "--binary", "--full-index",
				      "--no-renames", "--no-ext-diff", "--no-textconv", "HEAD",
				      NULL };
	struct clone_sink k = { .cs_max = (size_t)o->fo_max_patch };
	const char *step = "read the commit's tree";
	int r;

	memset(d, 0, sizeof(*d));
	r = clone_env_new(&co, 0, &l.env);
	if (r == 0)
		r = git(&l, NULL, read_tree);
	if (r == 0) {
		step = "add the work tree";
		r = git(&l, NULL, add);
	}
	if (r == 0) {
		step = "list the change";
		r = list(&l, "--raw", &d->raw, &d->raw_len);
	}
	if (r == 0)
		r = list(&l, "--numstat", &d->numstat, &d->numstat_len);
	if (r == 0) {
		step = "write the patch";
		r = secbuf_alloc(&d->patch, k.cs_max + 1);
	}
	if (r == 0) {
		k.cs_buf = (char *)d->patch.data;
		r = git(&l, &k, patch);
		d->patch_len = k.cs_len;
	}
	clone_env_free(l.env);
	if (r < 0)
		snprintf(why, whylen, "git could not %s: %s", step,
			 r == -EFBIG ? "the patch is larger than fix_max_patch" :
			 r == -ETIMEDOUT ? "out of time" : "it failed");
	return r;
}

void fixdiff_release(struct fixdiff *d)
{
	free(d->raw);
	free(d->numstat);
	secbuf_release(&d->patch);
	memset(d, 0, sizeof(*d));
}
