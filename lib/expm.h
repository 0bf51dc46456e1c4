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

/* The squaring count s and Padé degree m the method picks for ||M||_1 = nu
 * (exposed for tests): m in {3, 5, 7, 9, 13}, s = 0 unless m = 13. */
void kx_expm_params(double nu, int *m, int *s);

/* ||M||_1, the maximum column sum of |M|. M: (n, n). */
double kx_norm1(size_t n, const double *M);

#endif
