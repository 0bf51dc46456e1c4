/*
 * sid.h — Score identity Distillation (SiD) on an analytic toy (sid.md §4, §5).
 *
 * Teacher, generator and fake (student-score) denoiser are diagonal Gaussians
 * in D coordinates, so every denoiser, loss and gradient is closed form:
 *   data      x0 ~ N(mu, tau^2)         f_phi(x, sig) = mu + a (x - mu),  a = tau^2/(tau^2 + sig^2)
 *   generator x_g = m + s z             (theta = (m, s); s may be <= 0)
 *   fake      f_psi(x, sig) = m_f + c (x - m_f),  c = v/(v + sig^2),  v = exp(2u)  (psi = (m_f, u))
 * One iteration (sid_iterate) is one fake-score step (or the exact psi*(theta))
 * followed by one generator step, drawing from the caller's kx_rng in the
 * order of sid.md §5.3.
 *
 * Shapes: D = dim (coordinates), B = batch (samples).  Vectors are (D,),
 * batches (B, D) row-major (all D values of sample 0, then sample 1, ...).
 * Pure functions over caller-owned arrays: no I/O, no globals, no exit.
 * Ownership: sid_state_alloc allocates the state's vectors in one block, freed
 * by sid_state_free; every other function only borrows its arguments.
 */
#ifndef KX_SID_H
#define KX_SID_H

#include <stddef.h>
#include <stdint.h>
#include "rng.h"

enum { SID_LOSS_SID = 0, SID_LOSS_L1 };          /* L2 - alpha L1, or the naive L1 */
enum { SID_WEIGHT_DMD = 0, SID_WEIGHT_NONE };    /* 1/max(mean|x_g - f_phi|, floor), or 1 */
enum { SID_OPT_ADAM = 0, SID_OPT_SGD };          /* for both networks */
enum { SID_FAKE_SGD = 0, SID_FAKE_EXACT };       /* learned psi, or psi = psi*(theta) */

/* The settings of sid.md §6.3 (the state's "config"), in its key order. */
typedef struct sid_config {
	double alpha;            /* weight of -L1 in the sid loss */
	int loss;                /* SID_LOSS_* */
	int weight;              /* SID_WEIGHT_* */
	double lr, fake_lr;      /* learning rates of generator and fake score, >= 0 */
	int optimizer;           /* SID_OPT_* */
	double beta1, beta2;     /* Adam betas, in [0, 1) */
	double eps;              /* Adam eps, >= 0 */
	long long batch;         /* B >= 1 */
	long long fake_steps;    /* fake updates per iteration, >= 0 */
	int fake_mode;           /* SID_FAKE_* */
	double sigma_min, sigma_max, rho;  /* Karras ramp of the generator loss */
	long long tmax;          /* t ~ U[0, tmax/1000), 0..1000 */
	double p_mean, p_std;    /* log-normal sigma of the fake loss */
	double sigma_data;       /* sigma_d of the EDM weight lambda(sigma) */
	double weight_floor;     /* clip of the dmd weight's denominator, > 0 */
} sid_config;

/* The defaults of sid.md §6.3 (the paper's, with lr = fake_lr = 1e-2). */
void sid_config_default(sid_config *c);

/* Adam moments of one network: one counter, two parameter vectors a and b
 * (generator: a = mean, b = scale; fake: a = mean, b = logstd). */
typedef struct sid_adam {
	long long t;             /* Adam steps taken */
	double *m_a, *v_a;       /* (D,) first and second moments of vector a */
	double *m_b, *v_b;       /* (D,) of vector b */
} sid_adam;

/* The whole training state (sid.md §5.1). */
typedef struct sid_state {
	size_t dim;              /* D >= 1 */
	long long step;          /* iterations done */
	kx_rng rng;              /* the generator, words and cached normal */
	sid_config cfg;
	double *data_mean, *data_std;     /* (D,) mu and tau > 0 */
	double *gen_mean, *gen_scale;     /* (D,) m and s */
	double *fake_mean, *fake_logstd;  /* (D,) m_f and u */
	sid_adam opt_gen, opt_fake;
	double *block;           /* the one allocation behind every vector above */
} sid_state;

/* Allocate the 14 vectors of a state of dimension dim (zeroed); other fields
 * are left to the caller.  0 ok, -1 out of memory (or dim too large). */
int sid_state_alloc(sid_state *st, size_t dim);
void sid_state_free(sid_state *st);

/* ===== initialisation (sid.md §5.1, §6.2) ===== */

/* Default data: mu = (1, -1), tau = (0.5, 1); D = 1: mu = 1, tau = 0.5;
 * coordinates beyond 2: mu = 0.5, tau = 0.75. */
void sid_default_data(size_t dim, double *mu, double *tau);
/* Teacher initialisation G(z) = f_phi(sigma_init z, sigma_init):
 * m = (1 - a0) mu, s = a0 sigma_init, a0 = tau^2/(tau^2 + sigma_init^2). */
void sid_init_teacher(size_t dim, const double *mu, const double *tau, double sigma_init,
                      double *m, double *s);
/* u = log|s|, and -1000 where s = 0 (sid.md §10 item 8); (D,) in and out. */
void sid_logabs(size_t dim, const double *s, double *u);
/* log tau, for the fake = teacher initialisation. */
void sid_log_vec(size_t dim, const double *x, double *out);

/* ===== kernels over drawn batches (sid.md §4.1) ===== */

/* Karras ramp at u in [0, 1): t = (u tmax)/1000,
 * sigma = (A + (1 - t)(Bm - A))^rho, A = sigma_max^(1/rho), Bm = sigma_min^(1/rho). */
double sid_karras_sigma(const sid_config *c, double u);
/* Log-normal noise level of the fake loss: exp(n p_std + p_mean). */
double sid_fake_sigma(const sid_config *c, double n);

/* Batch means of the generator loss and its gradient at theta = (m, s).
 * z, eps: (B, D) draws; sigma: (B,) noise levels; mu, tau: data; mf, v: the
 * fake's mean and variance (v = exp(2u), or s^2 in exact mode).
 * Outputs: *loss, *l1, *l2 (batch means of l_b, sum d^2/w_b, sum d r/w_b);
 * gm, gs: (D,) batch-mean gradients with respect to m and s. */
void sid_gen_batch(const sid_config *c, size_t D, size_t B, const double *mu, const double *tau,
                   const double *m, const double *s, const double *mf, const double *v,
                   const double *z, const double *sigma, const double *eps,
                   double *loss, double *l1, double *l2, double *gm, double *gs);

/* Batch mean of the fake-score loss lambda(sigma) |f_psi(x_t) - x_g|^2 and
 * its gradient at psi = (mf, u), given v = exp(2u) (D,).  z, eps: (B, D);
 * sigma: (B,).  Outputs: *loss; gmf, gu: (D,) gradients with respect to m_f
 * and u (through dc/du = 2c(1 - c), so u itself is not needed). */
void sid_fake_batch(const sid_config *c, size_t D, size_t B, const double *m, const double *s,
                    const double *mf, const double *v, const double *z, const double *sigma,
                    const double *eps, double *loss, double *gmf, double *gu);

/* One Adam (PyTorch's formula, sid.md §5.3) or SGD update of two parameter
 * vectors p1, p2 (D,) with gradients g1, g2, learning rate lr.  Adam
 * increments a->t once. */
void sid_update(const sid_config *c, size_t D, double lr, sid_adam *a, double *p1, double *p2,
                const double *g1, const double *g2);

/* ===== one iteration (sid.md §5.3) and metrics (§5.4) ===== */

/* What one iteration computed; the gradient vectors are (D,), caller-owned. */
typedef struct sid_step_out {
	int has_fake;            /* 1 when a fake step ran (sgd mode, fake_steps >= 1) */
	double loss_fake;        /* batch fake loss of the last sub-step, before its update */
	double *fake_grad_mean, *fake_grad_logstd;   /* its gradients (D,) */
	double loss_gen, l1, l2; /* batch means before the generator update */
	double *gen_grad_mean, *gen_grad_scale;      /* (D,) the gradients used */
} sid_step_out;

/* Doubles of work space sid_iterate needs: 2 B D + B + D; 0 on overflow. */
size_t sid_work_len(size_t dim, long long batch);
/* Advance st by one iteration, drawing from st->rng; work holds
 * sid_work_len(st->dim, st->cfg.batch) doubles.  The parameters may become
 * non-finite: check with sid_first_nonfinite. */
void sid_iterate(sid_state *st, double *work, sid_step_out *out);

/* The first parameter or moment that is NaN or infinite, in the state's key
 * order: its name ("gen.scale", "opt.fake.v_logstd", ...) with *index and
 * *value set; NULL when all are finite. */
const char *sid_first_nonfinite(const sid_state *st, size_t *index, double *value);

/* Distances after a step: kl = KL(N(m, s^2) || N(mu, tau^2)) (+inf if some
 * s_i = 0), w2 = W2(generator, data), fake_w2 = W2(N(m_f, e^{2u}), N(m, s^2)). */
typedef struct sid_dist {
	double kl, w2, fake_w2;
} sid_dist;
void sid_distances(const sid_state *st, sid_dist *d);

#endif
