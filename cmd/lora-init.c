/*
 * lora-init — LoRA initialisation of one weight matrix per record: LoRA-GA
 * (default), Kaiming LoRA, Gaussian, orthogonal, PiSSA, OLoRA; LoRA+ learning
 * rates and a first-step self-check.  Posts: Su Jianlin, kexue.fm 10226
 * (LoRA-GA), 10001 (LoRA+), 9590; paper arXiv 2407.05000.  Spec: lora.md.
 * Has the spec's "later" parts too: mica, corda, --dora, --convert,
 * --grad-transform sign and --stats.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kx.h"
#include "io_lora.h"
#include "lora.h"

static const char help[] =
"usage: lora-init [-m METHOD] [-r RANK] [-a ALPHA] [--scaling S] [-l LAYOUT] [--direction D]\n"
"                 [--ga-scale S] [-g GAMMA] [--svd M] [--niter N] [--oversample P] [-s SEED]\n"
"                 [--lr ETA] [--lr-ratio L] [--check] [--dora] [--convert] [OPTION]... [FILE]...\n"
"       lora-init [OPTION]... --w0 FILE [--grad FILE]... [--x|--cov FILE] [--out-prefix P]\n"
"LoRA factors A (r x d_in), B (d_out x r) and w0_adj = W0 - s B A per layer (lora.md).\n"
"  -m, --method M       lora-ga (default), lora, gaussian, orthogonal, pissa, olora, mica, corda\n"
"  -r, --rank R         adapter rank (default 8)      -a, --alpha A   LoRA alpha (default 16)\n"
"      --scaling S      standard: s = alpha/r (default); rslora: s = alpha/sqrt(r)\n"
"  -l, --layout L       torch: W0 is d_out x d_in (default); blog: d_in x d_out\n"
"      --direction D    lora-ga split: ArB2r (default), A2rBr, ArBr\n"
"      --ga-scale S     stable: c = d_out^(1/4)/sqrt(gamma) (default), unit, gd (c = 1/s)\n"
"  -g, --gamma G        gamma of the stable scale (default 16)\n"
"      --svd M          auto (default), full (dgesdd), randomized (--niter 4, --oversample 4)\n"
"      --grad-transform T  none (default) or sign: use sign(G) (the Adam variant)\n"
"      --corda-mode M   corda: ipm (first r, default) or kpm (last r); inputs \"x\" or \"cov\"\n"
"  -s, --seed N         base seed; record k uses mix(N) + k (default 0)\n"
"      --lr ETA         add LoRA+ lr_A = ETA, lr_B = ratio ETA, lr_ratio\n"
"      --lr-ratio L     eta_B/eta_A: a number (default 16) or blog: (d_in/d_out) sqrt(d_in/r)\n"
"      --check          add check: recon_max_abs, cos_step, cos_bound\n"
"      --dora           add dora_m, the L2 norm of each output row of W0\n"
"      --convert        records {A0, B0, A, B} -> a plain rank-2r LoRA on the original W0\n"
"File mode: --rows, --cols, --out-prefix P (P.A.npy, P.B.npy, P.w0.npy, then P.json), --npy-f64.\n"
"Fields: method layout rows cols rank alpha scaling scale init_scale sigma A B w0_adj dora_m\n"
"  lr_A lr_B lr_ratio check.  Record keys: w0, grad, grads, x, cov, rows, cols and the\n"
"  overrides rank method alpha scaling layout direction ga_scale gamma grad_transform\n"
"  corda_mode seed svd niter oversample lr lr_ratio.\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q --stats -h -V; see lora-init(1).\n";

enum { F_METHOD, F_LAYOUT, F_ROWS, F_COLS, F_RANK, F_ALPHA, F_SCALING, F_SCALE, F_INIT_SCALE,
       F_SIGMA, F_A, F_B, F_W0_ADJ, F_DORA_M, F_LR_A, F_LR_B, F_LR_RATIO, F_CHECK, NF };
static const char *const field_names[] = { "method", "layout", "rows", "cols", "rank", "alpha",
	"scaling", "scale", "init_scale", "sigma", "A", "B", "w0_adj", "dora_m", "lr_A", "lr_B",
	"lr_ratio", "check", NULL };

enum { O_SCALING = 256, O_DIRECTION, O_GA_SCALE, O_GRAD_TRANSFORM, O_SVD, O_NITER, O_OVERSAMPLE,
       O_CORDA_MODE, O_LR, O_LR_RATIO, O_CHECK, O_DORA, O_CONVERT, O_W0, O_GRAD, O_ROWS, O_COLS,
       O_OUT_PREFIX, O_NPY_F64, O_X, O_COV };
static const struct option longopts[] = {
	{ "method", required_argument, NULL, 'm' },
	{ "rank", required_argument, NULL, 'r' },
	{ "alpha", required_argument, NULL, 'a' },
	{ "layout", required_argument, NULL, 'l' },
	{ "gamma", required_argument, NULL, 'g' },
	{ "scaling", required_argument, NULL, O_SCALING },
	{ "direction", required_argument, NULL, O_DIRECTION },
	{ "ga-scale", required_argument, NULL, O_GA_SCALE },
	{ "grad-transform", required_argument, NULL, O_GRAD_TRANSFORM },
	{ "svd", required_argument, NULL, O_SVD },
	{ "niter", required_argument, NULL, O_NITER },
	{ "oversample", required_argument, NULL, O_OVERSAMPLE },
	{ "corda-mode", required_argument, NULL, O_CORDA_MODE },
	{ "lr", required_argument, NULL, O_LR },
	{ "lr-ratio", required_argument, NULL, O_LR_RATIO },
	{ "check", no_argument, NULL, O_CHECK },
	{ "dora", no_argument, NULL, O_DORA },
	{ "convert", no_argument, NULL, O_CONVERT },
	{ "w0", required_argument, NULL, O_W0 },
	{ "grad", required_argument, NULL, O_GRAD },
	{ "rows", required_argument, NULL, O_ROWS },
	{ "cols", required_argument, NULL, O_COLS },
	{ "out-prefix", required_argument, NULL, O_OUT_PREFIX },
	{ "npy-f64", no_argument, NULL, O_NPY_F64 },
	{ "x", required_argument, NULL, O_X },
	{ "cov", required_argument, NULL, O_COV },
	{ 0 }
};

/* Per-record buffers (grown, reused) and the output settings. */
enum { M_W0, M_G, M_T, M_A, M_B, M_W, M_AO, M_BO, M_WO, M_SIGMA, M_DORA, M_COV, NM };
typedef struct {
	kx_lora_opts base;
	const char *key;
	int fields[NF], nfields, listed;  /* output fields; listed: -f given */
	int check, dora, convert;         /* --check, --dora, --convert */
	long long warnings;               /* for --stats */
	const char *xpath, *covpath;      /* file mode, corda: --x, --cov */
	int out_fmt;                      /* resolved output format */
	const kx_common *com;
	double *m[NM];
	size_t cap[NM];
	kx_mat mat;                       /* a parsed matrix */
	kx_buf jA, jB, jW, jC, jD;        /* JSON text of A, B, w0_adj, dora_m (float32), check */
	const char *where;                /* SOURCE:LINE or FILE for warnings */
	const char *drop[6];
	kx_lora_res lr;                   /* the last record's result (A, B, ... point into m[]) */
} ctx_t;

static double *need(ctx_t *c, int i, size_t n)
{
	if (n > c->cap[i]) {
		c->cap[i] = n;
		c->m[i] = kx_realloc(c->m[i], n * sizeof(double));
	}
	return c->m[i];
}

static int lookup(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

static int finite_pos(double x) { return x > 0 && x <= DBL_MAX; }

/* ===== output ========================================================= */

/* Everything a record's output needs, in the record's layout. */
typedef struct {
	const kx_lora_opts *o;
	size_t R, C, m, n;            /* shape as given; torch shape */
	kx_lora_res *lr;
	const double *A, *B, *W;      /* output-layout matrices */
	double lr_A, lr_B, ratio;
	int has_check, has_grad;
	kx_lora_check chk;
	const double *dora_m;         /* (m) or NULL */
	int convert;                  /* a --convert record: its fields only */
} outrec_t;

static int want_field(int f, const outrec_t *u)
{
	if (u->convert)
		return f == F_METHOD || f == F_LAYOUT || f == F_RANK || f == F_ALPHA || f == F_SCALING ||
		       f == F_SCALE || f == F_A || f == F_B;
	switch (f) {
	case F_INIT_SCALE: return u->o->cfg.method == KX_LORA_GA;
	case F_SIGMA: return u->lr->nsigma > 0;
	case F_DORA_M: return u->dora_m != NULL;
	case F_LR_A: case F_LR_B: case F_LR_RATIO: return u->o->lr > 0;
	case F_CHECK: return u->has_check;
	default: return 1;
	}
}

static int build(ctx_t *c, kx_out *out, const outrec_t *u, kx_result *res, int fresh, int skip_mats,
                 char *err, size_t errsz)
{
	int order[NF], n = 0;
	if (c->listed)
		for (int i = 0; i < c->nfields; i++)
			order[n++] = c->fields[i];
	else
		for (int f = 0; f < NF; f++)
			order[n++] = f;
	const kx_lora_opts *o = u->o;
	size_t r = o->cfg.rank;
	int json = c->out_fmt == KX_FMT_JSON;
	res->object = res->fresh = fresh;
	res->drop = c->drop;
	for (int i = 0; i < n; i++) {
		int f = order[i];
		if (skip_mats && (f == F_A || f == F_B || f == F_W0_ADJ))
			continue;
		if (!want_field(f, u)) {
			if (c->listed && !json) {
				snprintf(err, errsz, "this record has no field '%s' (method %s)", field_names[f],
				         u->convert ? "convert" : kx_lora_methods[o->cfg.method]);
				return KX_BAD;
			}
			continue;
		}
		const char *nm = field_names[f];
		switch (f) {
		case F_METHOD: kx_res_str(res, nm, u->convert ? "convert" : kx_lora_methods[o->cfg.method]); break;
		case F_LAYOUT: kx_res_str(res, nm, kx_lora_layouts[o->blog]); break;
		case F_ROWS: kx_res_int(res, nm, (long long)u->R); break;
		case F_COLS: kx_res_int(res, nm, (long long)u->C); break;
		case F_RANK: kx_res_int(res, nm, (long long)r); break;
		case F_ALPHA: kx_res_num(res, nm, o->cfg.alpha); break;
		case F_SCALING: kx_res_str(res, nm, kx_lora_scalings[o->cfg.rslora]); break;
		case F_SCALE: kx_res_num(res, nm, u->lr->scale); break;
		case F_INIT_SCALE: kx_res_num(res, nm, u->lr->init_scale); break;
		case F_SIGMA: kx_res_vec(res, nm, u->lr->sigma, u->lr->nsigma); break;
		case F_LR_A: kx_res_num(res, nm, u->lr_A); break;
		case F_LR_B: kx_res_num(res, nm, u->lr_B); break;
		case F_LR_RATIO: kx_res_num(res, nm, u->ratio); break;
		case F_DORA_M:
			if (json || c->out_fmt == KX_FMT_TEXT) {
				kx_json_f32_vector(&c->jD, u->dora_m, u->m, out->digits, out->strict, !json);
				kx_res_json(res, nm, c->jD.s);
			} else {
				kx_res_vec(res, nm, u->dora_m, u->m);
			}
			break;
		case F_A: case F_B: case F_W0_ADJ: {
			const double *d = f == F_A ? u->A : f == F_B ? u->B : u->W;
			size_t rr = f == F_A ? (o->blog ? u->n : r) : f == F_B ? (o->blog ? r : u->m) : u->R;
			size_t cc = f == F_A ? (o->blog ? r : u->n) : f == F_B ? (o->blog ? u->m : r) : u->C;
			if (json) {
				kx_buf *b = f == F_A ? &c->jA : f == F_B ? &c->jB : &c->jW;
				kx_json_f32_matrix(b, d, rr, cc, out->digits, out->strict);
				kx_res_json(res, nm, b->s);
			} else {
				kx_res_matc(res, nm, d, rr, cc);
			}
			break;
		}
		case F_CHECK: {
			kx_buf *b = &c->jC;
			kx_lora_check_json(b, out, &u->chk, u->has_grad);
			kx_res_json(res, nm, b->s);
			break;
		}
		}
	}
	return KX_OK;
}

/* ===== one layer ====================================================== */

/* W0 and G (or NULL) in the record's layout (R x C) in c->m[M_W0], c->m[M_G];
 * compute everything and fill u.  KX_OK, KX_BAD or KX_FATAL. */
static int compute(ctx_t *c, kx_lora_opts *o, size_t R, size_t C, int has_grad, uint64_t k, outrec_t *u,
                   char *err, size_t errsz)
{
	size_t m = o->blog ? C : R, n = o->blog ? R : C, r = o->cfg.rank;
	char rb[160];
	const char *why = kx_lora_rank_error(o->cfg.method, r, m, n, rb, sizeof rb);
	if (why) {
		snprintf(err, errsz, "%s", why);
		return KX_BAD;
	}
	if (o->cfg.method == KX_LORA_GA && !has_grad) {
		snprintf(err, errsz, "lora-ga needs a gradient (\"grad\" or \"grads\")");
		return KX_BAD;
	}
	int v = o->cfg.method == KX_LORA_GA ? 2 : o->cfg.method == KX_LORA_PISSA ? 1 : 0;
	if (v && kx_lora_svd_choice(o->cfg.svd, m, n, r, o->cfg.oversample, v * r) < 0) {
		snprintf(err, errsz, "--svd randomized needs q = min(oversample r, min(rows, cols)) >= %zu",
		         v * r);
		return KX_BAD;
	}
	double *W0 = c->m[M_W0], *G = has_grad ? c->m[M_G] : NULL;
	if (G && o->grad_sign)               /* the Adam "speculative" variant (lora.md 4.1) */
		kx_lora_sign(G, R * C);
	if (o->blog) {                       /* to the torch layout */
		double *t = need(c, M_T, R * C);
		kx_lora_transpose(t, W0, R, C);
		memcpy(W0, t, R * C * sizeof *t);
		if (G) {
			kx_lora_transpose(t, G, R, C);
			memcpy(G, t, R * C * sizeof *t);
		}
	}
	kx_rng g;
	kx_rng_seed(&g, o->seed, o->own_seed ? 0 : k);
	int want_check = c->check;
	for (int i = 0; c->listed && i < c->nfields; i++)
		want_check |= c->fields[i] == F_CHECK;
	kx_lora_res *lrp = &c->lr;
	/* w0_adj takes W0's place when nothing reads W0 afterwards */
	*lrp = (kx_lora_res){ .A = need(c, M_A, r * n), .B = need(c, M_B, m * r),
	                    .w0_adj = want_check || c->dora ? need(c, M_W, m * n) : W0,
	                    .sigma = need(c, M_SIGMA, 2 * r) };
	if (v && m >= 1024 && n >= 1024)
		kx_progress("SVD %zux%zu (%s)", m, n,
		            kx_lora_svd_choice(o->cfg.svd, m, n, r, o->cfg.oversample, v * r) == KX_SVD_FULL
		            ? "full" : "randomized");
	int info = kx_lora_init(&o->cfg, m, n, W0, G, &g, lrp);
	*u = (outrec_t){ .o = o, .R = R, .C = C, .m = m, .n = n, .lr = lrp, .has_grad = has_grad };
	if (info == 0 && want_check) {
		u->has_check = 1;
		info = kx_lora_check_run(&o->cfg, m, n, W0, G, lrp, &g, &u->chk);
	}
	kx_progress_done();
	if (info == -2 || info == -3) {
		snprintf(err, errsz, info == -2 ? "corda: the covariance is all zero"
		                                : "corda: the damping did not converge after 60 doublings");
		return KX_BAD;
	}
	if (info < 0)
		kx_die("out of memory");
	if (info > 0) {
		snprintf(err, errsz, "LAPACK did not converge (info %d)", info);
		return KX_FATAL;
	}
	if (lrp->low_rank) {
		kx_warn("%s: gradient has rank < 2r; the factors are not unique", c->where);
		c->warnings++;
	}
	if (c->dora) {                       /* row norms of the torch-layout W0: length d_out */
		kx_lora_dora(m, n, W0, need(c, M_DORA, m));
		u->dora_m = c->m[M_DORA];
	}
	if (o->blog) {                       /* back to the record's layout */
		kx_lora_transpose(need(c, M_AO, r * n), lrp->A, r, n);
		kx_lora_transpose(need(c, M_BO, m * r), lrp->B, m, r);
		kx_lora_transpose(need(c, M_WO, m * n), lrp->w0_adj, m, n);
		u->A = c->m[M_AO], u->B = c->m[M_BO], u->W = c->m[M_WO];
	} else {
		u->A = lrp->A, u->B = lrp->B, u->W = lrp->w0_adj;
	}
	if (o->lr > 0) {
		u->ratio = o->ratio_blog ? kx_lora_ratio_blog(m, n, r) : o->lr_ratio;
		u->lr_A = o->lr;
		u->lr_B = o->lr * u->ratio;
	}
	return KX_OK;
}

/* ===== stream mode ==================================================== */

static kx_out *g_out;

/* --convert: {A0, B0, A, B} in the record's layout -> A' = [A ; A0], B' = [B, -B0]. */
static int convert(ctx_t *c, const kx_rec *in, const kx_lora_opts *o, kx_result *res, char *err,
                   size_t errsz)
{
	kx_array in4[4];
	size_t m, n, r;
	int st = kx_lora_read_convert(&c->mat, in, o->blog, in4, &m, &n, &r, err, errsz);
	double *Ap = NULL, *Bp = NULL;
	if (st == 0) {
		Ap = need(c, M_W, 2 * r * n), Bp = need(c, M_WO, 2 * m * r);
		kx_lora_convert(m, n, r, in4[0].v, in4[1].v, in4[2].v, in4[3].v, Ap, Bp);
	}
	for (int i = 0; i < 4; i++)
		kx_array_free(&in4[i]);
	if (st < 0)
		return KX_BAD;
	if (o->blog) {
		kx_lora_transpose(need(c, M_T, 2 * r * n), Ap, 2 * r, n);
		kx_lora_transpose(need(c, M_G, 2 * m * r), Bp, m, 2 * r);
		Ap = c->m[M_T], Bp = c->m[M_G];
	}
	/* the rank-2r record: alpha' keeps s (lora.md 5) */
	kx_lora_opts o2 = *o;
	o2.cfg.rank = 2 * r;
	o2.cfg.alpha = kx_lora_convert_alpha(o->cfg.alpha, o->cfg.rslora);
	c->lr = (kx_lora_res){ .scale = kx_lora_scaling(o->cfg.alpha, r, o->cfg.rslora) };
	outrec_t u = { .o = &o2, .m = m, .n = n, .lr = &c->lr, .A = Ap, .B = Bp, .convert = 1 };
	return build(c, g_out, &u, res, 0, 0, err, errsz);
}

static int process(void *vc, kx_rec *in, kx_result *res, char *err, size_t errsz)
{
	ctx_t *c = vc;
	if (in->kind != KX_REC_OBJECT) {
		snprintf(err, errsz, "expected a JSON object with \"%s\", got %s", c->key,
		         in->kind == KX_REC_NUMBER ? "a number"
		         : in->kind == KX_REC_OTHER ? kx_json_kind(in->json) : "an array");
		return KX_BAD;
	}
	kx_lora_opts o = c->base;
	if (kx_lora_overrides(in, &o, err, errsz) < 0)
		return KX_BAD;
	if (c->convert)
		return convert(c, in, &o, res, err, errsz);
	const kx_span *sw = kx_rec_span(in, c->key);
	if (!sw) {
		snprintf(err, errsz, "no \"%s\" in the object", c->key);
		return KX_BAD;
	}
	size_t R = 0, C = 0;
	int flat = 0, has_grad = 0;
	double *w0;
	char name[80];
	snprintf(name, sizeof name, "\"%s\"", c->key);
	if (kx_lora_read_matrix(&c->mat, name, sw->val, sw->vallen, o.rows, o.cols, &R, &C, &flat, err,
	                        errsz) < 0)
		return KX_BAD;
	w0 = need(c, M_W0, R * C);
	memcpy(w0, c->mat.v, R * C * sizeof *w0);
	const kx_span *sg = kx_rec_span(in, "grads");
	const kx_span *s1 = sg ? NULL : kx_rec_span(in, "grad");
	if (sg) {
		if (kx_lora_read_grads(&c->mat, sg->val, sg->vallen, o.rows, o.cols, R, C, flat,
		                       need(c, M_G, R * C), err, errsz) < 0)
			return KX_BAD;
		has_grad = 1;
	} else if (s1) {
		if (kx_lora_read_matrix(&c->mat, "\"grad\"", s1->val, s1->vallen, o.rows, o.cols, &R, &C,
		                        &flat, err, errsz) < 0)
			return KX_BAD;
		memcpy(need(c, M_G, R * C), c->mat.v, R * C * sizeof(double));
		has_grad = 1;
	}
	if (o.cfg.method == KX_LORA_CORDA) {     /* its input statistics, torch d_in */
		size_t n = o.blog ? R : C;
		int st = kx_lora_read_cov(&c->mat, in, n, need(c, M_COV, n * n), err, errsz);
		if (st == 1)
			snprintf(err, errsz, "corda needs \"x\" (layer inputs) or \"cov\" (their covariance)");
		if (st)
			return KX_BAD;
		o.cfg.cov = c->m[M_COV];
	}
	char where[300];
	c->where = kx_rec_where(in, where, sizeof where);
	outrec_t u;
	int st = compute(c, &o, R, C, has_grad, in->index, &u, err, errsz);
	if (st != KX_OK)
		return st;
	return build(c, g_out, &u, res, 0, 0, err, errsz);
}

/* ===== file mode (lora.md 8.6) ======================================== */

static int file_mode(ctx_t *c, kx_common *com, const char *w0path, char **grads, int ngrads,
                     const char *prefix, int npy_f64)
{
	kx_lora_opts *o = &c->base;
	char err[512];
	kx_array a;
	int in_fmt = com->in_fmt;
	c->where = ngrads ? grads[0] : w0path;
	kx_progress("reading");
	size_t R = 0, C = 0, K = 0;
	if (kx_lora_load_w0(w0path, in_fmt, o->rows, o->cols, &a, &R, &C, err, sizeof err) < 0) {
		kx_error("%s: %s", w0path, err);
		return 1;
	}
	free(c->m[M_W0]);                    /* W0's array becomes the record's buffer */
	c->m[M_W0] = a.v, c->cap[M_W0] = R * C;
	const char *cp = c->covpath ? c->covpath : c->xpath;
	if (o->cfg.method == KX_LORA_CORDA) {
		size_t n = o->blog ? R : C;
		if (!cp) {
			kx_error("%s: corda needs --x (layer inputs) or --cov (their covariance)", w0path);
			return 1;
		}
		if (kx_lora_load_cov(cp, c->covpath != NULL, in_fmt, n, need(c, M_COV, n * n), err,
		                     sizeof err) < 0) {
			kx_error("%s: %s", cp, err);
			return 1;
		}
		o->cfg.cov = c->m[M_COV];
	}
	double *acc = need(c, M_G, R * C);   /* set by the first gradient */
	for (int i = 0; i < ngrads; i++)
		if (kx_lora_add_grad_file(grads[i], in_fmt, R, C, acc, &K, err, sizeof err) < 0) {
			kx_error("%s: %s", grads[i], err);
			return 1;
		}
	if (K)
		kx_lora_mean(acc, R * C, K);
	outrec_t u;
	kx_progress("computing");
	int st = compute(c, o, R, C, K > 0, 0, &u, err, sizeof err);
	if (st != KX_OK) {
		kx_error("%s: %s", w0path, err);
		return 1;
	}
	kx_result res;
	memset(&res, 0, sizeof res);
	if (!prefix) {
		kx_out out;
		kx_out_open(&out, com, c->out_fmt);
		g_out = &out;
		if (build(c, &out, &u, &res, 1, 0, err, sizeof err) != KX_OK) {
			kx_error("%s: %s", w0path, err);
			return 1;
		}
		kx_write(&out, NULL, &res);
		kx_out_close(&out);
		return 0;
	}
	size_t r = o->cfg.rank;
	int fmt = com->out_fmt;
	kx_progress("writing");
	const double *mats[3] = { u.A, u.B, u.W };
	size_t shapes[3][2] = { { o->blog ? u.n : r, o->blog ? r : u.n }, { o->blog ? r : u.m, o->blog ? u.m : r },
	                        { R, C } };
	if (kx_lora_save_factors(prefix, fmt, npy_f64, mats, shapes, err, sizeof err) < 0) {
		kx_error("%s", err);
		return 1;
	}
	/* PREFIX.json last: its presence means the set is complete */
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s.json", prefix);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	kx_common jc = *com;
	jc.output = tmp;
	kx_out out;
	c->out_fmt = KX_FMT_JSON;
	kx_out_open(&out, &jc, KX_FMT_JSON);
	build(c, &out, &u, &res, 1, 1, err, sizeof err);
	kx_write(&out, NULL, &res);
	kx_out_close(&out);
	kx_progress_done();
	if (rename(tmp, path)) {
		kx_error("%s: cannot rename:", path);
		remove(tmp);
		return 1;
	}
	return 0;
}

/* ===== main =========================================================== */

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "lora-init", help, "m:r:a:l:g:", longopts, KX_ACCEPT_SEED };
	static ctx_t c;
	kx_lora_opts *o = &c.base;
	*o = (kx_lora_opts){ .cfg = { .method = KX_LORA_GA, .rank = 8, .alpha = 16, .gamma = 16,
	                        .niter = 4, .oversample = 4 }, .lr_ratio = 16 };
	const char *w0path = NULL, *prefix = NULL, *xpath = NULL, *covpath = NULL;
	char **grads = kx_calloc((size_t)argc + 1, sizeof *grads);
	int ngrads = 0, npy_f64 = 0, opt, i;
	long long v;
	double d;
	while ((opt = kx_getopt(&cli, &com, argc, argv)) != -1) {
		switch (opt) {
		case 'm':
			if ((i = lookup(kx_lora_methods, optarg)) < 0)
				kx_usage_error("-m: unknown method '%s' (lora-ga, lora, gaussian, orthogonal, "
				               "pissa, olora, mica, corda)", optarg);
			o->cfg.method = i;
			break;
		case 'r':
			if (kx_parse_long(optarg, 1, (long long)1 << 40, &v) < 0)
				kx_usage_error("-r: expected a rank >= 1, got '%s'", optarg);
			o->cfg.rank = (size_t)v;
			break;
		case 'a':
		case 'g':
		case O_LR:
			if (kx_parse_double(optarg, &d) < 0 || !finite_pos(d))
				kx_usage_error("%s: expected a finite number > 0, got '%s'",
				               opt == 'a' ? "-a" : opt == 'g' ? "-g" : "--lr", optarg);
			*(opt == 'a' ? &o->cfg.alpha : opt == 'g' ? &o->cfg.gamma : &o->lr) = d;
			break;
		case O_LR_RATIO:
			if (!strcmp(optarg, "blog"))
				o->ratio_blog = 1;
			else if (kx_parse_double(optarg, &o->lr_ratio) < 0 || !finite_pos(o->lr_ratio))
				kx_usage_error("--lr-ratio: expected a number > 0 or 'blog', got '%s'", optarg);
			break;
		case 'l':
			if ((o->blog = lookup(kx_lora_layouts, optarg)) < 0)
				kx_usage_error("-l: unknown layout '%s' (torch, blog)", optarg);
			break;
		case O_SCALING:
			if ((o->cfg.rslora = lookup(kx_lora_scalings, optarg)) < 0)
				kx_usage_error("--scaling: unknown scaling '%s' (standard, rslora)", optarg);
			break;
		case O_DIRECTION:
			if ((o->cfg.direction = lookup(kx_lora_directions, optarg)) < 0)
				kx_usage_error("--direction: unknown direction '%s' (ArB2r, A2rBr, ArBr)", optarg);
			break;
		case O_GA_SCALE:
			if ((o->cfg.ga_scale = lookup(kx_lora_ga_scales, optarg)) < 0)
				kx_usage_error("--ga-scale: unknown scale '%s' (stable, unit, gd)", optarg);
			break;
		case O_SVD:
			if ((o->cfg.svd = lookup(kx_lora_svds, optarg)) < 0)
				kx_usage_error("--svd: unknown mode '%s' (auto, full, randomized)", optarg);
			break;
		case O_NITER:
		case O_OVERSAMPLE:
			if (kx_parse_long(optarg, opt == O_NITER ? 0 : 1, 1 << 20, &v) < 0)
				kx_usage_error("%s: expected a whole number >= %d, got '%s'",
				               opt == O_NITER ? "--niter" : "--oversample", opt == O_NITER ? 0 : 1,
				               optarg);
			*(opt == O_NITER ? &o->cfg.niter : &o->cfg.oversample) = (size_t)v;
			break;
		case O_GRAD_TRANSFORM:
			if ((o->grad_sign = lookup(kx_lora_transforms, optarg)) < 0)
				kx_usage_error("--grad-transform: unknown transform '%s' (none, sign)", optarg);
			break;
		case O_CORDA_MODE:
			if ((o->cfg.corda_kpm = lookup(kx_lora_corda_modes, optarg)) < 0)
				kx_usage_error("--corda-mode: unknown mode '%s' (ipm, kpm)", optarg);
			break;
		case O_DORA: c.dora = 1; break;
		case O_CONVERT: c.convert = 1; break;
		case O_X: xpath = optarg; break;
		case O_COV: covpath = optarg; break;
		case O_CHECK: c.check = 1; break;
		case O_W0: w0path = optarg; break;
		case O_GRAD: grads[ngrads++] = optarg; break;
		case O_ROWS:
		case O_COLS:
			if (kx_parse_long(optarg, 1, (long long)1 << 48, &v) < 0)
				kx_usage_error("%s: expected a whole number >= 1, got '%s'",
				               opt == O_ROWS ? "--rows" : "--cols", optarg);
			*(opt == O_ROWS ? &o->rows : &o->cols) = v;
			break;
		case O_OUT_PREFIX: prefix = optarg; break;
		case O_NPY_F64: npy_f64 = 1; break;
		}
	}
	o->seed = com.seed;
	if (com.dim) {
		if (o->cols && o->cols != com.dim)
			kx_usage_error("-d and --cols disagree");
		o->cols = com.dim;
	}
	if (o->cfg.method == KX_LORA_ORTHOGONAL && o->cfg.rank % 2)
		kx_usage_error("-m orthogonal needs an even rank, got %zu", o->cfg.rank);
	size_t need_v = o->cfg.method == KX_LORA_GA ? 2 * o->cfg.rank
	              : o->cfg.method == KX_LORA_PISSA ? o->cfg.rank : 0;
	if (o->cfg.svd == KX_SVD_RANDOMIZED && need_v && o->cfg.oversample * o->cfg.rank < need_v)
		kx_usage_error("--svd randomized: q = oversample r = %zu is less than the %zu vectors %s needs",
		               o->cfg.oversample * o->cfg.rank, need_v, kx_lora_methods[o->cfg.method]);
	int file = w0path != NULL, nops = argc - optind;
	if (file && nops)
		kx_usage_error("file mode (--w0) takes no operands");
	if (file && c.convert)
		kx_usage_error("--convert works on records (stream mode), not with --w0");
	if (!file && (ngrads || prefix || xpath || covpath))
		kx_usage_error("%s needs --w0 (file mode)", ngrads ? "--grad" : prefix ? "--out-prefix"
		               : xpath ? "--x" : "--cov");
	int dashes = (file && !strcmp(w0path, "-")) + (xpath && !strcmp(xpath, "-")) +
	             (covpath && !strcmp(covpath, "-"));
	for (i = 0; i < ngrads; i++)
		dashes += !strcmp(grads[i], "-");
	for (i = optind; i < argc; i++)
		dashes += !strcmp(argv[i], "-");
	if (dashes > 1)
		kx_usage_error("at most one input may be '-' (standard input)");
	if (com.in_fmt == KX_FMT_TEXT)
		kx_usage_error("-i text: lora-init reads JSON records or matrix files");
	if (!file && (com.in_fmt == KX_FMT_F32 || com.in_fmt == KX_FMT_F64))
		kx_usage_error("-i %s is for file mode (--w0): stream mode reads JSON records",
		               kx_fmt_name(com.in_fmt));
	if (file && kx_is_raw_name(w0path, com.in_fmt) && !o->cols)
		kx_usage_error("a raw W0 file needs --cols (or -d)");

	/* fields and output formats (lora.md 8.7) */
	if (com.fields) {
		c.nfields = kx_fields_parse(com.fields, field_names, c.fields, NF);
		c.listed = 1;
		for (i = 0; i < c.nfields; i++)
			c.dora |= c.fields[i] == F_DORA_M;     /* naming it asks for it, as check does */
	}
	int fmt = com.out_fmt ? com.out_fmt : KX_FMT_JSON;
	if (fmt == KX_FMT_U32)
		kx_usage_error("-O u32: lora-init has no index field");
	if (prefix && fmt == KX_FMT_TEXT)
		kx_usage_error("-O text does not go with --out-prefix (f32, f64 or the default .npy)");
	if (prefix && com.output)
		kx_usage_error("-o does not go with --out-prefix");
	if (fmt == KX_FMT_TEXT) {
		if (!c.listed)
			kx_usage_error("-O text needs -f naming scalar or vector fields");
		for (i = 0; i < c.nfields; i++)
			if (c.fields[i] == F_A || c.fields[i] == F_B || c.fields[i] == F_W0_ADJ ||
			    c.fields[i] == F_CHECK)
				kx_usage_error("-O text: the field '%s' is a matrix or an object; use JSON",
				               field_names[c.fields[i]]);
	}
	if ((fmt == KX_FMT_F32 || fmt == KX_FMT_F64) && !prefix) {
		int f = c.nfields == 1 ? c.fields[0] : -1;
		if (f != F_A && f != F_B && f != F_W0_ADJ && f != F_SIGMA && f != F_DORA_M)
			kx_usage_error("raw output (-O %s) carries one field, A, B, w0_adj, dora_m or sigma: "
			               "choose it with -f", kx_fmt_name(fmt));
	}
	c.out_fmt = fmt;
	c.com = &com;
	c.xpath = xpath, c.covpath = covpath;
	c.key = com.key ? com.key : "w0";
	c.drop[0] = c.key, c.drop[1] = "grad", c.drop[2] = "grads", c.drop[3] = "x", c.drop[4] = "cov";

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status;
	kx_counts cnt = { 1, 0 };
	if (file) {
		status = file_mode(&c, &com, w0path, grads, ngrads, prefix, npy_f64);
		cnt.bad = status;
	} else {
		kx_reader *rd = kx_reader_open(KX_FMT_JSON, 0, nops, argv + optind);
		kx_out out;
		kx_out_open(&out, &com, fmt);
		g_out = &out;
		status = kx_filter(&com, rd, &out, process, &c, &cnt);
		kx_out_close(&out);
		kx_reader_close(rd);
	}
	if (com.stats) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		char sec[KX_NUMLEN];
		kx_fmt_double(sec, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, 3);
		fprintf(stderr, "{\"records\":%lld,\"bad\":%lld,\"warnings\":%lld,\"seconds\":%s}\n",
		        cnt.records, cnt.bad, c.warnings, sec);
	}
	for (i = 0; i < NM; i++)
		free(c.m[i]);
	kx_mat_free(&c.mat);
	kx_buf_free(&c.jA);
	kx_buf_free(&c.jB);
	kx_buf_free(&c.jW);
	kx_buf_free(&c.jC);
	kx_buf_free(&c.jD);
	free(grads);
	return status;
}
