/*
 * lora-init — LoRA initialisation of one weight matrix per record: LoRA-GA
 * (default), Kaiming LoRA, Gaussian, orthogonal, PiSSA, OLoRA; LoRA+ learning
 * rates and a first-step self-check.  Posts: Su Jianlin, kexue.fm 10226
 * (LoRA-GA), 10001 (LoRA+), 9590; paper arXiv 2407.05000.  Spec: lora.md.
 * Leaves out the "later" parts: mica, corda, --dora, --convert,
 * --grad-transform sign, --stats (each a usage error).
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cJSON.h>
#include "kx.h"
#include "io_matstream.h"
#include "lora.h"

static const char help[] =
"usage: lora-init [-m METHOD] [-r RANK] [-a ALPHA] [--scaling standard|rslora]\n"
"                 [-l torch|blog] [--direction D] [--ga-scale S] [-g GAMMA]\n"
"                 [--svd auto|full|randomized] [--niter N] [--oversample P] [-s SEED]\n"
"                 [--lr ETA] [--lr-ratio L|blog] [--check] [common options] [FILE...]\n"
"       lora-init [OPTION]... --w0 FILE [--grad FILE]... [--rows R] [--cols C]\n"
"                 [--out-prefix PREFIX] [--npy-f64]\n"
"LoRA factors A (r x d_in), B (d_out x r) and w0_adj = W0 - s B A per layer (lora.md).\n"
"  -m, --method M       lora-ga (default), lora, gaussian, orthogonal, pissa, olora\n"
"  -r, --rank R         adapter rank (default 8)\n"
"  -a, --alpha A        LoRA alpha (default 16)\n"
"      --scaling S      standard: s = alpha/r (default); rslora: s = alpha/sqrt(r)\n"
"  -l, --layout L       torch: W0 is d_out x d_in (default); blog: d_in x d_out\n"
"      --direction D    lora-ga split: ArB2r (default), A2rBr, ArBr\n"
"      --ga-scale S     stable: c = d_out^(1/4)/sqrt(gamma) (default), unit, gd (c = 1/s)\n"
"  -g, --gamma G        gamma of the stable scale (default 16)\n"
"      --svd M          auto (default), full (dgesdd), randomized\n"
"      --niter N        randomized SVD: subspace iterations (default 4)\n"
"      --oversample P   randomized SVD: q = min(P r, min(rows, cols)) (default 4)\n"
"  -s, --seed N         base seed; record k uses mix(N) + k (default 0)\n"
"      --lr ETA         add LoRA+ lr_A = ETA, lr_B = ratio ETA, lr_ratio\n"
"      --lr-ratio L     eta_B/eta_A: a number (default 16) or blog: (d_in/d_out) sqrt(d_in/r)\n"
"      --check          add check: recon_max_abs, cos_step, cos_bound\n"
"File mode: --w0 FILE, --grad FILE (repeatable, averaged), --rows, --cols,\n"
"  --out-prefix PREFIX (PREFIX.A.npy, .B.npy, .w0.npy, then PREFIX.json), --npy-f64.\n"
"Fields: method layout rows cols rank alpha scaling scale init_scale sigma A B w0_adj\n"
"  lr_A lr_B lr_ratio check.  Record keys: w0, grad, grads, rows, cols, and overrides\n"
"  rank method alpha scaling layout direction ga_scale gamma seed svd niter oversample\n"
"  lr lr_ratio.\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q -h -V; see lora-init(1).\n";

enum { F_METHOD, F_LAYOUT, F_ROWS, F_COLS, F_RANK, F_ALPHA, F_SCALING, F_SCALE, F_INIT_SCALE,
       F_SIGMA, F_A, F_B, F_W0_ADJ, F_DORA_M, F_LR_A, F_LR_B, F_LR_RATIO, F_CHECK, NF };
static const char *const field_names[] = { "method", "layout", "rows", "cols", "rank", "alpha",
	"scaling", "scale", "init_scale", "sigma", "A", "B", "w0_adj", "dora_m", "lr_A", "lr_B",
	"lr_ratio", "check", NULL };

static const char *const methods[] = { "lora-ga", "lora", "gaussian", "orthogonal", "pissa",
                                       "olora", NULL };
static const char *const directions[] = { "ArB2r", "A2rBr", "ArBr", NULL };
static const char *const ga_scales[] = { "stable", "unit", "gd", NULL };
static const char *const scalings[] = { "standard", "rslora", NULL };
static const char *const layouts[] = { "torch", "blog", NULL };
static const char *const svds[] = { "auto", "full", "randomized", NULL };   /* KX_SVD_* order */

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

/* The settings one record is computed with: the command line, then overrides. */
typedef struct {
	kx_lora_cfg cfg;
	int blog;              /* --layout blog */
	uint64_t seed;         /* --seed, or the record's own "seed" */
	int own_seed;          /* 1: the record gave "seed" (mix(R), no k added) */
	double lr;             /* --lr; 0 = off */
	double lr_ratio;       /* --lr-ratio number */
	int ratio_blog;        /* --lr-ratio blog */
	long long rows, cols;  /* --rows/--cols (record's layout); 0 = not given */
} opts_t;

/* Per-record buffers (grown, reused) and the output settings. */
enum { M_W0, M_G, M_T, M_A, M_B, M_W, M_AO, M_BO, M_WO, M_SIGMA, NM };
typedef struct {
	opts_t base;
	const char *key;
	int fields[NF], nfields, listed;  /* output fields; listed: -f given */
	int check;                        /* --check */
	int out_fmt;                      /* resolved output format */
	const kx_common *com;
	double *m[NM];
	size_t cap[NM];
	kx_mat mat;                       /* a parsed matrix */
	kx_buf jA, jB, jW, jC;            /* JSON text of A, B, w0_adj (float32) and check */
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

/* ===== per-record overrides (lora.md 8.3) ============================= */

/* A string override: its index in names, or -1 with a message. */
static int rec_word(const kx_rec *in, const char *key, const char *const *names, int *out, char *err,
                    size_t errsz)
{
	struct cJSON *j = kx_rec_get(in, key);
	if (!j)
		return 0;
	const char *s = cJSON_GetStringValue(j);
	if (!s) {
		snprintf(err, errsz, "\"%s\" holds %s, expected a string", key, kx_json_kind(j));
		return -1;
	}
	int i = lookup(names, s);
	if (i < 0) {
		if (!strcmp(key, "method") && (!strcmp(s, "mica") || !strcmp(s, "corda")))
			snprintf(err, errsz, "method '%s' is not implemented in this version", s);
		else
			snprintf(err, errsz, "unknown %s '%.60s'", key, s);
		return -1;
	}
	*out = i;
	return 0;
}

static int rec_posnum(const kx_rec *in, const char *key, double *out, char *err, size_t errsz)
{
	double v;
	int st = kx_rec_num(in, key, &v, err, errsz);
	if (st < 0)
		return -1;
	if (st == 0) {
		if (!finite_pos(v)) {
			snprintf(err, errsz, "\"%s\" must be a finite number > 0", key);
			return -1;
		}
		*out = v;
	}
	return 0;
}

static int rec_count(const kx_rec *in, const char *key, long long lo, long long *out, char *err,
                     size_t errsz)
{
	long long v;
	int st = kx_rec_int(in, key, &v, err, errsz);
	if (st < 0)
		return -1;
	if (st == 0) {
		if (v < lo) {
			snprintf(err, errsz, "\"%s\" is %lld, expected an integer >= %lld", key, v, lo);
			return -1;
		}
		*out = v;
	}
	return 0;
}

static int rec_seed(const kx_rec *in, opts_t *o, char *err, size_t errsz)
{
	const kx_span *sp = kx_rec_span(in, "seed");
	if (!sp)
		return 0;
	char t[64];
	const char *v = sp->val;
	size_t n = sp->vallen;
	if (n >= 2 && v[0] == '"') {         /* a string of digits */
		v++;
		n -= 2;
	}
	uint64_t s;
	double d;
	if (n == 0 || n >= sizeof t || (memcpy(t, v, n), t[n] = 0, kx_parse_u64(t, &s) < 0)) {
		/* an integral JSON number written otherwise (5.0, 1e3) is exact below 2^53 */
		if (v == sp->val && kx_parse_jsonnum(v, n, &d) == 0 && d >= 0 && d <= 9007199254740992.0 &&
		    d == (double)(uint64_t)d) {
			s = (uint64_t)d;
		} else {
			snprintf(err, errsz, "\"seed\" must be an integer from 0 to 2^64-1");
			return -1;
		}
	}
	o->seed = s;
	o->own_seed = 1;
	return 0;
}

static int overrides(const kx_rec *in, opts_t *o, char *err, size_t errsz)
{
	long long v;
	int w;
	kx_lora_cfg *g = &o->cfg;
	if (kx_rec_span(in, "rank")) {
		v = 0;
		if (rec_count(in, "rank", 1, &v, err, errsz) < 0)
			return -1;
		g->rank = (size_t)v;
	}
	w = g->method;
	if (rec_word(in, "method", methods, &w, err, errsz) < 0)
		return -1;
	g->method = w;
	if (rec_posnum(in, "alpha", &g->alpha, err, errsz) < 0 ||
	    rec_posnum(in, "gamma", &g->gamma, err, errsz) < 0 ||
	    rec_posnum(in, "lr", &o->lr, err, errsz) < 0)
		return -1;
	w = g->rslora;
	if (rec_word(in, "scaling", scalings, &w, err, errsz) < 0)
		return -1;
	g->rslora = w;
	if (rec_word(in, "layout", layouts, &o->blog, err, errsz) < 0 ||
	    rec_word(in, "direction", directions, &g->direction, err, errsz) < 0 ||
	    rec_word(in, "ga_scale", ga_scales, &g->ga_scale, err, errsz) < 0 ||
	    rec_word(in, "svd", svds, &g->svd, err, errsz) < 0)
		return -1;
	/* later features asked for by a record: bad records (lora.md 0) */
	static const char *const later_keys[][3] = { { "grad_transform", "none", "sign" },
	                                             { "corda_mode", "ipm", "kpm" } };
	for (int i = 0; i < 2; i++) {
		struct cJSON *j = kx_rec_get(in, later_keys[i][0]);
		const char *s = j ? cJSON_GetStringValue(j) : NULL;
		if (!j || (s && !strcmp(s, later_keys[i][1])))
			continue;
		if (s && !strcmp(s, later_keys[i][2]))
			snprintf(err, errsz, "%s '%s' is not implemented in this version", later_keys[i][0], s);
		else
			snprintf(err, errsz, "unknown %s (expected \"%s\")", later_keys[i][0], later_keys[i][1]);
		return -1;
	}
	v = (long long)g->niter;
	if (rec_count(in, "niter", 0, &v, err, errsz) < 0)
		return -1;
	g->niter = (size_t)v;
	v = (long long)g->oversample;
	if (rec_count(in, "oversample", 1, &v, err, errsz) < 0)
		return -1;
	g->oversample = (size_t)v;
	if (rec_count(in, "rows", 1, &o->rows, err, errsz) < 0 ||
	    rec_count(in, "cols", 1, &o->cols, err, errsz) < 0)
		return -1;
	struct cJSON *j = kx_rec_get(in, "lr_ratio");
	if (j) {
		const char *s = cJSON_GetStringValue(j);
		if (s && !strcmp(s, "blog")) {
			o->ratio_blog = 1;
		} else {
			o->ratio_blog = 0;
			if (s || rec_posnum(in, "lr_ratio", &o->lr_ratio, err, errsz) < 0) {
				snprintf(err, errsz, "\"lr_ratio\" must be a number > 0 or \"blog\"");
				return -1;
			}
		}
	}
	return rec_seed(in, o, err, errsz);
}

/* ===== matrices in records ============================================ */

/* The top-level elements of the JSON array text [s, s+len): their spans. */
static size_t split_array(const char *s, size_t len, const char **el, size_t *ellen, size_t max)
{
	const char *p = s + 1, *end = s + len;
	size_t n = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ','))
			p++;
		if (p >= end || *p == ']')
			break;
		const char *b = p;
		int depth = 0;
		for (; p < end; p++) {
			if (*p == '"') {
				for (p++; p < end && *p != '"'; p++)
					if (*p == '\\')
						p++;
			} else if (*p == '[' || *p == '{') {
				depth++;
			} else if (*p == ']' || *p == '}') {
				if (depth == 0)
					break;
				depth--;
			} else if (*p == ',' && depth == 0) {
				break;
			}
		}
		if (n < max) {
			el[n] = b;
			ellen[n] = (size_t)(p - b);
		}
		n++;
	}
	return n;
}

/* Parse a matrix from JSON text into dst (R x C values, float32-rounded).
 * *R, *C: 0 to learn the shape (w0), else the shape it must have.  flat:
 * in/out, 1 when the w0 was a flat array. */
static int parse_matrix(ctx_t *c, const char *name, const char *s, size_t len, opts_t *o,
                        size_t *R, size_t *C, int *flat, double **dst, int slot, char *err,
                        size_t errsz)
{
	char perr[200];
	kx_mat *m = &c->mat;
	if (len == 0 || s[0] != '[') {
		snprintf(err, errsz, "%s must be an array of rows or a flat array of numbers", name);
		return -1;
	}
	if (kx_parse_numarray(s, len, 1, m, perr, sizeof perr) < 0) {
		snprintf(err, errsz, "%s: %s", name, perr);
		return -1;
	}
	size_t rows, cols;
	if (m->batch) {
		rows = m->rows;
		cols = rows ? KX_ROWLEN(m, 0) : 0;
		for (size_t r = 0; r < rows; r++)
			if (KX_ROWLEN(m, r) != cols) {
				snprintf(err, errsz, "%s has ragged rows: row %zu has %zu values, row 1 has %zu", name,
				         r + 1, KX_ROWLEN(m, r), cols);
				return -1;
			}
		if (*R == 0 && ((o->rows && (size_t)o->rows != rows) || (o->cols && (size_t)o->cols != cols))) {
			snprintf(err, errsz, "%s is %zu x %zu, but rows/cols say %lld x %lld", name, rows, cols,
			         o->rows ? o->rows : (long long)rows, o->cols ? o->cols : (long long)cols);
			return -1;
		}
	} else {
		size_t n = m->n;
		rows = o->rows ? (size_t)o->rows : *R;
		cols = o->cols ? (size_t)o->cols : *C;
		if (*R == 0 && !rows && !cols) {
			snprintf(err, errsz, "%s is a flat array: give \"rows\" and \"cols\" (or --rows, --cols)", name);
			return -1;
		}
		if (!rows && n % cols == 0)
			rows = n / cols;
		if (!cols && n % rows == 0)
			cols = n / rows;
		if (!rows || !cols || rows * cols != n) {
			snprintf(err, errsz, "%s has %zu values, not rows x cols", name, n);
			return -1;
		}
	}
	if (rows == 0 || cols == 0) {
		snprintf(err, errsz, "%s is empty", name);
		return -1;
	}
	if (*R == 0) {
		*R = rows;
		*C = cols;
		*flat = !m->batch;
	} else if (rows != *R || cols != *C || *flat != !m->batch) {
		snprintf(err, errsz, "%s is %zu x %zu%s, w0 is %zu x %zu%s", name, rows, cols,
		         m->batch ? "" : " (flat)", *R, *C, *flat ? " (flat)" : "");
		return -1;
	}
	double *d = need(c, slot, rows * cols);
	memcpy(d, m->v, rows * cols * sizeof *d);
	size_t bad = kx_lora_to_f32(d, rows * cols);
	if (bad < rows * cols) {
		snprintf(err, errsz, "%s[%zu][%zu] is not a finite float32 value", name, bad / cols, bad % cols);
		return -1;
	}
	*dst = d;
	return 0;
}

/* ===== output ========================================================= */

/* A float32 matrix as JSON text: the shortest float32 decimals (lora.md 7.4). */
static void json_f32(kx_buf *b, const double *v, size_t rows, size_t cols, const kx_out *o)
{
	char t[KX_NUMLEN];
	b->len = 0;
	kx_buf_putc(b, '[');
	for (size_t i = 0; i < rows; i++) {
		kx_buf_puts(b, i ? ",[" : "[");
		for (size_t j = 0; j < cols; j++) {
			if (j)
				kx_buf_putc(b, ',');
			float f = (float)v[i * cols + j];
			if (!(f - f == 0)) {
				kx_buf_puts(b, o->strict ? "null" : f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
				continue;
			}
			kx_buf_put(b, t, kx_fmt_float(t, f, o->digits));
		}
		kx_buf_putc(b, ']');
	}
	kx_buf_putc(b, ']');
}

/* Everything a record's output needs, in the record's layout. */
typedef struct {
	const opts_t *o;
	size_t R, C, m, n;            /* shape as given; torch shape */
	kx_lora_res *lr;
	const double *A, *B, *W;      /* output-layout matrices */
	double lr_A, lr_B, ratio;
	int has_check, has_grad;
	kx_lora_check chk;
} outrec_t;

static int want_field(int f, const outrec_t *u)
{
	switch (f) {
	case F_INIT_SCALE: return u->o->cfg.method == KX_LORA_GA;
	case F_SIGMA: return u->lr->nsigma > 0;
	case F_DORA_M: return 0;
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
	const opts_t *o = u->o;
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
				         methods[o->cfg.method]);
				return KX_BAD;
			}
			continue;
		}
		const char *nm = field_names[f];
		switch (f) {
		case F_METHOD: kx_res_str(res, nm, methods[o->cfg.method]); break;
		case F_LAYOUT: kx_res_str(res, nm, layouts[o->blog]); break;
		case F_ROWS: kx_res_int(res, nm, (long long)u->R); break;
		case F_COLS: kx_res_int(res, nm, (long long)u->C); break;
		case F_RANK: kx_res_int(res, nm, (long long)r); break;
		case F_ALPHA: kx_res_num(res, nm, o->cfg.alpha); break;
		case F_SCALING: kx_res_str(res, nm, scalings[o->cfg.rslora]); break;
		case F_SCALE: kx_res_num(res, nm, u->lr->scale); break;
		case F_INIT_SCALE: kx_res_num(res, nm, u->lr->init_scale); break;
		case F_SIGMA: kx_res_vec(res, nm, u->lr->sigma, u->lr->nsigma); break;
		case F_LR_A: kx_res_num(res, nm, u->lr_A); break;
		case F_LR_B: kx_res_num(res, nm, u->lr_B); break;
		case F_LR_RATIO: kx_res_num(res, nm, u->ratio); break;
		case F_A: case F_B: case F_W0_ADJ: {
			const double *d = f == F_A ? u->A : f == F_B ? u->B : u->W;
			size_t rr = f == F_A ? (o->blog ? u->n : r) : f == F_B ? (o->blog ? r : u->m) : u->R;
			size_t cc = f == F_A ? (o->blog ? r : u->n) : f == F_B ? (o->blog ? u->m : r) : u->C;
			if (json) {
				kx_buf *b = f == F_A ? &c->jA : f == F_B ? &c->jB : &c->jW;
				json_f32(b, d, rr, cc, out);
				kx_res_json(res, nm, b->s);
			} else {
				kx_res_matc(res, nm, d, rr, cc);
			}
			break;
		}
		case F_CHECK: {
			kx_buf *b = &c->jC;
			b->len = 0;
			kx_buf_puts(b, "{\"recon_max_abs\":");
			kx_out_num(out, b, u->chk.recon_max_abs);
			if (u->has_grad) {
				kx_buf_puts(b, ",\"cos_step\":");
				kx_out_num(out, b, u->chk.cos_step);
				kx_buf_puts(b, ",\"cos_bound\":");
				kx_out_num(out, b, u->chk.cos_bound);
			}
			kx_buf_putc(b, '}');
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
static int compute(ctx_t *c, opts_t *o, size_t R, size_t C, int has_grad, uint64_t k, outrec_t *u,
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
	kx_lora_res *lrp = &c->lr;
	*lrp = (kx_lora_res){ .A = need(c, M_A, r * n), .B = need(c, M_B, m * r),
	                    .w0_adj = need(c, M_W, m * n), .sigma = need(c, M_SIGMA, 2 * r) };
	if (v && m >= 1024 && n >= 1024)
		kx_progress("SVD %zux%zu (%s)", m, n,
		            kx_lora_svd_choice(o->cfg.svd, m, n, r, o->cfg.oversample, v * r) == KX_SVD_FULL
		            ? "full" : "randomized");
	int info = kx_lora_init(&o->cfg, m, n, W0, G, &g, lrp);
	*u = (outrec_t){ .o = o, .R = R, .C = C, .m = m, .n = n, .lr = lrp, .has_grad = has_grad };
	if (info == 0 && (c->check || c->listed)) {
		int want_check = c->check;
		for (int i = 0; c->listed && i < c->nfields; i++)
			want_check |= c->fields[i] == F_CHECK;
		if (want_check) {
			u->has_check = 1;
			info = kx_lora_check_run(&o->cfg, m, n, W0, G, lrp, &g, &u->chk);
		}
	}
	kx_progress_done();
	if (info < 0)
		kx_die("out of memory");
	if (info > 0) {
		snprintf(err, errsz, "LAPACK did not converge (info %d)", info);
		return KX_FATAL;
	}
	if (lrp->low_rank)
		kx_warn("%s: gradient has rank < 2r; the factors are not unique", c->where);
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

static int process(void *vc, kx_rec *in, kx_result *res, char *err, size_t errsz)
{
	ctx_t *c = vc;
	if (in->kind != KX_REC_OBJECT) {
		snprintf(err, errsz, "expected a JSON object with \"%s\", got %s", c->key,
		         in->kind == KX_REC_NUMBER ? "a number"
		         : in->kind == KX_REC_OTHER ? kx_json_kind(in->json) : "an array");
		return KX_BAD;
	}
	opts_t o = c->base;
	if (overrides(in, &o, err, errsz) < 0)
		return KX_BAD;
	const kx_span *sw = kx_rec_span(in, c->key);
	if (!sw) {
		snprintf(err, errsz, "no \"%s\" in the object", c->key);
		return KX_BAD;
	}
	size_t R = 0, C = 0;
	int flat = 0, has_grad = 0;
	double *w0, *gk;
	char name[80];
	snprintf(name, sizeof name, "\"%s\"", c->key);
	if (parse_matrix(c, name, sw->val, sw->vallen, &o, &R, &C, &flat, &w0, M_W0, err, errsz) < 0)
		return KX_BAD;
	const kx_span *sg = kx_rec_span(in, "grads");
	const kx_span *s1 = sg ? NULL : kx_rec_span(in, "grad");
	if (sg) {
		if (sg->vallen == 0 || sg->val[0] != '[') {
			snprintf(err, errsz, "\"grads\" must be a list of gradients");
			return KX_BAD;
		}
		size_t K = split_array(sg->val, sg->vallen, NULL, NULL, 0);
		if (K == 0) {
			snprintf(err, errsz, "\"grads\" is an empty list");
			return KX_BAD;
		}
		const char **el = kx_malloc(K * sizeof *el);
		size_t *ell = kx_malloc(K * sizeof *ell);
		split_array(sg->val, sg->vallen, el, ell, K);
		double *acc = need(c, M_G, R * C);
		memset(acc, 0, R * C * sizeof *acc);
		int bad = 0;
		for (size_t i = 0; i < K && !bad; i++) {
			snprintf(name, sizeof name, "\"grads\"[%zu]", i);
			bad = parse_matrix(c, name, el[i], ell[i], &o, &R, &C, &flat, &gk, M_T, err, errsz) < 0;
			if (!bad)
				kx_lora_accumulate(acc, gk, R * C);
		}
		free(el);
		free(ell);
		if (bad)
			return KX_BAD;
		kx_lora_mean(acc, R * C, K);
		has_grad = 1;
	} else if (s1) {
		if (parse_matrix(c, "\"grad\"", s1->val, s1->vallen, &o, &R, &C, &flat, &gk, M_G, err,
		                 errsz) < 0)
			return KX_BAD;
		has_grad = 1;
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

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

/* Raw data is never guessed: a .f32/.f64 name, or -i f32|f64 on a name that
 * is not .npy or JSON. */
static int is_raw(const char *path, int in_fmt)
{
	if (ends_with(path, ".f32") || ends_with(path, ".f64"))
		return 1;
	if (ends_with(path, ".npy") || ends_with(path, ".json") || ends_with(path, ".jsonl") ||
	    ends_with(path, ".ndjson"))
		return 0;
	return in_fmt == KX_FMT_F32 || in_fmt == KX_FMT_F64;
}

/* Write PREFIX.SUF atomically (temporary name in the same directory, rename). */
static int save_matrix(const char *prefix, const char *suf, const double *v, size_t rows,
                       size_t cols, int fmt, int f64)
{
	char path[4096], tmp[4200], err[300];
	snprintf(path, sizeof path, "%s.%s.%s", prefix, suf,
	         fmt == KX_FMT_F32 ? "f32" : fmt == KX_FMT_F64 ? "f64" : "npy");
	if (fmt != KX_FMT_F32 && fmt != KX_FMT_F64) {
		size_t shape[2] = { rows, cols };
		if (kx_npy_save(path, v, 2, shape, !f64, err, sizeof err) < 0) {
			kx_error("%s", err);
			return -1;
		}
		return 0;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		kx_error("%s: cannot create:", path);
		return -1;
	}
	int bad = 0;
	for (size_t i = 0; i < rows * cols && !bad; i++) {
		if (fmt == KX_FMT_F32) {
			float x = (float)v[i];
			bad = fwrite(&x, 4, 1, f) != 1;
		} else {
			bad = fwrite(&v[i], 8, 1, f) != 1;
		}
	}
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path)) {
		kx_error("%s: write error:", path);
		remove(tmp);
		return -1;
	}
	return 0;
}

static int file_mode(ctx_t *c, kx_common *com, const char *w0path, char **grads, int ngrads,
                     const char *prefix, int npy_f64)
{
	opts_t *o = &c->base;
	char err[512];
	kx_array a;
	int in_fmt = com->in_fmt;
	c->where = ngrads ? grads[0] : w0path;
	kx_progress("reading");
	if (kx_load_array(w0path, in_fmt, is_raw(w0path, in_fmt) ? (size_t)o->cols : 0, &a, err,
	                  sizeof err) < 0) {
		kx_error("%s: %s", w0path, err);
		return 1;
	}
	size_t R, C;
	if (a.ndim == 1) {
		C = o->cols ? (size_t)o->cols : a.size;
		R = C && a.size % C == 0 ? a.size / C : 0;
	} else {
		R = a.shape[0];
		C = a.ndim == 2 ? a.shape[1] : 0;
	}
	if (a.ndim == 3 || !R || !C || (o->rows && (size_t)o->rows != R) || (o->cols && (size_t)o->cols != C)) {
		kx_error("%s: W0 must be a non-empty 2-D matrix%s (got %zu values)", w0path,
		         o->rows || o->cols ? " of the --rows/--cols shape" : "", a.size);
		kx_array_free(&a);
		return 1;
	}
	double *w0 = need(c, M_W0, R * C);
	memcpy(w0, a.v, R * C * sizeof *w0);
	kx_array_free(&a);
	size_t bad = kx_lora_to_f32(w0, R * C);
	if (bad < R * C) {
		kx_error("%s: the value at row %zu, column %zu is not a finite float32 value", w0path,
		         bad / C + 1, bad % C + 1);
		return 1;
	}
	size_t K = 0;
	double *acc = need(c, M_G, R * C);
	memset(acc, 0, R * C * sizeof *acc);
	for (int i = 0; i < ngrads; i++) {
		kx_matstream ms;
		if (kx_matstream_open(&ms, grads[i], in_fmt, C, err, sizeof err) < 0) {
			kx_error("%s: %s", grads[i], err);
			return 1;
		}
		int ok = ms.size > 0 && ms.size % (R * C) == 0 &&
		         (ms.ndim == 3 ? ms.shape[1] == R && ms.shape[2] == C
		                       : ms.ndim == 2 ? ms.shape[1] == C : R == 1);
		if (!ok) {
			kx_error("%s: expected gradients of W0's shape %zu x %zu (K x %zu rows, or K x %zu x %zu)",
			         grads[i], R, C, R, R, C);
			kx_matstream_close(&ms);
			return 1;
		}
		/* one gradient at a time: memory stays at the running sum plus one slice */
		double *gk = need(c, M_T, R * C);
		for (size_t k = 0, nk = ms.size / (R * C); k < nk; k++) {
			kx_progress("averaging %zu gradients", K + 1);
			if (kx_matstream_read(&ms, gk, R * C, err, sizeof err) < 0) {
				kx_error("%s: %s", grads[i], err);
				kx_matstream_close(&ms);
				return 1;
			}
			bad = kx_lora_to_f32(gk, R * C);
			if (bad < R * C) {
				kx_error("%s: gradient %zu, row %zu, column %zu is not a finite float32 value",
				         grads[i], k + 1, bad / C + 1, bad % C + 1);
				kx_matstream_close(&ms);
				return 1;
			}
			kx_lora_accumulate(acc, gk, R * C);
			K++;
		}
		kx_matstream_close(&ms);
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
	if (save_matrix(prefix, "A", u.A, o->blog ? u.n : r, o->blog ? r : u.n, fmt, npy_f64) < 0 ||
	    save_matrix(prefix, "B", u.B, o->blog ? r : u.m, o->blog ? u.m : r, fmt, npy_f64) < 0 ||
	    save_matrix(prefix, "w0", u.W, R, C, fmt, npy_f64) < 0)
		return 1;
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

_Noreturn static void later(const char *what)
{
	kx_usage_error("%s is not implemented in this version", what);
}

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "lora-init", help, "m:r:a:l:g:", longopts, KX_ACCEPT_SEED };
	static ctx_t c;
	opts_t *o = &c.base;
	*o = (opts_t){ .cfg = { .method = KX_LORA_GA, .rank = 8, .alpha = 16, .gamma = 16,
	                        .niter = 4, .oversample = 4 }, .lr_ratio = 16 };
	const char *w0path = NULL, *prefix = NULL;
	char **grads = kx_calloc((size_t)argc + 1, sizeof *grads);
	int ngrads = 0, npy_f64 = 0, opt, i;
	long long v;
	double d;
	while ((opt = kx_getopt(&cli, &com, argc, argv)) != -1) {
		switch (opt) {
		case 'm':
			if ((i = lookup(methods, optarg)) < 0) {
				if (!strcmp(optarg, "mica") || !strcmp(optarg, "corda"))
					kx_usage_error("method '%s' is not implemented in this version", optarg);
				kx_usage_error("-m: unknown method '%s' (lora-ga, lora, gaussian, orthogonal, "
				               "pissa, olora)", optarg);
			}
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
			if ((o->blog = lookup(layouts, optarg)) < 0)
				kx_usage_error("-l: unknown layout '%s' (torch, blog)", optarg);
			break;
		case O_SCALING:
			if ((o->cfg.rslora = lookup(scalings, optarg)) < 0)
				kx_usage_error("--scaling: unknown scaling '%s' (standard, rslora)", optarg);
			break;
		case O_DIRECTION:
			if ((o->cfg.direction = lookup(directions, optarg)) < 0)
				kx_usage_error("--direction: unknown direction '%s' (ArB2r, A2rBr, ArBr)", optarg);
			break;
		case O_GA_SCALE:
			if ((o->cfg.ga_scale = lookup(ga_scales, optarg)) < 0)
				kx_usage_error("--ga-scale: unknown scale '%s' (stable, unit, gd)", optarg);
			break;
		case O_SVD:
			if ((o->cfg.svd = lookup(svds, optarg)) < 0)
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
			if (!strcmp(optarg, "sign"))
				later("--grad-transform sign");
			if (strcmp(optarg, "none"))
				kx_usage_error("--grad-transform: unknown transform '%s' (none, sign)", optarg);
			break;
		case O_CORDA_MODE: later("--corda-mode");
		case O_DORA: later("--dora");
		case O_CONVERT: later("--convert");
		case O_X: later("--x");
		case O_COV: later("--cov");
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
	if (com.stats)
		later("--stats");
	if (o->cfg.method == KX_LORA_ORTHOGONAL && o->cfg.rank % 2)
		kx_usage_error("-m orthogonal needs an even rank, got %zu", o->cfg.rank);
	size_t need_v = o->cfg.method == KX_LORA_GA ? 2 * o->cfg.rank
	              : o->cfg.method == KX_LORA_PISSA ? o->cfg.rank : 0;
	if (o->cfg.svd == KX_SVD_RANDOMIZED && need_v && o->cfg.oversample * o->cfg.rank < need_v)
		kx_usage_error("--svd randomized: q = oversample r = %zu is less than the %zu vectors %s needs",
		               o->cfg.oversample * o->cfg.rank, need_v, methods[o->cfg.method]);
	int file = w0path != NULL, nops = argc - optind;
	if (file && nops)
		kx_usage_error("file mode (--w0) takes no operands");
	if (!file && (ngrads || prefix))
		kx_usage_error("%s needs --w0 (file mode)", ngrads ? "--grad" : "--out-prefix");
	int dashes = file ? !strcmp(w0path, "-") : 0;
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
	if (file && is_raw(w0path, com.in_fmt) && !o->cols)
		kx_usage_error("a raw W0 file needs --cols (or -d)");

	/* fields and output formats (lora.md 8.7) */
	if (com.fields) {
		c.nfields = kx_fields_parse(com.fields, field_names, c.fields, NF);
		c.listed = 1;
		for (i = 0; i < c.nfields; i++)
			if (c.fields[i] == F_DORA_M)
				later("the field dora_m (--dora)");
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
		if (f != F_A && f != F_B && f != F_W0_ADJ && f != F_SIGMA)
			kx_usage_error("raw output (-O %s) carries one field, A, B, w0_adj or sigma: "
			               "choose it with -f", kx_fmt_name(fmt));
	}
	c.out_fmt = fmt;
	c.com = &com;
	c.key = com.key ? com.key : "w0";
	c.drop[0] = c.key, c.drop[1] = "grad", c.drop[2] = "grads", c.drop[3] = "x", c.drop[4] = "cov";

	int status;
	if (file) {
		status = file_mode(&c, &com, w0path, grads, ngrads, prefix, npy_f64);
	} else {
		kx_reader *rd = kx_reader_open(KX_FMT_JSON, 0, nops, argv + optind);
		kx_out out;
		kx_out_open(&out, &com, fmt);
		g_out = &out;
		kx_counts cnt;
		status = kx_filter(&com, rd, &out, process, &c, &cnt);
		kx_out_close(&out);
		kx_reader_close(rd);
	}
	for (i = 0; i < NM; i++)
		free(c.m[i]);
	kx_mat_free(&c.mat);
	kx_buf_free(&c.jA);
	kx_buf_free(&c.jB);
	kx_buf_free(&c.jW);
	kx_buf_free(&c.jC);
	free(grads);
	return status;
}
