/*
 * attn-scale-sweep — the attention scale from gradient maximisation: sample
 * (or read) score vectors, sweep alpha over a grid, evaluate the Monte Carlo
 * statistic of G = alpha (1 - sum p^2), refine its argmax by golden section,
 * and report the post's approximate optimum and the closed forms beside it.
 * Post: Su Jianlin, kexue.fm/archives/9812; spec: attn-scale.md.
 * Implements the later parts too: raw f32/f64 score input, masked -Infinity scores.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"
#include "attn.h"
#include "io_attn.h"

static const char help[] =
"usage: attn-scale-sweep [-d D] [-n N] [-S T] [--dist normal|uniform|sphere|scores] [-s SEED]\n"
"                        [--alpha-min LO] [--alpha-max HI] [--alpha-steps G] [--grid log|lin]\n"
"                        [--alpha A] [--stat mean|median] [--no-refine] [--approx-only]\n"
"       attn-scale-sweep --input [--score-norm sqrt-d|cos|none] [--key NAME] [-K] [FILE...]\n"
"Sweep the scale alpha of softmax(alpha s) and maximise the gradient size\n"
"G = alpha (1 - sum p^2) (kexue.fm/archives/9812).  Point rows, then a summary.\n"
"  -d, --dim D          width of q and k (default 64; with --input a check)\n"
"  -n, --keys N         keys per query (default 512; with --input a check)\n"
"  -S, --samples T      sampled queries (default 1000; T*N <= 1e8)\n"
"      --dist KIND      normal (default), uniform, sphere (cosines), scores (N(0,1))\n"
"      --alpha-min LO   first grid point (0.05; 0.5 for cosines)\n"
"      --alpha-max HI   last grid point (20; 500 for cosines)\n"
"      --alpha-steps G  grid points (81)\n"
"      --grid log|lin   grid spacing (log)\n"
"      --alpha A        one alpha instead of the grid\n"
"      --stat mean|median  the statistic maximised (mean)\n"
"      --refine, --no-refine  golden-section refinement of the argmax (on)\n"
"  -s, --seed S         seed of the run's generator (0)\n"
"      --input          read q/k or score records instead of sampling\n"
"      --score-norm M   q/k to scores: sqrt-d (q.k/sqrt d), cos, none\n"
"      --approx-only    only the post's approximation and the closed forms\n"
"Fields (-f): alpha scale objective mean stderr median approx.\n"
"Formats: json (default), text; raw f32/f64 (input: -n scores a record; output: one -f field).\n"
"Common: -i -O -f --key -o -K -u --digits --strict-json -q --stats -h -V; see attn-scale-sweep(1).\n";

enum { F_ALPHA, F_SCALE, F_OBJ, F_MEAN, F_SE, F_MEDIAN, F_APPROX, NF };
static const char *const field_names[] = { "alpha", "scale", "objective", "mean", "stderr",
                                           "median", "approx", NULL };

enum { O_DIST = 256, O_AMIN, O_AMAX, O_ASTEPS, O_GRID, O_ALPHA, O_STAT, O_REFINE, O_NOREFINE,
       O_INPUT, O_NORM, O_APPROX };
static const struct option longopts[] = {
	{ "keys", required_argument, NULL, 'n' },
	{ "samples", required_argument, NULL, 'S' },
	{ "dist", required_argument, NULL, O_DIST },
	{ "alpha-min", required_argument, NULL, O_AMIN },
	{ "alpha-max", required_argument, NULL, O_AMAX },
	{ "alpha-steps", required_argument, NULL, O_ASTEPS },
	{ "grid", required_argument, NULL, O_GRID },
	{ "alpha", required_argument, NULL, O_ALPHA },
	{ "stat", required_argument, NULL, O_STAT },
	{ "refine", no_argument, NULL, O_REFINE },
	{ "no-refine", no_argument, NULL, O_NOREFINE },
	{ "input", no_argument, NULL, O_INPUT },
	{ "score-norm", required_argument, NULL, O_NORM },
	{ "approx-only", no_argument, NULL, O_APPROX },
	{ 0 }
};

static const char *const dist_names[] = { "normal", "uniform", "sphere", "scores", NULL };
static const char *const norm_names[] = { "sqrt-d", "cos", "none", NULL };

static int lookup(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

static double parse_alpha(const char *opt, const char *arg)
{
	double v;
	if (kx_parse_double(arg, &v) < 0 || !(v >= 0) || v - v != 0)
		kx_usage_error("%s: expected a finite number >= 0, got '%s'", opt, arg);
	return v;
}

/* "2e+08" -> "2e8", for the limit message. */
static void compact_sci(char *buf, size_t n, double v)
{
	char tmp[40], *o = buf;
	snprintf(tmp, sizeof tmp, "%.3g", v);
	for (const char *p = tmp; *p && (size_t)(o - buf) < n - 1; p++) {
		if (*p == '+' && p > tmp && p[-1] == 'e')
			continue;
		if (*p == '0' && (p[-1] == 'e' || p[-1] == '+' || p[-1] == '-') && p[1])
			continue;
		*o++ = *p;
	}
	*o = 0;
}

/* ===== the samples: sampled, or read from records ===================== */

/* The records become samples in lib/io_attn.c. */
typedef kx_attn_store store_t;
typedef kx_attn_rd_opts rd_opts;

static void store_free(store_t *st)
{
	kx_attn_store_free(st);
}

/* Read every record; 0 ok, 1 when some record was bad (the caller stops
 * unless -K).  Nothing is written to standard output here. */
static int read_all(store_t *st, const rd_opts *ro, const kx_common *com, kx_reader *rd,
                    long long *bad)
{
	kx_rec rec = { 0 };
	char err[512], where[300];
	int status = 0;
	for (;;) {
		err[0] = 0;
		int r = kx_read(rd, &rec, err, sizeof err);
		if (r == 0)
			break;
		if (r > 0 && kx_attn_take_record(st, ro, &rec, err, sizeof err) == 0)
			continue;
		kx_error("%s: %s", kx_rec_where(&rec, where, sizeof where), err);
		(*bad)++;
		status = 1;
		if (!com->keep_going)
			break;
	}
	kx_rec_free(&rec);
	return status;
}

/* ===== evaluation ===================================================== */

typedef struct {
	kx_attn_samples S;
	double *work;       /* (T,) */
	int median;         /* --stat median */
} eval_t;

static double stat_at(double a, void *vc)
{
	eval_t *e = vc;
	kx_attn_point pt;
	kx_attn_eval(&e->S, a, e->median, e->work, &pt);
	return e->median ? pt.median : pt.mean;
}

/* A number, or null where it is NaN standing for "does not apply". */
static void res_num_or_null(kx_result *r, const char *name, double v, int applies)
{
	if (applies)
		kx_res_num(r, name, v);
	else
		kx_res_null(r, name);
}

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "attn-scale-sweep", help, "n:S:", longopts, KX_ACCEPT_SEED };
	long long N = 512, T = 1000, G = 81;
	int dist = KX_ATTN_DIST_NORMAL, norm = KX_ATTN_NORM_SQRTD, stat = KX_ATTN_MEAN;
	int logscale = 1, refine = 1, input = 0, approx_only = 0;
	int n_given = 0, S_given = 0, dist_given = 0, norm_given = 0, grid_opt = 0;
	int lo_given = 0, hi_given = 0, alpha_given = 0;
	double lo = 0, hi = 0, A = 0;
	int o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		switch (o) {
		case 'n':
			if (kx_parse_long(optarg, 1, (long long)1 << 40, &N) < 0)
				kx_usage_error("-n: expected a whole number >= 1, got '%s'", optarg);
			n_given = 1;
			break;
		case 'S':
			if (kx_parse_long(optarg, 1, (long long)1 << 40, &T) < 0)
				kx_usage_error("-S: expected a whole number >= 1, got '%s'", optarg);
			S_given = 1;
			break;
		case O_DIST:
			if ((dist = lookup(dist_names, optarg)) < 0)
				kx_usage_error("--dist: expected normal, uniform, sphere or scores, got '%s'", optarg);
			dist_given = 1;
			break;
		case O_AMIN: lo = parse_alpha("--alpha-min", optarg); lo_given = 1; break;
		case O_AMAX: hi = parse_alpha("--alpha-max", optarg); hi_given = 1; break;
		case O_ALPHA: A = parse_alpha("--alpha", optarg); alpha_given = 1; break;
		case O_ASTEPS:
			if (kx_parse_long(optarg, 1, 100000000, &G) < 0)
				kx_usage_error("--alpha-steps: expected a whole number >= 1, got '%s'", optarg);
			grid_opt = 1;
			break;
		case O_GRID:
			if (!strcmp(optarg, "log"))
				logscale = 1;
			else if (!strcmp(optarg, "lin"))
				logscale = 0;
			else
				kx_usage_error("--grid: expected log or lin, got '%s'", optarg);
			grid_opt = 1;
			break;
		case O_STAT:
			if (!strcmp(optarg, "mean"))
				stat = KX_ATTN_MEAN;
			else if (!strcmp(optarg, "median"))
				stat = KX_ATTN_MEDIAN;
			else
				kx_usage_error("--stat: expected mean or median, got '%s'", optarg);
			break;
		case O_REFINE: refine = 1; break;
		case O_NOREFINE: refine = 0; break;
		case O_INPUT: input = 1; break;
		case O_NORM:
			if ((norm = lookup(norm_names, optarg)) < 0)
				kx_usage_error("--score-norm: expected sqrt-d, cos or none, got '%s'", optarg);
			norm_given = 1;
			break;
		case O_APPROX: approx_only = 1; break;
		}
	}

	/* ----- validation: every usage error before anything is read or drawn ----- */
	int nfiles = argc - optind;
	if (nfiles > 0)
		input = 1;
	const char *inwhy = nfiles > 0 ? "FILE operands" : "--input";
	if (input && dist_given)
		kx_usage_error("--dist samples; it does not go with %s", inwhy);
	if (input && S_given)
		kx_usage_error("-S sets the number of samples drawn; it does not go with %s", inwhy);
	if (input && approx_only)
		kx_usage_error("--approx-only reads nothing; it does not go with %s", inwhy);
	if (!input && norm_given)
		kx_usage_error("--score-norm applies to q/k records: it needs --input");
	if (!input && com.in_fmt != KX_FMT_AUTO)
		kx_usage_error("-i %s needs --input (without it the program samples)", kx_fmt_name(com.in_fmt));
	int raw_in = com.in_fmt == KX_FMT_F32 || com.in_fmt == KX_FMT_F64;
	if (raw_in && !n_given)
		kx_usage_error("-i %s needs -n N, the number of scores in a raw record", kx_fmt_name(com.in_fmt));
	if (alpha_given && (lo_given || hi_given || grid_opt))
		kx_usage_error("--alpha gives one point; it does not go with --alpha-min, --alpha-max, "
		               "--alpha-steps or --grid");
	if (com.out_fmt == KX_FMT_U32)
		kx_usage_error("-O u32: attn-scale-sweep has no index field");
	int fields[NF], nfields = kx_fields_parse(com.fields, field_names, fields, NF);
	for (int i = 0; i < nfields; i++)
		if (approx_only && (fields[i] == F_OBJ || fields[i] == F_MEAN || fields[i] == F_SE ||
		                    fields[i] == F_MEDIAN))
			kx_usage_error("-f: there is no field '%s' with --approx-only (alpha, scale, approx)",
			               field_names[fields[i]]);
	int raw_out = com.out_fmt == KX_FMT_F32 || com.out_fmt == KX_FMT_F64;
	if (raw_out && nfields != 1)
		kx_usage_error("raw output (-O %s) carries one field: choose it with -f (e.g. -f objective)",
		               kx_fmt_name(com.out_fmt));
	int cosine = input ? norm == KX_ATTN_NORM_COS : dist == KX_ATTN_DIST_SPHERE;
	if (!lo_given)
		lo = cosine ? 0.5 : 0.05;
	if (!hi_given)
		hi = cosine ? 500 : 20;
	if (alpha_given) {
		lo = hi = A;
		G = 1;
	}
	if (lo > hi)
		kx_usage_error("--alpha-min %g is above --alpha-max %g", lo, hi);
	if (logscale && lo <= 0 && !alpha_given)
		kx_usage_error("a log grid needs --alpha-min > 0 (use --grid lin to start at 0)");
	long long D = com.dim ? com.dim : 64;
	if (!input && !approx_only && (double)T * (double)N > 1e8) {
		char p[40];
		compact_sci(p, sizeof p, (double)T * (double)N);
		kx_usage_error("-S %lld with -n %lld would keep %s scores (limit 1e8); lower -S or -n", T, N, p);
	}

	/* ----- the samples ----- */
	store_t st = { 0 };
	kx_attn_samples S = { 0 };
	long long bad = 0;
	int status = 0;
	kx_reader *rd = NULL;
	int in_fmt = KX_FMT_JSON;
	if (input) {
		rd = kx_reader_open(com.in_fmt, raw_in ? (size_t)N : 0, nfiles, argv + optind);
		in_fmt = kx_reader_format(rd);
		rd_opts ro = { n_given ? N : 0, com.dim, norm, com.key ? com.key : "scores" };
		status = read_all(&st, &ro, &com, rd, &bad);
		kx_reader_close(rd);
		if (status && !com.keep_going) {
			store_free(&st);
			return 1;
		}
		if (st.T == 0) {
			const char *src = nfiles == 1 && strcmp(argv[optind], "-") ? argv[optind]
			                : nfiles > 1 ? "input" : "stdin";
			kx_die("%s: no %sinput records", src, bad ? "good " : "");
		}
		kx_attn_to_gaps(st.s, st.off, st.T, 0);
		S = (kx_attn_samples){ st.s, st.off, st.T, 0, 1 };
	} else if (!approx_only) {
		size_t n = (size_t)N, d = (size_t)D;
		st.s = kx_malloc((size_t)T * n * sizeof *st.s);
		st.work = kx_malloc(2 * d * sizeof *st.work);
		kx_rng g;
		kx_rng_seed(&g, com.seed, 0);
		for (long long t = 0; t < T; t++) {
			kx_progress("sampling %lld/%lld", t, T);
			kx_attn_sample(&g, dist, d, n, st.work, st.s + (size_t)t * n);
		}
		kx_attn_to_gaps(st.s, NULL, (size_t)T, n);
		S = (kx_attn_samples){ st.s, NULL, (size_t)T, n - 1, 1 };
	}
	if (S.T) {          /* equal lengths: evaluated 8 samples at a time */
		double *pw = kx_malloc(kx_attn_pack_work(&S) * sizeof *pw);
		kx_attn_pack(&S, pw);
		free(pw);
	}

	/* What is known about the samples: n, d, the kind of approximation. */
	int n_known = !(input && st.n_varies);
	double n = input ? (double)st.n : (double)N;
	int d_known = input ? st.type == 1 && !st.d_varies : 1;
	double d = input ? (double)st.d : (double)D;
	int kind = cosine ? KX_ATTN_KIND_COSINE : KX_ATTN_KIND_NORMAL;
	if (input && st.type == 1 && norm == KX_ATTN_NORM_NONE)
		kind = KX_ATTN_KIND_NONE;
	if (input && st.type == 2)
		kind = KX_ATTN_KIND_NORMAL;
	int has_approx = kind != KX_ATTN_KIND_NONE && n_known &&
	                 (kind != KX_ATTN_KIND_COSINE || d_known);
	/* scale = alpha * sfac: alpha times inv_sqrt_d for the q.k/sqrt-d kinds, else alpha */
	int sqrtd_scores = input ? st.type == 1 && norm == KX_ATTN_NORM_SQRTD
	                         : dist == KX_ATTN_DIST_NORMAL || dist == KX_ATTN_DIST_UNIFORM;
	kx_attn_refs refs;
	kx_attn_references(kind, n, d, &refs);
	int scale_known = !sqrtd_scores || d_known;
	double sfac = sqrtd_scores ? refs.inv_sqrt_d : 1;

	/* ----- output ----- */
	int out_fmt = com.out_fmt ? com.out_fmt : in_fmt == KX_FMT_TEXT ? KX_FMT_TEXT : KX_FMT_JSON;
	if (!nfields) {
		static const int json_all[] = { F_ALPHA, F_SCALE, F_OBJ, F_MEAN, F_SE, F_MEDIAN, F_APPROX };
		static const int text_mc[] = { F_ALPHA, F_OBJ, F_SE };
		static const int json_ap[] = { F_ALPHA, F_SCALE, F_APPROX };
		static const int text_ap[] = { F_ALPHA, F_APPROX };
		const int *src = approx_only ? (out_fmt == KX_FMT_TEXT ? text_ap : json_ap)
		                             : (out_fmt == KX_FMT_TEXT ? text_mc : json_all);
		nfields = approx_only ? (out_fmt == KX_FMT_TEXT ? 2 : 3) : (out_fmt == KX_FMT_TEXT ? 3 : 7);
		memcpy(fields, src, (size_t)nfields * sizeof *fields);
	}
	int want_median = stat == KX_ATTN_MEDIAN;
	for (int i = 0; i < nfields; i++)
		if (fields[i] == F_MEDIAN)
			want_median = 1;

	kx_out out;
	kx_out_open(&out, &com, out_fmt);
	if (out_fmt == KX_FMT_TEXT) {
		kx_buf_puts(&out.buf, "# ");
		for (int i = 0; i < nfields; i++) {
			if (i)
				kx_buf_putc(&out.buf, '\t');
			kx_buf_puts(&out.buf, field_names[fields[i]]);
		}
		kx_buf_putc(&out.buf, '\n');
		kx_out_flush(&out);
	}

	size_t Gz = (size_t)G;
	double *grid = kx_malloc(Gz * sizeof *grid), *vals = kx_malloc(Gz * sizeof *vals);
	kx_attn_grid(lo, hi, Gz, logscale, grid);
	eval_t ev = { S, approx_only ? NULL : kx_malloc((S.T ? S.T : 1) * sizeof(double)),
	              stat == KX_ATTN_MEDIAN };
	for (size_t j = 0; j < Gz; j++) {
		double a = grid[j];
		kx_attn_point pt = { NAN, NAN, NAN };
		kx_progress("alpha %zu/%zu", j + 1, Gz);
		if (!approx_only) {
			kx_attn_eval(&S, a, want_median, ev.work, &pt);
			vals[j] = stat == KX_ATTN_MEDIAN ? pt.median : pt.mean;
		}
		double apx = has_approx ? kx_attn_approx(kind, a, n, d) : NAN;
		kx_result res;
		memset(&res, 0, sizeof res);
		res.object = res.fresh = 1;
		if (out_fmt == KX_FMT_JSON)
			kx_res_str(&res, "type", "point");
		for (int i = 0; i < nfields; i++) {
			const char *nm = field_names[fields[i]];
			switch (fields[i]) {
			case F_ALPHA: kx_res_num(&res, nm, a); break;
			case F_SCALE: res_num_or_null(&res, nm, a * sfac, scale_known); break;
			case F_OBJ: kx_res_num(&res, nm, vals[j]); break;
			case F_MEAN: kx_res_num(&res, nm, pt.mean); break;
			case F_SE: kx_res_num(&res, nm, pt.se); break;
			case F_MEDIAN: kx_res_num(&res, nm, pt.median); break;
			case F_APPROX: res_num_or_null(&res, nm, apx, has_approx); break;
			}
		}
		kx_write(&out, NULL, &res);
	}

	/* ----- argmax and refinement ----- */
	size_t jm = 0;
	int at_boundary = 0, refined = 0;
	double am_alpha = grid[0], am_obj = NAN;
	if (!approx_only) {
		jm = kx_attn_argmax(vals, Gz);
		at_boundary = Gz > 1 && (jm == 0 || jm == Gz - 1);
		am_alpha = grid[jm];
		am_obj = vals[jm];
		if (refine && !at_boundary && Gz >= 3) {
			kx_progress("refining");
			kx_attn_golden(stat_at, &ev, grid[jm - 1], grid[jm + 1], &am_alpha, &am_obj);
			refined = 1;
		}
	}

	/* ----- the post's approximation and the closed forms ----- */
	double ap_alpha = NAN, ap_obj = NAN;
	int ap_boundary = 0;
	if (has_approx && kind == KX_ATTN_KIND_NORMAL) {
		ap_alpha = kx_attn_approx_argmax_normal(n);
		ap_obj = kx_attn_approx(kind, ap_alpha, n, d);
	} else if (has_approx) {
		const double *cg = grid;
		double defgrid[81];
		size_t cG = Gz;
		if (Gz < 3) {
			kx_attn_grid(0.5, 500, 81, 1, defgrid);
			cg = defgrid;
			cG = 81;
		}
		kx_attn_approx_argmax_cos(cg, cG, n, d, &ap_alpha, &ap_obj, &ap_boundary);
	}
	int std_known = kind == KX_ATTN_KIND_NORMAL || (kind == KX_ATTN_KIND_COSINE && d_known);
	double obj_std = NAN, obj_ap = NAN;
	if (!approx_only) {
		if (std_known)
			obj_std = stat_at(refs.standard, &ev);
		if (has_approx)
			obj_ap = stat_at(ap_alpha, &ev);
	}
	int lim_known = !input && (dist == KX_ATTN_DIST_SCORES || dist == KX_ATTN_DIST_NORMAL);
	double lim = !lim_known ? NAN : dist == KX_ATTN_DIST_SCORES ? kx_attn_limit_scores(n)
	                                                             : kx_attn_limit_normal(n, d);
	kx_progress_done();

	/* ----- the summary ----- */
	kx_result sm;
	memset(&sm, 0, sizeof sm);
	sm.object = sm.fresh = 1;
	char seedtxt[32];
	snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)com.seed);
	kx_res_str(&sm, "type", "summary");
	kx_res_str(&sm, "dist", input ? "input" : dist_names[dist]);
	if (d_known)
		kx_res_int(&sm, "dim", (long long)d);
	else
		kx_res_null(&sm, "dim");
	if (n_known)
		kx_res_int(&sm, "keys", (long long)n);
	else
		kx_res_null(&sm, "keys");
	kx_res_int(&sm, "samples", approx_only ? 0 : (long long)S.T);
	kx_res_json(&sm, "seed", seedtxt);
	kx_res_str(&sm, "stat", stat == KX_ATTN_MEDIAN ? "median" : "mean");
	if (!approx_only) {
		kx_res_num(&sm, "argmax_alpha", am_alpha);
		res_num_or_null(&sm, "argmax_scale", am_alpha * sfac, scale_known);
		kx_res_num(&sm, "argmax_objective", am_obj);
		kx_res_bool(&sm, "argmax_at_boundary", at_boundary);
		kx_res_bool(&sm, "refined", refined);
	}
	res_num_or_null(&sm, "approx_argmax_alpha", ap_alpha, has_approx);
	res_num_or_null(&sm, "approx_argmax_objective", ap_obj, has_approx);
	if (has_approx)
		kx_res_bool(&sm, "approx_argmax_at_boundary", ap_boundary);
	else
		kx_res_null(&sm, "approx_argmax_at_boundary");
	int ref_known = kind != KX_ATTN_KIND_NONE && n_known && (kind == KX_ATTN_KIND_NORMAL || d_known);
	res_num_or_null(&sm, "post_fit_alpha", refs.post_fit, ref_known);
	res_num_or_null(&sm, "entropy_alpha", refs.entropy, ref_known);
	res_num_or_null(&sm, "standard_alpha", refs.standard, std_known);
	res_num_or_null(&sm, "inv_sqrt_d", refs.inv_sqrt_d, d_known);
	if (!approx_only) {
		res_num_or_null(&sm, "objective_at_standard", obj_std, std_known);
		res_num_or_null(&sm, "objective_at_approx_argmax", obj_ap, has_approx);
	}
	res_num_or_null(&sm, "limit_large_alpha", lim, lim_known);

	kx_out js = out;             /* the summary is JSON in every format */
	js.fmt = KX_FMT_JSON;
	js.buf = (kx_buf){ 0 };
	if (out_fmt == KX_FMT_JSON) {
		kx_write(&out, NULL, &sm);
	} else if (out_fmt == KX_FMT_TEXT) {
		kx_buf_puts(&out.buf, "# ");
		kx_out_flush(&out);
		kx_write(&js, NULL, &sm);
	}
	kx_out_close(&out);

	/* ----- warnings and --stats ----- */
	char num[KX_NUMLEN];
	if (at_boundary) {
		kx_fmt_double(num, grid[jm], 0);
		if (jm == Gz - 1 && stat == KX_ATTN_MEAN)
			kx_warn("the maximum is at the end of the grid (alpha = %s); with --stat mean the exact "
			        "maximiser is at infinity, see CAVEATS in attn-scale-sweep(1)", num);
		else
			kx_warn("the maximum is at the end of the grid (alpha = %s); widen --alpha-min/--alpha-max",
			        num);
	}
	if (has_approx && ap_boundary) {
		kx_fmt_double(num, ap_alpha, 0);
		kx_warn("the maximum of the approximate objective is at the end of the grid (alpha = %s); "
		        "widen --alpha-min/--alpha-max", num);
	}
	if (com.stats) {
		js.f = stderr;
		js.path = "stderr";
		kx_write(&js, NULL, &sm);
		fflush(stderr);
	}
	kx_buf_free(&js.buf);
	free(grid);
	free(vals);
	free(ev.work);
	store_free(&st);
	return status;
}
