/*
 * vq.c — nearest codewords (quantize.md 2.1, 2.2).  Shape alphabet: K
 * codewords, D their width, nx queries, N neighbours wanted, tq the queries
 * of one tile.  The direct loop defines every answer; the GEMM path only
 * proposes candidates and the direct formula decides among them.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "vq.h"

/* ===== ranges: when is a GEMM's error bound valid? ===================== */

/* The rounding bound behind the margin holds while no product under- or
 * overflows: float32 for nonzero |v| in [2^-50, 2^50] (products stay in
 * [2^-100, 2^100], well inside float's normal range), float64 for [2^-500,
 * 2^500].  Returns the widest path class a vector allows. */
static int range_class(const double *v, size_t n)
{
	int cls = KX_VQ_F32;
	for (size_t i = 0; i < n; i++) {
		double a = fabs(v[i]);
		if (a == 0)
			continue;
		if (!(a >= 0x1p-500 && a <= 0x1p500))
			return KX_VQ_DIRECT;
		if (!(a >= 0x1p-50 && a <= 0x1p50))
			cls = KX_VQ_F64;
	}
	return cls;
}

/* Order of path classes: DIRECT (narrowest applicability) < F64 < F32. */
static int cls_rank(int c) { return c == KX_VQ_F32 ? 2 : c == KX_VQ_F64 ? 1 : 0; }
static int cls_min(int a, int b) { return cls_rank(a) < cls_rank(b) ? a : b; }

/* ===== the reference arithmetic (2.1) ================================= */

double kx_vq_sqdist(const double *a, const double *b, size_t D)
{
	/* a, b: (D,); sequential sum, the order that defines every result */
	double s = 0;
	for (size_t j = 0; j < D; j++) {
		double e = a[j] - b[j];
		s += e * e;
	}
	return s;
}

static double dot(const double *a, const double *b, size_t D)
{
	double s = 0;
	for (size_t j = 0; j < D; j++)
		s += a[j] * b[j];
	return s;
}

double kx_vq_normalise(const double *x, size_t D, double *xh)
{
	/* x, xh: (D,).  The 1e-12 floor is 2.1's: a zero vector stays zero and
	 * then has cosine 0 with every codeword (distance 1: index 0 wins). */
	double n = sqrt(dot(x, x, D)), d = n > 1e-12 ? n : 1e-12;
	for (size_t j = 0; j < D; j++)
		xh[j] = x[j] / d;
	return n;
}

double kx_vq_dist(const kx_vq_book *b, const double *x, const double *xh, size_t k)
{
	const double *c_k = b->C + k * b->D;
	switch (b->metric) {
	case KX_VQ_COSINE: return 1 - dot(xh, b->Ch + k * b->D, b->D);
	case KX_VQ_IP: return -dot(x, c_k, b->D);
	default: return kx_vq_sqdist(x, c_k, b->D);
	}
}

/* ===== the codebook ================================================== */

int kx_vq_book_init(kx_vq_book *b, const double *C, size_t K, size_t D, int metric)
{
	*b = (kx_vq_book){ .K = K, .D = D, .metric = metric, .C = C };
	b->nrm = malloc(K * sizeof *b->nrm);
	if (!b->nrm)
		goto oom;
	const double *op = C;             /* the GEMM operand: C, or its normalised rows */
	if (metric == KX_VQ_COSINE) {
		b->Ch = malloc(K * D * sizeof *b->Ch);
		if (!b->Ch)
			goto oom;
		for (size_t k = 0; k < K; k++)
			b->nrm[k] = kx_vq_normalise(C + k * D, D, b->Ch + k * D);
		op = b->Ch;
		b->smax = 1;
	} else {
		for (size_t k = 0; k < K; k++) {
			double s = dot(C + k * D, C + k * D, D);
			b->nrm[k] = metric == KX_VQ_L2 ? s : sqrt(s);
			if (b->nrm[k] > b->smax)
				b->smax = b->nrm[k];
		}
	}
	b->range = range_class(op, K * D);
	if (D > ((size_t)1 << 20) || K > INT_MAX / 2 || D > INT_MAX / 2)
		b->range = cls_min(b->range, KX_VQ_F64);
	if (K > INT_MAX / 2 || D > INT_MAX / 2)
		b->range = KX_VQ_DIRECT;
	if (b->range == KX_VQ_F32) {
		b->Cf = malloc(K * D * sizeof *b->Cf);
		if (!b->Cf)
			goto oom;
		for (size_t i = 0; i < K * D; i++)
			b->Cf[i] = (float)op[i];
	}
	return 0;
oom:
	kx_vq_book_free(b);
	return -1;
}

void kx_vq_book_free(kx_vq_book *b)
{
	free(b->nrm);
	free(b->Ch);
	free(b->Cf);
	b->nrm = b->Ch = NULL;
	b->Cf = NULL;
}

/* ===== selection ===================================================== */

typedef struct { double d; long long k; } cand;

/* a before b: smaller distance, then lower index; NaN after every number
 * (only reachable in the direct path with overflowing values). */
static int before(double da, long long ka, double db, long long kb)
{
	if (da < db)
		return 1;
	if (da > db)
		return 0;
	if (da == db)
		return ka < kb;
	if (isnan(da) != isnan(db))
		return isnan(db);
	return ka < kb;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const cand *a = pa, *b = pb;
	return before(a->d, a->k, b->d, b->k) ? -1 : before(b->d, b->k, a->d, a->k) ? 1 : 0;
}

/* Keep the N best of buf (n entries) in idx, dist.  N = 1 is a scan with
 * strict comparison, so the lowest index wins a tie (numpy argmin). */
static void take_best(cand *buf, size_t n, size_t N, long long *idx, double *dist)
{
	if (N == 1) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (before(buf[i].d, buf[i].k, buf[best].d, buf[best].k))
				best = i;
		idx[0] = buf[best].k;
		dist[0] = buf[best].d;
		return;
	}
	qsort(buf, n, sizeof *buf, cand_cmp);   /* a total order: the sort is stable */
	for (size_t i = 0; i < N; i++) {
		idx[i] = buf[i].k;
		dist[i] = buf[i].d;
	}
}

/* The N-th smallest of v (n values; 1 <= N <= n): quickselect on the copy w
 * with a three-way partition (many equal values are common: exact ties). */
static double nth_smallest(const double *v, size_t n, size_t N, double *w)
{
	if (N == 1) {
		double m = v[0];
		for (size_t i = 1; i < n; i++)
			if (v[i] < m)
				m = v[i];
		return m;
	}
	memcpy(w, v, n * sizeof *w);
	size_t lo = 0, hi = n, t = N - 1;          /* the answer lies in w[lo, hi) */
	for (;;) {
		double p = w[lo + (hi - lo) / 2];
		size_t lt = lo, i = lo, gt = hi;         /* [lo,lt) < p, [lt,i) == p, [gt,hi) > p */
		while (i < gt) {
			double s = w[i];
			if (s < p) {
				w[i++] = w[lt];
				w[lt++] = s;
			} else if (s > p) {
				w[i] = w[--gt];
				w[gt] = s;
			} else {
				i++;
			}
		}
		if (t < lt)
			hi = lt;
		else if (t >= gt)
			lo = gt;
		else
			return p;
	}
}

/* ===== hot loops ===================================================== */

/* The loops below run once per query and codeword.  Each has an AVX-512 and
 * an AVX2 version beside the baseline one: prep_rows as GCC target clones
 * (chosen at load time), the scans written in GNU C vector types of the
 * machine's native width (a wider type is split element by element, so
 * each width is its own function), chosen per search with
 * __builtin_cpu_supports.  valgrind reports no AVX-512, so it runs the AVX2
 * or baseline versions.  No FMA is enabled and -std=c11 forbids
 * contraction, and every value they produce is one correctly rounded
 * operation or an exact minimum, so all versions give bit-identical
 * results (KX_NO_CLONES builds the baseline only, to compare). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
#define VQ_X86 1
#define VQ_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VQ_CLONES
#endif
enum { L = 16 };

/* Prepare the queries of a tile: xf (n, D) = (float)x, nb[i] an upper bound
 * of sum_j x_ij^2 (summed in L lanes; the factor 1 + 2^-40 covers any
 * order's rounding, at most (D - 1) 2^-53 relative for D <= 2^20), and
 * returns the tile's range class (range_class, branch-free).  xf may be
 * NULL. */
VQ_CLONES static int prep_rows(const double *restrict X, size_t n, size_t D, float *restrict xf,
                               double *restrict nb)
{
	int ok32 = 1, ok64 = 1;
	for (size_t i = 0; i < n; i++) {
		const double *x = X + i * D;
		double s[L] = { 0 };
		int a32[L], a64[L];
		for (size_t j = 0; j < L; j++)
			a32[j] = a64[j] = 1;
		size_t j0 = 0;
		for (; j0 + L <= D; j0 += L)
			for (size_t j = 0; j < L; j++) {
				double v = x[j0 + j], a = fabs(v);
				s[j] += v * v;
				a32[j] &= (a == 0) | ((a >= 0x1p-50) & (a <= 0x1p50));
				a64[j] &= (a == 0) | ((a >= 0x1p-500) & (a <= 0x1p500));
			}
		for (; j0 < D; j0++) {
			double v = x[j0], a = fabs(v);
			s[0] += v * v;
			a32[0] &= (a == 0) | ((a >= 0x1p-50) & (a <= 0x1p50));
			a64[0] &= (a == 0) | ((a >= 0x1p-500) & (a <= 0x1p500));
		}
		double t = 0;
		for (size_t j = 0; j < L; j++) {
			t += s[j];
			ok32 &= a32[j];
			ok64 &= a64[j];
		}
		nb[i] = t * (1 + 0x1p-40);
		if (xf)
			for (size_t j = 0; j < D; j++)
				xf[i * D + j] = (float)x[j];
	}
	return ok32 ? KX_VQ_F32 : ok64 ? KX_VQ_F64 : KX_VQ_DIRECT;
}

/* GNU C vector types of 2, 4 and 8 doubles, and the lane masks of their
 * comparisons (-1 or 0 in each lane). */
typedef double vd2 __attribute__((vector_size(16)));
typedef long long vl2 __attribute__((vector_size(16)));
typedef double vd4 __attribute__((vector_size(32)));
typedef long long vl4 __attribute__((vector_size(32)));
typedef double vd8 __attribute__((vector_size(64)));
typedef long long vl8 __attribute__((vector_size(64)));
#define SEL(VD, VL, c, x, y) ((VD)(((VL)(x) & (c)) | ((VL)(y) & ~(c))))   /* c ? x : y */

/* name(g, a, s, K, e): e[k] = a[k] + s g[k] (s = -1 or -2: the product is
 * exact, so e[k] is one rounding), the K fast distances of one query;
 * returns their minimum (exact in any order; the sign of a zero minimum
 * does not matter). */
#define SCAN_MIN(name, ATTR, T, VD, VL)                                                \
	ATTR static double name(const T *restrict g, const double *restrict a, double s,    \
	                        size_t K, double *restrict e)                               \
	{                                                                                  \
		enum { W = sizeof(VD) / sizeof(double) };                                  \
		VD m;                                                                      \
		for (int j = 0; j < W; j++)                                                \
			m[j] = INFINITY;                                                   \
		size_t k0 = 0;                                                             \
		for (; k0 + W <= K; k0 += W) {                                             \
			VD v, ak;                                                          \
			memcpy(&ak, a + k0, sizeof ak);                                    \
			for (int j = 0; j < W; j++)                                        \
				v[j] = (double)g[k0 + j];                                  \
			v = ak + s * v;                                                    \
			memcpy(e + k0, &v, sizeof v);                                      \
			m = SEL(VD, VL, v < m, v, m);                                      \
		}                                                                          \
		double r = INFINITY;                                                       \
		for (; k0 < K; k0++) {                                                     \
			double v = a[k0] + s * (double)g[k0];                              \
			e[k0] = v;                                                         \
			r = v < r ? v : r;                                                 \
		}                                                                          \
		for (int j = 0; j < W; j++)                                                \
			r = m[j] < r ? m[j] : r;                                           \
		return r;                                                                  \
	}

/* name(g, a, s, K, &m2, &kmin): the same fast distances, not stored:
 * returns the smallest, m2 the second smallest (counted with multiplicity:
 * equal to the smallest on a tie) and kmin the lowest k holding the
 * smallest.  Each lane keeps its two smallest values and the first k of its
 * smallest; the two smallest of all K are among those of the lanes. */
#define SCAN_TOP2(name, ATTR, T, VD, VL)                                               \
	ATTR static double name(const T *restrict g, const double *restrict a, double s,    \
	                        size_t K, double *m2, size_t *kmin)                         \
	{                                                                                  \
		enum { W = sizeof(VD) / sizeof(double) };                                  \
		VD m, n;                                                                   \
		VL ki, kc, w;                                                              \
		for (int j = 0; j < W; j++) {                                              \
			m[j] = n[j] = INFINITY;                                            \
			ki[j] = kc[j] = j;                                                 \
			w[j] = W;                                                          \
		}                                                                          \
		size_t k0 = 0;                                                             \
		for (; k0 + W <= K; k0 += W, kc += w) {                                    \
			VD v, ak;                                                          \
			memcpy(&ak, a + k0, sizeof ak);                                    \
			for (int j = 0; j < W; j++)                                        \
				v[j] = (double)g[k0 + j];                                  \
			v = ak + s * v;                                                    \
			VL lt = v < m;                                                     \
			VD hi = SEL(VD, VL, lt, m, v);              /* max(v, m) */        \
			n = SEL(VD, VL, hi < n, hi, n);                                    \
			m = SEL(VD, VL, lt, v, m);                                         \
			ki = (kc & lt) | (ki & ~lt);                                       \
		}                                                                          \
		double r1 = INFINITY, r2 = INFINITY;                                       \
		size_t rk = 0;                                                             \
		for (int j = 0; j < W; j++) {            /* the lanes, then the tail */    \
			double v = m[j], u = n[j];                                         \
			size_t k = (size_t)ki[j];                                          \
			if (v < r1 || (v == r1 && k < rk)) {                               \
				r2 = r1 < u ? r1 : u;                                      \
				r1 = v;                                                    \
				rk = k;                                                    \
			} else {                                                           \
				r2 = v < r2 ? v : r2;                                      \
			}                                                                  \
		}                                                                          \
		for (; k0 < K; k0++) {                                                     \
			double v = a[k0] + s * (double)g[k0];                              \
			if (v < r1) {                                                      \
				r2 = r1;                                                   \
				r1 = v;                                                    \
				rk = k0;                                                   \
			} else {                                                           \
				r2 = v < r2 ? v : r2;                                      \
			}                                                                  \
		}                                                                          \
		*m2 = r2;                                                                  \
		*kmin = rk;                                                                \
		return r1;                                                                 \
	}

/* name(e, K, thr, ks): the k with e[k] <= thr, ascending, into ks; returns
 * their number.  Blocks of 2W are tested at once: almost every block holds
 * none. */
#define SCAN_LE(name, ATTR, VD, VL)                                                    \
	ATTR static size_t name(const double *restrict e, size_t K, double thr,             \
	                        size_t *restrict ks)                                        \
	{                                                                                  \
		enum { W = sizeof(VD) / sizeof(double) };                                  \
		size_t n = 0, k0 = 0;                                                      \
		VD t;                                                                      \
		for (int j = 0; j < W; j++)                                                \
			t[j] = thr;                                                        \
		for (; k0 + 2 * W <= K; k0 += 2 * W) {                                     \
			VD e0, e1;                                                         \
			memcpy(&e0, e + k0, sizeof e0);                                    \
			memcpy(&e1, e + k0 + W, sizeof e1);                                \
			VL h = (e0 <= t) | (e1 <= t);                                      \
			long long any = 0;                                                 \
			for (int j = 0; j < W; j++)                                        \
				any |= h[j];                                               \
			if (!any)                                                          \
				continue;                                                  \
			for (size_t j = 0; j < 2 * W; j++)                                 \
				if (e[k0 + j] <= thr)                                      \
					ks[n++] = k0 + j;                                  \
		}                                                                          \
		for (; k0 < K; k0++)                                                       \
			if (e[k0] <= thr)                                                  \
				ks[n++] = k0;                                              \
		return n;                                                                  \
	}

#define VQ_KERNELS(sfx, ATTR, VD, VL)                                                  \
	SCAN_MIN(scan_min_f32##sfx, ATTR, float, VD, VL)                                   \
	SCAN_MIN(scan_min_f64##sfx, ATTR, double, VD, VL)                                  \
	SCAN_TOP2(scan_top2_f32##sfx, ATTR, float, VD, VL)                                 \
	SCAN_TOP2(scan_top2_f64##sfx, ATTR, double, VD, VL)                                \
	SCAN_LE(scan_le##sfx, ATTR, VD, VL)
VQ_KERNELS(_128, , vd2, vl2)
#ifdef VQ_X86
VQ_KERNELS(_256, __attribute__((target("avx2"))), vd4, vl4)
VQ_KERNELS(_512, __attribute__((target("avx512f"))), vd8, vl8)
#endif

/* The scans of one width, picked once per search. */
typedef struct {
	double (*min_f32)(const float *restrict, const double *restrict, double, size_t, double *restrict);
	double (*min_f64)(const double *restrict, const double *restrict, double, size_t, double *restrict);
	double (*top2_f32)(const float *restrict, const double *restrict, double, size_t, double *, size_t *);
	double (*top2_f64)(const double *restrict, const double *restrict, double, size_t, double *, size_t *);
	size_t (*le)(const double *restrict, size_t, double, size_t *restrict);
} vq_scans;

#define VQ_SCANS(sfx) (vq_scans){ scan_min_f32##sfx, scan_min_f64##sfx, scan_top2_f32##sfx, \
	                          scan_top2_f64##sfx, scan_le##sfx }

static vq_scans pick_scans(void)
{
#ifdef VQ_X86
	if (__builtin_cpu_supports("avx512f"))
		return VQ_SCANS(_512);
	if (__builtin_cpu_supports("avx2"))
		return VQ_SCANS(_256);
#endif
	return VQ_SCANS(_128);
}

/* ===== search ======================================================== */

static void direct_one(const kx_vq_book *b, const double *x, const double *xh, size_t N,
                       cand *buf, long long *idx, double *dist)
{
	for (size_t k = 0; k < b->K; k++)
		buf[k] = (cand){ kx_vq_dist(b, x, xh, k), (long long)k };
	take_best(buf, b->K, N, idx, dist);
}

int kx_vq_search(const kx_vq_book *b, const double *X, size_t nx, size_t N, int mode,
                 long long *idx, double *dist)
{
	/* X: (nx, D) queries; idx, dist: (nx, N) out (dist may be NULL).  G =
	 * Xop C^T over a tile of tq queries: (tq, K), float or double by the
	 * tile's range class; e (K) one query's fast distances. */
	const size_t K = b->K, D = b->D;
	size_t tq = ((size_t)1 << 20) / K;
	tq = tq < 1 ? 1 : tq > 4096 ? 4096 : tq;
	if (tq > nx)
		tq = nx ? nx : 1;
	int cos = b->metric == KX_VQ_COSINE;
	const vq_scans sc = pick_scans();
	cand *buf = malloc(K * sizeof *buf);
	double *e = malloc(2 * K * sizeof *e);
	size_t *ks = malloc(K * sizeof *ks);
	double *off = b->metric == KX_VQ_L2 ? NULL : malloc(K * sizeof *off);
	double *xh = cos ? malloc(tq * D * sizeof *xh) : NULL;   /* normalised queries */
	double *xn = malloc(tq * sizeof *xn);          /* upper bounds of ||x||^2 */
	double *dmine = malloc(N * sizeof *dmine);     /* distances nobody asked for */
	double *G = NULL;
	float *Gf = NULL, *Xf = NULL;
	int rc = -1;
	if (!buf || !e || !ks || (!off && b->metric != KX_VQ_L2) || (cos && !xh) || !xn || !dmine)
		goto done;
	/* fast distance e_k = a_k + s G_ik: l2 ||c_k||^2 - 2 x.c_k (||x||^2, the
	 * same for every k, left out); ip -x.c_k; cosine 1 - x^.c^_k */
	const double *a = b->metric == KX_VQ_L2 ? b->nrm : off;
	double s = b->metric == KX_VQ_L2 ? -2 : -1;
	for (size_t k = 0; off && k < K; k++)
		off[k] = cos ? 1 : 0;
	int cap = mode == KX_VQ_DIRECT ? KX_VQ_DIRECT : mode == KX_VQ_F64 ? KX_VQ_F64 : KX_VQ_F32;
	cap = cls_min(cap, b->range);
	if (cap == KX_VQ_F32 && (!(Gf = malloc(tq * K * sizeof *Gf)) || !(Xf = malloc(tq * D * sizeof *Xf))))
		goto done;

	for (size_t q0 = 0; q0 < nx; q0 += tq) {
		size_t n = nx - q0 < tq ? nx - q0 : tq;
		const double *X_t = X + q0 * D;
		for (size_t i = 0; cos && i < n; i++)
			kx_vq_normalise(X_t + i * D, D, xh + i * D);
		const double *Xop = cos ? xh : X_t;       /* (n, D) the GEMM operand */
		int cls = cap;
		if (cls != KX_VQ_DIRECT)
			cls = cls_min(cls, prep_rows(Xop, n, D, cap == KX_VQ_F32 ? Xf : NULL, xn));
		if (cls == KX_VQ_DIRECT) {
			for (size_t i = 0; i < n; i++)
				direct_one(b, X_t + i * D, cos ? xh + i * D : NULL, N, buf, idx + (q0 + i) * N,
				           dist ? dist + (q0 + i) * N : dmine);
			continue;
		}
		double u;                                  /* unit roundoff of the GEMM */
		if (cls == KX_VQ_F32) {
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)K, (int)D, 1.0f,
			            Xf, (int)D, b->Cf, (int)D, 0.0f, Gf, (int)K);
			u = 0x1p-24;
		} else {
			if (!G && !(G = malloc(tq * K * sizeof *G)))
				goto done;
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)K, (int)D, 1.0,
			            Xop, (int)D, cos ? b->Ch : b->C, (int)D, 0.0, G, (int)K);
			u = 0x1p-53;
		}
		for (size_t i = 0; i < n; i++) {
			const double *x = X_t + i * D, *xhi = cos ? xh + i * D : NULL;
			long long *idx_i = idx + (q0 + i) * N;
			double *dist_i = dist ? dist + (q0 + i) * N : NULL;
			/* S of 2.2 from an upper bound of ||x||^2: the margin only grows */
			double S = b->metric == KX_VQ_L2 ? xn[i] + b->smax
			         : b->metric == KX_VQ_IP ? sqrt(xn[i]) * (1 + 0x1p-40) * b->smax : 1;
			/* 2.2: every true answer has d~ <= m~ + 2E, with E the forward
			 * error of one fast distance; 8 (D + 4) u S is at least 2E */
			double margin = 8.0 * ((double)D + 4) * u * S, m2, m;
			size_t nc = 0;
			if (N == 1) {       /* usually the only candidate is the minimum */
				m = cls == KX_VQ_F32 ? sc.top2_f32(Gf + i * K, a, s, K, &m2, ks)
				                     : sc.top2_f64(G + i * K, a, s, K, &m2, ks);
				nc = m2 > m + margin;
			}
			if (!nc) {
				m = cls == KX_VQ_F32 ? sc.min_f32(Gf + i * K, a, s, K, e)
				                     : sc.min_f64(G + i * K, a, s, K, e);
				if (N > 1)
					m = nth_smallest(e, K, N, e + K);
				nc = sc.le(e, K, m + margin, ks);
			}
			if (nc < N) {       /* cannot happen with a valid bound; stay exact anyway */
				direct_one(b, x, xhi, N, buf, idx_i, dist_i ? dist_i : dmine);
				continue;
			}
			if (nc == 1 && !dist_i) {   /* the one candidate: no distance wanted */
				idx_i[0] = (long long)ks[0];
				continue;
			}
			for (size_t c = 0; c < nc; c++)
				buf[c] = (cand){ kx_vq_dist(b, x, xhi, ks[c]), (long long)ks[c] };
			take_best(buf, nc, N, idx_i, dist_i ? dist_i : dmine);
		}
	}
	rc = 0;
done:
	free(buf);
	free(e);
	free(ks);
	free(off);
	free(xh);
	free(xn);
	free(dmine);
	free(G);
	free(Gf);
	free(Xf);
	return rc;
}
