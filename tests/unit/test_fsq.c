/* test_fsq.c — the FSQ kernels (quantize.md 1) against the spec's published
 * numbers (threshold table, worked examples, Table 1, the closed-form
 * entropies), invariants (round trips, nearest neighbour on the grid, the
 * half-step error bound) and a second method (threshold count vs tanh+rint;
 * a large sample against the closed-form entropy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsq.h"
#include "rng.h"
#include "usage.h"
#include "tap.h"

static const char *const bname[] = { "atanh", "paper", "clamp", "symmetric" };

static void mk(kx_fsq *q, const long long *lv, size_t d, int bound, double eps)
{
	int st = kx_fsq_init(q, lv, d, bound, eps);
	if (st != KX_FSQ_OK) {
		printf("Bail out! kx_fsq_init failed with %d\n", st);
		exit(1);
	}
}

/* The code table against the closed forms of fsq.h: (l - hw)/hw with hw =
 * floor(L/2) for the tanh bounds (the paper's codes, -1 .. 0.75 for L = 8), (2l - (L-1))/(L-1) for symmetric; dimension
 * i's L_i values start at the sum of the earlier L's. */
static void test_code_table(void)
{
	const long long lv[] = { 8, 5, 5, 3 };
	for (int b = 0; b < 4; b++) {
		kx_fsq q;
		size_t off[4];
		mk(&q, lv, 4, b, 1e-3);
		double *t = kx_fsq_code_table(&q, off);
		int ok = t != NULL;
		size_t start = 0;
		for (size_t i = 0; ok && i < 4; i++) {
			double L = (double)lv[i], hw = (double)(lv[i] / 2);
			ok &= off[i] == start;
			for (long long l = 0; l < lv[i]; l++) {
				double want = b == KX_FSQ_SYMMETRIC ? (2.0 * (double)l - (L - 1)) / (L - 1)
				                                     : ((double)l - hw) / hw;
				ok &= fabs(t[off[i] + (size_t)l] - want) <= 1e-15;
			}
			start += (size_t)lv[i];
		}
		char what[96];
		snprintf(what, sizeof what, "code table [8,5,5,3], %s: offsets and closed-form codes", bname[b]);
		tap_ok(ok, what);
		free(t);
		kx_fsq_free(&q);
	}
}

/* ===== validation and presets ========================================== */

static void test_check(void)
{
	long long l2[] = { 2, 5 }, l1[] = { 1, 5 }, big[] = { 65536, 65537 }, ok32[] = { 65536, 65536 },
	          one[] = { 4294967296LL }, over[] = { 4294967297LL };
	uint64_t K = 0;
	tap_ok(kx_fsq_check(l2, 0, KX_FSQ_ATANH, 1e-3, NULL) == KX_FSQ_EEMPTY, "check: no levels is an error");
	tap_ok(kx_fsq_check(l1, 2, KX_FSQ_ATANH, 1e-3, NULL) == KX_FSQ_ELEVEL, "check: a level of 1 is an error");
	tap_ok(kx_fsq_check(l2, 2, KX_FSQ_ATANH, 1e-3, NULL) == KX_FSQ_EL2ATANH, "check: L = 2 with atanh is an error");
	for (int b = KX_FSQ_PAPER; b <= KX_FSQ_SYMMETRIC; b++) {
		char what[80];
		snprintf(what, sizeof what, "check: L = 2 is accepted by %s", bname[b]);
		tap_ok(kx_fsq_check(l2, 2, b, 1e-3, NULL) == KX_FSQ_OK, what);
	}
	tap_ok(kx_fsq_check(big, 2, KX_FSQ_ATANH, 1e-3, NULL) == KX_FSQ_ETOOBIG, "check: K > 2^32 is an error");
	tap_ok(kx_fsq_check(ok32, 2, KX_FSQ_ATANH, 1e-3, &K) == KX_FSQ_OK && K == KX_FSQ_MAXK,
	       "check: K = 2^32 exactly is accepted");
	tap_ok(kx_fsq_check(one, 1, KX_FSQ_ATANH, 1e-3, &K) == KX_FSQ_OK && K == KX_FSQ_MAXK,
	       "check: a single level of 2^32 is accepted");
	tap_ok(kx_fsq_check(over, 1, KX_FSQ_ATANH, 1e-3, NULL) == KX_FSQ_ELEVEL, "check: a level above 2^32 is an error");
	tap_ok(kx_fsq_check(ok32, 2, KX_FSQ_ATANH, 0, NULL) == KX_FSQ_EEPS &&
	       kx_fsq_check(ok32, 2, KX_FSQ_ATANH, 0.1000001, NULL) == KX_FSQ_EEPS &&
	       kx_fsq_check(ok32, 2, KX_FSQ_ATANH, 0.1, NULL) == KX_FSQ_OK, "check: eps must lie in (0, 0.1]");
	tap_ok(kx_fsq_check(ok32, 2, 7, 1e-3, NULL) == KX_FSQ_EBOUND, "check: unknown bound");
}

static void test_presets(void)
{
	/* Table 1 and App. A.4.1: (bits, K) */
	static const struct { int bits; uint64_t K; size_t d; } tab[] = {
		{ 4, 15, 2 }, { 6, 64, 2 }, { 8, 240, 3 }, { 9, 512, 3 }, { 10, 1000, 4 }, { 11, 1920, 4 },
		{ 12, 4375, 5 }, { 14, 15360, 5 }, { 16, 64000, 6 },
	};
	for (size_t t = 0; t < sizeof tab / sizeof tab[0]; t++) {
		size_t d;
		const long long *lv = kx_fsq_preset(tab[t].bits, &d);
		uint64_t K = 0;
		int ok = lv && d == tab[t].d && kx_fsq_check(lv, d, KX_FSQ_ATANH, 1e-3, &K) == KX_FSQ_OK &&
		         K == tab[t].K;
		for (size_t i = 0; ok && i < d; i++)
			ok = lv[i] >= 3;
		char what[80];
		snprintf(what, sizeof what, "preset 2^%d: %zu levels, K = %llu", tab[t].bits, tab[t].d,
		         (unsigned long long)tab[t].K);
		tap_ok(ok, what);
	}
	size_t d;
	tap_ok(!kx_fsq_preset(7, &d) && !kx_fsq_preset(13, &d) && !kx_fsq_preset(0, &d),
	       "preset: other bit counts are refused");
}

/* ===== the spec's tables and worked examples =========================== */

static void test_thresholds(void)
{
	/* quantize.md 1.2, eps = 1e-3, rounded to 6 decimals */
	static const double at[7][7] = {
		{ -3.800701 }, { -0.548640, 0.548640 }, { -1.149720, -0.346199, 0.457322 },
		{ -0.971245, -0.255146, 0.255146, 0.971245 },
		{ -1.298921, -0.625698, -0.202524, 0.220649, 0.893872 },
		{ -1.196229, -0.548640, -0.168065, 0.168065, 0.548640, 1.196229 },
		{ -1.422951, -0.792490, -0.437278, -0.143695, 0.149887, 0.505099, 1.135561 },
	};
	static const double pa[7][7] = {
		{ -1.560842 }, { -0.549974, 0.549974 }, { -1.152548, -0.346627, 0.459294 },
		{ -0.974673, -0.255680, 0.255680, 0.974673 },
		{ -1.303759, -0.627044, -0.202918, 0.221207, 0.897922 },
		{ -1.201684, -0.549974, -0.168408, 0.168408, 0.549974, 1.201684 },
		{ -1.429701, -0.794474, -0.438188, -0.143983, 0.150222, 0.506508, 1.141735 },
	};
	for (long long L = 2; L <= 8; L++) {
		for (int b = KX_FSQ_ATANH; b <= KX_FSQ_PAPER; b++) {
			kx_fsq q;
			/* the table's atanh L = 2 row is the threshold the CLI refuses:
			 * compute it by hand from the same formula */
			if (L == 2 && b == KX_FSQ_ATANH) {
				double h = 1.001 / 2, s = atanh(0.5 / h);
				tap_near(atanh(0 / h) - s, at[0][0], 0, 5e-7, "threshold atanh L = 2 (by hand)");
				continue;
			}
			mk(&q, &L, 1, b, 1e-3);
			const double *want = b == KX_FSQ_ATANH ? at[L - 2] : pa[L - 2];
			int ok = q.thr_off[1] == (size_t)(L - 1);
			for (long long k = 0; ok && k < L - 1; k++)
				ok = fabs(q.thr[k] - want[k]) <= 5.1e-7 &&
				     fabs(kx_fsq_threshold(&q, 0, (uint64_t)k) - q.thr[k]) == 0;
			char what[80];
			snprintf(what, sizeof what, "thresholds %s L = %lld match the spec's table", bname[b], L);
			tap_ok(ok, what);
			kx_fsq_free(&q);
		}
	}
	long long L2 = 2, L4 = 4, L5 = 5, L8 = 8;
	kx_fsq q;
	mk(&q, &L2, 1, KX_FSQ_CLAMP, 1e-3);
	tap_near(q.thr[0], -0.999001, 0, 5e-7, "threshold clamp L = 2 is -0.999001");
	kx_fsq_free(&q);
	mk(&q, &L4, 1, KX_FSQ_SYMMETRIC, 1e-3);
	tap_ok(fabs(q.thr[0] + 0.804719) < 5e-7 && q.thr[1] == 0 && fabs(q.thr[2] - 0.804719) < 5e-7,
	       "threshold symmetric L = 4: -0.804719, exactly 0, 0.804719");
	tap_ok(kx_fsq_digit(&q, 0, 0.0) == 2 && kx_fsq_digit_ref(&q, 0, 0.0) == 2,
	       "symmetric L = 4: z = 0 sits on a threshold and goes to the upper digit");
	kx_fsq_free(&q);
	mk(&q, &L5, 1, KX_FSQ_SYMMETRIC, 1e-3);
	tap_ok(fabs(q.thr[0] + 0.972955) < 5e-7 && fabs(q.thr[1] + 0.255413) < 5e-7 &&
	       fabs(q.thr[3] - 0.972955) < 5e-7, "threshold symmetric L = 5: +-0.255413, +-0.972955");
	kx_fsq_free(&q);
	mk(&q, &L8, 1, KX_FSQ_SYMMETRIC, 1e-3);
	tap_ok(q.thr[3] == 0 && fabs(q.thr[4] - 0.293893) < 5e-7 && fabs(q.thr[5] - 0.649641) < 5e-7 &&
	       fabs(q.thr[6] - 1.282475) < 5e-7, "threshold symmetric L = 8: 0, 0.293893, 0.649641, 1.282475");
	kx_fsq_free(&q);
}

static void test_b0(void)
{
	/* paper's tan shift: b(0) = -0.0427 (L=2), -4.29e-4, -5.43e-5, -1.40e-5; atanh: 0 */
	static const double want[] = { -0.0427, -4.29e-4, -5.43e-5, -1.40e-5 };
	for (int j = 0; j < 4; j++) {
		long long L = 2 + 2 * j;
		kx_fsq q;
		char what[80];
		mk(&q, &L, 1, KX_FSQ_PAPER, 1e-3);
		snprintf(what, sizeof what, "paper bound: b(0) for L = %lld", L);
		tap_near(kx_fsq_bound(&q, 0, 0), want[j], 6e-3, 0, what);
		kx_fsq_free(&q);
		if (L == 2)
			continue;
		mk(&q, &L, 1, KX_FSQ_ATANH, 1e-3);
		snprintf(what, sizeof what, "atanh bound: b(0) = 0 up to rounding for L = %lld", L);
		tap_near(kx_fsq_bound(&q, 0, 0), 0, 0, 1e-15, what);
		kx_fsq_free(&q);
	}
	long long L4 = 4;
	kx_fsq q;
	mk(&q, &L4, 1, KX_FSQ_PAPER, 1e-3);
	tap_near(kx_fsq_bounded(&q, 0, 0), -2.1425e-4, 1e-4, 0, "[4], z = 0: bounded -2.1425e-4 (paper)");
	kx_fsq_free(&q);
}

static void test_examples(void)
{
	long long lv[] = { 3, 5, 4 };
	double z[] = { 0.25, 0.6, -7 };
	static const double bp[] = { 0.2447, 1.0730, -1.9985 }, ba[] = { 0.2452, 1.0752, -2.0015 };
	for (int b = KX_FSQ_ATANH; b <= KX_FSQ_PAPER; b++) {
		kx_fsq q;
		mk(&q, lv, 3, b, 1e-3);
		uint32_t l[3];
		double code[3], bd[3];
		uint64_t idx;
		kx_fsq_encode(&q, z, l, code, bd, &idx);
		const double *bw = b == KX_FSQ_PAPER ? bp : ba;
		int okb = 1;
		for (int i = 0; i < 3; i++)
			okb &= fabs(kx_fsq_bound(&q, (size_t)i, z[i]) - bw[i]) < 5.1e-5 &&
			       bd[i] == kx_fsq_bound(&q, (size_t)i, z[i]) / q.hw[i];
		char what[100];
		snprintf(what, sizeof what, "Colab [3,5,4] (%s): b = the spec's values", bname[b]);
		tap_ok(okb, what);
		snprintf(what, sizeof what, "Colab [3,5,4] (%s): digits [1,3,0], code [0,0.5,-1], index 10", bname[b]);
		tap_ok(l[0] == 1 && l[1] == 3 && l[2] == 0 && code[0] == 0 && code[1] == 0.5 &&
		       code[2] == -1 && idx == 10, what);
		kx_fsq_free(&q);
	}
	/* [3,4] in index order, first coordinate fastest */
	long long l34[] = { 3, 4 };
	static const double cb[12][2] = { { -1, -1 }, { 0, -1 }, { 1, -1 }, { -1, -0.5 }, { 0, -0.5 },
	                                  { 1, -0.5 }, { -1, 0 }, { 0, 0 }, { 1, 0 }, { -1, 0.5 },
	                                  { 0, 0.5 }, { 1, 0.5 } };
	kx_fsq q;
	mk(&q, l34, 2, KX_FSQ_ATANH, 1e-3);
	int ok = q.K == 12;
	for (uint64_t k = 0; ok && k < 12; k++) {
		double c[2];
		kx_fsq_decode(&q, k, NULL, c);
		ok = c[0] == cb[k][0] && c[1] == cb[k][1];
	}
	tap_ok(ok, "implicit codebook of [3,4] in index order, first coordinate fastest");
	kx_fsq_free(&q);
	/* [8,5,5,5]: 999 -> [7,4,4,4] / [0.75,1,1,1]; 500 -> [4,2,2,2] / 0 */
	size_t d;
	const long long *p10 = kx_fsq_preset(10, &d);
	mk(&q, p10, d, KX_FSQ_ATANH, 1e-3);
	uint32_t l[4];
	double c[4];
	kx_fsq_decode(&q, 999, l, c);
	tap_ok(l[0] == 7 && l[1] == 4 && l[2] == 4 && l[3] == 4 && c[0] == 0.75 && c[1] == 1 &&
	       c[2] == 1 && c[3] == 1, "[8,5,5,5]: index 999 = digits [7,4,4,4] = code [0.75,1,1,1]");
	kx_fsq_decode(&q, 500, l, c);
	tap_ok(l[0] == 4 && l[1] == 2 && l[2] == 2 && l[3] == 2 && c[0] == 0 && c[1] == 0 &&
	       c[2] == 0 && c[3] == 0, "[8,5,5,5]: index 500 = digits [4,2,2,2] = code 0");
	kx_fsq_free(&q);
	/* [8], z = 1.140625: digit 7 (atanh), 6 (paper) */
	long long L8 = 8;
	double z8 = 1.140625;
	mk(&q, &L8, 1, KX_FSQ_ATANH, 1e-3);
	tap_ok(kx_fsq_digit(&q, 0, z8) == 7 && kx_fsq_digit_ref(&q, 0, z8) == 7, "[8], z = 1.140625: digit 7 (atanh)");
	kx_fsq_free(&q);
	mk(&q, &L8, 1, KX_FSQ_PAPER, 1e-3);
	tap_ok(kx_fsq_digit(&q, 0, z8) == 6 && kx_fsq_digit_ref(&q, 0, z8) == 6, "[8], z = 1.140625: digit 6 (paper)");
	kx_fsq_free(&q);
}

/* ===== grids, round trips, the two digit methods ======================= */

static void test_grids(void)
{
	/* codes in [-1, 1]; odd L symmetric; even L reaches -1 but not +1;
	 * symmetric: (2l - (L-1))/(L-1), both ends */
	for (long long L = 2; L <= 9; L++) {
		kx_fsq q;
		mk(&q, &L, 1, KX_FSQ_PAPER, 1e-3);
		double lo = kx_fsq_code(&q, 0, 0), hi = kx_fsq_code(&q, 0, (uint32_t)L - 1);
		int ok = lo == -1 && (L % 2 ? hi == 1 : hi == (double)(L / 2 - 1) / (double)(L / 2) && hi < 1);
		kx_fsq_free(&q);
		mk(&q, &L, 1, KX_FSQ_SYMMETRIC, 1e-3);
		ok &= kx_fsq_code(&q, 0, 0) == -1 && kx_fsq_code(&q, 0, (uint32_t)L - 1) == 1;
		kx_fsq_free(&q);
		char what[80];
		snprintf(what, sizeof what, "L = %lld: grid ends (tanh modes and symmetric)", L);
		tap_ok(ok, what);
	}
}

static void test_roundtrips(void)
{
	static const long long sets[][6] = { { 3, 4 }, { 5, 3 }, { 8, 6, 5 }, { 8, 5, 5, 5 }, { 2, 3, 2 },
	                                     { 7, 5, 5, 5, 5 }, { 4, 16 } };
	static const size_t dims[] = { 2, 2, 3, 4, 3, 5, 2 };
	for (size_t s = 0; s < sizeof dims / sizeof dims[0]; s++) {
		for (int b = KX_FSQ_ATANH; b <= KX_FSQ_SYMMETRIC; b++) {
			if (b == KX_FSQ_ATANH && sets[s][0] == 2)
				continue;
			kx_fsq q;
			mk(&q, sets[s], dims[s], b, 1e-3);
			size_t d = q.d;
			int ok_code = 1, ok_z = 1, ok_dec = 1;
			for (uint64_t k = 0; k < q.K; k++) {
				uint32_t l[6], l2[6];
				double c[6], z[6], c2[6];
				kx_fsq_decode(&q, k, l, c);
				for (size_t i = 0; i < d; i++) {
					l2[i] = kx_fsq_code_digit(&q, i, c[i]);
					/* a latent inside digit l's cell: the middle of its
					 * two thresholds (one unit beyond the outer ones) */
					const double *t = q.thr + q.thr_off[i];
					size_t n = q.thr_off[i + 1] - q.thr_off[i];
					z[i] = l[i] == 0 ? t[0] - 1 : l[i] >= n ? t[n - 1] + 1 : (t[l[i] - 1] + t[l[i]]) / 2;
				}
				ok_code &= kx_fsq_index(&q, l2) == k;
				uint64_t idx;
				kx_fsq_encode(&q, z, NULL, c2, NULL, &idx);
				ok_z &= idx == k;
				for (size_t i = 0; i < d; i++)
					ok_dec &= c2[i] == c[i];
			}
			char what[120];
			snprintf(what, sizeof what, "K = %llu (%s): index(code_digit(decode(i))) = i for all i",
			         (unsigned long long)q.K, bname[b]);
			tap_ok(ok_code, what);
			snprintf(what, sizeof what, "K = %llu (%s): encode(a latent in cell i) = i, codes equal",
			         (unsigned long long)q.K, bname[b]);
			tap_ok(ok_z && ok_dec, what);
			kx_fsq_free(&q);
		}
	}
}

/* distance from z to the nearest threshold of dimension i */
static double thr_gap(const kx_fsq *q, size_t i, double z)
{
	double g = INFINITY;
	for (size_t k = q->thr_off[i]; k < q->thr_off[i + 1]; k++)
		if (fabs(z - q->thr[k]) < g)
			g = fabs(z - q->thr[k]);
	return g;
}

static void test_random(void)
{
	/* For random z ~ N(0, 4): threshold count = tanh+rint (away from the
	 * thresholds), decode(encode(z)) = code, |code - bounded| <= half a step,
	 * and the index is the nearest codeword to the bounded vector over all K
	 * (FSQ = nearest neighbour on its fixed grid, paper Fig. 1). */
	static const long long sets[][4] = { { 8, 5, 5, 5 }, { 8, 6, 5 }, { 3, 4 } };
	static const size_t dims[] = { 4, 3, 2 };
	kx_rng g;
	kx_rng_seed(&g, 5, 0);
	for (size_t s = 0; s < 3; s++) {
		for (int b = KX_FSQ_ATANH; b <= KX_FSQ_SYMMETRIC; b++) {
			kx_fsq q;
			mk(&q, sets[s], dims[s], b, 1e-3);
			size_t d = q.d;
			double *grid = malloc(q.K * d * sizeof *grid);
			for (uint64_t k = 0; k < q.K; k++)
				kx_fsq_decode(&q, k, NULL, grid + k * d);
			int ok_ref = 1, ok_dec = 1, ok_err = 1, ok_nn = 1;
			long skipped = 0;
			for (int n = 0; n < 3000; n++) {
				double z[4], c[4], bd[4], c2[4];
				uint32_t l[4];
				uint64_t idx;
				int near = 0;
				for (size_t i = 0; i < d; i++) {
					z[i] = 2 * kx_rng_normal(&g);
					near |= thr_gap(&q, i, z[i]) < 1e-9;
				}
				kx_fsq_encode(&q, z, l, c, bd, &idx);
				if (near) {
					skipped++;
					continue;
				}
				for (size_t i = 0; i < d; i++) {
					ok_ref &= kx_fsq_digit_ref(&q, i, z[i]) == l[i];
					double step = b == KX_FSQ_SYMMETRIC ? 2.0 / ((double)q.L[i] - 1) : 1.0 / q.hw[i];
					ok_err &= fabs(c[i] - bd[i]) <= step / 2 * (1 + 1e-12);
				}
				kx_fsq_decode(&q, idx, NULL, c2);
				for (size_t i = 0; i < d; i++)
					ok_dec &= c2[i] == c[i];
				/* brute-force nearest codeword to bd, first minimum */
				uint64_t best = 0;
				double bdist = INFINITY;
				for (uint64_t k = 0; k < q.K; k++) {
					double s2 = 0;
					for (size_t i = 0; i < d; i++)
						s2 += (bd[i] - grid[k * d + i]) * (bd[i] - grid[k * d + i]);
					if (s2 < bdist) {
						bdist = s2;
						best = k;
					}
				}
				ok_nn &= best == idx;
			}
			char what[120];
			snprintf(what, sizeof what, "K = %llu (%s): threshold count = tanh+rint on 3000 random z",
			         (unsigned long long)q.K, bname[b]);
			tap_ok(ok_ref && skipped < 3, what);
			snprintf(what, sizeof what, "K = %llu (%s): decode(encode(z)) = code", (unsigned long long)q.K,
			         bname[b]);
			tap_ok(ok_dec, what);
			snprintf(what, sizeof what, "K = %llu (%s): |code - bounded| <= half a grid step",
			         (unsigned long long)q.K, bname[b]);
			tap_ok(ok_err, what);
			snprintf(what, sizeof what, "K = %llu (%s): the index is the nearest codeword to bounded",
			         (unsigned long long)q.K, bname[b]);
			tap_ok(ok_nn, what);
			free(grid);
			kx_fsq_free(&q);
		}
	}
}

static void test_extremes(void)
{
	/* +-inf map to the extreme digits; paper with (L-1) eps >= 1 leaves them
	 * unreachable; a large L*eps under atanh/clamp is clamped; huge levels
	 * take the reference path and 64-bit indices */
	for (int b = KX_FSQ_ATANH; b <= KX_FSQ_SYMMETRIC; b++) {
		int ok = 1;
		for (long long L = 3; L <= 9; L++) {
			kx_fsq q;
			mk(&q, &L, 1, b, 1e-3);
			ok &= kx_fsq_digit(&q, 0, -INFINITY) == 0 && kx_fsq_digit(&q, 0, INFINITY) == L - 1 &&
			      kx_fsq_digit_ref(&q, 0, -INFINITY) == 0 && kx_fsq_digit_ref(&q, 0, INFINITY) == L - 1;
			kx_fsq_free(&q);
		}
		char what[80];
		snprintf(what, sizeof what, "%s: -inf and +inf give the extreme digits (L = 3..9)", bname[b]);
		tap_ok(ok, what);
	}
	long long L21 = 21;
	kx_fsq q;
	mk(&q, &L21, 1, KX_FSQ_PAPER, 0.1);
	tap_ok(kx_fsq_digit(&q, 0, -INFINITY) == 1 && kx_fsq_digit(&q, 0, INFINITY) == 19 &&
	       kx_fsq_digit_ref(&q, 0, -INFINITY) == 1 && kx_fsq_digit_ref(&q, 0, INFINITY) == 19 &&
	       kx_fsq_digit(&q, 0, -30) == 1 && kx_fsq_digit(&q, 0, 30) == 19,
	       "paper, L = 21, eps = 0.1: the extreme digits are unreachable (1..19)");
	kx_fsq_free(&q);
	for (int b = KX_FSQ_ATANH; b <= KX_FSQ_CLAMP; b += 2) {
		mk(&q, &L21, 1, b, 0.1);
		int ok = kx_fsq_digit(&q, 0, -INFINITY) == 0 && kx_fsq_digit(&q, 0, INFINITY) == 20 &&
		         kx_fsq_digit_ref(&q, 0, -INFINITY) == 0 && kx_fsq_digit_ref(&q, 0, INFINITY) == 20;
		kx_rng g;
		kx_rng_seed(&g, 9, 0);
		for (int n = 0; n < 20000; n++) {
			double z = 1.5 * kx_rng_normal(&g);
			if (thr_gap(&q, 0, z) > 1e-9)
				ok &= kx_fsq_digit(&q, 0, z) == kx_fsq_digit_ref(&q, 0, z);
		}
		char what[100];
		snprintf(what, sizeof what, "%s, L = 21, eps = 0.1: the digit clamp holds, both methods agree", bname[b]);
		tap_ok(ok, what);
		kx_fsq_free(&q);
	}
	long long l32[] = { 65536, 65536 };
	mk(&q, l32, 2, KX_FSQ_ATANH, 1e-3);
	double zi[2] = { INFINITY, INFINITY }, zm[2] = { -INFINITY, -INFINITY };
	uint64_t hi, lo;
	uint32_t l[2];
	kx_fsq_encode(&q, zi, NULL, NULL, NULL, &hi);
	kx_fsq_encode(&q, zm, NULL, NULL, NULL, &lo);
	kx_fsq_decode(&q, 4294967295ULL, l, NULL);
	tap_ok(hi == 4294967295ULL && lo == 0 && l[0] == 65535 && l[1] == 65535,
	       "[65536,65536]: indices 0 .. 2^32-1 and back");
	kx_fsq_free(&q);
	long long l1[] = { 4294967296LL };
	mk(&q, l1, 1, KX_FSQ_ATANH, 1e-3);
	double c;
	kx_fsq_decode(&q, 4294967295ULL, l, &c);
	tap_ok(kx_fsq_digit(&q, 0, INFINITY) == 4294967295U && kx_fsq_digit(&q, 0, 0) == 2147483648U &&
	       l[0] == 4294967295U && c == 1 - 0x1p-31, "a single level of 2^32: reference path, top digit");
	kx_fsq_free(&q);
}

/* ===== usage and entropy =============================================== */

static void test_entropy(void)
{
	/* quantize.md 1.5: population entropies for z ~ N(0, I), atanh bound */
	static const struct { int bits; double h, ppl; } tab[] = {
		{ 8, 7.8161, 225.4 }, { 10, 9.8827, 944.0 }, { 12, 12.0095, 4123 }, { 14, 13.7504, 13781 },
		{ 16, 15.8169, 57726 },
	};
	for (size_t t = 0; t < sizeof tab / sizeof tab[0]; t++) {
		size_t d;
		const long long *lv = kx_fsq_preset(tab[t].bits, &d);
		kx_fsq q;
		mk(&q, lv, d, KX_FSQ_ATANH, 1e-3);
		double h = kx_fsq_gauss_entropy(&q, 1);
		char what[100];
		snprintf(what, sizeof what, "closed form: preset 2^%d has %.4f bits on N(0, I)", tab[t].bits, tab[t].h);
		tap_near(h, tab[t].h, 0, 5.1e-5, what);
		snprintf(what, sizeof what, "closed form: preset 2^%d perplexity %.5g", tab[t].bits, tab[t].ppl);
		tap_near(exp2(h), tab[t].ppl, 5e-4, 0, what);
		kx_fsq_free(&q);
	}
	/* a uniform check: one dimension, sigma -> large, is the entropy of two
	 * halves; sigma small puts everything in the centre cell */
	long long L5 = 5;
	kx_fsq q;
	mk(&q, &L5, 1, KX_FSQ_ATANH, 1e-3);
	tap_near(kx_fsq_gauss_entropy(&q, 1e-3), 0, 0, 1e-12, "closed form: tiny sigma, one code, 0 bits");
	tap_near(kx_fsq_gauss_entropy(&q, 1e9), 1, 0, 1e-6, "closed form: huge sigma, the two ends, 1 bit");
	kx_fsq_free(&q);

	/* A large sample: 10^6 N(0, I) vectors through [8,5,5,5]; the plug-in
	 * entropy is biased low by about (used-1)/(2 N ln 2) = 7.2e-4 bits; its
	 * standard error is about sd(log2 p)/sqrt(N) ~ 1e-3.  Tolerance 4e-3. */
	size_t d;
	const long long *p10 = kx_fsq_preset(10, &d);
	mk(&q, p10, d, KX_FSQ_ATANH, 1e-3);
	kx_usage u;
	kx_usage_init(&u, q.K);
	kx_rng g;
	kx_rng_seed(&g, 2024, 0);
	const uint64_t N = 1000000;
	for (uint64_t n = 0; n < N; n++) {
		double z[4];
		uint64_t idx;
		for (size_t i = 0; i < d; i++)
			z[i] = kx_rng_normal(&g);
		kx_fsq_encode(&q, z, NULL, NULL, NULL, &idx);
		kx_usage_add(&u, idx);
	}
	kx_usage_stats st;
	kx_usage_stats_get(&u, &st);
	double bias = ((double)st.used - 1) / (2 * (double)N * log(2));
	tap_ok(st.used == 1000 && st.usage == 1, "10^6 samples of N(0, I) use all 1000 codes of [8,5,5,5]");
	tap_near(st.entropy_bits + bias, 9.8827, 0, 4e-3, "10^6 samples: entropy + bias = 9.8827 bits");
	tap_near(st.entropy_bits + bias, kx_fsq_gauss_entropy(&q, 1), 0, 4e-3,
	         "10^6 samples: entropy + bias = the closed form");
	tap_ok(st.perplexity <= (double)st.used, "perplexity <= used");
	kx_usage_free(&u);
	kx_fsq_free(&q);
}

/* ===== the raw float32 fast path ======================================= */

/* kx_fsq_encode_f32 against kx_fsq_digit on the widened value: random
 * floats, +-inf, and the floats next to every threshold (where rounding the
 * thresholds to float could go wrong), for every bound; and the NaN stop. */
static void test_f32(void)
{
	static const long long sets[][6] = { { 8, 5, 5, 5 }, { 3, 4, 7, 2, 9, 6 }, { 16 }, { 66, 3 } };
	static const size_t dims[] = { 4, 6, 1, 2 };
	kx_rng g;
	kx_rng_seed(&g, 7, 0);
	for (int b = KX_FSQ_ATANH; b <= KX_FSQ_SYMMETRIC; b++)
		for (size_t s = 0; s < sizeof dims / sizeof dims[0]; s++) {
			size_t d = dims[s];
			kx_fsq q;
			int two = 0;
			for (size_t i = 0; i < d; i++)
				two |= sets[s][i] == 2;
			if (two && b == KX_FSQ_ATANH)
				continue;
			mk(&q, sets[s], d, b, 1e-3);
			kx_fsq_f32 f;
			int fast = kx_fsq_f32_init(&f, &q) == 0;
			char what[160];
			snprintf(what, sizeof what, "f32 path, %s bound, levels %zu-d set %zu: %s", bname[b], d,
			         s, sets[s][0] == 66 ? "refused (64 thresholds at most)" : "digits and indices of kx_fsq_digit");
			if (sets[s][0] == 66) {
				tap_ok(!fast, what);
				kx_fsq_free(&q);
				continue;
			}
			size_t n = 3000;
			float *z = malloc(n * d * sizeof *z);
			uint32_t *lv = malloc(n * d * sizeof *lv), *idx = malloc(n * sizeof *idx);
			size_t e = 0;
			for (size_t i = 0; i < d; i++)          /* each threshold's float neighbours */
				for (size_t k = q.thr_off[i]; k < q.thr_off[i + 1]; k++) {
					float c = (float)q.thr[k];
					float nb[] = { nextafterf(c, -INFINITY), c, nextafterf(c, INFINITY) };
					for (int j = 0; j < 3 && e < n; j++, e++) {
						for (size_t ii = 0; ii < d; ii++)
							z[e * d + ii] = (float)(3 * kx_rng_normal(&g));
						z[e * d + i] = nb[j];
					}
				}
			for (; e < n; e++)
				for (size_t i = 0; i < d; i++)
					z[e * d + i] = e % 97 == 0 ? (e % 2 ? INFINITY : -INFINITY) : (float)(2 * kx_rng_normal(&g));
			int ok = fast && kx_fsq_encode_f32(&f, z, n, lv, idx) == n;
			for (size_t r = 0; ok && r < n; r++) {
				uint32_t want[6];
				double zd[6];
				uint64_t wi;
				for (size_t i = 0; i < d; i++)
					zd[i] = z[r * d + i];
				kx_fsq_encode(&q, zd, want, NULL, NULL, &wi);
				ok = idx[r] == wi && !memcmp(want, lv + r * d, d * sizeof *want);
			}
			/* a NaN in vector 1234: encode stops there, the earlier ones done */
			z[1234 * d + d - 1] = NAN;
			ok = ok && kx_fsq_encode_f32(&f, z, n, NULL, idx) == 1234 &&
			     kx_fsq_encode_f32(&f, z + 1235 * d, n - 1235, NULL, idx) == n - 1235;
			tap_ok(ok, what);
			free(z), free(lv), free(idx);
			kx_fsq_f32_free(&f);
			kx_fsq_free(&q);
		}
}

int main(void)
{
	test_check();
	test_code_table();
	test_presets();
	test_thresholds();
	test_b0();
	test_examples();
	test_grids();
	test_roundtrips();
	test_random();
	test_extremes();
	test_entropy();
	test_f32();
	return tap_done();
}
