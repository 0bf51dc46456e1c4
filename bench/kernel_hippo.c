/*
 * bench/kernel_hippo.c — time hippo_zoh (the zoh matrices of an LTI HiPPO
 * system) in-process, for bench/hippo-discretize.sh: the kernel-level side of
 * the comparison with scipy.signal.cont2discrete(method='zoh') timed in Python.
 *   build/bench/kernel_hippo zoh MEASURE N DT [REPS]
 * MEASURE is legs (used as LTI), legt, lmu, lagt or fout.  Prints the best
 * CPU time (user + sys of this process, CLOCK_PROCESS_CPUTIME_ID) of REPS
 * (default 7) calls, in seconds, and a checksum of (Ad, Bd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hippo.h"

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "legs", "legt", "lmu", "lagt", "fout" };
	if (argc < 5 || strcmp(argv[1], "zoh")) {
		fprintf(stderr, "usage: kernel_hippo zoh legs|legt|lmu|lagt|fout N DT [REPS]\n");
		return 2;
	}
	hippo_sys s = { .measure = -1, .lti = 1, .N = (size_t)atol(argv[3]), .theta = 1,
	                .beta = 1, .norm = HIPPO_ORTHO };
	for (int i = 0; i < 5; i++)
		if (!strcmp(argv[2], names[i]))
			s.measure = i;
	double dt = atof(argv[4]);
	int reps = argc > 5 ? atoi(argv[5]) : 7;
	if (s.measure < 0 || s.N == 0 || reps < 1)
		return 2;
	size_t N = s.N;
	double *A = malloc(N * N * sizeof *A), *B = malloc(N * sizeof *B),
	       *Ad = malloc(N * N * sizeof *Ad), *Bd = malloc(N * sizeof *Bd);
	if (!A || !B || !Ad || !Bd)
		return 1;
	hippo_transition(&s, A, B);
	double best = 1e30;
	for (int r = 0; r < reps; r++) {
		double t0 = cpu();
		if (hippo_zoh(N, A, B, dt, Ad, Bd))
			return 1;
		double t = cpu() - t0;
		if (t < best)
			best = t;
	}
	double sum = 0;
	for (size_t i = 0; i < N * N; i++)
		sum += Ad[i];
	for (size_t i = 0; i < N; i++)
		sum += Bd[i];
	printf("%.6f %.17g\n", best, sum);
	free(A);
	free(B);
	free(Ad);
	free(Bd);
	return 0;
}
