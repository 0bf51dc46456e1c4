/*
 * tvq.h — Transformer-VQ (quantize.md 3): with the keys replaced by their
 * nearest codewords, softmax attention equals a softmax over the c codes
 * applied to per-code value means, so its cost is linear in n.  Computes
 * both sides of the identity (quadratic and linear; bidirectional, and
 * causal blockwise with a cache, an optional relative-position bias window
 * and the two-block lag it needs) and the cost model of 3.3.
 *
 * Pure functions over arrays: no I/O, no globals, no exit; all double.
 * Shapes: Q, K (n, dk); V (n, dv); codebook C (c, dk); codes z (n);
 * outputs O (n, dv); all row-major.  The caller owns every array.
 */
#ifndef KX_TVQ_H
#define KX_TVQ_H

#include <stddef.h>

typedef struct kx_tvq_cfg {
	double scale;        /* score scale s (1/sqrt(dk) by default: kx_tvq_default_scale) */
	int causal;          /* 0: bidirectional (3.1); 1: causal (3.2) */
	size_t block;        /* causal: block length l >= 1 */
	const double *bias;  /* causal: b[0..w] added to the score at i - j = 0..w; NULL: none */
	size_t nbias;        /* w + 1, with w <= block */
} kx_tvq_cfg;

typedef struct kx_tvq_cost {
	double quadratic;    /* multiply-adds of softmax(s Q K^T) V, causal: the lower triangle */
	double linear;       /* of the linear (or blockwise) form */
	double assign;       /* of the VQ of the keys, n c dk */
	double ratio;        /* quadratic / linear */
} kx_tvq_cost;

double kx_tvq_default_scale(size_t dk);
/* The cost model of 3.3 (exact integers while below 2^53). */
void kx_tvq_flops(const kx_tvq_cfg *cfg, size_t n, size_t c, size_t dk, size_t dv,
                  kx_tvq_cost *out);
/* z (n) := the nearest codeword (l2, ties lowest index) of each row of K.  0, or -1 out of memory. */
int kx_tvq_codes(const double *K, size_t n, size_t dk, const double *C, size_t c, long long *z);
/* Kh (n, dk) := C[z], the quantised keys. */
void kx_tvq_gather(const double *C, const long long *z, size_t n, size_t dk, double *Kh);
/* O (n, dv) := softmax(s Q Kk^T + B + M) V with Kk (n, dk) any keys (raw: the
 * exact attention; Kh: the quadratic side of the identity).  0, or -1 out of memory. */
int kx_tvq_quadratic(const kx_tvq_cfg *cfg, const double *Q, const double *Kk, const double *V,
                     size_t n, size_t dk, size_t dv, double *O);
/* O (n, dv) := the linear form (3.1, or 3.2 blockwise with cache) from C (c, dk)
 * and the codes z.  0, or -1 out of memory. */
int kx_tvq_linear(const kx_tvq_cfg *cfg, const double *Q, const double *C, size_t c,
                  const long long *z, const double *V, size_t n, size_t dk, size_t dv, double *O);

/* Everything -A reports for one record.  The caller points at the outputs
 * it wants (NULL: not computed); z is required. */
typedef struct kx_tvq_out {
	long long *z;        /* (n) codes of the keys */
	double *quadratic;   /* (n, dv) softmax attention with the quantised keys, or NULL */
	double *linear;      /* (n, dv) the linear form, or NULL */
	double *exact;       /* (n, dv) softmax attention with the raw keys, or NULL */
	double *Kh;          /* (n, dk) scratch for the quantised keys when quadratic is wanted */
	double max_abs_diff; /* max |linear - quadratic| (NaN unless both computed) */
	double max_rel_diff; /* max_abs_diff / max(max |quadratic|, 1e-300) */
	double vq_error;     /* max |exact - quadratic| (NaN unless both computed) */
	kx_tvq_cost cost;    /* 3.3 */
} kx_tvq_out;

/* Q, K (n, dk), V (n, dv), C (c, dk): the codes, the outputs asked for, their
 * differences and the cost model.  0, or -1 out of memory. */
int kx_tvq_identity(const kx_tvq_cfg *cfg, const double *Q, const double *K, const double *V,
                    size_t n, size_t dk, size_t dv, const double *C, size_t c, kx_tvq_out *o);

/* max_i |a_i - b_i| over n values (b = NULL: max |a_i|); NaN if any is NaN. */
double kx_tvq_maxdiff(const double *a, const double *b, size_t n);

#endif
