/*
 * io_vq.h — the JSON pieces of vq-encode that are not records: summary
 * objects built key by key (quantize.md 4.2), and the k-means partial
 * object of 2.5, written by --partial and read back by --merge with every
 * number exact.  An I/O file of the library: it uses kx.h (and cJSON).
 */
#ifndef KX_IO_VQ_H
#define KX_IO_VQ_H

#include "kx.h"
#include "kmeans.h"
#include "usage.h"

/* ----- summary objects: kx_sum_open, keys in order, kx_sum_close ----- */
void kx_sum_open(kx_buf *b);                            /* b := "{" */
void kx_sum_key(kx_buf *b, const char *k);              /* [,]"k": */
void kx_sum_num(kx_buf *b, const char *k, double v);    /* shortest round trip; NaN: null; inf: "Infinity" */
void kx_sum_int(kx_buf *b, const char *k, long long v);
void kx_sum_usage(kx_buf *b, const kx_usage *u);        /* used, usage, entropy_bits, perplexity */
void kx_sum_vec(kx_buf *b, const char *k, const double *v, size_t n);   /* an array of numbers */
void kx_sum_close(kx_buf *b);                           /* "}\n" */

/* ----- codebook files ----- */

/* Load a K x D codebook (conventions 1: .npy, JSON, JSON Lines, raw with
 * dim; a 1-D file is K codewords of width 1) into a.  Checks: at most 2-D,
 * not empty, every value finite, dim (when nonzero) equal to D.  0 ok; -1
 * with a message (no path). */
int kx_load_codebook(const char *path, size_t dim, kx_array *a, size_t *K, size_t *D, char *err,
                     size_t errsz);

/* ----- assign results ----- */

enum { KX_VQ_F_INDEX = 0, KX_VQ_F_DIST, KX_VQ_F_QUANT };   /* fields "index", "dist", "quantized" */

/* The fields (fields[0..nf), KX_VQ_F_*) of one assign record into res, in
 * the shapes of quantize.md 4: R rows (B: a batch record) of N neighbours,
 * ix and ds (R, N), qu (R, N, D) or NULL.  A batch with N > 1 nests three
 * levels of JSON, built in jb (which must live until kx_write). */
void kx_vq_assign_result(const kx_out *o, kx_result *res, kx_buf *jb, const int *fields, int nf,
                         const long long *ix, const double *ds, const double *qu, size_t R,
                         size_t N, size_t D, int B);

/* ----- vectors of a record ----- */

/* The vectors of a record (a vector, a batch, a bare number, or an object
 * holding either under key, parsed into tmp): *v (rows, *D) contiguous,
 * *batch for an array of arrays.  *D = 0 adopts the first vector's width.
 * Every vector must have *D values, all finite.  0 ok; -1 with a message. */
int kx_rec_vectors(const kx_rec *in, const char *key, kx_mat *tmp, size_t *D, const double **v,
                   size_t *rows, int *batch, char *err, size_t errsz);

/* ----- matrix fields of object records ----- */

/* The field key of an object record as a matrix m (an array of rows): not
 * empty, not ragged, every number finite; *cols its width.  0 ok; 1 absent
 * and not required; -1 with a message ("missing \"q\"", "... is ragged"). */
int kx_rec_matrix(const kx_rec *in, const char *key, int required, kx_mat *m, size_t *cols,
                  char *err, size_t errsz);

/* ----- the partial object ----- */

/* Append the object of 2.5 (keys k, dim, n, counts, sums, inertia, far) and
 * a newline to b: acc the shard's statistics, far its best candidates
 * (sorted here), written only when some codeword has no vector.  Numbers
 * through o's formatter (shortest round trip). */
void kx_partial_write(const kx_out *o, kx_buf *b, const kx_km_acc *acc, kx_km_far *far,
                      long long n);

/* Candidates gathered over many partials; own their vectors. */
typedef struct kx_partial_cands {
	kx_km_cand *c;       /* (n) in the order read, until kx_partial_cands_sort */
	double *xs;          /* (n, D) their vectors */
	size_t n, cap, D;
} kx_partial_cands;

/* Add one parsed partial object p to acc (counts, sum layers, inertia, all
 * exactly) and its far list to pc; *n += its vector count.  0 ok; -1 with
 * a message (not a partial object, k/dim not acc's, malformed, or an exact
 * sum overflowing). */
int kx_partial_read(const struct cJSON *p, kx_km_acc *acc, kx_partial_cands *pc, long long *n,
                    char *err, size_t errsz);
/* Point the candidates at their vectors and sort them best first (stable). */
void kx_partial_cands_sort(kx_partial_cands *pc);
void kx_partial_cands_free(kx_partial_cands *pc);

#endif
