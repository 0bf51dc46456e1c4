/*
 * linalg.h — thin wrappers over CBLAS and LAPACKE (OpenBLAS), row-major
 * everywhere.  Shapes: A is (m, n) with leading dimension n unless stated.
 * Return 0 on success, LAPACK's info otherwise; nothing is printed, nothing
 * exits.  The caller owns every array.
 */
#ifndef KX_LINALG_H
#define KX_LINALG_H

#include <stddef.h>

/* C (m, n) = alpha * op(A) op(B) + beta * C; op = transpose when ta/tb.
 * A is (m, k) or (k, m) stored row-major, B is (k, n) or (n, k). */
void kx_gemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
             const double *A, const double *B, double beta, double *C);
/* y (m) = alpha * op(A) x + beta * y; A is (m, n) row-major (op = A^T when ta). */
void kx_gemv(int ta, size_t m, size_t n, double alpha, const double *A, const double *x,
             double beta, double *y);

/* Thin SVD of A (m, n), k = min(m, n): A = U diag(s) Vt, s descending.
 * A is overwritten.  U: (m, k) or NULL, s: (k), Vt: (k, n) or NULL.  dgesdd. */
int kx_svd(size_t m, size_t n, double *A, double *U, double *s, double *Vt);
/* Singular values only (dgesdd, jobz = N). A is overwritten. */
int kx_svd_values(size_t m, size_t n, double *A, double *s);

/* Solve A X = B: A (n, n) overwritten by its LU, B (n, nrhs) by X.  dgesv. */
int kx_solve(size_t n, size_t nrhs, double *A, double *B);
/* Thin QR of A (m, n), m >= n: A is replaced by Q (m, n); R (n, n) upper
 * triangular if R != NULL.  dgeqrf + dorgqr. */
int kx_qr(size_t m, size_t n, double *A, double *R);
/* The same two factorisations on a matrix held as its transpose, i.e. in
 * column-major order, so LAPACK needs no transposed copy (what LAPACKE's
 * row-major interface makes): At (n, m) row-major is A (m, n).
 * kx_qr_t (m >= n): At is replaced by Q^T (n, m), Q the thin Q of A
 * (dgeqrf + dorgqr).
 * kx_svd_t: A = U diag(s) Vt, k = min(m, n), s descending; Ut (k, m)
 * receives U^T, V (n, k) receives V (row-major, i.e. Vt in column-major
 * order); At is overwritten (dgesdd, jobz = S). */
int kx_qr_t(size_t m, size_t n, double *At);
int kx_svd_t(size_t m, size_t n, double *At, double *Ut, double *s, double *V);
/* Symmetric eigendecomposition of A (n, n): w ascending, A replaced by the
 * eigenvectors in columns.  dsyevd. */
int kx_eigh(size_t n, double *A, double *w);
/* General eigenvalues of A (n, n) (overwritten): wr + i wi.  dgeev, no vectors. */
int kx_eigvals(size_t n, double *A, double *wr, double *wi);

#endif
