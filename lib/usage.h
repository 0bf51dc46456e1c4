/*
 * usage.h — codebook usage statistics (quantize.md 1.5), shared by fsq-encode
 * and vq-encode.  Counts indices in [0, K) for K up to 2^32: a dense array up
 * to 2^26 codes, an open-addressing hash table above (memory follows the
 * number of distinct codes).
 */
#ifndef KX_USAGE_H
#define KX_USAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct kx_usage {
	uint64_t K;          /* codebook size */
	uint64_t count;      /* indices added */
	uint64_t *dense;     /* K counts when K <= 2^26, else NULL */
	uint64_t *keys;      /* hash table: index + 1 (0 = empty) */
	uint64_t *vals;      /* hash table: counts */
	size_t cap, used;    /* hash table slots, distinct codes */
} kx_usage;

typedef struct kx_usage_stats {
	uint64_t count;      /* N */
	uint64_t used;       /* codes with n_k > 0 */
	double usage;        /* used / K */
	double entropy_bits; /* -sum p log2 p, summed in ascending k; NaN when N = 0 */
	double perplexity;   /* 2^entropy_bits; NaN when N = 0 */
} kx_usage_stats;

int kx_usage_init(kx_usage *u, uint64_t K);      /* 0 ok, -1 out of memory */
int kx_usage_add(kx_usage *u, uint64_t index);   /* index < K; 0 ok, -1 out of memory */
/* Add n counts for one index (merging partial counts). */
int kx_usage_addn(kx_usage *u, uint64_t index, uint64_t n);
uint64_t kx_usage_get(const kx_usage *u, uint64_t index);
void kx_usage_stats_get(const kx_usage *u, kx_usage_stats *st);
void kx_usage_free(kx_usage *u);

#endif
