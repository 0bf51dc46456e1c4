/*
 * fsq.h — finite scalar quantisation (quantize.md section 1): the bound, the
 * rounding to integer levels ("digits"), the mixed-radix index, decoding,
 * the paper's level presets, and the population entropy of Gaussian latents.
 *
 * Shape alphabet: d = number of dimensions = len(levels); L_i = levels[i];
 * K = prod L_i (the implicit codebook size, <= 2^32).
 *
 * Units: z is the raw latent (any real, +-inf allowed, NaN not); a digit
 * (level) is an integer in [0, L_i - 1]; a code is on the [-1, 1] scale; an
 * index is in [0, K) with dimension 0 the least significant digit.
 *
 * Ownership: kx_fsq_init allocates the tables inside a kx_fsq; kx_fsq_free
 * releases them.  Every other function writes only into arrays the caller
 * owns, and none of them allocates, prints or exits.
 */
#ifndef KX_FSQ_H
#define KX_FSQ_H

#include <stddef.h>
#include <stdint.h>

/* The four bounds of quantize.md 1.2. */
enum { KX_FSQ_ATANH = 0,   /* tanh(z + atanh(offset/half_l)) * half_l - offset, half_l = (L-1)(1+eps)/2 */
       KX_FSQ_PAPER,       /* the same with tan for atanh and (1-eps) (paper App. A.1, Colab) */
       KX_FSQ_CLAMP,       /* clamp(z + offset/half_l, -1, 1) * half_l - offset, (1+eps) */
       KX_FSQ_SYMMETRIC }; /* t = (L-1)(tanh z + 1)/2, digit floor(t + 0.5) */

/* Results of kx_fsq_check / kx_fsq_init. */
enum { KX_FSQ_OK = 0,
       KX_FSQ_EEMPTY = -1,     /* no levels */
       KX_FSQ_ELEVEL = -2,     /* a level < 2 (or > 2^32) */
       KX_FSQ_ETOOBIG = -3,    /* K = prod L_i > 2^32 */
       KX_FSQ_EL2ATANH = -4,   /* a level of 2 with the atanh bound */
       KX_FSQ_EEPS = -5,       /* eps not in (0, 0.1] */
       KX_FSQ_EBOUND = -6,     /* unknown bound */
       KX_FSQ_ENOMEM = -7 };

#define KX_FSQ_MAXK 4294967296ULL   /* 2^32: indices are uint32, like the reference */
#define KX_FSQ_TABLE_MAX 65536      /* levels up to this get a threshold table */

typedef struct kx_fsq {
	size_t d;            /* dimensions */
	int bound;           /* KX_FSQ_* */
	double eps;          /* the bound's eps (unused by symmetric) */
	uint64_t K;          /* prod L_i, <= 2^32 */
	uint64_t *L;         /* (d,) levels (a single level may be 2^32) */
	uint64_t *hw;        /* (d,) floor(L_i / 2), the half width */
	uint64_t *basis;     /* (d,) 1, L_0, L_0 L_1, ...: dimension 0 least significant */
	double *half_l;      /* (d,) the bound's half_l ((L-1)(1+-eps)/2; symmetric: (L-1)/2) */
	double *offset;      /* (d,) 0.5 for even L, 0 for odd (tanh modes) */
	double *shift;       /* (d,) atanh/tan/linear shift (tanh modes), 0 for symmetric */
	double *thr;         /* the reachable thresholds of dimension i at thr + thr_off[i],
	                      * ascending; digit = #{k : z >= thr_k}.  Only for L_i <=
	                      * KX_FSQ_TABLE_MAX; larger levels use the reference arithmetic */
	size_t *thr_off;     /* (d + 1,) offsets into thr */
	unsigned char *tab;  /* (d,) 1 when dimension i has a threshold table */
} kx_fsq;

/* Validate levels (and the L = 2 / atanh combination, eps, bound) without
 * allocating.  Writes K when non-NULL.  Returns KX_FSQ_OK or an error code. */
int kx_fsq_check(const long long *levels, size_t d, int bound, double eps, uint64_t *K);
/* Build the quantiser: basis, bound constants, thresholds (in double).
 * Returns KX_FSQ_OK, an error code of kx_fsq_check, or KX_FSQ_ENOMEM.  On
 * error q holds nothing to free. */
int kx_fsq_init(kx_fsq *q, const long long *levels, size_t d, int bound, double eps);
void kx_fsq_free(kx_fsq *q);

/* The paper's preset for about 2^bits codes (Table 1 and App. A.4.1): bits in
 * {4, 6, 8, 9, 10, 11, 12, 14, 16}.  Returns the levels (a static array) and
 * writes their count to *d, or NULL for any other bits. */
const long long *kx_fsq_preset(int bits, size_t *d);

/* ----- one dimension ----- */

/* The bounded value of dimension i: b(z) for the tanh modes (on the level
 * scale centred at 0: rint(b) is the signed digit r = l - hw), or t(z) for
 * symmetric (on the digit scale 0..L-1).  Not clamped. */
double kx_fsq_bound(const kx_fsq *q, size_t i, double z);
/* Digit of dimension i by the reference arithmetic: rint (tanh modes) or
 * floor(t + 0.5) (symmetric) of the bound, clamped to [0, L_i - 1]. */
uint32_t kx_fsq_digit_ref(const kx_fsq *q, size_t i, double z);
/* Threshold j (j = 0 .. L_i - 2) of dimension i: the z at which the digit
 * steps from j to j + 1 (b(z) = j - hw + 0.5, or t(z) = j + 0.5); -inf when
 * every z is above it, NaN when no z reaches it (paper bound, (L-1) eps >= 1). */
double kx_fsq_threshold(const kx_fsq *q, size_t i, uint64_t j);
/* Digit of dimension i by counting thresholds (no transcendental function).
 * Equal to kx_fsq_digit_ref except within a few ulps of a threshold, where
 * the count rounds up.  Levels above KX_FSQ_TABLE_MAX: kx_fsq_digit_ref. */
uint32_t kx_fsq_digit(const kx_fsq *q, size_t i, double z);
/* Code of a digit: (l - hw)/hw (tanh modes), (2l - (L-1))/(L-1) (symmetric). */
double kx_fsq_code(const kx_fsq *q, size_t i, uint32_t l);
/* Every code value, dimension by dimension: off (d,) gets the offset of
 * dimension i's L_i values in the table returned (sum of L_i doubles, table[
 * off[i] + l] = kx_fsq_code(q, i, l); malloc'd, the caller frees it); NULL
 * when out of memory. */
double *kx_fsq_code_table(const kx_fsq *q, size_t *off);
/* Digit of a code (inverse of kx_fsq_code, rounding before the integer
 * conversion, clamped to [0, L-1]); NaN gives 0. */
uint32_t kx_fsq_code_digit(const kx_fsq *q, size_t i, double code);
/* The "bounded" output field: b(z)/hw (tanh modes), tanh(z) (symmetric). */
double kx_fsq_bounded(const kx_fsq *q, size_t i, double z);

/* ----- whole vectors ----- */

/* Encode one vector.  z: (d,) latents, no NaN.  Outputs, each optional (NULL):
 * level (d,) digits, code (d,), bounded (d,), *index.  Digits by threshold
 * counting (kx_fsq_digit). */
void kx_fsq_encode(const kx_fsq *q, const double *z, uint32_t *level, double *code,
                   double *bounded, uint64_t *index);
/* Index of digits l: (d,) -> sum l_i basis_i (64-bit). */
uint64_t kx_fsq_index(const kx_fsq *q, const uint32_t *l);
/* Decode index < K: digits l (d,) = (index div basis_i) mod L_i, code (d,)
 * (either may be NULL). */
void kx_fsq_decode(const kx_fsq *q, uint64_t index, uint32_t *level, double *code);

/* ----- the raw float32 fast path ----- */

/* Encoding of float32 latents by whole blocks: the thresholds rounded up to
 * float (for a float z, z >= t exactly when z >= the least float >= t, so
 * the digits are those of kx_fsq_digit) and tiled along a chunk of vectors,
 * so that the count is one contiguous compare-and-add loop that vectorises.
 * Built from a kx_fsq whose every dimension has a threshold table with at
 * most KX_FSQ_F32_MAXTHR thresholds; owns its tables and scratch. */
#define KX_FSQ_F32_MAXTHR 64
#define KX_FSQ_F32_CHUNK 256         /* vectors per inner chunk */

typedef struct kx_fsq_f32 {
	size_t d;            /* dimensions */
	size_t nk;           /* thresholds per dimension, padded with NaN (never <=) to a
	                      * multiple of 4 */
	float *thr;          /* (nk, CHUNK d): threshold k of dimension e mod d at [k][e] */
	uint32_t *basis;     /* (d,) */
	uint32_t *cnt;       /* (CHUNK d,) scratch: digits */
} kx_fsq_f32;

/* 0, or -1 when q has a dimension that the fast path does not take (no
 * table, too many thresholds) or memory runs out; then f holds nothing. */
int kx_fsq_f32_init(kx_fsq_f32 *f, const kx_fsq *q);
void kx_fsq_f32_free(kx_fsq_f32 *f);
/* Encode n vectors z (n d floats, row-major): digits into level (n d) and
 * indices into idx (n), either may be NULL.  Returns the position of the
 * first vector holding a NaN (its outputs and those after it are not
 * meaningful), or n when there is none. */
size_t kx_fsq_encode_f32(kx_fsq_f32 *f, const float *z, size_t n, uint32_t *level, uint32_t *idx);

/* ----- statistics ----- */

/* Population entropy (bits) of the FSQ index for z ~ N(0, sigma^2 I), sigma
 * > 0: the digits of independent dimensions are independent, so it is the sum
 * over i of -sum_k P_k log2 P_k with P_k = Phi(z_k / sigma) - Phi(z_{k-1} /
 * sigma) over the thresholds (quantize.md 1.5). */
double kx_fsq_gauss_entropy(const kx_fsq *q, double sigma);

#endif
