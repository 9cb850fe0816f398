/*
 * hook-ghapp.h - lethe-hook's route for GitHub App webhooks.
 */
#ifndef LETHE_HOOK_GHAPP_H
#define LETHE_HOOK_GHAPP_H

#include <pthread.h>
#include <stdint.h>
#include <fcgiapp.h>

struct db;
struct keyring;

#define HOOK_GHAPP_ROUTE "/hooks/github-app"

/* What the route shares with the worker's other threads. */
struct hook_ghapp {
	struct db *hg_db;		/* the worker's one connection */
	const struct keyring *hg_kr;
	pthread_mutex_t *hg_db_lock;	/* guards hg_db and hg_kr, as for every route */
	int64_t hg_max_body;
};

/*
 * Answer one POST /hooks/github-app (lib/vcs/ghinstall.h does the work):
 * 202 verified and recorded for lethe-drain to apply ({"status":"queued",
 * "event":ID}), ignored, or verified but not applicable; 200 recorded by
 * an earlier delivery ({"status":"duplicate"}),
 * 400/401/404/405/413/415 refused before verification with a one-line
 * JSON reason, 503 when the database is out of reach.
 * Verifying and recording run under hg_db_lock.
 */
void hook_ghapp(const struct hook_ghapp *g, FCGX_Request *fcgi);

#endif
