/*
 * fsq.c — finite scalar quantisation kernels (quantize.md section 1).
 * Shapes: d dimensions, L_i levels each, K = prod L_i.  All arithmetic in
 * double.  See fsq.h for units and ownership.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fsq.h"
#include "vexp.h"      /* KX_CLONES */

/* ===== levels, presets ================================================= */

int kx_fsq_check(const long long *levels, size_t d, int bound, double eps, uint64_t *K)
{
	/* levels: (d,) integers >= 2; K: out, prod levels */
	if (d == 0)
		return KX_FSQ_EEMPTY;
	uint64_t k = 1;
	int toobig = 0, two = 0;
	for (size_t i = 0; i < d; i++) {
		if (levels[i] < 2 || (uint64_t)levels[i] > KX_FSQ_MAXK)
			return KX_FSQ_ELEVEL;
		if (levels[i] == 2)
			two = 1;
		/* k * L <= 2^32 checked without overflow: k <= 2^32 always holds here */
		if (!toobig && k > KX_FSQ_MAXK / (uint64_t)levels[i])
			toobig = 1;
		else if (!toobig)
			k *= (uint64_t)levels[i];
	}
	if (bound < KX_FSQ_ATANH || bound > KX_FSQ_SYMMETRIC)
		return KX_FSQ_EBOUND;
	if (!(eps > 0 && eps <= 0.1))
		return KX_FSQ_EEPS;
	if (two && bound == KX_FSQ_ATANH)
		return KX_FSQ_EL2ATANH;
	if (toobig)
		return KX_FSQ_ETOOBIG;
	if (K)
		*K = k;
	return KX_FSQ_OK;
}

const long long *kx_fsq_preset(int bits, size_t *d)
{
	/* Paper Table 1 (8, 10, 12, 14, 16) and Appendix A.4.1 (4, 6, 9, 11);
	 * A.4.1's [7,5,5,5] for 2^12 is a typo against Table 1, which wins. */
	static const long long p4[] = { 5, 3 }, p6[] = { 8, 8 }, p8[] = { 8, 6, 5 },
	                       p9[] = { 8, 8, 8 }, p10[] = { 8, 5, 5, 5 }, p11[] = { 8, 8, 6, 5 },
	                       p12[] = { 7, 5, 5, 5, 5 }, p14[] = { 8, 8, 8, 6, 5 },
	                       p16[] = { 8, 8, 8, 5, 5, 5 };
	static const struct { int bits; const long long *l; size_t d; } tab[] = {
		{ 4, p4, 2 }, { 6, p6, 2 }, { 8, p8, 3 }, { 9, p9, 3 }, { 10, p10, 4 },
		{ 11, p11, 4 }, { 12, p12, 5 }, { 14, p14, 5 }, { 16, p16, 6 },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].bits == bits) {
			*d = tab[i].d;
			return tab[i].l;
		}
	return NULL;
}

/* ===== construction ==================================================== */

void kx_fsq_free(kx_fsq *q)
{
	free(q->L);
	free(q->hw);
	free(q->basis);
	free(q->half_l);
	free(q->offset);
	free(q->shift);
	free(q->thr);
	free(q->thr_off);
	free(q->tab);
	*q = (kx_fsq){ 0 };
}

double kx_fsq_threshold(const kx_fsq *q, size_t i, uint64_t j)
{
	double Lm1 = (double)q->L[i] - 1;
	if (q->bound == KX_FSQ_SYMMETRIC)
		/* t(z) = (L-1)(tanh z + 1)/2 crosses j + 0.5 at tanh z = 2(j+0.5)/(L-1) - 1,
		 * inside (-1, 1) for every j; for even L the middle one is exactly 0, so
		 * z = 0 goes up (floor(t + 0.5)). */
		return atanh(2 * ((double)j + 0.5) / Lm1 - 1);
	/* tanh modes: b(z) = g(z + shift) h - o = k + 0.5 with k = j - hw, so
	 * z = g^-1((k + 0.5 + o)/h) - shift, g = tanh (atanh, paper) or the clamp.
	 * a = (k + 0.5 + o)/h <= -1: b is above k + 0.5 for every z, -inf;
	 * a >= 1: b never gets there (paper with (L-1) eps >= 1), NaN. */
	double a = ((double)j - (double)q->hw[i] + 0.5 + q->offset[i]) / q->half_l[i];
	if (a <= -1)
		return -INFINITY;
	if (a >= 1)
		return NAN;
	return (q->bound == KX_FSQ_CLAMP ? a : atanh(a)) - q->shift[i];
}

int kx_fsq_init(kx_fsq *q, const long long *levels, size_t d, int bound, double eps)
{
	*q = (kx_fsq){ 0 };
	uint64_t K;
	int st = kx_fsq_check(levels, d, bound, eps, &K);
	if (st != KX_FSQ_OK)
		return st;
	size_t nthr = 0;
	for (size_t i = 0; i < d; i++)
		if (levels[i] <= KX_FSQ_TABLE_MAX)
			nthr += (size_t)levels[i] - 1;
	q->d = d;
	q->bound = bound;
	q->eps = eps;
	q->K = K;
	q->L = malloc(d * sizeof *q->L);
	q->hw = malloc(d * sizeof *q->hw);
	q->basis = malloc(d * sizeof *q->basis);
	q->half_l = malloc(d * sizeof *q->half_l);
	q->offset = malloc(d * sizeof *q->offset);
	q->shift = malloc(d * sizeof *q->shift);
	q->thr = malloc((nthr ? nthr : 1) * sizeof *q->thr);
	q->thr_off = malloc((d + 1) * sizeof *q->thr_off);
	q->tab = malloc(d);
	if (!q->L || !q->hw || !q->basis || !q->half_l || !q->offset || !q->shift || !q->thr ||
	    !q->thr_off || !q->tab) {
		kx_fsq_free(q);
		return KX_FSQ_ENOMEM;
	}
	uint64_t b = 1;
	size_t off = 0;
	for (size_t i = 0; i < d; i++) {
		uint64_t L = (uint64_t)levels[i];
		double Lm1 = (double)L - 1;
		q->L[i] = L;
		q->hw[i] = L / 2;
		q->basis[i] = b;
		b *= L;
		if (bound == KX_FSQ_SYMMETRIC) {
			q->half_l[i] = Lm1 / 2;
			q->offset[i] = 0;
			q->shift[i] = 0;
		} else {
			double h = Lm1 * (bound == KX_FSQ_PAPER ? 1 - eps : 1 + eps) / 2;
			double o = (L % 2 == 0) ? 0.5 : 0.0;
			q->half_l[i] = h;
			q->offset[i] = o;
			/* The shift makes b(0) = 0 for even L: atanh (the corrected
			 * bound), tan (the paper's listing, issue #94: b(0) only ~0),
			 * the identity (the clamp's linear inverse). */
			q->shift[i] = bound == KX_FSQ_PAPER ? tan(o / h) : bound == KX_FSQ_CLAMP ? o / h
			            : atanh(o / h);
		}
		q->thr_off[i] = off;
		q->tab[i] = L <= KX_FSQ_TABLE_MAX;
		if (!q->tab[i])
			continue;
		/* Unreachable top thresholds (NaN) are left out, so the count tops
		 * out below L - 1 just as rint of the bound does. */
		for (uint64_t j = 0; j + 1 < L; j++) {
			double t = kx_fsq_threshold(q, i, j);
			if (isnan(t))
				break;
			q->thr[off++] = t;
		}
	}
	q->thr_off[d] = off;
	return KX_FSQ_OK;
}

/* ===== one dimension =================================================== */

double kx_fsq_bound(const kx_fsq *q, size_t i, double z)
{
	if (q->bound == KX_FSQ_SYMMETRIC)
		return 2 * q->half_l[i] * (tanh(z) + 1) / 2;
	double u = z + q->shift[i];
	if (q->bound == KX_FSQ_CLAMP)
		u = u < -1 ? -1 : u > 1 ? 1 : u;
	else
		u = tanh(u);
	return u * q->half_l[i] - q->offset[i];
}

static uint32_t clamp_digit(const kx_fsq *q, size_t i, double l)
{
	/* l: a whole number as a double; clamp to [0, L-1] before converting */
	if (!(l > 0))
		return 0;
	if (l > (double)q->L[i] - 1)
		return (uint32_t)(q->L[i] - 1);
	return (uint32_t)l;
}

uint32_t kx_fsq_digit_ref(const kx_fsq *q, size_t i, double z)
{
	double b = kx_fsq_bound(q, i, z);
	if (q->bound == KX_FSQ_SYMMETRIC)
		return clamp_digit(q, i, floor(b + 0.5));       /* half up (lucidrains) */
	return clamp_digit(q, i, rint(b) + q->hw[i]);         /* half to even (jnp/torch round) */
}

/* digit = #{k : z >= thr_k}: ascending thresholds, -inf ones always counted.
 * A short branch-free count for small L (the compiler vectorises it), a
 * binary search for large L.  Inlined into the vector encoder. */
static inline uint32_t digit_tab(const kx_fsq *q, size_t i, double z)
{
	if (!q->tab[i])
		return kx_fsq_digit_ref(q, i, z);
	const double *t = q->thr + q->thr_off[i];
	size_t n = q->thr_off[i + 1] - q->thr_off[i];
	if (n <= 16) {
		uint32_t c = 0;
		for (size_t k = 0; k < n; k++)
			c += z >= t[k];
		return c;
	}
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z >= t[mid])
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

uint32_t kx_fsq_digit(const kx_fsq *q, size_t i, double z)
{
	return digit_tab(q, i, z);
}

double kx_fsq_code(const kx_fsq *q, size_t i, uint32_t l)
{
	if (q->bound == KX_FSQ_SYMMETRIC) {
		double Lm1 = (double)q->L[i] - 1;
		return (2 * (double)l - Lm1) / Lm1;
	}
	double hw = q->hw[i];
	return ((double)l - hw) / hw;     /* r/hw, one rounding */
}

double *kx_fsq_code_table(const kx_fsq *q, size_t *off)
{
	size_t n = 0;
	for (size_t i = 0; i < q->d; i++)
		off[i] = n, n += q->L[i];
	double *t = malloc((n ? n : 1) * sizeof *t);
	for (size_t i = 0; t && i < q->d; i++)
		for (uint64_t l = 0; l < q->L[i]; l++)
			t[off[i] + l] = kx_fsq_code(q, i, (uint32_t)l);
	return t;
}

uint32_t kx_fsq_code_digit(const kx_fsq *q, size_t i, double code)
{
	/* round before the integer conversion (lucidrains .round().to(int32));
	 * truncation breaks as soon as code*hw + hw lands just below a whole
	 * number (issue #107) */
	if (q->bound == KX_FSQ_SYMMETRIC)
		return clamp_digit(q, i, rint((code + 1) * ((double)q->L[i] - 1) / 2));
	double hw = q->hw[i];
	return clamp_digit(q, i, rint(code * hw + hw));
}

double kx_fsq_bounded(const kx_fsq *q, size_t i, double z)
{
	if (q->bound == KX_FSQ_SYMMETRIC)
		return tanh(z);
	return kx_fsq_bound(q, i, z) / q->hw[i];
}

/* ===== vectors ========================================================= */

void kx_fsq_encode(const kx_fsq *q, const double *z, uint32_t *level, double *code,
                   double *bounded, uint64_t *index)
{
	/* z: (d,); level, code, bounded: (d,) or NULL; index: scalar or NULL */
	uint64_t idx = 0;
	for (size_t i = 0; i < q->d; i++) {
		uint32_t l = digit_tab(q, i, z[i]);
		idx += (uint64_t)l * q->basis[i];
		if (level)
			level[i] = l;
		if (code)
			code[i] = kx_fsq_code(q, i, l);
		if (bounded)
			bounded[i] = kx_fsq_bounded(q, i, z[i]);
	}
	if (index)
		*index = idx;
}

uint64_t kx_fsq_index(const kx_fsq *q, const uint32_t *l)
{
	uint64_t idx = 0;
	for (size_t i = 0; i < q->d; i++)
		idx += (uint64_t)l[i] * q->basis[i];
	return idx;
}

void kx_fsq_decode(const kx_fsq *q, uint64_t index, uint32_t *level, double *code)
{
	/* mixed radix, dimension 0 least significant: peel digits in order */
	for (size_t i = 0; i < q->d; i++) {
		uint32_t l = (uint32_t)(index % q->L[i]);   /* < L <= 2^32 */
		index /= q->L[i];
		if (level)
			level[i] = l;
		if (code)
			code[i] = kx_fsq_code(q, i, l);
	}
}

/* ===== the raw float32 fast path ===================================== */

/* The least float >= t (t not NaN; -inf stays -inf, above FLT_MAX is +inf). */
static float ceil_float(double t)
{
	float f = (float)t;
	if ((double)f < t)
		f = nextafterf(f, INFINITY);
	return f;
}

void kx_fsq_f32_free(kx_fsq_f32 *f)
{
	free(f->thr);
	free(f->basis);
	free(f->cnt);
	*f = (kx_fsq_f32){ 0 };
}

int kx_fsq_f32_init(kx_fsq_f32 *f, const kx_fsq *q)
{
	*f = (kx_fsq_f32){ 0 };
	size_t d = q->d, nk = 1, w = KX_FSQ_F32_CHUNK * d;
	for (size_t i = 0; i < d; i++) {
		size_t n = q->tab[i] ? q->thr_off[i + 1] - q->thr_off[i] : KX_FSQ_F32_MAXTHR + 1;
		if (n > KX_FSQ_F32_MAXTHR)
			return -1;
		nk = n > nk ? n : nk;
	}
	nk = (nk + 3) / 4 * 4;                 /* count_f32 takes four a pass */
	f->d = d;
	f->nk = nk;
	f->thr = malloc(nk * w * sizeof *f->thr);
	f->basis = malloc(d * sizeof *f->basis);
	f->cnt = malloc(w * sizeof *f->cnt);
	if (!f->thr || !f->basis || !f->cnt) {
		kx_fsq_f32_free(f);
		return -1;
	}
	for (size_t i = 0; i < d; i++)
		f->basis[i] = (uint32_t)q->basis[i];   /* < 2^32: K <= 2^32 and L_i >= 2 */
	for (size_t k = 0; k < nk; k++)
		for (size_t e = 0; e < w; e++) {
			size_t i = e % d, n = q->thr_off[i + 1] - q->thr_off[i];
			f->thr[k * w + e] = k < n ? ceil_float(q->thr[q->thr_off[i] + k]) : NAN;
		}
	return 0;
}

/* digits of w values (cnt), every value against every threshold of its
 * dimension, four thresholds a pass (nk is a multiple of 4); *nan = 1 when
 * some value is NaN */
KX_CLONES static void count_f32(const float *restrict z, size_t w, const float *restrict thr,
                                size_t stride, size_t nk, uint32_t *restrict cnt, int *nan)
{
	int bad = 0;
	const float *t0 = thr, *t1 = thr + stride, *t2 = thr + 2 * stride, *t3 = thr + 3 * stride;
	for (size_t e = 0; e < w; e++) {
		cnt[e] = (uint32_t)(z[e] >= t0[e]) + (z[e] >= t1[e]) + (z[e] >= t2[e]) + (z[e] >= t3[e]);
		bad |= z[e] != z[e];
	}
	for (size_t k = 4; k < nk; k += 4) {
		t0 = thr + k * stride, t1 = t0 + stride, t2 = t1 + stride, t3 = t2 + stride;
		for (size_t e = 0; e < w; e++)
			cnt[e] += (uint32_t)(z[e] >= t0[e]) + (z[e] >= t1[e]) + (z[e] >= t2[e]) + (z[e] >= t3[e]);
	}
	*nan = bad;
}

/* idx_r = sum_i cnt_{r d + i} basis_i, r < m: with d a constant for d <= 8,
 * so that gcc vectorises across vectors.  Whole numbers below 2^32: exact. */
static inline void index_d(const uint32_t *restrict cnt, size_t m, size_t d,
                           const uint32_t *restrict basis, uint32_t *restrict idx)
{
	for (size_t r = 0; r < m; r++) {
		uint32_t v = 0;
		for (size_t i = 0; i < d; i++)
			v += cnt[r * d + i] * basis[i];
		idx[r] = v;
	}
}

KX_CLONES static void index_f32(const uint32_t *restrict cnt, size_t m, size_t d,
                                const uint32_t *restrict basis, uint32_t *restrict idx)
{
	switch (d) {
	case 1: index_d(cnt, m, 1, basis, idx); break;
	case 2: index_d(cnt, m, 2, basis, idx); break;
	case 3: index_d(cnt, m, 3, basis, idx); break;
	case 4: index_d(cnt, m, 4, basis, idx); break;
	case 5: index_d(cnt, m, 5, basis, idx); break;
	case 6: index_d(cnt, m, 6, basis, idx); break;
	case 7: index_d(cnt, m, 7, basis, idx); break;
	case 8: index_d(cnt, m, 8, basis, idx); break;
	default: index_d(cnt, m, d, basis, idx); break;
	}
}

size_t kx_fsq_encode_f32(kx_fsq_f32 *f, const float *z, size_t n, uint32_t *level, uint32_t *idx)
{
	size_t d = f->d, stride = KX_FSQ_F32_CHUNK * d;
	for (size_t r0 = 0; r0 < n; r0 += KX_FSQ_F32_CHUNK) {
		size_t m = n - r0 < KX_FSQ_F32_CHUNK ? n - r0 : KX_FSQ_F32_CHUNK;
		const float *zc = z + r0 * d;
		int nan;
		count_f32(zc, m * d, f->thr, stride, f->nk, f->cnt, &nan);
		if (nan)                             /* the first vector with a NaN */
			for (size_t r = 0; r < m; r++)
				for (size_t i = 0; i < d; i++)
					if (zc[r * d + i] != zc[r * d + i]) {
						n = r0 + r;
						m = r;
						goto out;
					}
out:
		if (level)
			memcpy(level + r0 * d, f->cnt, m * d * sizeof *level);
		if (idx)
			index_f32(f->cnt, m, d, f->basis, idx + r0);
		if (nan)
			break;
	}
	return n;
}

/* ===== statistics ====================================================== */

/* P(X < x) and P(X >= x) for X ~ N(0, 1), each from erfc so that a tail
 * probability keeps its relative accuracy. */
static double phi_lo(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
static double phi_hi(double x) { return 0.5 * erfc(x / sqrt(2.0)); }

double kx_fsq_gauss_entropy(const kx_fsq *q, double sigma)
{
	double h = 0;
	for (size_t i = 0; i < q->d; i++) {
		/* digit k covers [t_{k-1}, t_k) with t_{-1} = -inf and +inf after
		 * the last reachable threshold */
		double a = -INFINITY;
		for (uint64_t k = 0; k < q->L[i]; k++) {
			double t = k + 1 < q->L[i] ? kx_fsq_threshold(q, i, k) : NAN;
			double b = isnan(t) ? INFINITY : t / sigma;
			/* difference of the smaller tails: upper tails right of 0 */
			double p = a >= 0 ? phi_hi(a) - phi_hi(b) : phi_lo(b) - phi_lo(a);
			if (p > 0)
				h -= p * log2(p);
			if (isinf(b))
				break;
			a = b;
		}
	}
	return h;
}
