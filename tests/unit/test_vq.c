/* test_vq.c — the kernels of vq-encode (quantize.md 2, 3) against values
 * obtained independently: CPython's math.fsum test cases, exact integer
 * sums, the direct loop as the second method for the GEMM path, a naive
 * softmax for the Transformer-VQ identity, and the table of 3.3. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmeans.h"
#include "rng.h"
#include "tap.h"
#include "tvq.h"
#include "vq.h"

/* ===== exact sums ===================================================== */

static double xsum_of(const double *v, size_t n, int *rc)
{
	kx_xsum s;
	kx_xsum_init(&s, 1);
	*rc = 0;
	for (size_t i = 0; i < n && !*rc; i++)
		*rc = kx_xsum_add(&s, 0, v[i]);
	double r = kx_xsum_round(&s, 0);
	kx_xsum_free(&s);
	return r;
}

static void test_fsum_cases(void)
{
	/* CPython Lib/test/test_math.py testFsum, the expected values as math.fsum gives them */
	static double h1[1000], h2[1000], big[1024];
	for (int n = 1; n <= 1000; n++) {
		h1[n - 1] = 1.0 / n;
		h2[n - 1] = (n % 2 ? -1.0 : 1.0) / n;
	}
	size_t nb = 0;
	for (int n = -1074; n < 972; n += 2)
		big[nb++] = ldexp(1, n) - ldexp(1, n + 50) + ldexp(1, n + 52);
	big[nb++] = -ldexp(1, 1022);
	const double t53 = 0x1p53;
	struct { const double *v; size_t n; double want; const char *what; } cs[] = {
		{ (double[]){ 0.0 }, 1, 0.0, "fsum [0]" },
		{ (double[]){ 1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50 }, 7, 1e-100, "fsum cancels 1e100 and 1e50" },
		{ (double[]){ t53, -0.5, -0x1p-54 }, 3, t53 - 1.0, "fsum 2^53 - 0.5 - 2^-54 rounds down" },
		{ (double[]){ t53, 1.0, 0x1p-100 }, 3, t53 + 2.0, "fsum 2^53 + 1 + 2^-100 rounds up" },
		{ (double[]){ t53 + 10.0, 1.0, 0x1p-100 }, 3, t53 + 12.0, "fsum half-way case above" },
		{ (double[]){ t53 - 4.0, 0.5, 0x1p-54 }, 3, t53 - 3.0, "fsum half-way case below" },
		{ h1, 1000, 0x1.df11f45f4e61ap+2, "fsum of 1/n, n = 1..1000" },
		{ h2, 1000, -0x1.62a2af1bd3624p-1, "fsum of (-1)^n/n" },
		{ (double[]){ 1e16, 1.0, 1e-16 }, 3, 10000000000000002.0, "fsum [1e16, 1, 1e-16]" },
		{ (double[]){ 1e16 - 2., 1. - 0x1p-53, -(1e16 - 2.), -(1. - 0x1p-53) }, 4, 0.0, "fsum to exactly 0" },
		{ big, nb, 0x1.5555555555555p+970, "fsum over the whole exponent range (partials grow)" },
	};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		int rc;
		double got = xsum_of(cs[i].v, cs[i].n, &rc);
		tap_ok(rc == 0 && got == cs[i].want, cs[i].what);
		if (got != cs[i].want)
			printf("#   got %a, want %a\n", got, cs[i].want);
	}
	int rc;
	xsum_of((double[]){ 1e308, 1e308, -1e308 }, 3, &rc);
	tap_ok(rc == KX_XSUM_OVERFLOW, "fsum reports an intermediate overflow (Python raises)");
}

static void test_fsum_random(void)
{
	/* integers times 2^-30 sum exactly in int64: a second method */
	kx_rng g;
	kx_rng_seed(&g, 7, 0);
	enum { N = 5000 };
	static double v[N], rev[N];
	long long isum = 0;
	for (int i = 0; i < N; i++) {
		long long k = (long long)kx_rng_below(&g, 1ULL << 40) - (1LL << 39);
		isum += k;
		v[i] = ldexp((double)k, -30);
	}
	int rc;
	double got = xsum_of(v, N, &rc);
	tap_ok(got == ldexp((double)isum, -30), "exact sum of scaled integers equals the int64 sum");
	/* order independence: reversed and scaled-by-spread values */
	for (int i = 0; i < N; i++)
		v[i] = kx_rng_normal(&g) * ldexp(1, (int)kx_rng_below(&g, 120) - 60);
	for (int i = 0; i < N; i++)
		rev[i] = v[N - 1 - i];
	double a = xsum_of(v, N, &rc), b = xsum_of(rev, N, &rc);
	tap_ok(a == b, "exact sum does not depend on the order (values spread over 2^120)");
	/* layers: their exact sum is the cell; layer 0 is the rounded value */
	kx_xsum s;
	kx_xsum_init(&s, 1);
	for (int i = 0; i < N; i++)
		kx_xsum_add(&s, 0, v[i]);
	double L[KX_XSUM_MAXLAYERS];
	int nl = kx_xsum_layers(&s, 0, L, KX_XSUM_MAXLAYERS);
	tap_ok(nl >= 1 && L[0] == a, "layer 0 is the correctly rounded sum");
	for (int i = 0; i < nl; i++)
		kx_xsum_add(&s, 0, -L[i]);
	tap_ok(kx_xsum_round(&s, 0) == 0 && s.c[0].n == 0, "subtracting every layer leaves exactly 0");
	kx_xsum_free(&s);
}

/* ===== assignment: GEMM path = direct loop ============================ */

static int same_search(const kx_vq_book *b, const double *X, size_t nx, size_t N, int mode)
{
	long long *i1 = malloc(nx * N * sizeof *i1), *i2 = malloc(nx * N * sizeof *i2);
	double *d1 = malloc(nx * N * sizeof *d1), *d2 = malloc(nx * N * sizeof *d2);
	kx_vq_search(b, X, nx, N, KX_VQ_DIRECT, i1, d1);
	kx_vq_search(b, X, nx, N, mode, i2, d2);
	int ok = !memcmp(i1, i2, nx * N * sizeof *i1) && !memcmp(d1, d2, nx * N * sizeof *d1);
	/* the direct loop itself: ascending, ties by index, distances the reference ones */
	double *xh = malloc(b->D * sizeof *xh);
	for (size_t q = 0; ok && q < nx; q++) {
		kx_vq_normalise(X + q * b->D, b->D, xh);
		for (size_t m = 0; m < N && ok; m++) {
			ok = d1[q * N + m] == kx_vq_dist(b, X + q * b->D, xh, (size_t)i1[q * N + m]);
			if (m)
				ok = ok && (d1[q * N + m - 1] < d1[q * N + m] ||
				            (d1[q * N + m - 1] == d1[q * N + m] && i1[q * N + m - 1] < i1[q * N + m]));
		}
		for (size_t k = 0; k < b->K && ok; k++) {     /* nothing outside is better than the N-th */
			int in = 0;
			for (size_t m = 0; m < N; m++)
				in |= i1[q * N + m] == (long long)k;
			double d = kx_vq_dist(b, X + q * b->D, xh, k), w = d1[q * N + N - 1];
			ok = in || d > w || (d == w && (long long)k > i1[q * N + N - 1]);
		}
	}
	free(xh);
	free(i1);
	free(i2);
	free(d1);
	free(d2);
	return ok;
}

static void test_gemm_exact(void)
{
	kx_rng g;
	kx_rng_seed(&g, 1, 0);
	enum { K = 300, D = 24, NX = 500 };
	static double C[K * D], X[NX * D];
	const char *mn[] = { "l2", "cosine", "ip" };
	char what[200];
	/* random data */
	for (size_t i = 0; i < K * D; i++)
		C[i] = kx_rng_normal(&g);
	for (size_t i = 0; i < NX * D; i++)
		X[i] = kx_rng_normal(&g);
	for (int m = 0; m < 3; m++) {
		kx_vq_book b;
		kx_vq_book_init(&b, C, K, D, m);
		for (int mode = KX_VQ_F32; mode <= KX_VQ_F64; mode++)
			for (size_t N = 1; N <= 5; N += 4) {
				snprintf(what, sizeof what, "%s, %s GEMM, N = %zu: random data equals the direct loop",
				         mn[m], mode == KX_VQ_F32 ? "float32" : "float64", N);
				tap_ok(same_search(&b, X, NX, N, mode), what);
			}
		kx_vq_book_free(&b);
	}
	/* exact ties: a grid codebook, queries on grid midpoints and on codewords */
	for (size_t k = 0; k < K; k++)
		for (size_t j = 0; j < D; j++)
			C[k * D + j] = (double)((k >> (j % 8)) & 1) - 0.5 * (double)(j % 3);
	for (size_t q = 0; q < NX; q++)
		for (size_t j = 0; j < D; j++)
			X[q * D + j] = q % 2 ? C[(q % K) * D + j] : 0.25 * (double)kx_rng_below(&g, 5) - 0.5;
	for (int m = 0; m < 3; m++) {
		kx_vq_book b;
		kx_vq_book_init(&b, C, K, D, m);
		snprintf(what, sizeof what, "%s: exact ties keep the direct loop's order (N = 1, 7)", mn[m]);
		tap_ok(same_search(&b, X, NX, 1, KX_VQ_F32) && same_search(&b, X, NX, 7, KX_VQ_F32), what);
		kx_vq_book_free(&b);
	}
	/* huge norms: points 1e6 from the origin, 1e-3 apart (the expansion
	 * alone cannot resolve them: ||x||^2 ~ 1e12 u32 ~ 6e4 >> 1e-6) */
	for (size_t k = 0; k < K; k++)
		for (size_t j = 0; j < D; j++)
			C[k * D + j] = 1e6 + 1e-3 * kx_rng_normal(&g);
	for (size_t i = 0; i < NX * D; i++)
		X[i] = 1e6 + 1e-3 * kx_rng_normal(&g);
	kx_vq_book b;
	kx_vq_book_init(&b, C, K, D, KX_VQ_L2);
	tap_ok(same_search(&b, X, NX, 1, KX_VQ_F32) && same_search(&b, X, NX, 3, KX_VQ_F64),
	       "l2: points 1e6 away and 1e-3 apart: GEMM paths equal the direct loop");
	/* a query equal to a codeword has distance exactly 0 (faiss clamps; we recompute) */
	long long ix;
	double d;
	kx_vq_search(&b, C + 17 * D, 1, 1, KX_VQ_AUTO, &ix, &d);
	tap_ok(ix == 17 && d == 0, "a query equal to codeword 17 gets index 17 at distance exactly 0");
	kx_vq_book_free(&b);
	/* out of every GEMM range: the direct loop, still right */
	double Cb[] = { 1e300, 0, 0, 1e-310 }, xb[] = { 1e300, 1e-320 };
	kx_vq_book_init(&b, Cb, 2, 2, KX_VQ_L2);
	tap_ok(b.range == KX_VQ_DIRECT, "values beyond 2^500 select the direct loop");
	kx_vq_search(&b, xb, 1, 1, KX_VQ_AUTO, &ix, &d);
	tap_ok(ix == 0 && d == 1e-320 * 1e-320, "direct loop at the edges of the range");
	kx_vq_book_free(&b);
}

/* The vectorised scan keeps 8 lanes and a tail, and for N = 1 only each
 * lane's two smallest fast distances: widths around the lane count, exact
 * duplicate codewords placed in one lane, in different lanes and in the
 * tail, and queries on them.  The indices must be the direct loop's, with
 * and without distances asked for (without, a lone candidate is not
 * recomputed). */
static void test_scan_lanes(void)
{
	kx_rng g;
	kx_rng_seed(&g, 7, 0);
	static const size_t Ks[] = { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100 }, Ds[] = { 1, 3, 24 };
	enum { NX = 200 };
	int ok = 1, okn = 1, okm = 1;
	for (size_t a = 0; a < sizeof Ks / sizeof *Ks; a++)
		for (size_t b = 0; b < sizeof Ds / sizeof *Ds; b++) {
			size_t K = Ks[a], D = Ds[b];
			double *C = malloc(K * D * sizeof *C), *X = malloc(NX * D * sizeof *X);
			double *d1 = malloc(NX * 2 * sizeof *d1), *d2 = malloc(NX * 2 * sizeof *d2);
			long long *i1 = malloc(NX * 2 * sizeof *i1), *i2 = malloc(NX * 2 * sizeof *i2);
			long long *i3 = malloc(NX * sizeof *i3);
			for (size_t i = 0; i < K * D; i++)
				C[i] = (double)kx_rng_below(&g, 7) - 3;      /* small integers: many ties */
			for (size_t k = 1; k < K; k += 3)                /* exact duplicates */
				memcpy(C + k * D, C + kx_rng_below(&g, k) * D, D * sizeof *C);
			for (size_t q = 0; q < NX; q++)
				for (size_t j = 0; j < D; j++)
					X[q * D + j] = q % 3 ? C[kx_rng_below(&g, K) * D + j]
					                     : 0.5 * (double)kx_rng_below(&g, 13) - 3;
			for (int m = 0; m < 3; m++) {
				kx_vq_book bk;
				kx_vq_book_init(&bk, C, K, D, m);
				for (int mode = KX_VQ_F32; mode <= KX_VQ_F64; mode++) {
					kx_vq_search(&bk, X, NX, 1, KX_VQ_DIRECT, i1, d1);
					kx_vq_search(&bk, X, NX, 1, mode, i2, d2);
					kx_vq_search(&bk, X, NX, 1, mode, i3, NULL);
					ok &= !memcmp(i1, i2, NX * sizeof *i1) && !memcmp(d1, d2, NX * sizeof *d1);
					okn &= !memcmp(i1, i3, NX * sizeof *i1);
					if (K >= 2) {
						kx_vq_search(&bk, X, NX, 2, KX_VQ_DIRECT, i1, d1);
						kx_vq_search(&bk, X, NX, 2, mode, i2, NULL);
						okm &= !memcmp(i1, i2, 2 * NX * sizeof *i1);
					}
				}
				kx_vq_book_free(&bk);
			}
			free(C), free(X), free(d1), free(d2), free(i1), free(i2), free(i3);
		}
	tap_ok(ok, "K = 1..100 around the lane width, duplicates, ties: GEMM paths equal the direct loop");
	tap_ok(okn, "... and give the same indices when no distance is asked for (dist NULL)");
	tap_ok(okm, "... N = 2 without distances: the same indices in the same order");
}

static void test_ties(void)
{
	/* quantize.md claim 11: [0,0] against [1,0],[0,1],[-1,0] -> 0; -n 3 -> 0, 1, 2 */
	double C[] = { 1, 0, 0, 1, -1, 0 }, x[] = { 0, 0 };
	kx_vq_book b;
	long long ix[3];
	double d[3];
	kx_vq_book_init(&b, C, 3, 2, KX_VQ_L2);
	kx_vq_search(&b, x, 1, 1, KX_VQ_AUTO, ix, d);
	tap_ok(ix[0] == 0 && d[0] == 1, "a three-way tie goes to index 0");
	kx_vq_search(&b, x, 1, 3, KX_VQ_AUTO, ix, d);
	tap_ok(ix[0] == 0 && ix[1] == 1 && ix[2] == 2, "-n 3 orders equal distances by index");
	kx_vq_book_free(&b);
	kx_vq_book_init(&b, C, 3, 2, KX_VQ_COSINE);
	kx_vq_search(&b, x, 1, 1, KX_VQ_AUTO, ix, d);
	tap_ok(ix[0] == 0 && d[0] == 1, "cosine: a zero vector has distance 1 to all, index 0");
	kx_vq_book_free(&b);
}

/* ===== k-means ======================================================== */

static void test_kmeans(void)
{
	kx_rng g;
	kx_rng_seed(&g, 3, 0);
	enum { N = 600, D = 3, K = 12 };
	static double X[N * D], C[K * D];
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < D; j++)
			X[i * D + j] = kx_rng_normal(&g) + 4.0 * (double)(i % 5) * (j == 0);
	const char *names[] = { "kmeans++", "random", "first", "maximin" };
	char what[200];
	for (int m = 0; m < 4; m++) {
		kx_rng_seed(&g, 0, 0);
		kx_km_init(X, N, D, K, m, &g, C);
		int rows = 1;                               /* every codeword is a row of X, all distinct */
		for (size_t k = 0; k < K; k++) {
			int found = 0;
			for (size_t i = 0; i < N; i++)
				found |= !memcmp(C + k * D, X + i * D, D * sizeof *C);
			for (size_t l = 0; l < k; l++)
				found &= !!memcmp(C + k * D, C + l * D, D * sizeof *C);
			rows &= found;
		}
		kx_km_run run;
		kx_km_train(X, N, D, K, C, 100, KX_KM_FARTHEST, &run, NULL, NULL);
		int mono = 1;
		for (size_t i = 1; i < run.nhist; i++)
			mono &= run.history[i] <= run.history[i - 1];
		snprintf(what, sizeof what, "%s: distinct rows of X; objective non-increasing over %zu steps", names[m], run.nhist);
		tap_ok(rows && mono && run.nhist >= 2, what);
		/* a converged codebook is a fixed point: one more run changes nothing */
		double C2[K * D];
		memcpy(C2, C, sizeof C2);
		kx_km_run r2;
		kx_km_train(X, N, D, K, C2, 5, KX_KM_FARTHEST, &r2, NULL, NULL);
		snprintf(what, sizeof what, "%s: converged (%d), and training again from the result is a fixed point", names[m], run.converged);
		tap_ok(run.converged && r2.converged && r2.iters == 1 && !memcmp(C, C2, sizeof C2), what);
		kx_km_run_free(&run);
		kx_km_run_free(&r2);
	}
	/* first: rows 0..K-1 exactly */
	kx_km_init(X, N, D, K, KX_KM_FIRST, &g, C);
	tap_ok(!memcmp(C, X, sizeof C), "--init first takes rows 0..K-1");
	/* N = K: the codebook is the data (every row chosen once) */
	double Y[4 * 2] = { 0, 0, 1, 0, 0, 1, 1, 1 }, CY[8];
	kx_rng_seed(&g, 5, 0);
	kx_km_init(Y, 4, 2, 4, KX_KM_KMEANSPP, &g, CY);
	int perm = 1;
	for (int i = 0; i < 4; i++) {
		int c = 0;
		for (int k = 0; k < 4; k++)
			c += !memcmp(Y + 2 * i, CY + 2 * k, 2 * sizeof *Y);
		perm &= c == 1;
	}
	tap_ok(perm, "kmeans++ with N = K chooses every row once");
}

static void test_empty_rule(void)
{
	/* five points, K = 3; codeword 1 is far away and gets nothing.  The
	 * farthest rule moves the point with the largest d2 (x = 10 from
	 * codeword 2 at 6: d2 = 16) into codeword 1. */
	double X[] = { 0, 1, 5, 6, 10 }, C[] = { 0.5, 100, 6 };
	kx_km_acc a;
	kx_km_acc_init(&a, 3, 1);
	kx_vq_book b;
	kx_vq_book_init(&b, C, 3, 1, KX_VQ_L2);
	long long ix[5];
	double d2[5];
	kx_vq_search(&b, X, 5, 1, KX_VQ_AUTO, ix, d2);
	kx_km_far far;
	kx_km_far_init(&far, 3, 1);
	for (int i = 0; i < 5; i++) {
		kx_km_acc_add(&a, X + i, ix[i], d2[i]);
		kx_km_far_push(&far, d2[i], i, ix[i], X + i);
	}
	kx_km_far_sort(&far);
	tap_ok(far.n == 3 && far.e[0].d2 == 16 && far.e[0].row == 4 && far.e[1].d2 == 1 && far.e[1].row == 2,
	       "candidates: d2 descending, ties by the lowest row");
	long moved = kx_km_relocate(&a, far.e, far.n);
	double Cn[3];
	kx_km_centroids(&a, C, Cn);
	tap_ok(moved == 1 && Cn[0] == 0.5 && Cn[1] == 10 && Cn[2] == 5.5,
	       "farthest rule: x = 10 moves to the empty codeword; donor mean (5+6)/2");
	kx_km_far_free(&far);
	kx_km_acc_free(&a);
	kx_vq_book_free(&b);
	/* the bounded heap keeps exactly the first cap of a full sort (many ties) */
	enum { M = 2000, CAP = 50 };
	static kx_km_cand all[M];
	static double xs[M];
	kx_rng g;
	kx_rng_seed(&g, 9, 0);
	kx_km_far_init(&far, CAP, 1);
	size_t pos = 0;
	for (int i = 0; i < M; i++) {
		xs[i] = i;
		double d = (double)kx_rng_below(&g, 40);     /* 0 is never a candidate */
		kx_km_far_push(&far, d, i, 0, xs + i);
		if (d > 0)
			all[pos++] = (kx_km_cand){ d, 0, i, xs + i };
	}
	kx_km_cand_sort(all, pos);
	kx_km_far_sort(&far);
	int same = far.n == CAP;
	for (size_t i = 0; same && i < CAP; i++)
		same = far.e[i].d2 == all[i].d2 && far.e[i].row == all[i].row && far.e[i].x[0] == (double)all[i].row;
	tap_ok(same, "the candidate heap keeps the first 50 of a full sort of 2000 (ties by row)");
	kx_km_far_free(&far);
}

/* ===== EMA (2.6, claim 22) ============================================ */

static void test_ema(void)
{
	enum { N = 400, D = 3, K = 5 };
	static double X[N * D], C[K * D], C0[K * D], d2[N];
	static long long a[N];
	kx_rng g;
	kx_rng_seed(&g, 21, 0);
	for (size_t i = 0; i < N * D; i++)
		X[i] = kx_rng_normal(&g) + 3.0 * (double)((i / D) % K);
	for (size_t k = 0; k < K * D; k++)
		C0[k] = C[k] = 3.0 * (double)(k / D) + 0.1;
	kx_vq_book b;
	kx_vq_book_init(&b, C, K, D, KX_VQ_L2);
	kx_vq_search(&b, X, N, 1, KX_VQ_AUTO, a, d2);
	kx_vq_book_free(&b);
	/* decay 0: e_k = s_k / ((n_k + eps)/(n + K eps) n) = mean_k (1 + K eps/n) / (1 + eps/n_k) */
	double eps = 1e-5, mean[K * D] = { 0 }, cnt[K] = { 0 };
	for (size_t i = 0; i < N; i++) {
		cnt[a[i]] += 1;
		for (size_t j = 0; j < D; j++)
			mean[a[i] * D + j] += X[i * D + j];
	}
	kx_ema e;
	kx_ema_init(&e, C, K, D);
	kx_ema_update(&e, X, N, a, d2, 0.0, eps, 0, C);
	int ok = 1, near = 1;
	for (size_t k = 0; k < K; k++)
		for (size_t j = 0; j < D; j++) {
			double m = mean[k * D + j] / cnt[k], want = m * (1 + K * eps / N) / (1 + eps / cnt[k]);
			ok &= fabs(C[k * D + j] - want) <= 1e-14 * fabs(want);
			near &= fabs(C[k * D + j] / m - 1) <= 2 * (K * eps / N + eps / cnt[k]);
		}
	tap_ok(ok, "EMA with decay 0: the Laplace-smoothed batch means, closed form to 1e-14");
	tap_ok(near, "... within a relative O(eps/n_k) of the batch means (claim 22)");
	/* decay 1 keeps the codebook; a code without vectors falls below the
	 * dead threshold and takes the vector with the largest error */
	kx_ema_free(&e);
	memcpy(C, C0, sizeof C);
	kx_ema_init(&e, C, K, D);
	kx_ema_update(&e, X, N, a, d2, 1.0, eps, 0, C);
	ok = 1;
	for (size_t i = 0; i < K * D; i++)
		ok &= fabs(C[i] - C0[i]) <= 1e-15 * (fabs(C0[i]) + 1);
	tap_ok(ok, "EMA with decay 1 leaves the codebook as it was");
	for (size_t i = 0; i < N; i++)
		if (a[i] == 2)
			a[i] = 1;          /* code 2 gets nothing */
	size_t worst = 0;
	for (size_t i = 1; i < N; i++)
		if (d2[i] > d2[worst])
			worst = i;
	long moved = kx_ema_update(&e, X, N, a, d2, 0.99, eps, 0.995, C);
	tap_ok(moved == 1 && !memcmp(C + 2 * D, X + worst * D, D * sizeof *C) && e.cnt[2] == 0.995,
	       "a dead code (N_k = 0.99 < 0.995) takes the batch vector with the largest error");
	kx_ema_free(&e);
}

/* ===== Transformer-VQ ================================================= */

static void naive(const double *Q, const double *Kk, const double *V, size_t n, size_t dk, size_t dv,
                  double s, int causal, const double *bias, size_t nb, double *O)
{
	/* a second method: long double, no max shift needed for these scores */
	for (size_t i = 0; i < n; i++) {
		long double den = 0, num[8] = { 0 };
		for (size_t j = 0; j < (causal ? i + 1 : n); j++) {
			long double sc = 0;
			for (size_t t = 0; t < dk; t++)
				sc += (long double)Q[i * dk + t] * Kk[j * dk + t];
			sc *= s;
			if (bias && i - j < nb)
				sc += bias[i - j];
			long double p = expl(sc);
			den += p;
			for (size_t t = 0; t < dv; t++)
				num[t] += p * V[j * dv + t];
		}
		for (size_t t = 0; t < dv; t++)
			O[i * dv + t] = (double)(num[t] / den);
	}
}

static void test_tvq(void)
{
	enum { n = 23, dk = 6, dv = 4, c = 9 };
	double Q[n * dk], K[n * dk], V[n * dv], C[c * dk], Kh[n * dk], Oq[n * dv], Ol[n * dv], On[n * dv];
	long long z[n];
	kx_rng g;
	kx_rng_seed(&g, 11, 0);
	for (size_t i = 0; i < n * dk; i++) {
		Q[i] = kx_rng_normal(&g);
		K[i] = kx_rng_normal(&g);
	}
	for (size_t i = 0; i < n * dv; i++)
		V[i] = kx_rng_normal(&g);
	for (size_t i = 0; i < c * dk; i++)
		C[i] = kx_rng_normal(&g);
	kx_tvq_codes(K, n, dk, C, c, z);
	kx_tvq_gather(C, z, n, dk, Kh);
	double bias[] = { 0.5, -0.25, 0.125 };
	for (int sc = 0; sc < 2; sc++) {
		double s = sc ? 30 : kx_tvq_default_scale(dk);
		kx_tvq_cfg cfg = { .scale = s };
		kx_tvq_quadratic(&cfg, Q, Kh, V, n, dk, dv, Oq);
		kx_tvq_linear(&cfg, Q, C, c, z, V, n, dk, dv, Ol);
		double qm = kx_tvq_maxdiff(Oq, NULL, n * dv);
		tap_ok(kx_tvq_maxdiff(Ol, Oq, n * dv) <= 1e-12 * qm,
		       sc ? "bidirectional identity to 1e-12 relative, scale 30" : "bidirectional identity to 1e-12 relative");
		if (!sc) {
			naive(Q, Kh, V, n, dk, dv, s, 0, NULL, 0, On);
			tap_ok(kx_tvq_maxdiff(Oq, On, n * dv) <= 1e-14, "quadratic side equals a long-double softmax");
		}
		int ok = 1, okb = 1;
		for (size_t l = 1; l <= n; l++) {
			cfg = (kx_tvq_cfg){ .scale = s, .causal = 1, .block = l };
			kx_tvq_quadratic(&cfg, Q, Kh, V, n, dk, dv, Oq);
			kx_tvq_linear(&cfg, Q, C, c, z, V, n, dk, dv, Ol);
			ok &= kx_tvq_maxdiff(Ol, Oq, n * dv) <= 1e-12 * kx_tvq_maxdiff(Oq, NULL, n * dv);
			if (l == 3 && !sc) {
				naive(Q, Kh, V, n, dk, dv, s, 1, NULL, 0, On);
				tap_ok(kx_tvq_maxdiff(Oq, On, n * dv) <= 1e-14, "causal quadratic equals a long-double softmax");
			}
			if (l >= 2) {
				cfg.bias = bias;
				cfg.nbias = 3;
				kx_tvq_quadratic(&cfg, Q, Kh, V, n, dk, dv, Oq);
				kx_tvq_linear(&cfg, Q, C, c, z, V, n, dk, dv, Ol);
				okb &= kx_tvq_maxdiff(Ol, Oq, n * dv) <= 1e-12 * kx_tvq_maxdiff(Oq, NULL, n * dv);
				if (l == 4 && !sc) {
					naive(Q, Kh, V, n, dk, dv, s, 1, bias, 3, On);
					tap_ok(kx_tvq_maxdiff(Oq, On, n * dv) <= 1e-14, "biased causal quadratic equals a long-double softmax");
				}
			}
		}
		tap_ok(ok, sc ? "causal blockwise = quadratic for every block 1..23, scale 30" : "causal blockwise = quadratic for every block 1..23");
		tap_ok(okb, sc ? "with a bias window of 2: blocks 2..23, scale 30" : "with a bias window of 2 and the two-block lag: blocks 2..23");
	}
	/* the cost table of 3.3: c = 512, dk = 128, dv = 1536 */
	static const struct { size_t n; double enc, dl, d1; } tb[] = {
		{ 512, 1.00, 0.33, 0.50 }, { 2048, 3.99, 1.33, 1.99 }, { 8192, 15.97, 5.32, 7.97 },
		{ 32768, 63.88, 21.29, 31.88 }, { 131072, 255.5, 85.18, 127.5 } };
	int ok = 1;
	for (size_t i = 0; i < 5; i++) {
		kx_tvq_cost e, d512, d1;
		kx_tvq_cfg enc = { 0 }, c512 = { .causal = 1, .block = 512 }, c1 = { .causal = 1, .block = 1 };
		kx_tvq_flops(&enc, tb[i].n, 512, 128, 1536, &e);
		kx_tvq_flops(&c512, tb[i].n, 512, 128, 1536, &d512);
		kx_tvq_flops(&c1, tb[i].n, 512, 128, 1536, &d1);
		ok &= fabs(e.ratio - tb[i].enc) <= 0.05 && fabs(d512.ratio - tb[i].dl) <= 0.005 &&
		      fabs(d1.ratio - tb[i].d1) <= 0.05;
		if (i == 0)
			ok &= e.quadratic == 512.0 * 512 * 1664 && e.assign == 512.0 * 512 * 128;
	}
	tap_ok(ok, "flops ratios reproduce the table of 3.3 (encoder, decoder l=512, l=1)");
	/* closed forms: encoder n^2 (dk+dv) over n c (dk+dv) + n dv */
	kx_tvq_cost e;
	kx_tvq_cfg enc = { 0 };
	kx_tvq_flops(&enc, 1000, 10, 3, 5, &e);
	tap_near(e.ratio, 1000.0 * 1000 * 8 / (1000.0 * 10 * 8 + 1000.0 * 5), 1e-15, 0, "encoder ratio, closed form");
}

int main(void)
{
	test_fsum_cases();
	test_fsum_random();
	test_ties();
	test_gemm_exact();
	test_scan_lanes();
	test_kmeans();
	test_empty_rule();
	test_ema();
	test_tvq();
	return tap_done();
}
