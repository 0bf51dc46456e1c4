/*
 * fsq-encode — finite scalar quantisation: bound, round, mixed-radix index;
 * decoding of indices; the implicit codebook; codebook usage statistics.
 * Post: Su Jianlin, "Embarrassingly simple FSQ" (kexue.fm 9826); paper:
 * Mentzer et al., arXiv 2309.15505.  Spec: quantize.md sections 1 and 4.1.
 * Leaves out: LFQ (later), projections (a matrix product belongs elsewhere).
 */
#include <stdlib.h>
#include <string.h>
#include "kx.h"
#include "fsq.h"
#include "usage.h"

static const char help[] =
"usage: fsq-encode (-l LIST | -b B) [-m BOUND] [-e EPS] [options] [FILE...]      encode\n"
"       fsq-encode (-l LIST | -b B) -D [options] [FILE...]                      decode\n"
"       fsq-encode (-l LIST | -b B) --codebook [-f LIST] [-O FMT] [-o FILE]      codebook\n"
"Finite scalar quantisation (quantize.md 1): each of the d = len(levels) values is\n"
"bounded, rounded to one of L_i levels, and the digits form a mixed-radix index\n"
"(dimension 0 least significant) into the implicit codebook of K = prod(L_i) codes.\n"
"  -l, --levels LIST   comma-separated levels, each >= 2, product <= 2^32\n"
"  -b, --bits B        the paper's preset for about 2^B codes: 4 6 8 9 10 11 12 14 16\n"
"  -m, --bound MODE    atanh (default), paper, symmetric, clamp\n"
"  -e, --eps E         the bound's eps, in (0, 0.1]; default 1e-3\n"
"  -D, --decode        records are indices (key \"index\"); output their codes\n"
"      --codebook      write the K codewords in index order; reads no input\n"
"      --stats         usage summary (JSON) on standard error at the end\n"
"      --stats-only    the summary alone, on standard output; no records\n"
"Fields (-f): index level code bounded.  Default: index,code (encode), code (decode,\n"
"--codebook).  -O u32 takes index or level.  Formats: json, text, f32, f64, u32 (out).\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q -h -V; see fsq-encode(1).\n";

enum { F_INDEX, F_LEVEL, F_CODE, F_BOUNDED, NF };
static const char *const field_names[] = { "index", "level", "code", "bounded", NULL };

enum { O_STATS_ONLY = 256, O_CODEBOOK };
static const struct option longopts[] = {
	{ "levels", required_argument, NULL, 'l' },
	{ "bits", required_argument, NULL, 'b' },
	{ "bound", required_argument, NULL, 'm' },
	{ "eps", required_argument, NULL, 'e' },
	{ "decode", no_argument, NULL, 'D' },
	{ "stats-only", no_argument, NULL, O_STATS_ONLY },
	{ "codebook", no_argument, NULL, O_CODEBOOK },
	{ 0 }
};

typedef struct {
	kx_fsq q;
	int decode;               /* -D */
	int stats_only;           /* --stats-only: count, write nothing */
	const char *key;          /* the object key holding the input */
	int fields[NF], nfields;  /* output fields in order */
	int want[NF];             /* 1 when the field is computed */
	kx_usage *usage;          /* NULL unless --stats or --stats-only */
	/* per-record buffers, grown to the largest record: rows x d (or rows) */
	long long *index, *level;
	double *code, *bounded;
	uint32_t *lv;             /* one row's digits */
	size_t cap_rows;
	kx_mat xo;                /* x of an object record */
} ctx_t;

static void grow(ctx_t *c, size_t rows)
{
	if (rows <= c->cap_rows)
		return;
	size_t d = c->q.d;
	c->cap_rows = rows;
	c->index = kx_realloc(c->index, rows * sizeof *c->index);
	c->level = kx_realloc(c->level, rows * d * sizeof *c->level);
	c->code = kx_realloc(c->code, rows * d * sizeof *c->code);
	c->bounded = kx_realloc(c->bounded, rows * d * sizeof *c->bounded);
}

static void count(ctx_t *c, size_t rows)
{
	if (!c->usage)
		return;
	for (size_t r = 0; r < rows; r++)
		if (kx_usage_add(c->usage, (uint64_t)c->index[r]) < 0)
			kx_die("out of memory counting codes");
}

/* The result fields of rows records (batch: one value or row per row). */
static void results(ctx_t *c, kx_result *res, size_t rows, int batch)
{
	size_t d = c->q.d;
	res->per_row = batch;
	for (int k = 0; k < c->nfields; k++) {
		int f = c->fields[k];
		const char *name = field_names[f];
		if (f == F_INDEX) {
			if (batch)
				kx_res_ivec(res, name, c->index, rows);
			else
				kx_res_int(res, name, c->index[0]);
		} else if (f == F_LEVEL) {
			if (batch)
				kx_res_imat(res, name, c->level, NULL, rows, d);
			else
				kx_res_ivec(res, name, c->level, d);
		} else {
			double *v = f == F_CODE ? c->code : c->bounded;
			if (batch)
				kx_res_matc(res, name, v, rows, d);
			else
				kx_res_vec(res, name, v, d);
		}
	}
}

/* One vector, or a batch, of latents: the row r of x goes to row r of the outputs. */
static int encode(ctx_t *c, const kx_mat *x, kx_result *res, char *err, size_t errsz)
{
	size_t d = c->q.d;
	if (x->rows == 0) {
		snprintf(err, errsz, "expected %zu value%s, got 0", d, d == 1 ? "" : "s");
		return KX_BAD;
	}
	for (size_t r = 0; r < x->rows; r++) {
		size_t len = KX_ROWLEN(x, r);
		if (len != d) {
			if (x->batch)
				snprintf(err, errsz, "expected %zu value%s in row %zu of the batch, got %zu", d,
				         d == 1 ? "" : "s", r + 1, len);
			else
				snprintf(err, errsz, "expected %zu value%s, got %zu", d, d == 1 ? "" : "s", len);
			return KX_BAD;
		}
		const double *z = KX_ROW(x, r);
		for (size_t i = 0; i < d; i++)
			if (z[i] != z[i]) {   /* NaN; +-inf are allowed */
				if (x->batch)
					snprintf(err, errsz, "value %zu of row %zu is NaN (a number or +-Infinity "
					         "is needed)", i + 1, r + 1);
				else
					snprintf(err, errsz, "value %zu is NaN (a number or +-Infinity is needed)",
					         i + 1);
				return KX_BAD;
			}
	}
	grow(c, x->rows);
	for (size_t r = 0; r < x->rows; r++) {
		uint64_t idx;
		kx_fsq_encode(&c->q, KX_ROW(x, r), c->lv, c->want[F_CODE] ? c->code + r * d : NULL,
		              c->want[F_BOUNDED] ? c->bounded + r * d : NULL, &idx);
		c->index[r] = (long long)idx;
		for (size_t i = 0; i < d; i++)
			c->level[r * d + i] = c->lv[i];
	}
	count(c, x->rows);
	if (c->stats_only)
		return KX_SKIP;
	results(c, res, x->rows, x->batch);
	return KX_OK;
}

/* A whole number (or +-inf); every double of magnitude >= 2^53 is whole. */
static int integral(double v)
{
	if (v != v)
		return 0;
	if (v > -9007199254740992.0 && v < 9007199254740992.0)
		return v == (double)(long long)v;
	return 1;
}

/* n index values v (already read as doubles): check, decode. */
static int decode(ctx_t *c, const double *v, size_t n, int batch, kx_result *res, char *err,
                  size_t errsz)
{
	size_t d = c->q.d;
	char num[KX_NUMLEN], kb[KX_NUMLEN];
	for (size_t r = 0; r < n; r++) {
		/* integral first (NaN fails), then the range (+-inf fails) */
		if (!integral(v[r])) {
			kx_fmt_double(num, v[r], 0);
			snprintf(err, errsz, "index %s is not an integer", num);
			return KX_BAD;
		}
		if (!(v[r] >= 0 && v[r] < (double)c->q.K)) {
			kx_fmt_double(num, v[r], 0);
			kx_fmt_double(kb, (double)c->q.K, 0);
			snprintf(err, errsz, "index %s is outside [0, %s)", num, kb);
			return KX_BAD;
		}
	}
	grow(c, n ? n : 1);
	for (size_t r = 0; r < n; r++) {
		uint64_t idx = (uint64_t)v[r];
		kx_fsq_decode(&c->q, idx, c->lv, c->code + r * d);
		c->index[r] = (long long)idx;
		for (size_t i = 0; i < d; i++)
			c->level[r * d + i] = c->lv[i];
	}
	count(c, n);
	if (c->stats_only)
		return KX_SKIP;
	results(c, res, n, batch);
	return KX_OK;
}

static int process(void *vc, kx_rec *in, kx_result *res, char *err, size_t errsz)
{
	ctx_t *c = vc;
	if (c->decode) {
		switch (in->kind) {
		case KX_REC_NUMBER:
			return decode(c, in->x.v, 1, 0, res, err, errsz);
		case KX_REC_ARRAY:
			if (in->fmt == KX_FMT_JSON)      /* a JSON array is a batch of indices */
				return decode(c, in->x.v, in->x.n, 1, res, err, errsz);
			if (in->x.n != 1) {
				snprintf(err, errsz, "expected one index, got %zu values", in->x.n);
				return KX_BAD;
			}
			return decode(c, in->x.v, 1, 0, res, err, errsz);
		case KX_REC_OBJECT: {
			const kx_span *sp = kx_rec_span(in, c->key);
			if (!sp) {
				snprintf(err, errsz, "no \"%s\" in the object", c->key);
				return KX_BAD;
			}
			if (sp->vallen && sp->val[0] == '[') {
				if (kx_rec_mat(in, c->key, 0, &c->xo, err, errsz) < 0)
					return KX_BAD;
				return decode(c, c->xo.v, c->xo.n, 1, res, err, errsz);
			}
			double v;
			if (kx_rec_num(in, c->key, &v, err, errsz) < 0)
				return KX_BAD;
			return decode(c, &v, 1, 0, res, err, errsz);
		}
		case KX_REC_BATCH:
			snprintf(err, errsz, "expected an index or an array of indices, got an array of arrays");
			return KX_BAD;
		default:
			snprintf(err, errsz, "expected an index, an array of indices or an object, got %s",
			         kx_json_kind(in->json));
			return KX_BAD;
		}
	}
	switch (in->kind) {
	case KX_REC_ARRAY:
	case KX_REC_BATCH:
		return encode(c, &in->x, res, err, errsz);
	case KX_REC_OBJECT: {
		int st = kx_rec_mat(in, c->key, 1, &c->xo, err, errsz);
		if (st == 1) {
			snprintf(err, errsz, "no \"%s\" in the object", c->key);
			return KX_BAD;
		}
		if (st < 0)
			return KX_BAD;
		return encode(c, &c->xo, res, err, errsz);
	}
	default:
		snprintf(err, errsz, "expected an array of %zu numbers or an object, got %s", c->q.d,
		         in->kind == KX_REC_NUMBER ? "a number" : kx_json_kind(in->json));
		return KX_BAD;
	}
}

/* ===== the summary ===================================================== */

static void put_stat(kx_buf *b, const char *name, double v, int digits)
{
	char num[KX_NUMLEN];
	kx_buf_printf(b, ",\"%s\":", name);
	if (v != v) {
		kx_buf_puts(b, "null");         /* N = 0: quantize.md 1.5 */
		return;
	}
	kx_fmt_double(num, v, digits);
	kx_buf_puts(b, num);
}

static void summary(kx_buf *b, const kx_usage *u, int digits)
{
	kx_usage_stats st;
	kx_usage_stats_get(u, &st);
	kx_buf_printf(b, "{\"count\":%llu,\"codebook_size\":%llu,\"used\":%llu",
	              (unsigned long long)st.count, (unsigned long long)u->K,
	              (unsigned long long)st.used);
	put_stat(b, "usage", st.usage, digits);
	put_stat(b, "entropy_bits", st.entropy_bits, digits);
	put_stat(b, "perplexity", st.perplexity, digits);
	kx_buf_puts(b, "}\n");
}

/* ===== --codebook ====================================================== */

static int is_npy(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	return n > 4 && !strcmp(path + n - 4, ".npy");
}

static int write_codebook(ctx_t *c, const kx_common *com, int out_fmt)
{
	size_t d = c->q.d;
	grow(c, 1);
	if (is_npy(com->output)) {
		/* one field as a (K, cols) matrix: code or level (K, d), index (K, 1) */
		int f = c->fields[0];
		size_t cols = f == F_INDEX ? 1 : d;
		double *row = kx_malloc(d * sizeof *row);
		kx_npy_writer w;
		char err[512];
		if (kx_npy_writer_open(&w, com->output, cols, out_fmt == KX_FMT_F32, err, sizeof err) < 0)
			kx_die("%s", err);
		for (uint64_t k = 0; k < c->q.K; k++) {
			kx_fsq_decode(&c->q, k, c->lv, f == F_CODE ? row : c->code);
			if (f == F_INDEX)
				row[0] = (double)k;
			else if (f == F_LEVEL)
				for (size_t i = 0; i < d; i++)
					row[i] = c->lv[i];
			if (kx_npy_writer_row(&w, row))
				kx_die("%s: write error:", com->output);
		}
		free(row);
		if (kx_npy_writer_close(&w, err, sizeof err) < 0)
			kx_die("%s: %s", com->output, err);
		return 0;
	}
	kx_out out;
	kx_out_open(&out, com, out_fmt);
	kx_result res;
	for (uint64_t k = 0; k < c->q.K; k++) {
		kx_fsq_decode(&c->q, k, c->lv, c->code);
		c->index[0] = (long long)k;
		for (size_t i = 0; i < d; i++)
			c->level[i] = c->lv[i];
		memset(&res, 0, sizeof res);
		results(c, &res, 1, 0);
		kx_write(&out, NULL, &res);
	}
	kx_out_close(&out);
	return 0;
}

/* ===== raw fast path =================================================== */

/* Raw latents in, raw values out: blocks of records are read with one fread
 * and written with one write instead of a record at a time through kx_filter
 * (whose per-record cost is ~50 times the quantisation's).  The messages, -K,
 * the partial-record rule, record numbers and the bytes written are those of
 * the filter; -u (or a terminal) takes the filter instead. */
#define RAW_BLOCK 4096
#define RAW_FAST_BYTES (1 << 20)   /* the fast path's reads: above stdio's buffer, so fread
                                    * reads straight into ours */

/* The message of a vector with a NaN (the first NaN value in it). */
static void nan_error(const char *src, long long recno, const double *z, size_t d)
{
	size_t at = 0;
	while (at < d && z[at] == z[at])
		at++;
	kx_error("%s: record %lld: value %zu is NaN (a number or +-Infinity is needed)", src,
	         recno, at + 1);
}

/* The outputs of m encoded vectors (digits lv (m d), indices idx (m)) in
 * the output format, appended to b through the staging area st. */
static void put_block(ctx_t *c, kx_buf *b, int out_fmt, int field, const uint32_t *lv,
                      const uint32_t *idx, size_t m, const double *codes, const size_t *code_off,
                      unsigned char *st)
{
	size_t d = c->q.d, nv = field == F_INDEX ? m : m * d;
	const uint32_t *v = field == F_INDEX ? idx : lv;
	if (field != F_CODE && out_fmt == KX_FMT_U32) {
		kx_buf_put(b, (const char *)v, nv * 4);
		return;
	}
	if (out_fmt == KX_FMT_F64) {
		double *o = (double *)st;
		for (size_t k = 0; k < nv; k++)
			o[k] = field == F_CODE ? codes[code_off[k % d] + v[k]] : (double)v[k];
		kx_buf_put(b, (const char *)o, nv * 8);
	} else {
		float *o = (float *)st;        /* f32 (u32 takes no code) */
		for (size_t k = 0; k < nv; k++)
			o[k] = field == F_CODE ? (float)codes[code_off[k % d] + v[k]] : (float)v[k];
		kx_buf_put(b, (const char *)o, nv * 4);
	}
}

static int raw_encode(ctx_t *c, const kx_common *com, kx_out *out, int in_fmt, int out_fmt,
                      int nfiles, char **files)
{
	size_t d = c->q.d, w = in_fmt == KX_FMT_F32 ? 4 : 8, rec = w * d;
	int status = 0, field = c->fields[0];
	/* float32 latents and an integer or code field: whole blocks through
	 * kx_fsq_encode_f32 (the same digits as kx_fsq_encode) */
	kx_fsq_f32 fq;
	int fast = in_fmt == KX_FMT_F32 && field != F_BOUNDED && kx_fsq_f32_init(&fq, &c->q) == 0;
	size_t block = fast ? (RAW_FAST_BYTES / rec > 0 ? RAW_FAST_BYTES / rec : 1) : RAW_BLOCK;
	kx_rawblk rb;
	kx_rawblk_open(&rb, nfiles, files, rec, block);
	char err[512];
	double *z = kx_malloc(d * sizeof *z);
	uint32_t *lv = NULL, *idx = NULL;
	unsigned char *st = NULL;
	double *codes = NULL;
	size_t *code_off = NULL;
	if (fast) {
		lv = kx_malloc(block * d * sizeof *lv);
		idx = kx_malloc(block * sizeof *idx);
		st = kx_malloc(block * d * 8);
		code_off = kx_malloc(d * sizeof *code_off);
		if (field == F_CODE && !(codes = kx_fsq_code_table(&c->q, code_off)))
			kx_die("out of memory for the code table");
	}
	grow(c, 1);
	long got;
	while ((got = kx_rawblk_next(&rb, err, sizeof err)) != 0) {
		if (got < 0) {                          /* a trailing partial record */
			kx_error("%s", err);
			status = 1;
			if (!com->keep_going)
				break;
			continue;
		}
		const unsigned char *in = rb.buf;
		const char *src = rb.src;
		long long recno = rb.recno;
		size_t nrec = (size_t)got;
		if (fast) {
			/* runs of vectors up to the next NaN, each encoded whole */
			for (size_t k = 0; k < nrec;) {
				const float *zf = (const float *)in + k * d;
				size_t m = kx_fsq_encode_f32(&fq, zf, nrec - k, field == F_INDEX ? NULL : lv, idx);
				if (c->usage)
					for (size_t r = 0; r < m; r++)
						if (kx_usage_add(c->usage, idx[r]) < 0)
							kx_die("out of memory counting codes");
				if (!c->stats_only)
					put_block(c, &out->buf, out_fmt, field, lv, idx, m, codes, code_off, st);
				recno += (long long)m;
				k += m;
				if (k == nrec)
					break;
				kx_out_flush(out);           /* every earlier record first */
				for (size_t i = 0; i < d; i++)
					z[i] = zf[m * d + i];
				nan_error(src, ++recno, z, d);
				status = 1;
				if (!com->keep_going)
					goto done;
				k++;
			}
		}
		for (size_t k = 0; !fast && k < nrec; k++) {
			const unsigned char *p = in + k * rec;
			int nan = 0;
			recno++;
			for (size_t i = 0; i < d; i++) {
				if (w == 4) {
					float v;
					memcpy(&v, p + 4 * i, 4);
					z[i] = v;              /* widened exactly */
				} else {
					memcpy(&z[i], p + 8 * i, 8);
				}
				nan |= z[i] != z[i];
			}
			if (nan) {
				kx_out_flush(out);         /* every earlier record first */
				nan_error(src, recno, z, d);
				status = 1;
				if (!com->keep_going)
					goto done;
				continue;
			}
			uint64_t ix;
			kx_fsq_encode(&c->q, z, c->lv, field == F_CODE ? c->code : NULL,
			              field == F_BOUNDED ? c->bounded : NULL, &ix);
			if (c->usage && kx_usage_add(c->usage, ix) < 0)
				kx_die("out of memory counting codes");
			if (c->stats_only)
				continue;
			if (field == F_INDEX)
				kx_buf_put_raw(&out->buf, out_fmt, (double)ix);
			else
				for (size_t i = 0; i < d; i++)
					kx_buf_put_raw(&out->buf, out_fmt, field == F_LEVEL ? (double)c->lv[i]
					        : field == F_CODE ? c->code[i] : c->bounded[i]);
		}
		kx_out_flush(out);
	}
done:
	kx_out_flush(out);
	kx_rawblk_close(&rb);
	if (fast)
		kx_fsq_f32_free(&fq);
	free(z);
	free(lv), free(idx), free(st), free(codes), free(code_off);
	return status;
}

/* ===== options ========================================================= */

/* -l LIST: comma-separated whole numbers >= 2 (at most 2^32 each). */
static long long *parse_levels(const char *s, size_t *d)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	if (!*s)
		kx_usage_error("-l: the list of levels is empty");
	long long *lv = kx_malloc(n * sizeof *lv);
	char *tmp = kx_strdup(s), *p = tmp;
	size_t k = 0;
	for (;;) {
		char *e = strchr(p, ',');
		if (e)
			*e = 0;
		if (kx_parse_long(p, 2, (long long)KX_FSQ_MAXK, &lv[k]) < 0)
			kx_usage_error("-l: expected comma-separated whole numbers >= 2, got '%s' in '%s'", p, s);
		k++;
		if (!e)
			break;
		p = e + 1;
	}
	free(tmp);
	*d = k;
	return lv;
}

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "fsq-encode", help, "l:b:m:e:D", longopts, 0 };
	ctx_t c = { 0 };
	const char *levels_arg = NULL;
	long long bits = 0;
	int bound = KX_FSQ_ATANH, codebook = 0;
	double eps = 1e-3;
	int o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		switch (o) {
		case 'l': levels_arg = optarg; break;
		case 'b': {
			size_t dd;
			if (kx_parse_long(optarg, 1, 64, &bits) < 0 || !kx_fsq_preset((int)bits, &dd))
				kx_usage_error("-b: expected one of the paper's presets 4, 6, 8, 9, 10, 11, 12, "
				               "14, 16, got '%s'", optarg);
			break;
		}
		case 'm':
			if (!strcmp(optarg, "atanh"))
				bound = KX_FSQ_ATANH;
			else if (!strcmp(optarg, "paper"))
				bound = KX_FSQ_PAPER;
			else if (!strcmp(optarg, "symmetric"))
				bound = KX_FSQ_SYMMETRIC;
			else if (!strcmp(optarg, "clamp"))
				bound = KX_FSQ_CLAMP;
			else
				kx_usage_error("-m: unknown bound '%s' (atanh, paper, symmetric, clamp)", optarg);
			break;
		case 'e':
			if (kx_parse_double(optarg, &eps) < 0 || !(eps > 0 && eps <= 0.1))
				kx_usage_error("-e: expected a number in (0, 0.1], got '%s'", optarg);
			break;
		case 'D': c.decode = 1; break;
		case O_STATS_ONLY: c.stats_only = 1; break;
		case O_CODEBOOK: codebook = 1; break;
		}
	}

	/* levels */
	if (!levels_arg && !bits)
		kx_usage_error("give the levels with -l LIST or a preset with -b B");
	if (levels_arg && bits)
		kx_usage_error("-l and -b exclude each other");
	size_t d;
	long long *levels;
	if (levels_arg) {
		levels = parse_levels(levels_arg, &d);
	} else {
		const long long *p = kx_fsq_preset((int)bits, &d);
		levels = kx_malloc(d * sizeof *levels);
		memcpy(levels, p, d * sizeof *levels);
	}
	switch (kx_fsq_check(levels, d, bound, eps, NULL)) {
	case KX_FSQ_OK: break;
	case KX_FSQ_EL2ATANH:
		kx_usage_error("a level of 2 does not work with --bound atanh (the shift "
		               "atanh(1/(1+eps)) = 3.8 leaves code -1 only for z < -3.8); use --bound "
		               "symmetric (codes -1, 1) or --bound paper (codes -1, 0)");
	case KX_FSQ_ETOOBIG:
		kx_usage_error("-l: the codebook size prod(L) is above 2^32 = 4294967296 (indices are "
		               "32-bit)");
	default:
		kx_usage_error("-l: bad levels '%s'", levels_arg ? levels_arg : "");
	}
	if (kx_fsq_init(&c.q, levels, d, bound, eps) != KX_FSQ_OK)
		kx_die("out of memory");
	free(levels);
	c.lv = kx_malloc(d * sizeof *c.lv);

	/* modes */
	int summary_wanted = com.stats || c.stats_only;
	if (codebook) {
		if (c.decode)
			kx_usage_error("--codebook and -D exclude each other");
		if (summary_wanted)
			kx_usage_error("--codebook writes no summary (--stats, --stats-only)");
		if (optind < argc)
			kx_usage_error("--codebook reads no input, but files were named");
	}
	if (com.dim && c.decode && com.dim != 1)
		kx_usage_error("-d: decoding reads one index a record, not %lld values", com.dim);
	if (com.dim && !c.decode && (size_t)com.dim != d)
		kx_usage_error("-d: the levels give %zu values a vector, not %lld", d, com.dim);

	/* fields */
	int in_raw = com.in_fmt == KX_FMT_F32 || com.in_fmt == KX_FMT_F64;
	int out_fmt = com.out_fmt ? com.out_fmt : codebook ? KX_FMT_JSON : in_raw ? com.in_fmt
	            : KX_FMT_NONE;   /* NONE: json or text, the input's, known after a peek */
	int out_raw = out_fmt == KX_FMT_F32 || out_fmt == KX_FMT_F64 || out_fmt == KX_FMT_U32;
	if (com.fields) {
		c.nfields = kx_fields_parse(com.fields, field_names, c.fields, NF);
	} else if (out_raw && !c.stats_only) {
		c.fields[c.nfields++] = out_fmt == KX_FMT_U32 ? F_INDEX : F_CODE;
	} else {
		if (!c.decode && !codebook)
			c.fields[c.nfields++] = F_INDEX;
		c.fields[c.nfields++] = F_CODE;
	}
	for (int k = 0; k < c.nfields; k++) {
		c.want[c.fields[k]] = 1;
		if (c.fields[k] == F_BOUNDED && (c.decode || codebook))
			kx_usage_error("the field 'bounded' needs latents: not with %s",
			               c.decode ? "-D" : "--codebook");
	}
	if (is_npy(com.output) && codebook && c.nfields != 1)
		kx_usage_error("a .npy codebook holds one field: choose it with -f");
	if (out_raw && !c.stats_only && !(codebook && is_npy(com.output))) {
		if (c.nfields != 1)
			kx_usage_error("raw output (-O %s) carries one field: choose it with -f",
			               kx_fmt_name(out_fmt));
		if (out_fmt == KX_FMT_U32 && (c.fields[0] == F_CODE || c.fields[0] == F_BOUNDED))
			kx_usage_error("-O u32 takes an integer field, index or level, not '%s'",
			               field_names[c.fields[0]]);
	}
	c.key = com.key ? com.key : c.decode ? "index" : "x";

	if (codebook) {
		write_codebook(&c, &com, out_fmt);
		kx_fsq_free(&c.q);
		free(c.lv);
		free(c.index), free(c.level), free(c.code), free(c.bounded);
		return 0;
	}

	kx_usage usage;
	if (summary_wanted) {
		if (kx_usage_init(&usage, c.q.K) < 0)
			kx_die("out of memory for the usage counts of %llu codes", (unsigned long long)c.q.K);
		c.usage = &usage;
	}
	kx_reader *rd = kx_reader_open(com.in_fmt, in_raw ? (c.decode ? 1 : d) : 0, argc - optind,
	                               argv + optind);
	int in_fmt = kx_reader_format(rd);
	if (!out_fmt)
		out_fmt = in_fmt;
	kx_out out;
	kx_out_open(&out, &com, c.stats_only ? KX_FMT_JSON : out_fmt);
	kx_counts cnt;
	int status;
	if (!c.decode && in_raw && (c.stats_only || out_raw) && !out.unbuffered)
		status = raw_encode(&c, &com, &out, in_fmt, out_fmt, argc - optind, argv + optind);
	else
		status = kx_filter(&com, rd, &out, process, &c, &cnt);
	if (c.stats_only) {
		summary(&out.buf, &usage, com.digits);
		kx_out_flush(&out);
	}
	kx_out_close(&out);
	kx_reader_close(rd);
	if (com.stats && !c.stats_only) {
		kx_buf b = { 0 };
		summary(&b, &usage, com.digits);
		fputs(b.s, stderr);
		kx_buf_free(&b);
	}
	if (c.usage)
		kx_usage_free(&usage);
	kx_fsq_free(&c.q);
	free(c.lv);
	free(c.index), free(c.level), free(c.code), free(c.bounded);
	kx_mat_free(&c.xo);
	return status;
}
