/* rng.c — xoshiro256** seeded by splitmix64 (conventions.md section 5). */
#include <math.h>
#include "rng.h"
#include "vmath.h"

#define GOLDEN 0x9E3779B97F4A7C15ULL

uint64_t kx_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void kx_rng_seed_state(kx_rng *g, uint64_t x)
{
	for (int i = 0; i < 4; i++) {
		x += GOLDEN;
		g->s[i] = kx_mix64(x);
	}
	g->has_cached = 0;
	g->cached = 0;
}

void kx_rng_seed(kx_rng *g, uint64_t seed, uint64_t k)
{
	kx_rng_seed_state(g, kx_mix64(seed) + k);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**'s output function of the word s[1]. */
static inline uint64_t scramble(uint64_t s1)
{
	return rotl(s1 * 5, 7) * 9;
}

uint64_t kx_rng_next(kx_rng *g)
{
	uint64_t *s = g->s;
	uint64_t result = scramble(s[1]);
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double kx_rng_uniform(kx_rng *g)
{
	return (double)(kx_rng_next(g) >> 11) * 0x1.0p-53;
}

void kx_rng_uniforms(kx_rng *g, double *out, size_t n)
{
	uint64_t s0 = g->s[0], s1 = g->s[1], s2 = g->s[2], s3 = g->s[3];
	for (size_t i = 0; i < n; i++) {           /* kx_rng_next, inlined */
		uint64_t result = scramble(s1);
		uint64_t t = s1 << 17;
		s2 ^= s0;
		s3 ^= s1;
		s1 ^= s2;
		s0 ^= s3;
		s2 ^= t;
		s3 = rotl(s3, 45);
		out[i] = (double)(result >> 11) * 0x1.0p-53;
	}
	g->s[0] = s0;
	g->s[1] = s1;
	g->s[2] = s2;
	g->s[3] = s3;
}

/* One Box-Muller pair from two raw outputs a (for u1) and b (for u2): the
 * spec's formulas with the toolbox's own log and sincos (vmath.h), so that
 * the scalar and the block generator give the same bits everywhere. */
static inline void box_muller(uint64_t a, uint64_t b, double *first, double *second)
{
	double u1 = kx_one_minus_unit53(a);       /* 1 - uniform, in (0, 1]: log is finite */
	double u2 = kx_unit53(b);
	double r = sqrt(-2.0 * kx_log_pos(u1));
	double th = 6.283185307179586 * u2;            /* 2.0*M_PI times u2, one rounding */
	double s, c;
	kx_sincos_2pi(th, &s, &c);
	*first = r * c;
	*second = r * s;
}

double kx_rng_normal(kx_rng *g)
{
	if (g->has_cached) {
		g->has_cached = 0;
		return g->cached;
	}
	uint64_t a = kx_rng_next(g);
	uint64_t b = kx_rng_next(g);
	double first;
	box_muller(a, b, &first, &g->cached);
	g->has_cached = 1;
	return first;
}

/* xoshiro256**'s state step on the words in registers: w gets s[1] (the
 * word the output is scrambled from), then the state moves on. */
#define KX_STEP(w) do {                                                  \
		uint64_t t_ = s1 << 17;                                      \
		(w) = s1;                                                    \
		s2 ^= s0;                                                    \
		s3 ^= s1;                                                    \
		s1 ^= s2;                                                    \
		s0 ^= s3;                                                    \
		s2 ^= t_;                                                    \
		s3 = rotl(s3, 45);                                           \
	} while (0)

/* out: (G ng,) the normals of the next G ng raw outputs of the state st (G/2
 * pairs a group).  The state step is a sequential chain of integer
 * operations, the pair transform independent vector work (one AVX-512
 * iteration a group): they are interleaved a group at a time, the words
 * produced LAG groups ahead into a small ring, so that the core runs the
 * chain of a later group beside the transform of this one and loads no word
 * still in the store buffer.  In a group's slot the words of the u1s (even
 * steps) come first, those of the u2s (odd steps) second: the transform
 * loads them without shuffles.  Each pair is box_muller of its two words,
 * as in kx_rng_normal.  LAG = 2 (one group's transform between a word's
 * store and its load) is the shortest that keeps clear of the store buffer
 * (LAG = 1 measured 3.8 ns a normal); the LAG groups before the first
 * transform run the chain alone, so a short call pays less for a short lag:
 * 2.30-2.36 against 2.44-2.52 ns a normal at 512 a call (sid-step's), 2.42
 * against 2.64-2.72 at 256, the same 2.2-2.3 at 4096 as LAG = 8. */
enum { G = 16, LAG = 2 };                     /* words per group, groups ahead */

KX_CLONES3
static void groups(uint64_t *restrict st, double *restrict out, size_t ng)
{
	uint64_t ring[LAG * G];
	uint64_t s0 = st[0], s1 = st[1], s2 = st[2], s3 = st[3];
	size_t pre = ng < LAG ? ng : LAG;
	for (size_t j = 0; j < pre * G; j++)
		KX_STEP(ring[j / G * G + j % 2 * (G / 2) + j % G / 2]);
	for (size_t g = 0; g < ng; g++) {
		uint64_t *restrict w = ring + (g % LAG) * G;
		double *restrict o = out + g * G;
		for (int p = 0; p < G / 2; p++)
			box_muller(scramble(w[p]), scramble(w[G / 2 + p]), &o[2 * p], &o[2 * p + 1]);
		if (g + LAG < ng)
			for (int j = 0; j < G; j++)
				KX_STEP(w[j % 2 * (G / 2) + j / 2]);
	}
	st[0] = s0;
	st[1] = s1;
	st[2] = s2;
	st[3] = s3;
}

void kx_rng_normals(kx_rng *g, double *out, size_t n)
{
	size_t i = 0;
	if (n > 0 && g->has_cached) {
		out[i++] = g->cached;
		g->has_cached = 0;
	}
	size_t ng = (n - i) / G;
	groups(g->s, out + i, ng);
	i += G * ng;
	while (n - i >= 2) {                           /* fewer than G/2 pairs left */
		uint64_t a = kx_rng_next(g);
		uint64_t b = kx_rng_next(g);
		box_muller(a, b, &out[i], &out[i + 1]);
		i += 2;
	}
	if (i < n)
		out[i] = kx_rng_normal(g);             /* the second value stays cached */
}

/* The 128-bit product x * n as (hi, lo), in ISO C. */
static void mul128(uint64_t x, uint64_t n, uint64_t *hi, uint64_t *lo)
{
	uint64_t xl = x & 0xffffffffu, xh = x >> 32, nl = n & 0xffffffffu, nh = n >> 32;
	uint64_t ll = xl * nl, lh = xl * nh, hl = xh * nl, hh = xh * nh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	*lo = (mid << 32) | (ll & 0xffffffffu);
	*hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

uint64_t kx_rng_below(kx_rng *g, uint64_t n)
{
	/* Lemire, "Fast random integer generation in an interval" (2019). */
	uint64_t hi, lo;
	mul128(kx_rng_next(g), n, &hi, &lo);
	if (lo < n) {
		uint64_t t = (0 - n) % n;
		while (lo < t)
			mul128(kx_rng_next(g), n, &hi, &lo);
	}
	return hi;
}
