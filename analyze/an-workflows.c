/*
 * an-workflows.c - CI/CD workflows: GitHub Actions (.github/workflows/
 * *.yml) and GitLab CI (.gitlab-ci.yml and its local includes), read with
 * libyaml into facts (workflows, triggers, jobs, runners, actions and
 * images with their pinning, permissions, includes) and findings for
 * well-known risks:
 *
 *   gha/unpinned-action            uses: not pinned to a full commit SHA
 *   gha/untrusted-checkout         pull_request_target or workflow_run
 *                                  checking out the head of the untrusted code
 *   gha/expression-injection       ${{ attacker-controlled context }} in run:
 *                                  or in actions/github-script's script
 *   gha/permissions-missing        neither the workflow nor the job says
 *   gha/permissions-write-all      permissions: write-all
 *   gha/secrets-untrusted-trigger  secrets.* in a job of a workflow started by
 *                                  pull_request_target or workflow_run
 *   gha/self-hosted-public         a self-hosted runner on a trigger anyone
 *                                  can fire (pull requests, issues, comments)
 *   gha/curl-pipe-shell, gitlab/curl-pipe-shell
 *                                  curl or wget piped into a shell
 *   gitlab/unpinned-image          an image without tag or digest, or :latest
 *   gitlab/mr-protected-variables  a job running merge-request code that uses
 *                                  variables named like credentials
 *   gha/unparsable, gitlab/unparsable
 *                                  the file is not YAML or not a mapping
 *
 * Only names, references and paths become facts; script text is matched
 * here and never copied out.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "an.h"
#include "util.h"

#define TOOL "lethe-workflows"
#define WF_FILE_MAX (4u << 20)
#define VISITS_MAX 200000	/* nodes visited per file (aliases repeat nodes) */
#define DEPTH_MAX 64
#define GH "github-actions"
#define GL "gitlab-ci"

struct wf {
	yaml_document_t doc;
	const char *system, *path;
	const char *name;	/* workflow name */
	struct an_facts *facts;
	struct an_issues *is;
	struct an_includes *incs;
	size_t visits;
	bool untrusted, public;	/* GitHub triggers */
	bool mr_pipeline;	/* GitLab workflow rules run on merge requests */
	const char *prefix;	/* "gha" or "gitlab" */
};

static regex_t pipe_rx;
static bool pipe_compiled;

/* ---- YAML access ---- */

static yaml_node_t *node(struct wf *w, int id)
{
	return yaml_document_get_node(&w->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

static bool is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

static int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

static yaml_node_t *get(struct wf *w, const yaml_node_t *map, const char *key)
{
	if (!is_map(map))
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(w, p->key));

		if (k && !strcmp(k, key))
			return node(w, p->value);
	}
	return NULL;
}

/* Call fn for each scalar of n, or of the sequence n. */
static void each_scalar(struct wf *w, yaml_node_t *n, void (*fn)(struct wf *, yaml_node_t *, void *),
			void *arg)
{
	if (scalar(n)) {
		fn(w, n, arg);
		return;
	}
	for (yaml_node_item_t *i = is_seq(n) ? n->data.sequence.items.start : NULL;
	     i && i < n->data.sequence.items.top; i++)
		if (scalar(node(w, *i)))
			fn(w, node(w, *i), arg);
}

/* Does some scalar below n (bounded) satisfy pred? */
static bool any_scalar(struct wf *w, yaml_node_t *n, bool (*pred)(const char *), int depth)
{
	if (!n || depth > DEPTH_MAX || ++w->visits > VISITS_MAX)
		return false;
	if (scalar(n))
		return pred(scalar(n));
	if (is_seq(n)) {
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++)
			if (any_scalar(w, node(w, *i), pred, depth + 1))
				return true;
		return false;
	}
	for (yaml_node_pair_t *p = is_map(n) ? n->data.mapping.pairs.start : NULL;
	     p && p < n->data.mapping.pairs.top; p++)
		if (any_scalar(w, node(w, p->value), pred, depth + 1))
			return true;
	return false;
}

/* ---- shared checks ---- */

static void fact(struct wf *w, const char *job, const char *kind, const char *value,
		 const char *pinning)
{
	an_facts_wf(w->facts, w->system, w->path, w->name, job, kind, value, pinning);
}

static void issue_rule(struct wf *w, const char *rule, int line, const char *msg)
{
	char id[64];

	snprintf(id, sizeof(id), "%s/%s", w->prefix, rule);
	an_issue_add(w->is, id, line, "%s", msg);
}

static void check_pipe(struct wf *w, yaml_node_t *n, void *arg)
{
	if (scalar(n) && regexec(&pipe_rx, scalar(n), 0, NULL, 0) == 0)
		issue_rule(w, "curl-pipe-shell", line_of(n),
			   "a script pipes a download into a shell: what runs is whatever the "
			   "server sends");
}

/* "digest", "tag" or "none" for a container image reference. */
static const char *image_pinning(const char *image)
{
	const char *slash = strrchr(image, '/'), *colon;

	if (strstr(image, "@sha256:"))
		return "digest";
	colon = strchr(slash ? slash : image, ':');
	return colon && colon[1] && strcmp(colon + 1, "latest") != 0 ? "tag" : "none";
}

/* ---- GitHub Actions ---- */

static const char *const untrusted_events[] = { "pull_request_target", "workflow_run" };
static const char *const public_events[] = {
	"pull_request", "pull_request_target", "pull_request_review",
	"pull_request_review_comment", "issue_comment", "issues", "discussion",
	"discussion_comment", "fork", "watch",
};
static const char *const attacker_contexts[] = {
	"github.event.issue.title", "github.event.issue.body",
	"github.event.pull_request.title", "github.event.pull_request.body",
	"github.event.pull_request.head.ref", "github.event.pull_request.head.label",
	"github.event.pull_request.head.repo.default_branch",
	"github.event.comment.body", "github.event.review.body",
	"github.event.review_comment.body", "github.event.discussion.title",
	"github.event.discussion.body", ".page_name", "github.event.head_commit.message",
	"github.event.head_commit.author.", "github.event.commits",
	"github.event.workflow_run.head_branch", "github.event.workflow_run.head_commit.",
	"github.event.workflow_run.display_title", "github.head_ref",
};
static const char *const untrusted_refs[] = {
	"github.event.pull_request.head.sha", "github.event.pull_request.head.ref",
	"github.head_ref", "github.event.workflow_run.head_sha",
	"github.event.workflow_run.head_branch", "refs/pull/",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static bool mentions(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strstr(s, list[i]))
			return true;
	return false;
}

/* An ${{ }} expression of s naming an attacker-controlled context. */
static bool injects(const char *s)
{
	for (const char *e = s; (e = strstr(e, "${{")); e += 3) {
		const char *end = strstr(e, "}}");
		_cleanup_free_ char *expr = xstrndup(e, end ? (size_t)(end - e) : strlen(e));

		if (mentions(expr, attacker_contexts, ARRAY_SIZE(attacker_contexts)))
			return true;
	}
	return false;
}

static bool uses_secret(const char *s)
{
	for (const char *e = s; (e = strstr(e, "secrets.")); e += 8)
		if (strncmp(e + 8, "GITHUB_TOKEN", 12) != 0)
			return true;
	return false;
}

static void gh_trigger(struct wf *w, const char *ev)
{
	fact(w, NULL, "trigger", ev, NULL);
	w->untrusted |= in_list(ev, untrusted_events, ARRAY_SIZE(untrusted_events));
	w->public |= in_list(ev, public_events, ARRAY_SIZE(public_events));
}

static void gh_trigger_cb(struct wf *w, yaml_node_t *n, void *arg)
{
	gh_trigger(w, scalar(n));
}

static void gh_triggers(struct wf *w, yaml_node_t *on)
{
	if (!is_map(on)) {
		each_scalar(w, on, gh_trigger_cb, NULL);
		return;
	}
	for (yaml_node_pair_t *p = on->data.mapping.pairs.start; p < on->data.mapping.pairs.top; p++)
		if (scalar(node(w, p->key)))
			gh_trigger(w, scalar(node(w, p->key)));
}

/* Permission facts; true when permissions are given at all. */
static bool gh_permissions(struct wf *w, yaml_node_t *owner, const char *job)
{
	yaml_node_t *perms = get(w, owner, "permissions");

	if (!perms)
		return false;
	if (scalar(perms)) {
		fact(w, job, "permission", scalar(perms), NULL);
		if (!strcmp(scalar(perms), "write-all"))
			issue_rule(w, "permissions-write-all", line_of(perms),
				   "permissions: write-all gives the token every write scope");
		return true;
	}
	for (yaml_node_pair_t *p = is_map(perms) ? perms->data.mapping.pairs.start : NULL;
	     p && p < perms->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(w, p->key)), *v = scalar(node(w, p->value));
		_cleanup_free_ char *s = NULL;

		if (!k || !v)
			continue;
		s = xasprintf("%s: %s", k, v);
		fact(w, job, "permission", s, NULL);
	}
	return true;
}

static void gh_uses(struct wf *w, const char *job, yaml_node_t *n)
{
	const char *uses = scalar(n), *at;

	if (!uses)
		return;
	if (!strncmp(uses, "docker://", 9)) {
		fact(w, job, "image", uses + 9, image_pinning(uses + 9));
		return;
	}
	if (uses[0] == '.') {
		fact(w, job, "action", uses, NULL);	/* in the repository itself */
		return;
	}
	at = strrchr(uses, '@');
	if (at && strlen(at + 1) == 40 && strspn(at + 1, "0123456789abcdef") == 40) {
		fact(w, job, "action", uses, "sha");
		return;
	}
	fact(w, job, "action", uses,
	     !at ? "none" : at[1] == 'v' || (at[1] >= '0' && at[1] <= '9') ? "tag" : "branch");
	issue_rule(w, "unpinned-action", line_of(n),
		   "action not pinned to a full commit SHA: its owner can change what runs");
}

static void gh_inject(struct wf *w, yaml_node_t *n)
{
	if (scalar(n) && injects(scalar(n)))
		issue_rule(w, "expression-injection", line_of(n),
			   "an attacker-controlled ${{ }} context is pasted into a script; "
			   "pass it through env: instead");
}

static void gh_step(struct wf *w, const char *job, yaml_node_t *step)
{
	yaml_node_t *uses = get(w, step, "uses"), *with = get(w, step, "with");
	const char *u = scalar(uses);

	gh_uses(w, job, uses);
	gh_inject(w, get(w, step, "run"));
	check_pipe(w, get(w, step, "run"), NULL);	/* a mapping or list: not a script */
	if (u && !strncmp(u, "actions/github-script@", 22))
		gh_inject(w, get(w, with, "script"));
	if (u && !strncmp(u, "actions/checkout@", 17) && w->untrusted &&
	    mentions(scalar(get(w, with, "ref")), untrusted_refs, ARRAY_SIZE(untrusted_refs)))
		issue_rule(w, "untrusted-checkout", line_of(uses),
			   "a privileged workflow (pull_request_target or workflow_run) checks "
			   "out the untrusted head and may run it with secrets and a write token");
}

static void gh_runner(struct wf *w, yaml_node_t *n, void *arg)
{
	fact(w, arg, "runner", scalar(n), NULL);
	if (!strcmp(scalar(n), "self-hosted") && w->public)
		issue_rule(w, "self-hosted-public", line_of(n),
			   "a self-hosted runner on a trigger anyone can fire runs strangers' "
			   "code on your machine");
}

static void gh_image(struct wf *w, const char *job, yaml_node_t *n)
{
	const char *img = scalar(n) ? scalar(n) : scalar(get(w, n, "image"));

	if (img)
		fact(w, job, "image", img, image_pinning(img));
}

static void gh_job(struct wf *w, const char *job, yaml_node_t *j, bool top_perms)
{
	yaml_node_t *steps = get(w, j, "steps"), *services = get(w, j, "services");

	fact(w, job, "job", job, NULL);
	if (!gh_permissions(w, j, job) && !top_perms)
		issue_rule(w, "permissions-missing", line_of(j),
			   "no permissions: the job's token gets the repository's default scopes");
	each_scalar(w, get(w, j, "runs-on"), gh_runner, (void *)job);
	gh_image(w, job, get(w, j, "container"));
	for (yaml_node_pair_t *p = is_map(services) ? services->data.mapping.pairs.start : NULL;
	     p && p < services->data.mapping.pairs.top; p++)
		gh_image(w, job, node(w, p->value));
	gh_uses(w, job, get(w, j, "uses"));
	for (yaml_node_item_t *i = is_seq(steps) ? steps->data.sequence.items.start : NULL;
	     i && i < steps->data.sequence.items.top; i++)
		gh_step(w, job, node(w, *i));
	if (w->untrusted && any_scalar(w, j, uses_secret, 0))
		issue_rule(w, "secrets-untrusted-trigger", line_of(j),
			   "secrets are used by a workflow that untrusted pull requests or runs "
			   "can start");
}

static void gh_workflow(struct wf *w, yaml_node_t *root)
{
	yaml_node_t *jobs = get(w, root, "jobs");
	bool top;

	w->name = scalar(get(w, root, "name")) ? scalar(get(w, root, "name")) : w->path;
	fact(w, NULL, "workflow", w->name, NULL);
	gh_triggers(w, get(w, root, "on"));
	top = gh_permissions(w, root, NULL);
	for (yaml_node_pair_t *p = is_map(jobs) ? jobs->data.mapping.pairs.start : NULL;
	     p && p < jobs->data.mapping.pairs.top; p++)
		if (scalar(node(w, p->key)) && is_map(node(w, p->value)))
			gh_job(w, scalar(node(w, p->key)), node(w, p->value), top);
}

/* ---- GitLab CI ---- */

static const char *const gl_reserved[] = {
	"image", "services", "stages", "variables", "include", "default", "workflow",
	"before_script", "after_script", "cache", "types",
};

static void gl_include_local(struct wf *w, const char *p, int line)
{
	while (*p == '/')
		p++;
	fact(w, NULL, "include", p, NULL);
	if (w->incs->n < ARRAY_SIZE(w->incs->v) && !strpbrk(p, "*?") && !strstr(p, ".."))
		w->incs->v[w->incs->n++] = xstrdup(p);
}

static void gl_include(struct wf *w, yaml_node_t *n)
{
	const char *s = scalar(n), *ref, *project = scalar(get(w, n, "project"));
	_cleanup_free_ char *v = NULL;

	if (s) {
		if (strstr(s, "://"))
			fact(w, NULL, "include", s, NULL);
		else
			gl_include_local(w, s, line_of(n));
		return;
	}
	if (scalar(get(w, n, "local"))) {
		gl_include_local(w, scalar(get(w, n, "local")), line_of(n));
	} else if (project) {
		ref = scalar(get(w, n, "ref"));
		v = xasprintf("project:%s", project);
		fact(w, NULL, "include", v, !ref ? "none" : strlen(ref) == 40 &&
		     strspn(ref, "0123456789abcdef") == 40 ? "sha" :
		     ref[0] == 'v' || (ref[0] >= '0' && ref[0] <= '9') ? "tag" : "branch");
	} else {
		const char *keys[] = { "remote", "template", "component" };

		for (size_t i = 0; i < ARRAY_SIZE(keys) && !v; i++)
			if (scalar(get(w, n, keys[i])))
				v = xasprintf("%s:%s", keys[i], scalar(get(w, n, keys[i])));
		if (v)
			fact(w, NULL, "include", v, NULL);
	}
}

static bool mr_source(const char *s)
{
	return strstr(s, "merge_request_event") || !strcmp(s, "merge_requests");
}

/* Triggers named by rules (CI_PIPELINE_SOURCE == "x") or only: lists. */
static void gl_trigger_words(struct wf *w, const char *job, const char *s)
{
	for (const char *e = s; (e = strstr(e, "CI_PIPELINE_SOURCE")); e += 18) {
		const char *q = e + 18 + strspn(e + 18, " =\t");
		size_t n;

		if (*q != '"' && *q != '\'')
			continue;
		n = strcspn(q + 1, "\"'");
		if (n && n < 64) {
			_cleanup_free_ char *t = xstrndup(q + 1, n);

			fact(w, job, "trigger", t, NULL);
		}
	}
}

static void gl_rules(struct wf *w, const char *job, yaml_node_t *rules)
{
	for (yaml_node_item_t *i = is_seq(rules) ? rules->data.sequence.items.start : NULL;
	     i && i < rules->data.sequence.items.top; i++) {
		const char *cond = scalar(get(w, node(w, *i), "if"));

		if (cond)
			gl_trigger_words(w, job, cond);
	}
}

static void gl_only_cb(struct wf *w, yaml_node_t *n, void *arg)
{
	fact(w, arg, "trigger", scalar(n), NULL);
}

/* Variables named like credentials: $X or ${X} containing TOKEN, SECRET... */
static bool credential_var(const char *s)
{
	static const char *const words[] = { "TOKEN", "SECRET", "PASSWORD", "PASSWD",
					     "PRIVATE_KEY", "API_KEY", "CREDENTIAL" };

	for (const char *d = s; (d = strchr(d, '$')); d++) {
		const char *v = d + 1 + (d[1] == '{');
		size_t n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
		_cleanup_free_ char *name = xstrndup(v, n);

		if (n == 0 || !strncmp(name, "CI_", 3))
			continue;
		for (char *c = name; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		if (mentions(name, words, ARRAY_SIZE(words)))
			return true;
	}
	return false;
}

static bool gl_mr_job(struct wf *w, yaml_node_t *j)
{
	yaml_node_t *rules = get(w, j, "rules"), *only = get(w, j, "only");

	if (rules || only)
		return any_scalar(w, rules, mr_source, 0) || any_scalar(w, only, mr_source, 0);
	return w->mr_pipeline;
}

static void gl_job(struct wf *w, const char *job, yaml_node_t *j, const char *dflt_image)
{
	static const char *const scripts[] = { "before_script", "script", "after_script" };
	yaml_node_t *img = get(w, j, "image");
	const char *image = scalar(img) ? scalar(img) : scalar(get(w, img, "name"));
	yaml_node_t *only = get(w, j, "only");

	fact(w, job, "job", job, NULL);
	gl_rules(w, job, get(w, j, "rules"));
	each_scalar(w, is_map(only) ? get(w, only, "refs") : only, gl_only_cb, (void *)job);
	each_scalar(w, get(w, j, "tags"), gh_runner, (void *)job);
	if (!image)
		image = dflt_image;
	if (image) {
		fact(w, job, "image", image, image_pinning(image));
		if (!strcmp(image_pinning(image), "none"))
			issue_rule(w, "unpinned-image", line_of(img ? img : j),
				   "image without a tag or digest (or :latest): what runs changes "
				   "under you");
	}
	for (size_t i = 0; i < ARRAY_SIZE(scripts); i++)
		each_scalar(w, get(w, j, scripts[i]), check_pipe, NULL);
	if (gl_mr_job(w, j) && (any_scalar(w, get(w, j, "script"), credential_var, 0) ||
				any_scalar(w, get(w, j, "before_script"), credential_var, 0)))
		issue_rule(w, "mr-protected-variables", line_of(j),
			   "a job that runs merge-request code uses credential variables: "
			   "the merge request's author can read them");
}

static void gl_workflow(struct wf *w, yaml_node_t *root)
{
	yaml_node_t *inc = get(w, root, "include"), *dflt = get(w, root, "default");
	yaml_node_t *img = get(w, dflt, "image") ? get(w, dflt, "image") : get(w, root, "image");
	const char *image = scalar(img) ? scalar(img) : scalar(get(w, img, "name"));
	yaml_node_t *wrules = get(w, get(w, root, "workflow"), "rules");

	w->name = w->path;
	fact(w, NULL, "workflow", w->path, NULL);
	if (is_seq(inc))
		for (yaml_node_item_t *i = inc->data.sequence.items.start;
		     i < inc->data.sequence.items.top; i++)
			gl_include(w, node(w, *i));
	else if (inc)
		gl_include(w, inc);
	gl_rules(w, NULL, wrules);
	w->mr_pipeline = any_scalar(w, wrules, mr_source, 0);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(w, p->key));

		if (k && k[0] != '.' && !in_list(k, gl_reserved, ARRAY_SIZE(gl_reserved)) &&
		    is_map(node(w, p->value)))
			gl_job(w, k, node(w, p->value), image);
	}
}

/* ---- entry points ---- */

static int load(struct wf *w, const char *buf, size_t len, char *why, size_t whylen)
{
	yaml_parser_t parser;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &w->doc)) {
		snprintf(why, whylen, "line %zu: %s", parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "invalid YAML");
		r = -EINVAL;
	}
	yaml_parser_delete(&parser);
	return r;
}

int an_workflow_parse(const char *system, const char *path, const char *buf, size_t len,
		      struct an_facts *f, struct an_issues *is, struct an_includes *incs,
		      char *why, size_t whylen)
{
	struct wf w = { .system = system, .path = path, .facts = f, .is = is, .incs = incs,
			.prefix = strcmp(system, GH) ? "gitlab" : "gha" };
	yaml_node_t *root;
	int r;

	if (!pipe_compiled && regcomp(&pipe_rx, "(curl|wget)[^|;&\\n]{0,500}\\|[[:space:]]{0,8}(sudo[[:space:]]{1,8})?"
				      "(ba|z|da|k)?sh([[:space:]]|$)", REG_EXTENDED | REG_NOSUB) != 0)
		return -EINVAL;
	pipe_compiled = true;
	r = load(&w, buf, len, why, whylen);
	if (r < 0)
		return r;
	root = yaml_document_get_root_node(&w.doc);
	if (!is_map(root)) {
		snprintf(why, whylen, "%s", root ? "top level is not a mapping" : "empty document");
		r = -EINVAL;
	} else if (w.prefix[0] == 'g' && w.prefix[1] == 'h') {
		gh_workflow(&w, root);
	} else {
		gl_workflow(&w, root);
	}
	yaml_document_delete(&w.doc);
	return r;
}

static int analyze_file(const struct an_ctx *ctx, struct sarif_run *run, struct an_facts *f,
			const char *system, const char *path, struct an_includes *incs)
{
	struct an_issues is = { 0 };
	char *data = NULL, why[256] = "";
	size_t len = 0;
	int r = an_read(ctx->wsfd, path, WF_FILE_MAX, &data, &len);

	if (r == 0)
		r = an_workflow_parse(system, path, data, len, f, &is, incs, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "unable to read: %s", strerror(-r));
	if (r < 0)
		an_issue_add(&is, strcmp(system, GH) ? "gitlab/unparsable" : "gha/unparsable",
			     0, "unparsable workflow: %s", why);
	an_issues_report(ctx, run, TOOL, path, &is);
	an_issues_release(&is);
	if (data)
		OPENSSL_cleanse(data, len);
	free(data);
	return 0;
}

struct scan {
	struct sarif_run *run;
	struct an_facts facts;
};

static bool yaml_name(const char *path)
{
	size_t n = strlen(path);

	return (n > 4 && !strcmp(path + n - 4, ".yml")) || (n > 5 && !strcmp(path + n - 5, ".yaml"));
}

static int github_file(const struct an_ctx *ctx, const char *path, void *arg)
{
	struct scan *s = arg;

	if (!strncmp(path, ".github/workflows/", 18) && !strchr(path + 18, '/') && yaml_name(path))
		analyze_file(ctx, s->run, &s->facts, GH, path, NULL);
	return 0;
}

/* .gitlab-ci.yml and its local includes, each file once, breadth first. */
static void gitlab(const struct an_ctx *ctx, struct scan *s)
{
	struct an_includes incs = { .n = 1, .v = { xstrdup(".gitlab-ci.yml") } };
	struct stat st;

	if (fstatat(ctx->wsfd, ".gitlab-ci.yml", &st, AT_SYMLINK_NOFOLLOW) < 0)
		incs.n = 0, free(incs.v[0]);
	for (size_t i = 0; i < incs.n; i++) {
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(incs.v[k], incs.v[i]);
		if (!seen)
			analyze_file(ctx, s->run, &s->facts, GL, incs.v[i], &incs);
	}
	for (size_t i = 0; i < incs.n; i++)
		free(incs.v[i]);
}

int an_workflows_analyze(const struct an_ctx *ctx, struct sarif_run *run)
{
	struct scan s = { .run = run };
	int r;

	an_facts_init(&s.facts);
	r = an_each_file(ctx, github_file, &s);
	gitlab(ctx, &s);
	an_facts_finish(&s.facts, run);
	an_facts_release(&s.facts);
	return r == -E2BIG ? (sarif_run_fail(run, "too many files"), 0) : r;
}
