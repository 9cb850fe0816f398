/*
 * fcgi-http.c - a request's body and its answer; see fcgi-http.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi-http.h"
#include "util.h"

/* FCGX_GetStr counts in int: the body is read in chunks no larger. */
#define FCGI_HTTP_CHUNK 65536

int fcgi_http_length(const char *cl, int64_t max, int64_t *len)
{
	*len = 0;
	if (!cl || !*cl)
		return 0;
	if (parse_i64(cl, 0, INT64_MAX, len) < 0)
		return -EINVAL;
	return *len > max ? -EFBIG : 0;
}

int fcgi_http_read(FCGX_Stream *in, size_t len, char **body)
{
	char *b = xmalloc(len + 1);
	size_t got = 0;

	while (got < len) {
		int n = FCGX_GetStr(b + got, (int)(len - got > FCGI_HTTP_CHUNK ? FCGI_HTTP_CHUNK
						   : len - got), in);

		if (n <= 0) {
			explicit_bzero(b, got);	/* bodies may hold passwords */
			free(b);
			*body = NULL;
			return -EPIPE;
		}
		got += (size_t)n;
	}
	b[len] = '\0';
	*body = b;
	return 0;
}

void fcgi_http_head(FCGX_Stream *out, int status)
{
	FCGX_FPrintF(out, "Status: %d\r\nContent-Type: application/json\r\n"
		     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n", status);
}

void fcgi_http_end(FCGX_Stream *out, const char *json)
{
	FCGX_PutS("\r\n", out);
	FCGX_PutS(json, out);
	FCGX_PutS("\n", out);
}

void fcgi_http_answer(FCGX_Stream *out, int status, const char *headers, const char *json)
{
	fcgi_http_head(out, status);
	if (headers)
		FCGX_PutS(headers, out);
	fcgi_http_end(out, json);
}
