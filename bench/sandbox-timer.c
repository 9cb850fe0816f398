/*
 * sandbox-timer.c - the measuring half of bench/sandbox.
 * Usage: sandbox-timer BASE_DIR [ROUNDS]; works in a scratch directory
 * under BASE_DIR and prints medians in milliseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sandbox.h"
#include "util.h"
#include "volume.h"

#define ROUNDS_MAX 1000

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double median_ms(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp64);
	return (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000.0;
}

static int bench_volume(const char *state, const char *run, int n, int64_t *mk, int64_t *rm)
{
	struct volume_opts o = { "auto", state, run, "bench", 0 };
	char why[256] = "";
	struct volume *v;
	int64_t t0;
	int i, r;

	for (i = 0; i < n; i++) {
		t0 = mono_usec();
		r = volume_create(&o, &v, why, sizeof(why));
		mk[i] = mono_usec() - t0;
		if (r < 0) {
			fprintf(stderr, "sandbox-timer: volume_create failed: %s\n", why);
			return r;
		}
		if (i == 0)
			printf("volume backend %s, cipher %s, size 1G sparse\n",
			       volume_backend(v), volume_cipher(v));
		r = volume_destroy(v, &rm[i]);
		if (r < 0) {
			fprintf(stderr, "sandbox-timer: volume_destroy failed: %s\n", strerror(-r));
			return r;
		}
	}
	return 0;
}

static int bench_sandbox(const char *ws, int n, int64_t *t)
{
	const char *argv[] = { "/usr/bin/true", NULL };
	struct sandbox_opts o = { NULL, ws, argv, NULL, 0, { 0 }, false };
	struct sandbox_result r;
	int i, rc;

	sandbox_limits_default(&o.lim);
	for (i = 0; i < n; i++) {
		rc = sandbox_run(&o, &r);
		t[i] = r.wall_usec;
		if (rc < 0 || r.exit_status != 0) {
			fprintf(stderr, "sandbox-timer: sandbox run failed: %s %.200s\n",
				strerror(rc < 0 ? -rc : 0), r.err ? r.err : "");
			sandbox_result_release(&r);
			return -EIO;
		}
		sandbox_result_release(&r);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int64_t mk[ROUNDS_MAX], rm[ROUNDS_MAX], both[ROUNDS_MAX], sb[ROUNDS_MAX];
	char scratch[512], state[600], run[600], ws[600];
	int i, n, r;

	if (argc < 2 || (n = argc > 2 ? atoi(argv[2]) : 10) < 1 || n > ROUNDS_MAX) {
		fprintf(stderr, "usage: sandbox-timer BASE_DIR [ROUNDS]\n");
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		printf("bench/sandbox: skipped, needs root\n");
		return 0;
	}
	mkdir(argv[1], 0755);
	snprintf(scratch, sizeof(scratch), "%s/bench-sandbox.XXXXXX", argv[1]);
	if (!mkdtemp(scratch) || chmod(scratch, 0755) < 0) {
		fprintf(stderr, "sandbox-timer: unable to make a directory under '%s'\n", argv[1]);
		return EXIT_TEMPFAIL;
	}
	snprintf(state, sizeof(state), "%s/state", scratch);
	snprintf(run, sizeof(run), "%s/run", scratch);
	snprintf(ws, sizeof(ws), "%s/ws", scratch);
	mkdir(state, 0700);
	mkdir(run, 0755);
	mkdir(ws, 0755);
	r = bench_volume(state, run, n, mk, rm);
	for (i = 0; r == 0 && i < n; i++)
		both[i] = mk[i] + rm[i];
	if (r == 0)
		printf("volume create: %.1f ms, destroy: %.1f ms, create+destroy: %.1f ms (median of %d)\n",
		       median_ms(mk, n), median_ms(rm, n), median_ms(both, n), n);
	if (r == 0 && (r = bench_sandbox(ws, n, sb)) == 0)
		printf("sandbox run of true (setup, bwrap, exit, cleanup): %.1f ms (median of %d)\n",
		       median_ms(sb, n), n);
	volume_destroy_name(state, run, "bench", NULL);
	snprintf(ws + strlen(scratch), sizeof(ws) - strlen(scratch), "/state/volumes");
	rmdir(ws);
	snprintf(ws + strlen(scratch), sizeof(ws) - strlen(scratch), "/run/checkouts");
	rmdir(ws);
	snprintf(ws + strlen(scratch), sizeof(ws) - strlen(scratch), "/ws");
	rmdir(ws);
	rmdir(run);
	rmdir(state);
	if (rmdir(scratch) < 0)
		fprintf(stderr, "sandbox-timer: unable to remove '%s'\n", scratch);
	return r == 0 ? 0 : EXIT_TEMPFAIL;
}
