/* usage.c — codebook usage statistics (quantize.md 1.5). */
#include <math.h>
#include <stdlib.h>
#include "usage.h"

#define DENSE_MAX (1ULL << 26)

int kx_usage_init(kx_usage *u, uint64_t K)
{
	*u = (kx_usage){ .K = K };
	if (K <= DENSE_MAX) {
		u->dense = calloc(K ? K : 1, sizeof *u->dense);
		return u->dense ? 0 : -1;
	}
	u->cap = 1024;
	u->keys = calloc(u->cap, sizeof *u->keys);
	u->vals = calloc(u->cap, sizeof *u->vals);
	return u->keys && u->vals ? 0 : -1;
}

static size_t slot(uint64_t key, size_t cap)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 7) & (cap - 1);
}

static int grow(kx_usage *u)
{
	size_t ncap = u->cap * 2;
	uint64_t *nk = calloc(ncap, sizeof *nk), *nv = calloc(ncap, sizeof *nv);
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (size_t i = 0; i < u->cap; i++) {
		if (!u->keys[i])
			continue;
		size_t j = slot(u->keys[i], ncap);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = u->keys[i];
		nv[j] = u->vals[i];
	}
	free(u->keys);
	free(u->vals);
	u->keys = nk;
	u->vals = nv;
	u->cap = ncap;
	return 0;
}

int kx_usage_addn(kx_usage *u, uint64_t index, uint64_t n)
{
	u->count += n;
	if (u->dense) {
		u->dense[index] += n;
		return 0;
	}
	if (2 * (u->used + 1) > u->cap && grow(u) < 0)
		return -1;
	uint64_t key = index + 1;
	size_t j = slot(key, u->cap);
	while (u->keys[j] && u->keys[j] != key)
		j = (j + 1) & (u->cap - 1);
	if (!u->keys[j]) {
		u->keys[j] = key;
		u->used++;
	}
	u->vals[j] += n;
	return 0;
}

int kx_usage_add(kx_usage *u, uint64_t index) { return kx_usage_addn(u, index, 1); }

uint64_t kx_usage_get(const kx_usage *u, uint64_t index)
{
	if (u->dense)
		return u->dense[index];
	uint64_t key = index + 1;
	size_t j = slot(key, u->cap);
	while (u->keys[j]) {
		if (u->keys[j] == key)
			return u->vals[j];
		j = (j + 1) & (u->cap - 1);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

void kx_usage_stats_get(const kx_usage *u, kx_usage_stats *st)
{
	*st = (kx_usage_stats){ .count = u->count };
	double N = (double)u->count, h = 0;
	if (u->dense) {
		for (uint64_t k = 0; k < u->K; k++) {
			if (!u->dense[k])
				continue;
			st->used++;
			double p = u->dense[k] / N;
			h -= p * log2(p);
		}
	} else {
		/* ascending k: sort the occupied (key, count) pairs by key */
		uint64_t *pairs = malloc(2 * (u->used ? u->used : 1) * sizeof *pairs);
		size_t m = 0;
		for (size_t i = 0; pairs && i < u->cap; i++)
			if (u->keys[i]) {
				pairs[2 * m] = u->keys[i];
				pairs[2 * m + 1] = u->vals[i];
				m++;
			}
		if (pairs)
			qsort(pairs, m, 2 * sizeof *pairs, cmp_u64);
		for (size_t i = 0; i < m; i++) {
			st->used++;
			double p = pairs[2 * i + 1] / N;
			h -= p * log2(p);
		}
		free(pairs);
	}
	st->usage = u->K ? (double)st->used / (double)u->K : 0;
	if (u->count == 0) {
		st->entropy_bits = NAN;
		st->perplexity = NAN;
		return;
	}
	if (!(h > 0))
		h = 0;           /* -0 or a tiny negative prints as 0 */
	st->entropy_bits = h;
	st->perplexity = exp2(h);
}

void kx_usage_free(kx_usage *u)
{
	free(u->dense);
	free(u->keys);
	free(u->vals);
	*u = (kx_usage){ 0 };
}
