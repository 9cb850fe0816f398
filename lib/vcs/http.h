/*
 * http.h - the outbound HTTP client Lethe uses to talk to VCS APIs.
 *
 * One request at a time over libcurl, JSON in and out with json-c.  Every
 * request has a connect and a total timeout, a response size limit and a
 * JSON depth limit; redirects are not followed (a redirect would carry the
 * Authorization header elsewhere) and only http and https are allowed.
 *
 * Tokens travel only in the Authorization header: the header buffer is
 * zeroed after the request, and nothing here logs a header, a URL query or
 * a body.
 *
 * Results, the usual OK / PERMFAIL / TEMPFAIL split:
 *   0         2xx
 *   -EACCES   401, or 403 that is not a rate limit (wrong key, missing scope)
 *   -ENOENT   404
 *   -EPROTO   any other 4xx, or 3xx (permanent)
 *   -EAGAIN   5xx, 429, a rate-limited 403 or a network error still failing
 *             after the retries (temporary)
 *   -EFBIG    response larger than the limit
 *   -EBADMSG  a body that should be JSON and is not
 *   -EINVAL   a URL that is malformed or not http(s)
 *   -EPERM    a URL clone_hosts refuses (host, plain HTTP or address; see
 *             target.h), never requested
 * http_error_permanent() tells the caller which of these not to retry.
 */
#ifndef LETHE_HTTP_H
#define LETHE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct http_client {
	long hc_connect_timeout;	/* seconds */
	long hc_timeout;		/* seconds, whole request */
	int hc_retries;			/* extra attempts on temporary failures */
	int64_t hc_backoff_ms;		/* first backoff; doubles each time */
	int64_t hc_max_wait_ms;		/* longest single wait, Retry-After included */
	size_t hc_max_body;		/* response bytes */
	const char *hc_user_agent;
	/* When set, every URL must pass target_connect_check() against the
	 * clone_hosts of this configuration and is connected to at the
	 * address checked (CURLOPT_RESOLVE); NULL: no check (unit tests). */
	const struct config *hc_cfg;
};

/* Defaults: 10 s connect, 30 s total, 3 retries, 500 ms, 60 s, 4 MiB. */
void http_client_init(struct http_client *c);
struct config;
/* The defaults with the configuration's http_timeout as the total timeout,
 * and its clone_hosts checked on every URL. */
void http_client_configure(struct http_client *c, const struct config *cfg);

struct http_req {
	const char *rq_method;		/* "GET", "POST", "PATCH", "PUT", "DELETE" */
	const char *rq_url;
	const char *rq_auth_scheme;	/* "Bearer", "token", "Basic"; NULL: none */
	const char *rq_auth;		/* the credential; never logged */
	json_object *rq_body;		/* sent as application/json; NULL: none */
	const char *rq_accept;		/* NULL: application/json */
	const char *const *rq_headers;	/* more "Name: value" lines, NULL-ended; no secrets */
};

struct http_resp {
	long rs_status;			/* last HTTP status, 0 if none */
	int rs_attempts;		/* how many requests were made */
	json_object *rs_json;		/* parsed body or NULL; owned */
	char rs_link_next[512];		/* Link rel="next", "" if none */
	char rs_username[256];		/* X-AUSERNAME (Bitbucket Data Center: who the
					 * credential authenticated), "" if none */
};

void http_resp_release(struct http_resp *rs);

/* Make the request, retrying temporary failures; see the results above. */
int http_request(const struct http_client *c, const struct http_req *rq, struct http_resp *rs);

/* 1 if err is a failure that will not go away by retrying. */
int http_error_permanent(int err);

/*
 * How long to wait before the next attempt after a response with this
 * status and these header values (either may be NULL), in milliseconds;
 * -1 if the status is not worth retrying.  Exposed for the unit tests.
 */
int64_t http_retry_delay(const struct http_client *c, long status, int attempt,
			 const char *retry_after, const char *rate_remaining,
			 const char *rate_reset, int64_t now_s);

#endif
