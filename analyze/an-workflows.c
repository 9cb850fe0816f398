/*
 * an-workflows.c - CI/CD workflows: GitHub Actions syntax (.github/workflows,
 * also run by Gitea and Forgejo, and their own .gitea/workflows and
 * .forgejo/workflows), GitLab CI (.gitlab-ci.yml and its local includes) and
 * Bitbucket Pipelines (bitbucket-pipelines.yml), read with libyaml into
 * facts (workflows, triggers, jobs, runners, actions and images with their
 * pinning, permissions, includes) and findings for well-known risks.  The
 * rules and their fixed messages are lib/parse/ruletext.c's "lethe-workflows"
 * entries; a rule id is the system's prefix ("gha", "gitlab", "bitbucket")
 * and the rule's name.
 *
 * Whole files: every YAML document of a file is read (GitLab files often
 * begin with a spec: header), merge keys (<<) are followed, GitLab's
 * extends:, !reference and default: are resolved, and a job or step that is
 * an alias of another is a job of its own: what depends on where it is used
 * (its trigger, its runner) is reported at the alias.  Findings in scripts
 * are reported on the line of the script where the match is, not on the
 * first line of the block.
 *
 * Only names, references and paths become facts; script text is matched
 * here and never copied out.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "an.h"
#include "ruletext.h"
#include "util.h"

#define TOOL "lethe-workflows"
#define WF_FILE_MAX (4u << 20)
#define VISITS_MAX 200000	/* nodes visited per file (aliases repeat nodes) */
#define DEPTH_MAX 64
#define EXTENDS_MAX 10		/* GitLab extends: levels */
#define ALIASES_MAX 10000
#define DOCS_MAX 16
#define GH "github-actions"
#define GL "gitlab-ci"
#define BB "bitbucket-pipelines"

/* Where an alias was written: child index of a node (a mapping's key i is
 * child 2i, its value 2i + 1). */
struct alias {
	int parent, index, line;
};

struct wf {
	yaml_document_t doc;
	const char *buf;
	size_t len, *line_off, nlines;
	struct alias *aliases;	/* of the document being read */
	size_t naliases;
	const char *system, *path;
	const char *name;	/* workflow name */
	struct an_facts *facts;
	struct an_issues *is;
	struct an_includes *incs;
	size_t visits;
	int at_line;		/* the alias a job or step is used through, or 0 */
	bool untrusted;		/* pull_request_target or workflow_run */
	bool privileged;	/* ... or issue_comment, issues */
	bool outsider;		/* some trigger carries text outsiders wrote */
	bool public;		/* a trigger anyone can fire */
	bool mr_pipeline;	/* GitLab workflow rules run on merge requests */
	bool named;		/* the workflow fact is written */
	yaml_node_t *root;
	yaml_document_t spec;	/* a GitLab spec: header document */
	bool have_spec;
	const char *prefix;	/* "gha", "gitlab" or "bitbucket" */
};

/*
 * The regular expressions, POSIX ERE, each matched against one line of a
 * script (tests/unit/an_workflows_test.c has positive and negative examples
 * of each):
 *   pipe      a download piped into a shell
 *   subst     a shell running a download's text: sh -c "$(curl ...)", bash <(wget ...)
 *   tls_off   TLS certificate verification switched off
 *   cred_url  a credential variable in a URL's userinfo
 *   env_file  a write to $GITHUB_ENV, $GITHUB_PATH or $GITHUB_OUTPUT
 *   build     a command that builds, installs or runs the checked-out code
 */
static const char *const patterns[] = {
	"(curl|wget)[^|;&]{0,500}\\|[[:space:]]{0,8}(sudo([[:space:]]{1,8}-[A-Za-z]{1,8})*"
	"[[:space:]]{1,8})?(ba|z|da|k)?sh([^[:alnum:]_.-]|$)",
	"(^|[^[:alnum:]_])(ba|z|da|k)?sh[[:space:]]{1,8}(-c[[:space:]]{1,8})?[\"']?(\\$\\(|<\\()"
	"[[:space:]]{0,8}(curl|wget)[[:space:]]",
	"Verify-Peer[^;]{0,40}false|(curl|wget)[^|;&]{0,500}[[:space:]](-k|--insecure|"
	"--no-check-certificate)([[:space:]]|$)|GIT_SSL_NO_VERIFY=[\"']?(1|true)|"
	"sslVerify[[:space:]=]{1,4}false",
	"://[A-Za-z0-9_.%-]{0,64}:\\$\\{?[A-Za-z_][A-Za-z0-9_]{0,64}\\}?@",
	">>?[[:space:]]{0,8}[\"']?\\$\\{?(GITHUB_ENV|GITHUB_PATH|GITHUB_OUTPUT)",
	"(^|[^[:alnum:]_./-])(npm|yarn|pnpm|npx|pip3?|python3?|make|cmake|cargo|go|mvn|gradle|"
	"bazel|bundle|rake|composer|dotnet|tox|nox|pytest|poetry|\\./[[:alnum:]_./-]{1,200})"
	"([[:space:]]|$)",
};
enum { RX_PIPE, RX_SUBST, RX_TLS_OFF, RX_CRED_URL, RX_ENV_FILE, RX_BUILD, RX_N };
static regex_t rx[RX_N];
static bool rx_compiled;

static bool rx_match(int which, const char *s)
{
	return regexec(&rx[which], s, 0, NULL, 0) == 0;
}

/* ---- YAML access ---- */

static yaml_node_t *node(struct wf *w, int id)
{
	return yaml_document_get_node(&w->doc, id);
}

static int node_id(struct wf *w, const yaml_node_t *n)
{
	return (int)(n - w->doc.nodes.start) + 1;
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

#define EACH_PAIR(p, map) \
	for (yaml_node_pair_t *p = is_map(map) ? (map)->data.mapping.pairs.start : NULL; \
	     p && p < (map)->data.mapping.pairs.top; p++)
#define EACH_ITEM(i, seq) \
	for (yaml_node_item_t *i = is_seq(seq) ? (seq)->data.sequence.items.start : NULL; \
	     i && i < (seq)->data.sequence.items.top; i++)

/* The line of the alias written as child index of parent, or 0. */
static int alias_line(struct wf *w, const yaml_node_t *parent, int index)
{
	int id = node_id(w, parent);

	for (size_t i = 0; i < w->naliases; i++)
		if (w->aliases[i].parent == id && w->aliases[i].index == index)
			return w->aliases[i].line;
	return 0;
}

/* The pair of map with key key, following merge keys (<<) too. */
static yaml_node_pair_t *get_pair(struct wf *w, const yaml_node_t *map, const char *key, int depth)
{
	yaml_node_pair_t *merge = NULL, *r;

	if (!is_map(map) || depth > DEPTH_MAX || ++w->visits > VISITS_MAX)
		return NULL;
	EACH_PAIR(p, map) {
		const char *k = scalar(node(w, p->key));

		if (k && !strcmp(k, key))
			return p;
		if (k && !strcmp(k, "<<"))
			merge = p;
	}
	if (!merge)
		return NULL;
	if (is_map(node(w, merge->value)))
		return get_pair(w, node(w, merge->value), key, depth + 1);
	EACH_ITEM(i, node(w, merge->value))
		if ((r = get_pair(w, node(w, *i), key, depth + 1)))
			return r;
	return NULL;
}

static yaml_node_t *get(struct wf *w, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p = get_pair(w, map, key, 0);

	return p ? node(w, p->value) : NULL;
}

/* Call fn for each scalar of n, or of the sequence n. */
static void each_scalar(struct wf *w, yaml_node_t *n, void (*fn)(struct wf *, yaml_node_t *, void *),
			void *arg)
{
	if (scalar(n)) {
		fn(w, n, arg);
		return;
	}
	EACH_ITEM(i, n)
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
	EACH_ITEM(i, n)
		if (any_scalar(w, node(w, *i), pred, depth + 1))
			return true;
	EACH_PAIR(p, n)
		if (any_scalar(w, node(w, p->value), pred, depth + 1))
			return true;
	return false;
}

/*
 * Call fn for each line of the source text of scalar n, with its line
 * number: the lines of a block scalar as they are in the file, the one line
 * of a quoted or plain scalar (the first line starting where the scalar does).
 * The text is a copy, cleansed after the call.
 */
typedef void line_fn(struct wf *w, const char *text, int line, void *arg);

static size_t skip_chars(const char *s, size_t n, size_t chars)
{
	size_t i = 0;

	/* libyaml's columns count characters, not bytes */
	for (; i < n && chars; chars--)
		for (i++; i < n && ((unsigned char)s[i] & 0xc0) == 0x80; i++)
			;
	return i;
}

static void source_lines(struct wf *w, const yaml_node_t *n, line_fn *fn, void *arg)
{
	size_t first = n ? n->start_mark.line : 0, last = n ? n->end_mark.line : 0;

	if (!scalar(n))
		return;
	for (size_t l = first; l <= last && l < w->nlines; l++) {
		const char *s = w->buf + w->line_off[l];
		size_t len = (l + 1 < w->nlines ? w->line_off[l + 1] : w->len) - w->line_off[l];
		size_t from = l == first ? skip_chars(s, len, n->start_mark.column) : 0;
		size_t to = l == last && l > first ? skip_chars(s, len, n->end_mark.column) : len;
		char *text;

		if (l == last && l > first && n->end_mark.column == 0)
			break;	/* a block scalar ends where the next line starts */
		text = xstrndup(s + from, to > from ? to - from : 0);
		fn(w, text, (int)l + 1, arg);
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
}

/* Scalars of n (or of sequences in it, as GitLab scripts nest), in order. */
static void each_script_scalar(struct wf *w, yaml_node_t *n, line_fn *fn, void *arg, int depth)
{
	if (!n || depth > DEPTH_MAX || ++w->visits > VISITS_MAX)
		return;
	if (scalar(n))
		source_lines(w, n, fn, arg);
	EACH_ITEM(i, n)
		each_script_scalar(w, node(w, *i), fn, arg, depth + 1);
}

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

/* ---- shared checks ---- */

static void fact(struct wf *w, const char *job, const char *kind, const char *value,
		 const char *pinning)
{
	an_facts_wf(w->facts, w->system, w->path, w->name, job, kind, value, pinning);
}

/* A finding of rule (its name, without the prefix) on line, once. */
static void issue_rule(struct wf *w, const char *rule, int line)
{
	char id[64];
	_cleanup_free_ char *msg = NULL;

	snprintf(id, sizeof(id), "%s/%s", w->prefix, rule);
	for (size_t i = 0; i < w->is->n; i++)
		if (w->is->v[i].line == line && !strcmp(w->is->v[i].rule, id))
			return;
	msg = ruletext_rule(TOOL, id);
	an_issue_add(w->is, id, line, "%s", msg);
}

/* Checks of any script line, whatever the system.  A regular expression is
 * tried only on a line holding what it needs to match (a long line of
 * "curl" costs each one a pass). */
static void script_common(struct wf *w, const char *s, int line)
{
	static const char *const tls_words[] = { "Verify-Peer", "-k", "--insecure",
						 "--no-check-certificate", "GIT_SSL_NO_VERIFY",
						 "sslVerify" };
	bool fetch = strstr(s, "curl") || strstr(s, "wget");

	if (fetch && ((strchr(s, '|') && rx_match(RX_PIPE, s)) ||
		      ((strstr(s, "$(") || strstr(s, "<(")) && rx_match(RX_SUBST, s))))
		issue_rule(w, "curl-pipe-shell", line);
	if (mentions(s, tls_words, ARRAY_SIZE(tls_words)) && rx_match(RX_TLS_OFF, s))
		issue_rule(w, "tls-verify-off", line);
	if (strstr(s, "://") && rx_match(RX_CRED_URL, s))
		issue_rule(w, "credential-in-url", line);
}

static void script_common_cb(struct wf *w, const char *s, int line, void *arg)
{
	script_common(w, s, line);
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

/* An image reference that names what will change under the user: no tag,
 * :latest, or a tag that moves (dind, debug, act-latest...).  References
 * built from variables are not judged. */
static bool image_moving(const char *image)
{
	static const char *const moving[] = { "latest", "dind", "debug", "edge", "nightly",
					      "rolling", "stable" };
	const char *slash = strrchr(image, '/'), *colon;
	size_t n;

	if (!*image || strchr(image, '$') || strstr(image, "@sha256:"))
		return false;
	colon = strchr(slash ? slash : image, ':');
	if (!colon || !colon[1])
		return true;
	n = strlen(colon + 1);
	for (size_t i = 0; i < ARRAY_SIZE(moving); i++)
		if (!strcmp(colon + 1, moving[i]))
			return true;
	return n > 7 && !strcmp(colon + 1 + n - 7, "-latest");
}

static void image_check(struct wf *w, const char *job, yaml_node_t *n, bool as_fact)
{
	const char *img = scalar(n);

	if (!img)
		return;
	if (as_fact)
		fact(w, job, "image", img, image_pinning(img));
	if (image_moving(img))
		issue_rule(w, "unpinned-image", line_of(n));
}

/* ---- GitHub Actions (and Gitea, Forgejo) ---- */

static const char *const untrusted_events[] = { "pull_request_target", "workflow_run" };
static const char *const privileged_events[] = {
	"pull_request_target", "workflow_run", "issue_comment", "issues",
};
static const char *const outsider_events[] = {
	"pull_request", "pull_request_target", "pull_request_review",
	"pull_request_review_comment", "issue_comment", "issues", "discussion",
	"discussion_comment", "workflow_run",
};
static const char *const public_events[] = {
	"pull_request", "pull_request_target", "pull_request_review",
	"pull_request_review_comment", "issue_comment", "issues", "discussion",
	"discussion_comment", "fork", "watch",
};
/* Contexts (lower case, after the forge's alias is made "github.") whose text
 * outsiders write; an entry ending in '.' is a prefix of such contexts. */
static const char *const attacker_contexts[] = {
	"github.event.issue.title", "github.event.issue.body",
	"github.event.pull_request.title", "github.event.pull_request.body",
	"github.event.pull_request.head.ref", "github.event.pull_request.head.label",
	"github.event.pull_request.head.repo.default_branch",
	"github.event.comment.body", "github.event.review.body",
	"github.event.review_comment.body", "github.event.discussion.title",
	"github.event.discussion.body", "github.event.pages.", "github.event.head_commit.message",
	"github.event.head_commit.author.", "github.event.head_commit.committer.",
	"github.event.commits", "github.event.client_payload",
	"github.event.workflow_run.head_branch", "github.event.workflow_run.head_commit.",
	"github.event.workflow_run.display_title", "github.event.workflow_run.pull_requests",
	"github.head_ref",
};
/* Last names of an object filter (github.event.*.body) that are outsiders' text. */
static const char *const attacker_leaves[] = {
	"body", "title", "message", "name", "email", "head_ref", "label", "page_name",
	"default_branch",
};
static const char *const untrusted_refs[] = {
	"github.event.pull_request.head", "github.head_ref", "github.event.workflow_run",
	"refs/pull/", "github.event.issue.number", "github.event.pull_request.number",
	"github.event.pull_request.merge_commit_sha",
};

/* An expression in one spelling: lower case, no blanks, x['y'] as x.y,
 * the gitea.* and forge.* contexts as github.*. */
static char *expr_normal(const char *e, size_t n)
{
	char *out = xmalloc(2 * n + 8), *o = out;

	for (size_t i = 0; i < n; i++) {
		bool word = i == 0 || !(isalnum((unsigned char)e[i - 1]) || e[i - 1] == '_' ||
					e[i - 1] == '.');

		if (isspace((unsigned char)e[i]))
			continue;
		if (e[i] == '[' && i + 1 < n && (e[i + 1] == '\'' || e[i + 1] == '"')) {
			*o++ = '.';
			i++;
		} else if ((e[i] == '\'' || e[i] == '"') && i + 1 < n && e[i + 1] == ']') {
			i++;
		} else if (word && i + 6 <= n && (!strncasecmp(e + i, "gitea.", 6) ||
						  !strncasecmp(e + i, "forge.", 6))) {
			memcpy(o, "github.", 7);
			o += 7;
			i += 5;
		} else {
			*o++ = (char)tolower((unsigned char)e[i]);
		}
	}
	*o = '\0';
	return out;
}

enum expr_kind { EXPR_NONE, EXPR_SECRET, EXPR_INDIRECT, EXPR_ATTACKER };

static bool attacker_path(const char *p, size_t n)
{
	_cleanup_free_ char *path = xstrndup(p, n);
	const char *leaf = strrchr(path, '.');

	for (size_t i = 0; i < ARRAY_SIZE(attacker_contexts); i++) {
		size_t k = strlen(attacker_contexts[i]);

		if (!strncmp(path, attacker_contexts[i], k) &&
		    (attacker_contexts[i][k - 1] == '.' || path[k] == '\0' || path[k] == '.'))
			return true;
	}
	return !strncmp(path, "github.event.", 13) && strstr(path, ".*") && leaf &&
	       in_list(leaf + 1, attacker_leaves, ARRAY_SIZE(attacker_leaves));
}

/* What the expression (the text between ${{ and }}) carries into a script;
 * matrix_dynamic: the job's matrix is computed, not written in the file. */
static enum expr_kind expr_kind(const char *e, size_t n, bool matrix_dynamic)
{
	static const char *const tests[] = { "contains(", "startswith(", "endswith(", "!" };
	_cleanup_free_ char *x = expr_normal(e, n);
	enum expr_kind kind = EXPR_NONE;

	for (size_t i = 0; i < ARRAY_SIZE(tests); i++)
		if (!strncmp(x, tests[i], strlen(tests[i])))
			return EXPR_NONE;	/* true or false, whatever the text */
	if (strstr(x, "==") || strstr(x, "!="))
		return EXPR_NONE;
	for (const char *c = x; *c; ) {
		size_t k = strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789_.*-");

		if (k == 0) {
			c++;
			continue;
		}
		if (attacker_path(c, k))
			return EXPR_ATTACKER;
		if ((!strncmp(c, "steps.", 6) && memmem(c, k, ".outputs.", 9)) ||
		    (matrix_dynamic && !strncmp(c, "matrix.", 7)))
			kind = EXPR_INDIRECT;
		else if (!strncmp(c, "secrets.", 8) && kind == EXPR_NONE)
			kind = EXPR_SECRET;
		c += k;
	}
	return kind;
}

/* The worst expression kind of line s. */
static enum expr_kind line_exprs(const char *s, bool matrix_dynamic)
{
	enum expr_kind worst = EXPR_NONE;

	for (const char *e = s; (e = strstr(e, "${{")); e += 3) {
		const char *end = strstr(e + 3, "}}");
		enum expr_kind k = expr_kind(e + 3, end ? (size_t)(end - e - 3) : strlen(e + 3),
					     matrix_dynamic);

		worst = k > worst ? k : worst;
	}
	return worst;
}

/* What a job's steps share while they are read. */
struct gh_job_state {
	const char *job;
	bool matrix_dynamic;
	int checkout_line;	/* where the untrusted head is checked out, or 0 */
	bool built;		/* a later step builds or runs it */
	char *tainted[32];	/* env: names holding outsiders' text */
	size_t ntainted;
};

static bool names_tainted(const struct gh_job_state *js, const char *s)
{
	for (size_t i = 0; i < js->ntainted; i++)
		for (const char *d = s; (d = strchr(d, '$')); d++) {
			const char *v = d + 1 + (d[1] == '{');
			size_t k = strlen(js->tainted[i]);

			if (!strncmp(v, js->tainted[i], k) && !(isalnum((unsigned char)v[k]) || v[k] == '_'))
				return true;
		}
	return false;
}

static void taint_env(struct wf *w, struct gh_job_state *js, yaml_node_t *env)
{
	EACH_PAIR(p, env) {
		const char *k = scalar(node(w, p->key)), *v = scalar(node(w, p->value));

		if (k && v && js->ntainted < ARRAY_SIZE(js->tainted) &&
		    line_exprs(v, js->matrix_dynamic) == EXPR_ATTACKER)
			js->tainted[js->ntainted++] = xstrdup(k);
	}
}

/* A line of a run: script (shell true) or of github-script's script. */
static void gh_line(struct wf *w, const char *s, int line, void *arg)
{
	struct gh_job_state *js = arg;
	enum expr_kind k = line_exprs(s, js->matrix_dynamic);

	if (k == EXPR_ATTACKER)
		issue_rule(w, "expression-injection", line);
	else if (k == EXPR_INDIRECT && w->outsider)
		issue_rule(w, "expression-injection-indirect", line);
	else if (k == EXPR_SECRET)
		issue_rule(w, "secret-in-script", line);
	if (rx_match(RX_ENV_FILE, s) && (k == EXPR_ATTACKER || names_tainted(js, s)))
		issue_rule(w, "untrusted-env-write", line);
}

static void gh_shell_line(struct wf *w, const char *s, int line, void *arg)
{
	struct gh_job_state *js = arg;

	gh_line(w, s, line, arg);
	script_common(w, s, line);
	if (js->checkout_line && rx_match(RX_BUILD, s))
		js->built = true;
	if (w->privileged && !js->checkout_line && strstr(s, "gh pr checkout"))
		js->checkout_line = line;
}

static bool has_expr(const char *s)
{
	return strstr(s, "${{") != NULL;
}

static bool uses_secret(const char *s)
{
	for (const char *e = s; (e = strstr(e, "secrets.")); e += 8)
		if (strncmp(e + 8, "GITHUB_TOKEN", 12) != 0)
			return true;
	return false;
}

/* A trigger, named by n (a key of on: or an item of its list). */
static void gh_trigger(struct wf *w, yaml_node_t *n, void *arg)
{
	const char *ev = scalar(n);

	fact(w, NULL, "trigger", ev, NULL);
	w->untrusted |= in_list(ev, untrusted_events, ARRAY_SIZE(untrusted_events));
	w->outsider |= in_list(ev, outsider_events, ARRAY_SIZE(outsider_events));
	w->public |= in_list(ev, public_events, ARRAY_SIZE(public_events));
	if (in_list(ev, privileged_events, ARRAY_SIZE(privileged_events))) {
		w->privileged = true;
		issue_rule(w, "privileged-trigger", line_of(n));
	}
}

static void gh_triggers(struct wf *w, yaml_node_t *on)
{
	if (!is_map(on)) {
		each_scalar(w, on, gh_trigger, NULL);
		return;
	}
	EACH_PAIR(p, on)
		if (scalar(node(w, p->key)))
			gh_trigger(w, node(w, p->key), NULL);
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
			issue_rule(w, "permissions-write-all", line_of(perms));
		return true;
	}
	EACH_PAIR(p, perms) {
		const char *k = scalar(node(w, p->key)), *v = scalar(node(w, p->value));
		_cleanup_free_ char *s = NULL;

		if (!k || !v)
			continue;
		s = xasprintf("%s: %s", k, v);
		fact(w, job, "permission", s, NULL);
	}
	return true;
}

static bool full_sha(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static void gh_uses(struct wf *w, const char *job, yaml_node_t *n)
{
	const char *uses = scalar(n), *at;

	if (!uses)
		return;
	if (!strncmp(uses, "docker://", 9)) {
		fact(w, job, "image", uses + 9, image_pinning(uses + 9));
		if (image_moving(uses + 9))
			issue_rule(w, "unpinned-image", line_of(n));
		return;
	}
	if (uses[0] == '.') {
		fact(w, job, "action", uses, NULL);	/* in the repository itself */
		return;
	}
	at = strrchr(uses, '@');
	if (at && full_sha(at + 1)) {
		fact(w, job, "action", uses, "sha");
		return;
	}
	fact(w, job, "action", uses,
	     !at ? "none" : at[1] == 'v' || (at[1] >= '0' && at[1] <= '9') ? "tag" : "branch");
	issue_rule(w, "unpinned-action", line_of(n));
}

static bool action_is(const char *uses, const char *name)
{
	const char *s = uses ? strstr(uses, name) : NULL;

	/* actions/checkout@..., or https://host/actions/checkout@... (Forgejo) */
	return s && (s == uses || s[-1] == '/') && s[strlen(name)] == '@';
}

/* A checkout's ref: or repository: naming the code of a pull request or run. */
static bool untrusted_ref(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && (mentions(s, untrusted_refs, ARRAY_SIZE(untrusted_refs)) ||
		     (strstr(s, "steps.") && strstr(s, "head")));
}

static void gh_step(struct wf *w, struct gh_job_state *js, yaml_node_t *step)
{
	yaml_node_t *uses = get(w, step, "uses"), *with = get(w, step, "with");
	yaml_node_t *ref = get(w, with, "ref");
	const char *u = scalar(uses);

	gh_uses(w, js->job, uses);
	taint_env(w, js, get(w, step, "env"));
	if (js->checkout_line && u && u[0] == '.')
		js->built = true;	/* a local action of the checkout */
	each_script_scalar(w, get(w, step, "run"), gh_shell_line, js, DEPTH_MAX);
	if (action_is(u, "actions/github-script"))
		source_lines(w, get(w, with, "script"), gh_line, js);
	if (action_is(u, "actions/checkout") && w->privileged && !js->checkout_line) {
		if (untrusted_ref(ref))
			js->checkout_line = line_of(ref);
		else if (untrusted_ref(get(w, with, "repository")))	/* the fork's own branch */
			js->checkout_line = line_of(get(w, with, "repository"));
	}
}

static void gh_runner(struct wf *w, yaml_node_t *n, void *arg)
{
	fact(w, arg, "runner", scalar(n), NULL);
	if (!strcmp(scalar(n), "self-hosted") && w->public)
		issue_rule(w, "self-hosted-public", w->at_line ? w->at_line : line_of(n));
}

/* A job's image; one named by a matrix value (image:${{ matrix.x }}) is
 * judged with each value the matrix gives x. */
static void gh_image(struct wf *w, const char *job, yaml_node_t *n, yaml_node_t *matrix)
{
	yaml_node_t *img = scalar(n) ? n : get(w, n, "image");
	const char *s = scalar(img), *e = s ? strstr(s, "${{") : NULL;
	char name[65];
	int k = 0;

	image_check(w, job, img, true);
	if (!e || sscanf(e, "${{ matrix.%64[A-Za-z0-9_-] }}%n", name, &k) != 1 || !k)
		return;
	EACH_ITEM(i, get(w, matrix, name)) {
		const char *v = scalar(node(w, *i));
		_cleanup_free_ char *ref = v ? xasprintf("%.*s%s%s", (int)(e - s), s, v, e + k) : NULL;

		if (ref && image_moving(ref))
			issue_rule(w, "unpinned-image", line_of(img));
	}
}

/* true when the job gives its permissions */
static bool gh_job(struct wf *w, const char *job, yaml_node_t *j)
{
	yaml_node_t *steps = get(w, j, "steps"), *services = get(w, j, "services");
	yaml_node_t *matrix = get(w, get(w, j, "strategy"), "matrix"), *secrets = get(w, j, "secrets");
	struct gh_job_state js = { .job = job };
	bool perms;

	js.matrix_dynamic = any_scalar(w, matrix, has_expr, 0);
	fact(w, job, "job", job, NULL);
	perms = gh_permissions(w, j, job);
	each_scalar(w, get(w, j, "runs-on"), gh_runner, (void *)job);
	gh_image(w, job, get(w, j, "container"), matrix);
	EACH_PAIR(p, services)
		gh_image(w, job, node(w, p->value), matrix);
	gh_uses(w, job, get(w, j, "uses"));
	if (scalar(secrets) && !strcmp(scalar(secrets), "inherit"))
		issue_rule(w, "secrets-inherit", line_of(secrets));
	taint_env(w, &js, get(w, w->root, "env"));
	taint_env(w, &js, get(w, j, "env"));
	EACH_ITEM(i, steps)
		gh_step(w, &js, node(w, *i));
	if (js.checkout_line)
		issue_rule(w, js.built ? "untrusted-checkout" : "untrusted-checkout-unused",
			   js.checkout_line);
	if (w->untrusted && any_scalar(w, j, uses_secret, 0))
		issue_rule(w, "secrets-untrusted-trigger", w->at_line ? w->at_line : line_of(j));
	for (size_t i = 0; i < js.ntainted; i++)
		free(js.tainted[i]);
	return perms;
}

static void gh_workflow(struct wf *w, yaml_node_t *root)
{
	yaml_node_pair_t *jp = get_pair(w, root, "jobs", 0);
	yaml_node_t *jobs = jp ? node(w, jp->value) : NULL;
	bool top, all = true;
	int i = 0;

	w->name = scalar(get(w, root, "name")) ? scalar(get(w, root, "name")) : w->path;
	fact(w, NULL, "workflow", w->name, NULL);
	gh_triggers(w, get(w, root, "on"));
	top = gh_permissions(w, root, NULL);
	EACH_PAIR(p, get(w, root, "env"))
		if (scalar(node(w, p->value)) && strstr(scalar(node(w, p->value)), "secrets."))
			issue_rule(w, "secret-in-env", line_of(node(w, p->value)));
	EACH_PAIR(p, jobs) {
		if (scalar(node(w, p->key)) && is_map(node(w, p->value))) {
			w->at_line = alias_line(w, jobs, 2 * i + 1);
			all &= gh_job(w, scalar(node(w, p->key)), node(w, p->value));
		}
		i++;
	}
	w->at_line = 0;
	if (!top && !all)
		issue_rule(w, "permissions-missing", line_of(node(w, jp->key)));
}

/* ---- GitLab CI ---- */

static const char *const gl_reserved[] = {
	"image", "services", "stages", "variables", "include", "default", "workflow",
	"before_script", "after_script", "cache", "types", "spec",
};

/* A !reference [job, key...] resolved in the same document, else n. */
static yaml_node_t *gl_deref(struct wf *w, yaml_node_t *n)
{
	yaml_node_t *cur = w->root;

	if (!is_seq(n) || !n->tag || strcmp((const char *)n->tag, "!reference") != 0)
		return n;
	EACH_ITEM(i, n) {
		if (!scalar(node(w, *i)))
			return NULL;
		cur = get(w, cur, scalar(node(w, *i)));
	}
	return cur;
}

/* A job's key, else its extends: chain's (the last template first). */
static yaml_node_t *gl_key(struct wf *w, yaml_node_t *job, const char *key, int depth)
{
	yaml_node_t *v = get(w, job, key), *ext;

	if (v || depth > EXTENDS_MAX || !job)
		return v ? gl_deref(w, v) : NULL;
	ext = get(w, job, "extends");
	if (scalar(ext))
		return gl_key(w, get(w, w->root, scalar(ext)), key, depth + 1);
	for (yaml_node_item_t *i = is_seq(ext) ? ext->data.sequence.items.top : NULL;
	     i && i-- > ext->data.sequence.items.start; )
		if (scalar(node(w, *i)) &&
		    (v = gl_key(w, get(w, w->root, scalar(node(w, *i))), key, depth + 1)))
			return v;
	return NULL;
}

static void gl_include_local(struct wf *w, const char *p)
{
	while (*p == '/')
		p++;
	fact(w, NULL, "include", p, NULL);
	if (w->incs && w->incs->n < ARRAY_SIZE(w->incs->v) && !strpbrk(p, "*?$") && !strstr(p, ".."))
		w->incs->v[w->incs->n++] = xstrdup(p);
}

static void gl_include(struct wf *w, yaml_node_t *n)
{
	const char *s = scalar(n), *ref, *project = scalar(get(w, n, "project"));
	const char *component = scalar(get(w, n, "component")), *at;
	_cleanup_free_ char *v = NULL;

	if (s) {
		if (strstr(s, "://")) {
			fact(w, NULL, "include", s, NULL);
			issue_rule(w, "unpinned-include", line_of(n));
		} else {
			gl_include_local(w, s);
		}
		return;
	}
	if (scalar(get(w, n, "local"))) {
		gl_include_local(w, scalar(get(w, n, "local")));
	} else if (project) {
		ref = scalar(get(w, n, "ref"));
		v = xasprintf("project:%s", project);
		fact(w, NULL, "include", v, !ref ? "none" : full_sha(ref) ? "sha" :
		     ref[0] == 'v' || (ref[0] >= '0' && ref[0] <= '9') ? "tag" : "branch");
		if (!ref || !full_sha(ref))
			issue_rule(w, "unpinned-include", line_of(get(w, n, "project")));
	} else {
		const char *keys[] = { "remote", "template", "component" };

		for (size_t i = 0; i < ARRAY_SIZE(keys) && !v; i++)
			if (scalar(get(w, n, keys[i])))
				v = xasprintf("%s:%s", keys[i], scalar(get(w, n, keys[i])));
		if (v)
			fact(w, NULL, "include", v, NULL);
		at = component ? strrchr(component, '@') : NULL;
		if ((component && (!at || !full_sha(at + 1))) || scalar(get(w, n, "remote")))
			issue_rule(w, "unpinned-include", line_of(get(w, n, component ? "component" :
								      "remote")));
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
	rules = gl_deref(w, rules);
	EACH_ITEM(i, rules) {
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
	yaml_node_t *rules = gl_key(w, j, "rules", 0), *only = gl_key(w, j, "only", 0);

	if (rules || only)
		return any_scalar(w, rules, mr_source, 0) || any_scalar(w, only, mr_source, 0);
	return w->mr_pipeline;
}

/* An image: a name, or a mapping with name:; $[[ inputs.x ]] is judged by
 * the default the spec: header gives x. */
static void gl_image(struct wf *w, const char *job, yaml_node_t *img)
{
	yaml_node_t *name = scalar(img) ? img : get(w, img, "name");
	const char *s = scalar(name);
	char input[65];
	int k = 0;

	if (s && sscanf(s, "$[[ inputs.%64[A-Za-z0-9_-] ]]%n", input, &k) == 1 && !s[k]) {
		yaml_document_t doc = w->doc;
		yaml_node_t *dflt = NULL;

		if (w->have_spec) {	/* look in the header's document */
			w->doc = w->spec;
			dflt = get(w, get(w, get(w, get(w, yaml_document_get_root_node(&w->doc),
						"spec"), "inputs"), input), "default");
			if (scalar(dflt) && image_moving(scalar(dflt)))
				issue_rule(w, "unpinned-image", line_of(dflt));
			w->doc = doc;
		}
		return;
	}
	image_check(w, job, name, job != NULL);
}

static void gl_services(struct wf *w, const char *job, yaml_node_t *services)
{
	EACH_ITEM(i, services)
		gl_image(w, job, gl_deref(w, node(w, *i)));
}

static void gl_script(struct wf *w, yaml_node_t *n, int depth)
{
	n = gl_deref(w, n);
	if (!n || depth > DEPTH_MAX || ++w->visits > VISITS_MAX)
		return;
	if (scalar(n))
		source_lines(w, n, script_common_cb, NULL);
	EACH_ITEM(i, n)
		gl_script(w, node(w, *i), depth + 1);
}

static void gl_variables(struct wf *w, yaml_node_t *vars)
{
	EACH_PAIR(p, vars) {
		const char *k = scalar(node(w, p->key));
		yaml_node_t *v = node(w, p->value);
		const char *val = scalar(v) ? scalar(v) : scalar(get(w, v, "value"));

		if (k && val && (!strcmp(k, "CI_DEBUG_TRACE") || !strcmp(k, "CI_DEBUG_SERVICES")) &&
		    (!strcasecmp(val, "true") || !strcmp(val, "1")))
			issue_rule(w, "debug-trace", line_of(scalar(v) ? v : get(w, v, "value")));
	}
}

static void gl_job(struct wf *w, const char *job, yaml_node_t *j, bool hidden)
{
	static const char *const scripts[] = { "before_script", "script", "after_script" };
	yaml_node_t *dflt = get(w, w->root, "default"), *only = gl_key(w, j, "only", 0), *img;
	const char *fjob = hidden ? NULL : job;

	if (!hidden) {
		fact(w, job, "job", job, NULL);
		gl_rules(w, job, gl_key(w, j, "rules", 0));
		each_scalar(w, is_map(only) ? get(w, only, "refs") : only, gl_only_cb, (void *)job);
		each_scalar(w, gl_key(w, j, "tags", 0), gh_runner, (void *)job);
	}
	img = gl_key(w, j, "image", 0);
	if (!img)
		img = get(w, dflt, "image") ? get(w, dflt, "image") : get(w, w->root, "image");
	if (img)
		gl_image(w, fjob, gl_deref(w, img));
	gl_services(w, fjob, gl_key(w, j, "services", 0) ? gl_key(w, j, "services", 0) :
		    gl_deref(w, get(w, dflt, "services")));
	for (size_t i = 0; i < ARRAY_SIZE(scripts); i++) {
		yaml_node_t *s = gl_key(w, j, scripts[i], 0);

		gl_script(w, s || i == 1 ? s : get(w, dflt, scripts[i]), 0);
	}
	gl_variables(w, get(w, j, "variables"));
	if (!hidden && gl_mr_job(w, j) &&
	    (any_scalar(w, gl_key(w, j, "script", 0), credential_var, 0) ||
	     any_scalar(w, gl_key(w, j, "before_script", 0), credential_var, 0)))
		issue_rule(w, "mr-protected-variables", line_of(j));
}

static void gl_workflow(struct wf *w, yaml_node_t *root)
{
	yaml_node_t *inc = get(w, root, "include"), *dflt = get(w, root, "default");
	yaml_node_t *wrules = gl_deref(w, get(w, get(w, root, "workflow"), "rules"));

	w->name = w->path;
	if (!w->named)
		fact(w, NULL, "workflow", w->path, NULL);
	w->named = true;
	if (is_seq(inc))
		EACH_ITEM(i, inc)
			gl_include(w, node(w, *i));
	else if (inc)
		gl_include(w, inc);
	gl_rules(w, NULL, wrules);
	w->mr_pipeline |= any_scalar(w, wrules, mr_source, 0);
	gl_variables(w, get(w, root, "variables"));
	for (size_t i = 0; i < 2; i++) {
		yaml_node_t *img = get(w, i ? root : dflt, "image");

		gl_image(w, NULL, gl_deref(w, img));
	}
	gl_services(w, NULL, gl_deref(w, get(w, dflt, "services")));
	EACH_PAIR(p, root) {
		const char *k = scalar(node(w, p->key));

		if (k && !in_list(k, gl_reserved, ARRAY_SIZE(gl_reserved)) && is_map(node(w, p->value)))
			gl_job(w, k, node(w, p->value), k[0] == '.');
	}
}

/* ---- Bitbucket Pipelines ---- */

static bool bb_self_hosted(struct wf *w, yaml_node_t *runs_on)
{
	if (scalar(runs_on))
		return !strcmp(scalar(runs_on), "self.hosted");
	EACH_ITEM(i, runs_on)
		if (scalar(node(w, *i)) && !strcmp(scalar(node(w, *i)), "self.hosted"))
			return true;
	return false;
}

struct bb_pipeline {
	const char *trigger;
	bool pull_requests, self_hosted;	/* the pipeline's kind, the global runner */
};

static void bb_step(struct wf *w, const struct bb_pipeline *pl, yaml_node_t *step, int at)
{
	yaml_node_t *img = get(w, step, "image"), *runs_on = get(w, step, "runs-on");
	yaml_node_t *defs = get(w, get(w, w->root, "definitions"), "services");
	const char *job = scalar(get(w, step, "name")) ? scalar(get(w, step, "name")) : "step";

	if (!is_map(step))
		return;
	fact(w, job, "job", job, NULL);
	fact(w, job, "trigger", pl->trigger, NULL);
	image_check(w, job, scalar(img) ? img : get(w, img, "name"), true);
	EACH_ITEM(i, get(w, step, "services")) {
		yaml_node_t *svc = get(w, get(w, defs, scalar(node(w, *i)) ? scalar(node(w, *i)) : ""),
				       "image");

		image_check(w, job, scalar(svc) ? svc : get(w, svc, "name"), true);
	}
	each_scalar(w, runs_on, gh_runner, (void *)job);
	each_script_scalar(w, get(w, step, "script"), script_common_cb, NULL, 0);
	each_script_scalar(w, get(w, step, "after-script"), script_common_cb, NULL, 0);
	if (pl->pull_requests && (runs_on ? bb_self_hosted(w, runs_on) : pl->self_hosted))
		issue_rule(w, "self-hosted-public", at ? at : line_of(step));
}

static void bb_items(struct wf *w, const struct bb_pipeline *pl, yaml_node_t *items, int depth)
{
	if (depth > DEPTH_MAX || ++w->visits > VISITS_MAX)
		return;
	EACH_ITEM(i, items) {
		yaml_node_t *it = node(w, *i), *par = get(w, it, "parallel");
		yaml_node_pair_t *sp = get_pair(w, it, "step", 0);

		if (sp) {	/* the step's own pair, or one merged in (<<) */
			int at = 0;

			EACH_PAIR(q, it)
				if (q == sp)
					at = alias_line(w, it, 2 * (int)(q - it->data.mapping.pairs.start) + 1);
			bb_step(w, pl, node(w, sp->value), at);
		}
		bb_items(w, pl, is_seq(par) ? par : get(w, par, "steps"), depth + 1);
		bb_items(w, pl, get(w, get(w, it, "stage"), "steps"), depth + 1);
	}
}

static void bb_workflow(struct wf *w, yaml_node_t *root)
{
	yaml_node_t *pipes = get(w, root, "pipelines"), *img = get(w, root, "image");
	bool self = bb_self_hosted(w, get(w, get(w, root, "options"), "runs-on"));

	fact(w, NULL, "workflow", w->path, NULL);
	image_check(w, NULL, scalar(img) ? img : get(w, img, "name"), false);
	EACH_PAIR(p, pipes) {
		const char *k = scalar(node(w, p->key));
		struct bb_pipeline pl = { .trigger = k, .self_hosted = self,
					  .pull_requests = k && !strcmp(k, "pull-requests") };

		if (!k)
			continue;
		fact(w, NULL, "trigger", k, NULL);
		if (is_seq(node(w, p->value)))
			bb_items(w, &pl, node(w, p->value), 0);
		EACH_PAIR(q, node(w, p->value))
			bb_items(w, &pl, node(w, q->value), 0);
	}
}

/* ---- entry points ---- */

/* Where each alias of the stream is written (the loader forgets it): node
 * ids follow the order of the events that create nodes. */
static void alias_pass(struct wf *w, struct alias **v, size_t *n, int **docs)
{
	struct { int id, count; } stack[256];
	yaml_parser_t parser;
	yaml_event_t ev;
	int ids = 0, top = -1, doc = -1;
	size_t alloc = 0;

	*docs = xcalloc(DOCS_MAX + 1, sizeof(int));
	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)w->buf, w->len);
	while (yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t t = ev.type;
		bool child = t == YAML_ALIAS_EVENT || t == YAML_SCALAR_EVENT ||
			     t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT;

		if (t == YAML_DOCUMENT_START_EVENT) {
			ids = 0, top = -1, doc++;
			if (doc <= DOCS_MAX)
				(*docs)[doc] = (int)*n;
		}
		if (t == YAML_ALIAS_EVENT && top >= 0 && top < (int)ARRAY_SIZE(stack) &&
		    *n < ALIASES_MAX && doc < DOCS_MAX) {
			if (*n == alloc)
				*v = xrealloc(*v, (alloc = alloc ? 2 * alloc : 16) * sizeof(**v));
			(*v)[(*n)++] = (struct alias){ stack[top].id, stack[top].count,
						       (int)ev.start_mark.line + 1 };
		}
		if (child && t != YAML_ALIAS_EVENT)
			ids++;
		if (child && top >= 0 && top < (int)ARRAY_SIZE(stack))
			stack[top].count++;
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++top < (int)ARRAY_SIZE(stack))
				stack[top].id = ids, stack[top].count = 0;
		}
		if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
			top--;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	for (int d = doc + 1; d <= DOCS_MAX; d++)
		(*docs)[d] = (int)*n;
	yaml_parser_delete(&parser);
}

static void index_lines(struct wf *w)
{
	size_t alloc = 64;

	w->line_off = xmalloc(alloc * sizeof(size_t));
	w->line_off[w->nlines++] = 0;
	for (size_t i = 0; i < w->len; i++)
		if (w->buf[i] == '\n' && i + 1 < w->len) {
			if (w->nlines == alloc)
				w->line_off = xrealloc(w->line_off, (alloc *= 2) * sizeof(size_t));
			w->line_off[w->nlines++] = i + 1;
		}
}

static bool compile_patterns(void)
{
	for (size_t i = 0; !rx_compiled && i < RX_N; i++)
		if (regcomp(&rx[i], patterns[i], REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0) {
			while (i--)
				regfree(&rx[i]);
			return false;
		}
	rx_compiled = true;
	return true;
}

/* A GitLab spec: header, a document of its own before the jobs. */
static bool gl_spec_header(struct wf *w, yaml_node_t *root)
{
	return is_map(root) && get(w, root, "spec") &&
	       root->data.mapping.pairs.top - root->data.mapping.pairs.start == 1;
}

/* A document of the file; -EINVAL with why when it is not a mapping. */
static int document(struct wf *w, yaml_node_t *root, int docno, char *why, size_t whylen)
{
	if (!is_map(root)) {
		if (docno > 0 && scalar(root) && !*scalar(root))
			return 0;	/* an empty document between markers */
		snprintf(why, whylen, "top level is not a mapping");
		return -EINVAL;
	}
	w->root = root;
	if (!strcmp(w->prefix, "gha"))
		gh_workflow(w, root);
	else if (!strcmp(w->prefix, "bitbucket"))
		bb_workflow(w, root);
	else if (!gl_spec_header(w, root))
		gl_workflow(w, root);
	return 0;
}

int an_workflow_parse(const char *system, const char *path, const char *buf, size_t len,
		      struct an_facts *f, struct an_issues *is, struct an_includes *incs,
		      char *why, size_t whylen)
{
	struct wf w = { .system = system, .path = path, .facts = f, .is = is, .incs = incs,
			.buf = buf, .len = len,
			.prefix = !strcmp(system, GL) ? "gitlab" : !strcmp(system, BB) ? "bitbucket" :
				  "gha" };
	yaml_parser_t parser;
	struct alias *aliases = NULL;
	size_t naliases = 0;
	int *docs = NULL, r = 0;

	if (!compile_patterns())
		return -EINVAL;
	index_lines(&w);
	alias_pass(&w, &aliases, &naliases, &docs);
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (int d = 0; d < DOCS_MAX && r == 0; d++) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &w.doc)) {
			snprintf(why, whylen, "line %zu: %s", parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "invalid YAML");
			r = -EINVAL;
			break;
		}
		root = yaml_document_get_root_node(&w.doc);
		if (!root) {
			yaml_document_delete(&w.doc);
			if (d == 0)
				snprintf(why, whylen, "empty document"), r = -EINVAL;
			break;
		}
		w.aliases = aliases + docs[d];
		w.naliases = (size_t)(docs[d + 1] - docs[d]);
		r = document(&w, root, d, why, whylen);
		if (!w.have_spec && !strcmp(w.prefix, "gitlab") && gl_spec_header(&w, root)) {
			w.spec = w.doc;	/* kept for the documents after it */
			w.have_spec = true;
		} else {
			yaml_document_delete(&w.doc);
		}
	}
	if (r == 0 && w.visits > VISITS_MAX) {	/* what was found stands, but not all was read */
		snprintf(why, whylen, "more than %d nodes to visit (aliases repeat them)", VISITS_MAX);
		r = -EINVAL;
	}
	if (w.have_spec)
		yaml_document_delete(&w.spec);
	yaml_parser_delete(&parser);
out:
	free(aliases);
	free(docs);
	free(w.line_off);
	return r;
}

static const char *unparsable_rule(const char *system)
{
	return !strcmp(system, GL) ? "gitlab/unparsable" : !strcmp(system, BB) ?
	       "bitbucket/unparsable" : "gha/unparsable";
}

static int analyze_file(const struct an_ctx *ctx, struct sarif_run *run, struct an_facts *f,
			const char *system, const char *path, struct an_includes *incs,
			bool included)
{
	struct an_issues is = { 0 };
	char *data = NULL, why[256] = "";
	size_t len = 0;
	int r = an_read(ctx->wsfd, path, WF_FILE_MAX, &data, &len);

	if (r == 0)
		r = an_workflow_parse(system, path, data, len, f, &is, incs, why, sizeof(why));
	else if (r != -ENOENT || !included)
		snprintf(why, sizeof(why), "unable to read: %s", strerror(-r));
	if (r == -ENOENT && included) {
		_cleanup_free_ char *msg = ruletext_rule(TOOL, "gitlab/include-missing");

		an_issue_add(&is, "gitlab/include-missing", 0, "%s", msg);
	} else if (r < 0)
		an_issue_add(&is, unparsable_rule(system), 0, "unparsable workflow: %s", why);
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

/* Workflows in GitHub Actions syntax: GitHub's directory, which Gitea and
 * Forgejo also read, and theirs. */
static int actions_file(const struct an_ctx *ctx, const char *path, void *arg)
{
	static const char *const dirs[] = { ".github/workflows/", ".gitea/workflows/",
					    ".forgejo/workflows/" };
	struct scan *s = arg;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		size_t n = strlen(dirs[i]);

		if (!strncmp(path, dirs[i], n) && !strchr(path + n, '/') && yaml_name(path))
			analyze_file(ctx, s->run, &s->facts, GH, path, NULL, false);
	}
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
			analyze_file(ctx, s->run, &s->facts, GL, incs.v[i], &incs, i > 0);
	}
	for (size_t i = 0; i < incs.n; i++)
		free(incs.v[i]);
}

int an_workflows_analyze(const struct an_ctx *ctx, struct sarif_run *run)
{
	struct scan s = { .run = run };
	struct stat st;
	int r;

	an_facts_init(&s.facts);
	r = an_each_file(ctx, actions_file, &s);
	gitlab(ctx, &s);
	if (fstatat(ctx->wsfd, "bitbucket-pipelines.yml", &st, AT_SYMLINK_NOFOLLOW) == 0)
		analyze_file(ctx, run, &s.facts, BB, "bitbucket-pipelines.yml", NULL, false);
	an_facts_finish(&s.facts, run);
	an_facts_release(&s.facts);
	return r == -E2BIG ? (sarif_run_fail(run, "too many files"), 0) : r;
}
