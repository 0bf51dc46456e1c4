/*
 * test_lora.c — the LoRA kernels against closed forms, invariants and the
 * spec's published numbers (lora.md 7.1, 8.9, 11).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "linalg.h"
#include "lora.h"

static double *alloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* max |X Y^T - c2 I| for X (r, n) rows (or columns when cols = 1: X (n, r)). */
static double gram_err(const double *X, size_t r, size_t n, int by_cols, double c2)
{
	double e = 0;
	for (size_t i = 0; i < r; i++)
		for (size_t j = 0; j < r; j++) {
			double s = 0;
			for (size_t l = 0; l < n; l++)
				s += by_cols ? X[l * r + i] * X[l * r + j] : X[i * n + l] * X[j * n + l];
			double d = fabs(s - (i == j ? c2 : 0));
			if (d > e)
				e = d;
		}
	return e;
}

typedef struct {
	double *A, *B, *W, *S;
	kx_lora_res res;
} bufs;

static void bufs_init(bufs *b, size_t m, size_t n, size_t r)
{
	b->A = alloc(r * n);
	b->B = alloc(m * r);
	b->W = alloc(m * n);
	b->S = alloc(2 * r);
	b->res = (kx_lora_res){ .A = b->A, .B = b->B, .w0_adj = b->W, .sigma = b->S };
}

static void bufs_free(bufs *b)
{
	free(b->A);
	free(b->B);
	free(b->W);
	free(b->S);
}

static kx_lora_cfg cfg_default(int method, size_t r)
{
	return (kx_lora_cfg){ .method = method, .rank = r, .alpha = 16, .gamma = 16,
	                      .svd = KX_SVD_FULL, .niter = 4, .oversample = 4 };
}

static void worked_example(void)
{
	/* lora.md 8.9: W0 = I, G = diag(4, 3, 2, 1), r = 1: c = 4^(1/4)/4, s = 16 */
	double W0[16] = { 0 }, G[16] = { 0 };
	for (int i = 0; i < 4; i++) {
		W0[i * 5] = 1;
		G[i * 5] = 4 - i;
	}
	bufs b;
	bufs_init(&b, 4, 4, 1);
	kx_lora_cfg cfg = cfg_default(KX_LORA_GA, 1);
	kx_rng g;
	kx_rng_seed(&g, 0, 0);
	tap_ok(kx_lora_init(&cfg, 4, 4, W0, G, &g, &b.res) == 0, "8.9: lora-ga runs");
	double c = sqrt(2.0) / 4;
	float cf = (float)c;
	tap_near(b.res.init_scale, c, 1e-15, 0, "8.9: init_scale = 4^(1/4)/sqrt(16)");
	tap_near(b.res.scale, 16, 0, 0, "8.9: scale = alpha/r = 16");
	tap_ok(b.res.nsigma == 2 && b.S[0] == 4 && b.S[1] == 3, "8.9: sigma = [4, 3]");
	tap_ok(b.A[0] == cf && b.A[1] == 0 && b.A[2] == 0 && b.A[3] == 0, "8.9: A = [c, 0, 0, 0] (float32)");
	tap_ok(b.B[0] == 0 && b.B[1] == cf && b.B[2] == 0 && b.B[3] == 0, "8.9: B = [0, c, 0, 0]^T");
	tap_ok(b.W[4] == (double)(float)(0 - 16.0 * (double)cf * (double)cf), "8.9: w0_adj[1][0] = float32(-16 c^2)");
	tap_ok((float)b.W[4] == -1.9999999f, "8.9: w0_adj[1][0] prints -1.9999999");
	kx_lora_check chk;
	kx_lora_check_run(&cfg, 4, 4, W0, G, &b.res, &g, &chk);
	tap_near(chk.cos_step, sqrt(25.0 / 30), 1e-14, 0, "8.9: cos_step = sqrt(25/30)");
	tap_near(chk.cos_bound, sqrt(25.0 / 30), 1e-14, 0, "8.9: cos_bound = sqrt(25/30)");
	tap_near(chk.recon_max_abs, fabs(b.W[4] + 16.0 * (double)cf * (double)cf), 0, 1e-20,
	         "8.9: recon = |w0_adj + s c^2| at [1][0]");
	bufs_free(&b);
}

static void known_answers(void)
{
	/* lora.md 7.1 record-level known answers */
	static const float ka42[7] = { 0.15468769f, 0.2739517f, 0.22946669f, -0.206732f, 0.3200633f,
	                               0.22704619f, 0.046444464f };
	static const float ka0[4] = { 0.07654763f, 0.18729961f, -0.30008867f, -0.06305273f };
	static const float gs0[8] = { -0.0094824955f, -0.6779651f, -0.20186055f, 0.11667549f,
	                              0.812555f, -0.0012843432f, -0.5106244f, -0.116346136f };
	double A[8];
	kx_rng g;
	int ok = 1;
	kx_rng_seed(&g, 42, 0);
	kx_lora_fill_kaiming(&g, A, 1, 7);
	for (int i = 0; i < 7; i++)
		ok &= A[i] == (double)ka42[i];
	tap_ok(ok, "7.1: -m lora -r 1 -s 42, d_in 7: the Kaiming row");
	ok = 1;
	kx_rng_seed(&g, 0, 0);
	kx_lora_fill_kaiming(&g, A, 1, 7);
	for (int i = 0; i < 4; i++)
		ok &= A[i] == (double)ka0[i];
	tap_ok(ok, "7.1: -m lora -r 1 -s 0, d_in 7: the row starts as published");
	ok = 1;
	kx_rng_seed(&g, 0, 0);
	kx_lora_fill_gaussian(&g, A, 2, 4);
	for (int i = 0; i < 8; i++)
		ok &= A[i] == (double)gs0[i];
	tap_ok(ok, "7.1: -m gaussian -r 2 -s 0, d_in 4: std 1/2");
	/* an odd fill drops the unused sin: the next fill starts a new pair */
	double x[3], y[4];
	kx_rng_seed(&g, 0, 0);
	kx_lora_fill_normal(&g, x, 3);
	kx_lora_fill_normal(&g, y, 1);
	kx_rng h;
	kx_rng_seed(&h, 0, 0);
	for (int i = 0; i < 4; i++)
		(void)kx_rng_uniform(&h);
	double u1 = 1 - kx_rng_uniform(&h), u2 = kx_rng_uniform(&h);
	tap_near(y[0], sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2), 0, 0,
	         "7.1: a fill of 3 normals drops the 4th; the next fill takes uniforms 5 and 6");
}

static void eckart_young(void)
{
	/* C3: a 6x5 G with diagonal 5, 3, 2, 1.2, 0.5 */
	double G[30] = { 0 }, W0[30] = { 0 }, d[5] = { 5, 3, 2, 1.2, 0.5 };
	for (int i = 0; i < 5; i++)
		G[i * 5 + i] = d[i];
	const double want[3] = { 0, 0.92554792, 0.99684562 };
	for (size_t r = 1; r <= 2; r++)
		for (int dir = 0; dir < 3; dir++) {
			bufs b;
			bufs_init(&b, 6, 5, r);
			kx_lora_cfg cfg = cfg_default(KX_LORA_GA, r);
			cfg.direction = dir;
			kx_rng g;
			kx_rng_seed(&g, 0, 0);
			kx_lora_init(&cfg, 6, 5, W0, G, &g, &b.res);
			kx_lora_check chk;
			kx_lora_check_run(&cfg, 6, 5, W0, G, &b.res, &g, &chk);
			char what[120];
			snprintf(what, sizeof what, "C3: r = %zu, direction %d: cos_bound = %.8f", r, dir, want[r]);
			tap_near(chk.cos_bound, want[r], 0, 5e-9, what);
			snprintf(what, sizeof what, "C3: r = %zu, direction %d: cos_step = cos_bound", r, dir);
			tap_near(chk.cos_step, chk.cos_bound, 0, 1e-6, what);
			double c2 = b.res.init_scale * b.res.init_scale;
			snprintf(what, sizeof what, "C2: r = %zu, direction %d: A A^T = B^T B = c^2 I", r, dir);
			tap_ok(gram_err(b.A, r, 5, 0, c2) < 1e-6 && gram_err(b.B, r, 6, 1, c2) < 1e-6, what);
			bufs_free(&b);
		}
	tap_near(sqrt(sqrt(6.0)) / 4, 0.391271145, 0, 5e-10, "C2: 6^(1/4)/4 = 0.391271145");
}

static void magnitudes(void)
{
	/* C9: d_out = 4096 => c = 2; r = 8, alpha 16, rsLoRA: |s B A|_F = s c^2 sqrt(r) = 64 */
	size_t m = 4096, n = 16, r = 8;
	double *G = alloc(m * n), *W0 = alloc(m * n);
	kx_rng g;
	kx_rng_seed(&g, 7, 0);
	kx_lora_fill_normal(&g, G, m * n);
	bufs b;
	bufs_init(&b, m, n, r);
	kx_lora_cfg cfg = cfg_default(KX_LORA_GA, r);
	cfg.rslora = 1;
	kx_lora_init(&cfg, m, n, W0, G, &g, &b.res);
	tap_near(b.res.init_scale, 2, 1e-15, 0, "C9: d_out 4096, gamma 16: c = 2");
	tap_near(b.res.scale, 16 / sqrt(8.0), 1e-15, 0, "C9: rsLoRA s = 5.657");
	double f = 0;
	for (size_t i = 0; i < m * n; i++)
		f += b.W[i] * b.W[i];                  /* W0 = 0: w0_adj = -s B A */
	tap_near(sqrt(f), 64, 1e-5, 0, "C9: |s B A|_F = 64");
	bufs_free(&b);
	free(G);
	free(W0);
}

static void pissa_closed_form(void)
{
	/* C10: W0 = diag(4, 3, 2, 1), r = 2, alpha = 4 (s = 2) */
	double W0[16] = { 0 };
	for (int i = 0; i < 4; i++)
		W0[i * 5] = 4 - i;
	bufs b;
	bufs_init(&b, 4, 4, 2);
	kx_lora_cfg cfg = cfg_default(KX_LORA_PISSA, 2);
	cfg.alpha = 4;
	kx_rng g;
	kx_rng_seed(&g, 0, 0);
	kx_lora_init(&cfg, 4, 4, W0, NULL, &g, &b.res);
	tap_ok(b.A[0] == (double)(float)sqrt(2.0) && b.A[5] == (double)(float)sqrt(1.5) && b.A[1] == 0,
	       "C10: A = [[sqrt 2, 0, 0, 0], [0, sqrt 1.5, 0, 0]]");
	tap_ok(b.res.nsigma == 2 && fabs(b.S[0] - 4) < 1e-14 && fabs(b.S[1] - 3) < 1e-14, "C10: sigma = [4, 3]");
	tap_ok(fabs(b.W[0]) < 1e-6 && fabs(b.W[5]) < 1e-6 && b.W[10] == 2 && b.W[15] == 1,
	       "C10: w0_adj = diag(0, 0, 2, 1)");
	tap_ok(gram_err(b.B, 2, 4, 1, 0) > 0 && fabs(b.B[0] * b.B[0] - 2) < 1e-6, "C10: B^T B = diag(S_r)/s");
	bufs_free(&b);
}

static void qr_and_olora(void)
{
	/* C11: OLoRA on tall and wide W0: B^T B = I, A upper trapezoidal, diag >= 0 */
	size_t shapes[2][2] = { { 7, 4 }, { 4, 7 } };
	for (int s = 0; s < 2; s++) {
		size_t m = shapes[s][0], n = shapes[s][1], r = 3;
		double *W0 = alloc(m * n);
		kx_rng g;
		kx_rng_seed(&g, 3, (uint64_t)s);
		kx_lora_fill_normal(&g, W0, m * n);
		kx_lora_to_f32(W0, m * n);
		bufs b;
		bufs_init(&b, m, n, r);
		kx_lora_cfg cfg = cfg_default(KX_LORA_OLORA, r);
		kx_lora_init(&cfg, m, n, W0, NULL, &g, &b.res);
		int tri = 1;
		for (size_t i = 0; i < r; i++) {
			tri &= b.A[i * n + i] >= 0;
			for (size_t j = 0; j < i; j++)
				tri &= b.A[i * n + j] == 0;
		}
		kx_lora_check chk;
		kx_lora_check_run(&cfg, m, n, W0, NULL, &b.res, &g, &chk);
		char what[100];
		snprintf(what, sizeof what, "C11: olora %zux%zu: B^T B = I", m, n);
		tap_ok(gram_err(b.B, r, m, 1, 1) < 1e-6, what);
		snprintf(what, sizeof what, "C11: olora %zux%zu: A upper trapezoidal, diag >= 0", m, n);
		tap_ok(tri, what);
		snprintf(what, sizeof what, "C1: olora %zux%zu: recon <= 1e-5", m, n);
		tap_ok(chk.recon_max_abs <= 1e-5, what);
		/* the QR itself reproduces M */
		size_t k = m < n ? m : n;
		double *Q = alloc(m * k), *R = alloc(k * n), *M = alloc(m * n);
		kx_lora_qr(m, n, W0, Q, R);
		kx_gemm(0, 0, m, n, k, 1.0, Q, R, 0.0, M);
		double e = 0;
		for (size_t i = 0; i < m * n; i++)
			e = fmax(e, fabs(M[i] - W0[i]));
		snprintf(what, sizeof what, "7.3: QR of %zux%zu gives Q R = M", m, n);
		tap_ok(e < 1e-12, what);
		free(Q); free(R); free(M); free(W0);
		bufs_free(&b);
	}
}

static void orthogonal_init(void)
{
	size_t m = 9, n = 5, r = 4;
	double W0[45] = { 0 }, BA[45];
	bufs b;
	bufs_init(&b, m, n, r);
	kx_lora_cfg cfg = cfg_default(KX_LORA_ORTHOGONAL, r);
	kx_rng g;
	kx_rng_seed(&g, 11, 0);
	kx_lora_init(&cfg, m, n, W0, NULL, &g, &b.res);
	kx_gemm(0, 0, m, n, r, 1.0, b.B, b.A, 0.0, BA);
	double e = 0, amax = 0;
	for (size_t i = 0; i < m * n; i++)
		e = fmax(e, fabs(BA[i]));
	for (size_t i = 0; i < r * n; i++)
		amax = fmax(amax, fabs(b.A[i]));
	tap_ok(e <= 1e-7 && amax > 0.01, "C11: orthogonal: B A ~ 0 (<= 1e-7), A not zero");
	bufs_free(&b);
}

static void randomized(void)
{
	/* C16 in small: spectrum 1/i plus noise, 200 x 150, r = 4, q = 16 */
	size_t m = 200, n = 150, k = 150, r = 4, q = 16;
	double *U0 = alloc(m * m), *V0 = alloc(n * n), *M = alloc(m * n), *N = alloc(m * n);
	kx_rng g;
	kx_rng_seed(&g, 5, 0);
	kx_lora_fill_normal(&g, U0, m * k);
	kx_lora_fill_normal(&g, V0, n * n);
	kx_qr(m, k, U0, NULL);
	kx_qr(n, n, V0, NULL);
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < k; j++)
			U0[i * k + j] /= (double)(j + 1);
	kx_gemm(0, 1, m, n, k, 1.0, U0, V0, 0.0, M);
	kx_lora_fill_normal(&g, N, m * n);
	for (size_t i = 0; i < m * n; i++)
		M[i] += 1e-4 * N[i];
	double *U = alloc(m * k), *S = alloc(k), *Vh = alloc(k * n);
	double *Ur = alloc(m * q), *Sr = alloc(q), *Vr = alloc(q * n);
	kx_lora_svd(m, n, M, U, S, Vh);
	kx_lora_rsvd(m, n, M, q, 4, &g, Ur, Sr, Vr);
	double es = 0, ev = 0;
	for (size_t i = 0; i < 2 * r; i++) {
		es = fmax(es, fabs(Sr[i] - S[i]) / S[i]);
		double dot = 0;
		for (size_t j = 0; j < n; j++)
			dot += Vr[i * n + j] * Vh[i * n + j];
		ev = fmax(ev, 1 - dot);            /* same sign convention: dot -> +1 */
	}
	if (!(es < 1e-5))
		printf("#   es = %g, ev = %g\n", es, ev);
	tap_ok(es < 1e-5, "C16: randomized top-2r singular values within 1e-5 relative (q = 4r, niter 4)");
	tap_ok(ev < 1e-6, "C16: randomized vectors agree in sign and direction with the full SVD");
	int piv = 1;
	for (size_t i = 0; i < k; i++) {
		double mx = 0, first = 0;
		for (size_t j = 0; j < m; j++)
			mx = fmax(mx, fabs(U[j * k + i]));
		for (size_t j = 0; j < m; j++)
			if (fabs(U[j * k + i]) >= mx * (1 - 1e-6)) {
				first = U[j * k + i];
				break;
			}
		piv &= first > 0;
	}
	tap_ok(piv, "7.2: every left singular vector has a positive pivot");
	free(U0); free(V0); free(M); free(N); free(U); free(S); free(Vh); free(Ur); free(Sr); free(Vr);
}

static void rules(void)
{
	tap_near(kx_lora_ratio_blog(4, 6, 2), 1.5 * sqrt(3.0), 1e-15, 0, "C13: blog ratio 4x6, r 2 = 1.5 sqrt 3");
	tap_near(kx_lora_ratio_blog(768, 768, 8), 9.797958971, 0, 5e-10, "C13: 768x768, r 8 = 9.797958971");
	tap_near(kx_lora_ratio_blog(4096, 4096, 8), 22.627416998, 0, 5e-9, "C13: 4096x4096, r 8 = 22.63");
	tap_near(kx_lora_scaling(16, 8, 0), 2, 0, 0, "s = alpha/r");
	tap_near(kx_lora_scaling(16, 4, 1), 8, 0, 0, "s = alpha/sqrt(r)");
	tap_ok(kx_lora_svd_choice(KX_SVD_AUTO, 1024, 1024, 32, 4, 64) == KX_SVD_RANDOMIZED,
	       "7.5: auto at 1024 with r 32 (q 128, 4q <= k) is randomized");
	tap_ok(kx_lora_svd_choice(KX_SVD_AUTO, 1024, 1024, 128, 4, 256) == KX_SVD_FULL,
	       "7.5: auto at 1024 with r 128 (4q > k) is full");
	tap_ok(kx_lora_svd_choice(KX_SVD_AUTO, 1023, 4096, 8, 4, 16) == KX_SVD_FULL,
	       "7.5: auto below k = 1024 is full");
	tap_ok(kx_lora_svd_choice(KX_SVD_RANDOMIZED, 50, 50, 8, 1, 16) == -1,
	       "7.5: randomized with q < 2r is refused");
	char buf[120];
	tap_ok(kx_lora_rank_error(KX_LORA_GA, 3, 6, 5, buf, sizeof buf) != NULL &&
	       kx_lora_rank_error(KX_LORA_GA, 2, 6, 5, buf, sizeof buf) == NULL, "9: lora-ga needs 2r <= k");
	tap_ok(kx_lora_rank_error(KX_LORA_PISSA, 6, 6, 5, buf, sizeof buf) != NULL &&
	       kx_lora_rank_error(KX_LORA_ORTHOGONAL, 3, 6, 5, buf, sizeof buf) != NULL,
	       "9: pissa r <= k, orthogonal r even");
	double x[4] = { 1e39, 1, NAN, 0.1 };
	tap_ok(kx_lora_to_f32(x, 4) == 0 && kx_lora_to_f32(x + 1, 3) == 1, "7.4: beyond float32 range and NaN are found");
	tap_ok(kx_lora_to_f32(x + 3, 1) == 1 && x[3] == (double)0.1f, "7.4: values are rounded to float32");
}

static void mica_sign_dora(void)
{
	/* mica on diag(4, 3, 2, 1), r = 2: B = [e3, e4] (the smallest, descending), A = 0, W0 kept */
	double W0[16] = { 0 };
	for (int i = 0; i < 4; i++)
		W0[i * 5] = 4 - i;
	bufs b;
	bufs_init(&b, 4, 4, 2);
	kx_lora_cfg cfg = cfg_default(KX_LORA_MICA, 2);
	kx_rng g;
	kx_rng_seed(&g, 0, 0);
	kx_lora_init(&cfg, 4, 4, W0, NULL, &g, &b.res);
	tap_ok(b.res.nsigma == 2 && b.S[0] == 2 && b.S[1] == 1, "mica: sigma = the smallest two, descending");
	tap_ok(b.B[4] == 1 && b.B[7] == 1 && b.B[0] == 0 && b.B[3] == 0, "mica: B = [e3, e4]");
	int zero = 1, same = 1;
	for (int i = 0; i < 8; i++)
		zero &= b.A[i] == 0;
	for (int i = 0; i < 16; i++)
		same &= b.W[i] == W0[i];
	tap_ok(zero && same, "mica: A = 0 and w0_adj = W0");
	bufs_free(&b);
	double G[5] = { -2, 0, 3e-300, -0.0, 7 };
	kx_lora_sign(G, 5);
	tap_ok(G[0] == -1 && G[1] == 0 && G[2] == 1 && G[3] == 0 && G[4] == 1, "sign(G) with sign(0) = 0");
	double W[6] = { 3, 4, 0, 0, 1, 1 }, d[3];
	kx_lora_dora(3, 2, W, d);
	tap_ok(d[0] == 5 && d[1] == 0 && d[2] == (double)(float)sqrt(2.0), "dora: float32 row norms 5, 0, sqrt 2");
}

static void sign_rule(void)
{
	/* 7.2 by hand: U (4, 3) in rows of ldu = 4 (a spare column), Vh (3, 2).
	 * Column 0: max 0.7, the first entry within 1e-6 of it is -0.7 (row 1): flip.
	 * Column 1: -0.6 is the largest, but 0.6 (1 - 1e-7) in row 1 comes first
	 * and is within the tolerance: keep.  Column 2: zero, keep. */
	double U[16] = { 0.1, 0.2, 0, 9, -0.7, 0.6 * (1 - 1e-7), 0, 9, 0.7, -0.6, 0, 9, 0.2, 0, 0, 9 };
	double Vh[6] = { 1, 2, 3, 4, 5, 6 };
	kx_lora_sign_fix(4, 2, 3, 4, U, Vh);
	tap_ok(U[0] == -0.1 && U[4] == 0.7 && U[8] == -0.7 && U[12] == -0.2 && Vh[0] == -1 && Vh[1] == -2,
	       "7.2: a column whose pivot is negative is flipped with its row of Vh");
	tap_ok(U[1] == 0.2 && U[9] == -0.6 && Vh[2] == 3 && Vh[3] == 4,
	       "7.2: the pivot is the first entry within 1e-6 of the largest magnitude");
	tap_ok(U[2] == 0 && !signbit(U[2]) && Vh[4] == 5 && U[3] == 9 && U[15] == 9,
	       "7.2: a zero column and the columns past k are left alone");
	/* the full SVD of a 3 x 2 matrix with a negative-leaning first vector:
	 * M = [[-3, 0], [0, 1], [0, 0]] = U diag(3, 1) Vh with U[:, 0] = e1 after the fix */
	double M[6] = { -3, 0, 0, 1, 0, 0 }, Us[6], S[2], V2[4];
	kx_lora_svd(3, 2, M, Us, S, V2);
	tap_ok(tap_close(S[0], 3, 1e-15, 0) && tap_close(S[1], 1, 1e-15, 0) && tap_close(Us[0], 1, 1e-15, 0) &&
	       tap_close(V2[0], -1, 1e-15, 0) && tap_close(Us[3], 1, 1e-15, 0) && tap_close(V2[3], 1, 1e-15, 0),
	       "7.2: full SVD of diag(-3, 1) padded: u1 = e1, v1 = -e1, u2 = e2, v2 = e2");
}

int main(void)
{
	sign_rule();
	mica_sign_dora();
	worked_example();
	known_answers();
	eckart_young();
	magnitudes();
	pissa_closed_form();
	qr_and_olora();
	orthogonal_init();
	randomized();
	rules();
	return tap_done();
}
