/*
 * llmproxy.h - what lethe-llm-proxy(8) decides about a request, apart
 * from its sockets: the request head it accepts (one method, one path, no
 * other host), the per-fix limits and the counts an answer carries.
 *
 * The proxy speaks HTTP/1.1 on a Unix socket to the fix sandbox and
 * forwards only "POST <the path of fix_model_url>" with a Content-Length
 * body; every header of the request is dropped (the proxy adds its own,
 * the API key among them).
 */
#ifndef LETHE_LLMPROXY_H
#define LETHE_LLMPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define LLM_HEAD_MAX 16384	/* bytes of request line and headers */

struct llm_head {
	size_t content_length;
	int close;		/* Connection: close, or HTTP/1.0 */
};

/*
 * Parse a request head (through its blank line) of a request for path.
 * 0 when it is a POST of path with a Content-Length; else the HTTP status
 * to refuse it with (400, 403, 405, 411, 501) and why holds the reason.
 */
int llm_head_parse(const char *head, size_t len, const char *path, struct llm_head *h,
		   char *why, size_t whylen);

/*
 * The path of an endpoint URL "http(s)://host[:port]/path" (caller frees);
 * NULL when the URL has no such path, or has a query, a fragment or a user.
 */
char *llm_url_path(const char *url);

struct llm_limits {
	int64_t requests, tokens, bytes;
	int64_t wall_ms;
};

struct llm_spent {
	int64_t requests, tokens, bytes;
	int64_t started_ms;	/* monotonic */
};

/*
 * NULL when one more request with a body of body bytes may go; else the
 * limit it would pass, as the proxy names it ("requests", "tokens",
 * "bytes", "wall time").
 */
const char *llm_limit_reached(const struct llm_limits *l, const struct llm_spent *s,
			      int64_t now_ms, size_t body);

/* The model an answer names (NULL when none) and its usage counts (0 when absent). */
const char *llm_answer_counts(json_object *answer, int64_t *prompt, int64_t *completion);

#endif
