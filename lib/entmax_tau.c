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

/* sum_i [z_i - tau]_+^(1/e) over the finite scores, entmax_bisect's f + r;
 * with zl (the rounding errors of z, or NULL) the difference is
 * (z_i - tau) + zl_i, exact to an ulp of itself near the threshold. */
static double mass_tau(const double *zc, const double *zl, size_t m, double inv, double tau)
{
	double s = 0;
	for (size_t i = 0; i < m; i++) {
		double d = zc[i] - tau;
		if (zl)
			d += zl[i];
		if (d > 0)
			s += pow(d, inv);
	}
	return s;
}

/* sum_i (1 + u_i - w)_+^(1/e) with u = z/c, c = r^e: the mass over r, in the
 * rescaled coordinates.  exp(log1p(.)/e) instead of pow(1 + ., 1/e): for e
 * near 0, 1 + u - w rounds to a multiple of 2^-53 and the power 1/e would
 * multiply that rounding by 1/e; log1p keeps the small difference exact. */
static double mass_w(const double *zc, size_t m, double c, double inv, double w)
{
	double s = 0;
	for (size_t i = 0; i < m; i++) {
		double a = zc[i] / c - w;
		if (a > -1)
			s += exp(log1p(a) * inv);
	}
	return s;
}

double kx_entmax_bisect(const double *zc, const double *zcl, size_t m, const double *z,
                        const double *zl, size_t n, double e, double r, long iters, double *p,
                        int *steps)
{
	/* zc, zcl: (m) finite scores searched and their rounding errors; z, zl:
	 * (n) the row and its rounding errors; p: (n) output, sum r. */
	double inv = 1 / e, tau, s;
	int k = 0;
	if (iters > 0 || e >= 1) {
		/* entmax_bisect's iteration: sum >= r at lo, <= r at hi.  For e >= 1 it
		 * is also the accurate one: an entry near the threshold has z_i - mid
		 * exact (z_i and mid are within a factor 2), and the power 1/e <= 1
		 * does not magnify the rounding of the large differences.  Converged,
		 * it also adds the rounding errors of z: for e > 1 the map is
		 * ill-conditioned near the threshold (dp/dz = p^(2 - alpha)/e grows
		 * without bound as p -> 0), so an ulp of z_i would cost 1e-13 at
		 * alpha = 4 and 1e-8 at alpha = 7.  --iters N leaves them out, to
		 * follow entmax_bisect bit for bit. */
		const double *cl = iters > 0 ? NULL : zcl, *fl = iters > 0 ? NULL : zl;
		double lo = -pow(r, e), hi = -pow(r / (double)n, e);
		for (; iters > 0 ? k < iters : 1; k++) {
			double mid = (lo + hi) / 2;
			if (iters <= 0 && (mid <= lo || mid >= hi))
				break;
			if (mass_tau(zc, cl, m, inv, mid) - r >= 0)
				lo = mid;
			else
				hi = mid;
		}
		tau = lo;
		if (iters <= 0) {
			/* The bracket ends at adjacent doubles, but the root lies between
			 * them, and an entry with tiny d_i = z_i - tau feels that gap
			 * magnified.  One Newton step on the compensated differences
			 * gives tau + delta to about twice the precision:
			 * f = sum d^(1/e) - r, f' = -(1/e) sum d^(1/e - 1), delta = f/|f'|. */
			double f = -r, fp = 0, delta = 0;
			for (size_t i = 0; i < m; i++) {
				double d = (zc[i] - tau) + (cl ? cl[i] : 0);
				if (d > 0) {
					double q = pow(d, inv);
					f += q;
					fp += q / d;
				}
			}
			if (fp > 0 && isfinite(f / fp))
				delta = f / (fp * inv);
			s = 0;
			for (size_t i = 0; i < n; i++) {
				double d = ((z[i] - tau) + (fl ? fl[i] : 0)) - delta;
				p[i] = d > 0 ? pow(d, inv) : 0;
				s += p[i];
			}
			tau += delta;
		} else {
			s = kx_entmax_p(z, n, e, tau, p);
		}
	} else {
		/* e < 1: tau = c (w - 1), c = r^e; w in [0, 1 - n^-e] is the same
		 * bracket.  The power 1/e > 1 magnifies the rounding of z_i - tau
		 * (~2^-53 near tau = -c) by 1/e; u_i - w has only the rounding of two
		 * small numbers.  Entries near the threshold have p <= 2^(-1/e) and
		 * lose at most ~1e-16 absolute. */
		double c = pow(r, e), lo = 0, hi = -expm1(-e * log((double)n));
		for (;; k++) {
			double mid = (lo + hi) / 2;
			if (mid <= lo || mid >= hi)
				break;
			if (mass_w(zc, m, c, inv, mid) - 1 >= 0)
				lo = mid;
			else
				hi = mid;
		}
		tau = c * (lo - 1);
		s = 0;
		for (size_t i = 0; i < n; i++) {
			double a = z[i] / c - lo;
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
