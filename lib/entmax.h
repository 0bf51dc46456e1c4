/*
 * entmax.h — the threshold maps of softmax.md 3.2: sparsemax (optionally onto
 * the simplex of radius r), 1.5-entmax, alpha-entmax for any alpha >= 1
 * (alpha = 1 is softmax, computed by softmax.h), with temperature T in
 * [0, inf]; the threshold tau, the support size, the Fenchel-Young loss, its
 * gradient, JVP and VJP.
 *
 *   p_i = [e x_i / T - tau]_+^(1/e),  e = alpha - 1,  tau such that sum p = r.
 *
 * Pure functions over arrays: no I/O, no globals, no exit.  All arithmetic is
 * double.  Shapes: n is the row length (n >= 1); m <= n is the number of
 * finite shifted scores handed to a threshold kernel; every vector is (n,)
 * or (m,) as stated.  The caller owns every array.
 */
#ifndef KX_ENTMAX_H
#define KX_ENTMAX_H

#include <stddef.h>
#include "softmax.h"   /* KX_ROW_* (the kind of a row), softmax for alpha = 1 */

enum { KX_EM_AUTO, KX_EM_SORT, KX_EM_BISECT };

typedef struct kx_entmax_cfg {
	double alpha;    /* finite, >= 1 (1 = softmax, 1.5 = entmax15, 2 = sparsemax) */
	double T;        /* temperature in [0, inf] */
	double r;        /* radius: finite, > 0; != 1 only with alpha = 2 */
	int algo;        /* KX_EM_AUTO, SORT (alpha 1.5 or 2 only), BISECT */
	long iters;      /* > 0: exactly this many bisection steps (entmax_bisect's
	                  * iteration); 0: bisect until the bracket stops shrinking */
	int fast;        /* 1: auto with alpha = 2 uses Condat's algorithm instead of
	                  * the sort (same support, same closed-form tau) */
	int safe;        /* fully masked rows (all -inf) give p = 0 (softmax.md 3.0) */
} kx_entmax_cfg;

/* What to compute for one row; NULL pointers are skipped.  loss and grad need
 * a target t; jvp needs v, vjp needs g. */
typedef struct kx_entmax_out {
	double *p;         /* (n) probabilities, sum r */
	double *tau;       /* tau_out: p_i = [e x_i/T - tau]_+^(1/e); alpha = 1:
	                    * logsumexp(x/T); NaN for T in {0, inf} and bad rows */
	long long *support;/* #{i : p_i > 0} */
	double *loss;      /* Fenchel-Young (Tsallis) loss, softmax.md 3.2 */
	double *grad;      /* (n) d loss / d x = (p - e_t) / T */
	double *jvp;       /* (n) J v */
	const double *v;   /* (n) tangent */
	double *vjp;       /* (n) J^T g (J is symmetric) */
	const double *g;   /* (n) cotangent */
	double *dalpha;    /* (n) dp/dalpha (Correia et al. 2019); 0 for T in {0, inf} */
	int *steps;        /* bisection steps taken (0 when an exact method ran) */
} kx_entmax_out;

/* Doubles of workspace kx_entmax_row needs for a row of n. */
size_t kx_entmax_work(size_t n);

/* One row x (n) with target t (-1: none).  work: kx_entmax_work(n) doubles.
 * Returns KX_ROW_OK, KX_ROW_NAN (a NaN or +inf: NaN outputs) or KX_ROW_MASKED
 * (all -inf: NaN outputs, or the --safe values when cfg->safe). */
int kx_entmax_row(const kx_entmax_cfg *cfg, const double *x, size_t n, long t,
                  kx_entmax_out *out, double *work);

/* ===== threshold kernels =================================================
 * z: (m) finite shifted scores, m >= 1, max z = 0 (so tau < 0).  They return
 * tau with sum_i [z_i - tau]_+^(1/e) = r; z is not changed. */

/* alpha = 2 by sorting: zs = z descending, S_k its prefix sums,
 * K = #{k : r + k zs_k > S_k}, tau = (S_K - r)/K.  buf: (m) scratch. */
double kx_sparsemax_tau_sort(const double *z, size_t m, double r, double *buf);
/* alpha = 2 by Condat's algorithm (Math. Prog. 158, 2016): no sort, about
 * linear time in practice; its running tau drifts, so follow it with
 * kx_sparsemax_tau_closed.  buf: (m) scratch. */
double kx_sparsemax_tau_condat(const double *z, size_t m, double r, double *buf);
/* alpha = 1.5 (r = 1) by sorting, with Welford moments; buf: (m) scratch. */
double kx_entmax15_tau_sort(const double *z, size_t m, double *buf);
/* tau in closed form on the support found from an approximate tau0:
 * alpha = 2: tau = (sum_S z - r)/|S|, S shrunk (Michelot) from
 * {z > tau0 - 1e-9 (1 + |tau0|)} until no member is <= tau, so the sort and
 * Condat give the same bits; alpha = 1.5: tau = mean - sqrt((1 - M2)/|S|)
 * with two-pass moments, S shrunk from {z > tau0} likewise. */
double kx_sparsemax_tau_closed(const double *z, size_t m, double r, double tau0);
double kx_entmax15_tau_closed(const double *z, size_t m, double tau0);

/* Bisection, softmax.md 3.2, any e = alpha - 1 > 0.  zc: (m) the finite
 * scores searched; z: (n) the whole row (-inf entries give p = 0); n is also
 * the bracket's n.  iters > 0: exactly that many steps of entmax_bisect's
 * iteration, lo = -r^e, hi = -(r/n)^e, mid = (lo + hi)/2,
 * sum [z - mid]_+^(1/e) >= r ? lo = mid : hi = mid, then p = [z - lo]_+^(1/e).
 * iters = 0 (converged): the same bracket, searched by safeguarded Newton
 * (bisection wherever Newton would leave the bracket) until the step is below
 * 2^-60 relative, then one more Newton step kept as a sub-ulp correction of
 * every difference.  For e >= 1 it works on tau and adds zcl/zl (m, n; or
 * NULL), the rounding errors of zc and z (z + zl = e (x - M)/T to about
 * 2^-106), since p is ill-conditioned near the threshold there; for e < 1 it
 * works on w = (tau + r^e)/r^e with p_i = r exp(log1p(z_i/r^e - w)/e), which
 * keeps p accurate as alpha -> 1.  Either way p (n) is then scaled to sum r
 * (entmax's ensure_sum_one).  Returns tau (in the coordinates of z); *steps
 * (may be NULL) gets the number of evaluations of the sum. */
double kx_entmax_bisect(const double *zc, const double *zcl, size_t m, const double *z,
                        const double *zl, size_t n, double e, double r, long iters, double *p,
                        int *steps);

/* p_i = [z_i - tau]_+^(1/e) over (n), -inf entries giving 0; e = 1 is plain
 * subtraction, e = 1/2 a square.  Returns sum p. */
double kx_entmax_p(const double *z, size_t n, double e, double tau, double *p);

#endif
