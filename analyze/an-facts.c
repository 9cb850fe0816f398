/*
 * an-facts.c - facts and issues collected by Lethe's own analyzers.
 *
 * Fact values are cleaned text of at most FACT_MAX bytes, and URLs in them
 * lose their userinfo (user:password@, lib/parse/redact.h), which is where
 * credentials hide in manifests (git+https://user:token@host/repo.git);
 * lib/parse/sarif.c removes it again on the host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "an.h"
#include "redact.h"
#include "util.h"

#define FACT_MAX 1000	/* bytes of one value */

void an_facts_init(struct an_facts *f)
{
	f->deps = json_object_new_array();
	f->wfs = json_object_new_array();
	f->n = 0;
}

void an_facts_release(struct an_facts *f)
{
	json_object_put(f->deps);
	json_object_put(f->wfs);
	memset(f, 0, sizeof(*f));
}

static void add_str(json_object *o, const char *key, const char *v)
{
	_cleanup_free_ char *c = NULL;

	if (!v)
		return;
	c = text_clean(v, FACT_MAX);
	redact_userinfo(c);
	json_object_object_add(o, key, json_object_new_string(c));
}

void an_facts_dep(struct an_facts *f, const char *ecosystem, const char *name,
		  const char *version, const char *constraint, bool direct,
		  const char *manifest, int line)
{
	json_object *o;

	if (f->n >= AN_FACTS_MAX || !name || !*name)
		return;
	o = json_object_new_object();
	add_str(o, "ecosystem", ecosystem);
	add_str(o, "name", name);
	add_str(o, "version", version && *version ? version : NULL);
	add_str(o, "constraint", constraint && *constraint ? constraint : NULL);
	json_object_object_add(o, "direct", json_object_new_boolean(direct));
	add_str(o, "manifest", manifest);
	if (line > 0)
		json_object_object_add(o, "line", json_object_new_int(line));
	json_object_array_add(f->deps, o);
	f->n++;
}

void an_facts_wf(struct an_facts *f, const char *system, const char *path,
		 const char *workflow, const char *job, const char *kind,
		 const char *value, const char *pinning)
{
	json_object *o;

	if (f->n >= AN_FACTS_MAX || !value)
		return;
	o = json_object_new_object();
	add_str(o, "system", system);
	add_str(o, "path", path);
	add_str(o, "workflow", workflow);
	add_str(o, "job", job);
	add_str(o, "kind", kind);
	add_str(o, "value", value);
	add_str(o, "pinning", pinning);
	json_object_array_add(f->wfs, o);
	f->n++;
}

void an_facts_finish(struct an_facts *f, struct sarif_run *run)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dependencies", json_object_get(f->deps));
	json_object_object_add(o, "workflows", json_object_get(f->wfs));
	free(run->facts_json);
	run->facts_json = xstrdup(json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (f->n >= AN_FACTS_MAX && run->complete)
		sarif_run_fail(run, "fact limit");
}

void an_issue_add(struct an_issues *is, const char *rule, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[SARIF_MESSAGE_MAX];

	if (is->n >= 10000)
		return;
	if (is->n == is->alloc) {
		is->alloc = is->alloc ? 2 * is->alloc : 16;
		is->v = xrealloc(is->v, is->alloc * sizeof(*is->v));
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	is->v[is->n].rule = xstrdup(rule);
	is->v[is->n].message = text_clean(msg, SARIF_MESSAGE_MAX);
	is->v[is->n].line = line;
	is->n++;
}

void an_issues_release(struct an_issues *is)
{
	for (size_t i = 0; i < is->n; i++) {
		free(is->v[i].rule);
		free(is->v[i].message);
	}
	free(is->v);
	memset(is, 0, sizeof(*is));
}

/* Rules whose findings are errors; the others are warnings. */
static const char *const error_rules[] = {
	"gha/untrusted-checkout", "gha/expression-injection", "gha/secrets-untrusted-trigger",
	"gha/self-hosted-public", "gitlab/mr-protected-variables", "gha/untrusted-env-write",
	"bitbucket/self-hosted-public", "gitlab/debug-trace",
};

static const char *rule_level(const char *rule)
{
	for (size_t i = 0; i < ARRAY_SIZE(error_rules); i++)
		if (!strcmp(rule, error_rules[i]))
			return "error";
	return strstr(rule, "/unparsable") || strstr(rule, "/include-missing") ||
	       strstr(rule, "/privileged-trigger") ? "note" : "warning";
}

void an_issues_report(const struct an_ctx *ctx, struct sarif_run *run, const char *tool,
		      const char *path, const struct an_issues *is)
{
	for (size_t i = 0; i < is->n; i++) {
		struct sarif_result *r = an_result_add(ctx, run, tool, is->v[i].rule, path,
						       is->v[i].line);

		if (!r)
			return;
		r->level = xstrdup(rule_level(is->v[i].rule));
		r->message = xstrdup(is->v[i].message);
	}
}
