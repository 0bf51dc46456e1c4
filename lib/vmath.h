/*
 * vmath.h — log and sincos for the generator's Box-Muller step, written so
 * that gcc vectorises loops over them: no branches, no table, no libm call.
 *
 * Both are deterministic on every machine: plain IEEE double operations in a
 * fixed order (-std=c11 forbids contraction and no clone enables FMA), integer
 * work only on exact bit patterns, so the scalar code, the SSE2 baseline and
 * the AVX2 and AVX-512 clones give bit-identical results.  Accuracy (unit
 * test, 10^6 points each against long-double logl/sinl/cosl): below 1 ulp.
 *
 * kx_log_pos(x): x a positive normal double (the generator passes 1 - u in
 * [2^-53, 1]).  x = 2^k m with m in [sqrt(2)/2, sqrt(2)), f = m - 1 (exact),
 * s = f/(2 + f), log(1 + f) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + R) with
 * R = sum_{j>=1} 2 s^2j/(2j+1), |s| <= 0.1716, by a minimax polynomial;
 * ln 2 in two parts so that k ln2hi is exact.
 *
 * kx_sincos_2pi(x, &s, &c): x in [0, 2^20 pi/2] (the generator passes
 * 2 pi u < 2 pi).  k = round(x / (pi/2)); r = x - k pi/2 in two doubles
 * (r0 + r1, pi/2 in three parts: the first two of 33 bits, so that k times
 * them is exact, about 118 bits in all); sin r, cos r on |r| <= pi/4 by
 * minimax polynomials (to r^13 and r^14); the quadrant k mod 4 picks and
 * signs them.  The polynomial coefficients were computed for this file
 * (Remez exchange in 200-bit arithmetic, mpmath), then rounded to double.
 */
#ifndef KX_VMATH_H
#define KX_VMATH_H

#include <stdint.h>
#include <string.h>

/* Hot loops get AVX-512 and AVX2 versions beside the baseline one, chosen at
 * load time (GNU ifunc; under valgrind, which has no AVX-512, the AVX2 one).
 * No FMA is enabled: every version gives the same bits. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
#define KX_CLONES3 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KX_CLONES3
#endif

/* Kernels with explicit fma() have FMA versions, target("avx512f,fma") and
 * target("avx2,fma"), picked at run time by kx_fma_level(): 2 where the CPU
 * has AVX-512F (which every such CPU pairs with FMA), 1 where it has AVX2 and
 * FMA, 0 otherwise and where there are no such versions (KX_FMA_CLONES
 * undefined); level 0 takes the kernel's FMA-free form, which gives the same
 * bits. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
#define KX_FMA_CLONES 1
static inline int kx_fma_level(void)
{
	if (__builtin_cpu_supports("avx512f"))
		return 2;
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static inline int kx_fma_level(void) { return 0; }
#endif

static inline double kx_bits_to_double(uint64_t b)
{
	double x;
	memcpy(&x, &b, 8);
	return x;
}

static inline uint64_t kx_double_to_bits(double x)
{
	uint64_t b;
	memcpy(&b, &x, 8);
	return b;
}

/* (x >> 11) 2^-53, the generator's uniform, exactly: 1 + (x >> 12) 2^-52
 * from the bits, minus 1, plus 2^-53 when bit 11 of x is set (every step
 * exact), with three integer and two floating-point operations. */
static inline double kx_unit53(uint64_t x)
{
	double hi = kx_bits_to_double(0x3FF0000000000000ULL | (x >> 12)) - 1.0;
	double lo = kx_bits_to_double((0 - ((x >> 11) & 1)) & 0x3CA0000000000000ULL);
	return hi + lo;
}

/* 1 - kx_unit53(x), in (0, 1], exactly: with h = 1 + (x >> 12) 2^-52, it is
 * (2 - h) minus 2^-53 when bit 11 of x is set; 2 - h is exact (Sterbenz) and
 * a positive multiple of 2^-52, so the difference is exact too. */
static inline double kx_one_minus_unit53(uint64_t x)
{
	double h = kx_bits_to_double(0x3FF0000000000000ULL | (x >> 12));
	double lo = kx_bits_to_double((0 - ((x >> 11) & 1)) & 0x3CA0000000000000ULL);
	return (2.0 - h) - lo;
}

static inline double kx_log_pos(double x)
{
	const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
	/* m = x scaled into [sqrt(2)/2, sqrt(2)): shift the exponent field so
	 * that the boundary 0x3fe6a09e (the high word of sqrt(2)/2) moves to
	 * 1.0's, read k, then put the mantissa back above that boundary. */
	uint64_t b = kx_double_to_bits(x) + (0x3ff0000000000000ULL - 0x3fe6a09e00000000ULL);
	uint64_t e = b >> 52;                                  /* k + 1023 */
	double m = kx_bits_to_double((b & 0x000FFFFFFFFFFFFFULL) + 0x3fe6a09e00000000ULL);
	double dk = kx_bits_to_double(0x4330000000000000ULL | e) - (0x1p52 + 1023.0);
	double f = m - 1.0;
	double hfsq = 0.5 * f * f;
	double s = f / (2.0 + f);
	double z = s * s;
	/* R(z) = sum_{j>=1} 2 z^j/(2j+1): z times the minimax polynomial of
	 * degree 6 on [0, 0.0295] (Remez, weighted error below 2.5e-18). */
	double R = 0x1.2f0634a5f7592p-3;
	R = R * z + 0x1.39a1a6f3b88a4p-3;
	R = R * z + 0x1.74663fa24cd53p-3;
	R = R * z + 0x1.c71c520607208p-3;
	R = R * z + 0x1.24924941f4fcap-2;
	R = R * z + 0x1.999999997fd77p-2;
	R = R * z + 0x1.5555555555592p-1;
	R = R * z;
	return s * (hfsq + R) + dk * ln2lo - hfsq + f + dk * ln2hi;
}

/* sin(r0 + r1) and cos(r0 + r1) for |r0| <= pi/4 + tiny, |r1| <= ulp(r0). */
static inline void kx_sincos_kernel(double r0, double r1, double *s, double *c)
{
	double z = r0 * r0, hz = 0.5 * z;
	/* sin r0 = r0 + r0^3 P(z), P the minimax polynomial of degree 5 for
	 * (sin r - r)/r^3 on z in [0, (pi/4)^2] (Remez, error times z below
	 * 3.5e-18), plus the first-order correction r1 cos r0 ~ r1 (1 - z/2). */
	double ps = 0x1.5d9318348533bp-33;
	ps = ps * z - 0x1.ae5e6687f7136p-26;
	ps = ps * z + 0x1.71de357815c9ap-19;
	ps = ps * z - 0x1.a01a019c12028p-13;
	ps = ps * z + 0x1.111111110f87dp-7;
	ps = ps * z - 0x1.5555555555549p-3;
	*s = r0 + ((z * r0) * ps + (r1 - hz * r1));
	/* cos r0 = 1 - z/2 + z^2 Q(z), Q the minimax polynomial of degree 5 for
	 * (cos r - 1 + r^2/2)/r^4 (error times z^2 below 5e-20); the rounding of
	 * w = 1 - z/2 carried separately; the correction -r1 sin r0 ~ -r0 r1. */
	double pc = -0x1.8faeb5e8ae84ep-37;
	pc = pc * z + 0x1.1ee9ec1898246p-29;
	pc = pc * z - 0x1.27e4f80a33b58p-22;
	pc = pc * z + 0x1.a01a019cb216ap-16;
	pc = pc * z - 0x1.6c16c16c15181p-10;
	pc = pc * z + 0x1.555555555554cp-5;
	double w = 1.0 - hz;
	*c = w + (((1.0 - w) - hz) + ((z * z) * pc - r0 * r1));
}

static inline void kx_sincos_2pi(double x, double *sn, double *cs)
{
	/* pi/2 = p1 + p2 + p3: p1 and p2 have 33 significant bits, so k p1 and
	 * k p2 are exact for k < 2^20; x - k p1 is exact (Sterbenz, or k = 0). */
	const double invpio2 = 6.36619772367581382433e-01,
	             p1 = 1.57079632673412561417e+00,
	             p2 = 6.07710050630396597660e-11,
	             p3 = 2.02226624879595063154e-21,
	             shifter = 0x1.8p52;
	double kd = (x * invpio2 + shifter) - shifter;     /* round to nearest, exact */
	uint64_t q = kx_double_to_bits(kd + shifter);      /* low bits: k */
	double t = x - kd * p1;
	double w = kd * p2;
	double r = t - w;
	w = kd * p3 - ((t - r) - w);
	double r0 = r - w;
	double r1 = (r - r0) - w;
	double s, c;
	kx_sincos_kernel(r0, r1, &s, &c);
	/* quadrant k mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s) */
	uint64_t odd = 0 - (q & 1), neg_s = (q & 2) << 62, neg_c = ((q + 1) & 2) << 62;
	uint64_t sb = kx_double_to_bits(s), cb = kx_double_to_bits(c);
	uint64_t xs = (sb & ~odd) | (cb & odd), xc = (cb & ~odd) | (sb & odd);
	*sn = kx_bits_to_double(xs ^ neg_s);
	*cs = kx_bits_to_double(xc ^ neg_c);
}

#endif
