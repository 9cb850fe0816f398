/*
 * http_test - lib/http retry and error classification, against the
 * stand-in VCS API's failure modes.
 */
#include <errno.h>
#include <string.h>

#include "http.h"
#include "standin.h"
#include "tap.h"

static const char *CONFIG = "{\"apps\": {}, \"installations\": {}}";

static const struct {
	long status;
	int attempt;
	const char *retry_after, *remaining, *reset;
	int64_t want;
} DELAYS[] = {
	{ 503, 0, NULL, NULL, NULL, 100 },
	{ 502, 2, NULL, NULL, NULL, 400 },
	{ 500, 9, NULL, NULL, NULL, 5000 },	/* capped at hc_max_wait_ms */
	{ 429, 0, "7", NULL, NULL, 7000 },
	{ 503, 1, "0", NULL, NULL, 0 },
	{ 403, 0, NULL, "0", "1005", 6000 },	/* now is 1000: reset + 1 s */
	{ 403, 0, NULL, "12", "1005", -1 },	/* a refusal */
	{ 401, 0, NULL, NULL, NULL, -1 },
	{ 404, 0, NULL, NULL, NULL, -1 },
	{ 422, 0, NULL, NULL, NULL, -1 },
	{ 429, 0, "soon", NULL, NULL, 100 },	/* unparsable: back off */
};

static void test_delays(void)
{
	struct http_client c;

	http_client_init(&c);
	c.hc_backoff_ms = 100;
	c.hc_max_wait_ms = 5000;
	for (size_t i = 0; i < ARRAY_SIZE(DELAYS); i++) {
		int64_t got = http_retry_delay(&c, DELAYS[i].status, DELAYS[i].attempt,
					       DELAYS[i].retry_after, DELAYS[i].remaining,
					       DELAYS[i].reset, 1000);

		ok(got == DELAYS[i].want, "delay after %ld (attempt %d): %lld ms, want %lld",
		   DELAYS[i].status, DELAYS[i].attempt, (long long)got,
		   (long long)DELAYS[i].want);
	}
}

static int do_req(const struct http_client *c, const char *method, const char *url,
		  json_object *body, struct http_resp *rs)
{
	struct http_req rq = { .rq_method = method, .rq_url = url, .rq_body = body,
			       .rq_auth_scheme = "Bearer", .rq_auth = "ghs_not_a_real_token" };

	return http_request(c, &rq, rs);
}

static void inject(const struct http_client *c, const struct standin *s, const char *json)
{
	struct http_resp rs;
	char *url = xasprintf("%s/_standin/fail", s->url);
	json_object *body = json_tokener_parse(json);

	do_req(c, "POST", url, body, &rs);
	json_object_put(body);
	http_resp_release(&rs);
	free(url);
}

static void test_live(const struct standin *s)
{
	struct http_client c;
	struct http_resp rs;
	char *url = xasprintf("%s/repos/acme/app/statuses/%s", s->url,
			      "0123456789abcdef0123456789abcdef01234567");
	char *missing = xasprintf("%s/no/such/route", s->url);
	int64_t t0;
	int r;

	http_client_init(&c);
	c.hc_backoff_ms = 10;

	r = do_req(&c, "POST", url, NULL, &rs);
	ok(r == -EACCES && rs.rs_attempts == 1 && rs.rs_status == 401,
	   "401 is permanent at once (r=%d, %d attempts)", r, rs.rs_attempts);
	ok(rs.rs_json && !strcmp(json_object_get_string(json_object_object_get(rs.rs_json,
	   "message")), "Bad credentials"), "the error body is parsed");
	ok(http_error_permanent(r), "401 classified permanent");
	http_resp_release(&rs);

	r = do_req(&c, "GET", missing, NULL, &rs);
	ok(r == -ENOENT && rs.rs_attempts == 1, "404 is permanent at once (r=%d)", r);
	http_resp_release(&rs);

	inject(&c, s, "{\"prefix\": \"/repos/\", \"status\": 503, \"count\": 2}");
	r = do_req(&c, "POST", url, NULL, &rs);
	ok(r == -EACCES && rs.rs_attempts == 3,
	   "two 503s are retried, then the real answer (r=%d, %d attempts)", r, rs.rs_attempts);
	http_resp_release(&rs);

	inject(&c, s, "{\"prefix\": \"/repos/\", \"status\": 429, \"count\": 1, \"retry_after\": 1}");
	t0 = mono_usec();
	r = do_req(&c, "POST", url, NULL, &rs);
	ok(rs.rs_attempts == 2 && mono_usec() - t0 >= 1000000,
	   "429 waits the Retry-After second (%lld ms)", (long long)(mono_usec() - t0) / 1000);
	http_resp_release(&rs);

	inject(&c, s, "{\"prefix\": \"/repos/\", \"status\": 403, \"count\": 1, \"rate_limited\": true}");
	r = do_req(&c, "POST", url, NULL, &rs);
	ok(rs.rs_attempts == 2 && r == -EACCES, "a rate-limited 403 is retried (%d attempts)",
	   rs.rs_attempts);
	http_resp_release(&rs);

	inject(&c, s, "{\"prefix\": \"/repos/\", \"status\": 502, \"count\": 10}");
	r = do_req(&c, "POST", url, NULL, &rs);
	ok(r == -EAGAIN && rs.rs_attempts == 4 && !http_error_permanent(r),
	   "502 that persists is temporary after 1 + 3 attempts (r=%d, %d)", r, rs.rs_attempts);
	http_resp_release(&rs);
	inject(&c, s, "{\"clear\": true}");

	inject(&c, s, "{\"prefix\": \"/repos/\", \"status\": 429, \"count\": 1, \"retry_after\": 3600}");
	c.hc_max_wait_ms = 2000;
	t0 = mono_usec();
	r = do_req(&c, "POST", url, NULL, &rs);
	ok(r == -EAGAIN && rs.rs_attempts == 1 && mono_usec() - t0 < 1000000,
	   "a Retry-After beyond the longest wait gives up at once as temporary");
	http_resp_release(&rs);

	c.hc_max_body = 8;
	r = do_req(&c, "POST", url, NULL, &rs);
	ok(r == -EFBIG, "a response over the size limit is refused (r=%d)", r);
	http_resp_release(&rs);
	free(url);
	free(missing);
}

static void test_refused(void)
{
	struct http_client c;
	struct http_resp rs;
	int r;

	http_client_init(&c);
	c.hc_backoff_ms = 5;
	c.hc_retries = 2;
	r = do_req(&c, "GET", "http://127.0.0.1:9/", NULL, &rs);
	ok(r == -EAGAIN && rs.rs_attempts == 3, "connection refused is temporary, retried");
	http_resp_release(&rs);
	r = do_req(&c, "GET", "file:///etc/passwd", NULL, &rs);
	ok(r == -EINVAL && rs.rs_status == 0 && rs.rs_attempts == 1,
	   "a file: URL is never fetched (r=%d)", r);
	http_resp_release(&rs);
}

int main(void)
{
	struct standin s = { 0 };

	plan((int)ARRAY_SIZE(DELAYS) + 10 + 2);
	test_delays();
	if (standin_start(&s, CONFIG) == 0)
		test_live(&s);
	else
		skip(10, "the stand-in VCS API needs /usr/bin/python3");
	standin_stop(&s);
	test_refused();
	return tap_exit();
}
