/*
 * expm.c — exp(M) by scaling and squaring with Padé approximants (Higham
 * 2005; the steps and constants of hippo.md section 5).  scipy >= 0.13 uses
 * the Al-Mohy–Higham 2009 refinement of the same method; on HiPPO matrices the
 * two agree to about 1e-13 relative.
 *
 * Shapes: every matrix is (n, n), row-major; vectors are (n,).
 *
 * Cost (n = 256, one core, OpenBLAS): a dgemm is about 0.55 ms, and a dgesv
 * with n right-hand sides through row-major LAPACKE about 3.5 ms (two copies
 * for the transposes, and dtrsm runs at a third of dgemm's rate).  So:
 *  - every matrix here is a polynomial in M, and polynomials in M commute:
 *    the row-major buffers are handed to column-major LAPACK as they are (the
 *    transposes) and the solve r = P^-1 Q is computed as Q P^-1, which is the
 *    same matrix; no copies, no NaN scans;
 *  - the zoh matrix [[A, b], [0, 0]] is never formed (kx_expm_aug): its powers
 *    are [[A^k, A^(k-1) b], [0, 0]], so the column rides along as gemv;
 *  - a lower triangular M has lower triangular powers and Padé factors: the
 *    products go block column by block column through dtrmm, and the solve
 *    through dtrsm on the same blocks, n^3/3 flops each instead of 2 n^3;
 *  - six n x n work matrices, reused (page faults of fresh memory are a
 *    visible part of a short-lived process).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cblas.h>
#include <lapacke.h>
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
	/* M: (n, n); column sums of |M|, the largest.  NaN propagates.  Rows are
	 * read in order, 64 columns at a time (row-major: no strided walk down a
	 * column); each sum still adds rows 0..n-1 in order. */
	double best = 0;
	for (size_t j0 = 0; j0 < n; j0 += 64) {
		size_t w = n - j0 < 64 ? n - j0 : 64;
		double acc[64] = { 0 };
		for (size_t i = 0; i < n; i++) {
			const double *row = M + i * n + j0;
			for (size_t j = 0; j < w; j++)
				acc[j] += fabs(row[j]);
		}
		for (size_t j = 0; j < w; j++)
			if (!(acc[j] <= best))   /* also takes a NaN */
				best = acc[j];
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

/* Add c * X to Y.  X, Y: (nn,). */
static void axpy(size_t nn, double c, const double *X, double *Y)
{
	for (size_t i = 0; i < nn; i++)
		Y[i] += c * X[i];
}

/* Y += a X1, then += b X2, then += c X3 (one pass, the same roundings as
 * three axpy passes).  All (nn,). */
static void axpy3(size_t nn, double a, const double *X1, double b, const double *X2, double c,
                  const double *X3, double *Y)
{
	for (size_t i = 0; i < nn; i++)
		Y[i] = ((Y[i] + a * X1[i]) + b * X2[i]) + c * X3[i];
}

/* Column block width of the triangular products and solves. */
enum { TRI_NB = 64 };

/* C = X Y.  X, Y, C: (n, n); C aliases neither.  tri: X and Y are lower
 * triangular, and so is C (its upper triangle is written as exact zeros). */
static void mul(size_t n, int tri, const double *X, const double *Y, double *C)
{
	if (!tri) {
		kx_gemm(0, 0, n, n, n, 1, X, Y, 0, C);
		return;
	}
	/* Block column j0..j0+w of C is X[j0:, j0:] Y[j0:, j0:j0+w] (rows j0 on;
	 * the rows above are zero): one dtrmm, in place on a copy of Y's block. */
	for (size_t j0 = 0; j0 < n; j0 += TRI_NB) {
		size_t w = n - j0 < TRI_NB ? n - j0 : TRI_NB;
		for (size_t i = 0; i < j0; i++)
			memset(C + i * n + j0, 0, w * sizeof *C);
		for (size_t i = j0; i < n; i++)
			memcpy(C + i * n + j0, Y + i * n + j0, w * sizeof *C);
		cblas_dtrmm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
		            (int)(n - j0), (int)w, 1.0, X + j0 * n + j0, (int)n, C + j0 * n + j0,
		            (int)n);
	}
}

/* y = X x.  X: (n, n), x, y: (n,), y does not alias x. */
static void mulv(size_t n, const double *X, const double *x, double *y)
{
	kx_gemv(0, n, n, 1, X, x, 0, y);
}

/* The Padé solve: Q <- P^-1 Q (P, Q polynomials in M, so P^-1 Q = Q P^-1)
 * and, when u != NULL, u <- P^-1 u.  P: (n, n), destroyed (its LU); Q: (n, n);
 * u: (n,); ipiv: (n,).  Returns 0, or k > 0 when P is singular at k. */
static int pade_solve(size_t n, int tri, double *P, double *Q, double *u, lapack_int *ipiv)
{
	if (tri) {
		for (size_t i = 0; i < n; i++)
			if (P[i * n + i] == 0)
				return (int)i + 1;
		/* Q is lower triangular, so block column j0.. of P^-1 Q is
		 * P[j0:, j0:]^-1 Q[j0:, j0:j0+w] (the rows above stay zero). */
		for (size_t j0 = 0; j0 < n; j0 += TRI_NB) {
			size_t w = n - j0 < TRI_NB ? n - j0 : TRI_NB;
			cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
			            (int)(n - j0), (int)w, 1.0, P + j0 * n + j0, (int)n,
			            Q + j0 * n + j0, (int)n);
		}
		if (u)
			cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, P,
			            (int)n, u, 1);
		return 0;
	}
	/* Row-major P is P' = P^T column-major; dgetrf: P' = Pi L U.  Read
	 * column-major, the buffer Q is Q' = Q^T and the answer X = P^-1 Q must
	 * come out as X^T = Q' P'^-1 = Q' U^-1 L^-1 Pi^T: two right-side dtrsm
	 * (OpenBLAS's right-side column-major dtrsm is about 1.4x faster than the
	 * left-side one dgetrs uses), then the column swaps of Pi^T in reverse
	 * order, which are swaps of rows of the row-major buffer.  P y = u is
	 * dgetrs with trans = 'T' on P'. */
	lapack_int N = (lapack_int)n;
	lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, N, N, P, N, ipiv);
	if (info)
		return (int)info;
	cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)n,
	            (int)n, 1.0, P, (int)n, Q, (int)n);
	cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasUnit, (int)n, (int)n,
	            1.0, P, (int)n, Q, (int)n);
	for (size_t i = n; i-- > 0;) {
		size_t k = (size_t)ipiv[i] - 1;
		if (k != i)
			for (size_t j = 0; j < n; j++) {
				double tmp = Q[i * n + j];
				Q[i * n + j] = Q[k * n + j];
				Q[k * n + j] = tmp;
			}
	}
	if (u)
		info = LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'T', N, 1, P, N, ipiv, u, N);
	return (int)info;
}

/* Work memory of at least `bytes`, freed with free().  Six fresh n x n
 * matrices are 768 pages at n = 256, and first-touch page faults then cost
 * about as much as the arithmetic of a LegS exponential (1-3 us each on a VM):
 * from 2 MiB on, the block is 2 MiB-aligned and marked for transparent huge
 * pages (a hint: where the kernel does not honour it, these are ordinary
 * pages).  The values computed do not depend on it. */
static void *work_alloc(size_t bytes)
{
#ifdef MADV_HUGEPAGE
	const size_t huge = (size_t)1 << 21;
	if (bytes >= huge) {
		size_t sz = (bytes + huge - 1) / huge * huge;
		void *p;
		if (posix_memalign(&p, huge, sz) == 0) {
			madvise(p, sz, MADV_HUGEPAGE);   /* advisory: failure is harmless */
			return p;
		}
	}
#endif
	return malloc(bytes);
}

/* The squaring count of Al-Mohy & Higham (2009), Algorithm 5.1, for m = 13
 * on Z = [[A, b], [0, 0]] (b may be NULL): s = ceil(log2(eta / 4.25)) with
 * eta = max(d4, min(d6, d10)) from d_k >= ||Z^k||_1^(1/k); d8 <= d4 and d10 <=
 * (||Z^4|| ||Z^6||)^(1/10) are used as bounds (no extra products), then
 * their correction ell for the rounding in the Padé numerator, with
 * || |Z/2^s|^27 ||_1 computed exactly by 27 products with |A|^T.  A4, A6:
 * (n, n); c3, c5: their columns (or NULL).  absA: (n, n) scratch; x, y: (n,)
 * scratch. */
static int amh_squarings(size_t n, const double *A, const double *b, const double *A4,
                         const double *c3, const double *A6, const double *c5, double *absA,
                         double *x, double *y)
{
	double n4 = kx_norm1(n, A4), n6 = kx_norm1(n, A6), na = kx_norm1(n, A), nb = 0, q3 = 0, q5 = 0;
	for (size_t i = 0; b && i < n; i++) {
		nb += fabs(b[i]);
		q3 += fabs(c3[i]);
		q5 += fabs(c5[i]);
	}
	n4 = fmax(n4, q3);
	n6 = fmax(n6, q5);
	na = fmax(na, nb);
	double d4 = pow(n4, 0.25), d6 = pow(n6, 1.0 / 6), d10 = pow(n4 * n6, 0.1);
	double eta = fmax(d4, fmin(d6, d10));
	if (!(eta > 0) || !isfinite(eta))
		return 1000;     /* no better bound: the caller keeps its own */
	int s = (int)ceil(log2(eta / 4.25));
	if (s < 0)
		s = 0;
	/* ell: |Z/2^s| = 2^-s |Z|; column sums of |Z|^27 = 1^T |Z|^27, by
	 * x <- |A|^T x from x = 1 (the column of |Z|^T for b is zero; b's entry
	 * of the result is |b|^T x before the last step). */
	double sc = ldexp(1.0, -s);
	for (size_t i = 0; i < n * n; i++)
		absA[i] = fabs(A[i]) * sc;
	for (size_t i = 0; i < n; i++)
		x[i] = 1;
	double last = 0;
	for (int k = 0; k < 27; k++) {
		if (k == 26 && b) {
			last = 0;
			for (size_t i = 0; i < n; i++)
				last += fabs(b[i]) * sc * x[i];
		}
		kx_gemv(1, n, n, 1, absA, x, 0, y);
		memcpy(x, y, n * sizeof *x);
	}
	double big = last;
	for (size_t i = 0; i < n; i++)
		if (x[i] > big)
			big = x[i];
	/* |c_27| / u for the Padé 13 error series (the constant scipy uses) */
	double ratio = big / (na * sc) / 1.2573361865339437e+19;
	if (ratio > 1) {
		int ell = (int)ceil(log2(ratio) / 26);
		if (ell > 0)
			s += ell;
	}
	return s;
}

int kx_expm_aug(size_t n, double dt, const double *A, const double *b, double *E, double *e,
                int flags)
{
	/* A: (n, n), b: (n,) or NULL in; E: (n, n), e: (n,) or NULL out.
	 * Z = dt [[A, b], [0, 0]] / 2^s; Z^k = [[A^k, c_k], [0, 0]] with
	 * c_k = A^(k-1) b (A, b scaled); a polynomial with constant term p0 is
	 * [[p(A), col], [0, p0]]. */
	size_t nn = n * n;
	if (n == 0)
		return 0;
	if (!b)
		e = NULL;
	int tri = !(flags & KX_EXPM_DENSE);
	for (size_t i = 0; i < n && tri; i++)
		for (size_t j = i + 1; j < n; j++)
			if (A[i * n + j] != 0) {
				tri = 0;
				break;
			}
	/* Work: As (scaled A), A2, A4, A6, X, Y: 6 matrices; bs, c1, c3, c5, t,
	 * u, v: 7 vectors; the pivots. */
	double *w = work_alloc((6 * nn + 7 * n) * sizeof *w);
	lapack_int *ipiv = malloc(n * sizeof *ipiv);
	if (!w || !ipiv) {
		free(w);
		free(ipiv);
		return -1;
	}
	double *As = w, *A2 = w + nn, *A4 = w + 2 * nn, *A6 = w + 3 * nn, *X = w + 4 * nn,
	       *Y = w + 5 * nn, *bs = w + 6 * nn, *c1 = bs + n, *c3 = c1 + n, *c5 = c3 + n,
	       *t = c5 + n, *u = t + n, *v = u + n;
	for (size_t i = 0; i < nn; i++)
		As[i] = dt * A[i];
	double nu = kx_norm1(n, As);
	if (e) {
		double nb = 0;
		for (size_t i = 0; i < n; i++) {
			bs[i] = dt * b[i];
			nb += fabs(bs[i]);
		}
		if (!(nb <= nu))   /* also takes a NaN */
			nu = nb;
	}
	if (!isfinite(nu)) {
		for (size_t i = 0; i < nn; i++)
			E[i] = NAN;
		for (size_t i = 0; e && i < n; i++)
			e[i] = NAN;
		free(w);
		free(ipiv);
		return 0;
	}
	int m, s;
	kx_expm_params(nu, &m, &s);
	/* For m = 13 the powers Z^2, Z^4, Z^6 are formed before scaling and give
	 * Al-Mohy & Higham's (2009) bound, which often needs one squaring fewer;
	 * scaling them afterwards by 4^-s, 16^-s, 64^-s is exact (powers of two,
	 * barring underflow of entries negligible next to the norm).  (Not when the
	 * unscaled sixth power could overflow.) */
	int early = m == 13 && nu < 1e40;
	if (early) {
		mul(n, tri, As, As, A2);
		mul(n, tri, A2, A2, A4);
		mul(n, tri, A4, A2, A6);
		if (e) {
			mulv(n, As, bs, c1);
			mulv(n, A2, c1, c3);
			mulv(n, A4, c1, c5);
		}
		int s2 = amh_squarings(n, As, e ? bs : NULL, A4, e ? c3 : NULL, A6, e ? c5 : NULL, X,
		                       t, u);
		if (s2 < s)
			s = s2;
	}
	double scale = ldexp(1.0, -s);   /* exact: a power of two */
	for (size_t i = 0; i < nn; i++)
		As[i] *= scale;
	for (size_t i = 0; e && i < n; i++)
		bs[i] *= scale;
	if (early) {
		double s2 = scale * scale, s4 = s2 * s2, s6 = s4 * s2;
		for (size_t i = 0; i < nn; i++) {
			A2[i] *= s2;
			A4[i] *= s4;
			A6[i] *= s6;
		}
		for (size_t i = 0; e && i < n; i++) {
			c1[i] *= s2;
			c3[i] *= s4;
			c5[i] *= s6;
		}
	} else {
		mul(n, tri, As, As, A2);
		if (e)
			mulv(n, As, bs, c1);     /* column of Z^2 */
	}
	/* After the polynomial stage: X = U's matrix, E = V's, u = U's column. */
	if (m == 13) {
		if (!early) {
			mul(n, tri, A2, A2, A4);
			mul(n, tri, A4, A2, A6);
			if (e) {
				mulv(n, A2, c1, c3);     /* column of Z^4 */
				mulv(n, A4, c1, c5);     /* column of Z^6 */
			}
		}
		/* W = b13 Z6 + b11 Z4 + b9 Z2 (in X; column v) */
		for (size_t i = 0; i < nn; i++)
			X[i] = b13[13] * A6[i] + b13[11] * A4[i] + b13[9] * A2[i];
		/* T = Z6 W + b7 Z6 + b5 Z4 + b3 Z2 + b1 I (in Y; column t) */
		mul(n, tri, A6, X, Y);
		axpy3(nn, b13[7], A6, b13[5], A4, b13[3], A2, Y);
		for (size_t i = 0; i < n; i++)
			Y[i * n + i] += b13[1];
		if (e) {
			for (size_t i = 0; i < n; i++)
				v[i] = b13[13] * c5[i] + b13[11] * c3[i] + b13[9] * c1[i];
			mulv(n, A6, v, t);
			for (size_t i = 0; i < n; i++)
				t[i] += b13[7] * c5[i] + b13[5] * c3[i] + b13[3] * c1[i];
		}
		/* U = Z T (in X) */
		mul(n, tri, As, Y, X);
		/* V = Z6 (b12 Z6 + b10 Z4 + b8 Z2) + b6 Z6 + b4 Z4 + b2 Z2 + b0 I (in E) */
		for (size_t i = 0; i < nn; i++)
			Y[i] = b13[12] * A6[i] + b13[10] * A4[i] + b13[8] * A2[i];
		mul(n, tri, A6, Y, E);
		axpy3(nn, b13[6], A6, b13[4], A4, b13[2], A2, E);
		for (size_t i = 0; i < n; i++)
			E[i * n + i] += b13[0];
	} else {
		/* r_m, m = 3..9: the even powers Z^k (k <= m - 1) summed into T (in
		 * X; odd coefficients; column t) and V (in E; even coefficients). */
		const double *bm = m == 3 ? b3 : m == 5 ? b5 : m == 7 ? b7 : b9;
		double *P = A2, *Pn = A4, *pc = c1, *pcn = c3;   /* Z^k: [[P, pc]] */
		memset(X, 0, nn * sizeof *X);
		memset(E, 0, nn * sizeof *E);
		for (size_t i = 0; i < n; i++) {
			X[i * n + i] = bm[1];
			E[i * n + i] = bm[0];
		}
		if (e)
			memset(t, 0, n * sizeof *t);
		for (int k = 2; k <= m; k += 2) {
			axpy(nn, bm[k + 1], P, X);
			axpy(nn, bm[k], P, E);
			if (e)
				axpy(n, bm[k + 1], pc, t);
			if (k + 2 <= m) {
				mul(n, tri, P, A2, Pn);
				if (e)
					mulv(n, A2, pc, pcn);
				double *sw = P; P = Pn; Pn = sw == A2 ? A6 : sw;
				sw = pc; pc = pcn; pcn = sw == c1 ? c5 : sw;
			}
		}
		/* U = Z T (in Y), then moved to X's buffer by the swap below */
		mul(n, tri, As, X, Y);
		double *sw = X; X = Y; Y = sw;
	}
	if (e) {
		/* U's column: Z T's column = As t + bs * b1 (T's corner is b1) */
		mulv(n, As, t, u);
		axpy(n, m == 13 ? b13[1] : (m == 3 ? b3 : m == 5 ? b5 : m == 7 ? b7 : b9)[1], bs, u);
	}
	/* r_m = (V - U)^-1 (V + U): P = V - U (in Y), Q = V + U (in E).  With
	 * the augmented column: [[P, p], [0, b0]]^-1 [[Q, q], [0, b0]] has column
	 * P^-1 (q - p) = P^-1 (2u). */
	for (size_t i = 0; i < nn; i++) {
		double vv = E[i], uu = X[i];
		Y[i] = vv - uu;
		E[i] = vv + uu;
	}
	if (e)
		for (size_t i = 0; i < n; i++)
			e[i] = 2 * u[i];
	int info = pade_solve(n, tri, Y, E, e, ipiv);
	if (info) {
		free(w);
		free(ipiv);
		return info;
	}
	/* Undo the scaling: exp(Z) = r(Z)^(2^s); [[R, r], [0, 1]]^2 = [[R^2, R r + r], [0, 1]]. */
	double *R = E, *S = A2;
	for (int k = 0; k < s; k++) {
		if (e) {
			memcpy(v, e, n * sizeof *v);
			kx_gemv(0, n, n, 1, R, v, 1, e);
		}
		mul(n, tri, R, R, S);
		double *sw = R; R = S; S = sw;
	}
	if (R != E)
		memcpy(E, R, nn * sizeof *E);
	free(w);
	free(ipiv);
	return 0;
}

int kx_expm(size_t n, const double *M, double *E)
{
	/* M: (n, n) input; E: (n, n) output, exp(M). */
	return kx_expm_aug(n, 1, M, NULL, E, NULL, 0);
}
