/*
 * entmax.c — one row of sparsemax / alpha-entmax (softmax.md 3.2): the kind
 * of row (3.0), the limits T = 0 and T = inf, the threshold by the method the
 * configuration picks (entmax_tau.c), then tau_out, the support, the
 * Fenchel-Young loss, its gradient, JVP and VJP.  alpha = 1 is softmax and is
 * computed by softmax.c.
 *
 * Shapes: n is the row length; x, z, zl, p, grad, v, g, jvp, vjp, dalpha are
 * (n,); zc and zcl are (m,), the finite entries of z and zl, m <= n.
 */
#include <math.h>
#include <string.h>
#include "entmax.h"

size_t kx_entmax_work(size_t n)
{
	size_t own = 6 * n, sm = kx_softmax_work(n) + n;
	return own > sm ? own : sm;
}

static void dalpha(const double *p, size_t n, double alpha, double *out);

static void fill(double *a, size_t n, double v)
{
	if (a)
		for (size_t i = 0; i < n; i++)
			a[i] = v;
}

/* ===== rows that are NaN or fully masked (3.0) ============================ */

static int special_row(const kx_entmax_cfg *c, size_t n, long t, kx_entmax_out *o, int kind)
{
	int safe = kind == KX_ROW_MASKED && c->safe;
	fill(o->p, n, safe ? 0 : NAN);
	if (o->tau)
		*o->tau = NAN;                 /* no threshold gives sum p = r */
	if (o->support)
		*o->support = 0;
	if (o->loss)
		*o->loss = safe ? INFINITY : NAN;
	fill(o->grad, n, safe ? 0 : NAN);
	if (safe && o->grad && t >= 0)
		o->grad[t] = -1 / c->T;        /* (p - e_t)/T with p = 0 */
	fill(o->jvp, n, safe ? 0 : NAN);
	fill(o->vjp, n, safe ? 0 : NAN);
	fill(o->dalpha, n, safe ? 0 : NAN);
	if (o->steps)
		*o->steps = 0;
	return kind;
}

static long long count_positive(const double *p, size_t n)
{
	long long k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] > 0;
	return k;
}

/* ===== alpha = 1: softmax.c, plus tau = logsumexp(x/T) ==================== */

static int softmax_row(const kx_entmax_cfg *c, const double *x, size_t n, long t,
                       kx_entmax_out *o, double *work)
{
	/* work: kx_softmax_work(n) doubles for softmax.c, and p (n) after them
	 * when the caller wants no p (the support needs it). */
	double lse = NAN;
	double *p = o->p ? o->p : work + kx_softmax_work(n);
	kx_softmax_cfg sc = { .mode = KX_SM_PLAIN, .T = c->T, .safe = c->safe };
	kx_softmax_out so = {
		.p = p, .lse = &lse, .loss = o->loss, .grad = o->grad,
		.jvp = o->jvp, .v = o->v, .vjp = o->vjp, .g = o->g,
	};
	int kind = kx_softmax_row(&sc, x, n, t, &so, work);
	int finite_T = c->T > 0 && !isinf(c->T);
	if (o->tau)      /* in the units of x/T: T lse(x/T) / T (exact at T = 1) */
		*o->tau = kind == KX_ROW_OK && finite_T ? lse / c->T : NAN;
	if (o->support)
		*o->support = kind == KX_ROW_OK ? count_positive(p, n) : 0;
	if (o->dalpha) {
		if (kind != KX_ROW_OK)
			fill(o->dalpha, n, kind == KX_ROW_MASKED && c->safe ? 0 : NAN);
		else if (finite_T)
			dalpha(p, n, 1, o->dalpha);
		else
			fill(o->dalpha, n, 0);
	}
	if (o->steps)
		*o->steps = 0;
	return kind;
}

/* ===== the limits T = 0 (argmax set) and T = inf (finite set) ============ */

static void limit_row(const kx_entmax_cfg *c, const double *x, size_t n, double M,
                      kx_entmax_out *o, double *p)
{
	size_t a = 0;
	int zero = c->T == 0;
	for (size_t i = 0; i < n; i++)
		a += zero ? x[i] == M : x[i] > -INFINITY;
	double pa = c->r / (double)a;
	for (size_t i = 0; i < n; i++)
		p[i] = (zero ? x[i] == M : x[i] > -INFINITY) ? pa : 0;
	if (o->tau)
		*o->tau = NAN;
	if (o->support)
		*o->support = (long long)a;
	if (o->loss)                /* not defined: the command line needs 0 < T < inf */
		*o->loss = NAN;
	fill(o->grad, n, NAN);
	fill(o->jvp, n, 0);         /* p is locally constant in x, and independent of alpha */
	fill(o->vjp, n, 0);
	fill(o->dalpha, n, 0);
	if (o->steps)
		*o->steps = 0;
}

/* ===== derivatives ======================================================== */

/* J u = (s u - s <s,u>/sum s)/T, s_i = p_i^(2 - alpha) on the support, 0 off
 * it; J is symmetric, so the same serves the VJP.  Off-support entries are
 * skipped rather than multiplied by 0, so an infinite u_i there stays out. */
static void jprod(const double *p, size_t n, double alpha, double T, const double *u,
                  double *out)
{
	double ss = 0, su = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > 0) {
			double s = alpha == 2 ? 1 : alpha == 1.5 ? sqrt(p[i]) : pow(p[i], 2 - alpha);
			ss += s;
			su += s * u[i];
		}
	double q = su / ss;
	for (size_t i = 0; i < n; i++) {
		if (p[i] > 0) {
			double s = alpha == 2 ? 1 : alpha == 1.5 ? sqrt(p[i]) : pow(p[i], 2 - alpha);
			out[i] = s * (u[i] - q) / T;
		} else {
			out[i] = 0;
		}
	}
}

/* dp/dalpha (Correia, Niculae, Martins 2019; the entmax package's backward):
 *   (p - s~)/e^2 - (p log p - s~ H)/e,  s~ = s/sum s, s = p^(2-alpha), H = sum p log p.
 * At alpha = 1 both terms are O(1/e) and cancel; expanding s~ to second order
 * in e gives the limit -p_i (log^2 p_i - sum_j p_j log^2 p_j)/2.  Entries with
 * p = 0 get 0. */
static void dalpha(const double *p, size_t n, double alpha, double *out)
{
	double e = alpha - 1, ss = 0, H = 0, K = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > 0) {
			double l = log(p[i]);
			ss += alpha == 2 ? 1 : pow(p[i], 2 - alpha);
			H += p[i] * l;
			K += p[i] * l * l;
		}
	for (size_t i = 0; i < n; i++) {
		if (!(p[i] > 0)) {
			out[i] = 0;
		} else if (e == 0) {
			double l = log(p[i]);
			out[i] = -p[i] * (l * l - K) / 2;
		} else {
			double st = (alpha == 2 ? 1 : pow(p[i], 2 - alpha)) / ss;
			out[i] = (p[i] - st) / (e * e) - (p[i] * log(p[i]) - st * H) / e;
		}
	}
}

/* Fenchel-Young loss with y = (x - M)/T:
 *   sum_{p_i > 0} p_i y_i - y_t + (1 - sum p_i^alpha)/(alpha (alpha - 1)).
 * Summing only where p_i > 0 avoids 0 * (-inf); y_t = -inf gives +inf.
 * Not the post's 1/2 - x_t + 1/2 sum (x_i^2 - lambda^2): that cancels for
 * large |x|. */
static double fy_loss(const double *x, const double *p, size_t n, long t, double M, double T,
                      double alpha)
{
	double py = 0, pa = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > 0) {
			py += p[i] * ((x[i] - M) / T);
			pa += alpha == 2 ? p[i] * p[i] : alpha == 1.5 ? p[i] * sqrt(p[i]) : pow(p[i], alpha);
		}
	return py - (x[t] - M) / T + (1 - pa) / (alpha * (alpha - 1));
}

/* The rounding error of z = e ((x - M)/T), by error-free transformations:
 * TwoSum for x - M, the exact remainder fma(-q, T, y) of the division, and
 * fma for the product.  Compiled without value-changing optimisations
 * (fast-math would fold it to 0). */
static double low_part(double x, double M, double T, double e, double z)
{
	double y = x - M, bb = y - x;
	double ey = (x - (y - bb)) + (-M - bb);      /* x - M = y + ey exactly */
	double q = y / T;
	double eq = (fma(-q, T, y) + ey) / T;         /* (x - M)/T = q + eq */
	return fma(e, q, -z) + e * eq;                /* e (q + eq) = z + this */
}

/* ===== one row ============================================================ */

int kx_entmax_row(const kx_entmax_cfg *c, const double *x, size_t n, long t,
                  kx_entmax_out *o, double *work)
{
	if (c->alpha == 1)
		return softmax_row(c, x, n, t, o, work);

	/* work: z (n) the shifted row and zl (n) its rounding errors, zc and zcl
	 * (m) their finite entries, buf (m) the threshold kernels' scratch, p (n)
	 * when the caller wants no p. */
	double *z = work, *zl = work + n, *zc = work + 2 * n, *zcl = work + 3 * n;
	double *buf = work + 4 * n, *p = o->p ? o->p : work + 5 * n;
	/* one branch-free pass: the max (NaN never wins) and a NaN flag; +inf and
	 * "all -inf" follow from the max */
	int has_nan = 0;
	double M = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		M = x[i] > M ? x[i] : M;
		has_nan |= x[i] != x[i];
	}
	int has_pinf = M == INFINITY, all_minf = M == -INFINITY && !has_nan;
	if (all_minf)
		return special_row(c, n, t, o, KX_ROW_MASKED);
	if (has_nan || has_pinf)
		return special_row(c, n, t, o, KX_ROW_NAN);

	double T = c->T, r = c->r, e = c->alpha - 1;
	if (T == 0 || isinf(T)) {
		limit_row(c, x, n, M, o, p);
		return KX_ROW_OK;
	}
	/* Subtract the max, then scale: max z = 0 exactly, and (x - M)/T cannot
	 * overflow where x/T would.  -inf entries (and those whose difference
	 * overflows) stay out of the search. */
	int exact2 = c->alpha == 2, exact15 = c->alpha == 1.5 && r == 1;
	/* --algo=sort with another alpha falls back to bisection (the command
	 * line refuses it); auto with alpha 1.5 or 2 ignores iters */
	int bisect = c->algo == KX_EM_BISECT || !(exact2 || exact15);
	int low = bisect && e >= 1 && c->iters <= 0;    /* only that search uses zl */
	size_t m = 0;
	if (e == 1 && T == 1 && !low) {
		/* sparsemax at T = 1: multiplying and dividing by 1 are exact, so
		 * z = x - M is the same number, without the two operations */
		for (size_t i = 0; i < n; i++) {
			z[i] = x[i] - M;
			if (z[i] > -INFINITY)
				zc[m++] = z[i];
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			z[i] = e * ((x[i] - M) / T);
			zl[i] = low && z[i] > -INFINITY ? low_part(x[i], M, T, e, z[i]) : 0;
			if (z[i] > -INFINITY) {
				zcl[m] = zl[i];
				zc[m++] = z[i];
			}
		}
	}
	double tau;
	int steps = 0;
	if (bisect) {
		tau = kx_entmax_bisect(zc, low ? zcl : NULL, m, z, low ? zl : NULL, n, e, r, c->iters, p,
		                       &steps);
	} else {
		/* an exact method finds the support; tau is then recomputed in closed
		 * form on it (Condat's running tau drifts: 3.6e-12 on a ramp) */
		if (exact2) {
			double t0 = c->fast && c->algo == KX_EM_AUTO ? kx_sparsemax_tau_condat(zc, m, r, buf)
			                                             : kx_sparsemax_tau_sort(zc, m, r, buf);
			tau = kx_sparsemax_tau_closed(zc, m, r, t0);
		} else {
			tau = kx_entmax15_tau_closed(zc, m, kx_entmax15_tau_sort(zc, m, buf));
		}
		kx_entmax_p(z, n, e, tau, p);
	}
	if (o->steps)
		*o->steps = steps;
	if (o->tau)        /* back to the coordinates of e x / T */
		*o->tau = tau + e * (M / T);
	if (o->support)
		*o->support = count_positive(p, n);
	if (o->loss)
		*o->loss = t < 0 ? NAN : fy_loss(x, p, n, t, M, T, c->alpha);
	if (o->grad)
		for (size_t j = 0; j < n; j++)
			o->grad[j] = (p[j] - (j == (size_t)t)) / T;
	if (o->jvp)
		jprod(p, n, c->alpha, T, o->v, o->jvp);
	if (o->vjp)
		jprod(p, n, c->alpha, T, o->g, o->vjp);
	if (o->dalpha)
		dalpha(p, n, c->alpha, o->dalpha);
	return KX_ROW_OK;
}
