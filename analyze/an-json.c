/*
 * an-json.c - reading scanners' JSON, and taking over SARIF that a scanner
 * wrote itself (flawfinder, extra tools) through the whitelist reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "an.h"
#include "util.h"

#define JSON_DEPTH 64

/* A whole JSON object; out is NUL-terminated (an_exec's output). */
int an_json_parse(const char *out, size_t len, struct json_object **doc)
{
	struct json_tokener *tok;
	enum json_tokener_error err;
	size_t end;

	*doc = NULL;
	if (len > INT_MAX || memchr(out, '\0', len))
		return -EINVAL;
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	*doc = json_tokener_parse_ex(tok, out, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (err != json_tokener_success || !json_object_is_type(*doc, json_type_object) ||
	    strspn(out + end, " \t\r\n") != len - end) {
		json_object_put(*doc);
		*doc = NULL;
		return -EINVAL;
	}
	return 0;
}

const char *an_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer field in [0, INT_MAX], or -1. */
int an_json_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	return n >= 0 && n <= INT_MAX ? (int)n : -1;
}

/* Whether path names a file in the workspace (sarif_limits.exists). */
static bool in_workspace(const char *path, void *arg)
{
	const struct an_ctx *ctx = arg;
	struct stat st;

	return fstatat(ctx->wsfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void take_result(const struct an_ctx *ctx, struct sarif_run *run,
			const struct sarif_result *in)
{
	struct sarif_result *r = an_result_add(ctx, run, run->tool, in->rule_id,
					       in->path, in->start_line);

	if (!r)
		return;
	r->level = xstrdup(in->level);
	r->message = xstrdup(in->message);	/* Lethe's text: sarif_parse() */
	r->cwe = in->cwe ? xstrdup(in->cwe) : NULL;
	r->end_line = in->end_line;
	r->start_column = in->start_column;
}

static void take_run(const struct an_ctx *ctx, struct sarif_run *run,
		     const struct sarif_run *in)
{
	if (!run->version && in->version)
		run->version = xstrdup(in->version);
	if (!run->info_uri && in->info_uri)
		run->info_uri = xstrdup(in->info_uri);
	if (!run->category && in->category)
		run->category = xstrdup(in->category);
	/* The tool's own notification may quote the code: not passed on.
	 * Refused results are counted, and noted when the tool's run ends. */
	if (!in->complete && run->complete)
		sarif_run_fail(run, "the tool reported that it did not complete");
	run->refused += in->refused;
	for (size_t i = 0; i < in->nresults; i++)
		take_result(ctx, run, &in->results[i]);
}

/* What tells a run from the others of its log: its category without
 * trailing slashes, else its driver's name; returns its length. */
static size_t run_label(const struct sarif_run *run, const char **label)
{
	size_t n;

	*label = run->category ? run->category : run->tool;
	n = strlen(*label);
	while (n > 1 && (*label)[n - 1] == '/')
		n--;
	return n;
}

/* The name of run i of a tool's log of several: "TOOL/LABEL", and "#N"
 * after it when earlier runs of the log have that label. */
static char *run_name(const char *tool, const struct sarif_log *log, size_t i)
{
	const char *label, *l;
	size_t n = run_label(&log->runs[i], &label), same = 0;

	for (size_t k = 0; k < i; k++)
		same += run_label(&log->runs[k], &l) == n && !memcmp(l, label, n);
	return same ? xasprintf("%s/%.*s#%zu", tool, (int)n, label, same + 1)
		    : xasprintf("%s/%.*s", tool, (int)n, label);
}

int an_convert_sarif(const struct an_ctx *ctx, const char *out, size_t len,
		     struct sarif_run *run)
{
	struct sarif_limits lim;
	struct sarif_log log;
	char why[256], *reason, *tool;
	int r;

	sarif_limits_default(&lim);
	lim.max_bytes = len;
	lim.max_results = 10 * 1000 * 1000;
	lim.base = ctx->workspace;
	lim.exists = in_workspace;
	lim.exists_arg = (void *)ctx;
	lim.tool = run->tool;	/* for a run that does not name its tool */
	r = sarif_parse(out, len, &lim, &log, why, sizeof(why));
	if (r == 0 && log.nruns == 0)
		r = -EINVAL, snprintf(why, sizeof(why), "no run in its SARIF");
	if (r == 0 && log.nruns > AN_TOOL_RUNS_MAX)
		r = -E2BIG, snprintf(why, sizeof(why), "%zu runs in its SARIF, limit %d", log.nruns,
				     AN_TOOL_RUNS_MAX);
	if (r < 0) {
		reason = xasprintf("unparsable output: %s", why);
		sarif_run_fail(run, reason);
		free(reason);
	}
	tool = xstrdup(run->tool);
	for (size_t i = 0; r == 0 && i < log.nruns; i++) {
		struct sarif_run *to = run;

		if (ctx->more && log.nruns > 1) {
			char *name = run_name(tool, &log, i);

			if (i == 0) {
				free(run->tool);
				run->tool = name;
			} else {
				to = sarif_log_add_run(ctx->more, name, NULL);
				free(name);
			}
		}
		take_run(ctx, to, &log.runs[i]);
	}
	free(tool);
	sarif_log_release(&log);
	return r;
}
