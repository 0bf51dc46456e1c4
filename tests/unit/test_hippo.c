/*
 * test_hippo.c — the HiPPO kernels and the matrix exponential against values
 * obtained independently: closed forms (rotations, nilpotent matrices, the
 * LegS-LTI and LagT kernels, the polynomial decay of a constant), a second
 * method (dense LAPACK solves against the O(N) recurrences, the exact LegS
 * projection against the ZOH recurrence), and the structure claims of
 * hippo.md (sections 2, 3.3, 4, 5; claims 1, 5, 6, 10, 12-15, 17).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "expm.h"
#include "hippo.h"
#include "linalg.h"

static double maxdiff(const double *a, const double *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(a[i] - b[i]);
		if (!(d <= m))
			m = d;
	}
	return m;
}

static double maxabs(const double *a, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

static double legendre(int n, double x)
{
	double pm = 0, p = 1;
	for (int k = 0; k < n; k++) {
		double pn = ((2.0 * k + 1) * x * p - k * pm) / (k + 1);
		pm = p;
		p = pn;
	}
	return p;
}

static double laguerre(int n, double x)
{
	double lm = 0, l = 1;
	for (int k = 0; k < n; k++) {
		double ln = ((2.0 * k + 1 - x) * l - k * lm) / (k + 1);
		lm = l;
		l = ln;
	}
	return l;
}

/* ===== expm ===== */

static void test_expm(void)
{
	double E[16], M[16], W[16];
	/* rotation: exp([[0,-w],[w,0]]) = [[cos,-sin],[sin,cos]], w across the Padé degrees */
	const double ws[] = { 0.01, 0.2, 0.9, 2.0, 5.0, 40.0, 1000.0 };
	for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
		double w = ws[i];
		double R[4] = { 0, -w, w, 0 }, want[4] = { cos(w), -sin(w), sin(w), cos(w) };
		kx_expm(2, R, E);
		char what[80];
		snprintf(what, sizeof what, "expm of a rotation by %g", w);
		tap_ok(maxdiff(E, want, 4) < 1e-13 * (1 + w), what);
	}
	/* nilpotent: exp(N) = I + N + N^2/2 + N^3/6 exactly (strictly upper triangular 4x4) */
	for (int i = 0; i < 16; i++)
		M[i] = (i % 4 > i / 4) ? (double)(i + 1) : 0;
	double N2[16], N3[16];
	kx_gemm(0, 0, 4, 4, 4, 1, M, M, 0, N2);
	kx_gemm(0, 0, 4, 4, 4, 1, N2, M, 0, N3);
	for (int i = 0; i < 16; i++)
		W[i] = (i % 5 == 0) + M[i] + N2[i] / 2 + N3[i] / 6;
	kx_expm(4, M, E);
	tap_ok(maxdiff(E, W, 16) < 1e-12 * maxabs(W, 16), "expm of a nilpotent matrix is its finite series");
	/* diagonal, with a large norm (scaling and squaring) */
	double D[9] = { -30, 0, 0, 0, 2.5, 0, 0, 0, -0.001 }, Dw[9] = { exp(-30), 0, 0, 0, exp(2.5), 0, 0, 0, exp(-0.001) };
	kx_expm(3, D, E);
	tap_ok(fabs(E[0] - Dw[0]) < 1e-13 * Dw[0] && fabs(E[4] - Dw[4]) < 1e-14 * Dw[4] &&
	       fabs(E[8] - Dw[8]) < 1e-15, "expm of a diagonal matrix");
	int m, s;
	kx_expm_params(0.01, &m, &s);
	tap_ok(m == 3 && s == 0, "Padé degree 3 below theta_3");
	kx_expm_params(5.371920351148152 * 4, &m, &s);
	tap_ok(m == 13 && s == 2, "squarings: exactly 2 at 4 theta_13");
	kx_expm_params(5.371920351148152 * 4.0001, &m, &s);
	tap_ok(m == 13 && s == 3, "squarings: 3 just above 4 theta_13");
	double nanm[4] = { NAN, 0, 0, 0 };
	kx_expm(2, nanm, E);
	tap_ok(isnan(E[0]) && isnan(E[3]), "expm of a NaN matrix is NaN");
}

/* The structured paths of kx_expm_aug against a second computation: the
 * triangular path (LegS-LTI, LagT, scaled LegS) against the dense one, and the
 * augmented column carried as matrix-vector products against kx_expm of the
 * explicit (N+1)^2 matrix [[dt A, dt B], [0, 0]]. */
static void test_expm_structured(void)
{
	const struct { int measure; size_t N; double dt; } cs[] = {
		{ HIPPO_LEGS, 1, 0.3 }, { HIPPO_LEGS, 5, 0.01 }, { HIPPO_LEGS, 70, 1e-3 },
		{ HIPPO_LEGS, 150, 0.01 }, { HIPPO_LEGS, 150, 1.0 }, { HIPPO_LAGT, 130, 0.25 },
		{ HIPPO_LAGT, 64, 1e-3 }, { HIPPO_LEGT, 90, 0.05 }, { HIPPO_FOUT, 66, 0.1 },
	};
	for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
		size_t N = cs[c].N, W = N + 1;
		double dt = cs[c].dt;
		hippo_sys s = { .measure = cs[c].measure, .lti = 1, .N = N, .theta = 1, .beta = 1 };
		double *A = malloc(N * N * sizeof *A), *B = malloc(N * sizeof *B),
		       *E1 = malloc(N * N * sizeof *E1), *e1 = malloc(N * sizeof *e1),
		       *E2 = malloc(N * N * sizeof *E2), *e2 = malloc(N * sizeof *e2),
		       *M = calloc(W * W, sizeof *M), *F = malloc(W * W * sizeof *F);
		hippo_transition(&s, A, B);
		for (size_t i = 0; i < N; i++) {
			for (size_t j = 0; j < N; j++)
				M[i * W + j] = dt * A[i * N + j];
			M[i * W + N] = dt * B[i];
		}
		int ok = kx_expm_aug(N, dt, A, B, E1, e1, 0) == 0 &&
		         kx_expm_aug(N, dt, A, B, E2, e2, KX_EXPM_DENSE) == 0 && kx_expm(W, M, F) == 0;
		double scale = maxabs(F, W * W), d12 = 0, d1f = 0, upper = 0;
		for (size_t i = 0; i < N; i++) {
			for (size_t j = 0; j < N; j++) {
				d12 = fmax(d12, fabs(E1[i * N + j] - E2[i * N + j]));
				d1f = fmax(d1f, fabs(E1[i * N + j] - F[i * W + j]));
				if (j > i)
					upper = fmax(upper, fabs(E1[i * N + j]));
			}
			d12 = fmax(d12, fabs(e1[i] - e2[i]));
			d1f = fmax(d1f, fabs(e1[i] - F[i * W + N]));
		}
		int tri = cs[c].measure == HIPPO_LEGS || cs[c].measure == HIPPO_LAGT;
		char what[160];
		snprintf(what, sizeof what, "expm of [[A, B], [0, 0]] (%s N = %zu, dt = %g): the %s path "
		         "equals the dense one and the explicit (N+1)^2 matrix", s.measure == HIPPO_LEGS ?
		         "legs" : s.measure == HIPPO_LAGT ? "lagt" : s.measure == HIPPO_LEGT ? "legt" : "fout",
		         N, dt, tri ? "triangular" : "column");
		tap_ok(ok && d12 <= 1e-13 * scale && d1f <= 1e-13 * scale && (!tri || upper == 0), what);
		if (!(d12 <= 1e-13 * scale && d1f <= 1e-13 * scale))
			printf("#   tri/dense %g, vs explicit %g (scale %g)\n", d12, d1f, scale);
		free(A); free(B); free(E1); free(e1); free(E2); free(e2); free(M); free(F);
	}
	/* Overscaling (Al-Mohy & Higham 2009, section 1): exp([[1, c], [0, -1]]) =
	 * [[e, c sinh(1)], [0, 1/e]].  ||M||_1 = c + 1 asks for about log2(c)
	 * squarings by the norm alone, each losing accuracy in the (2,2) entry;
	 * the bound from ||M^k||^(1/k) needs none. */
	const double cs2[] = { 1e2, 1e6, 1e10 };
	for (int k = 0; k < 3; k++) {
		double c = cs2[k], M[4] = { 1, c, 0, -1 }, E[4];
		kx_expm(2, M, E);
		double want[4] = { exp(1), c * sinh(1), 0, exp(-1) };
		double err = 0;
		for (int i = 0; i < 4; i++)
			err = fmax(err, fabs(E[i] - want[i]) / (want[i] != 0 ? fabs(want[i]) : 1));
		char what[100];
		snprintf(what, sizeof what, "expm of [[1, %g], [0, -1]]: every entry to 1e-14 relative", c);
		tap_ok(err < 1e-14, what);
		if (err >= 1e-14)
			printf("#   relative error %g\n", err);
	}
}

/* LegS-LTI kernel: exp(dA) B = r_n P_n(2e^{-d} - 1) e^{-d} (hippo.md 2.8, claim 12). */
static void test_legs_kernel(size_t N, double d, double rtol)
{
	hippo_sys s = { .measure = HIPPO_LEGS, .lti = 1, .N = N };
	double *A = malloc(N * N * sizeof *A), *B = malloc(N * sizeof *B), *Ad = malloc(N * N * sizeof *Ad),
	       *Bd = malloc(N * sizeof *Bd), *k = malloc(N * sizeof *k), *want = malloc(N * sizeof *want);
	hippo_transition(&s, A, B);
	hippo_zoh(N, A, B, d, Ad, Bd);
	kx_gemv(0, N, N, 1, Ad, B, 0, k);
	for (size_t n = 0; n < N; n++)
		want[n] = sqrt(2.0 * n + 1) * legendre((int)n, 2 * exp(-d) - 1) * exp(-d);
	char what[100];
	snprintf(what, sizeof what, "LegS-LTI kernel exp(dA)B matches its closed form, N = %zu, d = %g", N, d);
	double err = maxdiff(k, want, N) / maxabs(want, N);
	tap_ok(err < rtol, what);
	if (err >= rtol)
		printf("#   relative error %g\n", err);
	free(A); free(B); free(Ad); free(Bd); free(k); free(want);
}

/* ===== matrices ===== */

static void test_matrices(void)
{
	size_t N = 6;
	double A[36], B[6], A2[36], B2[6], lam[6];
	hippo_sys s = { .measure = HIPPO_LEGS, .N = N, .theta = 1, .beta = 1 };
	hippo_transition(&s, A, B);
	int ok = 1;
	for (size_t n = 0; n < N; n++) {
		ok &= A[n * N + n] == -(double)(n + 1);
		for (size_t k = n + 1; k < N; k++)
			ok &= A[n * N + k] == 0;
	}
	tap_ok(ok, "LegS is lower triangular with diagonal -1..-N (eigenvalues, claim 1)");
	/* A e_0 = -B: a constant is remembered exactly as c e_0 */
	ok = 1;
	for (size_t n = 0; n < N; n++)
		ok &= fabs(A[n * N] + B[n]) < 1e-15;
	tap_ok(ok, "LegS: -A^{-1}B = e_0");
	/* post 1's scalings are similarity transforms of ortho: A~ = L^{-1} A L */
	for (int norm = HIPPO_SU; norm <= HIPPO_NOROOT; norm++)
		for (int meas = HIPPO_LEGS; meas <= HIPPO_LEGT; meas++) {
			hippo_sys t = s;
			t.measure = meas;
			t.theta = 1.7;
			hippo_transition(&t, A, B);
			t.norm = norm;
			hippo_transition(&t, A2, B2);
			hippo_norm_lambda(&t, lam);
			hippo_rescale(N, lam, A, B);
			char what[80];
			snprintf(what, sizeof what, "%s %s = the ortho matrices rescaled", meas ? "legt" : "legs",
			         norm == HIPPO_SU ? "su" : "noroot");
			tap_ok(maxdiff(A, A2, N * N) < 1e-12 * maxabs(A2, N * N) && maxdiff(B, B2, N) < 1e-12 * maxabs(B2, N), what);
		}
	/* LegT: D A^{-1} D is tridiagonal (theta = 1), section 2.2 */
	for (size_t n = 1; n <= 9; n++) {
		hippo_sys t = { .measure = HIPPO_LEGT, .N = n, .theta = 1 };
		double At[81], I[81], Bt[9];
		hippo_transition(&t, At, Bt);
		memset(I, 0, sizeof I);
		for (size_t i = 0; i < n; i++)
			I[i * n + i] = 1;
		kx_solve(n, n, At, I);      /* I <- A^{-1} */
		double err = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++) {
				double T = I[i * n + j] * sqrt(2.0 * i + 1) * sqrt(2.0 * j + 1), want = 0;
				if (j == i + 1) want = -0.5;
				if (i == j + 1) want = 0.5;
				if (i == j && (i == 0 || i == n - 1)) want = (n == 1) ? -1 : -0.5;
				err = fmax(err, fabs(T - want));
			}
		char what[80];
		snprintf(what, sizeof what, "LegT N = %zu: D A^{-1} D is the tridiagonal T", n);
		tap_ok(err < 1e-12, what);
	}
	/* LMU = LegT noroot reflected by S = diag((-1)^n) */
	{
		hippo_sys l = { .measure = HIPPO_LMU, .N = N, .theta = 2 }, t = { .measure = HIPPO_LEGT, .N = N, .theta = 2, .norm = HIPPO_NOROOT };
		hippo_transition(&l, A, B);
		hippo_transition(&t, A2, B2);
		ok = 1;
		for (size_t i = 0; i < N; i++) {
			double si = i % 2 ? -1 : 1;
			ok &= B[i] == si * B2[i];
			for (size_t j = 0; j < N; j++)
				ok &= A[i * N + j] == si * (j % 2 ? -1 : 1) * A2[i * N + j];
		}
		tap_ok(ok, "LMU = S (LegT noroot) S");
	}
	/* A + P^T P = skew + c I (claim 15) */
	{
		const int meas[] = { HIPPO_LEGS, HIPPO_LEGT, HIPPO_LAGT, HIPPO_FOUT };
		for (int mi = 0; mi < 4; mi++) {
			hippo_sys t = { .measure = meas[mi], .lti = 1, .N = N, .theta = 2, .beta = 1 };
			hippo_transition(&t, A, B);
			double c = meas[mi] == HIPPO_LEGS ? -0.5 : 0;
			for (size_t i = 0; i < N; i++)
				for (size_t j = 0; j < N; j++) {
					double pp;
					if (meas[mi] == HIPPO_LEGS)
						pp = sqrt(i + 0.5) * sqrt(j + 0.5);
					else if (meas[mi] == HIPPO_LEGT)
						pp = (i % 2 == j % 2) * sqrt(2.0 * i + 1) * sqrt(2.0 * j + 1) / t.theta;
					else if (meas[mi] == HIPPO_LAGT)
						pp = 0.5;
					else {
						double ei = i == 0 ? 1 : i % 2 ? 0 : sqrt(2.0), ej = j == 0 ? 1 : j % 2 ? 0 : sqrt(2.0);
						pp = 2 * ei * ej / t.theta;
					}
					A2[i * N + j] = A[i * N + j] + pp - (i == j ? c : 0);
				}
			double err = 0;
			for (size_t i = 0; i < N; i++)
				for (size_t j = 0; j < N; j++)
					err = fmax(err, fabs(A2[i * N + j] + A2[j * N + i]));
			char what[80];
			snprintf(what, sizeof what, "A + P^T P - cI is skew-symmetric (measure %d)", meas[mi]);
			tap_ok(err < 1e-12, what);
		}
	}
}

/* LagT kernel: exp(dA) B = beta L_n(d) e^{-d/2} (claim 13). */
static void test_lagt_kernel(void)
{
	size_t N = 10;
	const double ds[] = { 0.2, 0.9, 2.5, 6 }, betas[] = { 1, 0.4 };
	double A[100], B[10], Ad[100], Bd[10], k[10];
	for (int bi = 0; bi < 2; bi++) {
		double err = 0;
		hippo_sys s = { .measure = HIPPO_LAGT, .N = N, .beta = betas[bi] };
		hippo_transition(&s, A, B);
		for (int di = 0; di < 4; di++) {
			hippo_zoh(N, A, B, ds[di], Ad, Bd);
			kx_gemv(0, N, N, 1, Ad, B, 0, k);
			for (size_t n = 0; n < N; n++)
				err = fmax(err, fabs(k[n] - betas[bi] * laguerre((int)n, ds[di]) * exp(-ds[di] / 2)));
		}
		tap_ok(err < 1e-12, betas[bi] == 1 ? "LagT kernel, beta = 1" : "LagT kernel, beta = 0.4");
	}
}

/* ===== structured operations (claim 14) ===== */

static void test_structured(void)
{
	const size_t Ns[] = { 1, 2, 7, 64, 1024 };
	const double deltas[] = { 1e-4, 1e-3, 0.01, 1.0 / 7, 0.25, 0.5, 3 };
	for (size_t ni = 0; ni < sizeof Ns / sizeof Ns[0]; ni++) {
		size_t N = Ns[ni];
		hippo_sys s = { .measure = HIPPO_LEGS, .N = N };
		double *A = malloc(N * N * sizeof *A), *r = malloc(N * sizeof *r), *v = malloc(N * sizeof *v),
		       *y1 = malloc(N * sizeof *y1), *y2 = malloc(N * sizeof *y2), *M = malloc(N * N * sizeof *M);
		hippo_transition(&s, A, r);
		for (size_t n = 0; n < N; n++)
			v[n] = sin(1.0 + 3.7 * n) + 0.1 * cos(0.3 * n * n);
		double emul = 0, esol = 0;
		for (size_t di = 0; di < sizeof deltas / sizeof deltas[0]; di++) {
			double d = deltas[di];
			hippo_legs_mul(N, r, d, v, y1);
			memcpy(y2, v, N * sizeof *y2);
			kx_gemv(0, N, N, d, A, v, 1, y2);
			emul = fmax(emul, maxdiff(y1, y2, N) / maxabs(y2, N));
			hippo_legs_solve(N, r, d, v, y1);
			for (size_t i = 0; i < N * N; i++)
				M[i] = -d * A[i] + (i % (N + 1) == 0);
			memcpy(y2, v, N * sizeof *y2);
			kx_solve(N, 1, M, y2);
			esol = fmax(esol, maxdiff(y1, y2, N) / maxabs(y2, N));
		}
		char what[100];
		snprintf(what, sizeof what, "O(N) LegS product equals the dense one, N = %zu", N);
		tap_ok(emul < 1e-12, what);
		snprintf(what, sizeof what, "O(N) LegS solve equals the dense LU solve, N = %zu", N);
		tap_ok(esol < 1e-12, what);
		if (esol >= 1e-12 || emul >= 1e-12)
			printf("#   mul %g, solve %g\n", emul, esol);
		free(A); free(r); free(v); free(y1); free(y2); free(M);
	}
	/* LegT: the parity-sum product and the tridiagonal solve (claim 14), theta 1 and 2 */
	for (size_t ni = 0; ni < sizeof Ns / sizeof Ns[0]; ni++)
		for (int th = 1; th <= 2; th++) {
			size_t N = Ns[ni];
			hippo_sys s = { .measure = HIPPO_LEGT, .N = N, .theta = th };
			double *A = malloc(N * N * sizeof *A), *B = malloc(N * sizeof *B), *r = malloc(N * sizeof *r),
			       *v = malloc(N * sizeof *v), *y1 = malloc(N * sizeof *y1), *y2 = malloc(N * sizeof *y2),
			       *M = malloc(N * N * sizeof *M), *w = malloc(4 * N * sizeof *w);
			hippo_transition(&s, A, B);
			for (size_t n = 0; n < N; n++) {
				r[n] = sqrt(2.0 * n + 1);
				v[n] = cos(0.7 + 2.3 * n) - 0.2 * sin(0.11 * n * n);
			}
			double emul = 0, esol = 0;
			for (size_t di = 0; di < sizeof deltas / sizeof deltas[0]; di++) {
				double d = deltas[di];
				hippo_legt_mul(N, r, th, d, v, y1);
				memcpy(y2, v, N * sizeof *y2);
				kx_gemv(0, N, N, d, A, v, 1, y2);
				emul = fmax(emul, maxdiff(y1, y2, N) / maxabs(y2, N));
				hippo_legt_solve(N, r, th, d, v, y1, w);
				for (size_t i = 0; i < N * N; i++)
					M[i] = -d * A[i] + (i % (N + 1) == 0);
				memcpy(y2, v, N * sizeof *y2);
				kx_solve(N, 1, M, y2);
				esol = fmax(esol, maxdiff(y1, y2, N) / maxabs(y2, N));
			}
			char what[100];
			snprintf(what, sizeof what, "O(N) LegT product = dense, N = %zu, theta = %d", N, th);
			tap_ok(emul < 1e-12, what);
			snprintf(what, sizeof what, "O(N) LegT tridiagonal solve = dense LU, N = %zu, theta = %d", N, th);
			tap_ok(esol < 1e-12, what);
			if (esol >= 1e-12 || emul >= 1e-12)
				printf("#   mul %g, solve %g\n", emul, esol);
			free(A); free(B); free(r); free(v); free(y1); free(y2); free(M); free(w);
		}
	/* the dense pair of a GBT step equals the dense formula by LU */
	size_t N = 9;
	double G[81], H[9], A[81], B[9], Ad[81], Bd[9];
	hippo_sys s = { .measure = HIPPO_LEGS, .N = N };
	hippo_transition(&s, A, B);
	hippo_legs_pair(N, 0, HIPPO_STEP_S4, HIPPO_START_HOLD, 0.5, 7, G, H);
	hippo_gbt(N, A, B, 1.0 / 7, 0.5, Ad, Bd);   /* s4: the LTI GBT with dt = 1/t0 */
	tap_ok(maxdiff(G, Ad, 81) < 1e-14 && maxdiff(H, Bd, 9) < 1e-14, "s4 step pair = GBT with dt = 1/k");
	hippo_legs_pair(N, 1, 0, HIPPO_START_HOLD, 0, 7, G, H);
	hippo_zoh(N, A, B, log(8.0 / 7), Ad, Bd);
	tap_ok(maxdiff(G, Ad, 81) < 1e-14 && maxdiff(H, Bd, 9) < 1e-14, "zoh step pair = exp(ln(8/7) A)");
	hippo_legs_pair(N, 0, HIPPO_STEP_MIDPOINT, HIPPO_START_HOLD, 0.5, 0, G, H);
	tap_ok(maxabs(G, 81) == 0 && H[0] == 1 && maxabs(H + 1, 8) == 0, "hold start: G = 0, H = e_0");
}

/* ===== scaled LegS recurrences ===== */

static void run_legs(size_t N, int zoh, int step, int start, double alpha, const double *u, size_t L, double *x)
{
	double *r = malloc(N * sizeof *r), *G = malloc(N * N * sizeof *G), *H = malloc(N * sizeof *H),
	       *t = malloc(N * sizeof *t);
	for (size_t n = 0; n < N; n++)
		r[n] = sqrt(2.0 * n + 1);
	memset(x, 0, N * sizeof *x);
	for (size_t k = 0; k < L; k++) {
		double di, de, db;
		if (zoh) {
			hippo_legs_pair(N, 1, step, start, alpha, (double)k, G, H);
			kx_gemv(0, N, N, 1, G, x, 0, t);
			for (size_t n = 0; n < N; n++)
				x[n] = t[n] + H[n] * u[k];
		} else if (hippo_legs_deltas(step, start, alpha, (double)k, &di, &de, &db)) {
			hippo_legs_step(N, r, di, de, db, u[k], x);
		} else {
			memset(x, 0, N * sizeof *x);
			x[0] = u[k];
		}
	}
	free(r); free(G); free(H); free(t);
}

static void test_legs(void)
{
	size_t N = 8, L = 40;
	double u[2000], x[64], e[64];
	for (size_t k = 0; k < L; k++)
		u[k] = sin(0.3 * k) + 0.2 * k - 0.01 * k * k;
	/* the ZOH recurrence reproduces the closed-form projection (claim 5) */
	double err = 0;
	for (size_t l = 1; l <= L; l++) {
		run_legs(N, 1, 0, HIPPO_START_HOLD, 0, u, l, x);
		hippo_legs_exact(N, l, u, e);
		err = fmax(err, maxdiff(x, e, N));
	}
	tap_ok(err < 1e-12, "ZOH scaled LegS equals the exact projection at every step");
	/* claim 5's published state */
	double u5[4] = { 1, 0, 0, 0.5 };
	hippo_legs_exact(8, 4, u5, e);
	tap_near(e[0], 0.375, 0, 1e-15, "exact projection of 1,0,0,0.5: x_0 = the mean 0.375");
	tap_near(e[1], -0.16237976, 0, 1e-8, "... x_1 = -0.16237976");
	tap_near(e[2], 0.31444706, 0, 1e-8, "... x_2 = 0.31444706");
	/* polynomial decay of a constant (claim 10): exp(ln(q) A) e_0 = r_n Q_n(2/q - 1)/2 */
	{
		double u1[1000] = { 1 }, q[16];
		run_legs(16, 1, 0, HIPPO_START_HOLD, 0, u1, 1000, x);
		hippo_legendre_Q(16, 2.0 / 1000 - 1, q);
		double nrm = 0;
		for (size_t n = 0; n < 16; n++) {
			e[n] = sqrt(2.0 * n + 1) * q[n] / 2;
			nrm += x[n] * x[n];
		}
		tap_ok(maxdiff(x, e, 16) < 1e-15, "memory of one sample after 1000 steps: the closed form");
		tap_near(1000 * sqrt(nrm), 15.02, 0, 0.005, "1000 |x| = 15.02 (decay ~ N/q)");
	}
	/* constant input: exactly c e_0 for s4, midpoint and zoh; not for paper (claim 6) */
	{
		double c[100];
		for (int k = 0; k < 100; k++)
			c[k] = 2;
		const int steps[] = { HIPPO_STEP_S4, HIPPO_STEP_MIDPOINT };
		for (int i = 0; i < 2; i++) {
			run_legs(6, 0, steps[i], HIPPO_START_HOLD, 0.5, c, 100, x);
			tap_ok(fabs(x[0] - 2) < 1e-12 && maxabs(x + 1, 5) < 1e-12,
			       i ? "constant input: midpoint keeps 2 e_0" : "constant input: s4 keeps 2 e_0");
		}
		run_legs(6, 1, 0, HIPPO_START_HOLD, 0, c, 100, x);
		tap_ok(fabs(x[0] - 2) < 1e-12 && maxabs(x + 1, 5) < 1e-12, "constant input: zoh keeps 2 e_0");
		run_legs(6, 0, HIPPO_STEP_PAPER, HIPPO_START_HOLD, 0.5, c, 100, x);
		tap_near(x[0], 2.0468, 0, 1e-4, "constant input: paper drifts, x_0 = 2.0468");
		tap_near(x[1], -0.0468, 0, 1e-4, "... x_1 = -0.0468");
	}
	/* midpoint: x_0 is exactly the running mean */
	{
		run_legs(5, 0, HIPPO_STEP_MIDPOINT, HIPPO_START_HOLD, 0.5, u, L, x);
		double mean = 0;
		for (size_t k = 0; k < L; k++)
			mean += u[k];
		tap_near(x[0], mean / L, 1e-13, 0, "midpoint: x_0 is the running mean");
	}
	/* dt cancels (claim 4): the same function at L = 1000 and 3000 */
	{
		static double a[3000], b[16];
		for (int l = 0; l < 2; l++) {
			size_t LL = l ? 3000 : 1000;
			for (size_t j = 0; j < LL; j++) {
				double sj = (j + 0.5) / LL;
				a[j] = sin(6 * M_PI * sj) + 0.5 * cos(17 * sj * sj) + sj;
			}
			run_legs(16, 0, HIPPO_STEP_MIDPOINT, HIPPO_START_HOLD, 0.5, a, LL, l ? x : b);
		}
		tap_ok(maxdiff(x, b, 16) < 4.3e-5, "scaled LegS: L = 1000 and 3000 agree to 4.3e-5");
	}
	/* order of accuracy of midpoint (section 3.3): error / 90 per x10 samples */
	{
		static double a[2000];
		double errs[2];
		for (int l = 0; l < 2; l++) {
			size_t LL = l ? 2000 : 200;
			for (size_t j = 0; j < LL; j++) {
				double sj = (j + 0.5) / LL;
				a[j] = sin(6 * M_PI * sj) + 0.5 * cos(17 * sj * sj) + sj;
			}
			run_legs(32, 0, HIPPO_STEP_MIDPOINT, HIPPO_START_HOLD, 0.5, a, LL, x);
			hippo_legs_exact(32, LL, a, e);
			double num = 0, den = 0;
			for (int n = 0; n < 32; n++) {
				num += (x[n] - e[n]) * (x[n] - e[n]);
				den += e[n] * e[n];
			}
			errs[l] = sqrt(num / den);
		}
		tap_near(errs[0], 3.3e-3, 0.05, 0, "midpoint, N = 32, L = 200: relative error 3.3e-3");
		tap_near(errs[1], 3.6e-5, 0.05, 0, "midpoint, N = 32, L = 2000: relative error 3.6e-5");
	}
}

/* ===== reconstruction ===== */

static void test_recon(void)
{
	/* x = P_3 coefficient: reconstruct = P_3(2s-1) (claim 17) */
	hippo_sys s = { .measure = HIPPO_LEGS, .N = 4 };
	double pos[5], W[40], x4[4] = { 0, 0, 0, 1 / sqrt(7.0) }, u[5];
	hippo_grid(&s, 5, 10, pos);
	hippo_basis(&s, 5, pos, W);
	kx_gemv(0, 5, 4, 1, W, x4, 0, u);
	double want[5] = { -0.08, 0.44, 0, -0.44, 0.08 };
	tap_ok(maxdiff(u, want, 5) < 1e-14, "reconstruct P_3(2s-1) at s = 0.1..0.9");
	/* projection of a degree-7 polynomial by Gauss-Legendre quadrature (16 nodes,
	 * Golub-Welsch), then reconstruction: exact to rounding */
	{
		size_t N = 8, G = 16;
		double J[256], w[16], nodes[16], x[8] = { 0 }, pw[16 * 8];
		memset(J, 0, sizeof J);
		for (size_t i = 1; i < G; i++)
			J[i * G + i - 1] = J[(i - 1) * G + i] = i / sqrt(4.0 * i * i - 1);
		kx_eigh(G, J, w);
		for (size_t i = 0; i < G; i++) {
			nodes[i] = (w[i] + 1) / 2;                 /* on [0, 1] */
			w[i] = J[i] * J[i];                         /* weights, sum 1 */
		}
		s.N = N;
		hippo_basis(&s, G, nodes, pw);
		for (size_t i = 0; i < G; i++) {
			double t = nodes[i], p = 1 - 3 * t + 2 * pow(t, 5) - pow(t, 7);
			for (size_t n = 0; n < N; n++)
				x[n] += w[i] * p * pw[i * N + n];
		}
		double pts[7] = { 0.01, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999 }, W8[56], got[7], exact[7];
		hippo_basis(&s, 7, pts, W8);
		kx_gemv(0, 7, N, 1, W8, x, 0, got);
		for (int i = 0; i < 7; i++)
			exact[i] = 1 - 3 * pts[i] + 2 * pow(pts[i], 5) - pow(pts[i], 7);
		tap_ok(maxdiff(got, exact, 7) < 1e-12, "a polynomial of degree < N is reconstructed exactly");
	}
	/* grids */
	hippo_sys lt = { .measure = HIPPO_LEGT, .N = 3, .theta = 2 }, ll = { .measure = HIPPO_LEGS, .lti = 1, .N = 3 },
	          lg = { .measure = HIPPO_LAGT, .N = 3, .beta = 1 };
	double g[4];
	hippo_grid(&lt, 4, 10, g);
	tap_ok(g[0] == 1.75 && g[3] == 0.25, "legt grid: delays theta(1 - (j+1/2)/P), oldest first");
	hippo_grid(&ll, 4, 10, g);
	tap_near(g[0], -log(0.125), 1e-15, 0, "legs --lti grid: uniform in e^{-d}");
	hippo_grid(&lg, 4, 8, g);
	tap_ok(g[0] == 7 && g[3] == 1, "lagt grid: over [0, horizon]");
	/* a LagT weight at a huge delay is 0, not NaN */
	double far[1] = { 5000 }, Wl[3];
	hippo_basis(&lg, 1, far, Wl);
	tap_ok(Wl[0] == 0 && Wl[2] == 0, "lagt weight underflows to 0, never NaN");
	/* LagT reconstructs its own kernel's measure: basis(d) . kernel = ... orthonormality
	 * in L2[0,inf): sum over a fine grid of w_m w_n dd ~ delta_mn / beta^2 */
	{
		size_t P = 20000, N = 4;
		double h = 60.0 / P, *p = malloc(P * sizeof *p), *Wg = malloc(P * N * sizeof *Wg), gram[16] = { 0 };
		hippo_sys l2 = { .measure = HIPPO_LAGT, .N = N, .beta = 1 };
		for (size_t j = 0; j < P; j++)
			p[j] = (j + 0.5) * h;
		hippo_basis(&l2, P, p, Wg);
		kx_gemm(1, 0, N, N, P, h, Wg, Wg, 0, gram);
		double err = 0;
		for (size_t i = 0; i < N; i++)
			for (size_t j = 0; j < N; j++)
				err = fmax(err, fabs(gram[i * N + j] - (i == j)));
		tap_ok(err < 1e-5, "Laguerre functions L_n(d) e^{-d/2} are orthonormal on [0, inf)");
		if (err >= 1e-5) printf("#   %g %g %g\n", err, gram[0], gram[5]);
		free(p);
		free(Wg);
	}
}

int main(void)
{
	test_expm();
	test_expm_structured();
	test_legs_kernel(16, 0.5, 1e-13);
	test_legs_kernel(256, 0.01, 1e-10);
	test_legs_kernel(256, 1, 1e-10);
	test_matrices();
	test_lagt_kernel();
	test_structured();
	test_legs();
	test_recon();
	return tap_done();
}
