/*
 * vexp.h — exp(z) for z <= 0 (and z = -inf), written so that gcc
 * vectorises loops over it: no branches, no libm call.  Used by the softmax
 * kernels, where z = (x - max)/T <= 0 always.
 *
 * Table-driven (Tang's method): z = (64k + j) ln2/64 + r with kd = 64k + j =
 * round(64 z / ln2), |r| <= ln2/128; ln2/64 split into a high part of 33
 * bits, whose products with kd (|kd| < 2^17) are exact, and a low part.
 * exp(z) = 2^k 2^(j/64) exp(r): 2^(j/64) from a table of the 64 correctly
 * rounded doubles, exp(r) - 1 by the degree-5 Taylor polynomial (truncation
 * below 3.5e-17 relative for |r| <= 0.0055), 2^k applied as two exact
 * power-of-two factors so that subnormal results round once more only.
 * Relative error below 4e-16 against the exact exp (unit-tested on 10^6
 * points against long-double expl); exp(0) = 1 exactly, exp(-inf) = 0,
 * z < -745.13 gives 0.  The same code path runs for every element, and only
 * correctly rounded operations (no FMA contraction: -std=c11), so equal
 * inputs give bitwise equal outputs (softmax.md 3.3) on every clone.
 */
#ifndef KX_VEXP_H
#define KX_VEXP_H

#include <stdint.h>
#include <string.h>

/* Hot loops get AVX-512 and AVX2 versions beside the baseline one, chosen at
 * load time (GNU ifunc; under valgrind, which reports no AVX-512, the AVX2
 * one).  No FMA is enabled and -std=c11 forbids contraction, and the kernels
 * fix their summation order in source, so all versions give bit-identical
 * results. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(KX_NO_CLONES)
#define KX_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KX_CLONES
#endif

/* 2^(j/64), j = 0..63, correctly rounded (60-digit decimal arithmetic) */
static const double kx_exp2_64[64] = {
	0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
	0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
	0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
	0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
	0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
	0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
	0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
	0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
	0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
	0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
	0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
	0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
	0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
	0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
	0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
	0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
};

static inline double kx_exp_neg(double z)
{
	const double inv = 0x1.71547652b82fep+6,                /* 64/ln2 */
	             hi = 0x1.62e42feep-7, lo = 0x1.a39ef35793c76p-39,  /* ln2/64 = hi + lo */
	             shifter = 0x1.8p52;
	double t = z * inv + shifter;                  /* 1.5 2^52 + kd, kd = round(64z/ln2) */
	double kd = t - shifter;                       /* exact */
	double r = (z - kd * hi) - kd * lo;
	uint64_t tb, sb;
	memcpy(&tb, &t, 8);
	memcpy(&sb, &shifter, 8);
	/* kd + 64*1100 >= 0 (kd >= -68877): j and k + 1100 by logical shifts */
	uint64_t u = tb - sb + 64 * 1100;
	double T = kx_exp2_64[u & 63];
	double p = r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))));
	double m = T + T * p;                          /* 2^(j/64) exp(r), in [1, 2.02) */
	/* 2^k = 2^k1 2^k2, k1 = floor(k/2), both normal for k >= -1077: the
	 * exponent fields (k1 + 1023) << 52, from the biased k + 1100 */
	uint64_t kb = u >> 6;                          /* k + 1100, in [23, 1100] */
	uint64_t k1b = (kb + 1100) >> 1;               /* k1 + 1100 = floor((k + 2200)/2) */
	uint64_t b1 = (k1b - 1100 + 1023) << 52, b2 = (kb - k1b + 1023) << 52;
	/* (z below -746, -inf or NaN made garbage of the above, unsigned and
	 * with an index that stays in the table; the select drops it.  A clamp
	 * of z instead lets gcc split the path and not vectorise.) */
	double s1, s2;
	memcpy(&s1, &b1, 8);
	memcpy(&s2, &b2, 8);
	return z > -746.0 ? m * s1 * s2 : 0.0;       /* -inf, deep underflow: 0 */
}

#endif
