/*
 * lora.c — LoRA initialisations and the first-step check (lora.md 3-7).
 * Shapes (torch layout): W0, G (m, n) = (d_out, d_in); A (r, n); B (m, r);
 * k = min(m, n).  Arithmetic is double; the factors are rounded to float32
 * once, and w0_adj is formed from the rounded factors (as peft does).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "linalg.h"
#include "lora.h"

static double f32(double x) { return (double)(float)x; }

static const char *const method_names[] = { "lora-ga", "lora", "gaussian", "orthogonal", "pissa",
                                            "olora", "mica", "corda" };

/* ===== small rules ====================================================== */

double kx_lora_scaling(double alpha, size_t r, int rslora)
{
	return rslora ? alpha / sqrt((double)r) : alpha / (double)r;
}

const char *kx_lora_rank_error(int method, size_t r, size_t m, size_t n, char *buf, size_t bufsz)
{
	size_t k = m < n ? m : n;
	if (r < 1)
		snprintf(buf, bufsz, "rank must be >= 1");
	else if (method == KX_LORA_GA && r > k / 2)
		snprintf(buf, bufsz, "rank %zu needs 2r <= min(rows, cols) = %zu for lora-ga", r, k);
	else if ((method == KX_LORA_PISSA || method == KX_LORA_OLORA || method == KX_LORA_MICA ||
	          method == KX_LORA_CORDA) && r > k)
		snprintf(buf, bufsz, "rank %zu needs r <= min(rows, cols) = %zu for %s", r, k,
		         method_names[method]);
	else if (method == KX_LORA_ORTHOGONAL && r % 2)
		snprintf(buf, bufsz, "orthogonal needs an even rank, got %zu", r);
	else
		return NULL;
	return buf;
}

int kx_lora_svd_choice(int svd, size_t m, size_t n, size_t r, size_t oversample, size_t v)
{
	size_t k = m < n ? m : n;
	size_t q = oversample > k / r ? k : oversample * r;   /* min(oversample r, k), no overflow */
	if (q > k)
		q = k;
	switch (svd) {
	case KX_SVD_FULL:
		return KX_SVD_FULL;
	case KX_SVD_RANDOMIZED:
		return q >= v ? KX_SVD_RANDOMIZED : -1;
	default:
		/* auto: randomized only where it pays (k >= 1024) and q is small against k */
		return k >= 1024 && 4 * q <= k && q >= v ? KX_SVD_RANDOMIZED : KX_SVD_FULL;
	}
}

double kx_lora_ratio_blog(size_t m, size_t n, size_t r)
{
	/* eta_B / eta_A = (n/m) sqrt(n/r): the post's balance of the two factors'
	 * loss decrease under SignSGD (lora.md 6). */
	return (double)n / (double)m * sqrt((double)n / (double)r);
}

size_t kx_lora_to_f32(double *x, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!isfinite(x[i]))
			return i;
		float f = (float)x[i];
		if (!isfinite(f))            /* |x| beyond float32 range */
			return i;
		x[i] = f;
	}
	return len;
}

void kx_lora_accumulate(double *acc, const double *g, size_t len)
{
	for (size_t i = 0; i < len; i++)
		acc[i] += g[i];
}

void kx_lora_mean(double *acc, size_t len, size_t K)
{
	/* sum, then divide (the reference code's order); not rounded to float32 */
	for (size_t i = 0; i < len; i++)
		acc[i] /= (double)K;
}

void kx_lora_covariance(size_t N, size_t n, const double *X, double *C)
{
	kx_gemm(1, 0, n, n, N, 1.0 / (double)N, X, X, 0.0, C);
}

void kx_lora_sign(double *G, size_t len)
{
	for (size_t i = 0; i < len; i++)
		G[i] = (G[i] > 0) - (G[i] < 0);
}

void kx_lora_dora(size_t m, size_t n, const double *W0, double *out)
{
	/* peft dora.py get_weight_norm: the L2 norm of each output row (dim 1) */
	for (size_t i = 0; i < m; i++) {
		double ss = 0;
		for (size_t j = 0; j < n; j++)
			ss += W0[i * n + j] * W0[i * n + j];
		out[i] = f32(sqrt(ss));
	}
}

void kx_lora_convert(size_t m, size_t n, size_t r, const double *A, const double *B,
                     const double *A0, const double *B0, double *Ap, double *Bp)
{
	memcpy(Ap, A, r * n * sizeof *Ap);              /* rows 0..r-1: the trained A */
	memcpy(Ap + r * n, A0, r * n * sizeof *Ap);     /* rows r..2r-1: the initial A0 */
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < r; j++) {
			Bp[i * 2 * r + j] = B[i * r + j];
			Bp[i * 2 * r + r + j] = -B0[i * r + j];
		}
}

double kx_lora_convert_alpha(double alpha, int rslora)
{
	/* s' = alpha'/(2r) = alpha/r, or alpha'/sqrt(2r) = alpha/sqrt(r) */
	return rslora ? sqrt(2.0) * alpha : 2.0 * alpha;
}

void kx_lora_transpose(double *dst, const double *src, size_t rows, size_t cols)
{
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			dst[j * rows + i] = src[i * cols + j];
}

/* ===== random fills (lora.md 7.1) ====================================== */

void kx_lora_fill_normal(kx_rng *g, double *x, size_t len)
{
	g->has_cached = 0;          /* a fill starts a fresh Box-Muller pair */
	for (size_t i = 0; i < len; i++)
		x[i] = kx_rng_normal(g);
	g->has_cached = 0;          /* an unused sin value is dropped */
}

void kx_lora_fill_kaiming(kx_rng *g, double *A, size_t r, size_t n)
{
	/* bound = gain sqrt(3/fan_in), gain = sqrt(2/(1 + 5)): exactly 1/sqrt(n) */
	double bound = 1.0 / sqrt((double)n);
	for (size_t i = 0; i < r * n; i++)
		A[i] = f32((2.0 * kx_rng_uniform(g) - 1.0) * bound);
}

void kx_lora_fill_gaussian(kx_rng *g, double *A, size_t r, size_t n)
{
	double sd = 1.0 / (double)r;
	kx_lora_fill_normal(g, A, r * n);
	for (size_t i = 0; i < r * n; i++)
		A[i] = f32(A[i] * sd);
}

/* ===== the methods ====================================================== */

/* w0_adj (m, n) = float32(W0 - s B A), B (m, r), A (r, n) already rounded. */
static void shift_base(size_t m, size_t n, size_t r, double s, const double *W0, const double *B,
                       const double *A, double *w0_adj)
{
	/* a block of rows at a time (about 512 KiB), so the copy, the product
	 * and the rounding meet the block in the cache: one pass over memory
	 * instead of three.  Each value is the same as with one product over all
	 * rows (the sum over r does not depend on the row blocking). */
	size_t rb = n < 65536 ? 65536 / n : 1;
	for (size_t i0 = 0; i0 < m; i0 += rb) {
		size_t mb = m - i0 < rb ? m - i0 : rb;
		double *w = w0_adj + i0 * n;
		if (w != W0 + i0 * n)            /* w0_adj may be W0 itself (lora.h) */
			memcpy(w, W0 + i0 * n, mb * n * sizeof *w);
		kx_gemm(0, 0, mb, n, r, -s, B + i0 * r, A, 1.0, w);
		for (size_t i = 0; i < mb * n; i++)
			w[i] = f32(w[i]);
	}
}

/* The top singular triplets of A (m, n) for a method that needs `need` of them
 * (lora-ga 2r, pissa r), by the --svd rule (7.5): *U (m, w), *S (w), *Vh (w, n)
 * are allocated here and freed by the caller (also on failure); w = min(m, n)
 * for the full SVD, q for the randomized one; *how says which ran. */
static int top_svd(const kx_lora_cfg *cfg, size_t m, size_t n, const double *A, size_t need,
                   kx_rng *g, double **U, double **S, double **Vh, size_t *w, int *how)
{
	size_t r = cfg->rank, k = m < n ? m : n;
	*how = kx_lora_svd_choice(cfg->svd, m, n, r, cfg->oversample, need);
	*w = k;
	if (*how == KX_SVD_RANDOMIZED) {
		*w = cfg->oversample > k / r ? k : cfg->oversample * r;
		if (*w > k)
			*w = k;
	}
	*U = malloc(m * *w * sizeof **U);
	*S = malloc(*w * sizeof **S);
	*Vh = malloc(*w * n * sizeof **Vh);
	if (!*U || !*S || !*Vh)
		return -1;
	return *how == KX_SVD_RANDOMIZED ? kx_lora_rsvd(m, n, A, *w, cfg->niter, g, *U, *S, *Vh)
	                                 : kx_lora_svd(m, n, A, *U, *S, *Vh);
}

static int lora_ga(const kx_lora_cfg *cfg, size_t m, size_t n, const double *G, kx_rng *g,
                   kx_lora_res *res)
{
	/* G (m, n) -> U (m, w), S (w), Vh (w, n), w = k (full) or q (randomized) */
	size_t r = cfg->rank, w;
	double *U, *S, *Vh;
	int how, info = top_svd(cfg, m, n, G, 2 * r, g, &U, &S, &Vh, &w, &how);
	if (info)
		goto out;
	res->svd_used = how;
	double c = cfg->ga_scale == KX_GA_STABLE ? pow((double)m, 0.25) / sqrt(cfg->gamma)
	         : cfg->ga_scale == KX_GA_GD ? 1.0 / res->scale : 1.0;
	res->init_scale = c;
	for (size_t i = 0; i < r; i++) {
		/* (iA, iB): A takes input-side vectors (rows of Vh), B output-side (columns of U) */
		size_t ia = i, ib = r + i;
		if (cfg->direction == KX_LORA_A2RBR)
			ia = r + i, ib = i;
		else if (cfg->direction == KX_LORA_ARBR)
			ia = 2 * i + 1, ib = 2 * i;
		for (size_t j = 0; j < n; j++)
			res->A[i * n + j] = f32(c * Vh[ia * n + j]);
		for (size_t j = 0; j < m; j++)
			res->B[j * r + i] = f32(c * U[j * w + ib]);
	}
	for (size_t i = 0; i < 2 * r; i++)
		res->sigma[i] = S[i];
	res->nsigma = 2 * r;
	res->low_rank = !(S[2 * r - 1] > 1e-12 * S[0]);   /* also G = 0 */
out:
	free(U);
	free(S);
	free(Vh);
	return info;
}

static int pissa(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0, kx_rng *g,
                 kx_lora_res *res)
{
	/* W0 = U S Vh; A = sqrt(S_r/s) Vh_r, B = U_r sqrt(S_r/s), so s B A = U_r S_r Vh_r */
	size_t r = cfg->rank, w;
	double *U, *S, *Vh;
	int how, info = top_svd(cfg, m, n, W0, r, g, &U, &S, &Vh, &w, &how);
	if (info)
		goto out;
	res->svd_used = how;
	for (size_t i = 0; i < r; i++) {
		double h = sqrt(S[i] / res->scale);
		for (size_t j = 0; j < n; j++)
			res->A[i * n + j] = f32(h * Vh[i * n + j]);
		for (size_t j = 0; j < m; j++)
			res->B[j * r + i] = f32(U[j * w + i] * h);
		res->sigma[i] = S[i];
	}
	res->nsigma = r;
out:
	free(U);
	free(S);
	free(Vh);
	return info;
}

static int mica(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0, kx_lora_res *res)
{
	/* W0 = U S Vh (full SVD: the smallest vectors are needed); B = U[:, k-r:k] (the r smallest,
	 * in descending order), A = 0: peft freezes B and trains A, W0 is unchanged */
	size_t r = cfg->rank, k = m < n ? m : n;
	double *U = malloc(m * k * sizeof *U), *S = malloc(k * sizeof *S), *Vh = malloc(k * n * sizeof *Vh);
	int info = -1;
	if (U && S && Vh)
		info = kx_lora_svd(m, n, W0, U, S, Vh);
	if (info == 0) {
		for (size_t j = 0; j < m; j++)
			for (size_t i = 0; i < r; i++)
				res->B[j * r + i] = f32(U[j * k + (k - r + i)]);
		memset(res->A, 0, r * n * sizeof *res->A);
		for (size_t i = 0; i < r; i++)
			res->sigma[i] = S[k - r + i];
		res->nsigma = r;
		res->svd_used = KX_SVD_FULL;
	}
	free(U);
	free(S);
	free(Vh);
	return info;
}

static int corda(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0, kx_lora_res *res)
{
	/* peft corda.py: C_f = C + delta mean(diag C) I, delta = 0.01 doubled until
	 * |C_f C_f^-1 - I|_F < 0.05; W0 C_f = U S Vh; V~^T = Vh C_f^-1, so that
	 * U S V~^T = W0 exactly and the reconstruction holds for ipm and kpm.
	 * Cf, inv, t (n, n); Wc (m, n); U (m, k); S (k); Vh, Vt (k, n). */
	size_t r = cfg->rank, k = m < n ? m : n, nn = n * n;
	const double *C = cfg->cov;
	double md = 0;
	for (size_t i = 0; i < n; i++)
		md += C[i * n + i] / (double)n;
	if (!(md > 0))
		return -2;
	double *Cf = malloc(nn * sizeof *Cf), *inv = malloc(nn * sizeof *inv), *t = malloc(nn * sizeof *t),
	       *Wc = malloc(m * n * sizeof *Wc), *U = malloc(m * k * sizeof *U), *S = malloc(k * sizeof *S),
	       *Vh = malloc(k * n * sizeof *Vh), *Vt = malloc(k * n * sizeof *Vt);
	int info = -1, ok = 0;
	if (!Cf || !inv || !t || !Wc || !U || !S || !Vh || !Vt)
		goto out;
	double delta = 0.01;
	for (int it = 0; it <= 60 && !ok; it++, delta *= 2) {
		for (size_t i = 0; i < nn; i++)
			Cf[i] = C[i] + (i % (n + 1) == 0 ? delta * md : 0.0);
		memcpy(t, Cf, nn * sizeof *t);
		for (size_t i = 0; i < nn; i++)
			inv[i] = i % (n + 1) == 0;
		if ((info = kx_solve(n, n, t, inv)) < 0)
			goto out;
		if (info > 0)                   /* singular: more damping */
			continue;
		kx_gemm(0, 0, n, n, n, 1.0, Cf, inv, 0.0, t);
		double e = 0;
		for (size_t i = 0; i < nn; i++) {
			double d = t[i] - (i % (n + 1) == 0);
			e += d * d;
		}
		ok = sqrt(e) < 0.05;
	}
	info = -3;
	if (!ok)
		goto out;
	kx_gemm(0, 0, m, n, n, 1.0, W0, Cf, 0.0, Wc);
	if ((info = kx_lora_svd(m, n, Wc, U, S, Vh)))
		goto out;
	kx_gemm(0, 0, k, n, n, 1.0, Vh, inv, 0.0, Vt);
	size_t i0 = cfg->corda_kpm ? k - r : 0;
	for (size_t i = 0; i < r; i++) {
		double h = sqrt(S[i0 + i] / res->scale);
		for (size_t j = 0; j < n; j++)
			res->A[i * n + j] = f32(h * Vt[(i0 + i) * n + j]);
		for (size_t j = 0; j < m; j++)
			res->B[j * r + i] = f32(U[j * k + i0 + i] * h);
		res->sigma[i] = S[i0 + i];
	}
	res->nsigma = r;
	res->svd_used = KX_SVD_FULL;
out:
	free(Cf); free(inv); free(t); free(Wc); free(U); free(S); free(Vh); free(Vt);
	return info;
}

static int olora(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0, kx_lora_res *res)
{
	/* W0 = Q R (reduced, diag R >= 0); A = R[0:r, :], B = Q[:, 0:r] */
	size_t r = cfg->rank, k = m < n ? m : n;
	double *Q = malloc(m * k * sizeof *Q), *R = malloc(k * n * sizeof *R);
	int info = -1;
	if (Q && R)
		info = kx_lora_qr(m, n, W0, Q, R);
	if (info == 0) {
		for (size_t i = 0; i < r * n; i++)
			res->A[i] = f32(R[i]);
		for (size_t j = 0; j < m; j++)
			for (size_t i = 0; i < r; i++)
				res->B[j * r + i] = f32(Q[j * k + i]);
	}
	free(Q);
	free(R);
	return info;
}

static int orthogonal(size_t m, size_t n, size_t r, kx_rng *g, kx_lora_res *res)
{
	/* peft orthogonal_init: X (r, r) -> Q; P (n, r/2), Rb (r/2, m);
	 * A = (P Q[0::2])^T / 10 (r, n), B = Rb^T Q[1::2] / 10 (m, r); B A = 0
	 * because the odd and even rows of Q are orthonormal to each other. */
	size_t h = r / 2;
	double *X = malloc(r * r * sizeof *X), *Q = malloc(r * r * sizeof *Q),
	       *R = malloc(r * r * sizeof *R), *P = malloc(n * h * sizeof *P),
	       *Rb = malloc(h * m * sizeof *Rb), *qo = malloc(h * r * sizeof *qo),
	       *qe = malloc(h * r * sizeof *qe), *t = malloc(n * r * sizeof *t);
	int info = -1;
	if (!X || !Q || !R || !P || !Rb || !qo || !qe || !t)
		goto out;
	kx_lora_fill_normal(g, X, r * r);
	kx_lora_fill_normal(g, P, n * h);
	kx_lora_fill_normal(g, Rb, h * m);
	if ((info = kx_lora_qr(r, r, X, Q, R)))
		goto out;
	for (size_t l = 0; l < h; l++)
		for (size_t j = 0; j < r; j++) {
			qo[l * r + j] = Q[(2 * l) * r + j];
			qe[l * r + j] = Q[(2 * l + 1) * r + j];
		}
	kx_gemm(0, 0, n, r, h, 1.0, P, qo, 0.0, t);           /* t = P Q_odd (n, r) */
	for (size_t i = 0; i < r; i++)
		for (size_t j = 0; j < n; j++)
			res->A[i * n + j] = f32(t[j * r + i] / 10.0);
	kx_gemm(1, 0, m, r, h, 1.0, Rb, qe, 0.0, res->B);     /* Rb^T Q_even (m, r) */
	for (size_t i = 0; i < m * r; i++)
		res->B[i] = f32(res->B[i] / 10.0);
out:
	free(X); free(Q); free(R); free(P); free(Rb); free(qo); free(qe); free(t);
	return info;
}

int kx_lora_init(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0, const double *G,
                 kx_rng *g, kx_lora_res *res)
{
	size_t r = cfg->rank;
	int info = 0, shifts = 1;
	res->scale = kx_lora_scaling(cfg->alpha, r, cfg->rslora);
	res->init_scale = 0;
	res->nsigma = 0;
	res->svd_used = 0;
	res->low_rank = 0;
	switch (cfg->method) {
	case KX_LORA_GA: info = lora_ga(cfg, m, n, G, g, res); break;
	case KX_LORA_PISSA: info = pissa(cfg, m, n, W0, g, res); break;
	case KX_LORA_OLORA: info = olora(cfg, m, n, W0, res); break;
	case KX_LORA_MICA: info = mica(cfg, m, n, W0, res); shifts = 0; break;
	case KX_LORA_CORDA: info = corda(cfg, m, n, W0, res); break;
	case KX_LORA_ORTHOGONAL: info = orthogonal(m, n, r, g, res); shifts = 0; break;
	case KX_LORA_GAUSSIAN:
		kx_lora_fill_gaussian(g, res->A, r, n);
		memset(res->B, 0, m * r * sizeof *res->B);
		shifts = 0;
		break;
	default:
		kx_lora_fill_kaiming(g, res->A, r, n);
		memset(res->B, 0, m * r * sizeof *res->B);
		shifts = 0;
		break;
	}
	if (info)
		return info;
	if (shifts)
		shift_base(m, n, r, res->scale, W0, res->B, res->A, res->w0_adj);
	else if (res->w0_adj != W0)
		memcpy(res->w0_adj, W0, m * n * sizeof *W0);   /* the input bits, unchanged */
	return 0;
}

/* ===== the check ======================================================== */

static double cosine(const double *x, const double *y, size_t len)
{
	double xy = 0, xx = 0, yy = 0;
	for (size_t i = 0; i < len; i++) {
		xy += x[i] * y[i];
		xx += x[i] * x[i];
		yy += y[i] * y[i];
	}
	return xx > 0 && yy > 0 ? xy / (sqrt(xx) * sqrt(yy)) : 0.0;
}

int kx_lora_check_run(const kx_lora_cfg *cfg, size_t m, size_t n, const double *W0,
                      const double *G, const kx_lora_res *res, kx_rng *g, kx_lora_check *out)
{
	/* sba, D (m, n); bg = B^T G (r, n); ga = G A^T (m, r); sv (k) */
	size_t r = cfg->rank, k = m < n ? m : n, mn = m * n;
	size_t w = 0;
	double *sba = malloc(mn * sizeof *sba), *bg = NULL, *ga = NULL, *sv = NULL, *U = NULL, *Vh = NULL;
	int info = -1;
	*out = (kx_lora_check){ 0 };
	if (!sba)
		goto out;
	kx_gemm(0, 0, m, n, r, res->scale, res->B, res->A, 0.0, sba);
	for (size_t i = 0; i < mn; i++) {
		double e = fabs(res->w0_adj[i] + sba[i] - W0[i]);
		if (e > out->recon_max_abs || e != e)
			out->recon_max_abs = e;
	}
	info = 0;
	if (!G)
		goto out;
	/* first-order LoRA direction D = B B^T G + G A^T A (lora.md 3), into sba */
	bg = malloc(r * n * sizeof *bg);
	ga = malloc(m * r * sizeof *ga);
	sv = malloc(k * sizeof *sv);
	info = -1;
	if (!bg || !ga || !sv)
		goto out;
	kx_gemm(1, 0, r, n, m, 1.0, res->B, G, 0.0, bg);
	kx_gemm(0, 0, m, n, r, 1.0, res->B, bg, 0.0, sba);
	kx_gemm(0, 1, m, r, n, 1.0, G, res->A, 0.0, ga);
	kx_gemm(0, 0, m, n, r, 1.0, ga, res->A, 1.0, sba);
	out->cos_step = cosine(sba, G, mn);

	/* bound: the best rank-2r share of |G|_F^2 (Eckart-Young) */
	size_t v = 2 * r < k ? 2 * r : k;
	const double *s = res->sigma;
	if (cfg->method != KX_LORA_GA) {
		int how = kx_lora_svd_choice(cfg->svd, m, n, r, cfg->oversample, v);
		if (how == KX_SVD_RANDOMIZED) {
			w = cfg->oversample > k / r ? k : cfg->oversample * r;
			if (w > k)
				w = k;
			U = malloc(m * w * sizeof *U);
			Vh = malloc(w * n * sizeof *Vh);
			if (!U || !Vh)
				goto out;
			if ((info = kx_lora_rsvd(m, n, G, w, cfg->niter, g, U, sv, Vh)))
				goto out;
		} else {
			memcpy(sba, G, mn * sizeof *sba);
			if ((info = kx_svd_values(m, n, sba, sv)))
				goto out;
		}
		s = sv;
	}
	double top = 0, all = 0;
	for (size_t i = 0; i < v; i++)
		top += s[i] * s[i];
	for (size_t i = 0; i < mn; i++)
		all += G[i] * G[i];
	out->cos_bound = all > 0 ? sqrt(top / all) : 0.0;
	info = 0;
out:
	free(sba); free(bg); free(ga); free(sv); free(U); free(Vh);
	return info;
}
