/*
 * stack.h - the local stack's configuration, for the unit tests that need its
 * database: $LETHE_CONFIG, else ${LETHE_RUN:-run}/lethe.conf.
 */
#ifndef LETHE_TEST_STACK_H
#define LETHE_TEST_STACK_H

#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

/* The loaded configuration (config_free it), or NULL when there is no readable one. */
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
