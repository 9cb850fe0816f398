/*
 * sarif.h - SARIF 2.1.0 reader and writer for scanner results.
 *
 * The reader treats its input as hostile (it comes out of the sandbox, or
 * straight from a scanner): the document size, JSON nesting depth, number of
 * runs, results per run and string lengths are limited, and anything not
 * shaped like SARIF 2.1.0 is refused with a one-line reason.  Only a
 * whitelist of fields is copied out (rule, level, location, the text Lethe
 * keeps for the rule in place of the tool's message (lib/parse/ruletext.h),
 * Lethe's fingerprint, CWE); source text is never copied: region snippets,
 * contextRegion, artifact contents, fixes, codeFlows/threadFlows, graphs and
 * unknown property bags are dropped, and the number of such source-bearing
 * fields met is reported in sarif_log.stripped so that the caller can say
 * that it had to remove them.
 *
 * The writer produces a SARIF 2.1.0 document from the same structures: one
 * run per tool (its automationDetails.id, the category, kept), locations relative to %SRCROOT%, partialFingerprints
 * "lethe/v1", and for an incomplete run invocations[0].executionSuccessful
 * false with the reason as an error toolExecutionNotification.
 *
 * CWE: a result's CWE list is written as result.properties.tags entries
 * "external/cwe/cwe-NNN" (the convention code-scanning services read); the
 * reader takes CWE ids from those tags, plain "CWE-NNN" tags, and the
 * rule's CWE relationships or tags (flawfinder's style).  In the structure,
 * cwe is a comma-separated list such as "CWE-119,CWE-120", or NULL.
 *
 * Lethe's own analyzers add, and the reader carries through:
 * - result.suppressions [{ "kind": "inSource", "justification": REASON }]
 *   for a finding suppressed by a lethe:ignore marker (suppressed,
 *   suppress_reason);
 * - result.properties "lethe/secret-sha256": 64 hex digits, the SHA-256
 *   of a leaked secret (never the secret), in secret_sha256.  It is not
 *   keyed (no key enters the sandbox), so it must never be stored: the
 *   host replaces it with the org's keyed hash, secret_hash, which the
 *   writer never writes (lib/secret/secrethash.h);
 * - run.properties "lethe/refused": how many results the analyzer could not
 *   place in the workspace (refused; the run is then incomplete);
 * - run.properties "lethe/not-applicable": why a tool had nothing to scan
 *   in the workspace ("no C or C++ file"), for a complete run without
 *   results (not_applicable, with the reason in reason);
 * - run.properties "lethe/facts": { "dependencies": [...], "workflows":
 *   [...] }, metadata about manifests and CI workflows.  The reader keeps
 *   only the whitelisted keys of each entry (see sarif.c facts_keys), as
 *   strings of at most 1000 bytes in which URLs lose their userinfo
 *   (lib/parse/redact.h; direct as a boolean), at most SARIF_FACTS_MAX entries
 *   per list, and re-serialises them into facts_json.
 *
 * Ownership: every string in these structures is heap-allocated and owned
 * by the structure; sarif_log_release() frees them all.
 */
#ifndef LETHE_SARIF_H
#define LETHE_SARIF_H

#include <stdbool.h>
#include <stddef.h>

#define SARIF_FINGERPRINT_KEY "lethe/v1"
#define SARIF_SECRET_SHA256_KEY "lethe/secret-sha256"
#define SARIF_MESSAGE_MAX 1000	/* bytes kept of a message or reason */
#define SARIF_FACTS_MAX 100000	/* entries per facts list */
#define SARIF_PATH_MAX 4096	/* bytes of a stored path */

struct sarif_result {
	char *rule_id;		/* may be NULL when the tool gave none */
	char *level;		/* "error", "warning", "note" or "none" */
	char *path;		/* the file's own name relative to the workspace */
	char *message;		/* at most SARIF_MESSAGE_MAX bytes, UTF-8 */
	char *fingerprint;	/* 64 hex digits (lethe/v1) or NULL */
	char *cwe;		/* "CWE-120,CWE-20" or NULL */
	int start_line, end_line, start_column;	/* 0: unknown */
	bool suppressed;	/* an in-code marker suppresses it */
	char *suppress_reason;	/* the marker's reason, or NULL */
	char *secret_sha256;	/* 64 hex digits: SHA-256 of a secret, or NULL */
	char *secret_hash;	/* 64 hex digits: the org-keyed hash (host only), or NULL */
};

struct sarif_run {
	char *tool, *version;	/* driver name (never NULL) and version */
	char *info_uri;		/* driver.informationUri (http/https) or NULL */
	char *category;		/* automationDetails.id (one line), or NULL */
	bool complete;		/* false: the tool failed or was cut short */
	bool not_applicable;	/* complete: it had nothing to scan, not run */
	char *reason;		/* why incomplete or not applicable (one line), or NULL */
	size_t refused;		/* results without a location Lethe can store */
	size_t nresults;
	struct sarif_result *results;
	size_t results_alloc;
	char *meta_json;	/* driver/invocation metadata, no source */
	char *facts_json;	/* run.properties "lethe/facts" (whitelisted), or NULL */
};

struct sarif_log {
	size_t nruns;
	struct sarif_run *runs;
	size_t stripped;	/* source-bearing fields that were dropped */
};

struct sarif_limits {
	size_t max_bytes, max_depth, max_runs, max_results, max_string;
	const char *base;	/* absolute paths under base become relative */
	/* Where the reader sees the workspace: whether a relative path names a
	 * file there (see sarif_uri_path), or NULL. */
	bool (*exists)(const char *path, void *arg);
	void *exists_arg;
	/* The name of the scanner configured to write the log, for a run whose
	 * tool.driver.name is missing or empty; NULL: such a run is refused. */
	const char *tool;
};

/* 64 MiB, depth 64, 64 runs, 100000 results per run, 1 MiB strings,
 * no base (absolute paths are refused), no workspace to look at. */
void sarif_limits_default(struct sarif_limits *l);

/*
 * Parse buf[0..len) into out (which is initialised here; release it even on
 * failure).  Returns 0, or -EINVAL / -EFBIG / -E2BIG with a one-line reason
 * in why (no document text in it).
 */
int sarif_parse(const char *buf, size_t len, const struct sarif_limits *lim,
		struct sarif_log *out, char *why, size_t whylen);

void sarif_log_init(struct sarif_log *log);
void sarif_log_release(struct sarif_log *log);

/* Append an empty run (complete) for tool; returns it (owned by log, and
 * valid until the next sarif_log_add_run, which may move the runs). */
struct sarif_run *sarif_log_add_run(struct sarif_log *log, const char *tool,
				    const char *version);
/* Move run (emptied) to the end of log; returns it there. */
struct sarif_run *sarif_log_move_run(struct sarif_log *log, struct sarif_run *run);
/* Append a zeroed result to run; returns it (owned by run, valid until
 * the next sarif_run_add_result on that run). */
struct sarif_result *sarif_run_add_result(struct sarif_run *run);
/* Mark run incomplete with reason (copied, cleaned and capped). */
void sarif_run_fail(struct sarif_run *run, const char *reason);
/* Mark a complete run that refused results incomplete, with how many: the
 * reader counts them (refused: a result that is not an object, or without a
 * location Lethe can store), its caller decides when the run is over.  The
 * writer also gives the count as a notification of the run. */
void sarif_run_check_refused(struct sarif_run *run);
/* Mark a complete run without results not applicable with reason (why the
 * tool had nothing to scan); any other run is left as it is. */
void sarif_run_not_applicable(struct sarif_run *run, const char *reason);
/* Add a note (cleaned and capped) to the tool notifications kept of run. */
void sarif_run_note(struct sarif_run *run, const char *text);
void sarif_result_release(struct sarif_result *r);

/* The SARIF 2.1.0 document for log, NUL-terminated; caller frees. */
char *sarif_write(const struct sarif_log *log);

/*
 * Lethe's fingerprint: SHA-256, as 64 lowercase hex digits into hex, of
 * SARIF_FINGERPRINT_KEY and the n fields (tool, rule, path, then what
 * places the result), each followed by a NUL byte.
 */
void sarif_fingerprint(const char *const *field, size_t n, char hex[65]);

/*
 * The stored path of a SARIF artifactLocation.uri, a URI reference (RFC
 * 3986): without a "file://" scheme, percent-decoded, with base (if not
 * NULL) removed from an absolute path, without "." segments or repeated
 * slashes.  The result is the file's own name, whatever bytes it holds,
 * except that it must be valid UTF-8 and at most SARIF_PATH_MAX bytes.
 * -EINVAL for anything else: another scheme, a query or fragment, a bad
 * escape or %00, an absolute path outside base, a ".." segment, empty.
 *
 * When the reader has lim->exists and the decoded path names no file, a uri
 * that names one as it is written is taken as it is: some tools
 * (flawfinder) write file names into SARIF without percent-encoding them.
 */
int sarif_uri_path(const char *uri, const char *base, char **out);

/* The same for a file name as a tool wrote it (not a URI: no decoding). */
int sarif_file_path(const char *path, const char *base, char **out);

#endif
