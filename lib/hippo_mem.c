/*
 * hippo_mem.c — the online memory (run, final, roundtrip modes), the discrete
 * pair of matrices mode, and the round-trip reconstruction (hippo.md sections
 * 3, 4, 6.3).  Shapes: x, r, lam, tmp, Bd: (N,); Ad: (N, N) row-major.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hippo.h"
#include "linalg.h"

int hippo_mem_init(hippo_mem *m, const hippo_sys *s, int zoh, double alpha, double dt,
                   int legs_step, int legs_start)
{
	size_t N = s->N;
	int scaled = hippo_is_scaled(s);
	int structured = !scaled && !zoh && (s->measure == HIPPO_LEGS || s->measure == HIPPO_LEGT);
	*m = (hippo_mem){ .sys = *s, .scaled = scaled, .structured = structured, .zoh = zoh,
	                  .alpha = alpha, .dt = dt, .legs_step = legs_step, .legs_start = legs_start };
	/* One allocation: Ad (N*N, only for the dense paths), then x, Bd, r, lam,
	 * tmp, B (N each) and work (4N). */
	size_t nA = (scaled && !zoh) || structured ? 0 : N * N;
	double *mem = calloc(nA + 10 * N, sizeof *mem);
	if (!mem)
		return -1;
	m->x = mem;
	m->Bd = m->x + N;
	m->r = m->Bd + N;
	m->lam = m->r + N;
	m->tmp = m->lam + N;
	double *B = m->tmp + N;
	m->work = B + N;
	m->Ad = nA ? m->work + 4 * N : NULL;
	for (size_t n = 0; n < N; n++)
		m->r[n] = sqrt(2.0 * (double)n + 1);
	hippo_norm_lambda(s, m->lam);
	if (scaled || structured)
		return 0;
	/* Dense LTI: discretise once (zoh in place: A is built in Ad). */
	if (zoh) {
		hippo_transition(s, m->Ad, B);
		return hippo_zoh(N, m->Ad, B, dt, m->Ad, m->Bd);
	}
	double *A = malloc(N * N * sizeof *A);
	if (!A)
		return -1;
	hippo_transition(s, A, B);
	int info = hippo_gbt(N, A, B, dt, alpha, m->Ad, m->Bd);
	free(A);
	return info;
}

int hippo_mem_push(hippo_mem *m, double u)
{
	size_t N = m->sys.N;
	double *x = m->x;
	if (m->structured) {
		/* x <- (I - alpha dt A)^{-1} [(I + (1-alpha) dt A) x + dt B u], B = r (legs), r/theta (legt) */
		double a = m->alpha, h = m->dt;
		if (m->sys.measure == HIPPO_LEGS) {
			hippo_legs_step(N, m->r, a * h, (1 - a) * h, h, u, x);
		} else {
			hippo_legt_mul(N, m->r, m->sys.theta, (1 - a) * h, x, x);
			for (size_t n = 0; n < N; n++)
				x[n] += h * m->r[n] / m->sys.theta * u;
			int info = hippo_legt_solve(N, m->r, m->sys.theta, a * h, x, x, m->work);
			if (info)
				return info;
		}
	} else if (!m->scaled) {
		/* tmp = Ad x + Bd u */
		memcpy(m->tmp, m->Bd, N * sizeof *x);
		kx_gemv(0, N, N, 1, m->Ad, x, u, m->tmp);
		memcpy(x, m->tmp, N * sizeof *x);
	} else if (m->zoh) {
		int info = hippo_legs_pair(N, 1, m->legs_step, m->legs_start, 0, m->k, m->Ad, m->Bd);
		if (info)
			return info;
		kx_gemv(0, N, N, 1, m->Ad, x, 0, m->tmp);
		for (size_t n = 0; n < N; n++)
			x[n] = m->tmp[n] + m->Bd[n] * u;
	} else {
		double di, de, db;
		if (hippo_legs_deltas(m->legs_step, m->legs_start, m->alpha, m->k, &di, &de, &db)) {
			hippo_legs_step(N, m->r, di, de, db, u, x);
		} else {          /* hold start: x_0 = -A^{-1} B u_0 = u_0 e_0 */
			memset(x, 0, N * sizeof *x);
			x[0] = u;
		}
	}
	m->k += 1;
	return 0;
}

void hippo_mem_state(const hippo_mem *m, double *out)
{
	/* the O(N) paths step the ortho state; x~ = x / lam in the system's normalisation */
	int ortho = m->scaled || m->structured;
	for (size_t n = 0; n < m->sys.N; n++)
		out[n] = ortho ? m->x[n] / m->lam[n] : m->x[n];
}

void hippo_mem_free(hippo_mem *m)
{
	free(m->x);       /* the one allocation */
	m->x = m->Ad = NULL;
}

int hippo_discrete_pair(const hippo_sys *s, int zoh, double alpha, double dt, int legs_step,
                        int legs_start, double K, double *Ad, double *Bd)
{
	size_t N = s->N;
	int info;
	if (hippo_is_scaled(s)) {
		double *lam = malloc(N * sizeof *lam);
		if (!lam)
			return -1;
		info = hippo_legs_pair(N, zoh, legs_step, legs_start, alpha, K, Ad, Bd);
		hippo_norm_lambda(s, lam);
		hippo_rescale(N, lam, Ad, Bd);
		free(lam);
		return info;
	}
	if (zoh) {                 /* in place: A and B are built in Ad and Bd */
		hippo_transition(s, Ad, Bd);
		return hippo_zoh(N, Ad, Bd, dt, Ad, Bd);
	}
	double *A = malloc(N * N * sizeof *A), *B = malloc(N * sizeof *B);
	if (!A || !B) {
		free(A);
		free(B);
		return -1;
	}
	hippo_transition(s, A, B);
	info = hippo_gbt(N, A, B, dt, alpha, Ad, Bd);
	free(A);
	free(B);
	return info;
}

size_t hippo_sample_pos(const hippo_sys *s, int legs_start, double dt, size_t L, double *pos)
{
	size_t first = 0;
	for (size_t j = 0; j < L; j++) {
		if (hippo_is_scaled(s))
			pos[j] = legs_start == HIPPO_START_HOLD ? ((double)j + 0.5) / (double)L
			       : ((double)j + 1.5) / ((double)L + 1);
		else
			pos[j] = ((double)(L - j) - 0.5) * dt;
	}
	if (s->measure == HIPPO_LEGT || s->measure == HIPPO_LMU || s->measure == HIPPO_FOUT)
		while (first < L && !(pos[first] < s->theta))
			first++;
	return first;
}

int hippo_roundtrip(const hippo_sys *s, size_t M, const double *pos, const double *x,
                    const double *u, double *uhat, double *mse, double *max_abs)
{
	size_t N = s->N, chunk = 256;
	double *W = malloc(chunk * N * sizeof *W), sum = 0, mx = 0;
	if (!W)
		return -1;
	for (size_t j0 = 0; j0 < M; j0 += chunk) {
		size_t c = M - j0 < chunk ? M - j0 : chunk;
		hippo_basis(s, c, pos + j0, W);
		kx_gemv(0, c, N, 1, W, x, 0, uhat + j0);
	}
	for (size_t j = 0; j < M; j++) {
		double e = fabs(uhat[j] - u[j]);
		sum += e * e;
		if (!(e <= mx))       /* a NaN is kept */
			mx = e;
	}
	free(W);
	*mse = M ? sum / (double)M : 0;
	*max_abs = mx;
	return 0;
}
