/*
 * vexp.h — exp(z) for z <= 0 (and z = -inf), written so that gcc
 * vectorises loops over it: no branches, no libm call, and table lookups
 * that are register permutes.  Used by the softmax kernels, where
 * z = (x - max)/T <= 0 always, and by attn-scale-sweep's objective.
 *
 * Table-driven (Tang's method): z = (32k + j) ln2/32 + r with kd = 32k + j =
 * round(32 z / ln2), |r| <= ln2/64 (+ a hair); ln2/32 split into a high part
 * of 29 significant bits, whose products with kd (|kd| < 2^16) are exact, and
 * a low part, so that rh = z - kd HI is exact; r = rh - kd LO rounded, and
 * rl = (rh - r) - kd LO its rounding error (exactly where |rh| >= |kd LO|,
 * to far below an ulp of m elsewhere).  exp(z) = 2^k 2^(j/32) exp(r): 2^(j/32) from a table of the
 * 32 correctly rounded doubles, T, and its tail T_lo (so the table is exact to
 * about 2^-106), exp(r) - 1 = r + q with q = rl + a polynomial (degree 6 in
 * all, within 4.4e-19), m = T + (T r + (T_lo + T q)), 2^k applied as two
 * exact power-of-two factors so that subnormal results round once more only.
 *
 * Accuracy: within about 0.52 ulp (2 10^7 points of [-708, 0] against
 * long-double expl: at most 0.5220 ulp, 0.29% not the correctly rounded
 * double; the 64-entry table this file had before, gathered by scalar loads:
 * 0.5166 ulp, 0.18%; 16 entries, as in two registers: 0.5405 ulp with this
 * evaluation, 0.5767 with T + (T_lo + T p)).  The roundings of T r and of
 * the sums, at |T r| ~ ln2/64, are what costs, not the polynomial.
 * exp(-100) is correctly rounded, as softmax.md's log-softmax example needs;
 * relative error below 4e-16 is unit-tested on 10^6 points against expl;
 * exp(0) = 1 exactly, exp(-inf) = 0, z < -746 (and NaN) gives 0.
 *
 * Two forms of the same algorithm: kx_exp_neg (one double) and kx_exp_neg8
 * (8 doubles in a GNU vector, in place), whose 32-entry tables sit in four
 * vector registers each and are looked up with __builtin_shuffle and a
 * select (two vpermt2pd and a masked move per table on AVX-512; the AVX2 and
 * SSE2 lowerings are longer but exact).  The same operations in the same
 * order for every element, and only correctly rounded ones (no FMA
 * contraction: -std=c11), so equal inputs give bitwise equal outputs
 * (softmax.md 3.3) in either form, on every clone: a loop may do its body
 * with kx_exp_neg8 and its tail with kx_exp_neg.
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

/* 2^(j/32), j = 0..31, correctly rounded, and the tails 2^(j/32) - that,
 * rounded: together exact to about 2^-106 (300-bit mpmath); in groups of 8,
 * one vector register each */
#define KX_EXP2_32A \
	0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0, \
	0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0
#define KX_EXP2_32B \
	0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0, \
	0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0
#define KX_EXP2_32C \
	0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0, \
	0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0
#define KX_EXP2_32D \
	0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0, \
	0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0
#define KX_EXP2_32LOA \
	0x0.0p+0, 0x1.d73e2a475b465p-55, 0x1.8a62e4adc610bp-54, -0x1.6c51039449b3ap-54, \
	-0x1.19041b9d78a76p-55, 0x1.e016e00a2643cp-54, 0x1.9b07eb6c70573p-54, 0x1.612e8afad1255p-55
#define KX_EXP2_32LOB \
	0x1.6f46ad23182e4p-55, -0x1.63aeabf42eae2p-54, 0x1.ada0911f09ebcp-55, 0x1.89b7a04ef80d0p-59, \
	0x1.d4397afec42e2p-56, -0x1.07abe1db13cadp-55, 0x1.6324c054647adp-54, -0x1.383c17e40b497p-54
#define KX_EXP2_32LOC \
	-0x1.bdd3413b26456p-54, -0x1.16e4786887a99p-55, -0x1.41577ee04992fp-55, -0x1.d4c1dd41532d8p-54, \
	0x1.6e9f156864b27p-54, -0x1.75fc781b57ebcp-57, 0x1.c7c46b071f2bep-56, -0x1.d2f6edb8d41e1p-54
#define KX_EXP2_32LOD \
	0x1.7a1cd345dcc81p-54, -0x1.5584f7e54ac3bp-56, 0x1.11065895048ddp-55, 0x1.503cbd1e949dbp-56, \
	0x1.2ed02d75b3707p-55, -0x1.1a5cd4f184b5cp-54, -0x1.e9c23179c2893p-54, 0x1.9d3e12dd8a18bp-54

static const double kx_exp2_32[32] = { KX_EXP2_32A, KX_EXP2_32B, KX_EXP2_32C, KX_EXP2_32D };
static const double kx_exp2_32lo[32] = { KX_EXP2_32LOA, KX_EXP2_32LOB, KX_EXP2_32LOC,
                                         KX_EXP2_32LOD };

/* The constants of both forms */
#define KX_EXP_INV     0x1.71547652b82fep+5            /* 32/ln2 */
#define KX_EXP_HI      0x1.62e42feep-6                 /* ln2/32 = HI + LO */
#define KX_EXP_LO      0x1.a39ef35793c76p-38
#define KX_EXP_SHIFT   0x1.8p52                        /* 1.5 2^52 */
#define KX_EXP_SHIFTB  0x4338000000000000ULL           /* its bits */
/* exp(r) - 1 = r + r^2 (1/2 + r (c3 + r (c4 + r (c5 + r c6)))); c3..c6 a
 * Chebyshev fit (mpmath chebyfit, 200 bits) to (expm1(r) - r - r^2/2)/r^3 on
 * |r| <= 1.001 ln2/64, rounded to double: within 4.4e-19 of expm1 there
 * (2^-61).  KX_EXP_Q is the part after r, to which the caller adds r's
 * rounding error. */
#define KX_EXP_C3 0x1.555555555251ep-3
#define KX_EXP_C4 0x1.5555555553d39p-5
#define KX_EXP_C5 0x1.111143256455bp-7
#define KX_EXP_C6 0x1.6c16f38069160p-10
#define KX_EXP_Q(r) ((r) * (r) * (0.5 + (r) * (KX_EXP_C3 + (r) * (KX_EXP_C4 + (r) * \
	(KX_EXP_C5 + (r) * KX_EXP_C6)))))

static inline double kx_exp_neg(double z)
{
	double t = z * KX_EXP_INV + KX_EXP_SHIFT;      /* 1.5 2^52 + kd, kd = round(16z/ln2) */
	double kd = t - KX_EXP_SHIFT;                  /* exact */
	double rh = z - kd * KX_EXP_HI, kl = kd * KX_EXP_LO;   /* rh exact */
	double r = rh - kl, rl = (rh - r) - kl;         /* rl: r's rounding error */
	uint64_t tb;
	memcpy(&tb, &t, 8);
	/* kd + 32*1100 >= 0 (kd >= -34440): j and k + 1100 by logical shifts */
	uint64_t u = tb - KX_EXP_SHIFTB + 32 * 1100;
	double T = kx_exp2_32[u & 31], Tl = kx_exp2_32lo[u & 31];
	double q = rl + KX_EXP_Q(r);                   /* exp(r) - 1 - r, small */
	double m = T + (T * r + (Tl + T * q));         /* 2^(j/32) exp(r), in [0.98, 2) */
	/* 2^k = 2^k1 2^k2, k1 = floor(k/2), both normal for k >= -1077: the
	 * exponent fields (k1 + 1023) << 52, from the biased k + 1100 */
	uint64_t kb = u >> 5;                          /* k + 1100, in [23, 1100] */
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

/* 8 doubles side by side: one AVX-512 register, two AVX2, four SSE2 ones */
typedef double kx_v8d __attribute__((vector_size(64)));
typedef long long kx_v8l __attribute__((vector_size(64)));
typedef unsigned long long kx_v8u __attribute__((vector_size(64)));

/* The part of both vector forms up to m = 2^(j/32) exp(r), with u the biased
 * kd of kx_exp_neg.  __builtin_shuffle takes the selector modulo 16, so u
 * itself selects entry u mod 16 of the pair of registers (on AVX-512
 * vpermt2pd reads the low 4 bits: no mask), and bit 4 of u picks the pair. */
#define KX_EXP8_M(z, u, m)                                                          \
	const kx_v8d ta_ = { KX_EXP2_32A }, tb_ = { KX_EXP2_32B };  /* entries 0-15 */   \
	const kx_v8d tc_ = { KX_EXP2_32C }, td_ = { KX_EXP2_32D };  /* entries 16-31 */  \
	const kx_v8d la_ = { KX_EXP2_32LOA }, lb_ = { KX_EXP2_32LOB };                  \
	const kx_v8d lc_ = { KX_EXP2_32LOC }, ld_ = { KX_EXP2_32LOD };                  \
	kx_v8d t_ = (z) * KX_EXP_INV + KX_EXP_SHIFT;                                    \
	kx_v8d kd_ = t_ - KX_EXP_SHIFT;                                                 \
	kx_v8d rh_ = (z) - kd_ * KX_EXP_HI, kl_ = kd_ * KX_EXP_LO;                       \
	kx_v8d r_ = rh_ - kl_, rl_ = (rh_ - r_) - kl_;                                  \
	kx_v8u u = (kx_v8u)t_ - KX_EXP_SHIFTB + 32 * 1100;                              \
	kx_v8l hi_ = (kx_v8l)((u & 16) != 0);          /* all ones for j >= 16 */     \
	kx_v8l T0_ = (kx_v8l)__builtin_shuffle(ta_, tb_, (kx_v8l)u);                   \
	kx_v8l T1_ = (kx_v8l)__builtin_shuffle(tc_, td_, (kx_v8l)u);                   \
	kx_v8l L0_ = (kx_v8l)__builtin_shuffle(la_, lb_, (kx_v8l)u);                   \
	kx_v8l L1_ = (kx_v8l)__builtin_shuffle(lc_, ld_, (kx_v8l)u);                   \
	kx_v8d T_ = (kx_v8d)((T1_ & hi_) | (T0_ & ~hi_));                               \
	kx_v8d Tl_ = (kx_v8d)((L1_ & hi_) | (L0_ & ~hi_));                              \
	kx_v8d q_ = rl_ + KX_EXP_Q(r_);                                                 \
	kx_v8d m = T_ + (T_ * r_ + (Tl_ + T_ * q_))

/* z: (8,) in place, exp(z_l) lane by lane, the bits of kx_exp_neg(z_l).  A
 * pointer, not a vector argument: no vector ABI between clones; always
 * inlined, so that each clone has its own copy. */
__attribute__((always_inline)) static inline void kx_exp_neg8(kx_v8d *zp)
{
	kx_v8d z = *zp;
	KX_EXP8_M(z, u, m);
	kx_v8u kb = u >> 5;
	kx_v8u k1b = (kb + 1100) >> 1;
	kx_v8u b1 = (k1b - 1100 + 1023) << 52, b2 = (kb - k1b + 1023) << 52;
	kx_v8d y = m * (kx_v8d)b1 * (kx_v8d)b2;
	*zp = (kx_v8d)((kx_v8l)y & (z > -746.0));    /* -inf, deep underflow, NaN: +0 */
}

/* The same where every z_l >= -708 (so k >= -1022): 2^k is a normal double,
 * and m 2^k is one rounding of the same product that m 2^k1 (exact) times
 * 2^k2 rounds once, so one factor gives the same bits, and no lane needs the
 * select.  Callers check the bound (a min over the row) and else call
 * kx_exp_neg8. */
__attribute__((always_inline)) static inline void kx_exp_neg8_708(kx_v8d *zp)
{
	kx_v8d z = *zp;
	KX_EXP8_M(z, u, m);
	kx_v8u b = ((u >> 5) - 1100 + 1023) << 52;     /* (k + 1023) << 52 */
	*zp = m * (kx_v8d)b;
}

#endif
