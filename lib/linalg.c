/* linalg.c — CBLAS/LAPACKE wrappers, row-major (see linalg.h). */
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "linalg.h"

void kx_gemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
             const double *A, const double *B, double beta, double *C)
{
	cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
	            (int)m, (int)n, (int)k, alpha, A, ta ? (int)m : (int)k, B,
	            tb ? (int)k : (int)n, beta, C, (int)n);
}

void kx_gemv(int ta, size_t m, size_t n, double alpha, const double *A, const double *x,
             double beta, double *y)
{
	cblas_dgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, (int)m, (int)n, alpha, A,
	            (int)n, x, 1, beta, y, 1);
}

int kx_svd(size_t m, size_t n, double *A, double *U, double *s, double *Vt)
{
	size_t k = m < n ? m : n;
	double *u = U, *vt = Vt;
	if (!U || !Vt) {
		/* dgesdd with jobz = S needs both; use scratch for the one not wanted */
		u = U ? U : malloc(m * k * sizeof *u);
		vt = Vt ? Vt : malloc(k * n * sizeof *vt);
		if (!u || !vt) {
			if (!U) free(u);
			if (!Vt) free(vt);
			return -1;
		}
	}
	int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (int)m, (int)n, A, (int)n, s, u, (int)k,
	                          vt, (int)n);
	if (!U) free(u);
	if (!Vt) free(vt);
	return info;
}

int kx_svd_values(size_t m, size_t n, double *A, double *s)
{
	/* LAPACKE checks ldvt >= n in row-major order even when jobz = N */
	return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', (int)m, (int)n, A, (int)n, s, NULL, 1, NULL, (int)n);
}

int kx_solve(size_t n, size_t nrhs, double *A, double *B)
{
	int *ipiv = malloc((n ? n : 1) * sizeof *ipiv);
	if (!ipiv)
		return -1;
	int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, (int)n, (int)nrhs, A, (int)n, ipiv, B, (int)nrhs);
	free(ipiv);
	return info;
}

int kx_qr(size_t m, size_t n, double *A, double *R)
{
	double *tau = malloc((n ? n : 1) * sizeof *tau);
	if (!tau)
		return -1;
	int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (int)m, (int)n, A, (int)n, tau);
	if (info == 0 && R) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				R[i * n + j] = j >= i ? A[i * n + j] : 0.0;
	}
	if (info == 0)
		info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (int)m, (int)n, (int)n, A, (int)n, tau);
	free(tau);
	return info;
}

int kx_qr_t(size_t m, size_t n, double *At)
{
	double *tau = malloc((n ? n : 1) * sizeof *tau);
	if (!tau)
		return -1;
	int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (int)m, (int)n, At, (int)m, tau);
	if (info == 0)
		info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, (int)m, (int)n, (int)n, At, (int)m, tau);
	free(tau);
	return info;
}

int kx_svd_t(size_t m, size_t n, double *At, double *Ut, double *s, double *V)
{
	size_t k = m < n ? m : n;
	return LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (int)m, (int)n, At, (int)m, s, Ut, (int)m, V,
	                      (int)k);
}

int kx_eigh(size_t n, double *A, double *w)
{
	return LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (int)n, A, (int)n, w);
}

int kx_eigvals(size_t n, double *A, double *wr, double *wi)
{
	return LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', (int)n, A, (int)n, wr, wi, NULL, 1, NULL, 1);
}
