/*
 * test_entmax.c — the entmax kernels (lib/entmax.h) against values obtained
 * independently: brute-force support enumeration, the n = 2 closed forms, the
 * KKT conditions, a long-double bisection, finite differences, softmax.c for
 * alpha = 1, and the published numbers of softmax.md 8 (entmax README).
 */
#include <float.h>
#include <stdlib.h>
#include "tap.h"
#include "entmax.h"

#define NMAX 64

static double work[16 * NMAX + 16];

/* Run one row with every output. */
typedef struct {
	double p[NMAX], tau, loss, grad[NMAX], jvp[NMAX], vjp[NMAX];
	long long support;
	int steps, kind;
} res_t;

static res_t run(double alpha, double T, double r, int algo, long iters, int fast, int safe,
                 const double *x, size_t n, long t, const double *v, const double *g)
{
	res_t q;
	kx_entmax_cfg c = { alpha, T, r, algo, iters, fast, safe };
	kx_entmax_out o = { q.p, &q.tau, &q.support, t >= 0 ? &q.loss : NULL, t >= 0 ? q.grad : NULL,
	                    v ? q.jvp : NULL, v, g ? q.vjp : NULL, g, NULL, &q.steps };
	q.kind = kx_entmax_row(&c, x, n, t, &o, work);
	return q;
}

static double maxdiff(const double *a, const double *b, size_t n)
{
	double d = 0;
	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs(a[i] - b[i]));
	return d;
}

/* A small deterministic generator for test rows (not the toolbox's). */
static unsigned long long lcg = 88172645463325252ULL;
static double unif(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg >> 11) * 0x1.0p-53;
}

/* ===== brute force: every support S, the one satisfying the KKT ========== */

/* alpha = 2 (any r) or 1.5 (r = 1): tau_S in closed form; S valid when every
 * z in S is >= tau_S and every z outside is <= tau_S.  Long double sums. */
static int brute(const double *z, size_t n, double alpha, double r, double *p)
{
	for (unsigned long mask = 1; mask < (1UL << n); mask++) {
		long double s = 0, s2 = 0;
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (mask >> i & 1) {
				s += z[i];
				s2 += (long double)z[i] * z[i];
				k++;
			}
		long double tau;
		if (alpha == 2) {
			tau = (s - r) / k;
		} else {
			long double mu = s / k, M2 = s2 - k * mu * mu;
			if (1 - M2 < 0)
				continue;
			tau = mu - sqrtl((1 - M2) / k);
		}
		int ok = 1;
		for (size_t i = 0; i < n && ok; i++)
			ok = (mask >> i & 1) ? z[i] >= tau : z[i] <= tau;
		if (!ok)
			continue;
		for (size_t i = 0; i < n; i++) {
			long double d = z[i] > tau ? z[i] - tau : 0;
			p[i] = (double)(alpha == 2 ? d : d * d);
		}
		return 1;
	}
	return 0;
}

static void test_brute_force(void)
{
	/* tie-heavy rows: values from a grid of 5 levels, spacing 0.25 */
	double worst2 = 0, worst15 = 0, worstr = 0;
	int found = 1;
	for (int trial = 0; trial < 300; trial++) {
		size_t n = 1 + (size_t)(unif() * 8);
		double x[NMAX], z[NMAX], pb[NMAX];
		for (size_t i = 0; i < n; i++)
			x[i] = 0.25 * (int)(unif() * 5) - 0.5;
		double M = x[0];
		for (size_t i = 1; i < n; i++)
			M = fmax(M, x[i]);
		for (size_t i = 0; i < n; i++)
			z[i] = x[i] - M;
		res_t q = run(2, 1, 1, KX_EM_AUTO, 0, trial & 1, 0, x, n, -1, NULL, NULL);
		found &= brute(z, n, 2, 1, pb);
		worst2 = fmax(worst2, maxdiff(q.p, pb, n));
		q = run(2, 1, 0.3, KX_EM_AUTO, 0, trial & 1, 0, x, n, -1, NULL, NULL);
		found &= brute(z, n, 2, 0.3, pb);
		worstr = fmax(worstr, maxdiff(q.p, pb, n));
		for (size_t i = 0; i < n; i++)
			z[i] *= 0.5;
		q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, x, n, -1, NULL, NULL);
		found &= brute(z, n, 1.5, 1, pb);
		worst15 = fmax(worst15, maxdiff(q.p, pb, n));
	}
	tap_ok(found, "brute force finds a valid support for every tie-heavy row");
	tap_near(worst2, 0, 0, 4e-16, "sparsemax = brute-force support enumeration on 300 tie-heavy rows");
	tap_near(worstr, 0, 0, 4e-16, "sparsemax radius 0.3 = brute force on the same rows");
	tap_near(worst15, 0, 0, 1e-15, "1.5-entmax = brute-force support enumeration on 300 tie-heavy rows");
}

/* ===== sort, Condat and the closed form find the same tau ================ */

static void test_condat(void)
{
	double z[NMAX], buf[NMAX];
	int same = 1;
	for (int trial = 0; trial < 500; trial++) {
		size_t m = 1 + (size_t)(unif() * NMAX);
		int shape = trial % 4;
		double zmax = -INFINITY;
		for (size_t i = 0; i < m; i++) {
			z[i] = shape == 0 ? 3 * (unif() - 0.5) : shape == 1 ? 1e-3 * unif()
			     : shape == 2 ? 0.1 * (double)i : -0.1 * (double)i;
			zmax = fmax(zmax, z[i]);
		}
		for (size_t i = 0; i < m; i++)
			z[i] -= zmax;
		double ts = kx_sparsemax_tau_closed(z, m, 1, kx_sparsemax_tau_sort(z, m, 1, buf));
		double tc = kx_sparsemax_tau_closed(z, m, 1, kx_sparsemax_tau_condat(z, m, 1, buf));
		same &= ts == tc;
	}
	tap_ok(same, "Condat and the sort give bitwise the same closed-form tau (random, flat, ramps)");
	/* Condat's running tau before the closed form, on a ramp */
	double ramp[NMAX];
	for (size_t i = 0; i < NMAX; i++)
		ramp[i] = 0.01 * (double)i - 0.63;
	double tc = kx_sparsemax_tau_condat(ramp, NMAX, 1, buf);
	double tf = kx_sparsemax_tau_closed(ramp, NMAX, 1, tc);
	/* support: the top k with sum_{j<k} 0.01 j = 1 - k (tau + ...): check sum p = 1 */
	double s = 0;
	for (size_t i = 0; i < NMAX; i++)
		s += ramp[i] > tf ? ramp[i] - tf : 0;
	tap_near(s, 1, 1e-15, 0, "closed-form tau after Condat on a ramp: sum p = 1");
}

/* ===== closed forms and published numbers ================================= */

static void test_published(void)
{
	double x[] = { -2, 0, 0.5 };
	res_t q = run(2, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 3, 2, NULL, NULL);
	tap_ok(q.p[0] == 0 && q.p[1] == 0.25 && q.p[2] == 0.75, "sparsemax([-2,0,0.5]) = [0,0.25,0.75] exactly");
	tap_ok(q.tau == -0.25 && q.support == 2, "its tau is -0.25, support 2");
	tap_near(q.loss, 0.0625, 1e-15, 0, "sparsemax loss, t = 2: 0.0625");
	q = run(2, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 3, 0, NULL, NULL);
	tap_near(q.loss, 2.5625, 1e-15, 0, "sparsemax loss, t = 0: 2.5625");
	/* 1.5-entmax of [-2,0,0.5]: z = [-1.25,-0.25,0]; on {1,2}: mu = -1/8,
	 * M2 = 1/32, tau = -1/8 - sqrt(31/64) */
	double tau15 = -0.125 - sqrt(31.0 / 64);
	q = run(1.5, 1, 1, KX_EM_SORT, 0, 0, 0, x, 3, 2, NULL, NULL);
	tap_near(q.p[1], (-0.25 - tau15) * (-0.25 - tau15), 1e-15, 0, "entmax15 p_1 = (z_1 - tau)^2, tau = -1/8 - sqrt(31/64)");
	tap_near(q.p[2], 0.6739926363384381, 1e-15, 0, "entmax15([-2,0,0.5]) p_2 = 0.6740 (README)");
	tap_ok(q.p[0] == 0, "entmax15([-2,0,0.5]) p_0 = 0");
	tap_near(q.loss, 0.1843713789180696, 1e-14, 0, "entmax15 loss, t = 2: 0.1843713789180696 (entmax package)");
	q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 3, 0, NULL, NULL);
	tap_near(q.loss, 2.6843713789180694, 1e-15, 0, "entmax15 loss, t = 0: 2.6843713789180694");

	double a[] = { -1, 0, 0.5 }, b[] = { 1, 2, 3.5 };
	double wa[] = { 0.045982030452347215, 0.3276322536002527, 0.6263857159474001 };
	double wb[] = { 0.0025580581939998468, 0.10115537767501365, 0.8962865641309864 };
	q = run(1.33, 1, 1, KX_EM_AUTO, 0, 0, 0, a, 3, -1, NULL, NULL);
	tap_near(maxdiff(q.p, wa, 3), 0, 0, 1e-15, "entmax_bisect alpha 1.33 on [-1,0,0.5] (README)");
	res_t q2 = run(1.33, 1, 1, KX_EM_AUTO, 0, 0, 0, b, 3, -1, NULL, NULL);
	tap_near(maxdiff(q2.p, wb, 3), 0, 0, 1e-15, "entmax_bisect alpha 1.33 on [1,2,3.5] (README)");
	/* 24 steps of entmax_bisect's iteration; the package (vectorised pow)
	 * differs from libm's pow by an ulp here */
	double w24[] = { 0.04598203118558707, 0.3276322540153174, 0.6263857147990954 };
	q = run(1.33, 1, 1, KX_EM_BISECT, 24, 0, 0, a, 3, -1, NULL, NULL);
	tap_near(maxdiff(q.p, w24, 3), 0, 0, 2.5e-16, "--iters 24 follows entmax_bisect(n_iter=24) to an ulp");
	tap_ok(q.steps == 24, "--iters 24 takes 24 steps");
	tap_near(q.p[0] - wa[0], 7.3e-10, 0.01, 0, "p_0 after 24 steps differs from the converged one by 7.3e-10");

	/* dp_0/dalpha = -0.2562 at alpha = 1.33 (README), central differences */
	res_t up = run(1.33001, 1, 1, KX_EM_AUTO, 0, 0, 0, a, 3, -1, NULL, NULL);
	res_t dn = run(1.32999, 1, 1, KX_EM_AUTO, 0, 0, 0, a, 3, -1, NULL, NULL);
	tap_near((up.p[0] - dn.p[0]) / 2e-5, -0.25616772212152317, 1e-8, 0, "dp_0/dalpha = -0.25617 by central differences");
}

static void test_two(void)
{
	double worst2 = 0, worst15 = 0;
	for (int k = -40; k <= 40; k++) {
		double d = 0.06 * k, x[] = { d, 0 };
		res_t q = run(2, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 2, -1, NULL, NULL);
		double w = fmin(fmax((d + 1) / 2, 0), 1);
		worst2 = fmax(worst2, fabs(q.p[0] - w));
		q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 2, -1, NULL, NULL);
		double h = d / 2;
		double w15 = fabs(h) >= 1 ? (h > 0) : pow((h + sqrt(2 - h * h)) / 2, 2);
		worst15 = fmax(worst15, fabs(q.p[0] - w15));
	}
	tap_near(worst2, 0, 0, 2e-16, "n = 2: sparsemax p_1 = clip((d+1)/2, 0, 1)");
	tap_near(worst15, 0, 0, 4e-16, "n = 2: 1.5-entmax p_1 = ((d' + sqrt(2 - d'^2))/2)^2");
	double x[] = { 1, 0 };
	res_t q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 2, -1, NULL, NULL);
	tap_near(q.p[0], 0.8307189138830738, 1e-15, 0, "1.5-entmax([1,0]) = 0.8307189138830738");
	double y[] = { 2, 0 };
	q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, y, 2, -1, NULL, NULL);
	tap_ok(q.p[0] == 1 && q.p[1] == 0 && q.support == 1, "1.5-entmax([2,0]) = [1,0] exactly, support 1 (post's snippet fails)");
	double big[] = { 1e8, 1e8 + 0.5 }, sm[] = { 0, 0.5 };
	q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, big, 2, -1, NULL, NULL);
	res_t q2 = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, sm, 2, -1, NULL, NULL);
	tap_ok(q.p[0] == q2.p[0] && q.p[1] == q2.p[1], "1.5-entmax([1e8,1e8+0.5]) = 1.5-entmax([0,0.5]) (max subtracted)");
	tap_near(q.p[0], 0.32600736366156174, 1e-15, 0, "... = 0.32600736");
	double m[] = { 3, 1, 1 };
	q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, m, 3, 0, NULL, NULL);
	tap_ok(q.p[1] == 0 && q.p[2] == 0 && q.loss == 0, "1.5-entmax([3,1,1]) = [1,0,0] exactly and its loss is 0");
}

/* ===== KKT conditions, brentq-free check by long double bisection ======== */

static void test_kkt(void)
{
	double alphas[] = { 1.25, 1.5, 1.75, 2, 3 };
	double worst = 0, wsum = 0;
	int offok = 1;
	for (int ai = 0; ai < 5; ai++)
		for (int trial = 0; trial < 40; trial++) {
			size_t n = 2 + (size_t)(unif() * 30);
			double x[NMAX], T = 0.5 + unif();
			for (size_t i = 0; i < n; i++)
				x[i] = 4 * (unif() - 0.5);
			double al = alphas[ai], e = al - 1;
			res_t q = run(al, T, 1, KX_EM_AUTO, 0, 0, 0, x, n, -1, NULL, NULL);
			double s = 0;
			for (size_t i = 0; i < n; i++) {
				s += q.p[i];
				if (q.p[i] > 0)
					worst = fmax(worst, fabs(e * x[i] / T - pow(q.p[i], e) - q.tau));
				else
					offok &= e * x[i] / T <= q.tau + 1e-14;
			}
			wsum = fmax(wsum, fabs(s - 1));
		}
	tap_near(worst, 0, 0, 1e-14, "KKT: (a-1) x_i/T - p_i^(a-1) = tau on the support, a in {1.25,1.5,1.75,2,3}");
	tap_ok(offok, "KKT: (a-1) x_j/T <= tau off the support");
	tap_near(wsum, 0, 0, 1e-15, "KKT: sum p = 1");
}

/* long double bisection to the end of its precision, p in the log1p form */
static void ref_entmax(const double *x, size_t n, double alpha, long double *p)
{
	long double e = alpha - 1, M = x[0];
	for (size_t i = 1; i < n; i++)
		M = fmaxl(M, x[i]);
	long double lo = -1, hi = 0;
	for (int k = 0; k < 200; k++) {
		long double mid = (lo + hi) / 2, s = 0;
		for (size_t i = 0; i < n; i++) {
			long double d = e * (x[i] - M) - mid;
			if (d > 0)
				s += powl(d, 1 / e);
		}
		if (s >= 1)
			lo = mid;
		else
			hi = mid;
	}
	long double s = 0;
	for (size_t i = 0; i < n; i++) {
		long double d = e * (x[i] - M) - lo;
		p[i] = d > 0 ? powl(d, 1 / e) : 0;
		s += p[i];
	}
	for (size_t i = 0; i < n; i++)
		p[i] /= s;
}

static void test_bisection(void)
{
	double x[] = { 0.3, -1.2, 2, 0.5, -0.1, 1.1 };
	double alphas[] = { 1.1, 1.33, 1.5, 2, 2.5, 4 };
	double worst = 0;
	for (int ai = 0; ai < 6; ai++) {
		long double ref[6];
		ref_entmax(x, 6, alphas[ai], ref);
		res_t q = run(alphas[ai], 1, 1, KX_EM_BISECT, 0, 0, 0, x, 6, -1, NULL, NULL);
		for (int i = 0; i < 6; i++)
			worst = fmax(worst, fabs(q.p[i] - (double)ref[i]));
	}
	tap_near(worst, 0, 0, 3e-15, "converged bisection = long-double bisection, alpha 1.1 .. 4");
	/* alpha = 4 with an entry just above the threshold (p ~ 0.03, z - tau ~ 3e-5):
	 * dp/dz ~ p^-2 there, so a plain double bisection is off by 1e-13; the
	 * compensated search and its Newton step are not */
	double y4[] = { -0.3197339319412727, -1.9503046455574924, 2.1971735195138353,
	                -1.0857838634603736, -0.10238082538335315, -1.5865928064060872,
	                -1.2521461994403944, -2.555450303302341, 2.5141386274287854 };
	long double ref4[9];
	ref_entmax(y4, 9, 4, ref4);
	res_t q4 = run(4, 1, 1, KX_EM_AUTO, 0, 0, 0, y4, 9, -1, NULL, NULL);
	double w4 = 0;
	for (int i = 0; i < 9; i++)
		w4 = fmax(w4, fabs(q4.p[i] - (double)ref4[i]));
	tap_near(w4, 0, 0, 3e-16, "alpha = 4, an entry near the threshold: p within 3e-16 of long double");
	/* near alpha = 1 the rescaled coordinates keep p accurate */
	long double ref[6];
	ref_entmax(x, 6, 1 + 1e-6, ref);
	res_t q = run(1 + 1e-6, 1, 1, KX_EM_AUTO, 0, 0, 0, x, 6, -1, NULL, NULL);
	double rel = 0;
	for (int i = 0; i < 6; i++)
		rel = fmax(rel, fabs(q.p[i] / (double)ref[i] - 1));
	tap_near(rel, 0, 0, 1e-11, "alpha = 1 + 1e-6: relative error of p below 1e-11");
	/* entmax -> softmax linearly in alpha - 1 */
	double y[] = { -2, 0, 0.5 }, sp[3], dev[3];
	kx_softmax_cfg sc = { .mode = KX_SM_PLAIN, .T = 1 };
	kx_softmax_out so = { .p = sp };
	kx_softmax_row(&sc, y, 3, -1, &so, work);
	double as[] = { 1.1, 1.01, 1.001 }, want[] = { 0.021, 0.0021, 0.00021 };
	for (int k = 0; k < 3; k++) {
		q = run(as[k], 1, 1, KX_EM_AUTO, 0, 0, 0, y, 3, -1, NULL, NULL);
		dev[k] = maxdiff(q.p, sp, 3);
		tap_near(dev[k], want[k], 0.1, 0, "max |entmax - softmax| on [-2,0,0.5] is linear in alpha - 1");
	}
	double x2[] = { 1, 2 };
	q = run(3, 1, 1, KX_EM_BISECT, 0, 0, 0, x2, 2, -1, NULL, NULL);
	tap_ok(q.p[0] == 0 && q.p[1] == 1, "alpha = 3 on [1,2]: exactly one-hot ((a-1) gap = 2 >= 1)");
}

/* ===== alpha = 1, limits, bad rows ======================================== */

static void test_alpha1_and_limits(void)
{
	double x[] = { 1, 2, 3 }, sp[3], lse;
	kx_softmax_cfg sc = { .mode = KX_SM_PLAIN, .T = 0.7 };
	kx_softmax_out so = { .p = sp, .lse = &lse };
	kx_softmax_row(&sc, x, 3, -1, &so, work);
	res_t q = run(1, 0.7, 1, KX_EM_AUTO, 0, 0, 0, x, 3, -1, NULL, NULL);
	tap_ok(maxdiff(q.p, sp, 3) == 0, "alpha = 1 is softmax.c's softmax");
	double lse_ref = 3 / 0.7 + log(exp(-2 / 0.7) + exp(-1 / 0.7) + 1);
	tap_near(q.tau, lse_ref, 1e-15, 0, "alpha = 1: tau = logsumexp(x/T)");

	q = run(2, 0, 1, KX_EM_AUTO, 0, 0, 0, (double[]){ 1, 3, 3 }, 3, -1, NULL, NULL);
	tap_ok(q.p[0] == 0 && q.p[1] == 0.5 && q.p[2] == 0.5 && isnan(q.tau) && q.support == 2,
	       "T = 0: uniform on the argmax set, tau NaN");
	q = run(2, INFINITY, 2, KX_EM_AUTO, 0, 0, 0, (double[]){ 1, -INFINITY, 3, 2 }, 4, -1, NULL, NULL);
	tap_ok(q.p[0] == 2.0 / 3 && q.p[1] == 0 && q.support == 3, "T = inf: r/|F| on the finite entries");
	q = run(2, 1e6, 1, KX_EM_AUTO, 0, 0, 0, x, 3, -1, NULL, NULL);
	tap_near(q.p[0] - 1.0 / 3, -1e-6, 1e-9, 0, "T = 1e6: p_0 - 1/3 = (x_0 - mean)/T = -1e-6");

	q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, (double[]){ NAN, 1 }, 2, 0, NULL, NULL);
	tap_ok(q.kind == KX_ROW_NAN && isnan(q.p[0]) && isnan(q.loss) && isnan(q.tau) && q.support == 0,
	       "a NaN row gives NaN p, loss and tau, support 0");
	q = run(1.7, 1, 1, KX_EM_AUTO, 0, 0, 1, (double[]){ INFINITY, 1 }, 2, 0, NULL, NULL);
	tap_ok(q.kind == KX_ROW_NAN && isnan(q.p[1]), "a +inf row stays NaN with --safe");
	double mm[] = { -INFINITY, -INFINITY }, vv[] = { 1, 2 };
	q = run(2, 1, 1, KX_EM_AUTO, 0, 0, 0, mm, 2, 1, vv, vv);
	tap_ok(q.kind == KX_ROW_MASKED && isnan(q.p[0]) && isnan(q.jvp[0]), "a fully masked row is NaN by default");
	q = run(2, 2, 1, KX_EM_AUTO, 0, 0, 1, mm, 2, 1, vv, vv);
	tap_ok(q.p[0] == 0 && q.loss == INFINITY && q.grad[0] == 0 && q.grad[1] == -0.5 && q.jvp[1] == 0 &&
	       isnan(q.tau), "--safe: p = 0, loss = inf, grad = -e_t/T, jvp = 0, tau NaN");
	double xm[] = { 1, -INFINITY, 0.5 };
	q = run(1.5, 1, 1, KX_EM_AUTO, 0, 0, 0, xm, 3, 1, NULL, NULL);
	tap_ok(q.p[1] == 0 && q.loss == INFINITY && !isnan(q.p[0]), "a -inf entry gets p = 0; as the target, loss = inf");
	q = run(2, 1, 1, KX_EM_AUTO, 0, 0, 0, (double[]){ -1e308, 1e308 }, 2, -1, NULL, NULL);
	tap_ok(q.p[0] == 0 && q.p[1] == 1, "[-1e308, 1e308] gives [0, 1] (the difference overflows to -inf)");
}

/* ===== derivatives against finite differences ============================ */

static void test_derivatives(void)
{
	double x[] = { 0.3, -0.2, 0.9, 0.1, -1.5 }, v[] = { 0.7, -1.1, 0.4, 2.0, 0.3 };
	double alphas[] = { 1, 1.3, 1.5, 2, 2.7 };
	const double h = 1e-6;
	for (int ai = 0; ai < 5; ai++) {
		double al = alphas[ai], T = 0.8;
		res_t q = run(al, T, 1, KX_EM_AUTO, 0, 0, 0, x, 5, 2, v, v);
		double xp[5], xm[5], gw = 0, jw = 0;
		for (int j = 0; j < 5; j++) {
			memcpy(xp, x, sizeof x);
			memcpy(xm, x, sizeof x);
			xp[j] += h;
			xm[j] -= h;
			res_t a = run(al, T, 1, KX_EM_AUTO, 0, 0, 0, xp, 5, 2, NULL, NULL);
			res_t b = run(al, T, 1, KX_EM_AUTO, 0, 0, 0, xm, 5, 2, NULL, NULL);
			gw = fmax(gw, fabs((a.loss - b.loss) / (2 * h) - q.grad[j]));
		}
		for (int j = 0; j < 5; j++) {
			xp[j] = x[j] + h * v[j];
			xm[j] = x[j] - h * v[j];
		}
		res_t a = run(al, T, 1, KX_EM_AUTO, 0, 0, 0, xp, 5, -1, NULL, NULL);
		res_t b = run(al, T, 1, KX_EM_AUTO, 0, 0, 0, xm, 5, -1, NULL, NULL);
		for (int i = 0; i < 5; i++)
			jw = fmax(jw, fabs((a.p[i] - b.p[i]) / (2 * h) - q.jvp[i]));
		char what[120];
		snprintf(what, sizeof what, "alpha %g: grad = central differences of the loss", al);
		tap_near(gw, 0, 0, 1e-8, what);
		snprintf(what, sizeof what, "alpha %g: jvp = central differences of p along v", al);
		tap_near(jw, 0, 0, 1e-8, what);
		tap_ok(maxdiff(q.jvp, q.vjp, 5) == 0, "vjp = jvp (J is symmetric)");
	}
}

/* ===== dp/dalpha ========================================================== */

static res_t run_dalpha(double alpha, double T, const double *x, size_t n, double *da)
{
	res_t q;
	kx_entmax_cfg c = { alpha, T, 1, KX_EM_AUTO, 0, 0, 0 };
	kx_entmax_out o = { .p = q.p, .dalpha = da };
	q.kind = kx_entmax_row(&c, x, n, -1, &o, work);
	return q;
}

static void test_dalpha(void)
{
	double a[] = { -1, 0, 0.5 }, da[NMAX];
	run_dalpha(1.33, 1, a, 3, da);
	tap_near(da[0], -0.25616772212152317, 1e-14, 0, "dalpha at 1.33 on [-1,0,0.5]: -0.25616772212152317 (entmax package)");
	tap_near(da[0] + da[1] + da[2], 0, 0, 1e-15, "dalpha sums to 0");
	double x[] = { 0.3, -0.2, 0.9, 0.1, -1.5, 0.75 };
	double alphas[] = { 1.2, 1.5, 2, 2.7 };
	for (int k = 0; k < 4; k++) {
		const double h = 1e-5;
		res_t up = run_dalpha(alphas[k] + h, 0.8, x, 6, da);
		res_t dn = run_dalpha(alphas[k] - h, 0.8, x, 6, da);
		run_dalpha(alphas[k], 0.8, x, 6, da);
		double w = 0;
		for (int i = 0; i < 6; i++)
			w = fmax(w, fabs((up.p[i] - dn.p[i]) / (2 * h) - da[i]));
		char what[100];
		snprintf(what, sizeof what, "dalpha at alpha %g, T 0.8 = central differences", alphas[k]);
		tap_near(w, 0, 0, 1e-8, what);
	}
	/* alpha = 1: the limit -p (log^2 p - sum p log^2 p)/2 against one-sided
	 * second-order differences (alpha < 1 is not defined) */
	const double h = 1e-4;
	res_t p0 = run_dalpha(1, 1, a, 3, da);
	res_t p1 = run_dalpha(1 + h, 1, a, 3, NULL);
	res_t p2 = run_dalpha(1 + 2 * h, 1, a, 3, NULL);
	double w = 0;
	for (int i = 0; i < 3; i++)
		w = fmax(w, fabs((-3 * p0.p[i] + 4 * p1.p[i] - p2.p[i]) / (2 * h) - da[i]));
	tap_near(w, 0, 0, 1e-8, "dalpha at alpha = 1 (the limit) = one-sided differences");
	run_dalpha(1.7, 0, (double[]){ 1, 3, 3 }, 3, da);
	tap_ok(da[0] == 0 && da[1] == 0, "dalpha = 0 at T = 0");
}

/* ===== thousands of rows: sum, sign and KKT (issue 3) ===================== */

/* 6000 rows of 2..64 entries, half of them tie-heavy (values on a coarse
 * grid), for alpha = 2 (radius 1 and 0.3) and alpha = 1.5: sum p = r within
 * 1e-14, p >= 0, and with tau the KKT conditions of the projection:
 * (a-1) x_i - p_i^(a-1) = tau on the support, (a-1) x_j <= tau off it. */
static void test_many_rows(void)
{
	static const struct { double alpha, r; } cases[] = { { 2, 1 }, { 2, 0.3 }, { 1.5, 1 } };
	unsigned long long s = 88172645463325252ULL;
	double wsum = 0, wkkt = 0;
	int neg = 0, off = 0;
	for (int c = 0; c < 3; c++)
		for (int trial = 0; trial < 2000; trial++) {
			double x[NMAX], p[NMAX], tau;
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			size_t n = 2 + s % (NMAX - 1);
			int ties = trial % 2;
			for (size_t i = 0; i < n; i++) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				double u = (double)(s >> 11) * 0x1.0p-53;
				x[i] = ties ? floor(u * 6) * 0.25 : (u - 0.5) * 8;
			}
			kx_entmax_cfg cfg = { .alpha = cases[c].alpha, .T = 1, .r = cases[c].r, .algo = KX_EM_AUTO };
			kx_entmax_out o = { .p = p, .tau = &tau };
			kx_entmax_row(&cfg, x, n, -1, &o, work);
			double e = cases[c].alpha - 1, sum = 0;
			for (size_t i = 0; i < n; i++) {
				sum += p[i];
				neg |= p[i] < 0;
				if (p[i] > 0)
					wkkt = fmax(wkkt, fabs(e * x[i] - pow(p[i], e) - tau));
				else
					off |= e * x[i] > tau + 1e-13;
			}
			wsum = fmax(wsum, fabs(sum - cases[c].r));
		}
	tap_near(wsum, 0, 0, 1e-14, "6000 random and tie-heavy rows: sum p = r within 1e-14");
	tap_ok(!neg, "6000 rows: every p >= 0");
	tap_near(wkkt, 0, 0, 1e-13, "6000 rows: (a-1) x_i - p_i^(a-1) = tau on the support");
	tap_ok(!off, "6000 rows: (a-1) x_j <= tau off the support");
}

int main(void)
{
	test_many_rows();
	test_dalpha();
	test_brute_force();
	test_condat();
	test_published();
	test_two();
	test_kkt();
	test_bisection();
	test_alpha1_and_limits();
	test_derivatives();
	return tap_done();
}
