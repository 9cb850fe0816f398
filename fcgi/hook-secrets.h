/*
 * hook-secrets.h - every hook's secret, held by each lethe-hook worker.
 *
 * A worker loads the repository, org and webhook secret of every hook at
 * start, in one thread of its own with its own database connection, and
 * keeps the set current: it LISTENs on lethe_hooks (notified by a trigger
 * whenever a repository's hook or secret changes, sql/106_hook_notify.sql)
 * and loads the whole set again on each notification, every
 * hook_refresh_interval, and whenever its connection comes back.  The
 * secrets live in one mlocked buffer; a load that fails keeps the last
 * set, so that during a PostgreSQL outage every hook known at the last
 * load is verified and its deliveries spooled.
 */
#ifndef LETHE_HOOK_SECRETS_H
#define LETHE_HOOK_SECRETS_H

#include <pthread.h>
#include <stdint.h>

#include "crypto.h"
#include "webhook.h"

struct config;
struct keyring;
struct hook_secrets;

#define HOOK_NOTIFY_CHANNEL "lethe_hooks"

/*
 * Start loading.  The thread opens the secrets with kr under kr_lock, the
 * lock the worker's other threads take to use kr; both must outlive
 * hook_secrets_stop().
 */
int hook_secrets_start(const struct config *cfg, const struct keyring *kr,
		       pthread_mutex_t *kr_lock, struct hook_secrets **out);
/* Stop the thread and release every secret. */
void hook_secrets_stop(struct hook_secrets *s);

/*
 * The hook's repository, org and a copy of its secret (empty: none
 * configured, or it did not open) as of the last load.  -ENOENT: not in
 * the set; -EAGAIN: the set was never loaded.
 */
int hook_secrets_get(struct hook_secrets *s, enum webhook_provider p, const char *hook_id,
		     int64_t *repository_id, int64_t *org_id, struct secbuf *secret);

#endif
