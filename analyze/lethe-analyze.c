/*
 * lethe-analyze - run the scanners on the workspace and write one
 * sanitized SARIF 2.1.0 document (one run per tool) to stdout.
 *
 * The only Lethe program that reads repository files; it runs inside the
 * sandbox (read-only /workspace, private /tmp, no network, empty
 * environment).  Each scanner is a child process without a shell, in its
 * own process group, with a wall-clock timeout and an output limit; what
 * it writes is converted into whitelisted fields only (no source text),
 * and a scanner that fails, times out or writes garbage gives a run
 * marked incomplete with the reason, never a clean one.
 *
 * Adding an analyzer is adding a row to tools[] below: an external scanner
 * gives an argv builder, the stream to capture, the exit statuses that
 * mean success and a converter; an in-process analyzer (analyze/an-*.c)
 * gives .analyze, a function that fills its sarif_run with
 * an_result_add().  After each tool, results that a lethe:ignore marker
 * suppresses are marked so (an-suppress.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "an.h"
#include "log.h"
#include "sandbox_paths.h"
#include "sandboxed.h"
#include "util.h"

#define TOOLS_MAX 32
#define UNPARSABLE "unparsable output"
#define VERSION_TIMEOUT 10

static const struct an_tool tools[] = {
	{ .name = "flawfinder", .build = an_flawfinder_build, .capture_fd = 1,
	  .ok_exits = 1u << 0, .convert = an_convert_sarif, .version_arg = "--version",
	  .info_uri = "https://dwheeler.com/flawfinder/" },
	{ .name = "cppcheck", .build = an_cppcheck_build, .capture_fd = 2,
	  .ok_exits = 1u << 0, .convert = an_cppcheck_convert, .version_arg = "--version",
	  .info_uri = "https://cppcheck.sourceforge.io/" },
	{ .name = "shellcheck", .build = an_shellcheck_build, .capture_fd = 1,
	  .ok_exits = 1u << 0 | 1u << 1, .convert = an_shellcheck_convert,
	  .version_arg = "--version", .info_uri = "https://www.shellcheck.net/" },
	{ .name = "bandit", .build = an_bandit_build, .capture_fd = 1,
	  .ok_exits = 1u << 0 | 1u << 1, .convert = an_bandit_convert,
	  .version_arg = "--version", .info_uri = "https://bandit.readthedocs.io/" },
	{ .name = "eslint", .build = an_eslint_build, .capture_fd = 1,
	  .ok_exits = 1u << 0 | 1u << 1, .convert = an_convert_sarif,
	  .info_uri = "https://eslint.org/" },
	{ .name = "lethe-secrets", .analyze = an_secrets_analyze },
	{ .name = "lethe-workflows", .analyze = an_workflows_analyze },
	{ .name = "lethe-deps", .analyze = an_deps_analyze },
	{ .name = "lethe-markers", .analyze = an_markers_analyze },
};

struct options {
	const char *workspace;
	const char *only[TOOLS_MAX];
	size_t nonly;
	struct an_tool extra[TOOLS_MAX];
	size_t nextra;
	int64_t timeout, max_output, max_results, jobs;
	const char *eslint_dir;
};

#define USAGE "usage: lethe-analyze [--workspace DIR] [--tool NAME]... [--tool-timeout SECS]\n" \
	"                     [--max-output BYTES] [--max-results N]\n" \
	"                     [--extra-tool 'NAME=ABSOLUTE_PATH [ARGS]']... [--eslint-dir DIR]\n" \
	"                     [--jobs N]\n" \
	"       lethe-analyze --help | --version\n"

static void __attribute__((noreturn)) usage(void)
{
	fputs(USAGE, stderr);
	exit(EXIT_USAGE);
}

/* First "N.N[.N...]" token of a --version output, or NULL. */
static char *version_token(const char *out)
{
	for (const char *s = out; *s; s++) {
		size_t n = strspn(s, "0123456789.");

		if (n >= 3 && n < 64 && (s == out || !strchr("0123456789.", s[-1])) &&
		    s[0] != '.' && memchr(s, '.', n))
			return xstrndup(s, n);
	}
	return NULL;
}

static char *tool_version(const struct an_ctx *ctx, const struct an_tool *tool)
{
	struct an_ctx vctx = *ctx;
	char *argv[] = { (char *)tool->name, (char *)tool->version_arg, NULL };
	char *out = NULL, *v = NULL, why[128];
	size_t len;
	int status;

	vctx.timeout = ctx->timeout < VERSION_TIMEOUT ? ctx->timeout : VERSION_TIMEOUT;
	vctx.max_output = 65536;
	if (an_exec(&vctx, argv, 1, &out, &len, &status, why, sizeof(why)) == 0)
		v = version_token(out);
	free(out);
	return v;
}

static int tool_argv(const struct an_ctx *ctx, const struct an_tool *tool,
		     struct an_argv *argv, struct sarif_run *run)
{
	if (!tool->path)
		return tool->build(ctx, argv, run);
	an_argv_add(argv, tool->path);	/* extra tool: PATH [ARGS] . with cwd there */
	for (const char *a = tool->args; a && *(a += strspn(a, " \t")); a += strcspn(a, " \t")) {
		char *word = xstrndup(a, strcspn(a, " \t"));

		an_argv_add(argv, word);
		free(word);
	}
	an_argv_add(argv, ".");
	return 0;
}

static void run_external(const struct an_ctx *ctx, const struct an_tool *tool,
			 struct sarif_run *run)
{
	struct an_argv argv = { 0 };
	char *out = NULL, why[256] = "";
	size_t len = 0;
	int r, status = 0;

	r = tool_argv(ctx, tool, &argv, run);
	if (r == 0)
		r = an_exec(ctx, argv.v, tool->capture_fd, &out, &len, &status, why,
			    sizeof(why));
	if (r < 0 && !why[0])
		snprintf(why, sizeof(why), "unable to run: %s", strerror(-r));
	if (r == 0 && (status >= 32 || !(tool->ok_exits & 1u << status)))
		r = -EPROTO, snprintf(why, sizeof(why), "exited with status %d", status);
	if (r < 0)
		sarif_run_fail(run, why);
	else if (r == 0 && tool->convert(ctx, out, len, run) < 0 &&
		 !(run->reason && strncmp(run->reason, UNPARSABLE, strlen(UNPARSABLE)) == 0))
		sarif_run_fail(run, UNPARSABLE);	/* over "skipped ..." too */
	if (out)
		OPENSSL_cleanse(out, len);
	free(out);
	an_argv_release(&argv);
}

/* What every run of a tool gets once its results are in. */
static void run_finish(const struct an_ctx *ctx, const struct an_tool *tool,
		       struct sarif_run *run)
{
	sarif_run_check_refused(run);
	an_suppress_apply(ctx, run);
	an_lines_drop();
	if (!run->version && tool->version_arg)
		run->version = tool_version(ctx, tool);
	if (!run->info_uri && tool->info_uri)
		run->info_uri = xstrdup(tool->info_uri);
	log_debug("%s: %zu results%s%s", run->tool, run->nresults,
		  run->complete ? "" : ", incomplete: ", run->complete ? "" : run->reason);
}

/* A tool's run, and those after the first of a SARIF log of several. */
static void run_tool(const struct an_ctx *ctx, const struct an_tool *tool,
		     struct sarif_log *log)
{
	struct sarif_run *run = sarif_log_add_run(log, tool->name, NULL);
	struct an_ctx tctx = *ctx;
	struct sarif_log more;
	int r;

	sarif_log_init(&more);
	tctx.more = &more;
	if (tool->analyze) {
		r = tool->analyze(&tctx, run);
		if (r < 0 && run->complete)
			sarif_run_fail(run, strerror(-r));
	} else {
		run_external(&tctx, tool, run);
	}
	run_finish(ctx, tool, run);
	for (size_t i = 0; i < more.nruns; i++)
		run_finish(ctx, tool, sarif_log_move_run(log, &more.runs[i]));
	sarif_log_release(&more);
}

/*
 * --jobs N: the tools run in worker processes, N at a time, each with its
 * own limits as in one process.  A worker writes its runs as a SARIF
 * document into an unnamed file of /tmp (the sandbox's own tmpfs), which
 * is read back once it has exited; the runs keep the tools' order.
 */
struct worker {
	const struct an_tool *tool;
	pid_t pid;
	int fd, status;
};

static void __attribute__((noreturn)) worker_main(const struct an_ctx *ctx, const struct worker *w)
{
	struct sarif_log log;
	char *doc;

	sarif_log_init(&log);
	run_tool(ctx, w->tool, &log);
	doc = sarif_write(&log);
	_exit(write_all(w->fd, doc, strlen(doc)) < 0 ? EXIT_TEMPFAIL : EXIT_OK);
}

static void worker_start(const struct an_ctx *ctx, struct worker *w)
{
	w->fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (w->fd < 0)
		fatal(EXIT_TEMPFAIL, "unable to make a file in /tmp for the run of %s", w->tool->name);
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0)
		fatal(EXIT_TEMPFAIL, "unable to start the run of %s", w->tool->name);
	if (w->pid == 0)
		worker_main(ctx, w);
}

/* A worker's runs into log, or one failed run saying why there are none. */
static void worker_collect(const struct an_ctx *ctx, struct worker *w, struct sarif_log *log)
{
	struct sarif_limits lim;
	struct sarif_log runs;
	char *doc = NULL, why[256] = "";
	size_t len = 0;
	int r = -EPROTO;

	sarif_limits_default(&lim);
	lim.max_results = ctx->max_results;
	sarif_log_init(&runs);
	if (WIFSIGNALED(w->status))
		snprintf(why, sizeof(why), "the run was killed by signal %d", WTERMSIG(w->status));
	else if (WEXITSTATUS(w->status) != EXIT_OK)
		snprintf(why, sizeof(why), "the run exited with status %d", WEXITSTATUS(w->status));
	else if (lseek(w->fd, 0, SEEK_SET) < 0 || (r = read_fd(w->fd, lim.max_bytes, &doc, &len)) < 0)
		snprintf(why, sizeof(why), "unable to read the run back: %s", strerror(-r));
	else if ((r = sarif_parse(doc, len, &lim, &runs, why, sizeof(why))) == 0 && runs.nruns == 0)
		r = -EPROTO, snprintf(why, sizeof(why), "the run wrote no run");
	if (r < 0)
		sarif_run_fail(sarif_log_add_run(log, w->tool->name, NULL), why);
	for (size_t i = 0; r == 0 && i < runs.nruns; i++)
		sarif_log_move_run(log, &runs.runs[i]);
	sarif_log_release(&runs);
	free(doc);
	close(w->fd);
}

static void run_workers(const struct an_ctx *ctx, struct worker *w, size_t n, int jobs,
			struct sarif_log *log)
{
	size_t next = 0, running = 0;

	while (next < n || running > 0) {
		int status;
		pid_t pid;

		if (next < n && running < (size_t)jobs) {
			worker_start(ctx, &w[next++]);
			running++;
			continue;
		}
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			fatal(EXIT_TEMPFAIL, "unable to wait for the tools' runs");
		for (size_t i = 0; i < next; i++)
			if (w[i].pid == pid) {
				w[i].status = status;
				running--;
			}
	}
	for (size_t i = 0; i < n; i++)
		worker_collect(ctx, &w[i], log);
}

static bool selected(const struct options *o, const char *name)
{
	if (o->nonly == 0)
		return true;
	for (size_t i = 0; i < o->nonly; i++)
		if (strcmp(o->only[i], name) == 0)
			return true;
	return false;
}

static const struct an_tool *find_tool(const struct options *o, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (strcmp(tools[i].name, name) == 0)
			return &tools[i];
	for (size_t i = 0; i < o->nextra; i++)
		if (strcmp(o->extra[i].name, name) == 0)
			return &o->extra[i];
	return NULL;
}

/* --extra-tool "NAME=ABSOLUTE_PATH [ARGS]": a program writing SARIF on stdout. */
static void add_extra(struct options *o, char *arg)
{
	char *eq = strchr(arg, '='), *sp;
	struct an_tool *t;

	if (!eq || eq == arg || eq - arg > 32 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") != (size_t)(eq - arg) || eq[1] != '/')
		fatalx(EXIT_USAGE, "invalid --extra-tool '%s': want NAME=ABSOLUTE_PATH", arg);
	*eq = '\0';
	sp = eq + 1 + strcspn(eq + 1, " \t");
	if (*sp)
		*sp++ = '\0';
	if (find_tool(o, arg) || o->nextra == TOOLS_MAX)
		fatalx(EXIT_USAGE, "invalid --extra-tool '%s': duplicate name or too many", arg);
	if (access(eq + 1, X_OK) < 0)
		fatal(EXIT_PERMFAIL, "extra tool '%s' not executable", eq + 1);
	t = &o->extra[o->nextra++];
	memset(t, 0, sizeof(*t));
	t->name = arg;
	t->path = eq + 1;
	t->args = *sp ? sp : NULL;
	t->capture_fd = 1;
	t->ok_exits = 1u << 0 | 1u << 1;
	t->convert = an_convert_sarif;
}

static int64_t number_arg(const char *opt, const char *arg, int64_t min, int64_t max,
			  int (*parse)(const char *, int64_t *))
{
	int64_t v;

	if ((parse ? parse(arg, &v) : parse_i64(arg, min, max, &v)) < 0 || v < min || v > max)
		fatalx(EXIT_USAGE, "invalid %s '%s': want %lld to %lld", opt, arg,
		       (long long)min, (long long)max);
	return v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "workspace", required_argument, NULL, 'w' },
		{ "tool", required_argument, NULL, 't' },
		{ "tool-timeout", required_argument, NULL, 'T' },
		{ "max-output", required_argument, NULL, 'o' },
		{ "max-results", required_argument, NULL, 'r' },
		{ "extra-tool", required_argument, NULL, 'x' },
		{ "eslint-dir", required_argument, NULL, 'e' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .workspace = "/workspace", .timeout = 120,
			       .max_output = 64 << 20, .max_results = 5000,
			       .jobs = 1, .eslint_dir = SANDBOX_ESLINT_DIR };
	std_options(argc, argv, USAGE);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'w')
			o->workspace = optarg;
		else if (c == 't' && o->nonly < TOOLS_MAX)
			o->only[o->nonly++] = optarg;
		else if (c == 'T')
			o->timeout = number_arg("--tool-timeout", optarg, 1, 86400, parse_duration);
		else if (c == 'o')
			o->max_output = number_arg("--max-output", optarg, 4096, 1 << 30, parse_size);
		else if (c == 'r')
			o->max_results = number_arg("--max-results", optarg, 1, 1000000, NULL);
		else if (c == 'x')
			add_extra(o, optarg);
		else if (c == 'e' && optarg[0] == '/')
			o->eslint_dir = optarg;
		else if (c == 'j')
			o->jobs = number_arg("--jobs", optarg, 1, TOOLS_MAX, NULL);
		else
			usage();
	}
	if (optind != argc)
		usage();
	for (size_t i = 0; i < o->nonly; i++)
		if (!find_tool(o, o->only[i]))
			fatalx(EXIT_USAGE, "unknown tool '%s'", o->only[i]);
}

static void open_workspace(const struct options *o, struct an_ctx *ctx)
{
	char *real = realpath(o->workspace, NULL);

	if (!real)
		fatal(EXIT_PERMFAIL, "unable to resolve workspace '%s'", o->workspace);
	ctx->wsfd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->wsfd < 0)
		fatal(EXIT_PERMFAIL, "unable to open workspace '%s'", real);
	ctx->workspace = real;	/* freed by main */
}

static void write_log(const struct sarif_log *log)
{
	char *doc = sarif_write(log);

	if (fputs(doc, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		fatal(EXIT_TEMPFAIL, "unable to write the SARIF document");
	free(doc);
}


int main(int argc, char **argv)
{
	struct options o;
	struct an_ctx ctx = { 0 };
	struct sarif_log log;
	struct worker w[2 * TOOLS_MAX] = { 0 };
	size_t nw = 0;

	log_init("lethe-analyze");
	parse_options(argc, argv, &o);
	open_workspace(&o, &ctx);
	ctx.timeout = (int)o.timeout;
	ctx.max_output = (size_t)o.max_output;
	ctx.max_results = (size_t)o.max_results;
	ctx.eslint_dir = o.eslint_dir;
	ctx.jobs = (int)o.jobs;
	sarif_log_init(&log);
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (selected(&o, tools[i].name))
			w[nw++].tool = &tools[i];
	for (size_t i = 0; i < o.nextra; i++)
		if (selected(&o, o.extra[i].name))
			w[nw++].tool = &o.extra[i];
	if (o.jobs == 1)
		for (size_t i = 0; i < nw; i++)
			run_tool(&ctx, w[i].tool, &log);
	else
		run_workers(&ctx, w, nw, (int)o.jobs, &log);
	write_log(&log);
	sarif_log_release(&log);
	close(ctx.wsfd);
	free((char *)ctx.workspace);
	return EXIT_OK;
}
