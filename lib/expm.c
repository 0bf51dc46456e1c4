/*
 * expm.c — exp(M) by scaling and squaring with Padé approximants (Higham
 * 2005; the steps and constants of hippo.md section 5).  scipy >= 0.13 uses
 * the Al-Mohy–Higham 2009 refinement of the same method; on HiPPO matrices the
 * two agree to about 1e-13 relative.
 *
 * Shapes: every matrix is (n, n), row-major.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "expm.h"
#include "linalg.h"

/* theta_m: the largest ||M||_1 for which r_m is accurate to unit roundoff
 * (Higham 2005, Table 2.3). */
static const double theta3 = 1.495585217958292e-2, theta5 = 2.539398330063230e-1,
                    theta7 = 9.504178996162932e-1, theta9 = 2.097847961257068,
                    theta13 = 5.371920351148152;

static const double b3[] = { 120, 60, 12, 1 };
static const double b5[] = { 30240, 15120, 3360, 420, 30, 1 };
static const double b7[] = { 17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1 };
static const double b9[] = { 17643225600., 8821612800., 2075673600., 302702400., 30270240.,
                             2162160., 110880., 3960., 90., 1. };
static const double b13[] = { 64764752532480000., 32382376266240000., 7771770303897600.,
                              1187353796428800., 129060195264000., 10559470521600.,
                              670442572800., 33522128640., 1323241920., 40840800., 960960.,
                              16380., 182., 1. };

double kx_norm1(size_t n, const double *M)
{
	/* M: (n, n); column sums of |M|, the largest.  NaN propagates. */
	double best = 0;
	for (size_t j = 0; j < n; j++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += fabs(M[i * n + j]);
		if (!(s <= best))   /* also takes a NaN */
			best = s;
	}
	return best;
}

void kx_expm_params(double nu, int *m, int *s)
{
	*s = 0;
	if (nu <= theta3) *m = 3;
	else if (nu <= theta5) *m = 5;
	else if (nu <= theta7) *m = 7;
	else if (nu <= theta9) *m = 9;
	else {
		*m = 13;
		/* s = max(0, ceil(log2(nu / theta13))); frexp avoids log2 rounding at
		 * exact powers of two: nu/theta13 = f 2^e with f in [0.5, 1). */
		int e;
		double f = frexp(nu / theta13, &e);
		*s = f == 0.5 ? e - 1 : e;
		if (*s < 0)
			*s = 0;
	}
}

/* Add c * X to Y.  X, Y: (n, n). */
static void axpy(size_t nn, double c, const double *X, double *Y)
{
	for (size_t i = 0; i < nn; i++)
		Y[i] += c * X[i];
}

int kx_expm(size_t n, const double *M, double *E)
{
	/* M: (n, n) input; E: (n, n) output, exp(M). */
	size_t nn = n * n;
	if (n == 0)
		return 0;
	double nu = kx_norm1(n, M);
	if (!isfinite(nu)) {
		for (size_t i = 0; i < nn; i++)
			E[i] = NAN;
		return 0;
	}
	int m, s;
	kx_expm_params(nu, &m, &s);
	/* Work: A (scaled M), A2, A4, A6 (or A8), U, V, T: 7 matrices. */
	double *w = calloc(7 * nn, sizeof *w);
	if (!w)
		return -1;
	double *A = w, *A2 = w + nn, *A4 = w + 2 * nn, *A6 = w + 3 * nn, *U = w + 4 * nn,
	       *V = w + 5 * nn, *T = w + 6 * nn;
	double scale = ldexp(1.0, -s);   /* exact: a power of two */
	for (size_t i = 0; i < nn; i++)
		A[i] = M[i] * scale;
	kx_gemm(0, 0, n, n, n, 1, A, A, 0, A2);
	memset(T, 0, nn * sizeof *T);    /* T = the odd polynomial before the last product */
	memset(V, 0, nn * sizeof *V);
	if (m == 13) {
		kx_gemm(0, 0, n, n, n, 1, A2, A2, 0, A4);
		kx_gemm(0, 0, n, n, n, 1, A4, A2, 0, A6);
		/* U = A [A6 (b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I] */
		memset(U, 0, nn * sizeof *U);
		axpy(nn, b13[13], A6, U);
		axpy(nn, b13[11], A4, U);
		axpy(nn, b13[9], A2, U);
		kx_gemm(0, 0, n, n, n, 1, A6, U, 0, T);
		axpy(nn, b13[7], A6, T);
		axpy(nn, b13[5], A4, T);
		axpy(nn, b13[3], A2, T);
		for (size_t i = 0; i < n; i++)
			T[i * n + i] += b13[1];
		/* V = A6 (b12 A6 + b10 A4 + b8 A2) + b6 A6 + b4 A4 + b2 A2 + b0 I */
		memset(U, 0, nn * sizeof *U);
		axpy(nn, b13[12], A6, U);
		axpy(nn, b13[10], A4, U);
		axpy(nn, b13[8], A2, U);
		kx_gemm(0, 0, n, n, n, 1, A6, U, 0, V);
		axpy(nn, b13[6], A6, V);
		axpy(nn, b13[4], A4, V);
		axpy(nn, b13[2], A2, V);
		for (size_t i = 0; i < n; i++)
			V[i * n + i] += b13[0];
	} else {
		/* r_m, m = 3..9: sum the even powers A^{2i} (i <= 4) into T (odd
		 * coefficients) and V (even coefficients). */
		const double *b = m == 3 ? b3 : m == 5 ? b5 : m == 7 ? b7 : b9;
		double *P = A6;     /* the current even power; A4 holds the previous */
		for (size_t i = 0; i < n; i++) {
			T[i * n + i] = b[1];
			V[i * n + i] = b[0];
		}
		memcpy(P, A2, nn * sizeof *P);
		for (int k = 2; k <= m; k += 2) {
			axpy(nn, b[k + 1], P, T);
			axpy(nn, b[k], P, V);
			if (k + 2 <= m) {
				memcpy(A4, P, nn * sizeof *P);
				kx_gemm(0, 0, n, n, n, 1, A4, A2, 0, P);
			}
		}
	}
	kx_gemm(0, 0, n, n, n, 1, A, T, 0, U);   /* U = A T */
	/* r_m = (V - U)^{-1} (V + U): one LU, n right-hand sides. */
	for (size_t i = 0; i < nn; i++) {
		double v = V[i], u = U[i];
		V[i] = v - u;      /* the denominator, overwritten by its LU */
		E[i] = v + u;      /* the right-hand side, overwritten by r_m */
	}
	int info = kx_solve(n, n, V, E);
	if (info) {
		free(w);
		return info;
	}
	/* Undo the scaling: exp(M) = r(M / 2^s)^(2^s). */
	for (int k = 0; k < s; k++) {
		kx_gemm(0, 0, n, n, n, 1, E, E, 0, T);
		memcpy(E, T, nn * sizeof *E);
	}
	free(w);
	return 0;
}
