/*
 * hippo-discretize — HiPPO state matrices (LegS, LegT, LMU, LagT, FouT), their
 * discretisations (forward, backward, bilinear, gbt, zoh), the online memory
 * they run over a stream of samples, and the history a state remembers.
 * Posts: Su Jianlin, kexue.fm 10114 and 10137; paper: Gu et al., HiPPO
 * (arXiv:2008.07669); spec: hippo.md.  Leaves out the parts marked later:
 * tlagt, glagt, fours, chebt, --mode nplr, the O(N) structured LTI steps.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include "kx.h"
#include "hippo.h"
#include "io_keep.h"
#include "io_scalar.h"

static const char help[] =
"usage: hippo-discretize [-m MEASURE] [-N N] [--lti] [--dt DT] [-M METHOD] [-a ALPHA]\n"
"           [-t THETA] [-b BETA] [--norm NORM] [--legs-step V] [--legs-start S]\n"
"           [--mode MODE] [--continuous] [--step K] [-P P] [--horizon H] [--every K]\n"
"           [-i FMT] [-O FMT] [-d N] [-f FIELDS] [--key NAME] [-o FILE] [-K] [-u]\n"
"           [--digits N] [--strict-json] [-q] [--stats] [FILE...]\n"
"HiPPO matrices, their discretisations, the online memory and what it remembers.\n"
"System (every mode):\n"
"  -m, --measure NAME   legs (default; scaled, x' = (Ax+Bu)/t), legt, lmu, lagt, fout\n"
"  -N, --order N        state size, 1..4096 (even for fout; default 64)\n"
"      --lti            legs as an LTI system x' = Ax + Bu (as in S4)\n"
"      --dt DT          step of LTI systems (default 0.01, s4's LTICell);\n"
"                       scaled legs ignores it: dt cancels\n"
"  -M, --method NAME    forward, backward, bilinear (default), gbt, zoh\n"
"  -a, --alpha A        GBT alpha in [0, 1] (implies -M gbt)\n"
"  -t, --theta T        window of legt, lmu, fout (default 1; s4 uses 2)\n"
"  -b, --beta B         lagt: B = beta (default 1)\n"
"      --norm NAME      ortho (default), su, noroot (legs, legt: post 1's scalings)\n"
"      --legs-step V    scaled legs: s4 (default), paper, midpoint (most accurate)\n"
"      --legs-start S   scaled legs: hold (default), zero\n"
"Modes (--mode):\n"
"  matrices (default)   one record with A and B: discretised, or continuous with\n"
"                       --continuous (scaled legs: continuous unless --step K)\n"
"      --step K         scaled legs: the pair (G, H) of the step consuming u_K\n"
"  run                  the state after each sample (--every K: every K-th and the last)\n"
"  final                the state after the last sample\n"
"  reconstruct          per state, the remembered history on P points (-P, default 100;\n"
"                       --horizon H for lagt, default 10)\n"
"  roundtrip            feed the samples, reconstruct them from the final state: mse, max_abs\n"
"Fields: measure N theta beta norm form method alpha dt step legs_step legs_start A B\n"
"        (matrices), k x (run, final), s|d u (reconstruct), L compared mse max_abs u_hat.\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q --stats -h -V;\n"
"see hippo-discretize(1).\n";

enum { MODE_MATRICES, MODE_RUN, MODE_FINAL, MODE_RECONSTRUCT, MODE_ROUNDTRIP };
static const char *const mode_names[] = { "matrices", "run", "final", "reconstruct",
                                          "roundtrip", NULL };
enum { M_FORWARD, M_BACKWARD, M_BILINEAR, M_GBT, M_ZOH };
static const char *const method_names[] = { "forward", "backward", "bilinear", "gbt", "zoh" };
static const char *const measure_names[] = { "legs", "legt", "lmu", "lagt", "fout", NULL };
static const char *const norm_names[] = { "ortho", "su", "noroot", NULL };
static const char *const step_names[] = { "s4", "paper", "midpoint", NULL };
static const char *const start_names[] = { "hold", "zero", NULL };

enum { F_MEASURE, F_N, F_THETA, F_BETA, F_NORM, F_FORM, F_METHOD, F_ALPHA, F_DT, F_STEP,
       F_LEGS_STEP, F_LEGS_START, F_A, F_B, F_K, F_X, F_S, F_D, F_U, F_L, F_COMPARED, F_MSE,
       F_MAXABS, F_UHAT, NF };
static const char *const field_names[] = { "measure", "N", "theta", "beta", "norm", "form",
	"method", "alpha", "dt", "step", "legs_step", "legs_start", "A", "B", "k", "x", "s", "d",
	"u", "L", "compared", "mse", "max_abs", "u_hat", NULL };

enum { O_LTI = 256, O_DT, O_LAG_ALPHA, O_NORM, O_LEGS_STEP, O_LEGS_START, O_MODE, O_CONT,
       O_STEP, O_HORIZON, O_EVERY, O_END };
static const struct option longopts[] = {
	{ "measure", required_argument, NULL, 'm' },
	{ "order", required_argument, NULL, 'N' },
	{ "lti", no_argument, NULL, O_LTI },
	{ "dt", required_argument, NULL, O_DT },
	{ "method", required_argument, NULL, 'M' },
	{ "alpha", required_argument, NULL, 'a' },
	{ "theta", required_argument, NULL, 't' },
	{ "beta", required_argument, NULL, 'b' },
	{ "lag-alpha", required_argument, NULL, O_LAG_ALPHA },
	{ "norm", required_argument, NULL, O_NORM },
	{ "legs-step", required_argument, NULL, O_LEGS_STEP },
	{ "legs-start", required_argument, NULL, O_LEGS_START },
	{ "mode", required_argument, NULL, O_MODE },
	{ "continuous", no_argument, NULL, O_CONT },
	{ "step", required_argument, NULL, O_STEP },
	{ "points", required_argument, NULL, 'P' },
	{ "horizon", required_argument, NULL, O_HORIZON },
	{ "every", required_argument, NULL, O_EVERY },
	{ 0 }
};

typedef struct {
	hippo_sys sys;
	int scaled;               /* scaled legs */
	int mode, method;
	double alpha, dt, horizon;
	int legs_step, legs_start;
	int continuous, step_given;
	double stepK;             /* --step K (integers up to 2^53 are exact) */
	size_t P, every;
	const char *key;
	int fields[NF], nfields;  /* output fields, in order */
	int fields_given;         /* -f was given */
	int out_fmt;
	const char *npy;          /* -o PATH.npy, or NULL */
	int f32;                  /* npy as <f4 */
	/* reconstruct */
	double *grid, *W, *u, *gridrep;   /* (P,), (P, N), (rows, P), (rows, P) */
	size_t cap_rows;
	kx_mat xs;
	kx_buf batch;
	double *npy_acc;          /* reconstruct .npy: the rows so far */
	size_t npy_rows, npy_cap;
	const kx_out *out;
} ctx_t;

static int parse_method(const char *s)
{
	static const struct { const char *name; int m; } tab[] = {
		{ "forward", M_FORWARD }, { "euler", M_FORWARD }, { "forward_diff", M_FORWARD },
		{ "forward_euler", M_FORWARD }, { "backward", M_BACKWARD },
		{ "backward_diff", M_BACKWARD }, { "backward_euler", M_BACKWARD },
		{ "bilinear", M_BILINEAR }, { "tustin", M_BILINEAR }, { "trapezoid", M_BILINEAR },
		{ "trapezoidal", M_BILINEAR }, { "gbt", M_GBT }, { "zoh", M_ZOH } };
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcasecmp(tab[i].name, s))
			return tab[i].m;
	return -1;
}

static double positive(const char *opt, const char *arg)
{
	double v;
	if (kx_parse_double(arg, &v) < 0 || !(v > 0) || v - v != 0)
		kx_usage_error("%s: expected a finite number > 0, got '%s'", opt, arg);
	return v;
}

static long long integer(const char *opt, const char *arg, long long lo, long long hi)
{
	long long v;
	if (kx_parse_long(arg, lo, hi, &v) < 0)
		kx_usage_error("%s: expected an integer in %lld..%lld, got '%s'", opt, lo, hi, arg);
	return v;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* Processor time of this process: the steps-per-second rate is per core and
 * does not drop when other jobs share the machine. */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int finite_all(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(v[i] - v[i] == 0))
			return 0;
	return 1;
}

static int has_theta(int m) { return m == HIPPO_LEGT || m == HIPPO_LMU || m == HIPPO_FOUT; }
static int has_norm(int m) { return m == HIPPO_LEGS || m == HIPPO_LEGT; }

/* Does the mode and system produce field f?  The enum is in the default order
 * of every mode's record, so the available fields are these, in enum order. */
static int produced(const ctx_t *c, int f)
{
	int m = c->sys.measure, mat = c->mode == MODE_MATRICES;
	int disc = mat && !c->continuous && (!c->scaled || c->step_given);
	switch (f) {
	case F_MEASURE: case F_N: return mat || c->mode == MODE_ROUNDTRIP;
	case F_THETA: return produced(c, F_N) && has_theta(m);
	case F_BETA: return produced(c, F_N) && m == HIPPO_LAGT;
	case F_NORM: return produced(c, F_N) && has_norm(m);
	case F_FORM: case F_A: case F_B: return mat;
	case F_METHOD: return disc;
	case F_ALPHA: return disc && c->method != M_ZOH;
	case F_DT: return disc && !c->scaled;
	case F_STEP: case F_LEGS_STEP: case F_LEGS_START: return disc && c->scaled;
	case F_K: case F_X: return c->mode == MODE_RUN || c->mode == MODE_FINAL;
	case F_S: return c->mode == MODE_RECONSTRUCT && c->scaled;
	case F_D: return c->mode == MODE_RECONSTRUCT && !c->scaled;
	case F_U: return c->mode == MODE_RECONSTRUCT;
	default: return c->mode == MODE_ROUNDTRIP;    /* L, compared, mse, max_abs, u_hat */
	}
}

static int available(const ctx_t *c, int *av)
{
	int n = 0;
	for (int f = 0; f < NF; f++)
		if (produced(c, f))
			av[n++] = f;
	return n;
}

static int wants(const ctx_t *c, int f)
{
	for (int i = 0; i < c->nfields; i++)
		if (c->fields[i] == f)
			return 1;
	return 0;
}

static void save_npy(const char *path, const double *v, int ndim, const size_t *shape, int f32)
{
	char err[300];
	if (kx_npy_save(path, v, ndim, shape, f32, err, sizeof err) < 0)
		kx_die("%s: %s", path, err);
}

/* ===== the header fields (matrices, roundtrip) ===== */

static void add_header_field(const ctx_t *c, kx_result *res, int f)
{
	switch (f) {
	case F_MEASURE: kx_res_str(res, "measure", measure_names[c->sys.measure]); break;
	case F_N: kx_res_int(res, "N", (long long)c->sys.N); break;
	case F_THETA: kx_res_num(res, "theta", c->sys.theta); break;
	case F_BETA: kx_res_num(res, "beta", c->sys.beta); break;
	case F_NORM: kx_res_str(res, "norm", norm_names[c->sys.norm]); break;
	}
}

/* ===== matrices mode ===== */

static int do_matrices(ctx_t *c, const kx_common *com)
{
	size_t N = c->sys.N;
	int discrete = !c->continuous && (!c->scaled || c->step_given), info;
	double *A = kx_malloc(N * N * sizeof *A), *B = kx_malloc(N * sizeof *B);
	if (discrete)
		info = hippo_discrete_pair(&c->sys, c->method == M_ZOH, c->alpha, c->dt, c->legs_step,
		                           c->legs_start, c->stepK, A, B);
	else
		info = (hippo_transition(&c->sys, A, B), 0);
	if (info < 0)
		kx_die("out of memory");
	if (info > 0)
		kx_die("the system matrix I - alpha dt A is singular (LAPACK info %d)", info);
	int bad = !finite_all(A, N * N) || !finite_all(B, N);
	if (c->npy) {
		size_t shA[2] = { N, N }, shB[1] = { N };
		int wA = !c->fields_given || wants(c, F_A), wB = !c->fields_given || wants(c, F_B);
		size_t len = strlen(c->npy);
		char *path = kx_malloc(len + 8);
		for (int which = 0; which < 2; which++) {
			if (!(which ? wB : wA))
				continue;
			if (c->fields_given)      /* -f A or -f B: exactly PATH */
				memcpy(path, c->npy, len + 1);
			else                      /* PREFIX.A.npy, PREFIX.B.npy */
				snprintf(path, len + 8, "%.*s.%c.npy", (int)(len - 4), c->npy, which ? 'B' : 'A');
			save_npy(path, which ? B : A, which ? 1 : 2, which ? shB : shA, c->f32);
		}
		free(path);
	} else {
		kx_out out;
		kx_out_open(&out, com, c->out_fmt);
		kx_result res;
		memset(&res, 0, sizeof res);
		for (int i = 0; i < c->nfields; i++) {
			int f = c->fields[i];
			switch (f) {
			case F_FORM:
				kx_res_str(&res, "form", discrete ? "discrete" : c->scaled ? "scaled" : "lti");
				break;
			case F_METHOD: kx_res_str(&res, "method", method_names[c->method]); break;
			case F_ALPHA: kx_res_num(&res, "alpha", c->alpha); break;
			case F_DT: kx_res_num(&res, "dt", c->dt); break;
			case F_STEP: kx_res_num(&res, "step", c->stepK); break;
			case F_LEGS_STEP: kx_res_str(&res, "legs_step", step_names[c->legs_step]); break;
			case F_LEGS_START: kx_res_str(&res, "legs_start", start_names[c->legs_start]); break;
			case F_A: kx_res_matc(&res, "A", A, N, N); break;
			case F_B: kx_res_vec(&res, "B", B, N); break;
			default: add_header_field(c, &res, f);
			}
		}
		kx_write(&out, NULL, &res);
		kx_out_close(&out);
	}
	free(A);
	free(B);
	if (bad) {
		kx_error("the discretised matrices have non-finite entries (dt*|A| is far too large "
		         "for this method)");
		return 1;
	}
	return 0;
}

/* ===== the recurrence (run, final, roundtrip) ===== */

/* Where the states of run, final and roundtrip go. */
typedef struct {
	kx_out out;            /* JSON, text or raw (not with .npy) */
	int open;              /* out is open */
	kx_npy_writer nw;      /* run mode with -o PATH.npy */
	int use_nw;
	double *xo;            /* (N,) the state in the system's normalisation */
} sink_t;

static void write_state(ctx_t *c, sink_t *sk, hippo_mem *m, const kx_rec *in)
{
	hippo_mem_state(m, sk->xo);
	if (sk->use_nw) {
		if (kx_npy_writer_row(&sk->nw, sk->xo) < 0)
			kx_die("%s: write error:", c->npy);
		return;
	}
	kx_result res;
	memset(&res, 0, sizeof res);
	for (int i = 0; i < c->nfields; i++) {
		if (c->fields[i] == F_K)
			kx_res_int(&res, "k", (long long)m->k - 1);
		else
			kx_res_vec(&res, "x", sk->xo, c->sys.N);
	}
	kx_write(&sk->out, in, &res);
}

/* What came before a message is out before it (as kx_filter does). */
static void flush_out(sink_t *sk)
{
	if (sk->open)
		fflush(sk->out.f);
}

typedef struct {
	long long records, bad;
	double samples, cpu_seconds;   /* processor time of the reading and stepping loop */
} run_stats;


static void write_roundtrip(ctx_t *c, sink_t *sk, const double *us, size_t L)
{
	double *pos = kx_malloc(L * sizeof *pos), *uh = kx_malloc(L * sizeof *uh), mse, maxabs;
	size_t first = hippo_sample_pos(&c->sys, c->legs_start, c->dt, L, pos), M = L - first;
	if (hippo_roundtrip(&c->sys, M, pos + first, sk->xo, us + first, uh, &mse, &maxabs) < 0)
		kx_die("out of memory");
	if (c->npy) {
		size_t sh[1] = { M };
		save_npy(c->npy, uh, 1, sh, c->f32);
	} else {
		kx_result res;
		memset(&res, 0, sizeof res);
		for (int i = 0; i < c->nfields; i++) {
			int f = c->fields[i];
			switch (f) {
			case F_L: kx_res_int(&res, "L", (long long)L); break;
			case F_COMPARED: kx_res_int(&res, "compared", (long long)M); break;
			case F_MSE: kx_res_num(&res, "mse", mse); break;
			case F_MAXABS: kx_res_num(&res, "max_abs", maxabs); break;
			case F_UHAT: kx_res_vec(&res, "u_hat", uh, M); break;
			default: add_header_field(c, &res, f);
			}
		}
		kx_write(&sk->out, NULL, &res);
	}
	free(pos);
	free(uh);
}

static int do_stream(ctx_t *c, const kx_common *com, kx_reader *rd, run_stats *st)
{
	size_t N = c->sys.N;
	char err[512], where[300];
	hippo_mem m;
	int info = hippo_mem_init(&m, &c->sys, c->method == M_ZOH, c->alpha, c->dt, c->legs_step,
	                          c->legs_start);
	if (info)
		kx_die(info < 0 ? "out of memory" : "discretisation failed (LAPACK info %d)", info);
	sink_t sk = { .use_nw = c->npy && c->mode == MODE_RUN, .open = !c->npy,
	              .xo = kx_malloc(N * sizeof *sk.xo) };
	if (sk.use_nw && kx_npy_writer_open(&sk.nw, c->npy, N, c->f32, err, sizeof err) < 0)
		kx_usage_error("%s: %s", c->npy, err);
	if (sk.open)
		kx_out_open(&sk.out, com, c->out_fmt);
	kx_rec rec = { 0 };
	kx_kept last = { 0 };
	int status = 0, pending = 0, fatal = 0, stopped = 0;
	double *us = NULL;          /* roundtrip: the samples */
	size_t nus = 0, cap = 0;
	double t0 = now(), c0 = cpu_now();
	for (;;) {
		int got = kx_read(rd, &rec, err, sizeof err);
		if (got == 0)
			break;
		st->records++;
		double u = 0;
		if (got < 0 || kx_rec_scalar(&rec, c->key, &u, err, sizeof err) < 0) {
			st->bad++;
			status = 1;
			flush_out(&sk);
			kx_error("%s: %s", kx_rec_where(&rec, where, sizeof where), err);
			if (!com->keep_going) {
				stopped = 1;
				break;
			}
			continue;
		}
		if ((info = hippo_mem_push(&m, u)))
			kx_die(info < 0 ? "out of memory" : "the matrix exponential failed (LAPACK info %d)",
			       info);
		if (c->mode == MODE_ROUNDTRIP) {
			if (nus == cap) {
				cap = cap ? 2 * cap : 4096;
				us = kx_realloc(us, cap * sizeof *us);
			}
			us[nus++] = u;
		}
		if (!finite_all(m.x, N)) {
			if (c->mode == MODE_RUN)
				write_state(c, &sk, &m, &rec);
			else if (c->mode == MODE_FINAL && !c->npy)
				write_state(c, &sk, &m, NULL);
			flush_out(&sk);
			int unstable = c->method == M_FORWARD || (c->method == M_GBT && c->alpha < 0.5);
			kx_error("%s: state became non-finite at step %.0f%s",
			         kx_rec_where(&rec, where, sizeof where), m.k - 1,
			         unstable ? " (the method is unstable here; try -M bilinear)" : "");
			status = fatal = 1;
			break;
		}
		if (c->mode == MODE_RUN) {
			pending = (unsigned long long)m.k % c->every != 0;
			if (!pending)
				write_state(c, &sk, &m, &rec);
			else if (!sk.use_nw && c->out_fmt == KX_FMT_JSON && rec.kind == KX_REC_OBJECT)
				kx_keep(&last, &rec);
			else
				last.valid = 0;
		}
		if (((unsigned long long)m.k & 0xffff) == 0)
			kx_progress("%.0f samples, %.0f steps/s", m.k, m.k / (now() - t0 + 1e-9));
	}
	kx_progress_done();
	st->cpu_seconds = cpu_now() - c0;
	st->samples = m.k;
	hippo_mem_state(&m, sk.xo);            /* the zero state on empty input */
	if (c->mode == MODE_RUN && pending && !fatal && !stopped)
		write_state(c, &sk, &m, last.valid ? &last.rec : NULL);
	if (c->mode == MODE_FINAL && !fatal && !stopped) {
		size_t sh[1] = { N };
		if (c->npy)
			save_npy(c->npy, sk.xo, 1, sh, c->f32);
		else
			write_state(c, &sk, &m, NULL);
	}
	if (c->mode == MODE_ROUNDTRIP && !fatal && !stopped) {
		if (nus == 0) {
			flush_out(&sk);
			kx_error("roundtrip needs at least one sample");
			status = 1;
		} else {
			write_roundtrip(c, &sk, us, nus);
		}
	}
	if (sk.use_nw && kx_npy_writer_close(&sk.nw, err, sizeof err) < 0)
		kx_die("%s: %s", c->npy, err);
	if (sk.open)
		kx_out_close(&sk.out);
	free(us);
	free(sk.xo);
	kx_rec_free(&rec);
	kx_kept_free(&last);
	hippo_mem_free(&m);
	return status;
}

/* ===== reconstruct mode ===== */

static int process_state(void *vc, kx_rec *in, kx_result *res, char *err, size_t errsz)
{
	ctx_t *c = vc;
	size_t N = c->sys.N, P = c->P;
	const kx_mat *x;
	switch (in->kind) {
	case KX_REC_ARRAY:
	case KX_REC_BATCH:
		x = &in->x;
		break;
	case KX_REC_OBJECT: {
		int st = kx_rec_mat(in, c->key, 1, &c->xs, err, errsz);
		if (st == 1)
			snprintf(err, errsz, "no \"%s\" in the object", c->key);
		if (st)
			return KX_BAD;
		x = &c->xs;
		break;
	}
	default:
		snprintf(err, errsz, "expected a state of %zu values, got %s", N,
		         in->kind == KX_REC_NUMBER ? "a number" : kx_json_kind(in->json));
		return KX_BAD;
	}
	if (x->rows == 0) {
		snprintf(err, errsz, "expected a state of %zu values, got 0", N);
		return KX_BAD;
	}
	for (size_t r = 0; r < x->rows; r++)
		if (KX_ROWLEN(x, r) != N) {
			snprintf(err, errsz, "expected a state of %zu values, got %zu", N, KX_ROWLEN(x, r));
			return KX_BAD;
		}
	size_t rows = x->rows;
	if (rows > c->cap_rows) {
		c->cap_rows = rows;
		c->u = kx_realloc(c->u, rows * P * sizeof *c->u);
		c->gridrep = kx_realloc(c->gridrep, rows * P * sizeof *c->gridrep);
		for (size_t r = 0; r < rows; r++)
			memcpy(c->gridrep + r * P, c->grid, P * sizeof *c->grid);
	}
	hippo_reconstruct(P, N, c->W, rows, x->v, c->u);
	if (c->npy) {
		int grid = wants(c, F_S) || wants(c, F_D);
		if (c->npy_rows + rows > c->npy_cap) {
			c->npy_cap = 2 * (c->npy_rows + rows);
			c->npy_acc = kx_realloc(c->npy_acc, c->npy_cap * P * sizeof *c->npy_acc);
		}
		memcpy(c->npy_acc + c->npy_rows * P, grid ? c->gridrep : c->u,
		       rows * P * sizeof *c->u);
		c->npy_rows += rows;
		return KX_SKIP;
	}
	const char *gname = c->scaled ? "s" : "d";
	if (x->batch && in->kind != KX_REC_OBJECT && c->out_fmt == KX_FMT_JSON && c->nfields > 1) {
		/* An array of results, one object per state. */
		kx_buf *b = &c->batch;
		b->len = 0;
		kx_buf_putc(b, '[');
		for (size_t r = 0; r < rows; r++) {
			kx_buf_puts(b, r ? ",{" : "{");
			for (int i = 0; i < c->nfields; i++) {
				int g = c->fields[i] != F_U;
				kx_buf_printf(b, "%s\"%s\":", i ? "," : "", g ? gname : "u");
				kx_out_vec(c->out, b, g ? c->grid : c->u + r * P, P);
			}
			kx_buf_putc(b, '}');
		}
		kx_buf_putc(b, ']');
		kx_res_json(res, "result", b->s);
		return KX_OK;
	}
	res->per_row = x->batch;
	res->object = c->nfields > 1;
	for (int i = 0; i < c->nfields; i++) {
		int g = c->fields[i] != F_U;
		const double *v = g ? (x->batch ? c->gridrep : c->grid) : c->u;
		if (x->batch)
			kx_res_matc(res, g ? gname : "u", v, rows, P);
		else
			kx_res_vec(res, g ? gname : "u", v, P);
	}
	return KX_OK;
}

static int do_reconstruct(ctx_t *c, const kx_common *com, kx_reader *rd, run_stats *st)
{
	size_t P = c->P;
	c->grid = kx_malloc(P * sizeof *c->grid);
	c->W = kx_malloc(P * c->sys.N * sizeof *c->W);
	hippo_grid(&c->sys, P, c->horizon, c->grid);
	hippo_basis(&c->sys, P, c->grid, c->W);
	kx_out out = { .fmt = KX_FMT_JSON };
	if (!c->npy)
		kx_out_open(&out, com, c->out_fmt);
	c->out = &out;
	kx_counts cnt;
	int status = kx_filter(com, rd, &out, process_state, c, &cnt);
	st->records = cnt.records;
	st->bad = cnt.bad;
	if (c->npy) {
		size_t sh[2] = { c->npy_rows, P };
		save_npy(c->npy, c->npy_acc, 2, sh, c->f32);
	} else {
		kx_out_close(&out);
	}
	free(c->grid);
	free(c->W);
	free(c->u);
	free(c->gridrep);
	free(c->npy_acc);
	kx_mat_free(&c->xs);
	kx_buf_free(&c->batch);
	return status;
}

/* ===== main ===== */

static int pick(const char *const *names, const char *opt, const char *arg, const char *later)
{
	int i = 0;
	while (names[i] && strcmp(names[i], arg))
		i++;
	if (!names[i]) {
		if (later && strstr(later, arg) && strlen(arg) > 2)
			kx_usage_error("%s '%s' is not implemented in this version", opt + 2, arg);
		kx_usage_error("%s: unknown value '%s'", opt, arg);
	}
	return i;
}

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "hippo-discretize", help, "m:N:M:a:t:b:P:", longopts, 0 };
	ctx_t c = { .sys = { .measure = HIPPO_LEGS, .N = 64, .theta = 1, .beta = 1 },
	            .method = M_BILINEAR, .alpha = 0.5, .dt = 0.01, .horizon = 10, .P = 100,
	            .every = 1 };
	unsigned char given[O_END] = { 0 };   /* given[o]: option o was given */
	int o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		given[o] = 1;
		switch (o) {
		case 'm':
			c.sys.measure = pick(measure_names, "--measure", optarg, "tlagt glagt fours chebt");
			break;
		case 'N': c.sys.N = (size_t)integer("-N", optarg, 1, 4096); break;
		case O_LTI: c.sys.lti = 1; break;
		case O_DT: c.dt = positive("--dt", optarg); break;
		case 'M':
			if ((c.method = parse_method(optarg)) < 0)
				kx_usage_error("--method: unknown method '%s' (forward, backward, bilinear, gbt, "
				               "zoh)", optarg);
			break;
		case 'a':
			if (kx_parse_double(optarg, &c.alpha) < 0 || !(c.alpha >= 0 && c.alpha <= 1))
				kx_usage_error("--alpha: expected a number in [0, 1], got '%s'", optarg);
			break;
		case 't': c.sys.theta = positive("--theta", optarg); break;
		case 'b': c.sys.beta = positive("--beta", optarg); break;
		case O_NORM: c.sys.norm = pick(norm_names, "--norm", optarg, NULL); break;
		case O_LEGS_STEP: c.legs_step = pick(step_names, "--legs-step", optarg, NULL); break;
		case O_LEGS_START: c.legs_start = pick(start_names, "--legs-start", optarg, NULL); break;
		case O_MODE: c.mode = pick(mode_names, "--mode", optarg, "nplr"); break;
		case O_CONT: c.continuous = 1; break;
		case O_STEP: c.stepK = (double)integer("--step", optarg, 0, (long long)1 << 53); break;
		case 'P': c.P = (size_t)integer("-P", optarg, 1, (long long)1 << 40); break;
		case O_HORIZON: c.horizon = positive("--horizon", optarg); break;
		case O_EVERY: c.every = (size_t)integer("--every", optarg, 1, (long long)1 << 62); break;
		}
	}
	c.step_given = given[O_STEP];
	kx_quiet = com.quiet;
	int m = c.sys.measure;
	/* ----- validation: everything before any input is read ----- */
	if (m == HIPPO_FOUT && c.sys.N % 2)
		kx_usage_error("fout needs an even -N (it uses N/2 frequencies), got %zu", c.sys.N);
	if (given['a']) {
		if (given['M'] && c.method != M_GBT)
			kx_usage_error("--alpha goes with --method gbt, not %s", method_names[c.method]);
		c.method = M_GBT;
	}
	if (c.method == M_FORWARD) c.alpha = 0;
	if (c.method == M_BACKWARD) c.alpha = 1;
	if (c.method == M_BILINEAR) c.alpha = 0.5;
	if (given[O_LTI] && m != HIPPO_LEGS)
		kx_usage_error("--lti applies to legs only (%s is always LTI)", measure_names[m]);
	if (given[O_NORM] && c.sys.norm != HIPPO_ORTHO && !has_norm(m))
		kx_usage_error("--norm %s applies to legs and legt only", norm_names[c.sys.norm]);
	if (given['t'] && !has_theta(m))
		kx_usage_error("--theta applies to legt, lmu and fout, not %s", measure_names[m]);
	if (given['b'] && m != HIPPO_LAGT)
		kx_usage_error("--beta applies to lagt, not %s", measure_names[m]);
	if (given[O_LAG_ALPHA])
		kx_usage_error("--lag-alpha applies to glagt, which is not implemented in this version");
	c.scaled = hippo_is_scaled(&c.sys);
	if ((given[O_LEGS_STEP] || given[O_LEGS_START]) && !c.scaled)
		kx_usage_error("%s applies to scaled legs only (-m legs without --lti)",
		               given[O_LEGS_STEP] ? "--legs-step" : "--legs-start");
	if (c.step_given && c.mode != MODE_MATRICES)
		kx_usage_error("--step belongs to --mode matrices");
	if (c.step_given && !c.scaled)
		kx_usage_error("--step applies to scaled legs only (LTI systems have one pair)");
	if (c.step_given && c.continuous)
		kx_usage_error("--step and --continuous do not go together");
	if (c.continuous && c.mode != MODE_MATRICES)
		kx_usage_error("--continuous belongs to --mode matrices");
	if (given['P'] && c.mode != MODE_RECONSTRUCT)
		kx_usage_error("-P belongs to --mode reconstruct");
	if (given[O_HORIZON] && (c.mode != MODE_RECONSTRUCT || m != HIPPO_LAGT))
		kx_usage_error("--horizon belongs to --mode reconstruct with -m lagt");
	if (given[O_EVERY] && c.mode != MODE_RUN)
		kx_usage_error("--every belongs to --mode run");
	if (c.mode == MODE_MATRICES && optind < argc)
		kx_usage_error("matrices mode reads no input, but FILE operands were given");
	if (com.dim) {
		if (c.mode == MODE_MATRICES)
			kx_usage_error("-d: matrices mode reads no input");
		if (c.mode == MODE_RECONSTRUCT && (size_t)com.dim != c.sys.N)
			kx_usage_error("-d %lld: a state has N = %zu values", com.dim, c.sys.N);
		if (c.mode != MODE_RECONSTRUCT && com.dim != 1)
			kx_usage_error("-d %lld: a sample record holds one value", com.dim);
	}
	if (com.out_fmt == KX_FMT_U32)
		kx_usage_error("-O u32: hippo-discretize has no index field");
	if (c.mode == MODE_ROUNDTRIP && has_theta(m) && !(c.dt < 2 * c.sys.theta))
		kx_usage_error("roundtrip: with --dt %g >= 2*theta no sample lies inside the window", c.dt);
	/* Fields */
	int av[NF], nav = available(&c, av);
	const char *known[NF + 1];
	for (int i = 0; i < nav; i++)
		known[i] = field_names[av[i]];
	known[nav] = NULL;
	int idx[NF];
	int nf = kx_fields_parse(com.fields, known, idx, NF);
	if (nf) {
		for (int i = 0; i < nf; i++)
			c.fields[i] = av[idx[i]];
		c.nfields = nf;
		c.fields_given = 1;
	} else {
		memcpy(c.fields, av, nav * sizeof *av);
		c.nfields = nav;
	}
	/* Output format */
	kx_reader *rd = NULL;
	if (c.mode != MODE_MATRICES)
		rd = kx_reader_open(com.in_fmt, c.mode == MODE_RECONSTRUCT ? c.sys.N : 1, argc - optind,
		                    argv + optind);
	size_t olen = com.output ? strlen(com.output) : 0;
	if (olen > 4 && !strcmp(com.output + olen - 4, ".npy")) {
		c.npy = com.output;
		c.f32 = com.out_fmt == KX_FMT_F32;
	}
	int main_field = c.mode == MODE_MATRICES ? -1 : c.mode == MODE_RECONSTRUCT ? F_U
	               : c.mode == MODE_ROUNDTRIP ? F_UHAT : F_X;
	if (c.npy) {
		if (c.mode == MODE_MATRICES) {
			if (nf && !(nf == 1 && (c.fields[0] == F_A || c.fields[0] == F_B)))
				kx_usage_error("-o %s writes A and B (or the one named by -f A or -f B)", c.npy);
		} else if (nf && !(nf == 1 && (c.fields[0] == main_field ||
		                              (c.mode == MODE_RECONSTRUCT && c.fields[0] != F_U)))) {
			kx_usage_error("-o %s writes one array field: choose it with -f", c.npy);
		}
		if (c.mode == MODE_RUN) {
			struct stat sb;
			if (stat(c.npy, &sb) == 0 && !S_ISREG(sb.st_mode))
				kx_usage_error("-o %s: run mode writes the .npy shape at the end, so it needs a "
				               "regular file", c.npy);
		}
	}
	int in_fmt = rd ? kx_reader_format(rd) : KX_FMT_JSON;
	c.out_fmt = com.out_fmt ? com.out_fmt : c.mode == MODE_MATRICES ? KX_FMT_JSON : in_fmt;
	if (c.npy)
		c.out_fmt = KX_FMT_JSON;
	int raw_out = c.out_fmt == KX_FMT_F32 || c.out_fmt == KX_FMT_F64;
	if (!c.npy && c.mode == MODE_MATRICES && (raw_out || c.out_fmt == KX_FMT_TEXT)) {
		int hasmat = wants(&c, F_A) || wants(&c, F_B);
		if (!nf || (raw_out && !(nf == 1 && hasmat)) || (hasmat && nf != 1))
			kx_usage_error("%s output of the matrices needs -f A or -f B",
			               raw_out ? "raw" : "text");
	} else if (!c.npy && raw_out) {
		if (!nf) {
			c.fields[0] = main_field;
			c.nfields = 1;
		} else if (nf != 1 || c.fields[0] == F_K || (c.mode == MODE_ROUNDTRIP &&
		                                             c.fields[0] != F_UHAT)) {
			kx_usage_error("raw output (-O %s) carries one array field: choose it with -f",
			               kx_fmt_name(c.out_fmt));
		}
	}
	c.key = com.key ? com.key : c.mode == MODE_RECONSTRUCT ? "x" : "u";
	/* Warnings */
	if (c.scaled && given[O_DT])
		kx_warn("--dt has no effect on scaled legs (dt cancels: only k matters)");
	int stepping = c.mode == MODE_RUN || c.mode == MODE_FINAL || c.mode == MODE_ROUNDTRIP ||
	               c.step_given;
	if (c.scaled && stepping) {
		if (c.method == M_FORWARD && c.sys.N > 2)
			kx_warn("forward Euler on scaled legs with N > 2 amplifies errors in the early "
			        "steps; prefer -M bilinear");
		else if (c.method == M_GBT && c.alpha < 0.5 &&
		         (double)c.sys.N * (1 - 2 * c.alpha) > 2)
			kx_warn("gbt with alpha < 1/2 on scaled legs with N > 2/(1-2 alpha) is unstable in "
			        "the early steps");
		if (c.method == M_ZOH && c.sys.N > 128 && c.mode != MODE_MATRICES)
			kx_warn("zoh on scaled legs costs a new matrix exponential (O(N^3)) per sample");
	}

	int status = 0;
	double t0 = now();
	run_stats st = { 0 };
	if (c.mode == MODE_MATRICES)
		status = do_matrices(&c, &com);
	else if (c.mode == MODE_RECONSTRUCT)
		status = do_reconstruct(&c, &com, rd, &st);
	else
		status = do_stream(&c, &com, rd, &st);
	if (rd)
		kx_reader_close(rd);
	if (com.stats) {
		double secs = now() - t0;
		fprintf(stderr, "{\"mode\":\"%s\",\"records\":%lld,\"bad\":%lld,\"seconds\":%.6g",
		        mode_names[c.mode], st.records, st.bad, secs);
		if (c.mode == MODE_RUN || c.mode == MODE_FINAL || c.mode == MODE_ROUNDTRIP)
			fprintf(stderr, ",\"samples\":%.0f,\"steps_per_second\":%.6g", st.samples,
			        st.cpu_seconds > 0 ? st.samples / st.cpu_seconds : 0);
		fprintf(stderr, "}\n");
	}
	return status;
}
