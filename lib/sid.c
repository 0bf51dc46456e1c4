/*
 * sid.c — the analytic SiD toy: configuration and state, Karras and
 * log-normal noise levels, Adam/SGD, one iteration in the exact draw order
 * of §5.3, and the closed-form distances of §5.4.  The batch losses and
 * their hand gradients (sid.md §4.1) are in sid_batch.c.
 *
 * Shapes (as in sid.h): D coordinates, B samples; (B, D) arrays row-major.
 * Every sum runs in index order, batch outer and coordinate inner, and a
 * batch mean is the sum divided by B at the end, so one iteration is a
 * deterministic function of the state (the byte-for-byte resumption of
 * sid-step depends on it).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sid.h"
#include "vexp.h"
#include "vmath.h"

/* ===== configuration and state ===== */

void sid_config_default(sid_config *c)
{
	*c = (sid_config){
		.alpha = 1.2, .loss = SID_LOSS_SID, .weight = SID_WEIGHT_DMD, .lr = 1e-2, .fake_lr = 1e-2,
		.optimizer = SID_OPT_ADAM, .beta1 = 0, .beta2 = 0.999, .eps = 1e-8, .batch = 256,
		.fake_steps = 1, .fake_mode = SID_FAKE_SGD, .sigma_min = 0.002, .sigma_max = 80,
		.rho = 7, .tmax = 800, .p_mean = -1.2, .p_std = 1.2, .sigma_data = 0.5,
		.weight_floor = 1e-5,
	};
}

#define SID_NVEC 14

int sid_state_alloc(sid_state *st, size_t dim)
{
	if (dim == 0 || dim > SIZE_MAX / sizeof(double) / SID_NVEC)
		return -1;
	double *p = calloc(dim * SID_NVEC, sizeof *p);
	if (!p)
		return -1;
	st->dim = dim;
	st->block = p;
	double **v[SID_NVEC] = {
		&st->data_mean, &st->data_std, &st->gen_mean, &st->gen_scale, &st->fake_mean,
		&st->fake_logstd, &st->opt_gen.m_a, &st->opt_gen.v_a, &st->opt_gen.m_b, &st->opt_gen.v_b,
		&st->opt_fake.m_a, &st->opt_fake.v_a, &st->opt_fake.m_b, &st->opt_fake.v_b,
	};
	for (int k = 0; k < SID_NVEC; k++)
		*v[k] = p + (size_t)k * dim;
	return 0;
}

void sid_state_free(sid_state *st)
{
	free(st->block);
	st->block = NULL;
}

/* ===== initialisation ===== */

void sid_default_data(size_t dim, double *mu, double *tau)
{
	/* mu, tau: (D,) */
	for (size_t i = 0; i < dim; i++) {
		mu[i] = i == 0 ? 1 : i == 1 ? -1 : 0.5;
		tau[i] = i == 0 ? 0.5 : i == 1 ? 1 : 0.75;
	}
}

void sid_init_teacher(size_t dim, const double *mu, const double *tau, double sigma_init,
                      double *m, double *s)
{
	/* mu, tau: (D,) data; m, s: (D,) out.  The teacher denoiser at sigma_init
	 * applied to sigma_init z is affine in z: mean (1 - a0) mu, slope a0 sigma_init. */
	double si2 = sigma_init * sigma_init;
	for (size_t i = 0; i < dim; i++) {
		double t2 = tau[i] * tau[i];
		double a0 = t2 / (t2 + si2);
		m[i] = (1 - a0) * mu[i];
		s[i] = a0 * sigma_init;
	}
}

void sid_logabs(size_t dim, const double *s, double *u)
{
	/* s: (D,) scales; u: (D,) log|s|, -1000 for s = 0 (a variance of e^-2000,
	 * which is 0 in double: the fake is a point mass, like the generator). */
	for (size_t i = 0; i < dim; i++)
		u[i] = s[i] == 0 ? -1000 : log(fabs(s[i]));
}

void sid_log_vec(size_t dim, const double *x, double *out)
{
	for (size_t i = 0; i < dim; i++)
		out[i] = log(x[i]);
}

/* ===== x^n in double-double arithmetic ===== */

/* a b = p + e exactly (Dekker: Veltkamp's split, no FMA, so every machine
 * and every vector width gives the same bits). */
static inline void two_prod(double a, double b, double *p, double *e)
{
	const double split = 134217729.0;      /* 2^27 + 1 */
	double ca = split * a, ah = ca - (ca - a), al = a - ah;
	double cb = split * b, bh = cb - (cb - b), bl = b - bh;
	*p = a * b;
	*e = ((ah * bh - *p) + ah * bl + al * bh) + al * bl;
}

/* (h, l) = (ah + al)(bh + bl) to about 2^-104 relative, h = fl(h + l). */
static inline void dd_mul(double ah, double al, double bh, double bl, double *h, double *l)
{
	double p, e;
	two_prod(ah, bh, &p, &e);
	e += ah * bl + al * bh;
	*h = p + e;
	*l = e - (*h - p);
}

enum { IPOW_CHUNK = 256 };

/* x^7 = ((x x) x)((x x)(x x)) as ipow_dd's binary powering does it, by
 * MUL (dd_mul, or dd_mul_fma below) */
#define IPOW7_LOOP(MUL)                                                      \
	for (size_t k = 0; k < len; k++) {                                   \
		double h = x[k], l = 0, ph = h, pl = l;   /* b = x, r = b */  \
		MUL(h, l, h, l, &h, &l);                  /* b = x^2 */       \
		MUL(ph, pl, h, l, &ph, &pl);              /* r = x^3 */       \
		MUL(h, l, h, l, &h, &l);                  /* b = x^4 */       \
		MUL(ph, pl, h, l, &ph, &pl);              /* r = x^7 */       \
		y[k] = ph;                                                   \
	}

#ifdef KX_FMA_CLONES
/* dd_mul with two_prod's error term by one fma: fma(a, b, -p) = a b - p
 * exactly (the error of a product is a double when nothing underflows, as
 * the caller's range check ensures), the same e that Dekker's two_prod
 * computes, so the same bits, in 2 operations instead of 17. */
static inline void dd_mul_fma(double ah, double al, double bh, double bl, double *h, double *l)
{
	double p = ah * bh, e = fma(ah, bh, -p);
	e += ah * bl + al * bh;
	*h = p + e;
	*l = e - (*h - p);
}
__attribute__((target("avx512f,fma"))) static void ipow7_fma512(const double *x, size_t len,
                                                                double *y)
{
	IPOW7_LOOP(dd_mul_fma)
}
__attribute__((target("avx2,fma"))) static void ipow7_fma256(const double *x, size_t len,
                                                             double *y)
{
	IPOW7_LOOP(dd_mul_fma)
}
#endif

/* y[k] = x[k]^n, n >= 1, k < len <= IPOW_CHUNK: binary powering in
 * double-double, one rounding at the end, so the correctly rounded power
 * except within about 2^-100 of a tie (what a good pow() gives); every
 * x^j must stay within 2^-900 .. 2^900 (the caller checks).  One pass per
 * bit of n, each a vectorised loop over k. */
KX_CLONES3
static void ipow_dd(const double *x, size_t len, unsigned n, double *y)
{
	double rh[IPOW_CHUNK], rl[IPOW_CHUNK], bh[IPOW_CHUNK], bl[IPOW_CHUNK];
	int first = 1;
	if (n == 7) {   /* the default rho: the same products, in registers */
		IPOW7_LOOP(dd_mul)
		return;
	}
	for (size_t k = 0; k < len; k++) {
		bh[k] = x[k];
		bl[k] = 0;
	}
	for (;;) {
		if (n & 1) {
			if (first)
				for (size_t k = 0; k < len; k++) {
					rh[k] = bh[k];
					rl[k] = bl[k];
				}
			else
				for (size_t k = 0; k < len; k++)
					dd_mul(rh[k], rl[k], bh[k], bl[k], &rh[k], &rl[k]);
			first = 0;
		}
		n >>= 1;
		if (!n)
			break;
		for (size_t k = 0; k < len; k++)
			dd_mul(bh[k], bl[k], bh[k], bl[k], &bh[k], &bl[k]);
	}
	for (size_t k = 0; k < len; k++)
		y[k] = rh[k];
}

/* ipow_dd, with the FMA form of the default rho where the CPU has FMA */
static void ipow(const double *x, size_t len, unsigned n, double *y)
{
#ifdef KX_FMA_CLONES
	int level = n == 7 ? kx_fma_level() : 0;
	if (level == 2) {
		ipow7_fma512(x, len, y);
		return;
	}
	if (level == 1) {
		ipow7_fma256(x, len, y);
		return;
	}
#endif
	ipow_dd(x, len, n, y);
}

/* ===== noise levels ===== */

/* The ramp with its two roots A, Bm computed once per batch (the same
 * values sid_karras_sigma computes: pow is a function of its arguments).
 * sigma: (B,) the uniforms in, the noise levels out.  The rho-th power: for
 * an integer rho in 1..64 (the default 7) the correctly rounded power in
 * double-double (ipow_dd), vectorised; otherwise, or where a power would leave
 * 2^-900 .. 2^900, pow(). */
/* x[k] = A + (1 - t)(Bm - A), t = (u[k] tmax)/1000, k < len; *lo, *hi the
 * least and the largest x (NaN left out; +inf and 0 when there is none),
 * in eight lanes (GNU vector types: gcc does not vectorise a min that
 * skips NaN), which gives the same two values as one pass in order. */
typedef double sid_v8d __attribute__((vector_size(64)));
typedef long long sid_v8l __attribute__((vector_size(64)));

KX_CLONES3
static void ramp(size_t len, const double *restrict u, double tmax, double A, double Bm,
                 double *restrict x, double *lo_out, double *hi_out)
{
	for (size_t k = 0; k < len; k++) {
		double t = (u[k] * tmax) / 1000;
		x[k] = A + (1 - t) * (Bm - A);
	}
	sid_v8d lo8 = { INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY,
	                INFINITY }, hi8 = { 0 };
	size_t k = 0;
	for (; k + 8 <= len; k += 8) {
		sid_v8d v;
		memcpy(&v, x + k, sizeof v);
		sid_v8l lt = v < lo8, gt = v > hi8;     /* all ones where true; false for NaN */
		lo8 = (sid_v8d)(((sid_v8l)v & lt) | ((sid_v8l)lo8 & ~lt));
		hi8 = (sid_v8d)(((sid_v8l)v & gt) | ((sid_v8l)hi8 & ~gt));
	}
	double lo = INFINITY, hi = 0;
	for (int l = 0; l < 8; l++) {
		lo = lo8[l] < lo ? lo8[l] : lo;
		hi = hi8[l] > hi ? hi8[l] : hi;
	}
	for (; k < len; k++) {
		lo = x[k] < lo ? x[k] : lo;
		hi = x[k] > hi ? x[k] : hi;
	}
	*lo_out = lo;
	*hi_out = hi;
}

static void karras_batch(const sid_config *c, double A, double Bm, double *sigma, size_t B)
{
	double rho = c->rho, x[IPOW_CHUNK];
	int integer = rho >= 1 && rho <= 64 && rho == (double)(unsigned)rho;
	for (size_t b0 = 0; b0 < B; b0 += IPOW_CHUNK) {
		size_t len = B - b0 < IPOW_CHUNK ? B - b0 : IPOW_CHUNK;
		double lo, hi;
		ramp(len, sigma + b0, (double)c->tmax, A, Bm, x, &lo, &hi);
		/* x^j for j <= rho lies between min(lo, lo^rho) and max(hi, hi^rho) */
		/* (within [2^-13, 2^13] every power up to the 64th is within
		 * 2^-832 .. 2^832, so the two pow() calls are needed only outside) */
		int safe = integer && lo > 0x1p-900 && hi < 0x1p900 && !isnan(lo) && !isnan(hi)
		           && ((lo >= 0x1p-13 && hi <= 0x1p13)
		               || (pow(lo, rho) > 0x1p-900 && pow(hi, rho) < 0x1p900));
		if (safe)
			ipow(x, len, (unsigned)rho, sigma + b0);
		else
			for (size_t k = 0; k < len; k++)
				sigma[b0 + k] = pow(x[k], rho);
	}
}

double sid_karras_sigma(const sid_config *c, double u)
{
	/* The official generator_loss: t = rand*tmax/1000, the Karras ramp at 1 - t.
	 * pow() for the 1/rho roots and the rho-th power, as the code's ** does
	 * (the power correctly rounded, see karras_batch). */
	double s = u;
	karras_batch(c, pow(c->sigma_max, 1 / c->rho), pow(c->sigma_min, 1 / c->rho), &s, 1);
	return s;
}

/* x[b] = exp(x[b] p_std + p_mean), vectorised: kx_exp_neg (vexp.h) of the
 * exponent clipped at 710 (kx_exp_neg8 on blocks of 8, its register-table
 * form, which gives the same bits).  Its reduction and 2^k scaling hold beyond the
 * z <= 0 its header promises, up to k = 1023 (exp(709.78) is the largest
 * finite double) and to infinity for k = 1024, so kx_exp_neg(min(z, 710))
 * is exp(z) with the same accuracy (test_sid checks it against long double
 * expl on both sides of 0 and at the overflow threshold).  The exponent is
 * never NaN (n is finite, p_std and p_mean are finite). */
KX_CLONES3
static void fake_sigmas(size_t n, double p_std, double p_mean, double *restrict x)
{
	for (size_t b = 0; b < n; b++) {
		double z = x[b] * p_std + p_mean;
		x[b] = z < 710.0 ? z : 710.0;
	}
	size_t b = 0;
	for (; b + 8 <= n; b += 8) {              /* kx_exp_neg8: the same bits */
		kx_v8d v;
		memcpy(&v, x + b, sizeof v);
		kx_exp_neg8(&v);
		memcpy(x + b, &v, sizeof v);
	}
	for (; b < n; b++)
		x[b] = kx_exp_neg(x[b]);
}

double sid_fake_sigma(const sid_config *c, double n)
{
	double x = n;
	fake_sigmas(1, c->p_std, c->p_mean, &x);
	return x;
}

/* ===== optimiser ===== */

static void adam_vec(size_t D, double b1, double b2, double eps, double step_size, double bc2s,
                     double *p, double *m1, double *m2, const double *g)
{
	/* p, m1, m2, g: (D,).  PyTorch: denom = sqrt(v)/sqrt(bc2) + eps,
	 * p += -step_size * (m/denom). */
	for (size_t i = 0; i < D; i++) {
		m1[i] = b1 * m1[i] + (1 - b1) * g[i];
		m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i];
		double denom = sqrt(m2[i]) / bc2s + eps;
		p[i] -= step_size * (m1[i] / denom);
	}
}

void sid_update(const sid_config *c, size_t D, double lr, sid_adam *a, double *p1, double *p2,
                const double *g1, const double *g2)
{
	/* p1, p2, g1, g2: (D,).  SGD leaves the moments and the counter alone, so
	 * switching optimiser mid-run keeps the Adam state for later. */
	if (c->optimizer == SID_OPT_SGD) {
		for (size_t i = 0; i < D; i++) {
			p1[i] -= lr * g1[i];
			p2[i] -= lr * g2[i];
		}
		return;
	}
	a->t += 1;
	double t = (double)a->t;
	double bc1 = 1 - pow(c->beta1, t), bc2 = 1 - pow(c->beta2, t);
	double step_size = lr / bc1, bc2s = sqrt(bc2);
	adam_vec(D, c->beta1, c->beta2, c->eps, step_size, bc2s, p1, a->m_a, a->v_a, g1);
	adam_vec(D, c->beta1, c->beta2, c->eps, step_size, bc2s, p2, a->m_b, a->v_b, g2);
}

/* ===== one iteration (sid.md §5.3) ===== */

size_t sid_work_len(size_t dim, long long batch)
{
	if (batch < 1 || dim == 0)
		return 0;
	size_t B = (size_t)batch;
	if (B > (SIZE_MAX / sizeof(double) - dim) / (2 * dim + 1))
		return 0;
	return 2 * B * dim + B + dim;
}

static void draw_normals(kx_rng *g, double *x, size_t n)
{
	kx_rng_normals(g, x, n);    /* n kx_rng_normal draws, in batches */
}

void sid_iterate(sid_state *st, double *work, sid_step_out *out)
{
	/* work: z (B, D), eps (B, D), sigma (B,), v (D,) for the generator step;
	 * a fake sub-step lays its z, n, eps out as z (B, D), n (B), eps (B, D)
	 * in the same first 2BD + B doubles.  Draw order per fake sub-step: z,
	 * n, eps; for the generator: z, u, eps (all row-major). */
	const sid_config *c = &st->cfg;
	size_t D = st->dim, B = (size_t)c->batch;
	double *z = work, *eps = z + B * D, *sigma = eps + B * D, *v = sigma + B;
	kx_rng *g = &st->rng;

	out->has_fake = 0;
	if (c->fake_mode == SID_FAKE_EXACT) {
		/* psi <- psi*(theta) = (m, log|s|); the generator step uses v = s^2
		 * directly (exp(2 log|s|) would round, and s = 0 must give v = 0). */
		memcpy(st->fake_mean, st->gen_mean, D * sizeof *v);
		sid_logabs(D, st->gen_scale, st->fake_logstd);
		for (size_t i = 0; i < D; i++)
			v[i] = st->gen_scale[i] * st->gen_scale[i];
	} else {
		for (long long k = 0; k < c->fake_steps; k++) {
			for (size_t i = 0; i < D; i++)
				v[i] = exp(2 * st->fake_logstd[i]);
			/* z, n and eps in one call of consecutive draws: laid out
			 * z (B, D), n (B), eps (B, D) in the same 2BD + B doubles */
			double *fz = work, *fn = fz + B * D, *fe = fn + B;
			draw_normals(g, fz, 2 * B * D + B);
			fake_sigmas(B, c->p_std, c->p_mean, fn);
			sid_fake_batch(c, D, B, st->gen_mean, st->gen_scale, st->fake_mean, v, fz, fn, fe, &out->loss_fake, out->fake_grad_mean,
			               out->fake_grad_logstd);
			sid_update(c, D, c->fake_lr, &st->opt_fake, st->fake_mean, st->fake_logstd,
			           out->fake_grad_mean, out->fake_grad_logstd);
			out->has_fake = 1;
		}
		for (size_t i = 0; i < D; i++)
			v[i] = exp(2 * st->fake_logstd[i]);
	}

	draw_normals(g, z, B * D);
	double A = pow(c->sigma_max, 1 / c->rho), Bm = pow(c->sigma_min, 1 / c->rho);
	kx_rng_uniforms(g, sigma, B);              /* B kx_rng_uniform draws */
	karras_batch(c, A, Bm, sigma, B);
	draw_normals(g, eps, B * D);
	sid_gen_batch(c, D, B, st->data_mean, st->data_std, st->gen_mean, st->gen_scale,
	              st->fake_mean, v, z, sigma, eps, &out->loss_gen, &out->l1, &out->l2,
	              out->gen_grad_mean, out->gen_grad_scale);
	sid_update(c, D, c->lr, &st->opt_gen, st->gen_mean, st->gen_scale, out->gen_grad_mean,
	           out->gen_grad_scale);
	st->step++;
}

const char *sid_first_nonfinite(const sid_state *st, size_t *index, double *value)
{
	static const char *const names[] = {
		"gen.mean", "gen.scale", "fake.mean", "fake.logstd",
		"opt.gen.m_mean", "opt.gen.v_mean", "opt.gen.m_scale", "opt.gen.v_scale",
		"opt.fake.m_mean", "opt.fake.v_mean", "opt.fake.m_logstd", "opt.fake.v_logstd",
	};
	const double *vecs[] = {
		st->gen_mean, st->gen_scale, st->fake_mean, st->fake_logstd,
		st->opt_gen.m_a, st->opt_gen.v_a, st->opt_gen.m_b, st->opt_gen.v_b,
		st->opt_fake.m_a, st->opt_fake.v_a, st->opt_fake.m_b, st->opt_fake.v_b,
	};
	for (size_t k = 0; k < sizeof vecs / sizeof vecs[0]; k++)
		for (size_t i = 0; i < st->dim; i++)
			if (!isfinite(vecs[k][i])) {
				*index = i;
				*value = vecs[k][i];
				return names[k];
			}
	return NULL;
}

/* ===== distances (sid.md §5.4) ===== */

void sid_distances(const sid_state *st, sid_dist *d)
{
	/* Closed forms for diagonal Gaussians, summed over coordinates:
	 * KL(N(m, s^2) || N(mu, tau^2)) = ln(tau/|s|) + (s^2 + (m - mu)^2)/(2 tau^2) - 1/2,
	 * W2^2 = (m - mu)^2 + (|s| - tau)^2 (the optimal coupling of 1-D Gaussians). */
	const double *mu = st->data_mean, *tau = st->data_std, *m = st->gen_mean, *s = st->gen_scale;
	double kl = 0, w = 0, fw = 0;
	for (size_t i = 0; i < st->dim; i++) {
		double as = fabs(s[i]), dm = m[i] - mu[i];
		kl += log(tau[i] / as) + (s[i] * s[i] + dm * dm) / (2 * tau[i] * tau[i]) - 0.5;
		double ds = as - tau[i];
		w += dm * dm + ds * ds;
		double fm = st->fake_mean[i] - m[i], fs = exp(st->fake_logstd[i]) - as;
		fw += fm * fm + fs * fs;
	}
	d->kl = kl;
	d->w2 = sqrt(w);
	d->fake_w2 = sqrt(fw);
}
