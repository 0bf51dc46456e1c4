/*
 * vexp.h — exp(z) for z <= 0 (and z = -inf), written so that gcc
 * vectorises loops over it: no branches, no libm call, and table lookups
 * that are register permutes.  Used by the softmax kernels, where
 * z = (x - max)/T <= 0 always, and by attn-scale-sweep's objective.
 *
 * Table-driven (Tang's method): z = (16k + j) ln2/16 + r with kd = 16k + j =
 * round(16 z / ln2), |r| <= ln2/32 (+ a hair); ln2/16 split into a high part
 * of 29 significant bits, whose products with kd (|kd| < 2^15) are exact, and
 * a low part.  exp(z) = 2^k 2^(j/16) exp(r): 2^(j/16) from a table of the 16
 * correctly rounded doubles, and its tail (so the table is exact to about
 * 2^-106), exp(r) - 1 = r + q by a polynomial of degree 7 (within 7.6e-20
 * for |r| <= 0.0217), r's rounding error rl (exact) added to q, and
 * m = T + (T r + (T_lo + T q)), 2^k applied as two exact power-of-two factors
 * so that subnormal results round once more only.
 *
 * Accuracy: within about 0.54 ulp (2 10^7 points of [-708, 0] against
 * long-double expl: at most 0.5405 ulp, 0.59% not the correctly rounded
 * double).  The 64-entry table this file had before (gathered, |r| <=
 * ln2/128) gave 0.5166 ulp and 0.18%: with 16 entries |r| is 4 times larger,
 * and the roundings of T r and of the sum, at about 0.04, weigh 4 times
 * more; rl and the split of T p into T r + T q took the first version of
 * this one (T + (T_lo + T p), p by Horner from r (1 + ...)) down from
 * 0.5767 ulp and 0.75%.  exp(-100) is correctly rounded, as softmax.md's
 * log-softmax example needs; relative error below 4e-16 is unit-tested on
 * 10^6 points against long-double expl;
 * exp(0) = 1 exactly, exp(-inf) = 0, z < -746 (and NaN) gives 0.
 *
 * Two forms of the same algorithm: kx_exp_neg (one double) and kx_exp_neg8
 * (8 doubles in a GNU vector, in place), whose 16-entry tables sit in two
 * vector registers each and are looked up with __builtin_shuffle (one
 * vpermt2pd per table on AVX-512; the AVX2 and SSE2 lowerings are longer but
 * exact).  The same operations in the same order for every element, and only
 * correctly rounded ones (no FMA contraction: -std=c11), so equal inputs give
 * bitwise equal outputs (softmax.md 3.3) in either form, on every clone:
 * a loop may do its body with kx_exp_neg8 and its tail with kx_exp_neg.
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

/* 2^(j/16), j = 0..15, correctly rounded, and the tails 2^(j/16) - that,
 * rounded: together exact to about 2^-106 (300-bit mpmath) */
#define KX_EXP2_16A \
	0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0, \
	0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0
#define KX_EXP2_16B \
	0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0, \
	0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0
#define KX_EXP2_16LOA \
	0x0.0p+0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54, \
	0x1.6f46ad23182e4p-55, 0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54
#define KX_EXP2_16LOB \
	-0x1.bdd3413b26456p-54, -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56, \
	0x1.7a1cd345dcc81p-54, 0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54

static const double kx_exp2_16[16] = { KX_EXP2_16A, KX_EXP2_16B };
static const double kx_exp2_16lo[16] = { KX_EXP2_16LOA, KX_EXP2_16LOB };

/* The constants of both forms */
#define KX_EXP_INV     0x1.71547652b82fep+4            /* 16/ln2 */
#define KX_EXP_HI      0x1.62e42feep-5                 /* ln2/16 = HI + LO */
#define KX_EXP_LO      0x1.a39ef35793c76p-37
#define KX_EXP_SHIFT   0x1.8p52                        /* 1.5 2^52 */
#define KX_EXP_SHIFTB  0x4338000000000000ULL           /* its bits */
/* exp(r) - 1 = r + r^2 (1/2 + r (c3 + r (c4 + r (c5 + r (c6 + r c7))))); c3..c7
 * a Chebyshev fit (mpmath chebyfit, 200 bits) to (expm1(r) - r - r^2/2)/r^3
 * on |r| <= 1.001 ln2/32, rounded to double: within 7.6e-20 of expm1 there
 * (the Taylor polynomial of degree 8: 2.9e-21; of degree 7: 1.2e-18).
 * KX_EXP_Q is the part after r, to which the caller adds r's rounding error. */
#define KX_EXP_C3 0x1.5555555555555p-3
#define KX_EXP_C4 0x1.55555555190f9p-5
#define KX_EXP_C5 0x1.11111110f6476p-7
#define KX_EXP_C6 0x1.6c17bbd1f560ap-10
#define KX_EXP_C7 0x1.a01ae0337cb49p-13
#define KX_EXP_Q(r) ((r) * (r) * (0.5 + (r) * (KX_EXP_C3 + (r) * (KX_EXP_C4 + (r) * \
	(KX_EXP_C5 + (r) * (KX_EXP_C6 + (r) * KX_EXP_C7))))))

static inline double kx_exp_neg(double z)
{
	double t = z * KX_EXP_INV + KX_EXP_SHIFT;      /* 1.5 2^52 + kd, kd = round(16z/ln2) */
	double kd = t - KX_EXP_SHIFT;                  /* exact */
	double rh = z - kd * KX_EXP_HI, kl = kd * KX_EXP_LO;   /* rh exact */
	double r = rh - kl, rl = (rh - r) - kl;         /* r + rl = rh - kl, rl exact */
	uint64_t tb;
	memcpy(&tb, &t, 8);
	/* kd + 16*1100 >= 0 (kd >= -17220): j and k + 1100 by logical shifts */
	uint64_t u = tb - KX_EXP_SHIFTB + 16 * 1100;
	double T = kx_exp2_16[u & 15], Tl = kx_exp2_16lo[u & 15];
	double q = rl + KX_EXP_Q(r);                   /* exp(r) - 1 - r, small */
	double m = T + (T * r + (Tl + T * q));         /* 2^(j/16) exp(r), in [0.97, 2) */
	/* 2^k = 2^k1 2^k2, k1 = floor(k/2), both normal for k >= -1077: the
	 * exponent fields (k1 + 1023) << 52, from the biased k + 1100 */
	uint64_t kb = u >> 4;                          /* k + 1100, in [23, 1100] */
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

/* The part of both vector forms up to m = 2^(j/16) exp(r), with u the biased
 * kd of kx_exp_neg.  __builtin_shuffle takes the selector modulo 16, so u
 * itself selects entry j = u mod 16 (on AVX-512 vpermt2pd reads the low 4
 * bits: no mask). */
#define KX_EXP8_M(z, u, m)                                                          \
	const kx_v8d ta_ = { KX_EXP2_16A }, tb_ = { KX_EXP2_16B };  /* entries 0-7, 8-15 */ \
	const kx_v8d la_ = { KX_EXP2_16LOA }, lb_ = { KX_EXP2_16LOB };                  \
	kx_v8d t_ = (z) * KX_EXP_INV + KX_EXP_SHIFT;                                    \
	kx_v8d kd_ = t_ - KX_EXP_SHIFT;                                                 \
	kx_v8d rh_ = (z) - kd_ * KX_EXP_HI, kl_ = kd_ * KX_EXP_LO;                       \
	kx_v8d r_ = rh_ - kl_, rl_ = (rh_ - r_) - kl_;                                  \
	kx_v8u u = (kx_v8u)t_ - KX_EXP_SHIFTB + 16 * 1100;                              \
	kx_v8d T_ = __builtin_shuffle(ta_, tb_, (kx_v8l)u);                             \
	kx_v8d Tl_ = __builtin_shuffle(la_, lb_, (kx_v8l)u);                            \
	kx_v8d q_ = rl_ + KX_EXP_Q(r_);                                                 \
	kx_v8d m = T_ + (T_ * r_ + (Tl_ + T_ * q_))

/* z: (8,) in place, exp(z_l) lane by lane, the bits of kx_exp_neg(z_l).  A
 * pointer, not a vector argument: no vector ABI between clones; always
 * inlined, so that each clone has its own copy. */
__attribute__((always_inline)) static inline void kx_exp_neg8(kx_v8d *zp)
{
	kx_v8d z = *zp;
	KX_EXP8_M(z, u, m);
	kx_v8u kb = u >> 4;
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
	kx_v8u b = ((u >> 4) - 1100 + 1023) << 52;     /* (k + 1023) << 52 */
	*zp = m * (kx_v8d)b;
}

#endif
