/*
 * corpus.h - where the unit tests find the shared test corpus: $CORPUS,
 * else ../shared/corpus next to the checkout (found from the test binary,
 * <top>/build/tests/NAME), else ../shared/corpus from the working
 * directory, else /work/shared/corpus.
 */
#ifndef LETHE_TEST_CORPUS_H
#define LETHE_TEST_CORPUS_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char *corpus_near_checkout(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {	/* NAME, tests, build */
		char *slash = strrchr(exe, '/');

		if (!slash)
			return NULL;
		*slash = '\0';
	}
	return xasprintf("%s/../shared/corpus", exe);
}

/* The readable corpus file name (caller frees), or NULL when none is found. */
static char *corpus_file(const char *name)
{
	char *near = corpus_near_checkout();
	const char *dirs[] = { getenv("CORPUS"), near, "../shared/corpus", "/work/shared/corpus" };
	char *found = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !found; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		found = xasprintf("%s/%s", dirs[i], name);
		if (access(found, R_OK) != 0) {
			free(found);
			found = NULL;
		}
	}
	free(near);
	return found;
}

#endif
