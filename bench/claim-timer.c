/*
 * claim-timer.c - the measuring half of bench/scale's claims.
 * Usage: claim-timer CONFIG N; claims N jobs one after another as
 * lethe-scan does (queue_claim as lethe_scan), completes each, and prints
 * "p50 p99" of the claims in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "db.h"
#include "queue.h"
#include "util.h"

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct db *db = NULL;
	char why[256] = "", owner[128];
	int64_t n, *us, t0;

	if (argc != 3 || parse_i64(argv[2], 1, 1000000, &n) < 0) {
		fprintf(stderr, "usage: claim-timer CONFIG N\n");
		return 2;
	}
	if (config_load(argv[1], &cfg, why, sizeof(why)) < 0 || db_open(cfg, DB_ROLE_SCAN, &db) < 0 ||
	    queue_owner(owner, sizeof(owner)) < 0) {
		fprintf(stderr, "claim-timer: %s\n", why[0] ? why : db ? db_error(db) : "no database");
		return 1;
	}
	us = xcalloc((size_t)n, sizeof(*us));
	for (int64_t i = 0; i < n; i++) {
		struct queue_job *j = NULL;
		int r;

		t0 = mono_usec();
		r = queue_claim(db, owner, 600, 5, "{scan}", &j);
		us[i] = mono_usec() - t0;
		if (r < 0 || queue_complete(db, j->qj_id, owner) < 0) {
			fprintf(stderr, "claim-timer: claim %lld of %lld failed: %s\n", (long long)i + 1,
				(long long)n, r < 0 ? "nothing to claim" : db_error(db));
			return 1;
		}
		queue_job_free(j);
	}
	qsort(us, (size_t)n, sizeof(*us), cmp64);
	printf("%.2f %.2f\n", us[n / 2] / 1000.0, us[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1000.0);
	free(us);
	db_free(db);
	config_free(cfg);
	return 0;
}
