/*
 * softmax.h — the softmax family of softmax.md 3.1: softmax with temperature
 * (0 and infinity included), log-softmax (log1p form), logsumexp, top-k and
 * top-p Sparse Softmax, Taylor softmax, Perturb Max (Gumbel, normal), the
 * margin, the cross-entropy loss, its gradient, JVP and VJP.
 *
 * Pure functions over arrays: no I/O, no globals, no exit.  All arithmetic is
 * double.  Shapes: n is the row length (n >= 1); every vector is (n,).
 */
#ifndef KX_SOFTMAX_H
#define KX_SOFTMAX_H

#include <stddef.h>

enum { KX_SM_PLAIN, KX_SM_TOPK, KX_SM_TOPP, KX_SM_TAYLOR, KX_SM_GUMBEL, KX_SM_NORMAL };

typedef struct kx_softmax_cfg {
	int mode;        /* KX_SM_* */
	double T;        /* temperature in [0, inf]; TAYLOR, GUMBEL, NORMAL need 0 < T < inf */
	size_t k;        /* TOPK: K >= 1 */
	double p;        /* TOPP: 0 < P <= 1 */
	int order;       /* TAYLOR: even K >= 2 */
	double margin;   /* x_t -= margin before everything (needs t); 0 = off */
	int safe;        /* fully masked rows give p = 0 (softmax.md 3.0) */
} kx_softmax_cfg;

/* What to compute for one row; NULL pointers are skipped.  The caller owns
 * every array.  loss and grad need a target t; jvp needs v, vjp needs g. */
typedef struct kx_softmax_out {
	double *p;         /* (n) probabilities */
	double *logp;      /* (n) log-probabilities */
	double *lse;       /* T * logsumexp(x / T) over the kept set (not TAYLOR/perturb) */
	double *loss;      /* cross-entropy (softmax.md 3.1 "loss") */
	double *grad;      /* (n) d loss / d x */
	double *jvp;       /* (n) J v of the primary output */
	const double *v;   /* (n) tangent for jvp */
	double *vjp;       /* (n) J^T g */
	const double *g;   /* (n) cotangent for vjp */
	int jlog;          /* jvp/vjp differentiate log p instead of p */
} kx_softmax_out;

/* The kind of row (softmax.md 3.0). */
enum { KX_ROW_OK = 0, KX_ROW_NAN = 1, KX_ROW_MASKED = 2 };

/* Doubles of workspace kx_softmax_row needs for a row of n. */
size_t kx_softmax_work(size_t n);

/* One row x (n) with target t (-1: none; required for loss, grad, margin).
 * Without a target, loss and grad are NaN.  work: kx_softmax_work(n) doubles.  Returns KX_ROW_OK, KX_ROW_NAN (a
 * degenerate row: NaN outputs) or KX_ROW_MASKED (all -inf: NaN outputs, or
 * the --safe values when cfg->safe). */
int kx_softmax_row(const kx_softmax_cfg *cfg, const double *x, size_t n, long t,
                   kx_softmax_out *out, double *work);

/* p_i = e_i / S, correctly rounded (the bits of the division); e and p (n,),
 * not overlapping.  Where the CPU has FMA and every e_i >= 2^-860
 * and 1 <= S <= 2^53, by a multiplication and a Markstein correction;
 * else by division. */
void kx_softmax_divide(const double *e, size_t n, double S, double *p);

/* log Phi(u), the standard normal log-CDF, as log(erfc(-u / sqrt 2) / 2). */
double kx_log_ndtr(double u);

#endif
