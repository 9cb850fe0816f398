/*
 * an.h - what lethe-analyze's modules share.
 *
 * lethe-analyze runs inside the sandbox with the checkout read-only at the
 * workspace.  Each analyzer is one entry of the table in lethe-analyze.c:
 * either an external scanner (an argv builder, the stream to capture, the
 * exit statuses that mean success, and a converter from its output to a
 * sarif_run) or an in-process function that fills the sarif_run itself.
 * Converters never copy source text: they take rule, level, the text Lethe
 * keeps for the rule (lib/parse/ruletext.h, never the tool's message), path,
 * lines and CWE, and every result gets a lethe/v1 fingerprint from
 * an_result_add().
 */
#ifndef LETHE_AN_H
#define LETHE_AN_H

#include <stdbool.h>
#include <stddef.h>

#include "sarif.h"

struct an_ctx {
	const char *workspace;	/* absolute, no trailing slash */
	int wsfd;		/* O_PATH descriptor of the workspace */
	int timeout;		/* seconds per tool */
	size_t max_output;	/* bytes of scanner output */
	size_t max_results;	/* results per run */
	const char *eslint_dir;	/* Lethe's ESLint tree (an-eslint.c) */
	int jobs;		/* tools at once (--jobs); cppcheck's own -j */
	/* Where a SARIF tool's log of several runs puts those after its first
	 * (an_convert_sarif), or NULL to merge them into one. */
	struct sarif_log *more;
};

/* A NULL-terminated argument vector that owns its strings. */
struct an_argv {
	size_t n, alloc;
	char **v;
};

void an_argv_add(struct an_argv *a, const char *arg);
void an_argv_truncate(struct an_argv *a, size_t n);	/* keep the first n */
void an_argv_release(struct an_argv *a);

struct an_tool {
	const char *name;
	/*
	 * External scanner: fill argv (argv[0] is looked up in PATH); 0 to
	 * run it, 1 when it is not run (the builder says why: with
	 * sarif_run_not_applicable when there is nothing to scan, with
	 * sarif_run_fail when the scanner is not there), <0 on error.  It may
	 * already mark the run incomplete.
	 */
	int (*build)(const struct an_ctx *ctx, struct an_argv *argv,
		     struct sarif_run *run);
	int capture_fd;		/* 1: stdout, 2: stderr */
	unsigned ok_exits;	/* bit n set: exit status n is success */
	/* Output to results; -EINVAL when it is not what the tool writes (the
	 * run is then incomplete: "unparsable output", or a more precise
	 * reason starting so that the converter set). */
	int (*convert)(const struct an_ctx *ctx, const char *out, size_t len,
		       struct sarif_run *run);
	const char *version_arg;	/* "--version", or NULL */
	/*
	 * In-process analyzer instead of build/convert (an-*.c modules): reads
	 * beneath ctx->wsfd, adds results with an_result_add() (which also
	 * enforces the result limit), returns 0 or <0 (the run is then
	 * incomplete with strerror, unless it set a reason itself).
	 */
	int (*analyze)(const struct an_ctx *ctx, struct sarif_run *run);
	const char *path;	/* absolute program (--extra-tool), or NULL */
	const char *args;	/* its arguments before ".", blank-separated, or NULL */
	const char *info_uri;	/* the tool's home page, for tool.driver */
};

/*
 * Run argv with cwd at the workspace, capturing fd capture_fd (the other
 * output goes to /dev/null), for at most ctx->timeout seconds and
 * ctx->max_output bytes.  On success *out holds the output (NUL-terminated)
 * and *status the exit status; otherwise returns a negative errno with a
 * one-line reason in why ("timed out after 5s", "killed by signal 11").
 */
int an_exec(const struct an_ctx *ctx, char *const *argv, int capture_fd,
	    char **out, size_t *len, int *status, char *why, size_t whylen);

/*
 * Append a result for path (relative to the workspace, or absolute inside
 * it) with its fingerprint; returns NULL when the path is not inside the
 * workspace, or when the run already holds ctx->max_results results (the
 * run is then marked incomplete with the reason "result limit").
 */
struct sarif_result *an_result_add(const struct an_ctx *ctx, struct sarif_run *run,
				   const char *tool, const char *rule_id,
				   const char *path, int line);

/*
 * The same, but the fingerprint hashes digest (the hex SHA-256 of what was
 * found) instead of the flagged lines: for secrets, whose line must not be
 * hashed.  lethe-scan replaces such a fingerprint with one derived from the
 * org's keyed hash before storing it (lib/secret/secrethash.h).
 */
struct sarif_result *an_result_add_digest(const struct an_ctx *ctx, struct sarif_run *run,
					  const char *tool, const char *rule_id,
					  const char *path, int line, const char *digest);

/*
 * Read the regular file path beneath dirfd (no symlinks, no escape) into a
 * NUL-terminated buffer; -EFBIG when larger than max, -EINVAL when not a
 * regular file.  The caller cleanses and frees *data.
 */
int an_read(int dirfd, const char *path, size_t max, char **data, size_t *len);

/*
 * Call fn for every regular file of the workspace (relative path), depth
 * first in name order, without following symlinks and skipping .git; at
 * most AN_FILES_MAX files and AN_FILES_DEPTH levels (an-files.c, for the
 * in-process analyzers).  fn returns 0 to go on, or a negative errno to
 * stop; an_each_file returns it, or -E2BIG at the file limit.
 */
#define AN_FILES_MAX 200000
#define AN_FILES_DEPTH 64
typedef int (*an_file_fn)(const struct an_ctx *ctx, const char *path, void *arg);
int an_each_file(const struct an_ctx *ctx, an_file_fn fn, void *arg);
const char *an_basename(const char *path);
/* 1 when the workspace holds a regular file whose name ends with one of
 * suffixes[0..n) (or when a limit cut the walk short: the tool then runs on
 * what there is), 0 when it holds none, a negative errno on error. */
int an_has_suffixed(const struct an_ctx *ctx, const char *const *suffixes, size_t n);

/* SHA-256 hex of tool, rule, path and the normalised flagged line with
 * its nearest non-blank neighbours; out has 65 bytes. */
void an_fingerprint(const struct an_ctx *ctx, const char *tool, const char *rule,
		    const char *path, int line, char *out);
/* Forget the cached file text (it is kept for consecutive results). */
void an_lines_drop(void);

/*
 * Append to argv the paths (relative to the workspace) of the regular files
 * that want(dirfd, name, data) accepts; symbolic links are not followed and
 * .git is skipped.  -E2BIG when a limit (depth 64, 200000 entries, 5000
 * files, 1 MiB of paths) stopped the walk: what was found is still added.
 */
typedef bool an_want_fn(int dirfd, const char *name, void *data);
int an_walk(const struct an_ctx *ctx, an_want_fn *want, void *data,
	    struct an_argv *argv);
bool an_has_suffix(const char *name, const char *suffix);

/*
 * Shared converter for tools that write SARIF themselves.  A log of several
 * runs (at most AN_TOOL_RUNS_MAX) stays several runs, named
 * "TOOL/CATEGORY" after each run's automationDetails.id, else
 * "TOOL/DRIVER", the first in run and the others in ctx->more.
 */
#define AN_TOOL_RUNS_MAX 16
int an_convert_sarif(const struct an_ctx *ctx, const char *out, size_t len,
		     struct sarif_run *run);

/* The tools (an-*.c). */
int an_flawfinder_build(const struct an_ctx *, struct an_argv *, struct sarif_run *);
int an_cppcheck_build(const struct an_ctx *, struct an_argv *, struct sarif_run *);
int an_cppcheck_convert(const struct an_ctx *, const char *, size_t, struct sarif_run *);
int an_shellcheck_build(const struct an_ctx *, struct an_argv *, struct sarif_run *);
int an_shellcheck_convert(const struct an_ctx *, const char *, size_t, struct sarif_run *);
int an_bandit_build(const struct an_ctx *, struct an_argv *, struct sarif_run *);
int an_bandit_convert(const struct an_ctx *, const char *, size_t, struct sarif_run *);
int an_eslint_build(const struct an_ctx *, struct an_argv *, struct sarif_run *);

/*
 * Facts: metadata about manifests and CI workflows (names, versions,
 * paths; never file content), written as run.properties "lethe/facts".
 * Issues: what a parser found wrong, turned into results by its analyzer.
 * The parsers take a buffer (so the fuzz targets can call them) and fill
 * both; they return 0, or -EINVAL with a one-line reason in why when the
 * file is unparsable.
 */
struct an_facts {
	struct json_object *deps, *wfs;	/* arrays */
	size_t n;			/* entries, at most AN_FACTS_MAX */
};
#define AN_FACTS_MAX 100000

struct an_issue {
	char *rule, *message;
	int line;
};

struct an_issues {
	size_t n, alloc;
	struct an_issue *v;
};

void an_facts_init(struct an_facts *f);
void an_facts_release(struct an_facts *f);
/* A dependency; line: where the manifest names it first, 0 if not known. */
void an_facts_dep(struct an_facts *f, const char *ecosystem, const char *name,
		  const char *version, const char *constraint, bool direct,
		  const char *manifest, int line);
void an_facts_wf(struct an_facts *f, const char *system, const char *path,
		 const char *workflow, const char *job, const char *kind,
		 const char *value, const char *pinning);
/* Write the facts into run->facts_json. */
void an_facts_finish(struct an_facts *f, struct sarif_run *run);

void an_issue_add(struct an_issues *is, const char *rule, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void an_issues_release(struct an_issues *is);
/* Results (tool, level warning unless the rule ends in an error list) for path. */
void an_issues_report(const struct an_ctx *ctx, struct sarif_run *run, const char *tool,
		      const char *path, const struct an_issues *is);

/* Workflow files: GitHub Actions or GitLab CI (system "github-actions" or
 * "gitlab-ci").  Local includes of a GitLab file are appended to incs. */
struct an_includes {
	size_t n;
	char *v[64];
};
int an_workflow_parse(const char *system, const char *path, const char *buf, size_t len,
		      struct an_facts *f, struct an_issues *is, struct an_includes *incs,
		      char *why, size_t whylen);
/*
 * TOML (an-toml.c): fn is called for each key = value with the table it is
 * in ("" at the top, dotted names joined by '.') and the value as a json-c
 * object (strings, arrays, objects; other scalars as their text), which fn
 * must not keep; for a "[[name]]" header, once with key and value NULL.
 */
typedef void (*an_toml_fn)(const char *table, const char *key, struct json_object *v,
			   void *arg);
int an_toml_parse(const char *buf, size_t len, an_toml_fn fn, void *arg, char *why,
		  size_t whylen);

/* Dependency manifests and lock files: -ENOENT when path is none. */
int an_deps_parse(const char *path, const char *buf, size_t len, struct an_facts *f,
		  char *why, size_t whylen);
bool an_deps_manifest(const char *path);

/* Lethe's own analyzers (in-process). */
int an_secrets_analyze(const struct an_ctx *ctx, struct sarif_run *run);
int an_workflows_analyze(const struct an_ctx *ctx, struct sarif_run *run);
int an_deps_analyze(const struct an_ctx *ctx, struct sarif_run *run);
int an_markers_analyze(const struct an_ctx *ctx, struct sarif_run *run);
/* Mark results of run that a lethe:ignore marker suppresses. */
void an_suppress_apply(const struct an_ctx *ctx, struct sarif_run *run);

/* Reading scanners' JSON output (an-json.c). */
struct json_object;
int an_json_parse(const char *out, size_t len, struct json_object **doc);
const char *an_json_str(struct json_object *o, const char *key);
int an_json_int(struct json_object *o, const char *key);

#endif
