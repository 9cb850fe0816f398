/*
 * an-flawfinder.c - flawfinder writes SARIF itself (--sarif); its output
 * goes through the whitelist reader like any other SARIF (an-json.c).
 *
 * flawfinder stops at the first file that is not UTF-8 and reports
 * nothing at all, so when there is such a C or C++ file it is given the
 * list of those that are UTF-8: the others are skipped and the run is
 * incomplete with the reason.  Otherwise, and when there are too many files
 * to list, it is given the workspace as a whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "an.h"
#include "util.h"

#define CHECK_MAX (16u << 20)	/* larger files are passed unchecked */

/* The suffixes flawfinder takes as C or C++ when given a directory. */
static const char *const c_suffixes[] = {
	".c", ".h", ".ec", ".ecp", ".pgc", ".C", ".cpp", ".CPP", ".cxx", ".c++",
	".cc", ".CC", ".pcc", ".hpp", ".H",
};

static bool utf8_file(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n = 1;
	bool valid;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > CHECK_MAX) {
		if (fd >= 0)
			close(fd);
		return fd >= 0;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	valid = n >= 0 && utf8_valid(buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return valid;
}

static bool c_source(int dfd, const char *name, void *data)
{
	size_t *skipped = data;

	for (size_t i = 0; i < ARRAY_SIZE(c_suffixes); i++) {
		if (!an_has_suffix(name, c_suffixes[i]))
			continue;
		if (utf8_file(dfd, name))
			return true;
		(*skipped)++;
		return false;
	}
	return false;
}

int an_flawfinder_build(const struct an_ctx *ctx, struct an_argv *argv,
			struct sarif_run *run)
{
	size_t fixed, skipped = 0;
	char why[64];
	int r;

	an_argv_add(argv, "flawfinder");
	an_argv_add(argv, "--sarif");
	an_argv_add(argv, "--");
	fixed = argv->n;
	r = an_walk(ctx, c_source, &skipped, argv);
	if (r < 0 && r != -E2BIG)
		return r;
	if (r != -E2BIG && skipped == 0 && argv->n == fixed) {
		sarif_run_not_applicable(run, "no C or C++ file");
		return 1;
	}
	if (r == -E2BIG || skipped == 0) {
		an_argv_truncate(argv, fixed);
		an_argv_add(argv, ".");
		return 0;
	}
	snprintf(why, sizeof(why), "skipped %zu files not in UTF-8", skipped);
	sarif_run_fail(run, why);
	return argv->n == fixed ? 1 : 0;	/* 1: no UTF-8 C or C++ file */
}
