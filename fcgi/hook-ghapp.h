/*
 * hook-ghapp.h - lethe-hook's route for GitHub App webhooks.
 */
#ifndef LETHE_HOOK_GHAPP_H
#define LETHE_HOOK_GHAPP_H

#include <stdint.h>
#include <fcgiapp.h>

struct config;
struct db;
struct keyring;

#define HOOK_GHAPP_ROUTE "/hooks/github-app"

/*
 * Answer one POST /hooks/github-app (lib/ghinstall.h does the work):
 * 200 applied, 202 verified and ignored, 400/401/404/405/413/415 refused
 * with a one-line JSON reason, 503 when the database is out of reach.
 */
void hook_ghapp(struct db *db, const struct keyring *kr, const struct config *cfg,
		int64_t max_body, FCGX_Request *fcgi);

#endif
