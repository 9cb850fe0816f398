/*
 * fcgi-http.h - what lethe-hook and lethe-api do alike with a request:
 * read its body (length checked against a limit first) and answer it.
 */
#ifndef LETHE_FCGI_HTTP_H
#define LETHE_FCGI_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <fcgiapp.h>

/*
 * The body's length, from CONTENT_LENGTH (cl; NULL or "": 0): 0, or
 * -EINVAL when it is no decimal number of bytes, -EFBIG when it is over max.
 */
int fcgi_http_length(const char *cl, int64_t max, int64_t *len);

/*
 * Read the len bytes of the body into *body, NUL-terminated (owned by the
 * caller, who frees it): 0, or -EPIPE when the body is shorter (*body
 * NULL; what was read of it is zeroed first).
 */
int fcgi_http_read(FCGX_Stream *in, size_t len, char **body);

/*
 * An answer with a JSON body: fcgi_http_head writes the status and the
 * headers every answer has, the caller may add header lines of its own
 * ("Name: value\r\n"), and fcgi_http_end ends the headers and writes the
 * body and a newline.  fcgi_http_answer is the three in one (headers: NULL
 * or header lines).  The server adds the status's reason phrase.
 */
void fcgi_http_head(FCGX_Stream *out, int status);
void fcgi_http_end(FCGX_Stream *out, const char *json);
void fcgi_http_answer(FCGX_Stream *out, int status, const char *headers, const char *json);

#endif
