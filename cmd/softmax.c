/*
 * softmax — the softmax family over a stream of rows: temperature, log-softmax,
 * logsumexp, top-k and top-p Sparse Softmax, Taylor softmax, Perturb Max, the
 * AM margin, the cross-entropy loss, its gradient, JVP and VJP.
 * Post: Su Jianlin, "The road to probability distributions" (kexue.fm 10145);
 * spec: softmax.md.  Leaves out: Taylor JVP/VJP (later), per-record overrides.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"
#include "softmax.h"
#include "io_targets.h"

static const char help[] =
"usage: softmax [-l] [-L] [-T TEMP] [-k K | -p P | --taylor[=K] | --perturb=gumbel|normal]\n"
"               [-m MARGIN] [--loss] [--grad] [--jvp] [--vjp] [--safe]\n"
"               [-i FMT] [-O FMT] [-d N] [-f FIELDS] [--key NAME] [-o FILE] [-K] [-u]\n"
"               [--digits N] [--strict-json] [-q] [--stats] [FILE...]\n"
"Normalise each row by division by a sum (softmax.md).\n"
"  -T, --temperature T  use x/T (T >= 0, inf allowed; default 1)\n"
"  -l, --log            primary output log p (field logp)\n"
"  -L, --lse            add lse = T*logsumexp(x/T)\n"
"  -k, --top-k K        Sparse Softmax over the K largest scores (0 = off)\n"
"  -p, --top-p P        Sparse Softmax over the nucleus of mass P (0 < P <= 1)\n"
"      --taylor[=K]     Taylor softmax of even order K (default 2)\n"
"      --perturb=NOISE  Perturb Max with gumbel or normal noise\n"
"  -m, --margin M       x_t -= M first (AM-Softmax); needs \"t\"\n"
"      --loss, --grad   cross-entropy and its gradient; need \"t\"\n"
"      --jvp, --vjp     J v (needs \"v\"), J^T g (needs \"g\") of the primary output\n"
"      --safe           fully masked rows (all -inf) give p = 0\n"
"Fields: p logp lse loss grad jvp vjp.  Formats: json (default), text, f32, f64.\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q --stats -h -V; see softmax(1).\n";

enum { F_P, F_LOGP, F_LSE, F_LOSS, F_GRAD, F_JVP, F_VJP, NF };
static const char *const field_names[] = { "p", "logp", "lse", "loss", "grad", "jvp", "vjp", NULL };

enum { O_TAYLOR = 256, O_PERTURB, O_LOSS, O_GRAD, O_JVP, O_VJP, O_SAFE };
static const struct option longopts[] = {
	{ "log", no_argument, NULL, 'l' },
	{ "lse", no_argument, NULL, 'L' },
	{ "temperature", required_argument, NULL, 'T' },
	{ "top-k", required_argument, NULL, 'k' },
	{ "top-p", required_argument, NULL, 'p' },
	{ "margin", required_argument, NULL, 'm' },
	{ "taylor", optional_argument, NULL, O_TAYLOR },
	{ "perturb", required_argument, NULL, O_PERTURB },
	{ "loss", no_argument, NULL, O_LOSS },
	{ "grad", no_argument, NULL, O_GRAD },
	{ "jvp", no_argument, NULL, O_JVP },
	{ "vjp", no_argument, NULL, O_VJP },
	{ "safe", no_argument, NULL, O_SAFE },
	{ 0 }
};

typedef struct {
	kx_softmax_cfg cfg;
	const char *key;
	size_t dim;               /* -d: every row must have this many values; 0 = any */
	int fields[NF], nfields;  /* output fields in order */
	int want[NF];             /* 1 when the field is computed */
	int jlog;                 /* jvp/vjp of log p */
	int need_t, need_v, need_g;
	const char *need_t_why;   /* the option that needs "t", for messages */
	/* per-record buffers, grown to the largest record */
	double *p, *logp, *grad, *jvp, *vjp, *lse, *loss, *work;
	size_t cap_n, cap_rows, cap_work;
	long *t;
	kx_mat v, g, xo;          /* "v", "g", and x of an object record */
	/* --stats */
	long long rows, nan_rows, zero_rows;
} ctx_t;

static void grow(ctx_t *c, size_t n, size_t rows, size_t maxrow)
{
	if (n > c->cap_n) {
		c->cap_n = n;
		double **arrs[] = { &c->p, &c->logp, &c->grad, &c->jvp, &c->vjp };
		for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++)
			*arrs[i] = kx_realloc(*arrs[i], n * sizeof **arrs[i]);
	}
	if (rows > c->cap_rows) {
		c->cap_rows = rows;
		c->lse = kx_realloc(c->lse, rows * sizeof *c->lse);
		c->loss = kx_realloc(c->loss, rows * sizeof *c->loss);
		c->t = kx_realloc(c->t, rows * sizeof *c->t);
	}
	size_t w = kx_softmax_work(maxrow);
	if (w > c->cap_work) {
		c->cap_work = w;
		c->work = kx_realloc(c->work, w * sizeof *c->work);
	}
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
	grow(c, x->n, x->rows, maxrow);
	if (c->need_t && kx_rec_targets(in, x, c->need_t_why, c->t, err, errsz) < 0)
		return KX_BAD;
	if (c->need_v && kx_rec_like(in, "v", "--jvp", x, &c->v, err, errsz) < 0)
		return KX_BAD;
	if (c->need_g && kx_rec_like(in, "g", "--vjp", x, &c->g, err, errsz) < 0)
		return KX_BAD;

	for (size_t r = 0; r < x->rows; r++) {
		size_t o = x->off[r], n = KX_ROWLEN(x, r);
		kx_softmax_out out = {
			.p = c->want[F_P] ? c->p + o : NULL,
			.logp = c->want[F_LOGP] ? c->logp + o : NULL,
			.lse = c->want[F_LSE] ? c->lse + r : NULL,
			.loss = c->want[F_LOSS] ? c->loss + r : NULL,
			.grad = c->want[F_GRAD] ? c->grad + o : NULL,
			.jvp = c->want[F_JVP] ? c->jvp + o : NULL,
			.v = c->want[F_JVP] ? c->v.v + o : NULL,
			.vjp = c->want[F_VJP] ? c->vjp + o : NULL,
			.g = c->want[F_VJP] ? c->g.v + o : NULL,
			.jlog = c->jlog,
		};
		int kind = kx_softmax_row(&c->cfg, x->v + o, n, c->need_t ? c->t[r] : -1, &out, c->work);
		c->rows++;
		if (kind == KX_ROW_NAN || (kind == KX_ROW_MASKED && !c->cfg.safe))
			c->nan_rows++;
		else if (kind == KX_ROW_MASKED)
			c->zero_rows++;
	}

	res->per_row = x->batch;
	for (int k = 0; k < c->nfields; k++) {
		int f = c->fields[k];
		const char *name = field_names[f];
		double *vec = f == F_P ? c->p : f == F_LOGP ? c->logp : f == F_GRAD ? c->grad
		            : f == F_JVP ? c->jvp : f == F_VJP ? c->vjp : NULL;
		if (vec)
			kx_res_entries(res, name, vec, x);
		else
			kx_res_rows(res, name, f == F_LSE ? c->lse : c->loss, x);
	}
	return KX_OK;
}

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "softmax", help, "lLT:k:p:m:", longopts, 0 };
	ctx_t c = { .cfg = { .mode = KX_SM_PLAIN, .T = 1 } };
	int flag[NF] = { 0 }, log_out = 0, n_exclusive = 0;
	long long k = 0;
	int o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		switch (o) {
		case 'l': log_out = 1; break;
		case 'L': flag[F_LSE] = 1; break;
		case 'T':
			if (kx_parse_double(optarg, &c.cfg.T) < 0 || !(c.cfg.T >= 0))
				kx_usage_error("-T: expected a temperature >= 0 (inf allowed), got '%s'", optarg);
			break;
		case 'k':
			if (kx_parse_long(optarg, 0, (long long)1 << 62, &k) < 0)
				kx_usage_error("-k: expected a whole number >= 0, got '%s'", optarg);
			break;
		case 'p':
			if (kx_parse_double(optarg, &c.cfg.p) < 0 || !(c.cfg.p > 0 && c.cfg.p <= 1))
				kx_usage_error("-p: expected a probability mass in (0, 1], got '%s'", optarg);
			c.cfg.mode = KX_SM_TOPP;
			n_exclusive++;
			break;
		case 'm':
			if (kx_parse_double(optarg, &c.cfg.margin) < 0 || !isfinite(c.cfg.margin))
				kx_usage_error("-m: expected a finite margin, got '%s'", optarg);
			break;
		case O_TAYLOR: {
			long long K = 2;
			if (optarg && (kx_parse_long(optarg, 2, 1000, &K) < 0 || K % 2))
				kx_usage_error("--taylor: expected an even order >= 2, got '%s'", optarg);
			c.cfg.mode = KX_SM_TAYLOR;
			c.cfg.order = (int)K;
			n_exclusive++;
			break;
		}
		case O_PERTURB:
			if (!strcmp(optarg, "gumbel"))
				c.cfg.mode = KX_SM_GUMBEL;
			else if (!strcmp(optarg, "normal"))
				c.cfg.mode = KX_SM_NORMAL;
			else
				kx_usage_error("--perturb: expected gumbel or normal, got '%s'", optarg);
			n_exclusive++;
			break;
		case O_LOSS: flag[F_LOSS] = 1; break;
		case O_GRAD: flag[F_GRAD] = 1; break;
		case O_JVP: flag[F_JVP] = 1; break;
		case O_VJP: flag[F_VJP] = 1; break;
		case O_SAFE: c.cfg.safe = 1; break;
		}
	}
	if (k > 0) {
		c.cfg.mode = KX_SM_TOPK;
		c.cfg.k = (size_t)k;
		n_exclusive++;
	}
	if (n_exclusive > 1)
		kx_usage_error("use at most one of -k, -p, --taylor, --perturb");
	int perturb = c.cfg.mode == KX_SM_GUMBEL || c.cfg.mode == KX_SM_NORMAL;
	int taylor = c.cfg.mode == KX_SM_TAYLOR;
	int finite_T = c.cfg.T > 0 && !isinf(c.cfg.T);
	if ((taylor || perturb) && !finite_T)
		kx_usage_error("%s needs a temperature 0 < T < inf", taylor ? "--taylor" : "--perturb");

	/* Fields: flags add them after the primary one; -f chooses them exactly. */
	if (com.fields) {
		c.nfields = kx_fields_parse(com.fields, field_names, c.fields, NF);
		int listed[NF] = { 0 };
		for (int i = 0; i < c.nfields; i++)
			listed[c.fields[i]] = 1;
		for (int f = F_LSE; f < NF; f++)
			if (flag[f] && !listed[f])
				kx_usage_error("-f leaves out the field '%s' that --%s asks for", field_names[f],
				               f == F_LSE ? "lse" : field_names[f]);
		if (log_out && !listed[F_LOGP])
			kx_usage_error("-f leaves out the field 'logp' that --log asks for");
		for (int f = 0; f < NF; f++)
			c.want[f] = listed[f];
		c.jlog = log_out || (listed[F_LOGP] && !listed[F_P]);
	} else {
		c.fields[c.nfields++] = log_out ? F_LOGP : F_P;
		for (int f = F_LSE; f < NF; f++)
			if (flag[f])
				c.fields[c.nfields++] = f;
		for (int i = 0; i < c.nfields; i++)
			c.want[c.fields[i]] = 1;
		c.jlog = log_out;
	}
	if ((c.want[F_LSE]) && (taylor || perturb))
		kx_usage_error("lse is not defined with %s", taylor ? "--taylor" : "--perturb");
	if ((c.want[F_GRAD] || c.want[F_JVP] || c.want[F_VJP]) && perturb)
		kx_usage_error("grad, jvp and vjp are not defined with --perturb");
	if ((c.want[F_JVP] || c.want[F_VJP]) && taylor)
		kx_usage_error("jvp and vjp with --taylor are not implemented yet");
	if ((c.want[F_LOSS] || c.want[F_GRAD]) && !finite_T)
		kx_usage_error("loss and grad need a temperature 0 < T < inf");
	c.need_t = c.want[F_LOSS] || c.want[F_GRAD] || c.cfg.margin != 0;
	c.need_t_why = c.want[F_LOSS] ? "--loss" : c.want[F_GRAD] ? "--grad" : "--margin";
	c.need_v = c.want[F_JVP];
	c.need_g = c.want[F_VJP];
	if ((c.need_t || c.need_v || c.need_g) &&
	    (com.in_fmt == KX_FMT_TEXT || com.in_fmt == KX_FMT_F32 || com.in_fmt == KX_FMT_F64))
		kx_usage_error("%s needs object records (json), not -i %s",
		               c.need_t ? c.need_t_why : c.need_v ? "--jvp" : "--vjp", kx_fmt_name(com.in_fmt));
	if (com.out_fmt == KX_FMT_U32)
		kx_usage_error("-O u32: softmax has no index field");
	if (com.out_fmt == KX_FMT_F32 || com.out_fmt == KX_FMT_F64) {
		if (c.nfields != 1 || !(c.fields[0] == F_P || c.fields[0] == F_LOGP || c.fields[0] == F_LSE))
			kx_usage_error("raw output (-O %s) carries one field, p, logp or lse: choose it with -f",
			               kx_fmt_name(com.out_fmt));
	}
	c.key = com.key ? com.key : "x";
	c.dim = (size_t)com.dim;

	int raw_in = com.in_fmt == KX_FMT_F32 || com.in_fmt == KX_FMT_F64;
	kx_reader *rd = kx_reader_open(com.in_fmt, raw_in ? (size_t)(com.dim ? com.dim : 1) : 0,
	                               argc - optind, argv + optind);
	int in_fmt = kx_reader_format(rd);
	int out_fmt = com.out_fmt ? com.out_fmt : in_fmt;
	if ((out_fmt == KX_FMT_F32 || out_fmt == KX_FMT_F64) && com.out_fmt == KX_FMT_NONE &&
	    (c.nfields != 1 || c.fields[0] == F_LOSS || c.fields[0] == F_GRAD || c.fields[0] == F_JVP ||
	     c.fields[0] == F_VJP))
		kx_usage_error("raw output (-O %s) carries one field, p, logp or lse: choose it with -f",
		               kx_fmt_name(out_fmt));
	kx_out out;
	kx_out_open(&out, &com, out_fmt);
	kx_counts cnt;
	int status = kx_filter(&com, rd, &out, process, &c, &cnt);
	kx_out_close(&out);
	kx_reader_close(rd);
	if (com.stats)
		fprintf(stderr, "{\"records\":%lld,\"rows\":%lld,\"bad_records\":%lld,\"nan_rows\":%lld,"
		        "\"zero_rows\":%lld}\n", cnt.records, c.rows, cnt.bad, c.nan_rows, c.zero_rows);
	double **arrs[] = { &c.p, &c.logp, &c.grad, &c.jvp, &c.vjp, &c.lse, &c.loss, &c.work };
	for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++)
		free(*arrs[i]);
	free(c.t);
	kx_mat_free(&c.v);
	kx_mat_free(&c.g);
	kx_mat_free(&c.xo);
	return status;
}
