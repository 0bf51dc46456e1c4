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

/* One Box-Muller pair from two raw outputs a (for u1) and b (for u2): the
 * spec's formulas with the toolbox's own log and sincos (vmath.h), so that
 * the scalar and the block generator give the same bits everywhere. */
static inline void box_muller(uint64_t a, uint64_t b, double *first, double *second)
{
	double u1 = 1.0 - kx_unit53(a);           /* in (0, 1]: log is finite */
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

/* out[2p], out[2p+1] = the pair of the outputs of the words w[2p], w[2p+1]
 * (s[1] before each step), p < np: vectorised, the scrambler included. */
KX_CLONES3
static void pairs(const uint64_t *restrict w, double *restrict out, size_t np)
{
	for (size_t p = 0; p < np; p++)
		box_muller(scramble(w[2 * p]), scramble(w[2 * p + 1]), &out[2 * p], &out[2 * p + 1]);
}

void kx_rng_normals(kx_rng *g, double *out, size_t n)
{
	enum { CHUNK = 512 };                          /* pairs per batch */
	uint64_t raw[2 * CHUNK];
	size_t i = 0;
	if (n > 0 && g->has_cached) {
		out[i++] = g->cached;
		g->has_cached = 0;
	}
	uint64_t s0 = g->s[0], s1 = g->s[1], s2 = g->s[2], s3 = g->s[3];
	while (n - i >= 2) {
		size_t np = (n - i) / 2 < CHUNK ? (n - i) / 2 : CHUNK;
		for (size_t p = 0; p < 2 * np; p++) {   /* kx_rng_next's state step */
			uint64_t t = s1 << 17;
			raw[p] = s1;
			s2 ^= s0;
			s3 ^= s1;
			s1 ^= s2;
			s0 ^= s3;
			s2 ^= t;
			s3 = rotl(s3, 45);
		}
		pairs(raw, out + i, np);
		i += 2 * np;
	}
	g->s[0] = s0;
	g->s[1] = s1;
	g->s[2] = s2;
	g->s[3] = s3;
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
