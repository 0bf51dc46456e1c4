/*
 * vexp.h — exp(z) for z <= 0 (and z = -inf), written so that gcc
 * vectorises loops over it: no branches, no libm call.  Used by the softmax
 * kernels, where z = (x - max)/T <= 0 always.
 *
 * Cody-Waite reduction z = k ln2 + r, |r| <= ln2/2, with ln2 split into a
 * high part whose products with k are exact; exp(r) by the degree-13 Taylor
 * polynomial in Horner form (truncation below 5e-18 relative); 2^k applied
 * as two exact power-of-two factors so that subnormal results round once.
 * Relative error below 4e-16 against the exact exp (unit-tested on 10^6
 * points against long-double expl); exp(-inf) = 0; z < -745.13 gives 0.
 * The same code path runs for every element, so equal inputs give bitwise
 * equal outputs (softmax.md 3.3).
 */
#ifndef KX_VEXP_H
#define KX_VEXP_H

#include <stdint.h>
#include <string.h>

/* Hot loops get an AVX2 version beside the baseline one, chosen at load time
 * (GNU ifunc).  No FMA is enabled and -std=c11 forbids contraction, so both
 * versions give bit-identical results. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
#define KX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KX_CLONES
#endif

static inline double kx_exp_neg(double z)
{
	const double log2e = 1.4426950408889634074, ln2hi = 6.93147180369123816490e-01,
	             ln2lo = 1.90821492927058770002e-10, shifter = 0x1.8p52;
	z = z > -746.0 ? z : -746.0;                   /* -inf and deep underflow: 0 */
	double kd = (z * log2e + shifter) - shifter;   /* k = round(z / ln2), exact */
	double r = (z - kd * ln2hi) - kd * ln2lo;
	double p = 1.0 / 6227020800.0;                 /* 1/13! */
	p = p * r + 1.0 / 479001600.0;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	/* 2^k = 2^k1 2^k2, k1 = round(k/2), both normal for k >= -1077.  The bits of
	 * 2^52 + (k1 + 1023) shifted left by 52 are those of 2^k1: only a 64-bit
	 * shift is integer work, which SSE2 has. */
	double k1 = (kd * 0.5 + shifter) - shifter, k2 = kd - k1;
	double t1 = k1 + (1023.0 + 0x1p52), t2 = k2 + (1023.0 + 0x1p52);
	uint64_t b1, b2;
	memcpy(&b1, &t1, 8);
	memcpy(&b2, &t2, 8);
	b1 <<= 52;
	b2 <<= 52;
	double s1, s2;
	memcpy(&s1, &b1, 8);
	memcpy(&s2, &b2, 8);
	return p * s1 * s2;
}

#endif
