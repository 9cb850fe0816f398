/*
 * http.c - the outbound HTTP client (libcurl + json-c); see http.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "config.h"
#include "http.h"
#include "target.h"
#include "util.h"

#define HTTP_JSON_DEPTH 32
#define HTTP_HDR_MAX    128

struct http_buf {
	char *data;
	size_t len;
	size_t max;
	int too_big;
};

struct http_hdrs {
	char retry_after[HTTP_HDR_MAX];
	char rate_remaining[HTTP_HDR_MAX];
	char rate_reset[HTTP_HDR_MAX];
	char link[512];
	char username[256];
};

void http_client_init(struct http_client *c)
{
	c->hc_connect_timeout = 10;
	c->hc_timeout = 30;
	c->hc_retries = 3;
	c->hc_backoff_ms = 500;
	c->hc_max_wait_ms = 60000;
	c->hc_max_body = 4u << 20;
	c->hc_user_agent = "lethe";
	c->hc_cfg = NULL;
}

void http_client_configure(struct http_client *c, const struct config *cfg)
{
	http_client_init(c);
	c->hc_timeout = (long)config_v(cfg)->http_timeout;
	c->hc_cfg = cfg;
	if (c->hc_connect_timeout > c->hc_timeout)
		c->hc_connect_timeout = c->hc_timeout;
}

void http_resp_release(struct http_resp *rs)
{
	if (!rs)
		return;
	json_object_put(rs->rs_json);
	rs->rs_json = NULL;
}

int http_error_permanent(int err)
{
	return err != -EAGAIN && err != 0;
}

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static void http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t http_write(char *p, size_t sz, size_t n, void *arg)
{
	struct http_buf *b = arg;
	size_t len = sz * n;

	if (len > b->max - b->len) {
		b->too_big = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* Copy the value of header "name: value" into dst if this line is it. */
static void http_header_take(const char *line, size_t len, const char *name,
			     char *dst, size_t dstlen)
{
	size_t nl = strlen(name);

	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, line, len);
	dst[len] = '\0';
}

static size_t http_header(char *p, size_t sz, size_t n, void *arg)
{
	struct http_hdrs *h = arg;
	size_t len = sz * n;

	http_header_take(p, len, "retry-after", h->retry_after, sizeof(h->retry_after));
	http_header_take(p, len, "x-ratelimit-remaining", h->rate_remaining,
			 sizeof(h->rate_remaining));
	http_header_take(p, len, "x-ratelimit-reset", h->rate_reset, sizeof(h->rate_reset));
	http_header_take(p, len, "link", h->link, sizeof(h->link));
	http_header_take(p, len, "x-ausername", h->username, sizeof(h->username));
	return len;
}

/* Find <url>; rel="next" in a Link header. */
static void http_link_next(const char *link, char *out, size_t outlen)
{
	const char *p = link;

	out[0] = '\0';
	while ((p = strchr(p, '<'))) {
		const char *end = strchr(p, '>');
		const char *comma;

		if (!end)
			return;
		comma = strchr(end, ',');
		if (strstr(end, "rel=\"next\"") && (!comma || strstr(end, "rel=\"next\"") < comma)) {
			if ((size_t)(end - p - 1) < outlen)
				snprintf(out, outlen, "%.*s", (int)(end - p - 1), p + 1);
			return;
		}
		p = end;
	}
}

static int64_t http_parse_nonneg(const char *s)
{
	int64_t v;

	if (!s || !*s || parse_i64(s, 0, INT64_MAX / 1000, &v) < 0)
		return -1;
	return v;
}

int64_t http_retry_delay(const struct http_client *c, long status, int attempt,
			 const char *retry_after, const char *rate_remaining,
			 const char *rate_reset, int64_t now_s)
{
	int64_t ra = http_parse_nonneg(retry_after);
	int64_t reset = http_parse_nonneg(rate_reset);
	int limited = rate_remaining && !strcmp(rate_remaining, "0");
	int64_t backoff = c->hc_backoff_ms;

	if (status == 403 && !limited && ra < 0)
		return -1;	/* a refusal, not a rate limit */
	if (status != 0 && status != 403 && status != 429 && status < 500)
		return -1;
	if (ra >= 0)
		return ra * 1000;
	if (limited && reset >= 0)
		return (reset > now_s ? reset - now_s : 0) * 1000 + 1000;
	for (int i = 0; i < attempt && backoff < c->hc_max_wait_ms; i++)
		backoff *= 2;
	return backoff < c->hc_max_wait_ms ? backoff : c->hc_max_wait_ms;
}

static struct curl_slist *http_headers(const struct http_req *rq, int has_body)
{
	struct curl_slist *l = NULL;
	char *auth;
	char *accept = xasprintf("Accept: %s", rq->rq_accept ? rq->rq_accept
				 : "application/json");

	l = curl_slist_append(l, accept);
	free(accept);
	if (has_body)
		l = curl_slist_append(l, "Content-Type: application/json");
	for (const char *const *x = rq->rq_headers; x && *x; x++)
		l = curl_slist_append(l, *x);
	if (rq->rq_auth && rq->rq_auth_scheme) {
		auth = xasprintf("Authorization: %s %s", rq->rq_auth_scheme, rq->rq_auth);
		l = curl_slist_append(l, auth);
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	return l;
}

/* curl copies header strings; zero them (the token is one) before freeing. */
static void http_headers_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static CURL *http_handle(const struct http_client *c, const struct http_req *rq,
			 struct http_buf *b, struct http_hdrs *h, struct curl_slist *pin)
{
	CURL *cu = curl_easy_init();

	if (!cu)
		return NULL;
	curl_easy_setopt(cu, CURLOPT_URL, rq->rq_url);
	/* The address target_pin() checked, so that a second lookup cannot change it. */
	curl_easy_setopt(cu, CURLOPT_RESOLVE, pin);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, rq->rq_method);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, c->hc_connect_timeout);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, c->hc_timeout);
	curl_easy_setopt(cu, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->hc_max_body);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, c->hc_user_agent);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, h);
	return cu;
}

static int http_parse(const struct http_buf *b, struct http_resp *rs)
{
	struct json_tokener *tok;
	int r = 0;

	if (!b->len)
		return 0;
	tok = json_tokener_new_ex(HTTP_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	rs->rs_json = json_tokener_parse_ex(tok, b->data, (int)b->len);
	if (!rs->rs_json || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != b->len) {
		json_object_put(rs->rs_json);
		rs->rs_json = NULL;
		r = -EBADMSG;
	}
	json_tokener_free(tok);
	return r;
}

static int http_status_error(long status)
{
	if (status >= 200 && status < 300)
		return 0;
	if (status == 401 || status == 403)
		return -EACCES;
	if (status == 404)
		return -ENOENT;
	if (status == 429 || status >= 500)
		return -EAGAIN;
	return -EPROTO;
}

static int http_curl_error(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EAGAIN;	/* DNS, connect, TLS, timeout: may pass later */
	}
}

/* One attempt.  Returns the curl result; fills status, headers, body. */
static CURLcode http_once_do(const struct http_client *c, const struct http_req *rq,
			     const char *body, struct http_buf *b, struct http_hdrs *h,
			     struct curl_slist *pin, long *status)
{
	struct curl_slist *hl = http_headers(rq, body != NULL);
	CURL *cu = http_handle(c, rq, b, h, pin);
	CURLcode cc = CURLE_OUT_OF_MEMORY;

	*status = 0;
	if (!cu)
		goto out;
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
	if (body)
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(cu);
	if (cc == CURLE_OK)
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
out:
	curl_easy_cleanup(cu);
	http_headers_free(hl);
	return cc;
}

static void http_sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The checked address of url's host as a CURLOPT_RESOLVE list (NULL when
 * nothing is checked); -EPERM refused, -EAGAIN no address now. */
static int http_target(const struct http_client *c, const char *url, struct curl_slist **pin)
{
	struct target_list *l = NULL;
	char why[512], p[TARGET_PIN_MAX];
	int r;

	*pin = NULL;
	if (!c->hc_cfg)
		return 0;
	if ((r = target_list_load(c->hc_cfg, &l, why, sizeof(why))) == 0)
		r = target_connect_check(l, url, p, why, sizeof(why));
	target_list_free(l);
	if (r == -EINVAL)
		r = -EPERM;	/* a bad clone_hosts: nothing may be reached */
	if (r == 0 && !(*pin = curl_slist_append(NULL, p)))
		r = -ENOMEM;
	return r;
}

int http_request(const struct http_client *c, const struct http_req *rq, struct http_resp *rs)
{
	const char *body = rq->rq_body ? json_object_to_json_string_ext(rq->rq_body,
					JSON_C_TO_STRING_PLAIN) : NULL;
	struct http_buf b = { .max = c->hc_max_body };
	struct curl_slist *pin = NULL;
	int r;

	pthread_once(&http_once, http_global_init);
	memset(rs, 0, sizeof(*rs));
	if ((r = http_target(c, rq->rq_url, &pin)) < 0)
		return r;
	r = -EAGAIN;
	for (int attempt = 0; attempt <= c->hc_retries; attempt++) {
		struct http_hdrs h;
		int64_t wait;
		CURLcode cc;

		memset(&h, 0, sizeof(h));
		if (b.data)
			OPENSSL_cleanse(b.data, b.len);
		free(b.data);
		b = (struct http_buf){ .max = c->hc_max_body };
		cc = http_once_do(c, rq, body, &b, &h, pin, &rs->rs_status);
		rs->rs_attempts++;
		if (b.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			r = -EFBIG;
			break;
		}
		r = cc == CURLE_OK ? http_status_error(rs->rs_status) : http_curl_error(cc);
		if (r == -EACCES && (!strcmp(h.rate_remaining, "0") || h.retry_after[0]))
			r = -EAGAIN;	/* GitHub's rate limit answers 403 */
		http_link_next(h.link, rs->rs_link_next, sizeof(rs->rs_link_next));
		memcpy(rs->rs_username, h.username, sizeof(rs->rs_username));
		if (r != -EAGAIN)
			break;
		wait = http_retry_delay(c, rs->rs_status, attempt, h.retry_after,
					h.rate_remaining, h.rate_reset, time(NULL));
		if (attempt == c->hc_retries || wait < 0 || wait > c->hc_max_wait_ms)
			break;
		http_sleep_ms(wait);
	}
	if (r == 0 || r == -EACCES || r == -EPROTO || r == -ENOENT) {
		int pr = http_parse(&b, rs);

		if (r == 0)
			r = pr;
	}
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);	/* a token response carries one */
	free(b.data);
	curl_slist_free_all(pin);
	return r;
}
