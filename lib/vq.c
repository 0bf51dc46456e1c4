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
	/* X: (nx, D) queries; idx, dist: (nx, N) out.  G = Xop C^T over a tile of
	 * tq queries: (tq, K), float or double by the tile's range class. */
	const size_t K = b->K, D = b->D;
	size_t tq = ((size_t)1 << 20) / K;
	tq = tq < 1 ? 1 : tq > 4096 ? 4096 : tq;
	if (tq > nx)
		tq = nx ? nx : 1;
	int cos = b->metric == KX_VQ_COSINE;
	cand *buf = malloc(K * sizeof *buf);
	double *drow = malloc(2 * K * sizeof *drow);
	double *xh = malloc(tq * D * sizeof *xh);      /* normalised queries (cosine) */
	double *xn = malloc(tq * sizeof *xn);          /* l2: ||x||^2; ip, cosine: ||x|| */
	double *G = NULL;
	float *Gf = NULL, *Xf = NULL;
	int rc = -1;
	if (!buf || !drow || !xh || !xn)
		goto done;
	int cap = mode == KX_VQ_DIRECT ? KX_VQ_DIRECT : mode == KX_VQ_F64 ? KX_VQ_F64 : KX_VQ_F32;
	cap = cls_min(cap, b->range);
	if (cap == KX_VQ_F32 && (!(Gf = malloc(tq * K * sizeof *Gf)) || !(Xf = malloc(tq * D * sizeof *Xf))))
		goto done;

	for (size_t q0 = 0; q0 < nx; q0 += tq) {
		size_t n = nx - q0 < tq ? nx - q0 : tq;
		const double *X_t = X + q0 * D;
		int cls = cap;
		for (size_t i = 0; i < n; i++) {
			const double *x = X_t + i * D;
			if (cos) {
				xn[i] = kx_vq_normalise(x, D, xh + i * D);
				x = xh + i * D;
			} else {
				double s = dot(x, x, D);
				xn[i] = b->metric == KX_VQ_L2 ? s : sqrt(s);
			}
			if (cls != KX_VQ_DIRECT)
				cls = cls_min(cls, range_class(x, D));
		}
		if (cls == KX_VQ_DIRECT) {
			for (size_t i = 0; i < n; i++)
				direct_one(b, X_t + i * D, xh + i * D, N, buf, idx + (q0 + i) * N,
				           dist + (q0 + i) * N);
			continue;
		}
		const double *Xop = cos ? xh : X_t;       /* (n, D) */
		double u;                                  /* unit roundoff of the GEMM */
		if (cls == KX_VQ_F32) {
			for (size_t i = 0; i < n * D; i++)
				Xf[i] = (float)Xop[i];
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
			const double *x = X_t + i * D;
			/* fast distances: the norm expansion (faiss), accurate to a few
			 * u * S; negative l2 values are harmless here because every
			 * reported distance is recomputed below.  One pass, min fused. */
			double S = b->metric == KX_VQ_L2 ? xn[i] + b->smax : b->metric == KX_VQ_IP ? xn[i] * b->smax : 1;
			double m = INFINITY;
			if (cls == KX_VQ_F32) {
				const float *G_i = Gf + i * K;
				if (b->metric == KX_VQ_L2)
					for (size_t k = 0; k < K; k++) {
						drow[k] = b->nrm[k] - 2 * (double)G_i[k] + xn[i];
						m = drow[k] < m ? drow[k] : m;
					}
				else
					for (size_t k = 0; k < K; k++) {
						drow[k] = b->metric == KX_VQ_IP ? -(double)G_i[k] : 1 - (double)G_i[k];
						m = drow[k] < m ? drow[k] : m;
					}
			} else {
				const double *G_i = G + i * K;
				if (b->metric == KX_VQ_L2)
					for (size_t k = 0; k < K; k++) {
						drow[k] = b->nrm[k] - 2 * G_i[k] + xn[i];
						m = drow[k] < m ? drow[k] : m;
					}
				else
					for (size_t k = 0; k < K; k++) {
						drow[k] = b->metric == KX_VQ_IP ? -G_i[k] : 1 - G_i[k];
						m = drow[k] < m ? drow[k] : m;
					}
			}
			if (N > 1)
				m = nth_smallest(drow, K, N, drow + K);
			/* 2.2: every true answer has d~ <= m~ + 2E, with E the forward
			 * error of one fast distance; 8 (D + 4) u S is at least 2E */
			double thr = m + 8.0 * ((double)D + 4) * u * S;
			size_t nc = 0;
			for (size_t k = 0; k < K; k++)
				if (drow[k] <= thr)
					buf[nc++] = (cand){ kx_vq_dist(b, x, xh + i * D, k), (long long)k };
			if (nc < N) {       /* cannot happen with a valid bound; stay exact anyway */
				direct_one(b, x, xh + i * D, N, buf, idx + (q0 + i) * N, dist + (q0 + i) * N);
				continue;
			}
			take_best(buf, nc, N, idx + (q0 + i) * N, dist + (q0 + i) * N);
		}
	}
	rc = 0;
done:
	free(buf);
	free(drow);
	free(xh);
	free(xn);
	free(G);
	free(Gf);
	free(Xf);
	return rc;
}
