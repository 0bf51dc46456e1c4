/*
 * sid_batch.c — the batch losses of the SiD toy and their hand gradients
 * (sid.md §4.1): the generator batch (sid_gen_batch) and the fake-score batch
 * (sid_fake_batch), vectorised over the rows.  Shapes as in sid.h: D
 * coordinates, B samples, (B, D) arrays row-major.  Split from sid.c, which
 * keeps the state, the noise levels, the optimiser and one iteration.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sid.h"
#include "vmath.h"      /* KX_CLONES3 */

/* ===== batch losses and hand gradients (sid.md §4.1) ===== */

/* The batch is processed in chunks of rows, one coordinate i at a time, with
 * the rows side by side (vectorised over b).  Every per-sample sum still
 * runs over i in index order and every batch sum over b in index order, and
 * each expression is the one of the row-by-row form: the bits do not
 * change (test_sid checks it against that form). */
enum { ROWS = 256 };

/* Pass 1 of the generator batch for coordinate i over rows [0, n): with the
 * dmd weight (dmd != 0) the weight's sum of |x_g - f_phi| into sa; and the
 * teacher's a into ac unless ac is NULL (pass 2 then reads it back: the
 * same division, done once). */
KX_CLONES3
static void gen_weight_col(size_t n, size_t D, int dmd, double mu, double tau, double m, double s,
                           const double *restrict z, const double *restrict eps,
                           const double *restrict sigma, double *restrict sa, double *restrict ac)
{
	double t2 = tau * tau;
	if (!dmd) {
		for (size_t b = 0; b < n; b++) {
			double sg = sigma[b];
			ac[b] = t2 / (t2 + sg * sg);
		}
	} else if (ac) {
		for (size_t b = 0; b < n; b++) {
			double sg = sigma[b], sg2 = sg * sg;
			double xg = m + s * z[b * D], xt = xg + sg * eps[b * D];
			double a = t2 / (t2 + sg2);
			double fphi = mu + a * (xt - mu);
			ac[b] = a;
			sa[b] += fabs(xg - fphi);
		}
	} else {
		for (size_t b = 0; b < n; b++) {
			double sg = sigma[b], sg2 = sg * sg;
			double xg = m + s * z[b * D], xt = xg + sg * eps[b * D];
			double a = t2 / (t2 + sg2);
			double fphi = mu + a * (xt - mu);
			sa[b] += fabs(xg - fphi);
		}
	}
}

/* The rows whose dmd weight w has a reciprocal that neither overflows nor
 * loses precision: their quotients by w are products with 1/w (within 1.5
 * ulp of the quotient); other rows (and NaN) divide. */
static inline int in_range(double w)
{
	return (w >= 0x1p-1000) & (w <= 0x1p1000);
}

/* One row of pass 2: a from pass 1 (stored) or computed again; sel = 0:
 * every w in range, 1: some w out of range (a select). */
static inline void gen_grad_row(size_t b, size_t D, int naive, double alpha, double mu, double t2,
                                double m, double s, double mf, double v, const double *restrict z,
                                const double *restrict eps, const double *restrict sigma,
                                const double *restrict ac, const double *restrict w,
                                const double *restrict iw, double *restrict dd,
                                double *restrict dr, double *restrict gc, double *restrict gzc,
                                const int stored, const int sel)
{
	double sg = sigma[b], sg2 = sg * sg, zb = z[b * D];
	double xg = m + s * zb, xt = xg + sg * eps[b * D];
	double a = stored ? ac[b] : t2 / (t2 + sg2);
	double cc = v / (v + sg2);
	double fphi = mu + a * (xt - mu);
	double fpsi = mf + cc * (xt - mf);
	double d = fphi - fpsi, r = fphi - xg;
	dd[b] += d * d;
	dr[b] += d * r;
	/* one quotient for either loss (a select of the two would have the
	 * vectorised loop compute both) */
	double num = naive ? 2 * d * (a - cc)
	                   : (a - cc) * (r - alpha * d) + d * ((a - 1) - alpha * (a - cc));
	double g = !sel ? num * iw[b] : in_range(w[b]) ? num * iw[b] : num / w[b];
	gc[b] = g;
	gzc[b] = g * zb;
}

/* Pass 2 for coordinate i: per row d^2 and d r into dd, dr, the gradient
 * terms g and g z into gc, gzc; a from ac, or computed when ac is NULL; w
 * the weights, iw their reciprocals, all_in = every w in range. */
#define GEN_GRAD_LOOP(st, rc) \
	for (size_t b = 0; b < n; b++) \
		gen_grad_row(b, D, naive, alpha, mu, t2, m, s, mf, v, z, eps, sigma, ac, w, iw, dd, dr, \
		             gc, gzc, st, rc)
KX_CLONES3
static void gen_grad_col(size_t n, size_t D, int naive, double alpha, double mu, double tau,
                         double m, double s, double mf, double v, const double *restrict z,
                         const double *restrict eps, const double *restrict sigma,
                         const double *restrict ac, const double *restrict w,
                         const double *restrict iw, int all_in, double *restrict dd,
                         double *restrict dr, double *restrict gc, double *restrict gzc)
{
	double t2 = tau * tau;
	if (ac && all_in)
		GEN_GRAD_LOOP(1, 0);
	else if (ac)
		GEN_GRAD_LOOP(1, 1);
	else if (all_in)
		GEN_GRAD_LOOP(0, 0);
	else
		GEN_GRAD_LOOP(0, 1);
}
#undef GEN_GRAD_LOOP

/* The chunk geometry for width D: R rows per chunk and the coordinates in
 * blocks of CB, so that a block's columns (CB R values each of g and g z)
 * fit in COLS; the stored a's (D R values) too when D <= COLS. */
enum { COLS = 2048 };

static size_t chunk_rows(size_t D)
{
	size_t r = COLS / D;
	return r > ROWS ? ROWS : r < 1 ? 1 : r;
}

/* acc[j] += col[j][b] for b < n in order, j < K: K independent in-order
 * sums side by side, in registers (K a constant after inlining). */
static inline void sum_k(const double *const *col, size_t n, double *acc, const int K)
{
	double s[8];
	for (int j = 0; j < K; j++)
		s[j] = acc[j];
	for (size_t b = 0; b < n; b++)
		for (int j = 0; j < K; j++)
			s[j] += col[j][b];
	for (int j = 0; j < K; j++)
		acc[j] = s[j];
}

/* sums[j] += cols[j R + b] for b < n in order, for every j < k: k
 * independent sums, each the sum of its column in index order, run eight
 * at a time so that their additions overlap. */
static void sum_columns(size_t k, size_t R, size_t n, const double *cols, double *sums)
{
	for (size_t j0 = 0; j0 < k; j0 += 8) {
		const double *col[8];
		size_t kk = k - j0 < 8 ? k - j0 : 8;
		for (size_t j = 0; j < kk; j++)
			col[j] = cols + (j0 + j) * R;
		double *acc = sums + j0;
		switch (kk) {
		case 1: sum_k(col, n, acc, 1); break;
		case 2: sum_k(col, n, acc, 2); break;
		case 3: sum_k(col, n, acc, 3); break;
		case 4: sum_k(col, n, acc, 4); break;
		case 5: sum_k(col, n, acc, 5); break;
		case 6: sum_k(col, n, acc, 6); break;
		case 7: sum_k(col, n, acc, 7); break;
		default: sum_k(col, n, acc, 8); break;
		}
	}
}

/* The dmd weight's mean and clip, w[b] = max(sa[b]/D, floor) (a NaN mean
 * stays NaN, as torch.clamp does), in place.  For D a power of two the
 * division is the multiplication by 1/D, which is exact: the same bits.
 * Returns 1 when every w is in_range. */
KX_CLONES3
static int weight_rows(size_t n, size_t D, double floor, double *restrict w)
{
	long long in = 0;
	double d = (double)D, r = 1 / d;
	if ((D & (D - 1)) == 0)
		for (size_t b = 0; b < n; b++) {
			double x = w[b] * r;
			x = x < floor ? floor : x;
			w[b] = x;
			in += in_range(x);
		}
	else
		for (size_t b = 0; b < n; b++) {
			double x = w[b] / d;
			x = x < floor ? floor : x;
			w[b] = x;
			in += in_range(x);
		}
	return in == (long long)n;
}

/* iw[b] = 1/w[b] */
KX_CLONES3
static void recip_rows(size_t n, const double *restrict w, double *restrict iw)
{
	for (size_t b = 0; b < n; b++)
		iw[b] = 1 / w[b];
}

/* Per row: l1 = dd/w, l2 = dr/w and the loss l = l1 (naive) or l2 - alpha l1,
 * the quotients as products with iw = 1/w where w is in_range (all_in: every
 * row). */
KX_CLONES3
static void loss_rows(size_t n, int naive, double alpha, const double *restrict dd,
                      const double *restrict dr, const double *restrict w,
                      const double *restrict iw, int all_in, double *restrict l1,
                      double *restrict l2, double *restrict l)
{
	if (all_in)
		for (size_t b = 0; b < n; b++) {
			double x = dd[b] * iw[b], y = dr[b] * iw[b];
			l1[b] = x;
			l2[b] = y;
			l[b] = naive ? x : y - alpha * x;
		}
	else
		for (size_t b = 0; b < n; b++) {
			int r = in_range(w[b]);
			double x = r ? dd[b] * iw[b] : dd[b] / w[b], y = r ? dr[b] * iw[b] : dr[b] / w[b];
			l1[b] = x;
			l2[b] = y;
			l[b] = naive ? x : y - alpha * x;
		}
}

void sid_gen_batch(const sid_config *c, size_t D, size_t B, const double *mu, const double *tau,
                   const double *m, const double *s, const double *mf, const double *v,
                   const double *z, const double *sigma, const double *eps,
                   double *loss, double *l1, double *l2, double *gm, double *gs)
{
	/* mu, tau, m, s, mf, v: (D,); z, eps: (B, D); sigma: (B,); gm, gs: (D,) out.
	 * With x_t = x_g + sigma eps, both denoisers move with x_g:
	 * d f_phi/d x_g = a, d f_psi/d x_g = c, d r/d x_g = a - 1 (psi and the dmd
	 * weight w are stop-gradient, as in the official generator_loss).
	 * Per row: w = mean over coordinates of |x_g - f_phi|, clipped below at
	 * the floor (written so that a NaN mean stays NaN, as torch.clamp does).
	 * The per-row values go into columns (g and g z of each coordinate, and
	 * after the last coordinate l1, l2, l), each summed over the rows in
	 * index order (sum_columns) into its own accumulator. */
	double alpha = c->alpha, acc[3] = { 0, 0, 0 }, bs[2 * COLS + 3];
	int naive = c->loss == SID_LOSS_L1, dmd = c->weight == SID_WEIGHT_DMD;
	double w[ROWS], iw[ROWS], dd[ROWS], dr[ROWS], ac[COLS], cols[2 * COLS + 3 * ROWS];
	size_t R = chunk_rows(D), CB = D * R <= COLS ? D : COLS / R;
	int store = CB == D;
	for (size_t i = 0; i < D; i++)
		gm[i] = gs[i] = 0;
	for (size_t b0 = 0; b0 < B; b0 += R) {
		size_t n = B - b0 < R ? B - b0 : R;
		const double *zc = z + b0 * D, *ec = eps + b0 * D, *sc = sigma + b0;
		for (size_t b = 0; b < n; b++) {
			w[b] = dmd ? 0 : 1;
			dd[b] = dr[b] = 0;
		}
		if (dmd || store)
			for (size_t i = 0; i < D; i++)
				gen_weight_col(n, D, dmd, mu[i], tau[i], m[i], s[i], zc + i, ec + i, sc, w,
				               store ? ac + i * R : NULL);
		int all_in = 1;      /* the weight none: 1/1 = 1, the same bits as dividing */
		if (dmd)
			all_in = weight_rows(n, D, c->weight_floor, w);
		recip_rows(n, w, iw);
		for (size_t i0 = 0; i0 < D; i0 += CB) {
			size_t cb = D - i0 < CB ? D - i0 : CB, k = 2 * cb;
			for (size_t j = 0; j < cb; j++) {
				size_t i = i0 + j;
				gen_grad_col(n, D, naive, alpha, mu[i], tau[i], m[i], s[i], mf[i], v[i],
				             zc + i, ec + i, sc, store ? ac + i * R : NULL, w, iw, all_in, dd, dr,
				             cols + j * R, cols + (cb + j) * R);
				bs[j] = gm[i];
				bs[cb + j] = gs[i];
			}
			if (i0 + cb == D) {     /* the per-row losses, once dd and dr are complete */
				loss_rows(n, naive, alpha, dd, dr, w, iw, all_in, cols + k * R, cols + (k + 1) * R,
				          cols + (k + 2) * R);
				for (int j = 0; j < 3; j++)
					bs[k + j] = acc[j];
				k += 3;
			}
			sum_columns(k, R, n, cols, bs);
			for (size_t j = 0; j < cb; j++) {
				gm[i0 + j] = bs[j];
				gs[i0 + j] = bs[cb + j];
			}
			if (i0 + cb == D)
				for (int j = 0; j < 3; j++)
					acc[j] = bs[2 * cb + j];
		}
	}
	for (size_t i = 0; i < D; i++) {
		gm[i] /= (double)B;
		gs[i] /= (double)B;
	}
	*l1 = acc[0] / (double)B;
	*l2 = acc[1] / (double)B;
	*loss = acc[2] / (double)B;
}

/* The fake batch's EDM weights lam[b] = (sg^2 + sd2)/(sg^2 sd2), ee[b] = 0. */
KX_CLONES3
static void fake_rows(size_t n, double sd2, const double *restrict sigma, double *restrict lam,
                      double *restrict ee)
{
	for (size_t b = 0; b < n; b++) {
		double sg = sigma[b], sg2 = sg * sg;
		lam[b] = (sg2 + sd2) / (sg2 * sd2);
		ee[b] = 0;
	}
}

/* The fake batch for coordinate i over rows [0, n): e^2 into ee, the
 * gradient terms into gc, guc. */
KX_CLONES3
static void fake_col(size_t n, size_t D, double m, double s, double mf, double v,
                     const double *restrict z, const double *restrict eps,
                     const double *restrict sigma, const double *restrict lam,
                     double *restrict ee, double *restrict gc, double *restrict guc)
{
	for (size_t b = 0; b < n; b++) {
		double sg = sigma[b], sg2 = sg * sg;
		double xg = m + s * z[b * D], xt = xg + sg * eps[b * D];
		double cc = v / (v + sg2);
		double e = mf + cc * (xt - mf) - xg;
		ee[b] += e * e;
		gc[b] = 2 * lam[b] * e * (1 - cc);
		guc[b] = 2 * lam[b] * e * (2 * cc * (1 - cc) * (xt - mf));
	}
}

/* l[b] = lam[b] ee[b] */
KX_CLONES3
static void mul_rows(size_t n, const double *restrict lam, const double *restrict ee,
                     double *restrict l)
{
	for (size_t b = 0; b < n; b++)
		l[b] = lam[b] * ee[b];
}

void sid_fake_batch(const sid_config *c, size_t D, size_t B, const double *m, const double *s,
                    const double *mf, const double *v, const double *z, const double *sigma,
                    const double *eps, double *loss, double *gmf, double *gu)
{
	/* m, s, mf, v: (D,), v = exp(2u); z, eps: (B, D); sigma: (B,); gmf, gu: (D,) out.
	 * EDM weight lambda = (sigma^2 + sigma_d^2)/(sigma sigma_d)^2; the target
	 * x_g is a constant (the generator runs without gradient here);
	 * dc/du = 2c(1 - c) because c = v/(v + sigma^2) and dv/du = 2v.
	 * Columns as in sid_gen_batch: the terms of gmf and gu of each
	 * coordinate, then lam ee. */
	double sd2 = c->sigma_data * c->sigma_data, sl = 0;
	double lam[ROWS], ee[ROWS], cols[2 * COLS + ROWS], bs[2 * COLS + 1];
	size_t R = chunk_rows(D), CB = D * R <= COLS ? D : COLS / R;
	for (size_t i = 0; i < D; i++)
		gmf[i] = gu[i] = 0;
	for (size_t b0 = 0; b0 < B; b0 += R) {
		size_t n = B - b0 < R ? B - b0 : R;
		fake_rows(n, sd2, sigma + b0, lam, ee);
		for (size_t i0 = 0; i0 < D; i0 += CB) {
			size_t cb = D - i0 < CB ? D - i0 : CB, k = 2 * cb;
			for (size_t j = 0; j < cb; j++) {
				size_t i = i0 + j;
				fake_col(n, D, m[i], s[i], mf[i], v[i], z + b0 * D + i, eps + b0 * D + i,
				         sigma + b0, lam, ee, cols + j * R, cols + (cb + j) * R);
				bs[j] = gmf[i];
				bs[cb + j] = gu[i];
			}
			if (i0 + cb == D) {
				mul_rows(n, lam, ee, cols + k * R);
				bs[k++] = sl;
			}
			sum_columns(k, R, n, cols, bs);
			for (size_t j = 0; j < cb; j++) {
				gmf[i0 + j] = bs[j];
				gu[i0 + j] = bs[cb + j];
			}
			if (i0 + cb == D)
				sl = bs[2 * cb];
		}
	}
	for (size_t i = 0; i < D; i++) {
		gmf[i] /= (double)B;
		gu[i] /= (double)B;
	}
	*loss = sl / (double)B;
}
