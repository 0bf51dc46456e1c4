/*
 * bench/kernel_rng.c — time the block normal generator (lib/rng.c) in-process.
 *   build/bench/kernel_rng [N [BLOCK [REPS]]]
 * Draws N normals (default 32 800 000, attn-scale-sweep's default run) with
 * kx_rng_normals in calls of BLOCK values (default 4096, attn's key block),
 * and, for the split, the same number of raw xoshiro256** outputs alone
 * (kx_rng_next) and of scalar kx_rng_normal draws.  Prints the best CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) of REPS (default 5) in ns per value, and a
 * checksum (the sum of the values) to compare builds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "rng.h"

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)atol(argv[1]) : 32800000;
	size_t blk = argc > 2 ? (size_t)atol(argv[2]) : 4096;
	int reps = argc > 3 ? atoi(argv[3]) : 5;
	if (blk == 0 || reps < 1) {
		fprintf(stderr, "usage: kernel_rng [N [BLOCK [REPS]]]\n");
		return 2;
	}
	double *buf = malloc(blk * sizeof *buf);
	if (!buf)
		return 1;
	double best[3] = { 1e30, 1e30, 1e30 }, sum = 0;
	uint64_t xsum = 0;
	for (int r = 0; r < reps; r++) {
		kx_rng g;
		kx_rng_seed(&g, 0, 0);
		double t0 = cpu(), acc = 0;
		for (size_t i = 0; i < n; i += blk) {
			size_t m = n - i < blk ? n - i : blk;
			kx_rng_normals(&g, buf, m);
			acc += buf[0] + buf[m - 1];
		}
		double t = cpu() - t0;
		if (t < best[0])
			best[0] = t;
		sum = acc + (double)g.s[0];
		kx_rng_seed(&g, 0, 0);
		t0 = cpu();
		uint64_t x = 0;
		for (size_t i = 0; i < n; i++)
			x ^= kx_rng_next(&g);
		t = cpu() - t0;
		if (t < best[1])
			best[1] = t;
		xsum = x;
		kx_rng_seed(&g, 0, 0);
		t0 = cpu();
		acc = 0;
		for (size_t i = 0; i < n; i++)
			acc += kx_rng_normal(&g);
		t = cpu() - t0;
		if (t < best[2])
			best[2] = t;
	}
	printf("kx_rng_normals (block %zu): %.3f ns/value\n", blk, best[0] * 1e9 / (double)n);
	printf("kx_rng_next alone:          %.3f ns/value\n", best[1] * 1e9 / (double)n);
	printf("kx_rng_normal (scalar):     %.3f ns/value\n", best[2] * 1e9 / (double)n);
	printf("checksum %.17g %llx\n", sum, (unsigned long long)xsum);
	free(buf);
	return 0;
}
