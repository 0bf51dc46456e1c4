/*
 * expm.h — the matrix exponential by scaling and squaring with diagonal Padé
 * approximants (Higham 2005, "The scaling and squaring method for the matrix
 * exponential revisited"; hippo.md section 5).  Row-major, double precision.
 * Pure: no I/O, no globals, no exit.  The caller owns every array.
 */
#ifndef KX_EXPM_H
#define KX_EXPM_H

#include <stddef.h>

/* E = exp(M).  M: (n, n), not modified; E: (n, n), may not alias M.
 * Returns 0 on success, -1 when memory runs out (E untouched), or LAPACK's
 * info (> 0) when the Padé denominator is singular.  A non-finite M gives an
 * E full of NaN (return 0): callers check the result, not the status. */
int kx_expm(size_t n, const double *M, double *E);

/* The exponential of the augmented matrix of size n + 1 (Van Loan; what
 * scipy's cont2discrete(method='zoh') exponentiates):
 *   exp(dt [[A, b], [0, 0]]) = [[E, e], [0, 1]],
 * so E = exp(dt A) and e = int_0^dt exp(sA) ds b.  A: (n, n); b: (n,) or NULL
 * (then e is not written and this is exp(dt A)); E: (n, n), e: (n,) or NULL.
 * E may alias A and e may alias b (both are read before anything is written).
 * The augmented matrix is never formed: its powers are [[A^k, A^(k-1) b],
 * [0, 0]], so every product is an n x n one plus a matrix-vector product, and
 * the Padé degree and squarings are those kx_expm picks for it.  A lower
 * triangular A (LegS, LagT) is detected and its products and the Padé solve
 * use only the lower triangles (about a sixth of the dense flops); flags =
 * KX_EXPM_DENSE turns that off (the unit tests compare the two).  Returns as
 * kx_expm; NaN everywhere for a non-finite dt A or dt b. */
enum { KX_EXPM_DENSE = 1 };
int kx_expm_aug(size_t n, double dt, const double *A, const double *b, double *E, double *e,
                int flags);

/* The squaring count s and Padé degree m the method picks for ||M||_1 = nu
 * (exposed for tests): m in {3, 5, 7, 9, 13}, s = 0 unless m = 13. */
void kx_expm_params(double nu, int *m, int *s);

/* ||M||_1, the maximum column sum of |M|. M: (n, n). */
double kx_norm1(size_t n, const double *M);

#endif
