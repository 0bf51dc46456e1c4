/* test_softmax.c — the softmax kernels against closed forms and identities
 * (softmax.md 3.1, 8).  Independent values: exact fractions, the n = 2
 * closed forms, finite differences, erfc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "softmax.h"
#include "vexp.h"
#include "rng.h"
#include "tap.h"

static double work[7 * 64 + 2];

static void run(kx_softmax_cfg *c, const double *x, size_t n, long t, kx_softmax_out *o)
{
	kx_softmax_row(c, x, n, t, o, work);
}

/* kx_exp_neg against long-double expl on 10^6 points of [-745, 0], and its
 * exact cases. */
static void test_vexp(void)
{
	kx_rng g;
	kx_rng_seed(&g, 1, 0);
	double worst = 0;
	for (int i = 0; i < 1000000; i++) {
		double z = -kx_rng_uniform(&g) * (i % 2 ? 708 : 40);
		long double ref = expl((long double)z);
		double rel = (double)fabsl(((long double)kx_exp_neg(z) - ref) / ref);
		if (rel > worst)
			worst = rel;
	}
	printf("# vexp worst relative error %.3g\n", worst);
	tap_ok(worst < 4e-16, "kx_exp_neg: relative error below 4e-16 on [-708, 0] against expl");
	tap_ok(kx_exp_neg(0) == 1 && kx_exp_neg(-INFINITY) == 0 && kx_exp_neg(-746) == 0 &&
	       kx_exp_neg(-1e300) == 0, "kx_exp_neg: exp(0) = 1, exp(-inf) = 0, deep underflow 0");
	int ok = 1;
	for (double z = -745; z > -708.5; z += 0.37)   /* subnormal results: one rounding */
		ok &= fabs(kx_exp_neg(z) - exp(z)) <= 4.95e-324 * 1.01;
	tap_ok(ok, "kx_exp_neg: subnormal results within one subnormal ulp of libm");
}

/* kx_exp_neg8 gives the bits of kx_exp_neg, lane by lane, in every
 * instruction set the clones use (each compiled here for its target, run
 * where the CPU has it): the vector bodies and scalar tails of the kernels
 * agree. */
#define EXP8_LOOP                                                   \
	for (size_t i = 0; i + 8 <= n; i += 8) {                    \
		kx_v8d v;                                           \
		memcpy(&v, z + i, sizeof v);                        \
		kx_exp_neg8(&v);                                    \
		memcpy(out + i, &v, sizeof v);                      \
	}
static void exp8_base(const double *z, size_t n, double *out) { EXP8_LOOP }
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
__attribute__((target("avx2"))) static void exp8_avx2(const double *z, size_t n, double *out)
{ EXP8_LOOP }
__attribute__((target("avx512f"))) static void exp8_avx512(const double *z, size_t n, double *out)
{ EXP8_LOOP }
#endif

static void test_vexp8(void)
{
	enum { N = 1 << 16 };
	static double z[N], ref[N], out[N];
	kx_rng g;
	kx_rng_seed(&g, 2, 0);
	const double special[] = { 0, -0.0, -0x1p-1074, -1e-300, -1e-17, -0.5 * 0x1.62e42fefa39efp-6,
	                           -0x1.62e42fefa39efp-6, -1, -100, -708.39, -708.4, -744.4, -745.13,
	                           -745.14, -745.2, -746, -746.5, -1e300, -INFINITY, NAN };
	size_t ns = sizeof special / sizeof special[0];
	for (size_t i = 0; i < N; i++) {
		double u = kx_rng_uniform(&g);
		z[i] = i < ns ? special[i] : i % 4 == 0 ? -u * 750 : i % 4 == 1 ? -u * 1e-3
		     : i % 4 == 2 ? -u * 40 : -(double)(i % 2400) * 0x1.62e42fefa39efp-6;   /* table edges */
	}
	for (size_t i = 0; i < N; i++)
		ref[i] = kx_exp_neg(z[i]);
	struct { const char *name; void (*f)(const double *, size_t, double *); int have; } v[] = {
		{ "baseline", exp8_base, 1 },
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
		{ "avx2", exp8_avx2, __builtin_cpu_supports("avx2") },
		{ "avx512f", exp8_avx512, __builtin_cpu_supports("avx512f") },
#endif
	};
	for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
		if (!v[k].have) {
			printf("# kx_exp_neg8 %s: not on this CPU, not run\n", v[k].name);
			continue;
		}
		memset(out, 0xff, sizeof out);
		v[k].f(z, N, out);
		char what[80];
		snprintf(what, sizeof what, "kx_exp_neg8 (%s) gives the bits of kx_exp_neg", v[k].name);
		tap_ok(!memcmp(out, ref, sizeof out), what);
	}
}

/* kx_softmax_divide gives the bits of e / S: random e over many binades,
 * quotients built next to midpoints between doubles (e = RN(mid S), the
 * hard cases of a multiply-and-correct division), and rows with a small e,
 * which take the division. */
static void test_divide(void)
{
	enum { N = 1 << 12 };
	static double e[N], p[N];
	kx_rng g;
	kx_rng_seed(&g, 3, 0);
	int ok = 1;
	long cases = 0;
	for (int rep = 0; rep < 200; rep++) {
		double S = ldexp(1 + kx_rng_uniform(&g), rep % 21);   /* [1, 2^21) */
		if (rep == 0)
			S = 1;
		for (int i = 0; i < N; i++) {
			double u = kx_rng_uniform(&g);
			int ex = -(int)(kx_rng_uniform(&g) * 800) - 1;
			if (i % 2) {            /* mid = q + ulp(q)/2, e = RN(mid S) */
				double q = ldexp(1 + u, ex);
				long double mid = (long double)q + ldexpl(1, ilogb(q) - 53);
				e[i] = (double)(mid * (long double)S);
				if (!(e[i] <= 1))
					e[i] = q;
			} else {
				e[i] = ldexp(1 + u, ex);
			}
		}
		if (rep % 50 == 49)
			e[rep % N] = 0x1p-900;          /* a small e: the row is divided */
		kx_softmax_divide(e, N, S, p);
		for (int i = 0; i < N; i++)
			ok &= p[i] == e[i] / S;
		cases += N;
	}
	printf("# kx_softmax_divide: %ld quotients\n", cases);
	tap_ok(ok, "kx_softmax_divide gives the bits of e / S (near-midpoint quotients included)");
}

int main(void)
{
	test_vexp();
	test_vexp8();
	test_divide();
	kx_softmax_cfg c = { .mode = KX_SM_PLAIN, .T = 1 };
	double p[8], lp[8], lse, loss, grad[8], jv[8], vj[8];
	kx_softmax_out o = { .p = p, .logp = lp, .lse = &lse };

	double x2[2] = { 0, log(3.0) };
	run(&c, x2, 2, -1, &o);
	tap_near(p[0], 0.25, 1e-15, 0, "softmax([0, log 3]) = [1/4, 3/4]");
	tap_near(lse, log(4.0), 1e-15, 0, "lse([0, log 3]) = log 4");

	double x3[3] = { 1, 2, 3 };
	run(&c, x3, 3, -1, &o);
	double s = exp(-2) + exp(-1) + 1;
	tap_near(p[0], exp(-2) / s, 2e-16, 0, "softmax([1,2,3])_0 = e^-2 / (1 + e^-1 + e^-2)");
	tap_near(lse, 3 + log(s), 1e-15, 0, "lse([1,2,3]) = 3 + log(1 + e^-1 + e^-2)");
	tap_near(lp[2], -log(s), 1e-15, 0, "log p_2 = -log(1 + e^-1 + e^-2)");

	double big[2] = { 100, 0 };
	run(&c, big, 2, -1, &o);
	tap_near(lp[0], -3.720075976020836e-44, 1e-15, 0, "log p of [100, 0] keeps -e^-100 (log1p)");

	c.T = 0;
	double tie[3] = { 1, 3, 3 };
	run(&c, tie, 3, -1, &o);
	tap_ok(p[0] == 0 && p[1] == 0.5 && p[2] == 0.5 && lse == 3, "T = 0: uniform on the tied maxima, lse = max");
	c.T = INFINITY;
	double m[3] = { 1, -INFINITY, 7 };
	run(&c, m, 3, -1, &o);
	tap_ok(p[0] == 0.5 && p[1] == 0 && p[2] == 0.5 && lse == INFINITY, "T = inf: uniform on the finite set");
	c.T = 0.1;
	run(&c, x3, 3, -1, &o);
	tap_ok(lse >= 3 && lse <= 3 + 0.1 * log(3.0), "max <= T lse(x/T) <= max + T log n");

	/* loss and gradient against central differences */
	c.T = 0.7;
	double xs[4] = { 0.3, -1.2, 2.0, 0.5 }, h = 1e-6;
	o = (kx_softmax_out){ .p = p, .loss = &loss, .grad = grad };
	run(&c, xs, 4, 1, &o);
	int ok = 1;
	for (int j = 0; j < 4; j++) {
		double xp[4], xm[4], lp1, lm1;
		memcpy(xp, xs, sizeof xs);
		memcpy(xm, xs, sizeof xs);
		xp[j] += h;
		xm[j] -= h;
		kx_softmax_out q = { .loss = &lp1 };
		run(&c, xp, 4, 1, &q);
		q.loss = &lm1;
		run(&c, xm, 4, 1, &q);
		ok &= fabs((lp1 - lm1) / (2 * h) - grad[j]) < 1e-8;
	}
	tap_ok(ok, "grad = (p - e_t)/T matches central differences of the loss");
	tap_near(loss, -log(p[1]), 1e-14, 0, "loss = -log p_t");

	/* the Jacobian: sum |J| / 2 = 1 - sum p^2 at T = 1 (claim 8) */
	c.T = 1;
	double J = 0, sp2 = 0;
	for (int j = 0; j < 4; j++) {
		double v[4] = { 0 };
		v[j] = 1;
		o = (kx_softmax_out){ .p = p, .jvp = jv, .v = v };
		run(&c, xs, 4, -1, &o);
		for (int i = 0; i < 4; i++)
			J += fabs(jv[i]);
	}
	for (int i = 0; i < 4; i++)
		sp2 += p[i] * p[i];
	tap_near(J / 2, 1 - sp2, 1e-15, 1e-15, "half the l1 norm of J equals 1 - sum p^2");
	/* VJP is the transpose: <g, J v> = <J^T g, v> */
	double v[4] = { 0.1, -0.4, 0.25, 1 }, g[4] = { 2, 0.5, -1, 0.3 };
	o = (kx_softmax_out){ .p = p, .jvp = jv, .v = v, .vjp = vj, .g = g, .jlog = 1 };
	run(&c, xs, 4, -1, &o);
	double a = 0, b = 0;
	for (int i = 0; i < 4; i++) {
		a += g[i] * jv[i];
		b += vj[i] * v[i];
	}
	tap_near(a, b, 1e-14, 1e-15, "log-softmax: <g, J v> = <J^T g, v>");

	/* top-k, top-p */
	c = (kx_softmax_cfg){ .mode = KX_SM_TOPK, .T = 1, .k = 2 };
	double x4[4] = { 1, 2, 3, 4 };
	o = (kx_softmax_out){ .p = p };
	run(&c, x4, 4, -1, &o);
	tap_near(p[3], 1 / (1 + exp(-1)), 1e-15, 0, "top-2 of [1,2,3,4] is softmax of [3,4]");
	tap_ok(p[0] == 0 && p[1] == 0, "top-k zeros the rest");
	c = (kx_softmax_cfg){ .mode = KX_SM_TOPP, .T = 1, .p = 0.6 };
	run(&c, x4, 4, -1, &o);
	tap_ok(p[3] == 1 && p[2] == 0, "top-p 0.6 of [1,2,3,4] keeps only the largest (0.64 >= 0.6)");

	/* Taylor: f_2(y) = 1 + y + y^2/2 */
	c = (kx_softmax_cfg){ .mode = KX_SM_TAYLOR, .T = 1, .order = 2 };
	run(&c, x3, 3, -1, &o);
	tap_ok(p[0] == 0.15625 && p[1] == 0.3125 && p[2] == 0.53125, "Taylor [1,2,3] = [5, 10, 17]/32 exactly");
	double hugey[2] = { 1e200, 0 };
	run(&c, hugey, 2, -1, &o);
	tap_ok(p[0] == 1 && p[1] == 0, "Taylor [1e200, 0] = [1, 0] (scaled recomputation)");
	c.order = 4;
	double y0[2] = { -1.5960716, 0 };
	run(&c, y0, 2, -1, &o);
	tap_near(p[0] / p[1], 0.2703948, 1e-6, 0, "min f_4 = 0.2703948 at -1.5960716");

	/* Perturb Max */
	c = (kx_softmax_cfg){ .mode = KX_SM_NORMAL, .T = 1 };
	double x01[2] = { 0, 1 };
	run(&c, x01, 2, -1, &o);
	tap_near(p[0], 0.5 * erfc(1 / 2.0), 1e-14, 0, "normal noise, n = 2: p_0 = Phi(-1/sqrt 2)");
	c.mode = KX_SM_GUMBEL;
	double q[8];
	kx_softmax_cfg c0 = { .mode = KX_SM_PLAIN, .T = 1 };
	kx_softmax_out o2 = { .p = q };
	run(&c, xs, 4, -1, &o);
	run(&c0, xs, 4, -1, &o2);
	tap_ok(!memcmp(p, q, 4 * sizeof *p), "Gumbel noise gives softmax bit for bit");

	/* degenerate and masked rows */
	c = (kx_softmax_cfg){ .mode = KX_SM_PLAIN, .T = 1 };
	double mm[2] = { -INFINITY, -INFINITY };
	o = (kx_softmax_out){ .p = p, .lse = &lse, .loss = &loss, .grad = grad };
	int kind = kx_softmax_row(&c, mm, 2, 0, &o, work);
	tap_ok(kind == KX_ROW_MASKED && isnan(p[0]) && lse == -INFINITY && isnan(loss), "all -inf: NaN, lse -inf");
	c.safe = 1;
	kx_softmax_row(&c, mm, 2, 0, &o, work);
	tap_ok(p[0] == 0 && p[1] == 0 && loss == INFINITY && grad[0] == -1 && grad[1] == 0,
	       "--safe: p = 0, loss = inf, grad = -e_t/T");
	double pin[2] = { INFINITY, 1 };
	kind = kx_softmax_row(&c, pin, 2, 0, &o, work);
	tap_ok(kind == KX_ROW_NAN && isnan(p[0]) && lse == INFINITY, "+inf: NaN row even with --safe, lse +inf");
	double ties[3] = { 0.1, 0.1, 0.1 };
	c.safe = 0;
	o = (kx_softmax_out){ .p = p, .grad = grad };
	run(&c, ties, 3, -1, &o);
	tap_ok(isnan(grad[0]) && isnan(grad[2]), "no target: grad is NaN, nothing written out of bounds");
	tap_ok(p[0] == p[1] && p[1] == p[2], "equal inputs give bitwise equal outputs");
	/* margin: x_t -= m */
	c = (kx_softmax_cfg){ .mode = KX_SM_PLAIN, .T = 0.05, .margin = 0.35 };
	double am[3] = { 0.9, 0.1, 0.5 };
	o = (kx_softmax_out){ .p = p, .loss = &loss };
	run(&c, am, 3, 0, &o);
	double z0 = (0.9 - 0.35) / 0.05, z1 = 0.1 / 0.05, z2 = 0.5 / 0.05;
	tap_near(loss, -z0 + log(exp(z0) + exp(z1) + exp(z2)), 1e-14, 0, "AM-Softmax loss with the margin");
	return tap_done();
}
