/*
 * bench/kernel.c — time the library's kernels on raw float32 rows, in ns per
 * row (best of 5 passes over the file, CPU time), for bench/softmax.sh.
 * softmax: float32 rows in, float32 rows out (double inside), as the program.
 *   build/bench/kernel softmax FILE.f32 N [logp]
 *   build/bench/kernel sparsemax FILE.f64 N [ALPHA [sort]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kx.h"
#include "softmax.h"
#include "entmax.h"

/* CPU time of this process: the machine is shared, wall time is noisy */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	int sm = argc >= 4 && !strcmp(argv[1], "softmax"), em = argc >= 4 && !strcmp(argv[1], "sparsemax");
	if (!sm && !em) {
		fprintf(stderr, "usage: kernel softmax FILE.f32 N [logp] | sparsemax FILE.f64 N [ALPHA [sort]]\n");
		return 2;
	}
	size_t n = (size_t)atol(argv[3]);
	FILE *f = fopen(argv[2], "rb");
	if (!f || !n)
		return 1;
	fseek(f, 0, SEEK_END);
	size_t w = sm ? 4 : 8, rows = (size_t)ftell(f) / (w * n);
	rewind(f);
	float *x32 = malloc(rows * n * 4), *p32 = malloc(rows * n * 4);
	double *x = malloc((sm ? n : rows * n) * 8), *p = malloc(n * 8);
	size_t nw = sm ? kx_softmax_work(n) : kx_entmax_work(n);
	double *work = malloc(nw * 8);
	if (sm) {
		if (fread(x32, 4, rows * n, f) != rows * n)
			return 1;
	} else if (fread(x, 8, rows * n, f) != rows * n) {
		return 1;
	}
	kx_entmax_cfg ec = { .alpha = argc > 4 ? atof(argv[4]) : 2, .T = 1, .r = 1,
	                     .algo = argc > 5 ? KX_EM_SORT : KX_EM_AUTO, .fast = argc <= 5 };
	kx_entmax_out eo = { .p = p };
	kx_softmax_cfg c = { .mode = KX_SM_PLAIN, .T = 1 };
	int logp = sm && argc > 4 && !strcmp(argv[4], "logp");
	kx_softmax_out o = { .p = logp ? NULL : p, .logp = logp ? p : NULL };
	double best = 1e30, sink = 0;
	for (int pass = 0; pass < 5; pass++) {
		double t0 = now();
		for (size_t r = 0; r < rows; r++) {
			if (sm) {
				/* what the program does with a raw f32 row: widen it into
				 * one row of doubles (the reader's kx_widen_f32), the
				 * kernel, round the result once to float32 (the writer's
				 * kx_narrow_f64) into an output array as big as the input
				 * (as torch.softmax returns a new tensor) */
				kx_widen_f32((const unsigned char *)(x32 + r * n), n, x);
				kx_softmax_row(&c, x, n, -1, &o, work);
				kx_narrow_f64(p, n, (char *)(p32 + r * n));
			} else
				kx_entmax_row(&ec, x + r * n, n, -1, &eo, work);
			sink += p[r % n];
		}
		double t = (now() - t0) / rows;
		if (t < best)
			best = t;
	}
	printf("%.1f\n", best * 1e9);
	fprintf(stderr, "(checksum %g)\n", sink);
	return 0;
}
