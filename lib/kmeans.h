/*
 * kmeans.h — k-means for vq-encode (quantize.md 2.4, 2.5): exact sums
 * (Shewchuk's non-overlapping expansions, the algorithm of Python's
 * math.fsum), the four initialisations drawn from the toolbox generator,
 * Lloyd's loop with the farthest/keep rule for empty codewords, and the
 * pieces of one update that the map (--partial) and merge (--merge) steps
 * share with training, so all three give the same bits.
 *
 * Pure functions over arrays: no I/O, no globals, no exit.  Shapes: X is
 * (N, D) row-major, a codebook C is (K, D).  The caller owns what it passes;
 * each struct owns what its *_init allocates and frees it in *_free.
 */
#ifndef KX_KMEANS_H
#define KX_KMEANS_H

#include <stddef.h>
#include "rng.h"

/* ===== exact sums ===================================================== */

/* One exact sum: a non-overlapping expansion, partials in increasing
 * magnitude; their exact (real) sum is the value. */
typedef struct kx_xcell {
	double *heap;        /* the partials when more than 4, else NULL */
	int n, cap;          /* partials held; capacity of heap */
	double inl[4];       /* the partials while n <= 4 */
} kx_xcell;

typedef struct kx_xsum {
	kx_xcell *c;         /* ncells exact sums, each starting at 0 */
	size_t ncells;
} kx_xsum;

enum { KX_XSUM_OK = 0, KX_XSUM_OVERFLOW = -1, KX_XSUM_NOMEM = -2 };

int kx_xsum_init(kx_xsum *s, size_t ncells);            /* 0, or KX_XSUM_NOMEM */
void kx_xsum_clear(kx_xsum *s);                          /* every cell back to 0 */
void kx_xsum_clear_cell(kx_xsum *s, size_t i);
void kx_xsum_free(kx_xsum *s);
/* Add x (finite) to cell i exactly.  KX_XSUM_OVERFLOW when a partial sum
 * leaves the double range (Python: "intermediate overflow in fsum"). */
int kx_xsum_add(kx_xsum *s, size_t i, double x);
/* The double nearest the exact value of cell i (ties to even), as
 * math.fsum rounds; +-inf when the exact value is beyond the range. */
double kx_xsum_round(const kx_xsum *s, size_t i);
/* The layers of cell i (2.5): out[0] = the rounded value, out[1] the rounded
 * remainder, ... until the remainder is 0; their exact sum is the cell.
 * Returns the number of layers (>= 1, at most max), or KX_XSUM_NOMEM. */
int kx_xsum_layers(const kx_xsum *s, size_t i, double *out, int max);
#define KX_XSUM_MAXLAYERS 48     /* a double expansion never needs more */

/* ===== one Lloyd update's statistics ================================== */

typedef struct kx_km_acc {
	size_t K, D;
	long long *counts;   /* (K) n_k */
	kx_xsum sums;        /* K*D cells: S_kj at cell k*D + j */
	kx_xsum obj;         /* 1 cell: the objective sum_i d2_i */
} kx_km_acc;

int kx_km_acc_init(kx_km_acc *a, size_t K, size_t D);   /* 0, or KX_XSUM_NOMEM */
void kx_km_acc_clear(kx_km_acc *a);
void kx_km_acc_free(kx_km_acc *a);
/* Vector x (D,) assigned to codeword k at squared distance d2. */
int kx_km_acc_add(kx_km_acc *a, const double *x, long long k, double d2);

/* Empty-rule candidates: vectors with d2 > 0, best first = larger d2, then
 * lower row.  kx_km_far keeps the best cap of a stream (a bounded heap),
 * copying their vectors. */
typedef struct kx_km_cand {
	double d2;           /* the vector's squared distance to its codeword */
	long long from;      /* its codeword (the assignment of this update) */
	long long row;       /* order key among equal d2: the row, or read order */
	const double *x;     /* (D,) the vector */
} kx_km_cand;

typedef struct kx_km_far {
	size_t cap, n, D;    /* at most cap candidates of width D */
	kx_km_cand *e;       /* (cap) a heap with the worst kept at e[0]; sorted by kx_km_far_sort */
	double *xs;          /* (cap, D) the vectors: each entry's x is its own row here */
} kx_km_far;

int kx_km_far_init(kx_km_far *f, size_t cap, size_t D);   /* 0, or KX_XSUM_NOMEM */
void kx_km_far_free(kx_km_far *f);
void kx_km_far_push(kx_km_far *f, double d2, long long row, long long from, const double *x);
void kx_km_far_sort(kx_km_far *f);                         /* e[0..n) best first */
/* Sort candidates best first (stable: equal d2 keep their row order). */
void kx_km_cand_sort(kx_km_cand *c, size_t n);

/* The farthest rule of 2.4 on a: visit k = 0..K-1; an empty k takes the
 * next candidate p (cand sorted best first): S_from -= x_p, n_from -= 1,
 * S_k = x_p, n_k = 1.  Stops at the end of the list.  Returns the number
 * of relocations, or KX_XSUM_OVERFLOW / KX_XSUM_NOMEM. */
long kx_km_relocate(kx_km_acc *a, const kx_km_cand *cand, size_t ncand);
/* Cnew_k = fl(fl(S_k) / n_k) where n_k > 0, else Cold_k (Cnew may be Cold).
 * KX_XSUM_OVERFLOW when a rounded sum is infinite. */
int kx_km_centroids(const kx_km_acc *a, const double *Cold, double *Cnew);

/* ===== initialisation and training =================================== */

enum { KX_KM_KMEANSPP = 0, KX_KM_RANDOM, KX_KM_FIRST, KX_KM_MAXIMIN };
enum { KX_KM_FARTHEST = 0, KX_KM_KEEP };

/* C (K, D) := K rows of X (N >= K rows) chosen by method (2.4), drawing from
 * g (kmeans++, random).  0 ok, KX_XSUM_NOMEM. */
int kx_km_init(const double *X, size_t N, size_t D, size_t K, int method, kx_rng *g, double *C);

typedef struct kx_km_run {
	long iters;          /* updates done */
	int converged;       /* 1: stopped at a fixed point */
	double inertia;      /* the last objective */
	double *history;     /* (nhist) objective before each update and at the end; owned */
	size_t nhist;
	long long *assign;   /* (N) the final assignment; owned */
} kx_km_run;

void kx_km_run_free(kx_km_run *r);
/* Called after each assignment step with the objective (for a progress line). */
typedef void (*kx_km_progress_fn)(void *ctx, long it, double obj);
/* Lloyd's algorithm of 2.4 from C (K, D), updated in place, at most iters
 * updates.  0 ok, KX_XSUM_OVERFLOW (an exact sum left the double range),
 * KX_XSUM_NOMEM. */
int kx_km_train(const double *X, size_t N, size_t D, size_t K, double *C, long iters, int empty,
                kx_km_run *run, kx_km_progress_fn cb, void *ctx);

/* ===== EMA codebook updates (2.6, later) ============================= */

/* Online k-means (VQ-VAE appendix, sonnet VectorQuantizerEMA, lucidrains
 * Codebook): EMA counts N_k and sums m_k, starting at N_k = 1, m_k = c_k. */
typedef struct kx_ema {
	size_t K, D;
	double *cnt;         /* (K) N_k */
	double *sum;         /* (K, D) m_k */
} kx_ema;

int kx_ema_init(kx_ema *e, const double *C, size_t K, size_t D);   /* 0, or KX_XSUM_NOMEM */
void kx_ema_free(kx_ema *e);
/* One batch X (n, D) with top-1 codes a (n) and squared errors d2 (n):
 * N_k <- decay N_k + (1-decay) n_k, m_k <- decay m_k + (1-decay) s_k, and
 * C_k = m_k / ((N_k + eps) / (Ntot + K eps) Ntot) (Laplace smoothing).
 * Then, if dead > 0, every k with N_k < dead (ascending k) takes the next
 * batch vector by error (d2 descending, ties lowest row): C_k = x,
 * N_k = dead, m_k = dead x.  C (K, D) is written.  Returns the number of
 * codes replaced, or KX_XSUM_NOMEM. */
long kx_ema_update(kx_ema *e, const double *X, size_t n, const long long *a, const double *d2,
                   double decay, double eps, double dead, double *C);

#endif
