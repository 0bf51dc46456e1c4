/*
 * hippo_recon.c — reconstruction grids and bases (hippo.md section 6): what
 * a state remembers, u(pos) ~ sum_n W[pos][n] x_n.
 * Shapes: pos (P,), W (P, N) row-major.
 */
#include <math.h>
#include <stdlib.h>
#include "hippo.h"
#include "linalg.h"

void hippo_grid(const hippo_sys *s, size_t P, double horizon, double *pos)
{
	/* pos: (P,) out, chronological (oldest first), cell centres. */
	for (size_t j = 0; j < P; j++) {
		double f = ((double)j + 0.5) / (double)P;
		switch (s->measure) {
		case HIPPO_LEGS:
			pos[j] = s->lti ? -log(f) : f;      /* LTI: uniform in e^{-d} */
			break;
		case HIPPO_LAGT:
			pos[j] = horizon * (1 - f);
			break;
		default:
			pos[j] = s->theta * (1 - f);
		}
	}
}

/* w[n] = P_n(x), n < N, by (n+1)P_{n+1} = (2n+1)x P_n - n P_{n-1}. */
static void legendre(size_t N, double x, double *w)
{
	double pm = 0, p = 1;
	for (size_t n = 0; n < N; n++) {
		w[n] = p;
		double pn1 = ((2.0 * (double)n + 1) * x * p - (double)n * pm) / ((double)n + 1);
		pm = p;
		p = pn1;
	}
}

void hippo_basis(const hippo_sys *s, size_t P, const double *pos, double *W)
{
	/* pos: (P,); W: (P, N) out. */
	size_t N = s->N;
	for (size_t j = 0; j < P; j++) {
		double *w = W + j * N, d = pos[j];
		switch (s->measure) {
		case HIPPO_LEGS:
		case HIPPO_LEGT: {
			double x = s->measure == HIPPO_LEGT ? 1 - 2 * d / s->theta
			         : s->lti ? 2 * exp(-d) - 1 : 2 * d - 1;
			legendre(N, x, w);
			for (size_t n = 0; n < N; n++) {
				double two_n1 = 2.0 * (double)n + 1;
				/* r_n, times lam_n of the normalisation (section 2.1). */
				w[n] *= s->norm == HIPPO_NOROOT ? 1 : s->norm == HIPPO_SU
				      ? sqrt(two_n1 / 2) : sqrt(two_n1);
			}
			break;
		}
		case HIPPO_LMU:
			legendre(N, 2 * d / s->theta - 1, w);
			break;
		case HIPPO_LAGT: {
			/* (1/beta) L_n(d) e^{-d/2}.  |L_n(d)| <= e^{d/2}, so the product
			 * cannot overflow while e^{-d/2} is representable; when it
			 * underflows the weight is 0, never 0 * inf. */
			double e = exp(-d / 2) / s->beta;
			double lm = 0, l = 1;
			for (size_t n = 0; n < N; n++) {
				w[n] = e == 0 ? 0 : l * e;
				double ln1 = ((2.0 * (double)n + 1 - d) * l - (double)n * lm) / ((double)n + 1);
				lm = l;
				l = ln1;
			}
			break;
		}
		case HIPPO_FOUT:
			/* x_0 + sum_j sqrt2 (x_2j cos(2 pi j d/theta) + x_2j+1 sin(...)); x_1 dead. */
			for (size_t n = 0; n < N; n++) {
				size_t jf = n / 2;
				double a = 2 * M_PI * (double)jf * d / s->theta;
				if (n == 0)
					w[n] = 1;
				else if (n == 1)
					w[n] = 0;
				else
					w[n] = sqrt(2.0) * (n % 2 ? sin(a) : cos(a));
			}
			break;
		}
	}
}

void hippo_reconstruct(size_t P, size_t N, const double *W, size_t rows, const double *X,
                       double *U)
{
	/* W: (P, N); X: (rows, N); U: (rows, P) = X W^T */
	kx_gemm(0, 1, rows, P, N, 1, X, W, 0, U);
}
