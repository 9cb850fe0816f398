/*
 * target.h - where Lethe may connect: the clone_hosts allow-list.
 *
 * Every clone URL and every API URL used for reporting must name a host on
 * the list: clone_hosts of lethe.conf(5) (empty: github.com, gitlab.com and
 * bitbucket.org), plus the host of each configured *_api_url.  HTTPS only,
 * unless the entry is written http://host[:port] (or the API URL is http).
 * An entry without a port allows any port.  Addresses in the loopback,
 * link-local (169.254.169.254, the cloud metadata service, among them),
 * private (RFC 1918, IPv6 unique local, fd00:ec2::254 among them), carrier-
 * grade NAT, unspecified and multicast ranges are refused unless the host
 * is written in clone_hosts itself: as an address literal when a URL is
 * checked, and after DNS resolution when Lethe connects, which then pins
 * the address it checked for the connection (target_pin).
 */
#ifndef LETHE_TARGET_H
#define LETHE_TARGET_H

#include <stddef.h>

#include "config.h"

#define TARGET_HOST_MAX 253
#define TARGET_PIN_MAX  (TARGET_HOST_MAX + 80)	/* "host:port:address" */

struct target_list;

/* The list of cfg; -EINVAL with why naming a malformed clone_hosts entry. */
int target_list_load(const struct config *cfg, struct target_list **out, char *why, size_t whylen);
void target_list_free(struct target_list *l);	/* accepts NULL */

/* A URL's host and port, once checked. */
struct target {
	char host[TARGET_HOST_MAX + 1];	/* lowercase, IPv6 without brackets */
	char port[6];			/* decimal; the scheme's default when absent */
	int explicit;			/* written in clone_hosts: any address allowed */
};

/*
 * Check url without DNS: http(s), no user information, host (and port) on
 * the list, plain HTTP only where the entry allows it, and no address
 * literal in a refused range.  0 and *t, or -EPERM with why, a line naming
 * the URL.
 */
int target_check(const struct target_list *l, const char *url, struct target *t, char *why,
		 size_t whylen);

/*
 * Resolve t's host and check every address it resolves to, as above.  0 and
 * pin ("host:port:address", the form of curl's CURLOPT_RESOLVE and git's
 * http.curloptResolve) for the first; -EPERM with why when one is refused,
 * -EAGAIN with why when the name does not resolve (now).
 */
int target_pin(const struct target *t, char pin[TARGET_PIN_MAX], char *why, size_t whylen);

/* target_check, then target_pin: what every connection does first. */
int target_connect_check(const struct target_list *l, const char *url, char pin[TARGET_PIN_MAX],
			 char *why, size_t whylen);

#endif
