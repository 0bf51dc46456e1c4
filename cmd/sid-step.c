/*
 * sid-step — Score identity Distillation on an analytic toy: one JSON training
 * state in, N iterations (fake-score step, then generator step), metrics or
 * gradient lines and the next state out.  Resumable bit for bit: the state
 * carries the generator's words and cached normal, printed in round-trip form.
 * Posts: Su Jianlin, kexue.fm 10085 and 10567; paper: Zhou et al., ICML 2024
 * (arXiv 2404.04057); spec: sid.md.  Leaves out: the Gaussian-mixture teacher
 * (later), the post's L3, the paper's EMA, nan_to_num, sample dropping, fp16.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kx.h"
#include "sid.h"
#include "io_state.h"

static const char help[] =
"usage: sid-step --init [-d N] [--data-mean LIST] [--data-std LIST]\n"
"                [--gen-init teacher|standard | --gen-mean LIST --gen-scale LIST]\n"
"                [--init-sigma X] [--fake-init teacher|generator] [-s SEED] [CONFIG...] [-o FILE]\n"
"       sid-step [CONFIG...] [-s SEED] [-n N] [-e state|metrics|both|grad] [--save FILE]\n"
"                [-f FIELDS] [-O json|text|f32|f64] [-d N] [COMMON...] [STATE_FILE | -]\n"
"Advance a closed-form Score identity Distillation toy by N iterations (sid.md).\n"
"  --init               write an initial state (no input is read)\n"
"  -n, --steps N        run N iterations (default 1; with -n the default emit is metrics)\n"
"  -e, --emit W         state (default without -n), metrics, both, grad\n"
"      --save FILE      also write the final state to FILE atomically\n"
"  -s, --seed S         seed (--init) or re-seed the state's generator\n"
"  -d, --dim N          D with --init (default 2); with a state, a check\n"
"Initialisation (--init only):\n"
"      --data-mean LIST, --data-std LIST   mu and tau (default 1,-1 and 0.5,1)\n"
"      --gen-init W     teacher (paper: G = f_phi(sigma_init z, sigma_init)) or standard\n"
"      --gen-mean LIST, --gen-scale LIST   explicit generator (defaults 0 and 1)\n"
"      --init-sigma X   sigma_init of the teacher initialisation (default 2.5)\n"
"      --fake-init W    teacher (default) or generator\n"
"CONFIG (persist in the state):\n"
"  -a, --alpha X        L2 - alpha L1 (default 1.2)     --loss sid|l1\n"
"      --weight dmd|none                                 --optimizer adam|sgd\n"
"      --lr X, --fake-lr X (default 0.01)                --beta1 X (0), --beta2 X (0.999)\n"
"      --eps X (1e-8)   -B, --batch N (256)              --fake-steps N (1)\n"
"      --fake-mode sgd|exact                             --sigma-min X (0.002), --sigma-max X (80)\n"
"      --rho X (7)      --tmax N (800)                   --p-mean X (-1.2), --p-std X (1.2)\n"
"      --sigma-data X (0.5)                              --weight-floor X (1e-5)\n"
"Fields: step loss_fake loss_gen l1 l2 kl w2 fake_w2 mean scale (metrics);\n"
"        step loss_fake fake_grad_mean fake_grad_logstd loss_gen l1 l2 gen_grad_mean\n"
"        gen_grad_scale (grad).  Formats: json (default); text, f32, f64 for lines only.\n"
"Common: -i -O -d -f -o -K -u --digits --strict-json -q --stats -h -V; see sid-step(1).\n";

/* ===== fields of the metrics and gradient lines ===== */

enum { F_STEP, F_LOSS_FAKE, F_LOSS_GEN, F_L1, F_L2, F_KL, F_W2, F_FAKE_W2, F_MEAN, F_SCALE,
       F_FGM, F_FGU, F_GGM, F_GGS, NF };
static const char *const field_names[] = {
	"step", "loss_fake", "loss_gen", "l1", "l2", "kl", "w2", "fake_w2", "mean", "scale",
	"fake_grad_mean", "fake_grad_logstd", "gen_grad_mean", "gen_grad_scale", NULL
};
static const int metrics_fields[] = { F_STEP, F_LOSS_FAKE, F_LOSS_GEN, F_L1, F_L2, F_KL, F_W2,
                                      F_FAKE_W2, F_MEAN, F_SCALE };
static const int grad_fields[] = { F_STEP, F_LOSS_FAKE, F_FGM, F_FGU, F_LOSS_GEN, F_L1, F_L2,
                                   F_GGM, F_GGS };

enum { E_NONE = -1, E_STATE, E_METRICS, E_BOTH, E_GRAD };
static const char *const emit_words[] = { "state", "metrics", "both", "grad", NULL };

/* ===== options ===== */

enum { O_INIT = 256, O_SAVE, O_DATA_MEAN, O_DATA_STD, O_GEN_INIT, O_GEN_MEAN, O_GEN_SCALE,
       O_INIT_SIGMA, O_FAKE_INIT, O_LOSS, O_WEIGHT, O_LR, O_FAKE_LR, O_OPTIMIZER, O_BETA1,
       O_BETA2, O_EPS, O_FAKE_STEPS, O_FAKE_MODE, O_SIGMA_MIN, O_SIGMA_MAX, O_RHO, O_TMAX,
       O_P_MEAN, O_P_STD, O_SIGMA_DATA, O_WEIGHT_FLOOR };
static const struct option longopts[] = {
	{ "init", no_argument, NULL, O_INIT },
	{ "steps", required_argument, NULL, 'n' },
	{ "emit", required_argument, NULL, 'e' },
	{ "save", required_argument, NULL, O_SAVE },
	{ "data-mean", required_argument, NULL, O_DATA_MEAN },
	{ "data-std", required_argument, NULL, O_DATA_STD },
	{ "gen-init", required_argument, NULL, O_GEN_INIT },
	{ "gen-mean", required_argument, NULL, O_GEN_MEAN },
	{ "gen-scale", required_argument, NULL, O_GEN_SCALE },
	{ "init-sigma", required_argument, NULL, O_INIT_SIGMA },
	{ "fake-init", required_argument, NULL, O_FAKE_INIT },
	{ "alpha", required_argument, NULL, 'a' },
	{ "loss", required_argument, NULL, O_LOSS },
	{ "weight", required_argument, NULL, O_WEIGHT },
	{ "lr", required_argument, NULL, O_LR },
	{ "fake-lr", required_argument, NULL, O_FAKE_LR },
	{ "optimizer", required_argument, NULL, O_OPTIMIZER },
	{ "beta1", required_argument, NULL, O_BETA1 },
	{ "beta2", required_argument, NULL, O_BETA2 },
	{ "eps", required_argument, NULL, O_EPS },
	{ "batch", required_argument, NULL, 'B' },
	{ "fake-steps", required_argument, NULL, O_FAKE_STEPS },
	{ "fake-mode", required_argument, NULL, O_FAKE_MODE },
	{ "sigma-min", required_argument, NULL, O_SIGMA_MIN },
	{ "sigma-max", required_argument, NULL, O_SIGMA_MAX },
	{ "rho", required_argument, NULL, O_RHO },
	{ "tmax", required_argument, NULL, O_TMAX },
	{ "p-mean", required_argument, NULL, O_P_MEAN },
	{ "p-std", required_argument, NULL, O_P_STD },
	{ "sigma-data", required_argument, NULL, O_SIGMA_DATA },
	{ "weight-floor", required_argument, NULL, O_WEIGHT_FLOOR },
	{ 0 }
};

/* The CONFIG options, in the state's key order (sid_config_keys). */
enum { K_FINITE, K_NONNEG, K_UNIT, K_POS, K_INT1, K_INT0, K_TMAX, K_WORD };
static const struct cfgopt {
	int opt;                    /* option code */
	const char *name;           /* long option */
	int kind;                   /* K_*: what is valid */
	size_t off;                 /* field in sid_config */
	const char *const *words;   /* K_WORD */
} cfgopts[SID_NCONFIG] = {
	{ 'a', "alpha", K_FINITE, offsetof(sid_config, alpha), NULL },
	{ O_LOSS, "loss", K_WORD, offsetof(sid_config, loss), sid_loss_words },
	{ O_WEIGHT, "weight", K_WORD, offsetof(sid_config, weight), sid_weight_words },
	{ O_LR, "lr", K_NONNEG, offsetof(sid_config, lr), NULL },
	{ O_FAKE_LR, "fake-lr", K_NONNEG, offsetof(sid_config, fake_lr), NULL },
	{ O_OPTIMIZER, "optimizer", K_WORD, offsetof(sid_config, optimizer), sid_optimizer_words },
	{ O_BETA1, "beta1", K_UNIT, offsetof(sid_config, beta1), NULL },
	{ O_BETA2, "beta2", K_UNIT, offsetof(sid_config, beta2), NULL },
	{ O_EPS, "eps", K_NONNEG, offsetof(sid_config, eps), NULL },
	{ 'B', "batch", K_INT1, offsetof(sid_config, batch), NULL },
	{ O_FAKE_STEPS, "fake-steps", K_INT0, offsetof(sid_config, fake_steps), NULL },
	{ O_FAKE_MODE, "fake-mode", K_WORD, offsetof(sid_config, fake_mode), sid_fake_mode_words },
	{ O_SIGMA_MIN, "sigma-min", K_POS, offsetof(sid_config, sigma_min), NULL },
	{ O_SIGMA_MAX, "sigma-max", K_POS, offsetof(sid_config, sigma_max), NULL },
	{ O_RHO, "rho", K_POS, offsetof(sid_config, rho), NULL },
	{ O_TMAX, "tmax", K_TMAX, offsetof(sid_config, tmax), NULL },
	{ O_P_MEAN, "p-mean", K_FINITE, offsetof(sid_config, p_mean), NULL },
	{ O_P_STD, "p-std", K_NONNEG, offsetof(sid_config, p_std), NULL },
	{ O_SIGMA_DATA, "sigma-data", K_POS, offsetof(sid_config, sigma_data), NULL },
	{ O_WEIGHT_FLOOR, "weight-floor", K_POS, offsetof(sid_config, weight_floor), NULL },
};

static const char *const kind_text[] = {
	"a finite number", "a finite number >= 0", "a number in [0, 1)", "a finite number > 0",
	"a whole number >= 1", "a whole number >= 0", "a whole number from 0 to 1000", NULL
};

/* Parse a CONFIG option's value into cfg; a bad value is a usage error. */
static void parse_cfgopt(const struct cfgopt *co, const char *arg, sid_config *cfg)
{
	char *field = (char *)cfg + co->off;
	double d;
	long long v;
	int ok;
	switch (co->kind) {
	case K_WORD: {
		int w = sid_word(co->words, arg);
		if (w < 0)
			kx_usage_error("--%s: expected %s or %s, got '%s'", co->name, co->words[0],
			               co->words[1], arg);
		memcpy(field, &w, sizeof w);
		return;
	}
	case K_INT1:
	case K_INT0:
	case K_TMAX:
		ok = kx_parse_long(arg, co->kind == K_INT1, co->kind == K_TMAX ? 1000
		                   : ((long long)1 << 53) - 1, &v) == 0;
		if (!ok)
			kx_usage_error("--%s: expected %s, got '%s'", co->name, kind_text[co->kind], arg);
		memcpy(field, &v, sizeof v);
		return;
	default:
		ok = kx_parse_double(arg, &d) == 0 && d - d == 0;   /* finite */
		if (ok && co->kind == K_NONNEG)
			ok = d >= 0;
		else if (ok && co->kind == K_UNIT)
			ok = d >= 0 && d < 1;
		else if (ok && co->kind == K_POS)
			ok = d > 0;
		if (!ok)
			kx_usage_error("--%s: expected %s, got '%s'", co->name, kind_text[co->kind], arg);
		memcpy(field, &d, sizeof d);
	}
}

/* Copy the options given on the command line (mask bit k: key k) into dst. */
static void apply_config(sid_config *dst, const sid_config *src, unsigned given)
{
	for (int k = 0; k < SID_NCONFIG; k++) {
		if (!(given & (1u << k)))
			continue;
		int kind = cfgopts[k].kind;
		size_t n = kind == K_WORD ? sizeof(int) : kind >= K_INT1 ? sizeof(long long)
		         : sizeof(double);
		memcpy((char *)dst + cfgopts[k].off, (const char *)src + cfgopts[k].off, n);
	}
}

/* LIST: comma-separated finite numbers, 1 (used for every coordinate) or D of them. */
static void parse_list(const char *opt, const char *s, size_t D, double *out, int positive)
{
	size_t n = 0;
	char *copy = kx_strdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double d;
		if (kx_parse_double(tok, &d) < 0 || !(d - d == 0) || (positive && !(d > 0)))
			kx_usage_error("--%s: expected %s, got '%s'", opt,
			               positive ? "numbers > 0" : "finite numbers", tok);
		if (n < D)
			out[n] = d;
		n++;
	}
	free(copy);
	if (n != 1 && n != D)
		kx_usage_error("--%s: expected 1 or %zu numbers (dim), got %zu", opt, D, n);
	for (size_t i = 1; n == 1 && i < D; i++)
		out[i] = out[0];
}

/* ===== output ===== */

typedef struct run {
	kx_out out;
	int emit;
	int fields[NF], nfields;    /* the line's fields in order */
	const sid_state *st;
	const sid_step_out *so;
	const sid_metrics *m;
} run;

static void add_vec_or_null(kx_result *r, const char *name, int has, const double *v, size_t n)
{
	if (has)
		kx_res_vec(r, name, v, n);
	else
		kx_res_null(r, name);
}

/* One metrics or gradient line. */
static void write_line(run *R)
{
	kx_result res = { 0 };
	const sid_metrics *m = R->m;
	const sid_step_out *so = R->so;
	size_t D = R->st->dim;
	for (int k = 0; k < R->nfields; k++) {
		int f = R->fields[k];
		const char *nm = field_names[f];
		switch (f) {
		case F_STEP: kx_res_int(&res, nm, m->step); break;
		case F_LOSS_FAKE:
			if (m->has_fake)
				kx_res_num(&res, nm, m->loss_fake);
			else
				kx_res_null(&res, nm);
			break;
		case F_LOSS_GEN: kx_res_num(&res, nm, m->loss_gen); break;
		case F_L1: kx_res_num(&res, nm, m->l1); break;
		case F_L2: kx_res_num(&res, nm, m->l2); break;
		case F_KL: kx_res_num(&res, nm, m->dist.kl); break;
		case F_W2: kx_res_num(&res, nm, m->dist.w2); break;
		case F_FAKE_W2: kx_res_num(&res, nm, m->dist.fake_w2); break;
		case F_MEAN: kx_res_vec(&res, nm, R->st->gen_mean, D); break;
		case F_SCALE: kx_res_vec(&res, nm, R->st->gen_scale, D); break;
		case F_FGM: add_vec_or_null(&res, nm, m->has_fake, so->fake_grad_mean, D); break;
		case F_FGU: add_vec_or_null(&res, nm, m->has_fake, so->fake_grad_logstd, D); break;
		case F_GGM: kx_res_vec(&res, nm, so->gen_grad_mean, D); break;
		case F_GGS: kx_res_vec(&res, nm, so->gen_grad_scale, D); break;
		}
	}
	kx_write(&R->out, NULL, &res);
}

static void write_state(kx_out *o, const sid_state *st, const sid_metrics *m)
{
	o->buf.len = 0;
	sid_state_print(&o->buf, st, m, o->strict);
	kx_buf_putc(&o->buf, '\n');
	kx_out_flush(o);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_stats(long long steps, long long step, const sid_metrics *m, double secs)
{
	char a[KX_NUMLEN], b[KX_NUMLEN], c[KX_NUMLEN];
	const char *qa = m->dist.w2 - m->dist.w2 == 0 ? "" : "\"";
	const char *qb = m->dist.fake_w2 - m->dist.fake_w2 == 0 ? "" : "\"";
	kx_fmt_double(a, m->dist.w2, 0);
	kx_fmt_double(b, m->dist.fake_w2, 0);
	kx_fmt_double(c, secs, 4);
	fprintf(stderr, "{\"steps\":%lld,\"step\":%lld,\"w2\":%s%s%s,\"fake_w2\":%s%s%s,\"seconds\":%s}\n",
	        steps, step, qa, a, qa, qb, b, qb, c);
}

static void metrics_now(const sid_state *st, sid_metrics *m)
{
	*m = (sid_metrics){ .step = st->step };
	sid_distances(st, &m->dist);
}

/* ===== --init ===== */

typedef struct initopts {
	const char *data_mean, *data_std, *gen_mean, *gen_scale;
	int gen_init;        /* -1 not given, 0 teacher, 1 standard */
	int fake_init;       /* 0 teacher, 1 generator */
	int sigma_given;
	double init_sigma;
} initopts;

static int do_init(const kx_common *com, const initopts *io, const sid_config *cfg)
{
	size_t D = com->dim ? (size_t)com->dim : 2;
	sid_state st = { 0 };
	if (sid_state_alloc(&st, D) < 0)
		kx_die("out of memory for dim %zu", D);
	st.cfg = *cfg;
	kx_rng_seed(&st.rng, com->seed, 0);
	sid_default_data(D, st.data_mean, st.data_std);
	if (io->data_mean)
		parse_list("data-mean", io->data_mean, D, st.data_mean, 0);
	if (io->data_std)
		parse_list("data-std", io->data_std, D, st.data_std, 1);
	if (io->gen_mean || io->gen_scale || io->gen_init == 1) {
		for (size_t i = 0; i < D; i++) {
			st.gen_mean[i] = 0;
			st.gen_scale[i] = 1;
		}
		if (io->gen_mean)
			parse_list("gen-mean", io->gen_mean, D, st.gen_mean, 0);
		if (io->gen_scale)
			parse_list("gen-scale", io->gen_scale, D, st.gen_scale, 0);
	} else {
		sid_init_teacher(D, st.data_mean, st.data_std, io->init_sigma, st.gen_mean, st.gen_scale);
	}
	if (io->fake_init == 1) {
		memcpy(st.fake_mean, st.gen_mean, D * sizeof *st.gen_mean);
		sid_logabs(D, st.gen_scale, st.fake_logstd);
	} else {
		memcpy(st.fake_mean, st.data_mean, D * sizeof *st.data_mean);
		sid_log_vec(D, st.data_std, st.fake_logstd);
	}
	double t0 = now();
	sid_metrics m;
	metrics_now(&st, &m);
	kx_out out;
	kx_out_open(&out, com, KX_FMT_JSON);
	write_state(&out, &st, &m);
	kx_out_close(&out);
	if (com->stats)
		print_stats(0, st.step, &m, now() - t0);
	sid_state_free(&st);
	return 0;
}

/* ===== a run from a state ===== */

static int do_run(const kx_common *com, run *R, const char *path, long long nsteps,
                  const sid_config *ccfg, unsigned given, const char *save)
{
	const char *src = strcmp(path, "-") ? path : "stdin";
	size_t len;
	char *text = kx_slurp(path, &len);
	if (!text)
		kx_die("%s:", src);
	sid_state st = { 0 };
	long long line = 1;
	char err[512];
	int status = 1;
	double *work = NULL, *grads = NULL;
	if (sid_state_parse(text, len, &st, &line, err, sizeof err) < 0) {
		kx_error("%s:%lld: %s", src, line, err);
		goto done;
	}
	if (com->dim && (size_t)com->dim != st.dim) {
		kx_error("%s:%lld: dim: the state has %zu, -d says %lld", src, line, st.dim, com->dim);
		goto done;
	}
	apply_config(&st.cfg, ccfg, given);
	if (sid_config_check(&st.cfg, err, sizeof err) < 0) {
		kx_error("%s:%lld: %s", src, line, err);
		goto done;
	}
	if (com->seed_given)
		kx_rng_seed(&st.rng, com->seed, 0);
	size_t D = st.dim, wl = sid_work_len(D, st.cfg.batch);
	if (!wl)
		kx_die("out of memory (batch %lld, dim %zu)", st.cfg.batch, D);
	work = kx_malloc(wl * sizeof *work);
	grads = kx_calloc(4 * D, sizeof *grads);
	sid_step_out so = { .fake_grad_mean = grads, .fake_grad_logstd = grads + D,
	                    .gen_grad_mean = grads + 2 * D, .gen_grad_scale = grads + 3 * D };
	sid_metrics m;
	metrics_now(&st, &m);
	R->st = &st;
	R->so = &so;
	R->m = &m;
	int lines = R->emit != E_STATE;
	kx_out_open(&R->out, com, com->out_fmt ? com->out_fmt : KX_FMT_JSON);
	double t0 = now();
	long long k;
	for (k = 0; k < nsteps; k++) {
		sid_iterate(&st, work, &so);
		size_t idx;
		double bad;
		const char *which = sid_first_nonfinite(&st, &idx, &bad);
		if (which) {
			char b[KX_NUMLEN];
			kx_fmt_double(b, bad, 0);
			kx_out_close(&R->out);
			kx_error("%s:%lld: step %lld: non-finite parameters (%s[%zu] = %s)", src, line,
			         st.step, which, idx, b);
			if (com->stats)    /* the last good step and its distances */
				print_stats(k, st.step - 1, &m, now() - t0);
			goto done;
		}
		m = (sid_metrics){ .step = st.step, .has_fake = so.has_fake, .has_gen = 1,
		                   .loss_fake = so.loss_fake, .loss_gen = so.loss_gen, .l1 = so.l1,
		                   .l2 = so.l2 };
		sid_distances(&st, &m.dist);
		if (lines)
			write_line(R);
		kx_progress("step %lld/%lld  w2 %.4g  fake_w2 %.4g", k + 1, nsteps, m.dist.w2,
		            m.dist.fake_w2);
	}
	kx_progress_done();
	if (save) {
		kx_buf b = { 0 };
		sid_state_print(&b, &st, &m, com->strict_json);
		kx_buf_putc(&b, '\n');
		int st_ = sid_write_atomic(save, b.s, b.len, err, sizeof err);
		kx_buf_free(&b);
		if (st_ < 0) {
			kx_out_close(&R->out);
			kx_error("%s", err);
			goto done;
		}
	}
	if (R->emit == E_STATE || R->emit == E_BOTH)
		write_state(&R->out, &st, &m);
	kx_out_close(&R->out);
	if (com->stats)
		print_stats(k, st.step, &m, now() - t0);
	status = 0;
done:
	free(work);
	free(grads);
	free(text);
	sid_state_free(&st);
	return status;
}

/* ===== main ===== */

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "sid-step", help, "a:B:n:e:", longopts, KX_ACCEPT_SEED };
	sid_config ccfg;
	sid_config_default(&ccfg);
	unsigned given = 0;
	initopts io = { .gen_init = -1, .init_sigma = 2.5 };
	const char *save = NULL, *init_only = NULL;
	int init = 0, n_given = 0, emit = E_NONE;
	long long nsteps = 1;
	int o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		int k;
		for (k = 0; k < SID_NCONFIG && cfgopts[k].opt != o; k++)
			;
		if (k < SID_NCONFIG) {
			parse_cfgopt(&cfgopts[k], optarg, &ccfg);
			given |= 1u << k;
			continue;
		}
		switch (o) {
		case O_INIT: init = 1; break;
		case 'n':
			if (kx_parse_long(optarg, 0, ((long long)1 << 53) - 1, &nsteps) < 0)
				kx_usage_error("-n: expected a whole number from 0 to 2^53-1, got '%s'", optarg);
			n_given = 1;
			break;
		case 'e':
			emit = sid_word(emit_words, optarg);
			if (emit < 0)
				kx_usage_error("-e: expected state, metrics, both or grad, got '%s'", optarg);
			break;
		case O_SAVE: save = optarg; break;
		case O_DATA_MEAN: io.data_mean = optarg; init_only = "--data-mean"; break;
		case O_DATA_STD: io.data_std = optarg; init_only = "--data-std"; break;
		case O_GEN_MEAN: io.gen_mean = optarg; init_only = "--gen-mean"; break;
		case O_GEN_SCALE: io.gen_scale = optarg; init_only = "--gen-scale"; break;
		case O_GEN_INIT:
			io.gen_init = !strcmp(optarg, "teacher") ? 0 : !strcmp(optarg, "standard") ? 1 : -2;
			if (io.gen_init == -2)
				kx_usage_error("--gen-init: expected teacher or standard, got '%s'", optarg);
			init_only = "--gen-init";
			break;
		case O_FAKE_INIT:
			io.fake_init = !strcmp(optarg, "teacher") ? 0 : !strcmp(optarg, "generator") ? 1 : -1;
			if (io.fake_init < 0)
				kx_usage_error("--fake-init: expected teacher or generator, got '%s'", optarg);
			init_only = "--fake-init";
			break;
		case O_INIT_SIGMA:
			if (kx_parse_double(optarg, &io.init_sigma) < 0 ||
			    !(io.init_sigma > 0 && io.init_sigma - io.init_sigma == 0))
				kx_usage_error("--init-sigma: expected a finite number > 0, got '%s'", optarg);
			io.sigma_given = 1;
			init_only = "--init-sigma";
			break;
		}
	}
	int nops = argc - optind;
	if (com.key)
		kx_usage_error("--key: not applicable (the state is the whole record)");
	if (com.in_fmt != KX_FMT_AUTO && com.in_fmt != KX_FMT_JSON)
		kx_usage_error("-i %s: the state is JSON (use -i json or auto)", kx_fmt_name(com.in_fmt));
	if (com.out_fmt == KX_FMT_U32)
		kx_usage_error("-O u32: sid-step has no index field");
	if ((given & (1u << 12)) && (given & (1u << 13)) && ccfg.sigma_min > ccfg.sigma_max)
		kx_usage_error("--sigma-min must not exceed --sigma-max");
	if (io.gen_init >= 0 && (io.gen_mean || io.gen_scale))
		kx_usage_error("--gen-init does not go with --gen-mean/--gen-scale (they set the generator)");
	if (io.sigma_given && (io.gen_init == 1 || io.gen_mean || io.gen_scale))
		kx_usage_error("--init-sigma needs the teacher initialisation");

	if (init) {
		if (n_given || emit != E_NONE || save || com.fields || nops)
			kx_usage_error("--init does not go with %s", n_given ? "-n" : emit != E_NONE ? "-e"
			               : save ? "--save" : com.fields ? "-f" : "an operand");
		if (com.out_fmt && com.out_fmt != KX_FMT_JSON)
			kx_usage_error("--init writes a JSON state: -O %s is not possible",
			               kx_fmt_name(com.out_fmt));
		char err[256];
		if (sid_config_check(&ccfg, err, sizeof err) < 0)
			kx_usage_error("%s", err);
		return do_init(&com, &io, &ccfg);
	}
	if (init_only)
		kx_usage_error("%s needs --init", init_only);
	if (nops > 1)
		kx_usage_error("one state at a time: got %d operands", nops);
	run R = { .emit = emit != E_NONE ? emit : n_given ? E_METRICS : E_STATE };
	int lines_text = com.out_fmt == KX_FMT_TEXT || com.out_fmt == KX_FMT_F32 ||
	                 com.out_fmt == KX_FMT_F64;
	if (lines_text && (R.emit == E_STATE || R.emit == E_BOTH))
		kx_usage_error("-O %s is for metrics and gradient lines: the state is JSON (-e %s)",
		               kx_fmt_name(com.out_fmt), emit_words[R.emit]);
	if (com.fields && R.emit == E_STATE)
		kx_usage_error("-f chooses fields of metrics or gradient lines, not of the state");
	const int *line_fields = R.emit == E_GRAD ? grad_fields : metrics_fields;
	int nline = R.emit == E_GRAD ? (int)(sizeof grad_fields / sizeof *grad_fields)
	          : (int)(sizeof metrics_fields / sizeof *metrics_fields);
	if (com.fields) {
		R.nfields = kx_fields_parse(com.fields, field_names, R.fields, NF);
		for (int i = 0; i < R.nfields; i++) {
			int j;
			for (j = 0; j < nline && line_fields[j] != R.fields[i]; j++)
				;
			if (j == nline)
				kx_usage_error("-f: the %s lines have no field '%s'",
				               R.emit == E_GRAD ? "gradient" : "metrics", field_names[R.fields[i]]);
		}
	} else {
		R.nfields = nline;
		memcpy(R.fields, line_fields, (size_t)nline * sizeof *line_fields);
	}
	if ((com.out_fmt == KX_FMT_F32 || com.out_fmt == KX_FMT_F64) && R.nfields != 1)
		kx_usage_error("raw output (-O %s) carries one field: choose it with -f",
		               kx_fmt_name(com.out_fmt));
	return do_run(&com, &R, nops ? argv[optind] : "-", nsteps, &ccfg, given, save);
}
