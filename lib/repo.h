/*
 * repo.h - what the API and lethectl both do to repositories.
 */
#ifndef LETHE_REPO_H
#define LETHE_REPO_H

#include <stdint.h>

#include "db.h"

/*
 * Delete repository repo_id of org org_id and, by cascade, everything about
 * it; within the caller's transaction.  *counts (caller frees) gets a JSON
 * object with the number of rows removed per kind, for the audit event and
 * the answer.  -ENOENT when no such repository in that org.
 */
int repo_delete(struct db *db, int64_t org_id, int64_t repo_id, char **counts);

/* A new unguessable webhook id: 32 random bytes in base64url (43 chars). */
int repo_new_hook_id(char out[44]);

#endif
