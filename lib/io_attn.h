/*
 * io_attn.h — attn-scale-sweep's input records (attn-scale.md 4.1): q/k
 * objects, score vectors and batches (bare or under a key), with -Infinity
 * for a masked score, gathered into one store of score samples.  An I/O file
 * of the library: it parses records already read (kx.h) into arrays, writes
 * nothing and never exits on bad input (a message in err instead).
 */
#ifndef KX_IO_ATTN_H
#define KX_IO_ATTN_H

#include "kx.h"

/* The samples read so far, and the parse buffers reused across records.
 * Zero-initialise; free with kx_attn_store_free. */
typedef struct kx_attn_store {
	double *s;                 /* all scores, sample after sample */
	size_t ns, scap;
	size_t *off;               /* T + 1 offsets */
	size_t T, ocap;
	int type;                  /* 0 none yet, 1 q/k records, 2 score records */
	size_t n, d;               /* of the first sample */
	int n_varies, d_varies;
	kx_mat q, k, sc;           /* per-record parse buffers */
	double *work;              /* 2d for kx_attn_scores */
	size_t wcap;
} kx_attn_store;

void kx_attn_store_free(kx_attn_store *st);

/* How records are read. */
typedef struct kx_attn_rd_opts {
	long long n_check, d_check;   /* -n, -d: the keys and the width every record must have; 0: any */
	int norm;                     /* KX_ATTN_NORM_*: how q/k records become scores */
	const char *key;              /* the key of score objects ("scores") */
} kx_attn_rd_opts;

/* Add the samples of one record to st: a q/k object (one sample per row of
 * q, its scores against the rows of k by ro->norm), or a score vector or
 * batch (bare, or an object's ro->key), masked scores dropped.  The first
 * record decides the type; n and d are those of the first sample, with
 * n_varies/d_varies set when a later one differs.  0 ok; -1 with a message
 * in err (the messages of attn-scale.md 4.7), st unchanged but for its
 * parse buffers. */
int kx_attn_take_record(kx_attn_store *st, const kx_attn_rd_opts *ro, const kx_rec *rec,
                        char *err, size_t errsz);

#endif
