/*
 * stack.h - how the unit tests that need a database find the local stack:
 * $LETHE_CONFIG, else ${LETHE_RUN:-run}/lethe.conf.  NULL when there is
 * none (the test then skips its database part).
 */
#ifndef LETHE_TEST_STACK_H
#define LETHE_TEST_STACK_H

#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static inline struct config *stack_config(void)
{
	const char *env = getenv("LETHE_CONFIG"), *run = getenv("LETHE_RUN");
	char *path = env && *env ? xstrdup(env) : xasprintf("%s/lethe.conf", run && *run ? run : "run");
	struct config *cfg = NULL;
	char why[512];

	if (access(path, R_OK) != 0 || config_load(path, &cfg, why, sizeof(why)) < 0)
		cfg = NULL;
	free(path);
	return cfg;
}

#endif
