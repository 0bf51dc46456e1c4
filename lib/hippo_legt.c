/*
 * hippo_legt.c — O(N) products and solves with the LegT matrix (hippo.md
 * section 4), using A = -(1/theta) D (s s^T + J) D with D = diag(r),
 * r_n = sqrt(2n+1), s_n = (-1)^n and J strictly lower triangular, J[n][k] = 2
 * iff n - k is odd; and D A^{-1} D = theta T with T tridiagonal.
 * Shapes: r, v, out: (N,); work: (4N,).  Ortho normalisation.
 */
#include <lapacke.h>
#include <string.h>
#include "hippo.h"

void hippo_legt_mul(size_t N, const double *r, double theta, double d, const double *v,
                    double *out)
{
	/* out = (I + dA) v.  With w = D v: (A v)_n = -(r_n/theta)(s_n s.w + (J w)_n),
	 * where (J w)_n = 2 (sum of w_k, k < n, of the other parity than n). */
	double dot = 0, sum[2] = { 0, 0 };     /* sums of w over even / odd k < n */
	for (size_t n = 0; n < N; n++)
		dot += (n % 2 ? -1 : 1) * r[n] * v[n];
	for (size_t n = 0; n < N; n++) {
		double vn = v[n], sn = n % 2 ? -1 : 1;
		double av = -(r[n] / theta) * (sn * dot + 2 * sum[(n + 1) % 2]);
		sum[n % 2] += r[n] * vn;
		out[n] = vn + d * av;
	}
}

int hippo_legt_solve(size_t N, const double *r, double theta, double d, const double *v,
                     double *out, double *work)
{
	/* (I - dA) z = v.  With z = D y this is (T - (d/theta) D^2) y = T (v/r):
	 * tridiagonal, solved by LAPACK dgtsv (partial pivoting; never
	 * Sherman-Morrison, which is exponentially unstable here, hippo.md 4). */
	if (d == 0) {
		if (out != v)
			memcpy(out, v, N * sizeof *out);
		return 0;
	}
	double *dl = work, *dg = work + N, *du = work + 2 * N, *b = work + 3 * N;
	for (size_t i = 0; i < N; i++) {
		double tii = (i == 0 ? -0.5 : 0) + (i + 1 == N ? -0.5 : 0);
		double y = v[i] / r[i];
		b[i] = tii * y + (i > 0 ? 0.5 * v[i - 1] / r[i - 1] : 0) -
		       (i + 1 < N ? 0.5 * v[i + 1] / r[i + 1] : 0);
		dg[i] = tii - (d / theta) * (2.0 * (double)i + 1);
		dl[i] = 0.5;      /* M[i+1][i] */
		du[i] = -0.5;     /* M[i][i+1] */
	}
	int info = LAPACKE_dgtsv(LAPACK_COL_MAJOR, (int)N, 1, dl, dg, du, b, (int)N);
	if (info)
		return info;
	for (size_t i = 0; i < N; i++)
		out[i] = r[i] * b[i];
	return 0;
}
