/*
 * lora.h — LoRA initialisations (LoRA-GA, Kaiming, Gaussian, orthogonal,
 * PiSSA, OLoRA), the first-step check and LoRA+ learning-rate ratios
 * (spec: lora.md).  Pure functions over arrays: no I/O, no globals, no exit.
 *
 * Shape alphabet (torch layout throughout; the caller transposes for
 * --layout blog):
 *   m = d_out  rows of W0 and G        n = d_in   columns of W0 and G
 *   k = min(m, n)                      r = rank   q = randomized-SVD width
 * Matrices are row-major arrays of doubles.  "float32 values" means every
 * entry is exactly representable as a float (rounded once, (double)(float)x).
 *
 * Ownership: the caller allocates every output array with the sizes stated
 * and frees it; functions that need scratch space allocate and free it
 * themselves and return -1 when memory runs out.  Return codes: 0 ok, > 0 a
 * LAPACK info (no convergence), -1 out of memory; corda also -2 (an all-zero
 * covariance) and -3 (the damping did not converge in 60 doublings).
 */
#ifndef KX_LORA_H
#define KX_LORA_H

#include <stddef.h>
#include "rng.h"

enum { KX_LORA_GA, KX_LORA_KAIMING, KX_LORA_GAUSSIAN, KX_LORA_ORTHOGONAL, KX_LORA_PISSA,
       KX_LORA_OLORA, KX_LORA_MICA, KX_LORA_CORDA };
enum { KX_LORA_ARB2R, KX_LORA_A2RBR, KX_LORA_ARBR };       /* --direction */
enum { KX_GA_STABLE, KX_GA_UNIT, KX_GA_GD };               /* --ga-scale */
enum { KX_SVD_AUTO, KX_SVD_FULL, KX_SVD_RANDOMIZED };      /* --svd */

typedef struct kx_lora_cfg {
	int method;          /* KX_LORA_* */
	size_t rank;         /* r >= 1 (checked by kx_lora_rank_error) */
	double alpha;        /* LoRA alpha > 0 */
	int rslora;          /* 1: s = alpha/sqrt(r); 0: s = alpha/r */
	int direction;       /* KX_LORA_ARB2R, A2RBR, ARBR (lora-ga) */
	int ga_scale;        /* KX_GA_* (lora-ga) */
	double gamma;        /* gamma > 0 of the stable scale */
	int svd;             /* KX_SVD_* (lora-ga, pissa, and the check's cos_bound) */
	size_t niter;        /* randomized: subspace iterations */
	size_t oversample;   /* randomized: q = min(oversample r, k) */
	int corda_kpm;       /* corda: 1 keeps the last r components (kpm), 0 the first (ipm) */
	const double *cov;   /* corda: (n, n) covariance of the layer inputs, else NULL */
} kx_lora_cfg;

/* What kx_lora_init computes.  The caller points A, B, w0_adj, sigma at
 * arrays of the sizes given; the scalars are filled in. */
typedef struct kx_lora_res {
	double *A;           /* (r, n) float32 values */
	double *B;           /* (m, r) float32 values */
	double *w0_adj;      /* (m, n) float32 values: W0 - s B A (W0 itself for lora, gaussian,
	                      * orthogonal) */
	double *sigma;       /* room for 2r doubles: lora-ga the top 2r singular values of G,
	                      * pissa the top r of W0, mica the smallest r of W0 (descending) */
	size_t nsigma;       /* values written to sigma (0 for the other methods) */
	double scale;        /* s */
	double init_scale;   /* c (lora-ga), else 0 */
	int svd_used;        /* KX_SVD_FULL or KX_SVD_RANDOMIZED (lora-ga, pissa), else 0 */
	int low_rank;        /* lora-ga: sigma_{2r} <= 1e-12 sigma_1 or G = 0 (factors not unique) */
} kx_lora_res;

/* s = alpha/r or alpha/sqrt(r). */
double kx_lora_scaling(double alpha, size_t r, int rslora);
/* The rank rule for a method and a shape (lora.md 9): NULL when r fits, else a
 * message fragment such as "rank 3 needs 2r <= min(rows, cols) = 5 for lora-ga". */
const char *kx_lora_rank_error(int method, size_t r, size_t m, size_t n, char *buf, size_t bufsz);
/* Which SVD a record gets (lora.md 7.5): KX_SVD_FULL or KX_SVD_RANDOMIZED, or -1
 * when --svd randomized has q = min(oversample r, k) < v (v = the vectors needed). */
int kx_lora_svd_choice(int svd, size_t m, size_t n, size_t r, size_t oversample, size_t v);
/* LoRA+ 'blog' ratio (lora.md 6): (n/m) sqrt(n/r), n = d_in, m = d_out. */
double kx_lora_ratio_blog(size_t m, size_t n, size_t r);

/* Round x (len values) to float32 in place.  Returns the index of the first
 * value that is not finite or not finite after rounding, or len when all are. */
size_t kx_lora_to_f32(double *x, size_t len);
/* acc += g (len values): the running sum of the gradients (lora.md 4.4 step 1);
 * kx_lora_mean divides by the count K >= 1. */
void kx_lora_accumulate(double *acc, const double *g, size_t len);
void kx_lora_mean(double *acc, size_t len, size_t K);
/* CorDA covariance of the layer inputs X (N, n): C (n, n) = X^T X / N. */
void kx_lora_covariance(size_t N, size_t n, const double *X, double *C);
/* --grad-transform sign: G[i] = sign(G[i]), sign(0) = 0 (the Adam "speculative"
 * variant of lora.md 4.1 step 8). */
void kx_lora_sign(double *G, size_t len);
/* DoRA magnitude (lora.md 5): out (m) = float32(|W0[i, :]|_2), W0 (m, n). */
void kx_lora_dora(size_t m, size_t n, const double *W0, double *out);
/* --convert (lora.md 5, peft subtract_mutated_init): a trained adapter (A, B)
 * from an init (A0, B0) that moved W0 becomes a plain rank-2r LoRA on the
 * original W0: W0_adj + s B A = W0 + s [B | -B0][A ; A0].  A, A0 (r, n);
 * B, B0 (m, r); Ap (2r, n) = [A ; A0]; Bp (m, 2r) = [B, -B0].  Exact. */
void kx_lora_convert(size_t m, size_t n, size_t r, const double *A, const double *B,
                     const double *A0, const double *B0, double *Ap, double *Bp);
/* The alpha that keeps s at rank 2r: 2 alpha (standard), sqrt(2) alpha (rsLoRA). */
double kx_lora_convert_alpha(double alpha, int rslora);
/* dst (cols, rows) = src (rows, cols) transposed; dst != src. */
void kx_lora_transpose(double *dst, const double *src, size_t rows, size_t cols);

/* Random fills (lora.md 7.1): each starts with no cached normal and drops an
 * unused sin value at its end.  Values are doubles (not rounded). */
void kx_lora_fill_normal(kx_rng *g, double *x, size_t len);
/* A (r, n): float32((2u - 1) (1/sqrt(n))) — Kaiming-uniform with a = sqrt(5). */
void kx_lora_fill_kaiming(kx_rng *g, double *A, size_t r, size_t n);
/* A (r, n): float32(z std), std = 1/r. */
void kx_lora_fill_gaussian(kx_rng *g, double *A, size_t r, size_t n);

/* Thin SVD of M (m, n) (not modified): U (m, k), S (k), Vh (k, n), S
 * descending, sign convention of lora.md 7.2 applied.  dgesdd. */
int kx_lora_svd(size_t m, size_t n, const double *M, double *U, double *S, double *Vh);
/* The sign convention alone: for each i < k, pivot = first j with |U[j,i]| >=
 * max_j |U[j,i]| (1 - 1e-6); if U[pivot,i] < 0 negate column i of U (ldu
 * columns per row) and row i of Vh (n columns). */
void kx_lora_sign_fix(size_t m, size_t n, size_t k, size_t ldu, double *U, double *Vh);
/* Randomized SVD (rsvd.c; Halko-Martinsson-Tropp 4.4 + 5.1, as torch.svd_lowrank):
 * M (m, n), q <= min(m, n), Omega (n, q) drawn from g in one fill.  U (m, q),
 * S (q), Vh (q, n), sign convention applied. */
int kx_lora_rsvd(size_t m, size_t n, const double *M, size_t q, size_t niter, kx_rng *g,
                 double *U, double *S, double *Vh);
/* Reduced QR of M (m, n) of any shape, k = min(m, n): Q (m, k) orthonormal
 * columns, R (k, n) upper trapezoidal with diag(R) >= 0 (lora.md 7.3). */
int kx_lora_qr(size_t m, size_t n, const double *M, double *Q, double *R);

/* The initialisation.  W0 (m, n) float32 values; G (m, n) the averaged
 * gradient (needed by lora-ga, else may be NULL); g the record's generator,
 * freshly seeded (used by lora, gaussian, orthogonal and the randomized SVD).
 * The rank must already have passed kx_lora_rank_error, and a randomized SVD
 * kx_lora_svd_choice.  res->w0_adj may point at W0 itself (W0 is read before
 * w0_adj is written, row block by row block): a caller that needs W0 no more
 * (no --check, no --dora) saves an (m, n) array and a copy. */
int kx_lora_init(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0, const double *G,
                 kx_rng *g, kx_lora_res *res);

/* The --check block (lora.md 8.5). */
typedef struct kx_lora_check {
	double recon_max_abs;  /* max |w0_adj + s B A - W0| */
	double cos_step;       /* cos(B B^T G + G A^T A, G); with a gradient only */
	double cos_bound;      /* sqrt(sum_{i < min(2r, k)} sigma_i^2 / |G|_F^2), 0 when G = 0 */
} kx_lora_check;
/* res as kx_lora_init left it; G NULL when there is no gradient (cos_* are
 * then 0).  For lora-ga the bound uses res->sigma; other methods take the
 * singular values of G by cfg->svd's rule (a randomized SVD draws from g). */
int kx_lora_check_run(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0,
                      const double *G, const kx_lora_res *res, kx_rng *g, kx_lora_check *out);

#endif
