/* target.c - the clone_hosts allow-list and the address ranges refused. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"
#include "util.h"

#define TARGET_MAX 64
#define DEFAULT_HOSTS "github.com gitlab.com bitbucket.org"

struct target_entry {
	char host[TARGET_HOST_MAX + 1];
	char port[6];		/* "" any */
	int http;		/* plain HTTP allowed too */
	int explicit;
};

struct target_list {
	struct target_entry e[TARGET_MAX];
	size_t n;
};

static const char *const api_keys[] = {
	"github_api_url", "gitlab_api_url", "bitbucket_api_url", "bitbucket_dc_api_url",
};

/*
 * Split "[scheme://]host[:port]..." (the scheme required when need_scheme):
 * 0, or -EINVAL.  *https is 1 for https://, 0 for http://, -1 when absent;
 * *rest points at what follows the port (path, query, fragment).
 */
static int split_url(const char *s, int need_scheme, int *https, char *host, char *port,
		     const char **rest)
{
	const char *p = s, *end, *colon;
	size_t len;
	int64_t v;

	*https = -1;
	if (!strncasecmp(p, "https://", 8))
		*https = 1, p += 8;
	else if (!strncasecmp(p, "http://", 7))
		*https = 0, p += 7;
	else if (need_scheme)
		return -EINVAL;
	end = p + strcspn(p, "/?#");
	*rest = end;
	if (memchr(p, '@', (size_t)(end - p)))
		return -EINVAL;	/* user information: never in a URL Lethe connects to */
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb)
			return -EINVAL;
		len = (size_t)(rb - p - 1);
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
		p++;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		len = (size_t)((colon ? colon : end) - p);
	}
	if (len == 0 || len > TARGET_HOST_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != ':')
			return -EINVAL;
		host[i] = (char)tolower(c);
	}
	host[len] = '\0';
	if (len > 1 && host[len - 1] == '.')
		host[len - 1] = '\0';
	port[0] = '\0';
	if (colon) {
		char num[8];
		size_t pl = (size_t)(end - colon - 1);

		if (pl == 0 || pl >= sizeof(num))
			return -EINVAL;
		memcpy(num, colon + 1, pl);
		num[pl] = '\0';
		if (parse_i64(num, 1, 65535, &v) < 0)
			return -EINVAL;
		snprintf(port, 6, "%lld", (long long)v);
	}
	return 0;
}

static int list_add(struct target_list *l, const char *spec, int is_entry, int explicit, char *why,
		    size_t whylen)
{
	struct target_entry *t = &l->e[l->n];
	const char *rest;
	int https;

	if (l->n == TARGET_MAX) {
		snprintf(why, whylen, "clone_hosts: more than %d hosts", TARGET_MAX);
		return -E2BIG;
	}
	/* An API URL has a path; a clone_hosts entry has none. */
	if (split_url(spec, !explicit && !is_entry, &https, t->host, t->port, &rest) < 0 ||
	    (is_entry && strcmp(rest, "") && strcmp(rest, "/"))) {
		snprintf(why, whylen, "clone_hosts: bad entry '%.100s' (expected host[:port], "
			 "https://host[:port] or http://host[:port])", spec);
		return -EINVAL;
	}
	t->http = https == 0;
	t->explicit = explicit;
	l->n++;
	return 0;
}

/* Each word of text (spaces or commas between). */
static int list_words(struct target_list *l, const char *text, int explicit, char *why,
		      size_t whylen)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	int r = 0;

	for (char *w = strtok_r(copy, " \t,", &save); w && r == 0; w = strtok_r(NULL, " \t,", &save))
		r = list_add(l, w, 1, explicit, why, whylen);
	return r;
}

int target_list_load(const struct config *cfg, struct target_list **out, char *why, size_t whylen)
{
	struct target_list *l = xcalloc(1, sizeof(*l));
	const char *hosts = config_v(cfg)->clone_hosts;
	int r = list_words(l, *hosts ? hosts : DEFAULT_HOSTS, *hosts != '\0', why, whylen);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(api_keys); i++) {
		const char *u = config_str(cfg, api_keys[i]);

		if (*u && (r = list_add(l, u, 0, 0, why, whylen)) < 0)
			snprintf(why, whylen, "%s '%.100s' is not an http(s) URL", api_keys[i], u);
	}
	if (r < 0) {
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

void target_list_free(struct target_list *l)
{
	free(l);
}

/* The kind of address a refused one is, or NULL when it may be used. */
static const char *v4_refused(const unsigned char a[4])
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

	if (x == 0xa9fea9feu)
		return "the cloud metadata address";
	if ((x >> 24) == 127)
		return "a loopback address";
	if ((x >> 16) == 0xa9fe)
		return "a link-local address";
	if ((x >> 24) == 10 || (x >> 20) == 0xac1 || (x >> 16) == 0xc0a8)
		return "a private address";
	if ((x >> 22) == (0x64400000u >> 22))
		return "a carrier-grade NAT address";
	if ((x >> 24) == 0 || (x >> 28) >= 0xe)
		return "an unspecified, multicast or reserved address";
	return NULL;
}

static const char *v6_refused(const unsigned char a[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char metadata[16] = { 0xfd, 0, 0x0e, 0xc2, [14] = 0x02, 0x54 };
	static const unsigned char zero[15];

	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		return v4_refused(a + 12);
	if (!memcmp(a, metadata, 16))
		return "the cloud metadata address";
	if (!memcmp(a, zero, 15) && a[15] <= 1)
		return a[15] ? "a loopback address" : "an unspecified, multicast or reserved address";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "a link-local address";
	if ((a[0] & 0xfe) == 0xfc)
		return "a private (unique local) address";
	if (a[0] == 0xff)
		return "an unspecified, multicast or reserved address";
	return NULL;
}

/* NULL, or the kind of a refused address given as text. */
static const char *literal_refused(const char *host, int *literal)
{
	unsigned char a[16];

	*literal = 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return v4_refused(a);
	if (inet_pton(AF_INET6, host, a) == 1)
		return v6_refused(a);
	*literal = 0;
	return NULL;
}

static const struct target_entry *list_find(const struct target_list *l, const char *host,
					    const char *port)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].host, host) && (!l->e[i].port[0] || !strcmp(l->e[i].port, port)))
			return &l->e[i];
	return NULL;
}

int target_check(const struct target_list *l, const char *url, struct target *t, char *why,
		 size_t whylen)
{
	const struct target_entry *e;
	const char *kind, *rest;
	int https, literal;

	if (split_url(url, 1, &https, t->host, t->port, &rest) < 0) {
		snprintf(why, whylen, "'%.200s' is not an http(s) URL with a host (and no user "
			 "information)", url);
		return -EPERM;
	}
	if (!t->port[0])
		snprintf(t->port, sizeof(t->port), "%s", https ? "443" : "80");
	if (!(e = list_find(l, t->host, t->port))) {
		snprintf(why, whylen, "'%.200s': host '%s' port %s is not in clone_hosts", url,
			 t->host, t->port);
		return -EPERM;
	}
	if (!https && !e->http) {
		snprintf(why, whylen, "'%.200s': plain HTTP to '%s' is refused (clone_hosts allows "
			 "it HTTPS only)", url, t->host);
		return -EPERM;
	}
	/* Several entries may name the host: any explicit one counts. */
	t->explicit = 0;
	for (size_t i = 0; i < l->n; i++)
		t->explicit |= l->e[i].explicit && !strcmp(l->e[i].host, t->host);
	kind = literal_refused(t->host, &literal);
	if (kind && !t->explicit) {
		snprintf(why, whylen, "'%.200s': %s is %s, refused unless clone_hosts lists it",
			 url, t->host, kind);
		return -EPERM;
	}
	return 0;
}

int target_pin(const struct target *t, char pin[TARGET_PIN_MAX], char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char addr[INET6_ADDRSTRLEN], first[INET6_ADDRSTRLEN + 2] = "";
	int r, literal;

	if ((r = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(why, whylen, "'%s' does not resolve: %s", t->host, gai_strerror(r));
		return -EAGAIN;
	}
	r = 0;
	for (struct addrinfo *a = res; a && r == 0; a = a->ai_next) {
		const void *p = a->ai_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		const char *kind;

		if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
		    !inet_ntop(a->ai_family, p, addr, sizeof(addr)))
			continue;
		kind = literal_refused(addr, &literal);
		if (kind && !t->explicit) {
			snprintf(why, whylen, "'%s' resolves to %s, %s, refused unless clone_hosts "
				 "lists it", t->host, addr, kind);
			r = -EPERM;
		} else if (!first[0]) {
			snprintf(first, sizeof(first), a->ai_family == AF_INET6 ? "[%s]" : "%s", addr);
		}
	}
	freeaddrinfo(res);
	if (r == 0 && !first[0]) {
		snprintf(why, whylen, "'%s' resolves to no IP address", t->host);
		r = -EAGAIN;
	}
	if (r == 0)
		snprintf(pin, TARGET_PIN_MAX, "%s:%s:%s", t->host, t->port, first);
	return r;
}

int target_connect_check(const struct target_list *l, const char *url, char pin[TARGET_PIN_MAX],
			 char *why, size_t whylen)
{
	struct target t;
	int r = target_check(l, url, &t, why, whylen);

	return r < 0 ? r : target_pin(&t, pin, why, whylen);
}
