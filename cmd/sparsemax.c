/*
 * sparsemax — the threshold maps over a stream of rows: sparsemax (onto the
 * simplex of radius r), 1.5-entmax and alpha-entmax for any alpha >= 1, with
 * temperature; the threshold tau, the support size, the Fenchel-Young loss,
 * its gradient, JVP and VJP.
 * Post: Su Jianlin, "The road to probability distributions" (kexue.fm 10145);
 * papers: Martins & Astudillo 2016, Peters et al. 2019; spec: softmax.md.
 * Leaves out: partial sorting (top-k with k doubling) for the exact methods.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"
#include "entmax.h"
#include "io_targets.h"

static const char help[] =
"usage: sparsemax [-a ALPHA] [-T TEMP] [-r RADIUS] [--algo=auto|sort|bisect] [--iters N]\n"
"                 [--tau] [--support] [--loss] [--grad] [--jvp] [--vjp] [--dalpha] [--safe]\n"
"                 [-i FMT] [-O FMT] [-d N] [-f FIELDS] [--key NAME] [-o FILE] [-K] [-u]\n"
"                 [--digits N] [--strict-json] [-q] [--stats] [FILE...]\n"
"Normalise each row by a threshold: p_i = [(a-1) x_i/T - tau]_+^(1/(a-1)) (softmax.md).\n"
"  -a, --alpha A        entmax alpha >= 1: 1 softmax, 1.5 entmax15, 2 sparsemax (default)\n"
"  -T, --temperature T  use x/T (T >= 0, inf allowed; default 1)\n"
"  -r, --radius R       project onto {p >= 0, sum p = R} (alpha = 2 only; default 1)\n"
"      --algo=ALGO      auto (default), sort (alpha 1.5 or 2), bisect\n"
"      --iters N        exactly N bisection steps (default: Newton-bisection to convergence)\n"
"      --tau            add tau, the threshold in the units of (a-1) x/T\n"
"      --support        add support = #{i : p_i > 0}\n"
"      --loss, --grad   Fenchel-Young loss and its gradient; need \"t\"\n"
"      --jvp, --vjp     J v (needs \"v\"), J^T g (needs \"g\")\n"
"      --dalpha         add dalpha = dp/dalpha\n"
"      --safe           fully masked rows (all -inf) give p = 0\n"
"Fields: p tau support loss grad jvp vjp dalpha.  Formats: json (default), text, f32, f64.\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q --stats -h -V; see sparsemax(1).\n";

enum { F_P, F_TAU, F_SUPPORT, F_LOSS, F_GRAD, F_JVP, F_VJP, F_DALPHA, NF };
static const char *const field_names[] = { "p", "tau", "support", "loss", "grad", "jvp", "vjp",
                                           "dalpha", NULL };

enum { O_ALGO = 256, O_ITERS, O_TAU, O_SUPPORT, O_LOSS, O_GRAD, O_JVP, O_VJP, O_DALPHA, O_SAFE };
static const struct option longopts[] = {
	{ "alpha", required_argument, NULL, 'a' },
	{ "temperature", required_argument, NULL, 'T' },
	{ "radius", required_argument, NULL, 'r' },
	{ "algo", required_argument, NULL, O_ALGO },
	{ "iters", required_argument, NULL, O_ITERS },
	{ "tau", no_argument, NULL, O_TAU },
	{ "support", no_argument, NULL, O_SUPPORT },
	{ "loss", no_argument, NULL, O_LOSS },
	{ "grad", no_argument, NULL, O_GRAD },
	{ "jvp", no_argument, NULL, O_JVP },
	{ "vjp", no_argument, NULL, O_VJP },
	{ "dalpha", no_argument, NULL, O_DALPHA },
	{ "safe", no_argument, NULL, O_SAFE },
	{ 0 }
};

typedef struct {
	kx_entmax_cfg cfg;
	const char *key;
	size_t dim;               /* -d: every row must have this many values; 0 = any */
	int fields[NF], nfields;  /* output fields in order */
	int want[NF];             /* 1 when the field is computed */
	int need_t, need_v, need_g;
	const char *need_t_why;   /* the option that needs "t", for messages */
	long iters;               /* --iters as given (0: none), for per-record alpha */
	/* per-record buffers, grown to the largest record */
	double *p, *grad, *jvp, *vjp, *dal, *tau, *loss, *work;
	long long *support;
	long *t;
	size_t cap_n, cap_rows, cap_work;
	kx_mat v, g, xo;          /* "v", "g", and x of an object record */
	/* --stats */
	long long rows, nan_rows, zero_rows, ok_rows, sum_support;
	double sum_loss;
	int max_steps;
} ctx_t;

static void grow(ctx_t *c, size_t n, size_t rows, size_t maxrow)
{
	if (n > c->cap_n) {
		c->cap_n = n;
		double **arrs[] = { &c->p, &c->grad, &c->jvp, &c->vjp, &c->dal };
		for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++)
			*arrs[i] = kx_realloc(*arrs[i], n * sizeof **arrs[i]);
	}
	if (rows > c->cap_rows) {
		c->cap_rows = rows;
		c->tau = kx_realloc(c->tau, rows * sizeof *c->tau);
		c->loss = kx_realloc(c->loss, rows * sizeof *c->loss);
		c->support = kx_realloc(c->support, rows * sizeof *c->support);
		c->t = kx_realloc(c->t, rows * sizeof *c->t);
	}
	size_t w = kx_entmax_work(maxrow);
	if (w > c->cap_work) {
		c->cap_work = w;
		c->work = kx_realloc(c->work, w * sizeof *c->work);
	}
}

/* The scores of a record: the array itself, or the object's key. */
/* Per-record settings (conventions 3): "alpha" and "temperature" in an object
 * record override -a and -T for its rows; what the command line refuses as a
 * usage error makes such a record bad. */
static int record_cfg(const ctx_t *c, const kx_rec *in, kx_entmax_cfg *cfg, char *err,
                      size_t errsz)
{
	*cfg = c->cfg;
	if (in->kind != KX_REC_OBJECT)
		return 0;
	double v;
	int st = kx_rec_num(in, "alpha", &v, err, errsz);
	if (st < 0)
		return -1;
	if (st == 0) {
		if (!isfinite(v) || !(v >= 1)) {
			snprintf(err, errsz, "\"alpha\" must be a finite number >= 1");
			return -1;
		}
		cfg->alpha = v;
	}
	st = kx_rec_num(in, "temperature", &v, err, errsz);
	if (st < 0)
		return -1;
	if (st == 0) {
		if (!(v >= 0)) {
			snprintf(err, errsz, "\"temperature\" must be a number >= 0 (inf allowed)");
			return -1;
		}
		cfg->T = v;
	}
	double a = cfg->alpha;
	int exact = a == 1.5 || a == 2;
	if (cfg->r != 1 && a != 2) {
		snprintf(err, errsz, "alpha %g: a radius other than 1 needs alpha = 2", a);
		return -1;
	}
	if (cfg->algo == KX_EM_SORT && !exact) {
		snprintf(err, errsz, "alpha %g: --algo=sort needs alpha = 1.5 or 2", a);
		return -1;
	}
	if ((c->want[F_LOSS] || c->want[F_GRAD]) && !(cfg->T > 0 && !isinf(cfg->T))) {
		snprintf(err, errsz, "loss and grad need a temperature 0 < T < inf");
		return -1;
	}
	cfg->iters = a == 1 || (cfg->algo == KX_EM_AUTO && exact) ? 0 : c->iters;
	return 0;
}

static int process(void *vc, kx_rec *in, kx_result *res, char *err, size_t errsz)
{
	ctx_t *c = vc;
	size_t maxrow;
	const char *need = c->need_t ? "t" : c->need_v ? "v" : c->need_g ? "g" : NULL;
	const kx_mat *x = kx_rec_rows(in, c->key, need,
	                              c->need_t ? c->need_t_why : c->need_v ? "--jvp" : "--vjp",
	                              c->dim, &c->xo, &maxrow, err, errsz);
	if (!x)
		return KX_BAD;
	kx_entmax_cfg cfg;
	if (record_cfg(c, in, &cfg, err, errsz) < 0)
		return KX_BAD;
	grow(c, x->n, x->rows, maxrow);
	if (c->need_t && kx_rec_targets(in, x, c->need_t_why, c->t, err, errsz) < 0)
		return KX_BAD;
	if (c->need_v && kx_rec_like(in, "v", "--jvp", x, &c->v, err, errsz) < 0)
		return KX_BAD;
	if (c->need_g && kx_rec_like(in, "g", "--vjp", x, &c->g, err, errsz) < 0)
		return KX_BAD;

	for (size_t r = 0; r < x->rows; r++) {
		size_t o = x->off[r], n = KX_ROWLEN(x, r);
		int steps = 0;
		kx_entmax_out out = {
			.p = c->want[F_P] ? c->p + o : NULL,
			.tau = c->want[F_TAU] ? c->tau + r : NULL,
			.support = c->support + r,
			.loss = c->want[F_LOSS] ? c->loss + r : NULL,
			.grad = c->want[F_GRAD] ? c->grad + o : NULL,
			.jvp = c->want[F_JVP] ? c->jvp + o : NULL,
			.v = c->want[F_JVP] ? c->v.v + o : NULL,
			.vjp = c->want[F_VJP] ? c->vjp + o : NULL,
			.g = c->want[F_VJP] ? c->g.v + o : NULL,
			.dalpha = c->want[F_DALPHA] ? c->dal + o : NULL,
			.steps = &steps,
		};
		int kind = kx_entmax_row(&cfg, x->v + o, n, c->need_t ? c->t[r] : -1, &out, c->work);
		c->rows++;
		if (kind == KX_ROW_NAN || (kind == KX_ROW_MASKED && !c->cfg.safe)) {
			c->nan_rows++;
		} else if (kind == KX_ROW_MASKED) {
			c->zero_rows++;
		} else {
			c->ok_rows++;
			c->sum_support += c->support[r];
			if (c->want[F_LOSS])
				c->sum_loss += c->loss[r];
		}
		if (steps > c->max_steps)
			c->max_steps = steps;
	}

	res->per_row = x->batch;
	for (int k = 0; k < c->nfields; k++) {
		int f = c->fields[k];
		const char *name = field_names[f];
		double *vec = f == F_P ? c->p : f == F_GRAD ? c->grad : f == F_JVP ? c->jvp
		            : f == F_VJP ? c->vjp : f == F_DALPHA ? c->dal : NULL;
		if (vec)
			kx_res_entries(res, name, vec, x);
		else if (f == F_SUPPORT)
			kx_res_irows(res, name, c->support, x);
		else
			kx_res_rows(res, name, f == F_TAU ? c->tau : c->loss, x);
	}
	return KX_OK;
}

/* -f LIST, or the primary field p followed by those the flags ask for. */
static void choose_fields(ctx_t *c, const kx_common *com, const int *flag)
{
	static const char *const flag_name[NF] = { "", "--tau", "--support", "--loss", "--grad",
	                                           "--jvp", "--vjp", "--dalpha" };
	if (com->fields) {
		c->nfields = kx_fields_parse(com->fields, field_names, c->fields, NF);
		for (int i = 0; i < c->nfields; i++)
			c->want[c->fields[i]] = 1;
		for (int f = F_TAU; f < NF; f++)
			if (flag[f] && !c->want[f])
				kx_usage_error("-f leaves out the field '%s' that %s asks for", field_names[f],
				               flag_name[f]);
		return;
	}
	c->fields[c->nfields++] = F_P;
	for (int f = F_TAU; f < NF; f++)
		if (flag[f])
			c->fields[c->nfields++] = f;
	for (int i = 0; i < c->nfields; i++)
		c->want[c->fields[i]] = 1;
}

/* --stats: the counts of softmax.md 4.8, then the means over the rows that
 * were normalised (neither NaN nor zeroed) and the most evaluations of the
 * threshold equation (--iters N: N; exact methods: 0). */
static void stat_num(kx_buf *b, const char *name, double v)
{
	char num[KX_NUMLEN];
	kx_fmt_double(num, v, 0);
	kx_buf_printf(b, isfinite(v) ? ",\"%s\":%s" : ",\"%s\":\"%s\"", name, num);
}

static void print_stats(const ctx_t *c, const kx_counts *cnt)
{
	kx_buf b = { 0 };
	kx_buf_printf(&b, "{\"records\":%lld,\"rows\":%lld,\"bad_records\":%lld,\"nan_rows\":%lld,"
	              "\"zero_rows\":%lld", cnt->records, c->rows, cnt->bad, c->nan_rows, c->zero_rows);
	if (c->ok_rows) {
		stat_num(&b, "mean_support", (double)c->sum_support / (double)c->ok_rows);
		if (c->want[F_LOSS])
			stat_num(&b, "mean_loss", c->sum_loss / (double)c->ok_rows);
	}
	kx_buf_printf(&b, ",\"max_steps\":%d}\n", c->max_steps);
	fputs(b.s, stderr);
	kx_buf_free(&b);
}

static int is_raw(int fmt) { return fmt == KX_FMT_F32 || fmt == KX_FMT_F64; }

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "sparsemax", help, "a:T:r:", longopts, 0 };
	ctx_t c = { .cfg = { .alpha = 2, .T = 1, .r = 1, .algo = KX_EM_AUTO } };
	int flag[NF] = { 0 }, iters_given = 0;
	long long iters = 0;
	int o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		switch (o) {
		case 'a':
			if (kx_parse_double(optarg, &c.cfg.alpha) < 0 || !isfinite(c.cfg.alpha) ||
			    !(c.cfg.alpha >= 1))
				kx_usage_error("alpha must be a finite number >= 1, got '%s'", optarg);
			break;
		case 'T':
			if (kx_parse_double(optarg, &c.cfg.T) < 0 || !(c.cfg.T >= 0))
				kx_usage_error("-T: expected a temperature >= 0 (inf allowed), got '%s'", optarg);
			break;
		case 'r':
			if (kx_parse_double(optarg, &c.cfg.r) < 0 || !isfinite(c.cfg.r) || !(c.cfg.r > 0))
				kx_usage_error("-r: expected a finite radius > 0, got '%s'", optarg);
			break;
		case O_ALGO:
			if (!strcmp(optarg, "auto"))
				c.cfg.algo = KX_EM_AUTO;
			else if (!strcmp(optarg, "sort"))
				c.cfg.algo = KX_EM_SORT;
			else if (!strcmp(optarg, "bisect"))
				c.cfg.algo = KX_EM_BISECT;
			else
				kx_usage_error("--algo: expected auto, sort or bisect, got '%s'", optarg);
			break;
		case O_ITERS:
			if (kx_parse_long(optarg, 1, 100000, &iters) < 0)
				kx_usage_error("--iters: expected a whole number from 1 to 100000, got '%s'", optarg);
			iters_given = 1;
			break;
		case O_TAU: flag[F_TAU] = 1; break;
		case O_SUPPORT: flag[F_SUPPORT] = 1; break;
		case O_LOSS: flag[F_LOSS] = 1; break;
		case O_GRAD: flag[F_GRAD] = 1; break;
		case O_JVP: flag[F_JVP] = 1; break;
		case O_VJP: flag[F_VJP] = 1; break;
		case O_DALPHA: flag[F_DALPHA] = 1; break;
		case O_SAFE: c.cfg.safe = 1; break;
		}
	}
	double a = c.cfg.alpha;
	int exact = a == 1.5 || a == 2;
	if (c.cfg.r != 1 && a != 2)
		kx_usage_error("-r: a radius other than 1 needs alpha = 2");
	if (c.cfg.algo == KX_EM_SORT && !exact)
		kx_usage_error("--algo=sort needs alpha = 1.5 or 2 (use --algo=bisect)");
	if (iters_given && c.cfg.algo == KX_EM_SORT)
		kx_usage_error("--iters needs bisection, not --algo=sort");
	int iters_ignored = iters_given && (a == 1 || (c.cfg.algo == KX_EM_AUTO && exact));
	c.cfg.iters = iters_ignored ? 0 : (long)iters;
	c.iters = (long)iters;

	choose_fields(&c, &com, flag);
	int finite_T = c.cfg.T > 0 && !isinf(c.cfg.T);
	if ((c.want[F_LOSS] || c.want[F_GRAD]) && !finite_T)
		kx_usage_error("loss and grad need a temperature 0 < T < inf");
	if ((c.want[F_LOSS] || c.want[F_GRAD]) && c.cfg.r != 1)
		kx_usage_error("loss and grad need radius 1 (the Fenchel-Young loss lives on the simplex)");
	c.need_t = c.want[F_LOSS] || c.want[F_GRAD];
	c.need_t_why = c.want[F_LOSS] ? "--loss" : "--grad";
	c.need_v = c.want[F_JVP];
	c.need_g = c.want[F_VJP];
	if ((c.need_t || c.need_v || c.need_g) && (com.in_fmt == KX_FMT_TEXT || is_raw(com.in_fmt)))
		kx_usage_error("%s needs object records (json), not -i %s",
		               c.need_t ? c.need_t_why : c.need_v ? "--jvp" : "--vjp",
		               kx_fmt_name(com.in_fmt));
	if (com.out_fmt == KX_FMT_U32 && !(c.nfields == 1 && c.fields[0] == F_SUPPORT))
		kx_usage_error("-O u32 carries one integer field, the support: give -f support");
	int raw_ok = c.nfields == 1 && (c.fields[0] == F_P || c.fields[0] == F_TAU);
	if (is_raw(com.out_fmt) && !raw_ok)
		kx_usage_error("raw output (-O %s) carries one field, p or tau: choose it with -f",
		               kx_fmt_name(com.out_fmt));
	if (is_raw(com.in_fmt) && com.out_fmt == KX_FMT_NONE && !raw_ok)
		kx_usage_error("raw output (-i %s, so -O %s) carries one field, p or tau: choose it "
		               "with -f, or give -O json", kx_fmt_name(com.in_fmt), kx_fmt_name(com.in_fmt));
	c.key = com.key ? com.key : "x";
	c.dim = (size_t)com.dim;
	c.cfg.fast = is_raw(com.in_fmt);    /* Condat's algorithm for alpha = 2 on the raw path */
	if (iters_ignored)                  /* after every usage error: a warning, then the work */
		kx_warn("--iters is ignored: alpha = %g is computed %s", a,
		        a == 1 ? "in closed form (softmax)" : "exactly by sorting");

	kx_reader *rd = kx_reader_open(com.in_fmt, is_raw(com.in_fmt) ? (size_t)(com.dim ? com.dim : 1) : 0,
	                               argc - optind, argv + optind);
	int in_fmt = kx_reader_format(rd);
	kx_out out;
	kx_out_open(&out, &com, com.out_fmt ? com.out_fmt : in_fmt);
	kx_counts cnt;
	int status = kx_filter(&com, rd, &out, process, &c, &cnt);
	kx_out_close(&out);
	kx_reader_close(rd);
	if (com.stats)
		print_stats(&c, &cnt);
	double **arrs[] = { &c.p, &c.grad, &c.jvp, &c.vjp, &c.dal, &c.tau, &c.loss, &c.work };
	for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++)
		free(*arrs[i]);
	free(c.support);
	free(c.t);
	kx_mat_free(&c.v);
	kx_mat_free(&c.g);
	kx_mat_free(&c.xo);
	return status;
}
