/*
 * vq.h — vector quantisation against an explicit codebook (quantize.md 2.1,
 * 2.2): the reference distances (l2, cosine, ip), the N nearest codewords
 * with ties to the lowest index, and the GEMM fast path that filters
 * candidates with a proven margin and re-checks them with the reference
 * arithmetic, so its answers equal the direct loop's bit for bit.
 *
 * Pure functions over arrays: no I/O, no globals, no exit.  Shapes: the
 * codebook C is (K, D) row-major (rows are codewords), a query x is (D,),
 * a batch X is (nx, D).  Distances are double.  The caller owns every array
 * it passes; kx_vq_book owns what kx_vq_book_init allocates (freed by
 * kx_vq_book_free) and borrows C, which must outlive it.
 */
#ifndef KX_VQ_H
#define KX_VQ_H

#include <stddef.h>

enum { KX_VQ_L2 = 0, KX_VQ_COSINE, KX_VQ_IP };

/* How kx_vq_search computes: AUTO picks the float32 GEMM, the float64 GEMM
 * or the direct loop from the value ranges (2.2); the others force a path
 * (F32/F64 still fall back to a wider path when the values are out of that
 * path's range, so every mode stays exact).  For tests and benchmarks. */
enum { KX_VQ_AUTO = 0, KX_VQ_DIRECT, KX_VQ_F32, KX_VQ_F64 };

typedef struct kx_vq_book {
	size_t K, D;         /* K codewords of width D */
	int metric;          /* KX_VQ_L2, COSINE, IP */
	const double *C;     /* (K, D) the codebook as stored; borrowed */
	double *nrm;         /* (K) l2: ||c_k||^2 (sequential sum); ip, cosine: ||c_k|| */
	double *Ch;          /* (K, D) cosine: c_k / max(||c_k||, 1e-12); NULL otherwise */
	float *Cf;           /* (K, D) float32 copy of the GEMM operand, NULL if out of range */
	double smax;         /* l2: max ||c_k||^2; ip: max ||c_k||; cosine: 1 */
	int range;           /* the GEMM operand's range class: KX_VQ_F32, F64 or DIRECT */
} kx_vq_book;

/* Prepare C (K >= 1, D >= 1, finite values) for metric.  0 ok, -1 out of memory. */
int kx_vq_book_init(kx_vq_book *b, const double *C, size_t K, size_t D, int metric);
void kx_vq_book_free(kx_vq_book *b);

/* The reference distance of x (D,) to codeword k (2.1): l2 sum_j (x_j-c_kj)^2;
 * cosine 1 - <x^, c^_k>; ip -<x, c_k>; sums sequential over j = 0..D-1.
 * xh: for cosine, x / max(||x||, 1e-12) (kx_vq_normalise); ignored otherwise. */
double kx_vq_dist(const kx_vq_book *b, const double *x, const double *xh, size_t k);
/* xh (D,) = x / max(||x||, 1e-12), the norm a sequential sum; returns ||x||. */
double kx_vq_normalise(const double *x, size_t D, double *xh);
/* Squared l2 distance of a (D,) and b (D,), sequential: the loss of 2.3. */
double kx_vq_sqdist(const double *a, const double *b, size_t D);

/* The N nearest codewords (1 <= N <= K) of every row of X (nx, D): idx
 * (nx, N) and dist (nx, N), ascending by the reference distance, equal
 * distances by index.  dist may be NULL when no distance is wanted: a query
 * whose GEMM filter leaves one candidate then skips the re-computation
 * (the index is the same).  mode: KX_VQ_AUTO etc.  Works in tiles of
 * queries; memory is one tile of nx' x K fast distances.  0 ok, -1 out of
 * memory. */
int kx_vq_search(const kx_vq_book *b, const double *X, size_t nx, size_t N, int mode,
                 long long *idx, double *dist);

#endif
