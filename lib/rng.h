/*
 * rng.h — the toolbox's one generator (conventions.md section 5):
 * xoshiro256** with its four words filled by four successive splitmix64
 * outputs.  Pure functions over a caller-owned state: no globals.
 */
#ifndef KX_RNG_H
#define KX_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct kx_rng {
	uint64_t s[4];       /* xoshiro256** state words */
	int has_cached;      /* 1 when a second Box-Muller normal is waiting */
	double cached;       /* that normal */
} kx_rng;

/* splitmix64's output function (no increment): mix(0) = 0. */
uint64_t kx_mix64(uint64_t z);
/* Fill the words from splitmix64 started at state x (four outputs, each
 * after x += 0x9E3779B97F4A7C15); clears the cached normal. */
void kx_rng_seed_state(kx_rng *g, uint64_t x);
/* Record k of a run under --seed S: splitmix64 starts at mix(S) + k. */
void kx_rng_seed(kx_rng *g, uint64_t seed, uint64_t k);
uint64_t kx_rng_next(kx_rng *g);
/* (next() >> 11) * 2^-53, in [0, 1). */
double kx_rng_uniform(kx_rng *g);
/* out: (n,) the next n values of kx_rng_uniform, bit for bit, and the same
 * state afterwards (the cached normal untouched). */
void kx_rng_uniforms(kx_rng *g, double *out, size_t n);
/* Box-Muller: u1 = 1 - uniform(), u2 = uniform(), r = sqrt(-2 log u1);
 * r cos(2 pi u2), then the cached r sin(2 pi u2). */
double kx_rng_normal(kx_rng *g);
/* out: (n,) the next n values of kx_rng_normal, bit for bit, and the same
 * state afterwards (cached second value included); vectorised in batches.
 * log and sincos are the toolbox's own (vmath.h, below 1 ulp), identical on
 * every machine. */
void kx_rng_normals(kx_rng *g, double *out, size_t n);
/* Uniform integer in [0, n), n >= 1: Lemire's multiply-and-reject. */
uint64_t kx_rng_below(kx_rng *g, uint64_t n);

#endif
