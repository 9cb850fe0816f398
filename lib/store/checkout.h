/*
 * checkout.h - the home of the checkouts table: lethe-scan and lethe-scrub
 * write its rows only through here.
 */
#ifndef LETHE_CHECKOUT_H
#define LETHE_CHECKOUT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/*
 * A new row for job's checkout on host, never one of an earlier attempt:
 * its name (into name, size bytes) is "c" and its id.  Its deadline is
 * max_age seconds away.  0 or a negative errno.
 */
int checkout_insert(struct db *db, int64_t org, int64_t repo, int64_t job, const char *host,
		    const char *backend, int64_t max_age, int64_t *id, char *name, size_t size);

/* The volume made for checkout id: its real backend, cipher and mount point. */
int checkout_mounted(struct db *db, int64_t id, const char *backend, const char *cipher,
		    const char *path);

/*
 * Checkout id is gone: why (destroy_reason), who ended it ("scan",
 * "deadline", "orphaned") and how long the teardown took.
 */
int checkout_ended(struct db *db, int64_t id, const char *reason, const char *ended,
		   int64_t teardown_usec);

#endif
