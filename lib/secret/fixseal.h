/*
 * fixseal.h - a fix's proposed patch, sealed in fixes.patch_enc.
 *
 * Sealed as a secret of (fixes, patch_enc, org, fix id) under the org's
 * active key (lib/secret/keys.h: AES-256-GCM, that identity as associated data,
 * so a blob moved to another fix or org does not open), with a deadline
 * checkout_max_age after sealing (at most two hours; the schema refuses
 * more).  Opened on demand, never cached; past its deadline it no longer
 * opens, and lethe-scrub destroys it.
 */
#ifndef LETHE_FIXSEAL_H
#define LETHE_FIXSEAL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"

#define FIXSEAL_MAX (4 << 20)	/* bytes of one patch */

/* Seal patch into fix's row; -ENOENT when there is no such fix of org. */
int fixseal_store(struct db *db, const struct keyring *kr, const struct config *cfg,
		  int64_t org, int64_t fix, const void *patch, size_t len);
/* The patch into out (caller releases); -ENOENT when none is sealed or its deadline passed. */
int fixseal_open(struct db *db, const struct keyring *kr, int64_t org, int64_t fix,
		 struct secbuf *out);

#endif
