/*
 * hippo.c — the continuous HiPPO matrices of each measure and the LTI
 * discretisations (hippo.md sections 2 and 3.1).  See hippo.h for the
 * conventions.  Shapes: A (N, N) row-major, B (N,).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "expm.h"
#include "hippo.h"
#include "linalg.h"

int hippo_is_scaled(const hippo_sys *s)
{
	return s->measure == HIPPO_LEGS && !s->lti;
}

void hippo_norm_lambda(const hippo_sys *s, double *lam)
{
	/* lam: (N,).  x_ortho = lam * x (section 2.1's general rule). */
	int has_norm = s->measure == HIPPO_LEGS || s->measure == HIPPO_LEGT;
	for (size_t n = 0; n < s->N; n++) {
		if (!has_norm || s->norm == HIPPO_ORTHO)
			lam[n] = 1;
		else if (s->norm == HIPPO_SU)
			lam[n] = 1 / sqrt(2.0);
		else
			lam[n] = 1 / sqrt(2.0 * (double)n + 1);
	}
}

/* LegS and LegT share their Legendre structure: the entry below (or on, for
 * LegT) the diagonal is -p_n q_k.  Writing the factors per normalisation
 * (instead of rescaling the ortho matrix) keeps post 1's integer entries
 * exact: noroot gives -(2n+1), not -r_n r_k r_n / r_k rounded. */
static void legendre_factors(int norm, size_t n, double *p, double *q, double *b)
{
	double two_n1 = 2.0 * (double)n + 1;
	switch (norm) {
	case HIPPO_NOROOT:
		*p = two_n1; *q = 1; *b = two_n1;
		break;
	case HIPPO_SU:
		*p = sqrt(two_n1); *q = *p; *b = sqrt(2 * two_n1);
		break;
	default:
		*p = sqrt(two_n1); *q = *p; *b = *p;
	}
}

void hippo_transition(const hippo_sys *s, double *A, double *B)
{
	/* A: (N, N), B: (N,) out. */
	size_t N = s->N;
	memset(A, 0, N * N * sizeof *A);
	switch (s->measure) {
	case HIPPO_LEGS:
		/* A[n][k] = -r_n r_k (k < n), -(n+1) (k = n), 0 above; B = r (ortho). */
		for (size_t n = 0; n < N; n++) {
			double pn, qn, bn;
			legendre_factors(s->norm, n, &pn, &qn, &bn);
			for (size_t k = 0; k < n; k++) {
				double pk, qk, bk;
				legendre_factors(s->norm, k, &pk, &qk, &bk);
				A[n * N + k] = -pn * qk;
			}
			A[n * N + n] = -((double)n + 1);
			B[n] = bn;
		}
		break;
	case HIPPO_LEGT:
		/* A[n][k] = -(1/theta) r_n r_k (1 if k <= n else (-1)^(n-k)); B = r/theta. */
		for (size_t n = 0; n < N; n++) {
			double pn, qn, bn;
			legendre_factors(s->norm, n, &pn, &qn, &bn);
			for (size_t k = 0; k < N; k++) {
				double pk, qk, bk;
				legendre_factors(s->norm, k, &pk, &qk, &bk);
				double sign = (k <= n || (k - n) % 2 == 0) ? 1 : -1;
				A[n * N + k] = -sign * pn * qk / s->theta;
			}
			B[n] = bn / s->theta;
		}
		break;
	case HIPPO_LMU:
		/* Voelker et al.: A[n][k] = (2n+1)/theta (-1 if n < k else (-1)^(n-k+1)),
		 * B[n] = (2n+1)(-1)^n/theta. */
		for (size_t n = 0; n < N; n++) {
			double c = (2.0 * (double)n + 1) / s->theta;
			for (size_t k = 0; k < N; k++)
				A[n * N + k] = (n < k || (n - k) % 2 == 0) ? -c : c;
			B[n] = (n % 2 ? -c : c);
		}
		break;
	case HIPPO_LAGT:
		/* s4's lagt: A = I/2 - tril(1) (diagonal -1/2, below -1), B = beta 1. */
		for (size_t n = 0; n < N; n++) {
			for (size_t k = 0; k < n; k++)
				A[n * N + k] = -1;
			A[n * N + n] = -0.5;
			B[n] = s->beta;
		}
		break;
	case HIPPO_FOUT: {
		/* A = (R - 2 e e^T)/theta, B = 2e/theta; e = [1, 0, sqrt2, 0, sqrt2, 0, ...],
		 * R[2j][2j+1] = -2 pi j, R[2j+1][2j] = 2 pi j (j >= 1).  State 1 is dead. */
		double *e = B;      /* e is built in B, then scaled */
		for (size_t n = 0; n < N; n++)
			e[n] = n == 0 ? 1 : (n % 2 ? 0 : sqrt(2.0));
		for (size_t n = 0; n < N; n++)
			for (size_t k = 0; k < N; k++)
				A[n * N + k] = -2 * e[n] * e[k] / s->theta;
		for (size_t j = 1; 2 * j + 1 < N; j++) {
			double w = 2 * M_PI * (double)j / s->theta;
			A[2 * j * N + 2 * j + 1] += -w;
			A[(2 * j + 1) * N + 2 * j] += w;
		}
		for (size_t n = 0; n < N; n++)
			B[n] = 2 * e[n] / s->theta;
		break;
	}
	}
}

int hippo_gbt(size_t N, const double *A, const double *B, double dt, double alpha,
              double *Ad, double *Bd)
{
	/* A: (N, N), B: (N,); Ad: (N, N), Bd: (N,).  M = I - alpha dt A is
	 * factored once; the right-hand side [I + (1-alpha) dt A | dt B] is (N, N+1). */
	size_t W = N + 1;
	double *M = malloc(N * N * sizeof *M), *R = malloc(N * W * sizeof *R);
	if (!M || !R) {
		free(M);
		free(R);
		return -1;
	}
	for (size_t i = 0; i < N; i++) {
		for (size_t j = 0; j < N; j++) {
			double a = A[i * N + j], id = i == j ? 1 : 0;
			M[i * N + j] = id - alpha * dt * a;
			R[i * W + j] = id + (1 - alpha) * dt * a;
		}
		R[i * W + N] = dt * B[i];
	}
	int info = kx_solve(N, W, M, R);
	if (info == 0)
		for (size_t i = 0; i < N; i++) {
			memcpy(Ad + i * N, R + i * W, N * sizeof *Ad);
			Bd[i] = R[i * W + N];
		}
	free(M);
	free(R);
	return info;
}

int hippo_zoh(size_t N, const double *A, const double *B, double dt, double *Ad, double *Bd)
{
	/* A: (N, N), B: (N,); Ad: (N, N), Bd: (N,).  exp(dt [[A, B], [0, 0]]) =
	 * [[Ad, Bd], [0, 1]] (Van Loan), without forming the (N+1)^2 matrix. */
	return kx_expm_aug(N, dt, A, B, Ad, Bd, 0);
}

void hippo_rescale(size_t N, const double *lam, double *G, double *H)
{
	/* G: (N, N) or NULL; H: (N,) or NULL; lam: (N,).  New state x~ = x / lam. */
	for (size_t i = 0; i < N; i++) {
		if (G)
			for (size_t j = 0; j < N; j++)
				G[i * N + j] = G[i * N + j] * lam[j] / lam[i];
		if (H)
			H[i] /= lam[i];
	}
}
