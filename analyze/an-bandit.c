/*
 * an-bandit.c - bandit's JSON report (-f json) to results.
 *
 * bandit's "code" field (the flagged lines) is never read, and neither is
 * its message, which may quote the code (a hardcoded password, say): the
 * text kept is the one Lethe keeps for the rule (lib/parse/ruletext.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "an.h"
#include "ruletext.h"
#include "util.h"

int an_bandit_build(const struct an_ctx *ctx, struct an_argv *argv,
		    struct sarif_run *run)
{
	static const char *const args[] = { "bandit", "-f", "json", "-q", "-r", "." };
	static const char *const python[] = { ".py", ".pyw" };	/* what bandit -r takes */
	int r = an_has_suffixed(ctx, python, ARRAY_SIZE(python));

	if (r < 0)
		return r;
	if (r == 0) {
		sarif_run_not_applicable(run, "no Python file");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		an_argv_add(argv, args[i]);
	return 0;
}

static const char *bandit_level(const char *severity)
{
	if (severity && strcmp(severity, "HIGH") == 0)
		return "error";
	if (severity && strcmp(severity, "MEDIUM") == 0)
		return "warning";
	return "note";
}

/* Last line of line_range, or the line itself. */
static int bandit_end(json_object *res, int line)
{
	json_object *range;
	size_t n;

	if (!json_object_object_get_ex(res, "line_range", &range) ||
	    !json_object_is_type(range, json_type_array) ||
	    (n = json_object_array_length(range)) == 0)
		return line;
	int64_t last = json_object_get_int64(json_object_array_get_idx(range, n - 1));

	return last >= line && last <= INT32_MAX ? (int)last : line;
}

static char *bandit_cwe(json_object *res)
{
	json_object *cwe;
	int id;

	if (!json_object_object_get_ex(res, "issue_cwe", &cwe) ||
	    (id = an_json_int(cwe, "id")) <= 0)
		return NULL;
	return xasprintf("CWE-%d", id);
}

static void bandit_result(const struct an_ctx *ctx, struct sarif_run *run,
			  json_object *res)
{
	const char *test = an_json_str(res, "test_id");
	int line = an_json_int(res, "line_number"), col = an_json_int(res, "col_offset");
	struct sarif_result *r;

	r = an_result_add(ctx, run, run->tool, test, an_json_str(res, "filename"), line);
	if (!r)
		return;
	r->level = xstrdup(bandit_level(an_json_str(res, "issue_severity")));
	r->message = ruletext_message(run->tool, test, an_json_str(res, "issue_text"));
	r->end_line = bandit_end(res, r->start_line);
	r->start_column = col >= 0 && r->start_line > 0 ? col + 1 : 0;
	r->cwe = bandit_cwe(res);
}

int an_bandit_convert(const struct an_ctx *ctx, const char *out, size_t len,
		      struct sarif_run *run)
{
	json_object *doc, *results, *errors;
	int r = an_json_parse(out, len, &doc);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(doc, "results", &results) ||
	    !json_object_is_type(results, json_type_array)) {
		json_object_put(doc);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(results); i++)
		bandit_result(ctx, run, json_object_array_get_idx(results, i));
	if (json_object_object_get_ex(doc, "errors", &errors) &&
	    json_object_is_type(errors, json_type_array) &&
	    json_object_array_length(errors) > 0 && run->complete) {
		char *why = xasprintf("could not scan %zu files",
				      json_object_array_length(errors));

		sarif_run_fail(run, why);
		free(why);
	}
	json_object_put(doc);
	return 0;
}
