/*
 * hippo_legs.c — scaled LegS, x' = (Ax + Bu)/t (hippo.md sections 3.2-3.4, 4,
 * 6.3): the per-step coefficients of each scheme, the O(N) matrix-free step,
 * the dense step pair, and the exact projection of a held signal.
 * Shapes: x, v, r, H: (N,); G: (N, N) row-major; u: (L,).  Ortho state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hippo.h"

/* t0: the time (in steps) at the start of the step that consumes u_k.
 * hold: x_0 is given, then t0 = k; zero: x_{-1} = 0, t0 = k + 1. */
static int start_time(int start, double k, double *t0)
{
	if (start == HIPPO_START_HOLD) {
		if (k == 0)
			return 0;
		*t0 = k;
	} else {
		*t0 = k + 1;
	}
	return 1;
}

int hippo_legs_deltas(int step, int start, double alpha, double k, double *di, double *de,
                      double *db)
{
	double t0;
	if (!start_time(start, k, &t0))
		return 0;
	switch (step) {
	case HIPPO_STEP_PAPER:
		/* App. B.3 / post 2: implicit part at the end of the step, explicit
		 * part and B at its start (first order; not constant-preserving). */
		*di = alpha / (t0 + 1);
		*de = (1 - alpha) / t0;
		*db = 1 / t0;
		break;
	case HIPPO_STEP_MIDPOINT: {
		/* Freeze 1/t at the middle of the step: second order, and the
		 * row-0 update is exactly the running mean. */
		double tm = t0 + 0.5;
		*di = alpha / tm;
		*de = (1 - alpha) / tm;
		*db = 1 / tm;
		break;
	}
	default:
		/* s4 LSICell: 1/t frozen at the start of the step. */
		*di = alpha / t0;
		*de = (1 - alpha) / t0;
		*db = 1 / t0;
	}
	return 1;
}

int hippo_legs_zoh_h(int start, double k, double *h)
{
	double t0;
	if (!start_time(start, k, &t0))
		return 0;
	*h = log1p(1 / t0);      /* ln((t0+1)/t0) without the rounding of the ratio */
	return 1;
}

void hippo_legs_mul(size_t N, const double *r, double d, const double *v, double *out)
{
	/* (Av)_n = n v_n - r_n S_n with S_n = sum_{k<=n} r_k v_k: one running sum. */
	double S = 0;
	for (size_t n = 0; n < N; n++) {
		double vn = v[n];
		S += r[n] * vn;
		out[n] = vn + d * ((double)n * vn - r[n] * S);
	}
}

void hippo_legs_solve(size_t N, const double *r, double d, const double *v, double *out)
{
	/* (I - dA) z = v is lower triangular: row n reads
	 * (1 + d(n+1)) z_n + d r_n S_{n-1} = v_n,  S_n = sum_{k<=n} r_k z_k
	 * (forward substitution, hippo-code csrc).  Written for speed: the running
	 * sum obeys post 2's scalar recurrence
	 *   S_n = S_{n-1} (1 - dn)/(1 + d(n+1)) + r_n v_n/(1 + d(n+1)),
	 * so the only loop-carried dependency is one multiply-add; the division
	 * and z_n (taken from S_{n-1}, never as the difference S_n - S_{n-1}, which
	 * would cancel) are off that chain. */
	double S = 0;
	for (size_t n = 0; n < N; n++) {
		double inv = 1 / (1 + d * ((double)n + 1)), vn = v[n], drn = d * r[n];
		double z = (vn - drn * S) * inv;
		S = S * ((1 - d * (double)n) * inv) + r[n] * vn * inv;
		out[n] = z;
	}
}

void hippo_legs_step(size_t N, const double *r, double di, double de, double db, double u,
                     double *x)
{
	/* The explicit product and the forcing fused in one pass, then the solve. */
	double S = 0;
	for (size_t n = 0; n < N; n++) {
		double xn = x[n];
		S += r[n] * xn;
		x[n] = xn + de * ((double)n * xn - r[n] * S) + db * r[n] * u;
	}
	hippo_legs_solve(N, r, di, x, x);
}

int hippo_legs_pair(size_t N, int zoh, int step, int start, double alpha, double k,
                    double *G, double *H)
{
	/* G: (N, N), H: (N,) out. */
	if (zoh) {
		double h;
		if (!hippo_legs_zoh_h(start, k, &h))
			goto hold;
		hippo_sys s = { .measure = HIPPO_LEGS, .N = N, .norm = HIPPO_ORTHO };
		hippo_transition(&s, G, H);        /* A, B built in G, H; zoh in place */
		return hippo_zoh(N, G, H, h, G, H);
	}
	double di, de, db;
	if (!hippo_legs_deltas(step, start, alpha, k, &di, &de, &db))
		goto hold;
	double *r = malloc(2 * N * sizeof *r);
	if (!r)
		return -1;
	double *col = r + N;
	for (size_t n = 0; n < N; n++)
		r[n] = sqrt(2.0 * (double)n + 1);
	/* Column j of G is (I - di A)^{-1} (I + de A) e_j, by the O(N) operations. */
	for (size_t j = 0; j < N; j++) {
		memset(col, 0, N * sizeof *col);
		col[j] = 1;
		hippo_legs_mul(N, r, de, col, col);
		hippo_legs_solve(N, r, di, col, col);
		for (size_t i = 0; i < N; i++)
			G[i * N + j] = col[i];
	}
	for (size_t n = 0; n < N; n++)
		col[n] = db * r[n];
	hippo_legs_solve(N, r, di, col, H);
	free(r);
	return 0;
hold:
	/* x_0 = -A^{-1} B u_0 = u_0 e_0: the projection of a constant. */
	memset(G, 0, N * N * sizeof *G);
	memset(H, 0, N * sizeof *H);
	H[0] = 1;
	return 0;
}

void hippo_legendre_Q(size_t N, double z, double *q)
{
	/* q: (N,).  P_0..P_N by the three-term recurrence, then
	 * Q_n = (P_{n+1} - P_{n-1})/(2n+1), Q_0 = z + 1. */
	double pm = 1, p = z;      /* P_{n-1}, P_n for n = 1 */
	if (N == 0)
		return;
	q[0] = z + 1;
	for (size_t n = 1; n < N; n++) {
		double pn1 = ((2.0 * (double)n + 1) * z * p - (double)n * pm) / ((double)n + 1);
		q[n] = (pn1 - pm) / (2.0 * (double)n + 1);
		pm = p;
		p = pn1;
	}
}

int hippo_legs_exact(size_t N, size_t L, const double *u, double *x)
{
	/* u: (L,), x: (N,) out. */
	double *qa = malloc(2 * N * sizeof *qa);
	if (!qa)
		return -1;
	double *qb = qa + N;
	memset(x, 0, N * sizeof *x);
	hippo_legendre_Q(N, -1, qa);
	for (size_t j = 0; j < L; j++) {
		double z = 2 * (double)(j + 1) / (double)L - 1;
		hippo_legendre_Q(N, z, qb);
		for (size_t n = 0; n < N; n++)
			x[n] += u[j] * (qb[n] - qa[n]);
		memcpy(qa, qb, N * sizeof *qa);
	}
	for (size_t n = 0; n < N; n++)
		x[n] *= sqrt(2.0 * (double)n + 1) / 2;
	free(qa);
	return 0;
}
