/* llmproxy_test.c - the request heads, limits and counts of lethe-llm-proxy. */
#include <string.h>

#include "llmproxy.h"
#include "tap.h"
#include "util.h"

#define PATH "/v1/chat/completions"

static int head(const char *text, struct llm_head *h, char *why, size_t whylen)
{
	return llm_head_parse(text, strlen(text), PATH, h, why, whylen);
}

/* The status a head is refused with, and the reason holds want. */
static int refused(const char *text, int status, const char *want)
{
	struct llm_head h;
	char why[256];
	int r = head(text, &h, why, sizeof(why));

	if (r != status || !strstr(why, want))
		diag("got %d '%s'", r, why);
	return r == status && strstr(why, want) != NULL;
}

static void test_heads(void)
{
	struct llm_head h;
	char why[256];

	ok(head("POST " PATH " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12\r\n"
		"Authorization: Bearer x\r\n\r\n", &h, why, sizeof(why)) == 0 &&
	   h.content_length == 12 && !h.close, "a POST of the path with a length is accepted");
	ok(head("POST " PATH " HTTP/1.1\r\ncontent-length:3\r\nConnection: close\r\n\r\n",
		&h, why, sizeof(why)) == 0 && h.content_length == 3 && h.close,
	   "header names in any case; Connection: close is kept");
	ok(head("POST " PATH " HTTP/1.0\r\nContent-Length: 0\r\n\r\n", &h, why, sizeof(why)) == 0 &&
	   h.close, "HTTP/1.0 closes");
	ok(refused("GET " PATH " HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, "only POST"),
	   "GET is refused");
	ok(refused("DELETE " PATH " HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, "only POST"),
	   "DELETE is refused");
	ok(refused("CONNECT evil.example:443 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, "only POST"),
	   "CONNECT is refused");
	ok(refused("POST http://evil.example" PATH " HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 403,
		   "another host"), "an absolute URL naming another host is refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\n\r\n", 403,
		   "host evil.example refused"), "a Host other than localhost is refused");
	ok(refused("POST /v1/models HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 403,
		   "only POST " PATH), "another path is refused");
	ok(refused("POST " PATH "?x=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 403, "path refused"),
	   "the path with a query is refused");
	ok(refused("POST " PATH "/../../admin HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 403,
		   "path refused"), "a path below it is refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nHost: localhost\r\n\r\n", 411, "Content-Length"),
	   "no Content-Length is refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
		   "Transfer-Encoding"), "a chunked body is refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
		   "repeated"), "two lengths are refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"),
	   "a negative length is refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nContent-Length: 1\r\n folded\r\n\r\n", 400,
		   "malformed header"), "a folded header is refused");
	ok(refused("POST " PATH " HTTP/2\r\nContent-Length: 1\r\n\r\n", 400, "HTTP/1"),
	   "another protocol is refused");
	ok(refused("POST " PATH " HTTP/1.1\r\nContent-Length: 1\r\n", 400, "malformed request head"),
	   "a head without its blank line is refused");
	ok(refused("POST " PATH "\r\n\r\n", 400, "request line"), "a short request line is refused");
}

static void test_url_path(void)
{
	char *p = llm_url_path("https://api.example.com/v1/chat/completions");

	ok(p && !strcmp(p, "/v1/chat/completions"), "the path of an https URL");
	free(p);
	p = llm_url_path("http://127.0.0.1:8000/openai/deployments/d/chat/completions");
	ok(p && !strcmp(p, "/openai/deployments/d/chat/completions"), "the path of an http URL with a port");
	free(p);
	ok(!llm_url_path("https://api.example.com"), "a URL without a path is refused");
	ok(!llm_url_path("https://api.example.com/"), "nor with only /");
	ok(!llm_url_path("https://api.example.com/v1?api-version=1"), "nor with a query");
	ok(!llm_url_path("https://user:pw@api.example.com/v1"), "nor with a user");
	ok(!llm_url_path("file:///etc/passwd"), "nor another scheme");
}

static void test_limits(void)
{
	struct llm_limits l = { .requests = 3, .tokens = 100, .bytes = 1000, .wall_ms = 5000 };
	struct llm_spent s = { .requests = 2, .tokens = 99, .bytes = 900, .started_ms = 10000 };
	const char *r;

	ok(llm_limit_reached(&l, &s, 14999, 100) == NULL, "below every limit a request goes");
	s.requests = 3;
	ok((r = llm_limit_reached(&l, &s, 11000, 0)) && !strcmp(r, "requests"), "the request limit");
	s.requests = 0;
	s.tokens = 100;
	ok((r = llm_limit_reached(&l, &s, 11000, 0)) && !strcmp(r, "tokens"), "the token limit");
	s.tokens = 0;
	ok((r = llm_limit_reached(&l, &s, 11000, 101)) && !strcmp(r, "bytes"),
	   "a body that would pass the byte limit");
	ok((r = llm_limit_reached(&l, &s, 15000, 0)) && !strcmp(r, "wall time"), "the wall time");
}

static void test_counts(void)
{
	json_object *a = json_tokener_parse("{\"model\":\"m-1\",\"usage\":{\"prompt_tokens\":7,"
					    "\"completion_tokens\":5,\"total_tokens\":12}}");
	int64_t p, c;
	const char *m = llm_answer_counts(a, &p, &c);

	ok(m && !strcmp(m, "m-1") && p == 7 && c == 5, "the model and token counts of an answer");
	json_object_put(a);
	a = json_tokener_parse("{\"usage\":{\"prompt_tokens\":-4,\"completion_tokens\":\"9\"}}");
	ok(!llm_answer_counts(a, &p, &c) && p == 0 && c == 0,
	   "no model; negative or non-number counts are 0");
	json_object_put(a);
}

int main(void)
{
	test_heads();
	test_url_path();
	test_limits();
	test_counts();
	return done_testing();
}
