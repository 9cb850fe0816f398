/*
 * standin.h - start and stop tests/vcs-standin from a C unit test.
 * The checkout's top is found from the test binary: <top>/build/tests/NAME.
 */
#ifndef LETHE_STANDIN_H
#define LETHE_STANDIN_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

struct standin {
	pid_t pid;
	char dir[64];
	char url[64];
	char log[128];
};

static inline char *standin_top(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return xstrdup(".");
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {	/* NAME, tests, build */
		char *slash = strrchr(exe, '/');

		if (slash)
			*slash = '\0';
	}
	return xstrdup(exe);
}

/* Write config into a scratch directory, start the stand-in, wait for its
 * port; it judges GitHub requests by build/tools/github-openapi (scripts/deps). */
static inline int standin_start(struct standin *s, const char *config)
{
	char *top = standin_top(), *script = xasprintf("%s/tests/vcs-standin", top);
	char *api = xasprintf("%s/build/tools/github-openapi/api.github.com.json", top);
	char *cfg, *port;
	int r = -1;

	snprintf(s->dir, sizeof(s->dir), "/tmp/lethe-standin.XXXXXX");
	if (!mkdtemp(s->dir) || access("/usr/bin/python3", X_OK))
		goto out;
	cfg = xasprintf("%s/config.json", s->dir);
	port = xasprintf("%s/port", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/requests.log", s->dir);
	write_file_atomic(cfg, config, strlen(config), 0600);
	s->pid = fork();
	if (s->pid == 0) {
		execl("/usr/bin/python3", "python3", script, "--config", cfg, "--log", s->log,
		      "--port-file", port, "--github-openapi", api, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && s->pid > 0; i++, usleep(50000)) {
		char *txt = NULL;

		if (read_file(port, 32, &txt, NULL) == 0) {
			snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", atoi(txt));
			free(txt);
			r = 0;
			break;
		}
	}
	free(cfg);
	free(port);
out:
	free(api);
	free(script);
	free(top);
	return r;
}

static inline void standin_stop(struct standin *s)
{
	char *cmd;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	cmd = xasprintf("rm -rf '%s'", s->dir);
	if (s->dir[0] && system(cmd) != 0)
		fprintf(stderr, "# unable to remove '%s'\n", s->dir);
	free(cmd);
}

/* The request log so far (caller frees), "" if none. */
static inline char *standin_log(const struct standin *s)
{
	char *txt = NULL;

	if (read_file(s->log, 16 << 20, &txt, NULL) < 0)
		return xstrdup("");
	return txt;
}

static inline int standin_count(const struct standin *s, const char *needle)
{
	char *log = standin_log(s);
	int n = 0;

	for (const char *p = log; (p = strstr(p, needle)); p++)
		n++;
	free(log);
	return n;
}

#endif
