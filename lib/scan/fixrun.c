/* fixrun.c - lethe-agent in a fix's sandbox; see fixrun.h. */
#include "fixrun.h"

#define INSIDE_AGENT  "/lethe/lethe-agent"
#define INSIDE_TASK   "/lethe/task.json"
#define INSIDE_SOCKET "/lethe/llm.sock"

int fixrun_agent(const struct config *cfg, const struct fixrun *f, struct sandbox_result *r)
{
	const struct sandbox_bind binds[] = {
		{ config_v(cfg)->agent_path, INSIDE_AGENT },
		{ f->task, INSIDE_TASK },
		{ f->socket, INSIDE_SOCKET },
	};
	const char *const argv[] = { INSIDE_AGENT, "--socket", INSIDE_SOCKET, "--tree", "/workspace",
				     "--task", INSIDE_TASK, NULL };
	struct sandbox_opts o = { .workspace = f->tree, .argv = argv, .ro_binds = binds,
				  .n_ro_binds = 3, .workspace_writable = true };

	sandbox_opts_configure(cfg, f->wall_secs, &o);
	return sandbox_run(&o, r);
}
