/*
 * hippo.h — HiPPO state matrices, their discretisations, the scaled-LegS
 * recurrence and the reconstruction bases (hippo.md; Su Jianlin, kexue.fm
 * 10114 and 10137; Gu et al., HiPPO, arXiv:2008.07669).
 *
 * Conventions (hippo.md section 1): A is the matrix *in* x' = Ax + Bu (or
 * x' = (Ax + Bu)/t for scaled LegS); A[n][k] is row n, column k; arrays are
 * row-major doubles; indices start at 0.  N is the state size, P the number of
 * reconstruction points.  r_n = sqrt(2n+1).
 *
 * Pure functions: no I/O, no globals, no exit.  The caller allocates and frees
 * every array; functions that need scratch memory take it as an argument or
 * return -1 when malloc fails.
 */
#ifndef KX_HIPPO_H
#define KX_HIPPO_H

#include <stddef.h>

enum { HIPPO_LEGS, HIPPO_LEGT, HIPPO_LMU, HIPPO_LAGT, HIPPO_FOUT };
enum { HIPPO_ORTHO, HIPPO_SU, HIPPO_NOROOT };            /* state scalings, section 2.1 */
enum { HIPPO_STEP_S4, HIPPO_STEP_PAPER, HIPPO_STEP_MIDPOINT };   /* section 3.3 */
enum { HIPPO_START_HOLD, HIPPO_START_ZERO };

/* A continuous system. */
typedef struct hippo_sys {
	int measure;      /* HIPPO_LEGS ... HIPPO_FOUT */
	int lti;          /* legs only: 1 = used as LTI (S4), 0 = scaled; others are always LTI */
	size_t N;         /* state size >= 1 (even for fout) */
	double theta;     /* window length of legt, lmu, fout (> 0) */
	double beta;      /* lagt: B = beta * 1 (> 0) */
	int norm;         /* HIPPO_ORTHO, or SU / NOROOT for legs and legt */
} hippo_sys;

/* 1 for scaled LegS (x' = (Ax + Bu)/t), 0 for an LTI system. */
int hippo_is_scaled(const hippo_sys *s);

/* A: (N, N), B: (N,): the continuous matrices in the system's normalisation
 * (sections 2.1-2.5, 2.8). */
void hippo_transition(const hippo_sys *s, double *A, double *B);

/* lam: (N,): the rescaling x_ortho = lam * x of the system's normalisation
 * (all ones for ortho and for the measures without --norm).  su: 1/sqrt(2);
 * noroot: 1/r_n. */
void hippo_norm_lambda(const hippo_sys *s, double *lam);

/* ===== LTI discretisation (section 3.1) ===== */

/* Generalised bilinear transform with alpha in [0, 1] (0 forward Euler, 1
 * backward Euler, 1/2 bilinear):
 *   Ad = (I - alpha dt A)^{-1} (I + (1 - alpha) dt A),  Bd = (I - alpha dt A)^{-1} dt B.
 * A: (N, N), B: (N,) in; Ad: (N, N), Bd: (N,) out.  One LU with N + 1
 * right-hand sides (dgesv), no explicit inverse.  0 ok, -1 out of memory,
 * > 0 the matrix I - alpha dt A is singular (LAPACK info). */
int hippo_gbt(size_t N, const double *A, const double *B, double dt, double alpha,
              double *Ad, double *Bd);

/* Zero-order hold: Ad = exp(dt A), Bd = int_0^dt exp(sA) ds B, both read off
 * exp(dt [[A, B], [0, 0]]) (size N + 1; works for singular A, as scipy does).
 * Shapes as hippo_gbt; Ad may alias A and Bd may alias B (in place).  0 ok,
 * -1 out of memory, > 0 LAPACK failure. */
int hippo_zoh(size_t N, const double *A, const double *B, double dt, double *Ad, double *Bd);

/* ===== scaled LegS (sections 3.2-3.4, 4) ===== */

/* The step consuming sample k (0-based) of scaled LegS with a GBT method:
 *   x_k = (I - di A)^{-1} [(I + de A) x_{k-1} + db B u_k].
 * Returns 1 and sets di, de, db for a regular step; returns 0 for the hold
 * start at k = 0, where x_0 = -A^{-1} B u_0 (= u_0 e_0 in ortho).  alpha in
 * [0, 1]; step HIPPO_STEP_*; start HIPPO_START_*.  dt plays no part. */
int hippo_legs_deltas(int step, int start, double alpha, double k, double *di, double *de,
                      double *db);

/* The ZOH step for sample k: h = ln((t0 + 1)/t0) (the log of the ratio of the
 * history lengths after and before the step).  Returns 0 (hold start, k = 0)
 * or 1 with h set. */
int hippo_legs_zoh_h(int start, double k, double *h);

/* O(N) products with the ortho LegS matrix A (section 4).  v, out: (N,); r:
 * (N,) holding sqrt(2n+1).  out may alias v.
 *   hippo_legs_mul:   out = (I + d A) v
 *   hippo_legs_solve: out = (I - d A)^{-1} v   (forward substitution, d >= 0) */
void hippo_legs_mul(size_t N, const double *r, double d, const double *v, double *out);
void hippo_legs_solve(size_t N, const double *r, double d, const double *v, double *out);

/* One GBT step of the ortho LegS state in O(N), matrix-free:
 * x <- (I - di A)^{-1}[(I + de A) x + db B u], B = r.  x, r: (N,). */
void hippo_legs_step(size_t N, const double *r, double di, double de, double db, double u,
                     double *x);

/* The dense pair (G, H) of the step consuming sample k, ortho state:
 * x_k = G x_{k-1} + H u_k.  zoh = 1 for the exact step (an expm of size
 * N + 1; step and alpha are ignored).  G: (N, N), H: (N,).  Hold start at
 * k = 0: G = 0, H = e_0.  0 ok, -1 out of memory, > 0 LAPACK failure. */
int hippo_legs_pair(size_t N, int zoh, int step, int start, double alpha, double k,
                    double *G, double *H);

/* Change of normalisation of a pair: G <- diag(1/lam) G diag(lam), H <- H / lam.
 * G: (N, N) or NULL, H: (N,) or NULL, lam: (N,). */
void hippo_rescale(size_t N, const double *lam, double *G, double *H);

/* The exact ortho LegS state of the held signal u_0 .. u_{L-1} over [0, L)
 * (section 6.3): x_n = r_n sum_j u_j [Q_n(z_{j+1}) - Q_n(z_j)]/2, z_j = 2j/L - 1.
 * u: (L,), x: (N,) out.  O(N L).  -1 if out of memory. */
int hippo_legs_exact(size_t N, size_t L, const double *u, double *x);

/* Q_n(z) = int_{-1}^z P_n for n = 0..N-1 at one z in [-1, 1]: Q_0 = z + 1,
 * Q_n = (P_{n+1} - P_{n-1})/(2n + 1).  q: (N,). */
void hippo_legendre_Q(size_t N, double z, double *q);

/* ===== LegT structure (hippo_legt.c) ===== */

/* O(N) operations with the ortho LegT matrix of window theta.  r, v, out:
 * (N,), out may alias v.
 *   hippo_legt_mul:   out = (I + d A) v
 *   hippo_legt_solve: out = (I - d A)^{-1} v, d >= 0; work: (4N,) scratch;
 *                     0 ok, > 0 LAPACK dgtsv info (a singular system) */
void hippo_legt_mul(size_t N, const double *r, double theta, double d, const double *v,
                    double *out);
int hippo_legt_solve(size_t N, const double *r, double theta, double d, const double *v,
                     double *out, double *work);

/* ===== reconstruction (section 6) ===== */

/* pos: (P,) the grid of reconstruct mode, oldest first (section 6.2): s in
 * (0, 1) for scaled legs, else delays d >= 0 (legs --lti: uniform in e^{-d};
 * legt, lmu, fout: over [0, theta]; lagt: over [0, horizon]). */
void hippo_grid(const hippo_sys *s, size_t P, double horizon, double *pos);

/* W: (P, N): u(pos_j) ~ sum_n W[j][n] x_n, in the system's normalisation
 * (section 6.1).  pos: (P,) as hippo_grid (s for scaled legs, delays d
 * otherwise).  A Laguerre weight whose exponential factor underflows is 0. */
void hippo_basis(const hippo_sys *s, size_t P, const double *pos, double *W);

/* U: (rows, P) = X W^T: the reconstructions of rows states X: (rows, N) with
 * the basis W: (P, N) of hippo_basis (one dgemm). */
void hippo_reconstruct(size_t P, size_t N, const double *W, size_t rows, const double *X,
                       double *U);

/* ===== the online memory (hippo_mem.c) ===== */

/* A memory that consumes one sample at a time.  Scaled LegS, LegS --lti and
 * LegT with a GBT method step in O(N) on the ortho state (section 4); the other
 * LTI systems (and zoh) step with a dense precomputed (Ad, Bd) and dgemv;
 * scaled LegS with zoh computes a new expm per sample. */
typedef struct hippo_mem {
	hippo_sys sys;
	int scaled;             /* scaled LegS */
	int structured;         /* legs --lti or legt with a GBT method: O(N) steps on the ortho state */
	int zoh;                /* exact zero-order-hold steps */
	double dt;              /* LTI step */
	double alpha;           /* GBT alpha (ignored with zoh) */
	int legs_step, legs_start;   /* HIPPO_STEP_*, HIPPO_START_* (scaled LegS) */
	double k;               /* samples consumed so far */
	double *x;              /* (N,) state: ortho when scaled or structured, else the system's normalisation */
	double *Ad, *Bd;        /* (N, N), (N,): dense LTI pair; scaled zoh: the current step's pair */
	double *r, *lam, *tmp;  /* (N,) each: sqrt(2n+1), normalisation, scratch */
	double *work;           /* (4N,) scratch of the LegT solve */
} hippo_mem;

/* Allocate and set up (LTI systems are discretised here, with step dt); the
 * state starts at 0.  0 ok, -1 out of memory, > 0 LAPACK failure.  Free with
 * hippo_mem_free (also after a failed init). */
int hippo_mem_init(hippo_mem *m, const hippo_sys *s, int zoh, double alpha, double dt,
                   int legs_step, int legs_start);
/* Consume sample u (finite).  0 ok, -1 out of memory, > 0 LAPACK failure. */
int hippo_mem_push(hippo_mem *m, double u);
/* out: (N,) the state in the system's normalisation. */
void hippo_mem_state(const hippo_mem *m, double *out);
void hippo_mem_free(hippo_mem *m);

/* The discrete pair of matrices mode, in the system's normalisation: for an LTI
 * system GBT(alpha) or ZOH with step dt; for scaled LegS the pair (G, H) of the
 * step consuming sample K.  Ad: (N, N), Bd: (N,).  0 ok, -1 out of memory,
 * > 0 LAPACK failure. */
int hippo_discrete_pair(const hippo_sys *s, int zoh, double alpha, double dt, int legs_step,
                        int legs_start, double K, double *Ad, double *Bd);

/* Round trip (section 6.3).  pos: (L,) the positions of samples 0..L-1 (s for
 * scaled LegS: (j+1/2)/L, or (j+3/2)/(L+1) with the zero start; delays
 * (L-j-1/2) dt otherwise).  Returns the first compared index: windowed
 * measures (legt, lmu, fout) compare only the samples with d < theta. */
size_t hippo_sample_pos(const hippo_sys *s, int legs_start, double dt, size_t L, double *pos);
/* uhat: (M,) the reconstruction of state x: (N,) at pos: (M,); mse and max_abs
 * against u: (M,) (NaN propagates).  Works in chunks: O(N) extra memory per
 * 256 points.  0 ok, -1 out of memory. */
int hippo_roundtrip(const hippo_sys *s, size_t M, const double *pos, const double *x,
                    const double *u, double *uhat, double *mse, double *max_abs);

#endif
