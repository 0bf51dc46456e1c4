/*
 * test_attn.c — the kernels of attn-scale-sweep against values obtained
 * independently: the explicit Jacobian, the generator's published known answers
 * (attn-scale.md 4.4), closed forms (Lambert W, cosh, sinh, 1/sqrt(pi)), direct
 * numerical integration, and the spec's published numbers (8).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "attn.h"
#include "rng.h"

/* G by the definition: half the entry-wise L1 norm of the Jacobian
 * dp_i/ds_j = alpha (p_i delta_ij - p_i p_j). */
static double objective_jacobian(const double *s, size_t n, double alpha)
{
	double m = s[0], z = 0, p[64], g = 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] > m)
			m = s[i];
	for (size_t i = 0; i < n; i++)
		z += p[i] = exp(alpha * (s[i] - m));
	for (size_t i = 0; i < n; i++)
		p[i] /= z;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			g += fabs(alpha * ((i == j ? p[i] : 0) - p[i] * p[j]));
	return 0.5 * g;
}

/* g(a) = E e^{a s} under the density (1 - s^2)^((d-3)/2) on [-1, 1], by Simpson. */
static double g_numeric(double a, double d)
{
	int m = 20000;
	double h = 2.0 / m, num = 0, den = 0;
	for (int i = 0; i <= m; i++) {
		double s = -1 + i * h, w = (i == 0 || i == m) ? 1 : (i % 2 ? 4 : 2);
		double dens = pow(1 - s * s, (d - 3) / 2);
		num += w * dens * exp(a * s);
		den += w * dens;
	}
	return num / den;
}

static double parabola(double x, void *ctx)
{
	(void)ctx;
	return -(x - 1.3) * (x - 1.3);
}

int main(void)
{
	char what[200];

	/* ----- the objective (4.2, claim A1) ----- */
	double s1[] = { 0.5, -1, 2, 0 };
	tap_near(kx_attn_objective(s1, 4, 1), 0.46016797027356, 1e-12, 0, "A1: G({0.5,-1,2,0}, 1) = 0.46016797027356");
	tap_near(kx_attn_objective(s1, 4, 1), objective_jacobian(s1, 4, 1), 1e-12, 0, "A1: G equals half the L1 norm of the Jacobian");
	kx_rng g;
	kx_rng_seed(&g, 7, 0);
	int ok = 1;
	for (int t = 0; t < 200; t++) {
		size_t n = 1 + kx_rng_below(&g, 40);
		double s[64], a = 10 * kx_rng_uniform(&g);
		for (size_t i = 0; i < n; i++)
			s[i] = 2 * kx_rng_normal(&g);
		double want = objective_jacobian(s, n, a), got = kx_attn_objective(s, n, a);
		if (!tap_close(got, want, 1e-12, 1e-14)) {
			ok = 0;
			printf("#   n %zu alpha %g: got %.17g want %.17g\n", n, a, got, want);
		}
	}
	tap_ok(ok, "A1: G against the explicit Jacobian for 200 random (s, alpha)");
	double s2[] = { 1, 1, 0 };
	tap_near(kx_attn_objective(s2, 3, 1), 0.6191561888664335, 1e-14, 0, "G({1,1,0}, 1)");
	tap_near(kx_attn_objective(s2, 3, 10), 5.00022698676707, 1e-14, 0, "G({1,1,0}, 10)");
	tap_near(kx_attn_objective(s2, 3, 100), 50, 1e-15, 0, "G({1,1,0}, 100) = 50 (two tied maxima)");
	double s3[] = { 0.3, -0.2, 0.9 };
	tap_near(kx_attn_objective(s3, 3, 100), 1.75e-24, 0.01, 0, "A6: G at alpha 100 is 1.75e-24 (no cancellation)");
	tap_near(kx_attn_objective(s3, 3, 0.01), 0.0066666, 1e-4, 0, "A6: G at alpha 0.01 is 0.0066666");
	tap_ok(kx_attn_objective(s3, 3, 0) == 0 && kx_attn_objective(s3, 1, 5) == 0, "G = 0 for alpha 0 and n 1");

	/* ----- sampling: the generator's known answers (4.4) ----- */
	double work[8], sc[4];
	kx_rng_seed(&g, 0, 0);
	kx_attn_sample(&g, KX_ATTN_DIST_SCORES, 64, 4, work, sc);
	double normals[] = { -0.01896499060631051, -1.3559302271143727, -0.40372109705088766, 0.23335097938940202 };
	for (int i = 0; i < 4; i++) {
		snprintf(what, sizeof what, "--dist scores seed 0: score %d is normal %d", i, i);
		tap_near(sc[i], normals[i], 1e-15, 1e-15, what);
	}
	tap_near(kx_attn_objective(sc, 4, 1), 0.6944204834835486, 1e-14, 0, "--dist scores -n 4 seed 0: objective at 1");
	kx_rng_seed(&g, 0, 0);
	kx_attn_sample(&g, KX_ATTN_DIST_NORMAL, 2, 2, work, sc);
	tap_near(sc[0], -0.21831998213169418, 1e-14, 0, "--dist normal -d 2 -n 2 seed 0: score 0");
	tap_near(sc[1], -0.019330345249074617, 1e-14, 0, "--dist normal -d 2 -n 2 seed 0: score 1");
	tap_near(kx_attn_objective(sc, 2, 1), 0.495082873101703, 1e-14, 0, "--dist normal -d 2 -n 2 seed 0: objective at 1");
	kx_rng_seed(&g, 0, 0);
	kx_attn_sample(&g, KX_ATTN_DIST_UNIFORM, 1, 1, work, sc);
	tap_near(sc[0], 0.35078531983725764 * 0.8583146341821849, 1e-15, 0, "--dist uniform seed 0: the first two components");
	kx_rng_seed(&g, 1, 0);
	kx_attn_sample(&g, KX_ATTN_DIST_SCORES, 1, 2, work, sc);
	tap_ok(tap_close(sc[0], 2.074907409448306, 1e-15, 0) && tap_close(sc[1], 2.0612531355350954, 1e-15, 0),
	       "--dist scores seed 1: the first two normals");
	kx_rng_seed(&g, 3, 0);
	ok = 1;
	for (int t = 0; t < 50; t++) {
		double cs[8];
		kx_attn_sample(&g, KX_ATTN_DIST_SPHERE, 1, 8, work, cs);
		for (int i = 0; i < 8; i++)
			ok &= cs[i] == 1 || cs[i] == -1;
	}
	tap_ok(ok, "--dist sphere -d 1 gives cosines +-1 only");
	/* sphere = cos of the normal draws; normal = dot/sqrt(d) of the same draws */
	double q[3], kk[6], sn[2], ss[2], want[2];
	kx_rng_seed(&g, 5, 0);
	kx_attn_sample(&g, KX_ATTN_DIST_SPHERE, 3, 2, work, ss);
	kx_rng_seed(&g, 5, 0);
	for (int j = 0; j < 3; j++) q[j] = kx_rng_normal(&g);
	for (int j = 0; j < 6; j++) kk[j] = kx_rng_normal(&g);
	for (int i = 0; i < 2; i++) {
		double qk = 0, qq = 0, k2 = 0;
		for (int j = 0; j < 3; j++) {
			qk += q[j] * kk[3 * i + j];
			qq += q[j] * q[j];
			k2 += kk[3 * i + j] * kk[3 * i + j];
		}
		want[i] = qk / sqrt(qq * k2);
	}
	tap_ok(tap_close(ss[0], want[0], 1e-14, 0) && tap_close(ss[1], want[1], 1e-14, 0),
	       "--dist sphere: cosines of the query and key draws");
	kx_attn_scores(q, kk, 2, 3, KX_ATTN_NORM_COS, work, sn);
	tap_ok(sn[0] == ss[0] && sn[1] == ss[1], "cos scores from q/k equal the sampled sphere scores bit for bit");
	kx_attn_scores(q, kk, 2, 3, KX_ATTN_NORM_NONE, work, sn);
	kx_attn_scores(q, kk, 2, 3, KX_ATTN_NORM_SQRTD, work, ss);
	tap_near(ss[0], sn[0] / sqrt(3.0), 1e-15, 0, "sqrt-d scores are the dot product over sqrt(d)");
	double z[3] = { 0, 0, 0 };
	kx_attn_scores(z, kk, 2, 3, KX_ATTN_NORM_COS, work, sn);
	tap_ok(sn[0] == 0 && sn[1] == 0, "a zero query has cosines 0");

	/* ----- statistics (4.3) ----- */
	double samp[] = { 0.5, -1, 2, 0,   0.1, 0.2, 0.3, 0.4,   3, 0, 0, 0 };
	kx_attn_samples S = { samp, NULL, 3, 4, 0 };
	double w3[3], v[3];
	kx_attn_point pt;
	kx_attn_eval(&S, 1.5, 1, w3, &pt);
	for (int t = 0; t < 3; t++)
		v[t] = objective_jacobian(samp + 4 * t, 4, 1.5);
	double mean = (v[0] + v[1] + v[2]) / 3;
	double var = ((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean) + (v[2] - mean) * (v[2] - mean)) / 2;
	double med = fmax(fmin(v[0], v[1]), fmin(fmax(v[0], v[1]), v[2]));
	tap_near(pt.mean, mean, 1e-12, 0, "mean over samples");
	tap_near(pt.se, sqrt(var / 3), 1e-12, 0, "standard error of the mean");
	tap_near(pt.median, med, 1e-12, 0, "median of three");
	size_t off[] = { 0, 4, 8 };
	kx_attn_samples S2 = { samp, off, 2, 0, 0 };
	kx_attn_eval(&S2, 1.5, 1, w3, &pt);
	tap_near(pt.median, (v[0] + v[1]) / 2, 1e-12, 0, "median of two is the midpoint (offsets form)");
	kx_attn_samples S1 = { samp, NULL, 1, 4, 0 };
	kx_attn_eval(&S1, 1.5, 0, w3, &pt);
	tap_ok(isnan(pt.se) && isnan(pt.median), "T = 1: stderr is NaN; no median unless asked");

	/* gaps: the same objective bit for bit, fixed length and offsets */
	double gs[200 * 7];
	size_t goff[201], glen = 0;
	kx_rng_seed(&g, 11, 0);
	for (int t = 0; t < 200; t++) {
		goff[t] = glen;
		size_t m = kx_rng_below(&g, 8);      /* 0..7 scores, ties included */
		for (size_t i = 0; i < m; i++)
			gs[glen++] = (double)kx_rng_below(&g, 4) + (t % 2 ? kx_rng_normal(&g) : 0);
	}
	goff[200] = glen;
	double orig[200 * 7], ov[200], gv[200];
	size_t ooff[201];
	memcpy(orig, gs, sizeof gs);
	memcpy(ooff, goff, sizeof goff);
	kx_attn_to_gaps(gs, goff, 200, 0);
	kx_attn_samples Sg = { gs, goff, 200, 0, 1 }, So = { orig, ooff, 200, 0, 0 };
	size_t nonempty = 0;
	for (int t = 0; t < 200; t++)
		nonempty += ooff[t + 1] > ooff[t];
	ok = goff[200] == glen - nonempty;
	for (double a = 0; a < 30; a += 0.7) {
		kx_attn_point p1, p2;
		kx_attn_eval(&So, a, 1, ov, &p1);
		kx_attn_eval(&Sg, a, 1, gv, &p2);
		ok &= memcmp(&p1, &p2, sizeof p1) == 0 || (isnan(p1.se) && p1.mean == p2.mean && p1.median == p2.median);
		for (int t = 0; t < 200; t++)
			ok &= kx_attn_objective(orig + ooff[t], ooff[t + 1] - ooff[t], a) ==
			      kx_attn_objective_gaps(gs + goff[t], goff[t + 1] - goff[t], a);
	}
	tap_ok(ok, "gaps give the objective and its statistics bit for bit (ragged samples, ties, empty)");
	double fx2[12] = { 0.3, -0.2, 0.9, 1, 1, 0, 2, 5, -1, 0, 0, 0 };
	double fo[12];
	memcpy(fo, fx2, sizeof fx2);
	kx_attn_to_gaps(fx2, NULL, 4, 3);
	ok = 1;
	for (int t = 0; t < 4; t++)
		ok &= kx_attn_objective(fo + 3 * t, 3, 2.5) == kx_attn_objective_gaps(fx2 + 2 * t, 2, 2.5);
	tap_ok(ok && fx2[0] == 0.3 - 0.9 && fx2[2] == 0 && fx2[3] == -1, "gaps of fixed-length samples skip the first maximum");

	/* Interleaved gaps (8 samples side by side, a shorter last block) give
	 * every per-sample objective and the statistics bit for bit; m = 0 too. */
	for (size_t m = 0; m < 40; m += 13) {
		enum { TT = 21 };
		double *pl = malloc((TT * m + 1) * sizeof *pl), *il = malloc((TT * m + 1) * sizeof *il);
		double *iw = malloc((8 * m + 1) * sizeof *iw), v1[TT], v2[TT];
		kx_rng_seed(&g, 12 + m, 0);
		for (size_t i = 0; i < TT * m; i++)
			pl[i] = -fabs(kx_rng_normal(&g)) * (i % 5 ? 1 : 30);
		memcpy(il, pl, TT * m * sizeof *pl);
		kx_attn_interleave(il, TT, m, iw);
		ok = m == 0 || (il[1] == pl[m] && il[8] == pl[1] && il[8 * m + 5] == pl[13 * m]);
		kx_attn_samples Sp = { pl, NULL, TT, m, 1 }, Si = { il, NULL, TT, m, 2 };
		for (double a = 0; a < 40; a += 1.3) {
			kx_attn_point p1, p2;
			kx_attn_eval(&Sp, a, 1, v1, &p1);
			kx_attn_eval(&Si, a, 1, v2, &p2);
			ok &= memcmp(&p1, &p2, sizeof p1) == 0;
			kx_attn_eval(&Sp, a, 0, v1, &p1);
			kx_attn_eval(&Si, a, 0, v2, &p2);
			ok &= memcmp(v1, v2, sizeof v1) == 0;
		}
		snprintf(what, sizeof what, "interleaved gaps, m = %zu: per-sample objectives and statistics bit for bit", m);
		tap_ok(ok, what);
		free(pl);
		free(il);
		free(iw);
	}
	/* kx_attn_pack: equal-length gaps with offsets are packed and evaluate
	 * the same; ragged ones are left alone. */
	{
		double pg[3 * 5], pc[3 * 5], pw[41], v1[3], v2[3];
		size_t po[4] = { 0, 5, 10, 15 }, ro[4] = { 0, 4, 10, 15 };
		kx_rng_seed(&g, 21, 0);
		for (int i = 0; i < 15; i++)
			pg[i] = pc[i] = -fabs(kx_rng_normal(&g));
		kx_attn_samples Sr = { pg, ro, 3, 0, 1 }, Se = { pg, po, 3, 0, 1 }, Sc = { pc, po, 3, 0, 1 };
		ok = !kx_attn_pack(&Sr, pw) && Sr.off == ro && Sr.gaps == 1;
		ok &= kx_attn_pack_work(&Se) == 41 && kx_attn_pack(&Se, pw) && !Se.off && Se.n == 5 && Se.gaps == 2;
		for (double a = 0.5; a < 20; a *= 1.7) {
			kx_attn_point p1, p2;
			kx_attn_eval(&Sc, a, 1, v1, &p1);
			kx_attn_eval(&Se, a, 1, v2, &p2);
			ok &= !memcmp(&p1, &p2, sizeof p1);
		}
		tap_ok(ok, "kx_attn_pack packs equal-length samples (same statistics, bit for bit), leaves ragged ones");
	}
	/* Sampling in blocks of keys = the spec's draw order one normal at a time
	 * (kx_rng_normal) and the scores of kx_attn_scores, bit for bit: normal
	 * and sphere, widths below and above the block, n not a multiple of 8. */
	{
		size_t dims[] = { 1, 3, 64, 600 }, nk = 77;
		ok = 1;
		for (int dist = 0; dist < 2; dist++)
			for (size_t di = 0; di < 4; di++) {
				size_t d = dims[di];
				int dd = dist ? KX_ATTN_DIST_SPHERE : KX_ATTN_DIST_NORMAL;
				double *q = malloc(d * sizeof *q), *k = malloc(nk * d * sizeof *k);
				double *w2 = malloc(2 * d * sizeof *w2), s1[77], s2[77];
				kx_rng g1, g2;
				kx_rng_seed(&g1, 3 + d, 0);
				kx_rng_normal(&g1);                  /* start with a cached value */
				g2 = g1;
				for (size_t j = 0; j < d; j++)
					q[j] = kx_rng_normal(&g1);
				for (size_t j = 0; j < nk * d; j++)
					k[j] = kx_rng_normal(&g1);
				kx_attn_scores(q, k, nk, d, dist ? KX_ATTN_NORM_COS : KX_ATTN_NORM_SQRTD, w2, s1);
				kx_attn_sample(&g2, dd, d, nk, w2, s2);
				ok &= !memcmp(s1, s2, sizeof s1) && !memcmp(g1.s, g2.s, sizeof g1.s)
				      && g1.has_cached == g2.has_cached;
				free(q);
				free(k);
				free(w2);
			}
		tap_ok(ok, "sampling in blocks = one draw at a time with kx_attn_scores, bit for bit (normal, sphere)");
	}

	/* ----- grid, argmax, golden section (4.5) ----- */
	double grid[81];
	kx_attn_grid(0.05, 20, 81, 1, grid);
	tap_ok(grid[0] == 0.05 && grid[80] == 20, "log grid: end points exact");
	tap_near(grid[40], sqrt(0.05 * 20), 1e-14, 0, "log grid: the middle point is the geometric mean");
	kx_attn_grid(0, 2, 5, 0, grid);
	tap_ok(grid[0] == 0 && grid[1] == 0.5 && grid[4] == 2, "linear grid from 0");
	double vals[] = { 1, 3, -INFINITY, 3, 2 };
	tap_ok(kx_attn_argmax(vals, 5) == 1, "argmax: the first maximum");
	double x, fx;
	kx_attn_golden(parabola, NULL, 0, 3, &x, &fx);
	tap_near(x, 1.3, 1e-6, 0, "golden section finds the top of a parabola");

	/* ----- Lambert W and the normal-case maximiser (2.3) ----- */
	tap_near(kx_attn_lambert_w0(1), 0.5671432904097838, 1e-15, 0, "W0(1) = omega");
	tap_ok(kx_attn_lambert_w0(0) == 0, "W0(0) = 0");
	tap_near(kx_attn_lambert_w0(exp(1.0)), 1, 1e-15, 0, "W0(e) = 1");
	tap_near(kx_attn_lambert_w0(1e6) * exp(kx_attn_lambert_w0(1e6)), 1e6, 1e-14, 0, "W0(1e6) e^W0 = 1e6");
	tap_ok(kx_attn_approx_argmax_normal(1) == 0, "alpha*(1) = 0");
	tap_near(kx_attn_approx_argmax_normal(512), 2.008394899828541, 1e-14, 0, "alpha*(512) (A2)");
	double ns[] = { 40, 491, 492, 6993, 153959 }, as[] = { 1.4342, 1.99984, 2.00026, 2.499996, 3.0000004 };
	for (int i = 0; i < 5; i++) {
		snprintf(what, sizeof what, "A3: alpha*(%g) = %g", ns[i], as[i]);
		tap_near(kx_attn_approx_argmax_normal(ns[i]), as[i], 2e-5, 0, what);
	}
	ok = 1;
	for (double n = 2; n < 1e6; n *= 1.7) {
		double a = kx_attn_approx_argmax_normal(n);
		ok &= tap_close(exp(a * a) * (1 + 2 * a * a), n, 1e-12, 0);
		ok &= kx_attn_approx(KX_ATTN_KIND_NORMAL, a, n, 0) >= kx_attn_approx(KX_ATTN_KIND_NORMAL, a * 1.001, n, 0);
		ok &= kx_attn_approx(KX_ATTN_KIND_NORMAL, a, n, 0) >= kx_attn_approx(KX_ATTN_KIND_NORMAL, a * 0.999, n, 0);
	}
	tap_ok(ok, "alpha* solves e^(a^2)(1 + 2a^2) = n and maximises the approximation");
	/* least-squares slope over the post's grid: 0.84135 */
	double sxy = 0, sxx = 0;
	for (int i = 1; i <= 500; i++) {
		double xx = sqrt(log(40.0 * i));
		sxy += kx_attn_approx_argmax_normal(40.0 * i) * xx;
		sxx += xx * xx;
	}
	tap_near(sxy / sxx, 0.84135, 1e-5 / 0.84135, 0, "A2: least-squares c in c sqrt(ln n) is 0.84135");
	tap_near(kx_attn_approx(KX_ATTN_KIND_NORMAL, 0.05, 3, 0), 0.03329161453990342, 1e-15, 0, "approx at 0.05, n 3 (5.4)");
	tap_ok(kx_attn_approx(KX_ATTN_KIND_NORMAL, 30, 3, 0) == -INFINITY, "approx beyond x > 700 is -inf");

	/* ----- ln g, the cosine case (4.6, 2.4) ----- */
	tap_near(kx_attn_log_g(2000, 1), 2000 - log(2.0), 1e-10, 0, "ln g(2000), d 1 = 2000 - ln 2");
	tap_near(kx_attn_log_g(0.7, 1), log(cosh(0.7)), 1e-14, 0, "ln g(0.7), d 1 = ln cosh");
	tap_near(kx_attn_log_g(5, 3), 2.697369506045584, 1e-14, 0, "ln g(5), d 3 = ln(sinh 5/5)");
	tap_near(kx_attn_log_g(1e-8, 3), log1p(1e-16 / 6), 1e-10, 0, "ln g of a tiny a keeps its accuracy");
	tap_near(kx_attn_log_g(50, 128), 9.1465978390337, 1e-10, 0, "ln g(50), d 128");
	tap_near(kx_attn_log_g(3, 5), log(g_numeric(3, 5)), 1e-10, 0, "ln g(3), d 5 against numerical integration");
	tap_near(kx_attn_log_g(40, 20), log(g_numeric(40, 20)), 1e-9, 0, "ln g(40), d 20 against numerical integration");
	/* Hankel's asymptotic series of I_63(8000): terms shrink fast for a >> nu^2 */
	double ser = 1, term = 1, mu = 4 * 63.0 * 63;
	for (int k = 1; k < 40 && fabs(term) > 1e-17; k++) {
		term *= -(mu - (2 * k - 1) * (2 * k - 1)) / (k * 8 * 8000.0);
		ser += term;
	}
	tap_near(kx_attn_log_g(8000, 128), lgamma(64) + 63 * log(2 / 8000.0) + 8000 - 0.5 * log(2 * M_PI * 8000) + log(ser),
	         1e-12, 0, "ln g(8000), d 128 against Hankel's expansion of I_63 (rescaled sum)");
	double grid2[81];
	kx_attn_grid(0.5, 500, 81, 1, grid2);
	int bnd;
	kx_attn_approx_argmax_cos(grid2, 81, 512, 128, &x, &fx, &bnd);
	tap_near(x, 24.21364, 1e-6, 0, "A4: cosine d 128, n 512: alpha* = 24.21364");
	tap_near(fx, 21.33747, 1e-6, 0, "A4: approximate objective there 21.33747");
	tap_ok(!bnd, "A4: not at the end of the grid");
	double ncos[] = { 684, 34149 }, acos_[] = { 25, 35 };
	for (int i = 0; i < 2; i++) {
		kx_attn_approx_argmax_cos(grid2, 81, ncos[i], 128, &x, &fx, &bnd);
		snprintf(what, sizeof what, "A4: cosine d 128: alpha*(%g) is about %g", ncos[i], acos_[i]);
		tap_near(x, acos_[i], 2e-3, 0, what);
	}

	/* ----- the plateau of the mean (3) ----- */
	tap_near(kx_attn_limit_scores(2), 1 / sqrt(M_PI), 1e-12, 0, "L(2) = 1/sqrt(pi)");
	tap_near(kx_attn_limit_scores(3), 1.5 / sqrt(M_PI), 1e-12, 0, "L(3) = 3/(2 sqrt(pi)) (Phi + Phi(-x) = 1)");
	tap_near(kx_attn_limit_scores(16), 1.7659913930548, 1e-12, 0, "L(16)");
	tap_near(kx_attn_limit_scores(512), 3.0439031612044, 1e-12, 0, "L(512)");
	tap_ok(kx_attn_limit_scores(1) == 0, "L(1) = 0");
	tap_near(kx_attn_limit_normal(512, 64), 3.0801642, 1e-7, 0, "A11: plateau for q, k ~ N(0, I_64), n 512");
	tap_near(kx_attn_limit_normal(16, 8), 1.95634, 1e-5, 0, "A11: plateau for d 8, n 16");
	tap_ok(kx_attn_limit_normal(16, 1) == INFINITY && kx_attn_limit_normal(1, 1) == 0, "d 1: the plateau is infinite (n >= 2)");

	/* ----- references (4.6) ----- */
	kx_attn_refs r;
	kx_attn_references(KX_ATTN_KIND_NORMAL, 512, 64, &r);
	tap_ok(tap_close(r.entropy, 1, 1e-15, 0) && r.standard == 1 && r.inv_sqrt_d == 0.125, "A10: normal-like: entropy scale 1 at n 512");
	kx_attn_references(KX_ATTN_KIND_COSINE, 512, 128, &r);
	tap_ok(tap_close(r.entropy, sqrt(128.0), 1e-15, 0) && tap_close(r.standard, sqrt(128.0), 1e-15, 0),
	       "A10: cosine: entropy scale sqrt(128) at n 512");
	tap_near(r.post_fit, 3.5 * log(512.0), 1e-15, 0, "post fit 3.5 ln n");
	return tap_done();
}
