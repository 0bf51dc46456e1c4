/*
 * attn.h — the attention scale from gradient maximisation (attn-scale.md,
 * kexue.fm/archives/9812): the objective G(alpha; s) = alpha (1 - sum p^2) of
 * p = softmax(alpha s), its Monte Carlo statistics over T score vectors, the
 * sampling of score vectors, the post's approximate objective and its
 * maximiser (Lambert W; the cosine moment generating function by series),
 * the exact large-alpha plateau of the mean, the alpha grid and golden
 * section search.
 *
 * Pure functions over arrays: no I/O, no globals, no exit.  Double precision.
 * Shape alphabet: n keys per query (length of a score vector), d the width of
 * q and k, T samples (score vectors), G grid points.  The caller owns every
 * array; nothing here allocates except kx_attn_eval's sort, which works in
 * the caller's buffer.
 */
#ifndef KX_ATTN_H
#define KX_ATTN_H

#include <stddef.h>
#include "rng.h"

/* What to sample (4.1, 4.4). */
enum { KX_ATTN_DIST_NORMAL, KX_ATTN_DIST_UNIFORM, KX_ATTN_DIST_SPHERE, KX_ATTN_DIST_SCORES };
/* How q/k become scores (4.1): q.k/sqrt(d), cos(q, k), q.k. */
enum { KX_ATTN_NORM_SQRTD, KX_ATTN_NORM_COS, KX_ATTN_NORM_NONE };
/* Which approximation of the post applies (4.6). */
enum { KX_ATTN_KIND_NORMAL, KX_ATTN_KIND_COSINE, KX_ATTN_KIND_NONE };
/* The statistic over samples (4.3). */
enum { KX_ATTN_MEAN, KX_ATTN_MEDIAN };

/* ===== the objective of one sample (4.2) ============================== */

/* s: (n,) scores; alpha >= 0.  G = alpha (1 - sum p^2), p = softmax(alpha s),
 * without cancellation.  0 for alpha = 0 or n <= 1. */
double kx_attn_objective(const double *s, size_t n, double alpha);

/* ===== statistics over samples (4.3) ================================== */

/* T score vectors.  Sample t is s[off[t] .. off[t+1]) when off is non-NULL
 * (lengths may differ), else s[t*n .. (t+1)*n).  With gaps set, each sample
 * holds instead its gaps s_i - s_j to its first maximum j, for i != j in index
 * order (one value fewer: kx_attn_to_gaps).  Borrowed pointers. */
typedef struct kx_attn_samples {
	const double *s;      /* all scores (or gaps), sample after sample */
	const size_t *off;    /* (T+1,) offsets, or NULL: every sample has n values */
	size_t T;             /* number of samples, >= 1 */
	size_t n;             /* values per sample when off is NULL */
	int gaps;             /* 1: the values are gaps (kx_attn_to_gaps); 2: gaps
	                       * interleaved by kx_attn_interleave (off NULL) */
} kx_attn_samples;

/* Rewrite T samples of scores in place as their gaps to the first maximum, so
 * that every later evaluation skips the search for the maximum:  s (in place,
 * the total shrinks by T values), off (T+1, in place, or NULL with n the common
 * length, which becomes n - 1).  The objective of the gaps is bit for bit the
 * objective of the scores. */
void kx_attn_to_gaps(double *s, size_t *off, size_t T, size_t n);
/* The objective from gaps g: (m,) = s_i - s_j, i != j (m = n - 1). */
double kx_attn_objective_gaps(const double *g, size_t m, double alpha);

/* Samples evaluated side by side (one per vector lane) by kx_attn_eval. */
#define KX_ATTN_LANES 8
/* Rewrite T samples of m gaps each (sample after sample, off NULL) in place
 * so that samples sit side by side in blocks of L = KX_ATTN_LANES (the last
 * block has L = T mod 8 when that is not 0): gap i of sample 8b + l moves to
 * s[8b m + i L + l].  kx_attn_eval reads this layout when S->gaps is 2 and
 * gives the same bits as from the plain layout.  work: (8m,) doubles. */
void kx_attn_interleave(double *s, size_t T, size_t m, double *work);
/* The doubles kx_attn_pack needs as work for S (8 times the first sample's
 * length, at least 1). */
size_t kx_attn_pack_work(const kx_attn_samples *S);
/* When S holds gaps (S->gaps 1) of samples that all have the same length,
 * interleave them (kx_attn_interleave) and make S describe that layout:
 * off NULL, n the length, gaps 2.  Otherwise S is left alone.  Returns 1
 * when it packed.  The values S->s points to are rewritten (S->s is a
 * const pointer for the evaluators: the caller passes the samples it owns). */
int kx_attn_pack(kx_attn_samples *S, double *work);

typedef struct kx_attn_point {
	double mean;          /* sequential sum in sample order / T */
	double se;            /* standard error of the mean (two passes); NaN for T = 1 */
	double median;        /* NaN unless asked for */
} kx_attn_point;

/* The objective of every sample at alpha, then its mean, standard error and
 * (want_median) median.  work: (T,) doubles, overwritten (sorted when the
 * median is asked for). */
void kx_attn_eval(const kx_attn_samples *S, double alpha, int want_median, double *work,
                  kx_attn_point *pt);

/* ===== sampling (4.4) ================================================= */

/* Draw one sample from g in the order of 4.4 (the query's d components, then
 * each key's d components) and write its n scores into s.  dist: KX_ATTN_DIST_*
 * (SCORES draws n normals and ignores d).  work: (2d,) doubles.  The same
 * numbers as n d successive kx_rng_normal or kx_rng_uniform draws and the
 * scores of 4.1, computed in blocks of keys. */
void kx_attn_sample(kx_rng *g, int dist, size_t d, size_t n, double *work, double *s);

/* Scores of one query q (d,) against the n keys k (n, d) row-major: q.k/sqrt(d),
 * cos(q, k) (a zero vector gives 0) or q.k, by norm (KX_ATTN_NORM_*).  Dot
 * products in component order.  work: (2d,) doubles; s: (n,) out. */
void kx_attn_scores(const double *q, const double *k, size_t n, size_t d, int norm,
                    double *work, double *s);

/* ===== grid, argmax, golden section (4.5) ============================= */

/* out: (G,) grid points from lo to hi, log (lo > 0) or linear spacing, with the
 * end points exact; G = 1 gives [lo]. */
void kx_attn_grid(double lo, double hi, size_t G, int logscale, double *out);

/* Index of the first maximum of v (G,), -inf allowed (NaN never wins); 0 if all
 * are NaN. */
size_t kx_attn_argmax(const double *v, size_t G);

/* Golden-section maximisation of f on [a, b] exactly as in 4.5 (relative
 * tolerance 1e-6, at most 200 steps).  x: the midpoint of the final bracket,
 * fx = f(x). */
typedef double (*kx_attn_fn)(double x, void *ctx);
void kx_attn_golden(kx_attn_fn f, void *ctx, double a, double b, double *x, double *fx);

/* ===== the post's approximation and the closed forms (4.6, 2.3, 3) ===== */

/* Lambert W, principal branch, for x >= 0 (Halley's method). */
double kx_attn_lambert_w0(double x);

/* ln g(a), g(a) = E[e^{a s}] for s the cosine of two independent uniform
 * directions in R^d (d >= 1): the series of 0F1(; d/2; a^2/4) with rescaling.
 * a >= 0; a up to about 1e4. */
double kx_attn_log_g(double a, double d);

/* The approximate objective of the post at alpha for n keys (and width d for the
 * cosine kind): alpha - alpha exp(x), x = alpha^2 - ln n (normal-like) or
 * x = L(2 alpha) - 2 L(alpha) - ln n (cosine); -inf when x > 700; 0 at alpha 0.
 * kind KX_ATTN_KIND_NONE gives NaN. */
double kx_attn_approx(int kind, double alpha, double n, double d);

/* Normal-like maximiser of the approximate objective: sqrt(max(W0(n sqrt(e)/2)
 * - 1/2, 0)); 0 for n <= 1. */
double kx_attn_approx_argmax_normal(double n);

/* Cosine maximiser of the approximate objective: first grid maximum over grid
 * (G,) then golden section between its neighbours unless it is an end point
 * (then *boundary = 1 and no refinement).  G >= 3. */
void kx_attn_approx_argmax_cos(const double *grid, size_t G, double n, double d, double *x,
                               double *fx, int *boundary);

/* The exact plateau of the mean objective as alpha -> inf (section 3):
 * n(n-1) int phi^2 Phi^(n-2) for i.i.d. N(0,1) scores (Simpson on [-12, 12],
 * 4800 intervals); 0 for n = 1. */
double kx_attn_limit_scores(double n);
/* The same for q, k ~ N(0, I_d), s = q.k/sqrt(d): limit_scores(n) sqrt(d/2)
 * Gamma((d-1)/2)/Gamma(d/2) for d >= 2; +inf for d = 1 (n >= 2); 0 for n = 1. */
double kx_attn_limit_normal(double n, double d);

/* The summary's reference scales (4.6) for n keys and width d.  Fields that do
 * not apply to the kind are NaN (the caller writes null). */
typedef struct kx_attn_refs {
	double post_fit;      /* 0.84 sqrt(ln n) (normal-like) or 3.5 ln n (cosine) */
	double entropy;       /* ln n / ln 512, or sqrt(d) ln n / ln 512 */
	double standard;      /* 1, or sqrt(d) */
	double inv_sqrt_d;    /* 1/sqrt(d) (d > 0), else NaN */
} kx_attn_refs;
void kx_attn_references(int kind, double n, double d, kx_attn_refs *r);

#endif
