/* llmproxy.c - the request head, limits and counts of lethe-llm-proxy; see llmproxy.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "llmproxy.h"
#include "util.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__))

/* The value of header line [p, end) named name, or NULL; *vlen its length. */
static const char *header_value(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);

	if ((size_t)(end - p) <= nl || strncasecmp(p, name, nl) || p[nl] != ':')
		return NULL;
	p += nl + 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*vlen = (size_t)(end - p);
	return p;
}

static int value_is(const char *v, size_t n, const char *want)
{
	return n == strlen(want) && !strncasecmp(v, want, n);
}

/* The request line: "POST <path> HTTP/1.x". */
static int request_line(const char *p, size_t n, const char *path, struct llm_head *h,
			char *why, size_t whylen)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *target;
	size_t tlen, vlen;

	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p)))) {
		WHY("malformed request line");
		return 400;
	}
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	vlen = n - (size_t)(sp2 + 1 - p);
	if (vlen != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) && memcmp(sp2 + 1, "HTTP/1.0", 8))) {
		WHY("only HTTP/1.0 and HTTP/1.1 are spoken");
		return 400;
	}
	h->close = !memcmp(sp2 + 1, "HTTP/1.0", 8);
	if ((size_t)(sp1 - p) != 4 || memcmp(p, "POST", 4)) {
		WHY("method %.*s refused: only POST is forwarded", (int)((sp1 - p) > 16 ? 16 : sp1 - p), p);
		return 405;
	}
	if (tlen == 0 || target[0] != '/') {
		WHY("a request for another host is refused: only the configured model endpoint is reached");
		return 403;
	}
	if (tlen != strlen(path) || memcmp(target, path, tlen)) {
		WHY("path refused: only POST %s is forwarded", path);
		return 403;
	}
	return 0;
}

static int header_line(const char *p, const char *end, struct llm_head *h, int *have_length,
		       char *why, size_t whylen)
{
	const char *v;
	size_t vlen;
	int64_t n;
	char num[24];

	if (*p == ' ' || *p == '\t' || !memchr(p, ':', (size_t)(end - p))) {
		WHY("malformed header line");
		return 400;
	}
	for (const char *q = p; q < end; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			WHY("control character in a header");
			return 400;
		}
	if ((v = header_value(p, end, "transfer-encoding", &vlen))) {
		WHY("Transfer-Encoding is not accepted: send a Content-Length");
		return 501;
	}
	if ((v = header_value(p, end, "host", &vlen)) && !value_is(v, vlen, "localhost")) {
		WHY("host %.*s refused: only the configured model endpoint is reached",
		    (int)(vlen > 64 ? 64 : vlen), v);
		return 403;
	}
	if ((v = header_value(p, end, "connection", &vlen)))
		h->close = value_is(v, vlen, "close");
	if ((v = header_value(p, end, "content-length", &vlen))) {
		if (*have_length || vlen == 0 || vlen >= sizeof(num)) {
			WHY("bad or repeated Content-Length");
			return 400;
		}
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (parse_i64(num, 0, INT32_MAX, &n) < 0) {
			WHY("bad Content-Length");
			return 400;
		}
		h->content_length = (size_t)n;
		*have_length = 1;
	}
	return 0;
}

int llm_head_parse(const char *head, size_t len, const char *path, struct llm_head *h,
		   char *why, size_t whylen)
{
	const char *p = head, *end = head + len, *eol;
	int have_length = 0, r;

	memset(h, 0, sizeof(*h));
	why[0] = '\0';
	if (!head || len > LLM_HEAD_MAX || len < 4 || memcmp(end - 4, "\r\n\r\n", 4)) {
		WHY("malformed request head");
		return 400;
	}
	/* Every line ends in CRLF: the head ends in two. */
	eol = memmem(p, len, "\r\n", 2);
	r = eol ? request_line(p, (size_t)(eol - p), path, h, why, whylen) : 400;
	while (r == 0 && eol && (p = eol + 2) < end - 2) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		r = eol ? header_line(p, eol, h, &have_length, why, whylen) : 400;
	}
	if (r == 0 && !have_length) {
		WHY("a Content-Length is required");
		r = 411;
	}
	return r;
}

char *llm_url_path(const char *url)
{
	const char *p;
	size_t n;

	if (!strncmp(url, "https://", 8))
		p = url + 8;
	else if (!strncmp(url, "http://", 7))
		p = url + 7;
	else
		return NULL;
	n = strcspn(p, "/?#@");
	if (n == 0 || p[n] != '/' || strpbrk(p + n, "?#@ \t\r\n") || !p[n + 1])
		return NULL;
	return xstrdup(p + n);
}

const char *llm_limit_reached(const struct llm_limits *l, const struct llm_spent *s,
			      int64_t now_ms, size_t body)
{
	if (s->requests >= l->requests)
		return "requests";
	if (s->tokens >= l->tokens)
		return "tokens";
	if (s->bytes + (int64_t)body > l->bytes)
		return "bytes";
	if (now_ms - s->started_ms >= l->wall_ms)
		return "wall time";
	return NULL;
}

static int64_t count_of(json_object *usage, const char *key)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(usage, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? n : 0;
}

const char *llm_answer_counts(json_object *answer, int64_t *prompt, int64_t *completion)
{
	json_object *usage = NULL, *model = NULL;

	*prompt = *completion = 0;
	if (json_object_object_get_ex(answer, "usage", &usage) &&
	    json_object_is_type(usage, json_type_object)) {
		*prompt = count_of(usage, "prompt_tokens");
		*completion = count_of(usage, "completion_tokens");
	}
	if (json_object_object_get_ex(answer, "model", &model) &&
	    json_object_is_type(model, json_type_string))
		return json_object_get_string(model);
	return NULL;
}
