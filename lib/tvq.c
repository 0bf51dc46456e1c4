/*
 * tvq.c — both sides of the Transformer-VQ identity (quantize.md 3).
 * Shape alphabet: n tokens, dk key width, dv value width, c codes, l block
 * length, w bias window.  Every score is computed by the same expression
 * s * dot(q_i, key) [+ b[i-j]] on both sides, so the two differ only by the
 * order of the final sums (~1e-16 relative).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tvq.h"
#include "vq.h"

static double dot(const double *a, const double *b, size_t d)
{
	double s = 0;
	for (size_t j = 0; j < d; j++)
		s += a[j] * b[j];
	return s;
}

double kx_tvq_default_scale(size_t dk) { return 1 / sqrt((double)dk); }

void kx_tvq_flops(const kx_tvq_cfg *cfg, size_t n, size_t c, size_t dk, size_t dv,
                  kx_tvq_cost *out)
{
	double N = (double)n, C = (double)c, W = (double)(dk + dv);
	out->assign = N * C * (double)dk;
	if (!cfg->causal) {
		out->quadratic = N * N * W;
		out->linear = N * C * W + N * (double)dv;
	} else {
		out->quadratic = N * (N + 1) / 2 * W;
		double lin = N * C * W + N * (double)dv, prev = 0;
		for (size_t b0 = 0; b0 < n; b0 += cfg->block) {
			double lb = (double)(n - b0 < cfg->block ? n - b0 : cfg->block);
			lin += lb * (lb + 1) / 2 * W;            /* the masked local block */
			if (cfg->bias && b0 > 0)
				lin += lb * prev * W;                /* the explicit previous block */
			prev = lb;
		}
		out->linear = lin;
	}
	out->ratio = out->quadratic / out->linear;
}

int kx_tvq_codes(const double *K, size_t n, size_t dk, const double *C, size_t c, long long *z)
{
	kx_vq_book b;
	double *d = malloc((n ? n : 1) * sizeof *d);
	if (!d || kx_vq_book_init(&b, C, c, dk, KX_VQ_L2) < 0) {
		free(d);
		return -1;
	}
	int rc = kx_vq_search(&b, K, n, 1, KX_VQ_AUTO, z, d);
	kx_vq_book_free(&b);
	free(d);
	return rc;
}

void kx_tvq_gather(const double *C, const long long *z, size_t n, size_t dk, double *Kh)
{
	for (size_t i = 0; i < n; i++)
		memcpy(Kh + i * dk, C + (size_t)z[i] * dk, dk * sizeof *Kh);
}

/* The score of query i against key row k_j at offset i - j. */
static double score(const kx_tvq_cfg *cfg, const double *q_i, const double *k_j, size_t dk,
                    size_t i, size_t j)
{
	double s = cfg->scale * dot(q_i, k_j, dk);
	if (cfg->bias && i >= j && i - j < cfg->nbias)
		s += cfg->bias[i - j];
	return s;
}

int kx_tvq_quadratic(const kx_tvq_cfg *cfg, const double *Q, const double *Kk, const double *V,
                     size_t n, size_t dk, size_t dv, double *O)
{
	/* sc: (n) the scores of one query row; shifted by their max before exp */
	double *sc = malloc((n ? n : 1) * sizeof *sc);
	if (!sc)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t nj = cfg->causal ? i + 1 : n;
		const double *q_i = Q + i * dk;
		double m = -INFINITY;
		for (size_t j = 0; j < nj; j++) {
			sc[j] = score(cfg, q_i, Kk + j * dk, dk, i, j);
			if (sc[j] > m)
				m = sc[j];
		}
		double *o_i = O + i * dv, den = 0;
		memset(o_i, 0, dv * sizeof *o_i);
		for (size_t j = 0; j < nj; j++) {
			double p = exp(sc[j] - m);
			den += p;
			for (size_t t = 0; t < dv; t++)
				o_i[t] += p * V[j * dv + t];
		}
		for (size_t t = 0; t < dv; t++)
			o_i[t] /= den;
	}
	free(sc);
	return 0;
}

/* One query row against explicit keys j in [j0, i] (or [j0, j1) when
 * bidirectional) plus the codes: logits s q.c_j + log u_j (codes with
 * u_j = 0 dropped), applied to the per-code means (the reference code's
 * upper_div_lower).  One max-shift over both parts. */
static void row_out(const kx_tvq_cfg *cfg, const double *q_i, size_t i, const double *C,
                    size_t c, const long long *z, const double *V, size_t j0, size_t j1,
                    const double *u, const double *mean, size_t dk, size_t dv, double *cl,
                    double *sc, double *o_i)
{
	double m = -INFINITY;
	for (size_t j = j0; j < j1; j++) {
		sc[j - j0] = score(cfg, q_i, C + (size_t)z[j] * dk, dk, i, j);
		if (sc[j - j0] > m)
			m = sc[j - j0];
	}
	for (size_t k = 0; k < c; k++) {
		if (u[k] > 0) {
			cl[k] = cfg->scale * dot(q_i, C + k * dk, dk) + log(u[k]);
			if (cl[k] > m)
				m = cl[k];
		}
	}
	double den = 0;
	memset(o_i, 0, dv * sizeof *o_i);
	for (size_t j = j0; j < j1; j++) {
		double p = exp(sc[j - j0] - m);
		den += p;
		for (size_t t = 0; t < dv; t++)
			o_i[t] += p * V[j * dv + t];
	}
	for (size_t k = 0; k < c; k++) {
		if (!(u[k] > 0))
			continue;
		double p = exp(cl[k] - m);
		den += p;
		for (size_t t = 0; t < dv; t++)
			o_i[t] += p * mean[k * dv + t];
	}
	for (size_t t = 0; t < dv; t++)
		o_i[t] /= den;
}

/* Add tokens [a, b) to the cache: U (c, dv) sums, u (c) counts. */
static void absorb(const long long *z, const double *V, size_t a, size_t b, size_t dv, double *U,
                   double *u)
{
	for (size_t j = a; j < b; j++) {
		u[z[j]] += 1;
		for (size_t t = 0; t < dv; t++)
			U[(size_t)z[j] * dv + t] += V[j * dv + t];
	}
}

static void means(const double *U, const double *u, size_t c, size_t dv, double *mean)
{
	for (size_t k = 0; k < c; k++)
		for (size_t t = 0; t < dv; t++)
			mean[k * dv + t] = u[k] > 0 ? U[k * dv + t] / u[k] : 0;
}

int kx_tvq_linear(const kx_tvq_cfg *cfg, const double *Q, const double *C, size_t c,
                  const long long *z, const double *V, size_t n, size_t dk, size_t dv, double *O)
{
	/* U, mean: (c, dv) cache sums and means; u, cl: (c) counts and logits;
	 * sc: (2l) scores of the explicit keys of one row */
	size_t l = cfg->causal ? cfg->block : 0;
	double *U = calloc(c * dv + 1, sizeof *U), *mean = malloc((c * dv + 1) * sizeof *mean);
	double *u = calloc(c, sizeof *u), *cl = malloc(c * sizeof *cl);
	double *sc = malloc((2 * l + 1) * sizeof *sc);
	int rc = -1;
	if (!U || !mean || !u || !cl || !sc)
		goto done;
	if (!cfg->causal) {
		/* 3.1: O = exp(sQC^T)(Delta^T V) / exp(sQC^T)(Delta^T 1) */
		absorb(z, V, 0, n, dv, U, u);
		means(U, u, c, dv, mean);
		for (size_t i = 0; i < n; i++)
			row_out(cfg, Q + i * dk, i, C, c, z, V, 0, 0, u, mean, dk, dv, cl, sc, O + i * dv);
		rc = 0;
		goto done;
	}
	/* 3.2 blockwise.  Without a bias the cache holds every block before b;
	 * with one, block b-1 stays explicit (its keys can be biased) and the
	 * cache lags two blocks: after block b it absorbs block b-1. */
	for (size_t b0 = 0; b0 < n; b0 += l) {
		size_t e0 = n - b0 < l ? n : b0 + l;
		size_t j0 = cfg->bias && b0 >= l ? b0 - l : b0;
		means(U, u, c, dv, mean);
		for (size_t i = b0; i < e0; i++)
			row_out(cfg, Q + i * dk, i, C, c, z, V, j0, i + 1, u, mean, dk, dv, cl, sc,
			        O + i * dv);
		if (cfg->bias)
			absorb(z, V, j0, b0, dv, U, u);
		else
			absorb(z, V, b0, e0, dv, U, u);
	}
	rc = 0;
done:
	free(U);
	free(mean);
	free(u);
	free(cl);
	free(sc);
	return rc;
}

double kx_tvq_maxdiff(const double *a, const double *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(b ? a[i] - b[i] : a[i]);
		if (d != d)
			return d;
		if (d > m)
			m = d;
	}
	return m;
}

int kx_tvq_identity(const kx_tvq_cfg *cfg, const double *Q, const double *K, const double *V,
                    size_t n, size_t dk, size_t dv, const double *C, size_t c, kx_tvq_out *o)
{
	if (kx_tvq_codes(K, n, dk, C, c, o->z) < 0)
		return -1;
	if (o->quadratic) {
		kx_tvq_gather(C, o->z, n, dk, o->Kh);
		if (kx_tvq_quadratic(cfg, Q, o->Kh, V, n, dk, dv, o->quadratic) < 0)
			return -1;
	}
	if (o->linear && kx_tvq_linear(cfg, Q, C, c, o->z, V, n, dk, dv, o->linear) < 0)
		return -1;
	if (o->exact && kx_tvq_quadratic(cfg, Q, K, V, n, dk, dv, o->exact) < 0)
		return -1;
	o->max_abs_diff = o->max_rel_diff = o->vq_error = NAN;
	if (o->quadratic && o->linear) {
		double qmax = kx_tvq_maxdiff(o->quadratic, NULL, n * dv);
		o->max_abs_diff = kx_tvq_maxdiff(o->linear, o->quadratic, n * dv);
		o->max_rel_diff = o->max_abs_diff / (qmax > 1e-300 ? qmax : 1e-300);
	}
	if (o->quadratic && o->exact)
		o->vq_error = kx_tvq_maxdiff(o->exact, o->quadratic, n * dv);
	kx_tvq_flops(cfg, n, c, dk, dv, &o->cost);
	return 0;
}
