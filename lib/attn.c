/*
 * attn.c — kernels of attn-scale-sweep (attn-scale.md 4).  Shapes: n keys,
 * d width, T samples, G grid points (see attn.h).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attn.h"
#include "vexp.h"
#include "vmath.h"

/* ===== the objective of one sample (4.2) ============================== */

double kx_attn_objective(const double *s, size_t n, double alpha)
{
	/* s: (n,) scores.  With j the first maximum, e_i = exp(alpha (s_i - s_j))
	 * <= 1, r = sum_{i != j} e_i, r2 = sum e_i^2: p_j = 1/(1+r), p_i = e_i/(1+r)
	 * and 1 - sum p^2 = (2r + r^2 - r2)/(1+r)^2 exactly.  r^2 - r2 is the sum of
	 * the cross products e_i e_k >= 0, so the numerator is >= 2r: no
	 * cancellation, even where G is 1e-300. */
	if (alpha == 0 || n <= 1)
		return 0;
	size_t j = 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] > s[j])
			j = i;
	double r = 0, r2 = 0, sj = s[j];
	for (size_t i = 0; i < n; i++) {
		if (i == j)
			continue;
		double e = kx_exp_neg(alpha * (s[i] - sj));
		r += e;
		r2 += e * e;
	}
	return alpha * (2 * r + r * r - r2) / ((1 + r) * (1 + r));
}

double kx_attn_objective_gaps(const double *g, size_t m, double alpha)
{
	/* g: (m,) gaps s_i - s_j <= 0 to the first maximum j, in index order: the
	 * same products alpha * (s_i - s_j) and sums as kx_attn_objective. */
	if (alpha == 0 || m == 0)
		return 0;
	double r = 0, r2 = 0;
	for (size_t i = 0; i < m; i++) {
		double e = kx_exp_neg(alpha * g[i]);
		r += e;
		r2 += e * e;
	}
	return alpha * (2 * r + r * r - r2) / ((1 + r) * (1 + r));
}

void kx_attn_to_gaps(double *s, size_t *off, size_t T, size_t n)
{
	/* Sample t moves from [b, e) to [b - t, e - t - 1): every write lands at or
	 * before the value it replaces, which has been read already. */
	size_t w = 0;
	for (size_t t = 0; t < T; t++) {
		size_t b = off ? off[t] : t * n, e = off ? off[t + 1] : (t + 1) * n;
		if (off)
			off[t] = w;
		if (e == b)
			continue;
		size_t j = b;
		for (size_t i = b + 1; i < e; i++)
			if (s[i] > s[j])
				j = i;
		double sj = s[j];
		for (size_t i = b; i < e; i++)
			if (i != j)
				s[w++] = s[i] - sj;
	}
	if (off)
		off[T] = w;
}

void kx_attn_interleave(double *s, size_t T, size_t m, double *work)
{
	/* work: (8m,) one block in the plain layout, copied out, then written back
	 * side by side. */
	for (size_t b = 0; b < T; b += KX_ATTN_LANES) {
		size_t L = T - b < KX_ATTN_LANES ? T - b : KX_ATTN_LANES;
		double *blk = s + b * m;
		memcpy(work, blk, L * m * sizeof *work);
		for (size_t l = 0; l < L; l++)
			for (size_t i = 0; i < m; i++)
				blk[i * L + l] = work[l * m + i];
	}
}

size_t kx_attn_pack_work(const kx_attn_samples *S)
{
	size_t m = S->off ? (S->T ? S->off[1] - S->off[0] : 0) : S->n;
	return KX_ATTN_LANES * m + 1;
}

int kx_attn_pack(kx_attn_samples *S, double *work)
{
	if (S->gaps != 1 || S->T == 0)
		return 0;
	size_t m = S->n;
	if (S->off) {
		m = S->off[1] - S->off[0];
		for (size_t t = 0; t < S->T; t++)
			if (S->off[t + 1] - S->off[t] != m || S->off[t] != t * m)
				return 0;
	}
	kx_attn_interleave((double *)S->s, S->T, m, work);
	S->off = NULL;
	S->n = m;
	S->gaps = 2;
	return 1;
}

/* The objectives of 8 interleaved samples g: (m, 8) at alpha > 0: the sums
 * of kx_attn_objective_gaps, lane by lane in the same order; one row of g is
 * one vector, kx_exp_neg8 gives the bits of kx_exp_neg, and so does
 * kx_exp_neg8_708 (fewer operations) when alpha times the least gap is
 * >= -708 (alpha g is monotone in g; a NaN or infinite gap takes the
 * general form, which gives 0 for NaN as kx_exp_neg does). */
_Static_assert(KX_ATTN_LANES == 8, "a row of 8 lanes is one kx_v8d");
#define OBJECTIVE_ROWS(EXP8)                                        \
	for (size_t i = 0; i < m; i++) {                            \
		kx_v8d e;                                           \
		memcpy(&e, g + i * KX_ATTN_LANES, sizeof e);        \
		e *= alpha;                                         \
		EXP8(&e);                                           \
		r += e;                                             \
		r2 += e * e;                                        \
	}
KX_CLONES3
static void objective_lanes(const double *restrict g, size_t m, double alpha, double *restrict out)
{
	kx_v8d r = { 0 }, r2 = { 0 }, c = { 0 }, mn = { INFINITY, INFINITY, INFINITY, INFINITY,
	                                                INFINITY, INFINITY, INFINITY, INFINITY };
	for (size_t i = 0; i < m; i++) {
		kx_v8d v;
		memcpy(&v, g + i * KX_ATTN_LANES, sizeof v);
		kx_v8l lt = v < mn;
		mn = (kx_v8d)(((kx_v8l)v & lt) | ((kx_v8l)mn & ~lt));
		c += v * 0;                              /* NaN once a gap is NaN or infinite */
	}
	double gmin = 0;
	for (size_t l = 0; l < KX_ATTN_LANES; l++) {
		gmin = mn[l] < gmin ? mn[l] : gmin;
		gmin = c[l] == 0 ? gmin : -INFINITY;
	}
	if (alpha * gmin >= -708.0)
		OBJECTIVE_ROWS(kx_exp_neg8_708)
	else
		OBJECTIVE_ROWS(kx_exp_neg8)
	for (size_t l = 0; l < KX_ATTN_LANES; l++)
		out[l] = alpha * (2 * r[l] + r[l] * r[l] - r2[l]) / ((1 + r[l]) * (1 + r[l]));
}

/* The objective of lane l of a block of L interleaved samples: (m, L). */
static double objective_strided(const double *g, size_t m, size_t L, size_t l, double alpha)
{
	double r = 0, r2 = 0;
	for (size_t i = 0; i < m; i++) {
		double e = kx_exp_neg(alpha * g[i * L + l]);
		r += e;
		r2 += e * e;
	}
	return alpha * (2 * r + r * r - r2) / ((1 + r) * (1 + r));
}

static void eval_lanes(const kx_attn_samples *S, double alpha, double *work)
{
	size_t T = S->T, m = S->n;
	for (size_t b = 0; b < T; b += KX_ATTN_LANES) {
		size_t L = T - b < KX_ATTN_LANES ? T - b : KX_ATTN_LANES;
		const double *blk = S->s + b * m;
		if (alpha == 0 || m == 0)
			for (size_t l = 0; l < L; l++)
				work[b + l] = 0;
		else if (L == KX_ATTN_LANES)
			objective_lanes(blk, m, alpha, work + b);
		else
			for (size_t l = 0; l < L; l++)
				work[b + l] = objective_strided(blk, m, L, l, alpha);
	}
}

/* ===== statistics over samples (4.3) ================================== */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void kx_attn_eval(const kx_attn_samples *S, double alpha, int want_median, double *work,
                  kx_attn_point *pt)
{
	/* work: (T,) the per-sample objectives. */
	size_t T = S->T;
	double sum = 0;
	if (S->gaps == 2)
		eval_lanes(S, alpha, work);
	for (size_t t = 0; t < T; t++) {
		if (S->gaps != 2) {
			const double *s_t = S->off ? S->s + S->off[t] : S->s + t * S->n;
			size_t n_t = S->off ? S->off[t + 1] - S->off[t] : S->n;
			work[t] = S->gaps ? kx_attn_objective_gaps(s_t, n_t, alpha)
			                  : kx_attn_objective(s_t, n_t, alpha);
		}
		sum += work[t];
	}
	double mean = sum / (double)T, ss = 0;
	for (size_t t = 0; t < T; t++)      /* second pass: no cancellation in the variance */
		ss += (work[t] - mean) * (work[t] - mean);
	pt->mean = mean;
	pt->se = sqrt(ss / (double)(T - 1)) / sqrt((double)T);   /* T = 1: 0/0 = NaN */
	pt->median = NAN;
	if (want_median) {
		qsort(work, T, sizeof *work, cmp_double);
		pt->median = T % 2 ? work[T / 2] : 0.5 * (work[T / 2 - 1] + work[T / 2]);
	}
}

/* ===== sampling (4.4) ================================================= */

static double dot(const double *a, const double *b, size_t d)
{
	double s = 0;
	for (size_t j = 0; j < d; j++)     /* component order, for reproducibility */
		s += a[j] * b[j];
	return s;
}

/* v: (d,) divided component by component by its Euclidean norm (the square
 * root of the in-order sum of squares); a zero vector stays zero. */
static void normalise(double *v, size_t d)
{
	double ss = dot(v, v, d);
	if (!(ss < INFINITY) || ss < DBL_MIN) {
		/* the sum of squares overflows (|v| above ~1e154) or underflows
		 * (below ~1e-154): divide by the largest |v_j| first, so the cosine
		 * stays right; in range the spec's formula is used as it is */
		double m = 0;
		for (size_t j = 0; j < d; j++)
			m = fmax(m, fabs(v[j]));
		if (m > 0 && m < INFINITY) {
			for (size_t j = 0; j < d; j++)
				v[j] /= m;
			ss = dot(v, v, d);
		}
	}
	double nrm = sqrt(ss);
	if (nrm > 0)
		for (size_t j = 0; j < d; j++)
			v[j] /= nrm;
}

/* Score of a prepared query qn against the key kr (d,), copied into kw. */
static double score(const double *qn, const double *kr, double *kw, size_t d, int norm,
                    double sqrt_d)
{
	if (norm == KX_ATTN_NORM_COS) {
		if (kw != kr)
			memcpy(kw, kr, d * sizeof *kw);
		normalise(kw, d);
		return dot(qn, kw, d);
	}
	double s = dot(qn, kr, d);
	return norm == KX_ATTN_NORM_SQRTD ? s / sqrt_d : s;   /* divided, not multiplied by 1/sqrt(d) */
}

void kx_attn_scores(const double *q, const double *k, size_t n, size_t d, int norm,
                    double *work, double *s)
{
	/* q: (d,); k: (n, d); work: (2d,) = normalised q, then one key; s: (n,) */
	double *qn = work, *kw = work + d, sqrt_d = sqrt((double)d);
	memcpy(qn, q, d * sizeof *qn);
	if (norm == KX_ATTN_NORM_COS)
		normalise(qn, d);
	for (size_t i = 0; i < n; i++)
		s[i] = score(qn, k + i * d, kw, d, norm, sqrt_d);
}

static double component(kx_rng *g, int dist)
{
	if (dist == KX_ATTN_DIST_UNIFORM)   /* mean 0, variance 1 */
		return (2 * kx_rng_uniform(g) - 1) * sqrt(3.0);
	return kx_rng_normal(g);
}

typedef double attn_vd8 __attribute__((vector_size(64)));     /* KX_ATTN_LANES doubles */
_Static_assert(KX_ATTN_LANES == 8, "attn_vd8 holds one block of lanes");

/* Scores of m keys kb: (m, d) in draw order against the prepared query q:
 * 8 keys at a time side by side (kt: (d, 8)), each sum still in component
 * order, so the bits are those of score(). */
KX_CLONES3
static void score_block(const double *restrict q, const double *restrict kb, size_t m, size_t d,
                        int norm, double sqrt_d, double *restrict kt, double *restrict s)
{
	enum { L = KX_ATTN_LANES };
	size_t i = 0;
	for (; i + L <= m; i += L) {
		for (size_t l = 0; l < L; l++)
			for (size_t j = 0; j < d; j++)
				kt[j * L + l] = kb[(i + l) * d + j];
		/* 8-wide sums in gcc's vector type (left to itself, gcc vectorised
		 * over j with 8 in-order scalar reductions), lane l that of key l */
		attn_vd8 va = { 0 }, kv;
		if (norm == KX_ATTN_NORM_COS) {
			attn_vd8 nv = { 0 }, dv = { 0 };
			for (size_t j = 0; j < d; j++) {
				memcpy(&kv, kt + j * L, sizeof kv);
				nv += kv * kv;
			}
			for (size_t l = 0; l < L; l++) {   /* x / 1 = x: a zero norm divides by 1 */
				double r = sqrt(nv[l]);
				dv[l] = r > 0 ? r : 1.0;
			}
			for (size_t j = 0; j < d; j++) {
				memcpy(&kv, kt + j * L, sizeof kv);
				va += q[j] * (kv / dv);
			}
			for (size_t l = 0; l < L; l++)
				s[i + l] = va[l];
		} else {
			for (size_t j = 0; j < d; j++) {
				memcpy(&kv, kt + j * L, sizeof kv);
				va += q[j] * kv;
			}
			for (size_t l = 0; l < L; l++)
				s[i + l] = va[l] / sqrt_d;
		}
	}
	for (; i < m; i++)
		s[i] = score(q, kb + i * d, kt, d, norm, sqrt_d);
}

void kx_attn_sample(kx_rng *g, int dist, size_t d, size_t n, double *work, double *s)
{
	/* work: (2d,) = q, then one key at a time; s: (n,) out */
	if (dist == KX_ATTN_DIST_SCORES) {
		kx_rng_normals(g, s, n);
		return;
	}
	int norm = dist == KX_ATTN_DIST_SPHERE ? KX_ATTN_NORM_COS : KX_ATTN_NORM_SQRTD;
	double *q = work, *kw = work + d, sqrt_d = sqrt((double)d);
	if (dist == KX_ATTN_DIST_UNIFORM) {
		for (size_t j = 0; j < d; j++)
			q[j] = component(g, dist);
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < d; j++)
				kw[j] = component(g, dist);
			s[i] = score(q, kw, kw, d, norm, sqrt_d);
		}
		return;
	}
	kx_rng_normals(g, q, d);
	if (norm == KX_ATTN_NORM_COS)
		normalise(q, d);
	/* Normal components: keys drawn in blocks into kb, scored 8 at a time. */
	enum { KB = 4096 };
	double kb[KB], kt[KB];
	size_t per = d <= KB / KX_ATTN_LANES ? KB / d / KX_ATTN_LANES * KX_ATTN_LANES : 0;
	if (per == 0) {                 /* wide keys: one at a time */
		for (size_t i = 0; i < n; i++) {
			kx_rng_normals(g, kw, d);
			s[i] = score(q, kw, kw, d, norm, sqrt_d);
		}
		return;
	}
	for (size_t i = 0; i < n; i += per) {
		size_t m = n - i < per ? n - i : per;
		kx_rng_normals(g, kb, m * d);
		score_block(q, kb, m, d, norm, sqrt_d, kt, s + i);
	}
}

/* ===== grid, argmax, golden section (4.5) ============================= */

void kx_attn_grid(double lo, double hi, size_t G, int logscale, double *out)
{
	/* out: (G,) */
	if (G == 1) {
		out[0] = lo;
		return;
	}
	double llo = logscale ? log(lo) : 0, lhi = logscale ? log(hi) : 0;
	for (size_t j = 0; j < G; j++)
		out[j] = logscale ? exp(llo + (double)j * (lhi - llo) / (double)(G - 1))
		                  : lo + (double)j * (hi - lo) / (double)(G - 1);
	out[0] = lo;        /* the end points exactly, whatever exp(log(.)) gave */
	out[G - 1] = hi;
}

size_t kx_attn_argmax(const double *v, size_t G)
{
	size_t j = 0;
	for (size_t i = 1; i < G; i++)
		if (v[i] > v[j] || (isnan(v[j]) && !isnan(v[i])))   /* strict: the first maximum wins */
			j = i;
	return j;
}

void kx_attn_golden(kx_attn_fn f, void *ctx, double a, double b, double *x, double *fx)
{
	const double g = 0.6180339887498949;   /* (sqrt 5 - 1)/2 */
	double c = b - g * (b - a), d = a + g * (b - a);
	double fc = f(c, ctx), fd = f(d, ctx);
	int iter = 0;
	while ((b - a) > 1e-6 * (fabs(a) + fabs(b)) / 2 && iter < 200) {
		if (fc >= fd) {
			b = d; d = c; fd = fc;
			c = b - g * (b - a); fc = f(c, ctx);
		} else {
			a = c; c = d; fc = fd;
			d = a + g * (b - a); fd = f(d, ctx);
		}
		iter++;
	}
	*x = (a + b) / 2;
	*fx = f(*x, ctx);
}

/* ===== the post's approximation and the closed forms (4.6) ============ */

double kx_attn_lambert_w0(double x)
{
	/* Halley's iteration on w e^w = x from log1p(x) (small x) or ln x - ln ln x
	 * (the asymptote); cubic convergence, a handful of steps. */
	if (x == 0)
		return 0;
	double w = x < 3 ? log1p(x) : log(x) - log(log(x));
	for (int it = 0; it < 50; it++) {
		double e = exp(w), f = w * e - x;
		double wn = w - f / (e * (w + 1) - (w + 2) * f / (2 * w + 2));
		int done = fabs(wn - w) <= 1e-15 * (1 + fabs(wn));
		w = wn;
		if (done)
			break;
	}
	return w;
}

double kx_attn_log_g(double a, double d)
{
	/* g(a) = sum_k t_k, t_0 = 1, t_k = t_{k-1} (a^2/4)/(k (k + nu)), nu = d/2 - 1:
	 * the series of 0F1(; d/2; a^2/4) = Gamma(d/2) (2/a)^nu I_nu(a).  All terms
	 * are positive (no cancellation); the largest is near k = a/2, so the sum
	 * is rescaled by 1e-280 whenever it passes 1e280 and the scale kept in
	 * offset.  Without a rescale log1p(s1) keeps the accuracy for tiny a. */
	if (a == 0)
		return 0;
	double nu = d / 2 - 1, q = a * a / 4;
	double total = 1, s1 = 0, t = 1, offset = 0;
	int rescaled = 0;
	for (double k = 1;; k++) {
		t = t * q / (k * (k + nu));
		total += t;
		s1 += t;
		if (total > 1e280) {
			total *= 1e-280;
			t *= 1e-280;
			offset += 280 * log(10.0);
			rescaled = 1;
		}
		if (k > a / 2 && t < 1e-17 * total)
			break;
	}
	return rescaled ? log(total) + offset : log1p(s1);
}

double kx_attn_approx(int kind, double alpha, double n, double d)
{
	/* Ratio of expectations (post eq. approx): sum p^2 ~ E e^{2 a s}/(n (E e^{a s})^2)
	 * = exp(x).  x > 700 means alpha exp(x) overflows or dwarfs alpha: -inf. */
	if (kind == KX_ATTN_KIND_NONE)
		return NAN;
	if (alpha == 0)
		return 0;
	double x = kind == KX_ATTN_KIND_NORMAL
	         ? alpha * alpha - log(n)
	         : kx_attn_log_g(2 * alpha, d) - 2 * kx_attn_log_g(alpha, d) - log(n);
	if (x > 700)
		return -INFINITY;
	return alpha - alpha * exp(x);
}

double kx_attn_approx_argmax_normal(double n)
{
	/* Ga'(a) = 0 <=> e^{a^2}(1 + 2a^2) = n; with v = a^2 + 1/2, v e^v = n sqrt(e)/2. */
	if (n <= 1)
		return 0;
	double v = kx_attn_lambert_w0(n * sqrt(exp(1.0)) / 2) - 0.5;
	return sqrt(v > 0 ? v : 0);
}

typedef struct { double n, d; } approx_ctx;

static double approx_cos_fn(double a, void *vc)
{
	const approx_ctx *c = vc;
	return kx_attn_approx(KX_ATTN_KIND_COSINE, a, c->n, c->d);
}

void kx_attn_approx_argmax_cos(const double *grid, size_t G, double n, double d, double *x,
                               double *fx, int *boundary)
{
	/* grid: (G,), G >= 3.  The values at most G at a time: one pass for the
	 * argmax, keeping the running maximum. */
	approx_ctx c = { n, d };
	size_t j = 0;
	double best = approx_cos_fn(grid[0], &c);
	for (size_t i = 1; i < G; i++) {
		double v = approx_cos_fn(grid[i], &c);
		if (v > best) {
			best = v;
			j = i;
		}
	}
	*boundary = j == 0 || j == G - 1;
	if (*boundary) {
		*x = grid[j];
		*fx = best;
		return;
	}
	kx_attn_golden(approx_cos_fn, &c, grid[j - 1], grid[j + 1], x, fx);
}

double kx_attn_limit_scores(double n)
{
	/* L = n(n-1) int phi(x)^2 Phi(x)^(n-2) dx: the density at 0 of the gap
	 * between the two largest of n N(0,1) scores.  Composite Simpson, h = 0.005
	 * on [-12, 12]; phi^2 < 1e-62 outside, so the truncation is invisible. */
	if (n <= 1)
		return 0;
	const int m = 4800;
	const double lo = -12, h = 24.0 / m, inv_sqrt_2pi = 0.39894228040143267794;
	double acc = 0;
	for (int i = 0; i <= m; i++) {
		double x = lo + i * h;
		double phi = exp(-x * x / 2) * inv_sqrt_2pi;
		double Phi = 0.5 * erfc(-x / sqrt(2.0));
		double pw = Phi > 0 ? exp((n - 2) * log(Phi)) : (n == 2 ? 1 : 0);
		double w = (i == 0 || i == m) ? 1 : (i % 2 ? 4 : 2);
		acc += w * phi * phi * pw;
	}
	return n * (n - 1) * acc * h / 3;
}

double kx_attn_limit_normal(double n, double d)
{
	/* Given q the scores q.k/sqrt(d) are i.i.d. N(0, |q|^2/d); the plateau scales
	 * with 1/sd, and E[sqrt(d)/|q|] = sqrt(d/2) Gamma((d-1)/2)/Gamma(d/2), infinite
	 * for d = 1. */
	if (n <= 1)
		return 0;
	if (d < 2)
		return INFINITY;
	return kx_attn_limit_scores(n) * sqrt(d / 2) * exp(lgamma((d - 1) / 2) - lgamma(d / 2));
}

void kx_attn_references(int kind, double n, double d, kx_attn_refs *r)
{
	double ln512 = log(512.0);
	r->inv_sqrt_d = d > 0 ? 1 / sqrt(d) : NAN;
	if (kind == KX_ATTN_KIND_NORMAL) {
		r->post_fit = 0.84 * sqrt(log(n));
		r->entropy = log(n) / ln512;
		r->standard = 1;
	} else if (kind == KX_ATTN_KIND_COSINE) {
		r->post_fit = 3.5 * log(n);
		r->entropy = sqrt(d) * log(n) / ln512;
		r->standard = sqrt(d);
	} else {
		r->post_fit = r->entropy = r->standard = NAN;
	}
}
