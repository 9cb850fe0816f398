/*
 * an-result.c - results and their lethe/v1 fingerprints.
 *
 * The fingerprint must survive the code moving: it hashes the tool, the
 * rule, the path and the flagged line with its nearest non-blank
 * neighbours, each with whitespace collapsed, but not the line number.
 * The text is read here and only hashed; it never leaves this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <openssl/crypto.h>

#include "an.h"
#include "util.h"

#define FILE_MAX (16u << 20)	/* larger files are hashed without text */

struct an_lines {
	char *path;
	char *data;
	size_t len, nlines;
	size_t *start;	/* offset of each line; lines are NUL-terminated */
};

static void an_lines_free(struct an_lines *l)
{
	if (!l)
		return;
	free(l->path);
	if (l->data)
		OPENSSL_cleanse(l->data, l->len);
	free(l->data);
	free(l->start);
	free(l);
}

/*
 * Open path beneath the workspace, refusing symlinks and escapes.  Where
 * openat2 is missing or filtered, the path (already free of "..") is opened
 * with O_NOFOLLOW on its last component.
 */
static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
			    O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int an_read(int dirfd, const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	int fd = open_beneath(dirfd, path);
	ssize_t n;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	*data = xmalloc((size_t)st.st_size + 1);
	*len = 0;
	while (*len < (size_t)st.st_size &&
	       (n = read(fd, *data + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	(*data)[*len] = '\0';
	close(fd);
	return 0;
}

static void lines_split(struct an_lines *l, size_t len)
{
	size_t alloc = 0;

	for (size_t i = 0; i < len;) {
		char *nl = memchr(l->data + i, '\n', len - i);

		if (l->nlines == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			l->start = xrealloc(l->start, alloc * sizeof(*l->start));
		}
		l->start[l->nlines++] = i;
		if (!nl)
			break;
		*nl = '\0';
		i = (size_t)(nl - l->data) + 1;
	}
}

/* The lines of path; none when it cannot be read (hashed without text). */
static struct an_lines *lines_load(int dirfd, const char *path)
{
	struct an_lines *l = xcalloc(1, sizeof(*l));

	l->path = xstrdup(path);
	if (an_read(dirfd, path, FILE_MAX, &l->data, &l->len) == 0)
		lines_split(l, l->len);
	return l;
}

/* Collapse whitespace runs into one space, trimmed; returns a new string. */
static char *normalise(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	bool space = false;

	for (; *s; s++) {
		if (strchr(" \t\r\f\v", *s)) {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static const char *line_at(const struct an_lines *l, long i)
{
	return i >= 0 && (size_t)i < l->nlines ? l->data + l->start[i] : NULL;
}

/* Nearest non-blank line from i in direction step, or "". */
static char *neighbour(const struct an_lines *l, long i, long step)
{
	for (const char *s; (s = line_at(l, i)); i += step) {
		char *n = normalise(s);

		if (*n)
			return n;
		free(n);
	}
	return xstrdup("");
}

static struct an_lines *cache;	/* the last file read: results come grouped */

void an_lines_drop(void)
{
	an_lines_free(cache);
	cache = NULL;
}

void an_fingerprint(const struct an_ctx *ctx, const char *tool, const char *rule,
		    const char *path, int line, char *out)
{
	char *text[3];

	if (!cache || strcmp(cache->path, path) != 0) {
		an_lines_drop();
		cache = lines_load(ctx->wsfd, path);
	}
	text[0] = neighbour(cache, line - 2, -1);
	text[1] = line_at(cache, line - 1) ? normalise(line_at(cache, line - 1))
					  : xstrdup("");
	text[2] = neighbour(cache, line, 1);
	sarif_fingerprint((const char *[]){ tool, rule ? rule : "", path, text[0], text[1], text[2] },
			  6, out);
	for (size_t i = 0; i < ARRAY_SIZE(text); i++) {
		OPENSSL_cleanse(text[i], strlen(text[i]));
		free(text[i]);
	}
}

static struct sarif_result *result_add(const struct an_ctx *ctx, struct sarif_run *run,
				       const char *tool, const char *rule_id,
				       const char *path, int line, const char *digest)
{
	struct sarif_result *r;
	char *clean = NULL;
	char fp[65];

	if (run->nresults >= ctx->max_results) {
		if (run->complete)
			sarif_run_fail(run, "result limit");
		return NULL;
	}
	if (!path || sarif_file_path(path, ctx->workspace, &clean) < 0) {
		run->refused++;
		return NULL;
	}
	if (digest)
		sarif_fingerprint((const char *[]){ tool, rule_id ? rule_id : "", clean, digest }, 4,
				  fp);
	else
		an_fingerprint(ctx, tool, rule_id, clean, line, fp);
	r = sarif_run_add_result(run);
	r->rule_id = rule_id ? text_clean(rule_id, 200) : NULL;
	r->path = clean;
	r->fingerprint = xstrdup(fp);
	r->start_line = r->end_line = line > 0 ? line : 0;
	return r;
}

struct sarif_result *an_result_add(const struct an_ctx *ctx, struct sarif_run *run,
				   const char *tool, const char *rule_id,
				   const char *path, int line)
{
	return result_add(ctx, run, tool, rule_id, path, line, NULL);
}

struct sarif_result *an_result_add_digest(const struct an_ctx *ctx, struct sarif_run *run,
					  const char *tool, const char *rule_id,
					  const char *path, int line, const char *digest)
{
	return result_add(ctx, run, tool, rule_id, path, line, digest);
}
