/*
 * rsvd.c — the factorisations lora-init needs: the thin SVD with a fixed
 * sign convention, the randomized SVD of Halko-Martinsson-Tropp, and a
 * reduced QR with a non-negative diagonal for any shape (lora.md 7.2, 7.3,
 * 7.5).  Shapes: M (m, n), k = min(m, n), q the randomized width.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "linalg.h"
#include "lora.h"

/* ===== sign convention ================================================= */

void kx_lora_sign_fix(size_t m, size_t n, size_t k, size_t ldu, double *U, double *Vh)
{
	/* U: (m, ldu) with the singular vectors in columns 0..k-1; Vh: (k, n).
	 * The pivot tolerance (1e-6 relative) makes exactly tied magnitudes (e.g.
	 * the vectors of sign(G)) pick the first index whatever the rounding noise.
	 * U is swept row by row (the column maxima, then the first entry within
	 * the tolerance, then the flips), not column by column: a column walk of a
	 * 4096 x 4096 U misses the cache at every step. */
	size_t kk = k ? k : 1;
	double *lim = calloc(kk, sizeof *lim);
	unsigned char *st = calloc(kk, 1);   /* 0: pivot not found yet, 1: keep, 2: flip */
	if (!lim || !st) {
		free(lim);
		free(st);
		for (size_t i = 0; i < k; i++) {  /* no memory: the same rule, column by column */
			double c = 0;
			for (size_t j = 0; j < m; j++)
				if (fabs(U[j * ldu + i]) > c)
					c = fabs(U[j * ldu + i]);
			size_t p = 0;
			for (size_t j = 0; j < m; j++)
				if (fabs(U[j * ldu + i]) >= c * (1 - 1e-6)) {
					p = j;
					break;
				}
			if (U[p * ldu + i] < 0) {
				for (size_t j = 0; j < m; j++)
					U[j * ldu + i] = -U[j * ldu + i];
				for (size_t j = 0; j < n; j++)
					Vh[i * n + j] = -Vh[i * n + j];
			}
		}
		return;
	}
	for (size_t j = 0; j < m; j++)
		for (size_t i = 0; i < k; i++)
			if (fabs(U[j * ldu + i]) > lim[i])
				lim[i] = fabs(U[j * ldu + i]);
	for (size_t i = 0; i < k; i++)
		lim[i] *= 1 - 1e-6;
	for (size_t j = 0; j < m; j++)
		for (size_t i = 0; i < k; i++)
			if (!st[i] && fabs(U[j * ldu + i]) >= lim[i])
				st[i] = U[j * ldu + i] < 0 ? 2 : 1;
	for (size_t j = 0; j < m; j++)
		for (size_t i = 0; i < k; i++)
			if (st[i] == 2)
				U[j * ldu + i] = -U[j * ldu + i];
	for (size_t i = 0; i < k; i++)
		if (st[i] == 2)
			for (size_t j = 0; j < n; j++)
				Vh[i * n + j] = -Vh[i * n + j];
	free(lim);
	free(st);
}

/* ===== full SVD ========================================================= */

int kx_lora_svd(size_t m, size_t n, const double *M, double *U, double *S, double *Vh)
{
	/* M (m, n) copied: dgesdd destroys its input.  U (m, k), S (k), Vh (k, n).
	 * Row-major M is the column-major M^T (n, m), whose SVD V S U^T gives
	 * Vh and U in our row-major order directly: no transposed copies in and
	 * out (LAPACKE's row-major dgesdd makes three). */
	size_t k = m < n ? m : n;
	double *a = malloc(m * n * sizeof *a);
	if (!a)
		return -1;
	memcpy(a, M, m * n * sizeof *a);
	int info = kx_svd_t(n, m, a, Vh, S, U);
	free(a);
	if (info == 0)
		kx_lora_sign_fix(m, n, k, k, U, Vh);
	return info;
}

/* ===== QR with diag(R) >= 0 ============================================ */

int kx_lora_qr(size_t m, size_t n, const double *M, double *Q, double *R)
{
	/* M (m, n); Q (m, k); R (k, n).  A wide M (m < n) is factored as
	 * M[:, :m] = Q R1 (Householder, what dgeqrf does on the whole matrix
	 * anyway), then R2 = Q^T M[:, m:]. */
	size_t k = m < n ? m : n;
	double *r1 = malloc(k * k * sizeof *r1);
	if (!r1)
		return -1;
	for (size_t i = 0; i < m; i++)
		memcpy(Q + i * k, M + i * n, k * sizeof *Q);
	int info = kx_qr(m, k, Q, r1);
	if (info) {
		free(r1);
		return info;
	}
	memset(R, 0, k * n * sizeof *R);
	for (size_t i = 0; i < k; i++)
		memcpy(R + i * n, r1 + i * k, k * sizeof *R);
	if (n > k) {
		/* R2 (k, n-k) = Q^T M[:, k:], written into R's columns k.. row by row */
		double *r2 = malloc(k * (n - k) * sizeof *r2), *m2 = malloc(m * (n - k) * sizeof *m2);
		if (!r2 || !m2) {
			free(r2);
			free(m2);
			free(r1);
			return -1;
		}
		for (size_t i = 0; i < m; i++)
			memcpy(m2 + i * (n - k), M + i * n + k, (n - k) * sizeof *m2);
		kx_gemm(1, 0, k, n - k, m, 1.0, Q, m2, 0.0, r2);
		for (size_t i = 0; i < k; i++)
			memcpy(R + i * n + k, r2 + i * (n - k), (n - k) * sizeof *R);
		free(r2);
		free(m2);
	}
	free(r1);
	/* Flip column i of Q and row i of R where R[i,i] < 0 (zero left alone). */
	for (size_t i = 0; i < k; i++)
		if (R[i * n + i] < 0) {
			for (size_t j = 0; j < m; j++)
				Q[j * k + i] = -Q[j * k + i];
			for (size_t j = 0; j < n; j++)
				R[i * n + j] = -R[i * n + j];
		}
	return 0;
}

/* ===== randomized SVD =================================================== */

int kx_lora_rsvd(size_t m, size_t n, const double *M, size_t q, size_t niter, kx_rng *g,
                 double *U, double *S, double *Vh)
{
	/* M (m, n); q <= min(m, n).  The thin factors are kept transposed, q rows
	 * each: Qt (q, m), Zt (q, n).  Every product then streams M row by row,
	 * OpenBLAS packs only the thin operand's panels cheaply (1.5 times faster
	 * than the (m, q) layout at 4096 x 4096, q = 64), and LAPACK reads Qt and
	 * Zt as the column-major Q and Z it works on, with no transposed copies.
	 * Scratch: Omega then Zt (q, n), Qt (q, m), Bs (q, n), Ub (q, q).  Cost
	 * 2mnq(2 niter + 2) flops for the products; the QRs keep the subspace well
	 * conditioned between the power steps. */
	double *zt = malloc(q * n * sizeof *zt), *qt = malloc(q * m * sizeof *qt);
	double *bs = malloc(q * n * sizeof *bs), *ub = malloc(q * q * sizeof *ub);
	int info = -1;
	if (!zt || !qt || !bs || !ub)
		goto out;
	kx_lora_fill_normal(g, bs, n * q);                   /* Omega (n, q), drawn row-major */
	kx_lora_transpose(zt, bs, n, q);                     /* Omega^T (q, n) */
	kx_gemm(0, 1, q, m, n, 1.0, zt, M, 0.0, qt);         /* (M Omega)^T = Omega^T M^T */
	if ((info = kx_qr_t(m, q, qt)))                      /* Qt = qr(M Omega)^T */
		goto out;
	for (size_t it = 0; it < niter; it++) {
		kx_gemm(0, 0, q, n, m, 1.0, qt, M, 0.0, zt);  /* (M^T Q)^T = Q^T M */
		if ((info = kx_qr_t(n, q, zt)))
			goto out;
		kx_gemm(0, 1, q, m, n, 1.0, zt, M, 0.0, qt);  /* (M Z)^T = Z^T M^T */
		if ((info = kx_qr_t(m, q, qt)))
			goto out;
	}
	kx_gemm(0, 0, q, n, m, 1.0, qt, M, 0.0, bs);         /* Bs = Q^T M (q, n) */
	/* Bs^T (n, q) = Vh^T S Ub^T: its thin SVD gives Vh (q, n) and Ub (q, q) directly */
	if ((info = kx_svd_t(n, q, bs, Vh, S, ub)))
		goto out;
	kx_gemm(1, 0, m, q, q, 1.0, qt, ub, 0.0, U);         /* U = Q Ub (m, q) */
	kx_lora_sign_fix(m, n, q, q, U, Vh);
out:
	free(zt);
	free(qt);
	free(bs);
	free(ub);
	return info;
}
