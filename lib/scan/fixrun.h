/*
 * fixrun.h - run lethe-agent in a fix's sandbox.
 *
 * The sandbox is lib/scan/sandbox.c's (bubblewrap as sandbox_user, no network,
 * no capabilities, seccomp allowing only AF_UNIX sockets), with the work
 * tree read-write at /workspace and, read-only, only three more things:
 * the agent (agent_path) at /lethe/lethe-agent, the task at
 * /lethe/task.json and the proxy's socket at /lethe/llm.sock, its only
 * way out.  The work tree and the socket must be the sandbox user's.
 */
#ifndef LETHE_FIXRUN_H
#define LETHE_FIXRUN_H

#include <stdint.h>

#include "config.h"
#include "sandbox.h"

struct fixrun {
	const char *tree;	/* host path of the work tree */
	const char *task;	/* host path of the task file (lethe-agent(8)) */
	const char *socket;	/* host path of lethe-llm-proxy's socket */
	int64_t wall_secs;
};

/* sandbox_run()'s result: 0 when the agent ran (its summary in r->out). */
int fixrun_agent(const struct config *cfg, const struct fixrun *f, struct sandbox_result *r);

#endif
