/*
 * entmax_tau.c — the threshold tau of the entmax family (softmax.md 3.2):
 * sorting (alpha = 2 and 1.5), Condat's algorithm (alpha = 2), the closed
 * forms on a known support, and bisection (any alpha > 1).
 *
 * Shapes: z, zc, buf are (m,) finite shifted scores, m >= 1 and max z = 0
 * (the caller subtracted the max, so no prefix sum or moment ever meets a
 * large common offset); z of the bisection is the whole row (n,), -inf
 * entries included.  e = alpha - 1 > 0, r > 0 the radius.
 */
#include <math.h>
#include <stddef.h>
#include "entmax.h"

/* Sort (n,) finite doubles in descending order: quicksort with a median-of-3
 * pivot and Hoare's partition (which splits runs of equal keys evenly),
 * recursing into the smaller part, insertion sort below 24 elements.  About
 * 3 times faster than qsort's indirect comparisons. */
static void sort_desc(double *a, size_t n)
{
	while (n > 24) {
		double x = a[0], y = a[n / 2], z = a[n - 1];
		double piv = x > y ? (y > z ? y : x > z ? z : x) : (x > z ? x : y > z ? z : y);
		ptrdiff_t i = -1, j = (ptrdiff_t)n;
		for (;;) {
			do i++; while (a[i] > piv);
			do j--; while (a[j] < piv);
			if (i >= j)
				break;
			double t = a[i];
			a[i] = a[j];
			a[j] = t;
		}
		size_t left = (size_t)j + 1;       /* a[0, left) >= piv >= a[left, n) */
		if (left < n - left) {
			sort_desc(a, left);
			a += left;
			n -= left;
		} else {
			sort_desc(a + left, n - left);
			n = left;
		}
	}
	for (size_t k = 1; k < n; k++) {
		double v = a[k];
		size_t m = k;
		for (; m > 0 && a[m - 1] < v; m--)
			a[m] = a[m - 1];
		a[m] = v;
	}
}

/* Copy into buf the entries that can be in the support and return their
 * count: with max z = 0, p_max = (-tau)^(1/e) <= r gives tau >= -r^e, so
 * entries z <= lim = -r^e get p = 0 and change neither the count K nor tau.
 * On typical rows this leaves a handful of entries to sort. */
static size_t candidates(const double *z, size_t m, double lim, double *buf)
{
	size_t c = 0;
	for (size_t i = 0; i < m; i++)
		if (z[i] > lim)
			buf[c++] = z[i];
	return c;
}

/* ===== alpha = 2 ========================================================= */

double kx_sparsemax_tau_sort(const double *z, size_t m, double r, double *buf)
{
	/* z: (m) scores; buf: (m) sorted copy, then overwritten by the prefix sums.
	 * K = #{k : r + k zs_k > S_k} (a prefix of 1..m in exact arithmetic; the
	 * count is what the entmax package takes, so a rounding wobble cannot
	 * leave a hole), tau = (S_K - r)/K. */
	m = candidates(z, m, -r, buf);        /* the max (0 > -r) is always one */
	sort_desc(buf, m);
	double S = 0;
	size_t K = 0;
	for (size_t k = 1; k <= m; k++) {
		double zk = buf[k - 1];
		S += zk;
		K += r + (double)k * zk > S;
		buf[k - 1] = S;
	}
	return (buf[K - 1] - r) / (double)K;    /* K >= 1: k = 1 always counts (r > 0) */
}

double kx_sparsemax_tau_condat(const double *z, size_t m, double r, double *buf)
{
	/* z: (m) scores; buf: (m) the candidate list.  Condat 2016, Algorithm
	 * "proposed": one pass keeps a running tau over a list v of candidates,
	 * restarting v at an entry that alone beats the running tau (the old list
	 * waits in buf[0, vs)); the waiting entries that still exceed tau rejoin;
	 * then entries <= tau leave v until none does.  buf[vs, len) is v. */
	size_t len = 1, vs = 0;
	buf[0] = z[0];
	double tau = z[0] - r;
	for (size_t i = 1; i < m; i++) {
		double y = z[i];
		if (!(y > tau))
			continue;
		buf[len++] = y;
		tau += (y - tau) / (double)(len - vs);
		if (tau <= y - r) {               /* y alone gives a larger tau: restart v at y */
			tau = y - r;
			vs = len - 1;
		}
	}
	/* the waiting entries buf[0, vs) that exceed tau join v, which grows downwards */
	size_t w = vs;
	for (size_t j = vs; j-- > 0;)
		if (buf[j] > tau) {
			buf[--w] = buf[j];            /* w - 1 >= j: never overwrites an unread entry */
			tau += (buf[w] - tau) / (double)(len - w);
		}
	double *v = buf + w;
	size_t k = len - w, kept;
	do {                                   /* drop entries <= tau until v is stable */
		kept = 0;
		for (size_t i = 0; i < k; i++) {
			if (v[i] > tau) {
				v[kept++] = v[i];
			} else {
				size_t left = kept + (k - i - 1);   /* v's size after this removal */
				if (left)
					tau += (tau - v[i]) / (double)left;
			}
		}
		if (kept == k || kept == 0)
			break;
		k = kept;
	} while (1);
	return tau;
}

/* tau in closed form on S = {z > thr}, sums in index order: alpha = 2
 * (quad = 0) (sum_S z - r)/|S|; alpha = 1.5 (quad = 1, r = 1)
 * mean - sqrt(max((1 - M2)/|S|, 0)) with two-pass moments.  *c gets |S|. */
static double tau_on(const double *z, size_t m, double r, double thr, int quad, size_t *c)
{
	double s = 0;
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		if (z[i] > thr) {
			s += z[i];
			k++;
		}
	*c = k;
	if (!quad || k == 0)
		return (s - r) / (double)k;
	double mean = s / (double)k, M2 = 0;
	for (size_t i = 0; i < m; i++)
		if (z[i] > thr)
			M2 += (z[i] - mean) * (z[i] - mean);
	double delta = (1 - M2) / (double)k;
	return mean - sqrt(delta > 0 ? delta : 0);
}

/* Michelot's shrinking: S = {z > thr}, tau = tau_on(S), the entries of S at
 * or below tau leave, until none does.  For alpha = 2 and S containing the
 * support, tau(S) <= the true tau, so no support entry is ever dropped. */
static double shrink(const double *z, size_t m, double r, double thr, int quad, double tau)
{
	for (int it = 0; it < 200; it++) {
		size_t c, above = 0;
		double t = tau_on(z, m, r, thr, quad, &c);
		if (c == 0)
			return tau;
		tau = t;
		if (!(tau > thr))
			return tau;        /* S = {z > thr} is a subset of {z > tau}: stable */
		for (size_t i = 0; i < m; i++)
			above += z[i] > tau;
		if (above == c)
			return tau;
		thr = tau;
	}
	return tau;
}

double kx_sparsemax_tau_closed(const double *z, size_t m, double r, double tau0)
{
	/* z: (m) scores.  Starting a little below tau0 (1e-9 relative) makes the
	 * start set, and so the bits of the result, the same whichever method
	 * gave tau0 (the sort and Condat differ in the last digits, and an entry
	 * equal to tau would otherwise fall on either side). */
	return shrink(z, m, r, tau0 - 1e-9 * (1 + fabs(tau0)), 0, tau0);
}

/* ===== alpha = 1.5 ======================================================= */

double kx_entmax15_tau_sort(const double *z, size_t m, double *buf)
{
	/* z: (m) scores; buf: (m) sorted copy, then overwritten by tau_k.
	 * Guess z_k >= tau >= z_{k+1}: sum_{i<=k} (zs_i - tau)^2 = 1 gives
	 * tau_k = mu_k - sqrt((1 - M2_k)/k), with Welford's running mean mu_k and
	 * M2_k = sum (zs_i - mu_k)^2 (not E[z^2] - mu^2, which cancels).
	 * K = #{k : tau_k <= zs_k} (the entmax package's rule), tau = tau_K. */
	m = candidates(z, m, -1, buf);
	sort_desc(buf, m);
	double mean = 0, M2 = 0;
	size_t K = 0;
	for (size_t k = 1; k <= m; k++) {
		double zk = buf[k - 1], d = zk - mean;
		mean += d / (double)k;
		M2 += d * (zk - mean);
		double delta = (1 - M2) / (double)k;
		double tk = mean - sqrt(delta > 0 ? delta : 0);
		K += tk <= zk;
		buf[k - 1] = tk;
	}
	return buf[(K ? K : 1) - 1];
}

double kx_entmax15_tau_closed(const double *z, size_t m, double tau0)
{
	/* z: (m) scores.  From {z > tau0} itself: the closed form of a superset
	 * of the support is not a lower bound here (the quadratic's root moves
	 * either way), so Michelot's argument does not carry over. */
	return shrink(z, m, 1, tau0, 1, tau0);
}

/* ===== any alpha: bisection ============================================== */

double kx_entmax_p(const double *z, size_t n, double e, double tau, double *p)
{
	/* z: (n) scores, -inf allowed; p: (n) output.  One code path per e, so
	 * equal scores give bitwise equal p. */
	double s = 0;
	if (e == 1) {
		for (size_t i = 0; i < n; i++) {
			double d = z[i] - tau;
			p[i] = d > 0 ? d : 0;
			s += p[i];
		}
	} else if (e == 0.5) {
		for (size_t i = 0; i < n; i++) {
			double d = z[i] - tau;
			p[i] = d > 0 ? d * d : 0;
			s += p[i];
		}
	} else {
		double inv = 1 / e;
		for (size_t i = 0; i < n; i++) {
			double d = z[i] - tau;
			p[i] = d > 0 ? pow(d, inv) : 0;
			s += p[i];
		}
	}
	return s;
}

/* sum_i [z_i - tau]_+^(1/e) over the finite scores, entmax_bisect's f + r */
static double mass_tau(const double *zc, size_t m, double inv, double tau)
{
	double s = 0;
	for (size_t i = 0; i < m; i++) {
		double d = zc[i] - tau;
		if (d > 0)
			s += pow(d, inv);
	}
	return s;
}

/* The converged search, in one of two coordinates, by safeguarded Newton
 * (Newton's step where it stays inside the bracket, else the bisection
 * midpoint; the bracket keeps f(lo) >= 0 >= f(hi)):
 *  - e >= 1: x = tau, d_i = (z_i - x) + zl_i.  Near the threshold z_i - x is
 *    exact (Sterbenz), and adding zl_i, the rounding error of z_i, matters:
 *    for alpha > 2, dp/dz = p^(2 - alpha)/e grows without bound as p -> 0, so
 *    an ulp of z_i would cost 1e-13 at alpha = 4 and 1e-8 at alpha = 7.
 *  - e < 1: x = w = (tau + c)/c, c = r^e, d_i = 1 + a_i with a_i = z_i/c - w,
 *    and d^(1/e) = exp(log1p(a)/e).  The power 1/e > 1 would magnify the
 *    rounding of z_i - tau near tau = -c (2^-53) by 1/e; a_i has only the
 *    rounding of two small numbers.
 * f(x) = sum_i (c d_i)^(1/e) / c^(1/e) - 1 in units of r, decreasing in x. */
typedef struct {
	const double *zc, *zl;   /* (m) finite scores, their rounding errors or NULL */
	size_t m;
	double inv, c;           /* 1/e; c = r^e (w coordinates) */
	int w;                   /* 1: w coordinates */
} search_t;

/* f(x) and -f'(x) >= 0 (in units of r). */
static double feval(const search_t *S, double x, double *fp)
{
	double s = 0, sp = 0;
	for (size_t i = 0; i < S->m; i++) {
		double d, q;
		if (S->w) {
			double a = S->zc[i] / S->c - x;
			if (!(a > -1))
				continue;
			q = exp(log1p(a) * S->inv);
			d = 1 + a;
		} else {
			d = (S->zc[i] - x) + (S->zl ? S->zl[i] : 0);
			if (!(d > 0))
				continue;
			q = pow(d, S->inv);
		}
		s += q;
		sp += q / d;
	}
	*fp = sp * S->inv;
	return s - 1;
}

static double search(const search_t *S, double lo, double hi, double *delta, int *steps)
{
	double fp, x = lo, f = feval(S, x, &fp);
	int k = 1;
	while (f != 0 && k < 4000) {
		double xn = fp > 0 ? x + f / fp : NAN;
		if (!(xn > lo && xn < hi)) {
			xn = (lo + hi) / 2;
			if (xn <= lo || xn >= hi)
				break;            /* the bracket is two adjacent doubles */
		}
		double step = xn - x;
		x = xn;
		f = feval(S, x, &fp);
		k++;
		if (f >= 0)
			lo = x;
		else
			hi = x;
		if (fabs(step) <= 0x1p-60 * fabs(x))
			break;
	}
	/* The root lies between doubles, and an entry with tiny d_i feels that gap
	 * magnified: one more Newton step, kept as a correction to d_i. */
	*delta = fp > 0 && isfinite(f / fp) ? f / fp : 0;
	*steps = k;
	return x;
}

double kx_entmax_bisect(const double *zc, const double *zcl, size_t m, const double *z,
                        const double *zl, size_t n, double e, double r, long iters, double *p,
                        int *steps)
{
	/* zc, zcl: (m) finite scores searched and their rounding errors; z, zl:
	 * (n) the row and its rounding errors; p: (n) output, sum r. */
	double inv = 1 / e, tau, s = 0;
	int k = 0;
	if (iters > 0) {
		/* entmax_bisect's iteration exactly: sum >= r at lo, <= r at hi */
		double lo = -pow(r, e), hi = -pow(r / (double)n, e);
		for (; k < iters; k++) {
			double mid = (lo + hi) / 2;
			if (mass_tau(zc, m, inv, mid) - r >= 0)
				lo = mid;
			else
				hi = mid;
		}
		tau = lo;
		s = kx_entmax_p(z, n, e, tau, p);
	} else if (e >= 1) {
		/* tau in units where r^e = c: scale the search so that f is in units of r */
		double c = pow(r, e), delta;
		search_t S = { zc, zcl, m, inv, c, 0 };
		/* sum (z - tau)^(1/e) - r = r (sum ((z - tau)/c)^(1/e) - 1): search on
		 * z/c when r != 1, which is exact for r = 1 (the only radius with
		 * e != 1) and a plain rescaling for alpha = 2 */
		if (c != 1) {
			/* alpha = 2, radius r: f is linear per entry, no compensation needed */
			double *zs = p;                     /* p (n >= m) is free until the end */
			for (size_t i = 0; i < m; i++)
				zs[i] = zc[i] / c;
			S.zc = zs;
			S.zl = NULL;
		}
		double x = search(&S, -1, -pow(1 / (double)n, e), &delta, &k);
		tau = c * x;
		for (size_t i = 0; i < n; i++) {
			double d = c == 1 ? ((z[i] - x) + (zl ? zl[i] : 0)) - delta : (z[i] / c - x) - delta;
			p[i] = d > 0 ? (c == 1 ? pow(d, inv) : r * pow(d, inv)) : 0;
			s += p[i];
		}
		tau += c * delta;
	} else {
		double c = pow(r, e), delta;
		search_t S = { zc, NULL, m, inv, c, 1 };
		double w = search(&S, 0, -expm1(-e * log((double)n)), &delta, &k);
		tau = c * (w + delta - 1);
		for (size_t i = 0; i < n; i++) {
			double a = (z[i] / c - w) - delta;
			p[i] = a > -1 ? r * exp(log1p(a) * inv) : 0;
			s += p[i];
		}
	}
	for (size_t i = 0; i < n; i++)      /* ensure_sum_one, scaled to r */
		p[i] = p[i] * r / s;
	if (steps)
		*steps = k;
	return tau;
}
