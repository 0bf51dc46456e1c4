/*
 * softmax.c — the softmax family (softmax.md 3.1).  Shapes: n is the row
 * length; x, p, logp, e, v, g, grad, jvp, vjp are (n,).
 *
 * Recipe (3.1): subtract the max first, then divide by T, so (x - M)/T never
 * overflows; e_i = exp(z_i) with exp(-inf) = 0; p_i = e_i / S.  log p uses
 * L = log1p(sum of e_i over i != j*), j* the first argmax, which keeps the
 * relative accuracy of log p_{j*} when the others are tiny.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "softmax.h"
#include "vexp.h"
#include "vmath.h"     /* kx_fma_level */

size_t kx_softmax_work(size_t n) { return 7 * n + 2; }

double kx_log_ndtr(double u)
{
	return log(0.5 * erfc(-u * 0.70710678118654752440));
}

/* ----- the plain map on a row of finite and -inf entries, not all -inf ----- */

typedef struct {
	double M;       /* max */
	double L;       /* log of the normaliser relative to exp(M/T): log S */
	double lse;     /* T * logsumexp(x / T) */
} norm_t;

/* The reductions run in KX_W = 8 lanes, lane l taking the elements i = l
 * mod 8 of each whole block, then the tail in lane 0, then a fixed tree: the
 * order is the same whichever vector width the clone uses (8 lanes are one
 * AVX-512 register, two AVX2 ones, four SSE2 ones), so every clone gives the
 * same bits.  Written with GNU vector types, which gcc lowers to whatever
 * width the clone has (the auto-vectoriser leaves such lane loops scalar). */
#define KX_W 8
typedef double v8d __attribute__((vector_size(64)));
typedef long long v8l __attribute__((vector_size(64)));

static double tree8(const v8d *v)      /* a pointer: no vector argument ABI */
{
	double a[KX_W];
	memcpy(a, v, sizeof a);
	return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* The max of x (n), its min in *mn (both meaningful for finite rows), and
 * *finite = 0 when some entry is NaN or infinite (x * 0 is NaN exactly then;
 * the caller looks closer).  NaN never wins. */
KX_CLONES static double max_check(const double *x, size_t n, double *mn, int *finite)
{
	v8d m = { -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY,
	          -INFINITY }, c = { 0 }, lo = -m;
	size_t i = 0;
	for (; i + KX_W <= n; i += KX_W) {
		v8d v;
		memcpy(&v, x + i, sizeof v);
		v8l gt = v > m;                  /* all ones where x > m */
		m = (v8d)(((v8l)v & gt) | ((v8l)m & ~gt));
		v8l lt = v < lo;
		lo = (v8d)(((v8l)v & lt) | ((v8l)lo & ~lt));
		c += v * 0;
	}
	for (; i < n; i++) {
		m[0] = x[i] > m[0] ? x[i] : m[0];
		lo[0] = x[i] < lo[0] ? x[i] : lo[0];
		c[0] += x[i] * 0;
	}
	double r = m[0], q = lo[0];
	for (int l = 1; l < KX_W; l++) {
		r = m[l] > r ? m[l] : r;
		q = lo[l] < q ? lo[l] : q;
	}
	*finite = tree8(&c) == 0;
	*mn = q;
	return r;
}

/* e_i = exp((x_i - M)/T) (n), subtract first, then divide (T = 1e-310 does
 * not overflow); dividing by 1 is exact, so T = 1 skips it.  Blocks of 8 by
 * kx_exp_neg8, or kx_exp_neg8_708 when the least z, zmin = (xmin - M)/T, is
 * >= -708 (the same bits, fewer operations; z is monotone in x, so zmin is
 * the least z), the tail by kx_exp_neg: the same bits (vexp.h), so the same
 * expression for every element (3.3).  xmin = -inf: not known.
 *
 * In the same pass, the sum of e over the entries of x below M (returned),
 * and *ties = how many equal M (their e is exactly 1): KX_W lanes, lane l
 * taking the elements i = l mod 8 of each whole block, then the tail in lane
 * 0, then tree8. */
#define EXPS_BLOCKS(EXP8, Z)                                  \
	for (; i + KX_W <= n; i += KX_W) {                    \
		kx_v8d v, xv;                                 \
		memcpy(&xv, x + i, sizeof xv);                \
		v = (Z);                                      \
		EXP8(&v);                                     \
		memcpy(e + i, &v, sizeof v);                  \
		v8l eq = xv == Mv;      /* all ones where x = M */    \
		s += (v8d)((v8l)v & ~eq);   /* e, or +0 where x = M */ \
		t += (v8d)((v8l)one & eq);  /* 1 where x = M, else +0 */ \
	}
#define EXPS_TAIL(Z)                                          \
	for (; i < n; i++) {                                  \
		e[i] = kx_exp_neg(Z);                         \
		s[0] += x[i] == M ? 0 : e[i];                 \
		t[0] += x[i] == M;                            \
	}
KX_CLONES static double exps(const double *restrict x, size_t n, double M, double T, double zmin,
                             double *restrict e, double *ties)
{
	v8d s = { 0 }, t = { 0 }, one = { 1, 1, 1, 1, 1, 1, 1, 1 }, Mv = one * M;
	size_t i = 0;
	if (T == 1) {
		if (zmin >= -708.0)
			EXPS_BLOCKS(kx_exp_neg8_708, xv - M)
		else
			EXPS_BLOCKS(kx_exp_neg8, xv - M)
		EXPS_TAIL(x[i] - M)
	} else {
		if (zmin >= -708.0)
			EXPS_BLOCKS(kx_exp_neg8_708, (xv - M) / T)
		else
			EXPS_BLOCKS(kx_exp_neg8, (xv - M) / T)
		EXPS_TAIL((x[i] - M) / T)
	}
	*ties = tree8(&t);
	return tree8(&s);
}

/* p = e / S (n), correctly rounded given e (torch multiplies by 1/S, one
 * rounding more).  Division is slow (vdivpd: 16 cycles per 8 on AVX-512), so
 * where the CPU has FMA: q = RN(e R) with R = RN(1/S), the residual
 * r = e - q S exactly by one fma, and p = RN(q + r R) by another (Markstein's
 * correction), which is RN(e/S) again: the same bits as the division, on
 * every clone and machine.  This is Markstein's theorem (Markstein 1990;
 * Muller et al., Handbook of Floating-Point Arithmetic, on FMA division):
 * in binary with rounding to nearest, if R = RN(1/S), q is within one ulp
 * of e/S (here |q - e/S| < ulp(q): two roundings of 2^-53 each) and r is
 * exact, then RN(q + r R) = RN(e/S).  The residual is exact only far from underflow,
 * so that path needs every e >= 2^-860 (the usual row: z >= -596) and
 * 1 <= S <= 2^53 (as here: S = 1 + the others); else the division.  Tested
 * against the division on 10^9 pairs including quotients near midpoints
 * (tests/unit/test_softmax.c has a share of them), and the same algorithm in
 * binary32 on every significand of [1, 2) for 3000 divisors. */
KX_CLONES static void divide_plain(const double *restrict e, size_t n, double S,
                                   double *restrict p)
{
	for (size_t i = 0; i < n; i++)
		p[i] = e[i] / S;
}

#ifdef KX_FMA_CLONES
#define DIVIDE_FMA                                                  \
	for (size_t i = 0; i < n; i++) {                            \
		double q = e[i] * R, r = fma(-q, S, e[i]);          \
		p[i] = fma(r, R, q);                                \
	}
__attribute__((target("avx512f,fma"))) static void divide_fma512(const double *restrict e,
                                                                 size_t n, double S, double R,
                                                                 double *restrict p)
{
	DIVIDE_FMA
}
__attribute__((target("avx2,fma"))) static void divide_fma256(const double *restrict e, size_t n,
                                                              double S, double R,
                                                              double *restrict p)
{
	DIVIDE_FMA
}
#endif

/* The least of e (n >= 1), in 8 lanes */
KX_CLONES static double min_of(const double *e, size_t n)
{
	v8d mn = { INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY };
	size_t i = 0;
	for (; i + KX_W <= n; i += KX_W) {
		v8d v;
		memcpy(&v, e + i, sizeof v);
		v8l lt = v < mn;
		mn = (v8d)(((v8l)v & lt) | ((v8l)mn & ~lt));
	}
	for (; i < n; i++)
		mn[0] = e[i] < mn[0] ? e[i] : mn[0];
	double r = mn[0];
	for (int l = 1; l < KX_W; l++)
		r = mn[l] < r ? mn[l] : r;
	return r;
}

/* emin_ok: every e >= 2^-860 */
static void divide(const double *e, size_t n, double S, int emin_ok, double *p)
{
#ifdef KX_FMA_CLONES
	int level = emin_ok && n >= KX_W && S >= 1 && S <= 0x1p53 ? kx_fma_level() : 0;
	if (level == 2) {
		divide_fma512(e, n, S, 1 / S, p);
		return;
	}
	if (level == 1) {
		divide_fma256(e, n, S, 1 / S, p);
		return;
	}
#else
	(void)emin_ok;
#endif
	divide_plain(e, n, S, p);
}

void kx_softmax_divide(const double *e, size_t n, double S, double *p)
{
	divide(e, n, S, n > 0 && min_of(e, n) >= 0x1p-860, p);
}

/* p, log p and the normaliser of a row of finite and -inf entries, not all -inf. */
/* log p_i = (x_i - M)/T - L (n); dividing by 1 is exact, so T = 1 skips it */
KX_CLONES static void logs(const double *restrict x, size_t n, double M, double T, double L,
                           double *restrict logp)
{
	if (T == 1)
		for (size_t i = 0; i < n; i++)
			logp[i] = (x[i] - M) - L;
	else
		for (size_t i = 0; i < n; i++)
			logp[i] = (x[i] - M) / T - L;
}

/* xmin: the least x, or -inf when not known */
static norm_t plain(const double *x, size_t n, double M, double xmin, double T, double *p,
                    double *logp, double *e)
{
	norm_t r = { M, 0, 0 };
	if (T == 0) {                        /* uniform on the argmax set A */
		size_t a = 0;
		for (size_t i = 0; i < n; i++)
			a += x[i] == r.M;
		double pa = 1.0 / (double)a, la = -log((double)a);
		for (size_t i = 0; i < n; i++) {
			if (p) p[i] = x[i] == r.M ? pa : 0;
			if (logp) logp[i] = x[i] == r.M ? la : -INFINITY;
		}
		r.L = log((double)a);
		r.lse = r.M;
		return r;
	}
	if (isinf(T)) {                      /* uniform on the finite set F */
		size_t f = 0;
		for (size_t i = 0; i < n; i++)
			f += x[i] > -INFINITY;
		double pf = 1.0 / (double)f, lf = -log((double)f);
		for (size_t i = 0; i < n; i++) {
			if (p) p[i] = x[i] > -INFINITY ? pf : 0;
			if (logp) logp[i] = x[i] > -INFINITY ? lf : -INFINITY;
		}
		r.L = log((double)f);
		r.lse = f >= 2 ? INFINITY : r.M;
		return r;
	}
	/* the first argmax has e = 1 exactly; S = 1 + the others, the other
	 * ties included */
	double zmin = T == 1 ? xmin - M : (xmin - M) / T;   /* the least z (exps) */
	double ties, others = exps(x, n, M, T, zmin, e, &ties);
	others += ties - 1;
	double S = 1 + others;
	if (p)
		divide(e, n, S, zmin >= -596.0, p);     /* e >= exp(-596) > 2^-860 */
	r.L = log1p(others);
	r.lse = M + T * r.L;
	if (logp)
		logs(x, n, M, T, r.L, logp);
	return r;
}

/* ----- top-k / top-p: the kept set, the rest masked with -inf ----- */

typedef struct { double x; size_t i; } item_t;

static int by_score(const void *a, const void *b)
{
	const item_t *u = a, *v = b;
	if (u->x != v->x)
		return u->x > v->x ? -1 : 1;             /* descending */
	return (u->i > v->i) - (u->i < v->i);        /* ties: ascending index */
}

/* Keep the first m of the order; mask the rest of xs with -inf. */
static void keep_first(double *xs, size_t n, const item_t *order, size_t m)
{
	for (size_t r = m; r < n; r++)
		xs[order[r].i] = -INFINITY;
}

static void select_set(const kx_softmax_cfg *c, double *xs, size_t n, double *e, item_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (item_t){ xs[i], i };
	qsort(order, n, sizeof *order, by_score);
	if (c->mode == KX_SM_TOPK) {
		keep_first(xs, n, order, c->k < n ? c->k : n);
		return;
	}
	/* top-p: q = softmax(x/T); the least m with c_m >= P, summed left to right */
	double *q = e + n;
	plain(xs, n, order[0].x, -INFINITY, c->T, q, NULL, e);
	double cm = 0;
	size_t m = n;
	for (size_t r = 0; r < n; r++) {
		cm += q[order[r].i];
		if (cm >= c->p) {
			m = r + 1;
			break;
		}
	}
	keep_first(xs, n, order, m);
}

/* ----- Taylor softmax ----- */

/* f_K(y) = sum_{m <= K} y^m / m! by Horner. */
static double taylor_f(double y, int K)
{
	double f = 1;
	for (int m = K; m >= 1; m--)
		f = 1 + f * y / m;
	return f;
}

/* M^{-K} f_K(y) as sum_m (y/M)^m M^{m-K} / m!, for rows where f overflows. */
static double taylor_scaled(double y, int K, int upto, double Mx)
{
	double u = y / Mx, s = 0, um = 1, fact = 1;
	for (int m = 0; m <= upto; m++) {
		if (m)
			fact *= m, um *= u;
		s += um * pow(Mx, m - K) / fact;
	}
	return s;
}

/* p (n) and f1 = f_{K-1}(y)/S (n), y = x/T; returns 0, or -1 for a NaN row. */
static int taylor(const double *x, size_t n, double T, int K, double *p, double *f1,
                  double *fk, double *S_out)
{
	double S = 0, S1 = 0;
	int over = 0;
	for (size_t i = 0; i < n; i++) {
		double y = x[i] / T;
		fk[i] = taylor_f(y, K);
		f1[i] = taylor_f(y, K - 1);
		S += fk[i];
		S1 += f1[i];
		if (!isfinite(fk[i]) || !isfinite(f1[i]))
			over = 1;
	}
	if (over || !isfinite(S) || !isfinite(S1)) {
		double Mx = 1;
		for (size_t i = 0; i < n; i++)
			Mx = fmax(Mx, fabs(x[i] / T));
		S = 0;
		for (size_t i = 0; i < n; i++) {
			double y = x[i] / T;
			fk[i] = taylor_scaled(y, K, K, Mx);
			f1[i] = taylor_scaled(y, K, K - 1, Mx);
			S += fk[i];
		}
	}
	for (size_t i = 0; i < n; i++) {
		p[i] = fk[i] / S;
		f1[i] /= S;
	}
	*S_out = S;
	return 0;
}

/* ----- Perturb Max with normal noise: trapezoid rule on [-10, 10], h = 1/8 ----- */

static void perturb_normal(const double *x, size_t n, double T, double *p)
{
	const double h = 0.125, lphi0 = -0.91893853320467274178;   /* -log sqrt(2 pi) */
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		double yi = x[i] / T;
		if (yi == -INFINITY) {
			p[i] = 0;
			continue;
		}
		double acc = 0;
		for (int k = 0; k <= 160; k++) {
			double eps = -10 + k * h, s = lphi0 - 0.5 * eps * eps;
			for (size_t j = 0; j < n; j++)
				if (j != i)
					s += kx_log_ndtr(yi - x[j] / T + eps);
			double f = exp(s);
			acc += (k == 0 || k == 160) ? 0.5 * f : f;
		}
		p[i] = h * acc;
		sum += p[i];
	}
	for (size_t i = 0; i < n; i++)
		p[i] /= sum;
}

/* ----- rows that are NaN or fully masked (3.0) ----- */

static void fill(double *a, size_t n, double v)
{
	if (a)
		for (size_t i = 0; i < n; i++)
			a[i] = v;
}

static int special_row(const kx_softmax_cfg *c, const double *x, size_t n, long t,
                       kx_softmax_out *o, int kind, int has_nan, int has_pinf)
{
	int safe = kind == KX_ROW_MASKED && c->safe;
	fill(o->p, n, safe ? 0 : NAN);
	fill(o->logp, n, safe ? -INFINITY : NAN);
	if (o->lse)
		*o->lse = has_nan ? NAN : has_pinf ? INFINITY : kind == KX_ROW_MASKED ? -INFINITY : NAN;
	if (o->loss)
		*o->loss = safe ? INFINITY : NAN;
	fill(o->grad, n, safe ? 0 : NAN);
	if (safe && o->grad && t >= 0)
		o->grad[t] = -1 / c->T;
	fill(o->jvp, n, safe ? 0 : NAN);
	fill(o->vjp, n, safe ? 0 : NAN);
	(void)x;
	return kind;
}

/* ----- one row ----- */

int kx_softmax_row(const kx_softmax_cfg *c, const double *x, size_t n, long t,
                   kx_softmax_out *o, double *work)
{
	/* x: (n) scores; work: xs (n) the shifted and masked copy, e (n) exponentials,
	 * q (n) scratch, order (2n) for the sort, f1 (n) Taylor's f_{K-1}/S, p (n) when
	 * the caller wants no p. */
	double *xw = work, *e = work + n, *f1 = work + 5 * n;
	item_t *order = (item_t *)(work + 3 * n);
	const double *xs = x;
	if ((c->margin != 0 && t >= 0) || c->mode == KX_SM_TOPK || c->mode == KX_SM_TOPP) {
		memcpy(xw, x, n * sizeof *xw);      /* a copy only where the row changes */
		if (c->margin != 0 && t >= 0)
			xw[t] -= c->margin;
		xs = xw;
	}

	/* one pass: the max (NaN never wins), and whether anything is not finite */
	int finite;
	double xmin, M = max_check(xs, n, &xmin, &finite);
	int has_nan = 0, has_pinf = M == INFINITY, any_inf = !finite;
	if (!finite)
		for (size_t i = 0; i < n; i++)
			has_nan |= isnan(xs[i]);
	if (M == -INFINITY && !has_nan)
		return special_row(c, x, n, t, o, KX_ROW_MASKED, 0, 0);
	if (has_nan || has_pinf || (c->mode == KX_SM_TAYLOR && any_inf))
		return special_row(c, x, n, t, o, KX_ROW_NAN, has_nan, has_pinf);

	double T = c->T, xt = t >= 0 ? xs[t] : 0;
	double *p = o->p ? o->p : work + 6 * n;   /* p is needed for loss, grad and the JVPs */
	norm_t nz = { 0, 0, 0 };
	switch (c->mode) {
	case KX_SM_TOPK:
	case KX_SM_TOPP:
		select_set(c, xw, n, e, order);
		/* fall through */
	case KX_SM_PLAIN:
	case KX_SM_GUMBEL:          /* Gumbel noise gives softmax(x/T) exactly */
		/* top-k and top-p masked xs after max_check: its min is stale */
		nz = plain(xs, n, M, c->mode == KX_SM_TOPK || c->mode == KX_SM_TOPP ? -INFINITY : xmin,
		           T, p, o->logp, e);
		if (o->lse)
			*o->lse = nz.lse;
		if (o->loss)            /* (lse_T over the kept set - x_t) / T */
			*o->loss = t >= 0 ? nz.L - (xt - nz.M) / T : NAN;
		break;
	case KX_SM_TAYLOR: {
		double S;
		taylor(xs, n, T, c->order, p, f1, e, &S);
		if (o->logp)
			for (size_t i = 0; i < n; i++)
				o->logp[i] = log(p[i]);
		if (o->loss)
			*o->loss = t >= 0 ? -log(p[t]) : NAN;
		if (o->grad && t >= 0) {
			/* g_j = [f_{K-1}(y_j)/S - d_jt f_{K-1}(y_t)/f_K(y_t)] / T */
			for (size_t j = 0; j < n; j++)
				o->grad[j] = f1[j] / T;
			o->grad[t] -= (f1[t] / p[t]) / T;
		}
		return KX_ROW_OK;
	}
	case KX_SM_NORMAL:
		perturb_normal(xs, n, T, p);
		if (o->logp)
			for (size_t i = 0; i < n; i++)
				o->logp[i] = log(p[i]);
		if (o->loss)
			*o->loss = t >= 0 ? -log(p[t]) : NAN;
		return KX_ROW_OK;
	}

	if (o->grad) {                          /* (p - e_t) / T */
		for (size_t j = 0; j < n; j++)
			o->grad[j] = t >= 0 ? p[j] / T : NAN;
		if (t >= 0)
			o->grad[t] -= 1 / T;
	}
	int finite_T = T > 0 && !isinf(T);
	if (o->jvp) {
		if (!finite_T) {
			fill(o->jvp, n, 0);
		} else {
			double pv = 0;
			for (size_t i = 0; i < n; i++)
				if (p[i] != 0)
					pv += p[i] * o->v[i];
			for (size_t i = 0; i < n; i++)
				o->jvp[i] = o->jlog ? (o->v[i] - pv) / T : p[i] * (o->v[i] - pv) / T;
		}
	}
	if (o->vjp) {
		if (!finite_T) {
			fill(o->vjp, n, 0);
		} else if (o->jlog) {               /* (g - p sum g) / T */
			double sg = 0;
			for (size_t i = 0; i < n; i++)
				sg += o->g[i];
			for (size_t i = 0; i < n; i++)
				o->vjp[i] = (o->g[i] - p[i] * sg) / T;
		} else {                            /* symmetric: the JVP formula with g */
			double pg = 0;
			for (size_t i = 0; i < n; i++)
				if (p[i] != 0)
					pg += p[i] * o->g[i];
			for (size_t i = 0; i < n; i++)
				o->vjp[i] = p[i] * (o->g[i] - pg) / T;
		}
	}
	return KX_ROW_OK;
}
