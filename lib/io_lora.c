/* io_lora.c — record and file I/O helpers for lora-init (see io_lora.h). */
#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cJSON.h>
#include "io_lora.h"
#include "io_matstream.h"

static size_t to_f32(double *v, size_t n);

static void errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* ===== typed overrides ================================================ */

const char *const kx_lora_methods[] = { "lora-ga", "lora", "gaussian", "orthogonal", "pissa",
                                       "olora", "mica", "corda", NULL };
const char *const kx_lora_corda_modes[] = { "ipm", "kpm", NULL };
const char *const kx_lora_transforms[] = { "none", "sign", NULL };
const char *const kx_lora_directions[] = { "ArB2r", "A2rBr", "ArBr", NULL };
const char *const kx_lora_ga_scales[] = { "stable", "unit", "gd", NULL };
const char *const kx_lora_scalings[] = { "standard", "rslora", NULL };
const char *const kx_lora_layouts[] = { "torch", "blog", NULL };
const char *const kx_lora_svds[] = { "auto", "full", "randomized", NULL };   /* KX_SVD_* order */

int kx_rec_word(const kx_rec *in, const char *key, const char *const *names, int *out, char *err,
                size_t errsz)
{
	cJSON *j = kx_rec_get(in, key);
	if (!j)
		return 0;
	const char *s = cJSON_GetStringValue(j);
	if (!s) {
		errf(err, errsz, "\"%s\" holds %s, expected a string", key, kx_json_kind(j));
		return -1;
	}
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	errf(err, errsz, "unknown %s '%.60s'", key, s);
	return -2;
}

int kx_rec_posnum(const kx_rec *in, const char *key, double *out, char *err, size_t errsz)
{
	double v;
	int st = kx_rec_num(in, key, &v, err, errsz);
	if (st < 0)
		return -1;
	if (st == 0) {
		if (!(v > 0 && v <= DBL_MAX)) {
			errf(err, errsz, "\"%s\" must be a finite number > 0", key);
			return -1;
		}
		*out = v;
	}
	return 0;
}

int kx_rec_count(const kx_rec *in, const char *key, long long lo, long long *out, char *err,
                 size_t errsz)
{
	long long v;
	int st = kx_rec_int(in, key, &v, err, errsz);
	if (st < 0)
		return -1;
	if (st == 0) {
		if (v < lo) {
			errf(err, errsz, "\"%s\" is %lld, expected an integer >= %lld", key, v, lo);
			return -1;
		}
		*out = v;
	}
	return 0;
}

int kx_rec_u64(const kx_rec *in, const char *key, uint64_t *out, int *given, char *err,
               size_t errsz)
{
	const kx_span *sp = kx_rec_span(in, key);
	if (!sp)
		return 0;
	char t[64];
	const char *v = sp->val;
	size_t n = sp->vallen;
	if (n >= 2 && v[0] == '"') {         /* a string of digits */
		v++;
		n -= 2;
	}
	uint64_t u;
	double d;
	if (n == 0 || n >= sizeof t || (memcpy(t, v, n), t[n] = 0, kx_parse_u64(t, &u) < 0)) {
		/* an integral JSON number written otherwise (5.0, 1e3) is exact below 2^53 */
		if (v == sp->val && kx_parse_jsonnum(v, n, &d) == 0 && d >= 0 && d <= 9007199254740992.0 &&
		    d == (double)(uint64_t)d) {
			u = (uint64_t)d;
		} else {
			errf(err, errsz, "\"%s\" must be an integer from 0 to 2^64-1", key);
			return -1;
		}
	}
	*out = u;
	*given = 1;
	return 0;
}

int kx_lora_overrides(const kx_rec *in, kx_lora_opts *o, char *err, size_t errsz)
{
	long long v;
	int w;
	kx_lora_cfg *g = &o->cfg;
	if (kx_rec_span(in, "rank")) {
		v = 0;
		if (kx_rec_count(in, "rank", 1, &v, err, errsz) < 0)
			return -1;
		g->rank = (size_t)v;
	}
	w = g->method;
	int st = kx_rec_word(in, "method", kx_lora_methods, &w, err, errsz);
	if (st < 0)
		return -1;
	g->method = w;
	if (kx_rec_posnum(in, "alpha", &g->alpha, err, errsz) < 0 ||
	    kx_rec_posnum(in, "gamma", &g->gamma, err, errsz) < 0 ||
	    kx_rec_posnum(in, "lr", &o->lr, err, errsz) < 0)
		return -1;
	w = g->rslora;
	if (kx_rec_word(in, "scaling", kx_lora_scalings, &w, err, errsz) < 0)
		return -1;
	g->rslora = w;
	if (kx_rec_word(in, "layout", kx_lora_layouts, &o->blog, err, errsz) < 0 ||
	    kx_rec_word(in, "direction", kx_lora_directions, &g->direction, err, errsz) < 0 ||
	    kx_rec_word(in, "ga_scale", kx_lora_ga_scales, &g->ga_scale, err, errsz) < 0 ||
	    kx_rec_word(in, "svd", kx_lora_svds, &g->svd, err, errsz) < 0)
		return -1;
	if (kx_rec_word(in, "grad_transform", kx_lora_transforms, &o->grad_sign, err, errsz) < 0)
		return -1;
	if (kx_rec_word(in, "corda_mode", kx_lora_corda_modes, &g->corda_kpm, err, errsz) < 0)
		return -1;
	v = (long long)g->niter;
	if (kx_rec_count(in, "niter", 0, &v, err, errsz) < 0)
		return -1;
	g->niter = (size_t)v;
	v = (long long)g->oversample;
	if (kx_rec_count(in, "oversample", 1, &v, err, errsz) < 0)
		return -1;
	g->oversample = (size_t)v;
	if (kx_rec_count(in, "rows", 1, &o->rows, err, errsz) < 0 ||
	    kx_rec_count(in, "cols", 1, &o->cols, err, errsz) < 0)
		return -1;
	struct cJSON *j = kx_rec_get(in, "lr_ratio");
	if (j) {
		const char *s = cJSON_GetStringValue(j);
		if (s && !strcmp(s, "blog")) {
			o->ratio_blog = 1;
		} else {
			o->ratio_blog = 0;
			if (s || kx_rec_posnum(in, "lr_ratio", &o->lr_ratio, err, errsz) < 0) {
				errf(err, errsz, "\"lr_ratio\" must be a number > 0 or \"blog\"");
				return -1;
			}
		}
	}
	return kx_rec_u64(in, "seed", &o->seed, &o->own_seed, err, errsz);
}

/* ===== matrices in records ============================================ */

size_t kx_json_split(const char *s, size_t len, const char **el, size_t *ellen, size_t max)
{
	const char *p = s + 1, *end = s + len;
	size_t n = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ','))
			p++;
		if (p >= end || *p == ']')
			break;
		const char *b = p;
		p = kx_json_skip(p, end);
		if (n < max) {
			el[n] = b;
			ellen[n] = (size_t)(p - b);
		}
		n++;
	}
	return n;
}

int kx_lora_read_matrix(kx_mat *m, const char *name, const char *s, size_t len, long long orows,
                        long long ocols, size_t *R, size_t *C, int *flat, char *err, size_t errsz)
{
	char perr[200];
	if (len == 0 || s[0] != '[') {
		errf(err, errsz, "%s must be an array of rows or a flat array of numbers", name);
		return -1;
	}
	if (kx_parse_numarray(s, len, 1, m, perr, sizeof perr) < 0) {
		errf(err, errsz, "%s: %s", name, perr);
		return -1;
	}
	size_t rows, cols;
	if (m->batch) {
		rows = m->rows;
		cols = rows ? KX_ROWLEN(m, 0) : 0;
		for (size_t r = 0; r < rows; r++)
			if (KX_ROWLEN(m, r) != cols) {
				errf(err, errsz, "%s has ragged rows: row %zu has %zu values, row 1 has %zu", name,
				     r + 1, KX_ROWLEN(m, r), cols);
				return -1;
			}
		if (*R == 0 && ((orows && (size_t)orows != rows) || (ocols && (size_t)ocols != cols))) {
			errf(err, errsz, "%s is %zu x %zu, but rows/cols say %lld x %lld", name, rows, cols,
			     orows ? orows : (long long)rows, ocols ? ocols : (long long)cols);
			return -1;
		}
	} else {
		size_t n = m->n;
		rows = orows ? (size_t)orows : *R;
		cols = ocols ? (size_t)ocols : *C;
		if (*R == 0 && !rows && !cols) {
			errf(err, errsz, "%s is a flat array: give \"rows\" and \"cols\" (or --rows, --cols)", name);
			return -1;
		}
		if (!rows && n % cols == 0)
			rows = n / cols;
		if (!cols && n % rows == 0)
			cols = n / rows;
		if (!rows || !cols || rows * cols != n) {
			errf(err, errsz, "%s has %zu values, not rows x cols", name, n);
			return -1;
		}
	}
	if (rows == 0 || cols == 0) {
		errf(err, errsz, "%s is empty", name);
		return -1;
	}
	if (*R == 0) {
		*R = rows;
		*C = cols;
		*flat = !m->batch;
	} else if (rows != *R || cols != *C || *flat != !m->batch) {
		errf(err, errsz, "%s is %zu x %zu%s, w0 is %zu x %zu%s", name, rows, cols,
		     m->batch ? "" : " (flat)", *R, *C, *flat ? " (flat)" : "");
		return -1;
	}
	/* every input matrix is float32 data (lora.md 7.4) */
	for (size_t i = 0; i < rows * cols; i++) {
		float f = (float)m->v[i];
		if (!(m->v[i] - m->v[i] == 0) || !(f - f == 0)) {
			errf(err, errsz, "%s[%zu][%zu] is not a finite float32 value", name, i / cols, i % cols);
			return -1;
		}
		m->v[i] = f;
	}
	return 0;
}

int kx_lora_read_grads(kx_mat *m, const char *s, size_t len, long long rows, long long cols,
                       size_t R, size_t C, int flat, double *acc, char *err, size_t errsz)
{
	if (len == 0 || s[0] != '[') {
		errf(err, errsz, "\"grads\" must be a list of gradients");
		return -1;
	}
	size_t K = kx_json_split(s, len, NULL, NULL, 0);
	if (K == 0) {
		errf(err, errsz, "\"grads\" is an empty list");
		return -1;
	}
	const char **el = kx_malloc(K * sizeof *el);
	size_t *ell = kx_malloc(K * sizeof *ell);
	kx_json_split(s, len, el, ell, K);
	memset(acc, 0, R * C * sizeof *acc);
	int rc = 0;
	char name[64];
	for (size_t i = 0; i < K && rc == 0; i++) {
		snprintf(name, sizeof name, "\"grads\"[%zu]", i);
		rc = kx_lora_read_matrix(m, name, el[i], ell[i], rows, cols, &R, &C, &flat, err, errsz);
		for (size_t j = 0; rc == 0 && j < R * C; j++)
			acc[j] += m->v[j];
	}
	for (size_t j = 0; rc == 0 && j < R * C; j++)
		acc[j] /= (double)K;
	free(el);
	free(ell);
	return rc;
}

int kx_lora_read_cov(kx_mat *mat, const kx_rec *in, size_t n, double *C, char *err, size_t errsz)
{
	const kx_span *sp = kx_rec_span(in, "cov");
	int is_cov = sp != NULL;
	if (!sp && !(sp = kx_rec_span(in, "x")))
		return 1;
	size_t R = 0, Cn = 0;
	int flat = 0;
	if (kx_lora_read_matrix(mat, is_cov ? "\"cov\"" : "\"x\"", sp->val, sp->vallen, 0, 0, &R, &Cn,
	                        &flat, err, errsz) < 0)
		return -1;
	return kx_lora_cov_from(is_cov, mat->v, R, Cn, n, C, err, errsz);
}

int kx_lora_cov_from(int is_cov, const double *v, size_t R, size_t Cn, size_t n, double *C, char *err,
                     size_t errsz)
{
	if (Cn != n || (is_cov && R != n)) {
		errf(err, errsz, is_cov ? "\"cov\" is %zu x %zu, expected d_in x d_in = %zu x %zu"
		                        : "\"x\" has %zu rows of %zu values, expected rows of d_in = %zu", R, Cn, n, n);
		return -1;
	}
	if (is_cov)
		memcpy(C, v, n * n * sizeof *C);
	else
		kx_lora_covariance(R, n, v, C);
	return 0;
}

int kx_lora_load_cov(const char *path, int is_cov, int fmt, size_t n, double *C, char *err,
                     size_t errsz)
{
	kx_array a;
	if (kx_load_array(path, fmt, kx_is_raw_name(path, fmt) ? n : 0, &a, err, errsz) < 0)
		return -1;
	size_t bad = to_f32(a.v, a.size);
	int rc = -1;
	if (bad < a.size)
		errf(err, errsz, "value %zu is not a finite float32 value", bad + 1);
	else
		rc = kx_lora_cov_from(is_cov, a.v, a.ndim == 1 ? 1 : a.shape[0],
		                      a.ndim == 1 ? a.size : a.ndim == 2 ? a.shape[1] : 0, n, C, err, errsz);
	kx_array_free(&a);
	return rc;
}

int kx_lora_read_convert(kx_mat *mat, const kx_rec *in, int blog, kx_array out[4], size_t *m,
                         size_t *n, size_t *r, char *err, size_t errsz)
{
	static const char *const keys[4] = { "A", "B", "A0", "B0" };
	size_t sh[4][2];
	memset(out, 0, 4 * sizeof *out);
	for (int i = 0; i < 4; i++) {
		const kx_span *sp = kx_rec_span(in, keys[i]);
		size_t R = 0, C = 0;
		int flat = 0;
		char name[8];
		snprintf(name, sizeof name, "\"%s\"", keys[i]);
		if (!sp) {
			errf(err, errsz, "--convert needs \"A0\", \"B0\", \"A\" and \"B\"; no %s", name);
			return -1;
		}
		if (kx_lora_read_matrix(mat, name, sp->val, sp->vallen, 0, 0, &R, &C, &flat, err, errsz) < 0)
			return -1;
		sh[i][0] = blog ? C : R, sh[i][1] = blog ? R : C;
		out[i] = (kx_array){ .v = kx_malloc(R * C * sizeof(double)), .ndim = 2,
		                     .shape = { sh[i][0], sh[i][1] }, .size = R * C };
		for (size_t a = 0; a < R; a++)          /* to the torch layout */
			for (size_t b = 0; b < C; b++)
				out[i].v[blog ? b * R + a : a * C + b] = mat->v[a * C + b];
	}
	*r = sh[0][0], *n = sh[0][1], *m = sh[1][0];
	if (sh[1][1] != *r || sh[2][0] != *r || sh[2][1] != *n || sh[3][0] != *m || sh[3][1] != *r) {
		errf(err, errsz, "--convert: A and A0 must be r x d_in, B and B0 d_out x r (torch layout), "
		     "with one r");
		return -1;
	}
	return 0;
}

/* ===== output ========================================================= */

/* One float32 value: the shortest decimal that reads back to the same float32. */
static void put_f32(kx_buf *b, double v, int digits, int strict, int text)
{
	char t[KX_NUMLEN];
	float f = (float)v;
	if (!(f - f == 0) && !text) {
		kx_buf_puts(b, strict ? "null" : f != f ? "\"NaN\"" : f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	kx_buf_put(b, t, kx_fmt_float(t, f, digits));
}

void kx_json_f32_matrix(kx_buf *b, const double *v, size_t rows, size_t cols, int digits,
                        int strict)
{
	b->len = 0;
	kx_buf_putc(b, '[');
	for (size_t i = 0; i < rows; i++) {
		kx_buf_puts(b, i ? ",[" : "[");
		for (size_t j = 0; j < cols; j++) {
			if (j)
				kx_buf_putc(b, ',');
			put_f32(b, v[i * cols + j], digits, strict, 0);
		}
		kx_buf_putc(b, ']');
	}
	kx_buf_putc(b, ']');
}

void kx_json_f32_vector(kx_buf *b, const double *v, size_t n, int digits, int strict, int text)
{
	b->len = 0;
	kx_buf_puts(b, text ? "" : "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			kx_buf_putc(b, text ? ' ' : ',');
		put_f32(b, v[i], digits, strict, text);
	}
	if (!text)
		kx_buf_putc(b, ']');
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

int kx_is_raw_name(const char *path, int fmt)
{
	if (ends_with(path, ".f32") || ends_with(path, ".f64"))
		return 1;
	if (ends_with(path, ".npy") || ends_with(path, ".json") || ends_with(path, ".jsonl") ||
	    ends_with(path, ".ndjson"))
		return 0;
	return fmt == KX_FMT_F32 || fmt == KX_FMT_F64;
}

int kx_save_matrix(const char *path, const double *v, size_t rows, size_t cols, int fmt,
                   int npy_f32, char *err, size_t errsz)
{
	/* raw little-endian when fmt is F32/F64, else a version 1.0 .npy (npy.c
	 * writes both under a temporary name and renames when complete) */
	if (fmt == KX_FMT_F32 || fmt == KX_FMT_F64)
		return kx_raw_save(path, v, rows * cols, fmt == KX_FMT_F32, err, errsz);
	size_t shape[2] = { rows, cols };
	return kx_npy_save(path, v, 2, shape, npy_f32, err, errsz);
}

/* ===== matrix files (lora.md 8.6) ===================================== */

/* Round to float32 in place; the index of the first value not finite as a float32, or n.
 * One branch-free pass (it vectorises), then a search only when a value was bad: the
 * rounded value of a bad one is not finite either (NaN stays NaN, the rest overflow). */
static size_t to_f32(double *v, size_t n)
{
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		float f = (float)v[i];
		ok &= (v[i] - v[i] == 0) & (f - f == 0);
		v[i] = f;
	}
	if (ok)
		return n;
	size_t i = 0;
	while (i < n && v[i] - v[i] == 0)
		i++;
	return i;
}

/* Values per piece when a file is streamed: 256 KiB of doubles, so a piece is
 * converted, checked and used while it is still in the cache. */
#define PIECE 32768

static int load_w0_whole(const char *path, int fmt, long long rows, long long cols, kx_array *a,
                         size_t *R, size_t *C, char *err, size_t errsz)
{
	if (kx_load_array(path, fmt, kx_is_raw_name(path, fmt) ? (size_t)cols : 0, a, err, errsz) < 0)
		return -1;
	if (a->ndim == 1) {
		*C = cols ? (size_t)cols : a->size;
		*R = *C && a->size % *C == 0 ? a->size / *C : 0;
	} else {
		*R = a->shape[0];
		*C = a->ndim == 2 ? a->shape[1] : 0;
	}
	if (a->ndim == 3 || !*R || !*C || (rows && (size_t)rows != *R) || (cols && (size_t)cols != *C)) {
		errf(err, errsz, "W0 must be a non-empty 2-D matrix%s (got %zu values)",
		     rows || cols ? " of the --rows/--cols shape" : "", a->size);
		kx_array_free(a);
		return -1;
	}
	size_t bad = to_f32(a->v, a->size);
	if (bad < a->size) {
		errf(err, errsz, "the value at row %zu, column %zu is not a finite float32 value",
		     bad / *C + 1, bad % *C + 1);
		kx_array_free(a);
		return -1;
	}
	return 0;
}

int kx_lora_load_w0(const char *path, int fmt, long long rows, long long cols, kx_array *a,
                    size_t *R, size_t *C, char *err, size_t errsz)
{
	/* .npy and raw files with a row width are streamed into W0's own array
	 * (no copy of the file, no second array); JSON, standard input and a raw
	 * file without --cols are loaded whole, as before */
	if (!strcmp(path, "-") || (kx_is_raw_name(path, fmt) && !cols))
		return load_w0_whole(path, fmt, rows, cols, a, R, C, err, errsz);
	kx_matstream ms;
	*a = (kx_array){ 0 };
	if (kx_matstream_open(&ms, path, fmt, (size_t)cols, err, errsz) < 0)
		return -1;
	if (ms.ndim == 1) {
		*C = cols ? (size_t)cols : ms.size;
		*R = *C && ms.size % *C == 0 ? ms.size / *C : 0;
	} else {
		*R = ms.shape[0];
		*C = ms.ndim == 2 ? ms.shape[1] : 0;
	}
	int rc = -1;
	if (ms.ndim == 3 || !*R || !*C || (rows && (size_t)rows != *R) || (cols && (size_t)cols != *C)) {
		errf(err, errsz, "W0 must be a non-empty 2-D matrix%s (got %zu values)",
		     rows || cols ? " of the --rows/--cols shape" : "", ms.size);
		goto out;
	}
	*a = (kx_array){ .v = kx_malloc(ms.size * sizeof(double)), .ndim = 2, .shape = { *R, *C },
	                 .size = ms.size };
	for (size_t off = 0; off < ms.size; off += PIECE) {
		size_t n = ms.size - off < PIECE ? ms.size - off : PIECE;
		if (kx_matstream_read(&ms, a->v + off, n, err, errsz) < 0)
			goto out;
		size_t bad = to_f32(a->v + off, n);
		if (bad < n) {
			errf(err, errsz, "the value at row %zu, column %zu is not a finite float32 value",
			     (off + bad) / *C + 1, (off + bad) % *C + 1);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		kx_array_free(a);
	kx_matstream_close(&ms);
	return rc;
}

int kx_lora_add_grad_file(const char *path, int fmt, size_t R, size_t C, double *acc, size_t *K,
                          char *err, size_t errsz)
{
	kx_matstream ms;
	if (kx_matstream_open(&ms, path, fmt, C, err, errsz) < 0)
		return -1;
	int rc = -1;
	int ok = ms.size > 0 && ms.size % (R * C) == 0 &&
	         (ms.ndim == 3 ? ms.shape[1] == R && ms.shape[2] == C
	                       : ms.ndim == 2 ? ms.shape[1] == C : R == 1);
	double *tmp = NULL;
	if (!ok) {
		errf(err, errsz, "expected gradients of W0's shape %zu x %zu (K x %zu rows, or K x %zu x %zu)",
		     R, C, R, R, C);
		goto out;
	}
	size_t RC = R * C;
	tmp = kx_malloc((RC < PIECE ? RC : PIECE) * sizeof *tmp);
	for (size_t k = 0, nk = ms.size / RC; k < nk; k++) {
		kx_progress("averaging %zu gradients", *K + 1);
		/* each gradient is read in pieces: rounded to float32, checked, and
		 * summed in double in file order; the first one of all sets acc
		 * (0.0 + x: the same bits as adding to zeros, -0 included) */
		for (size_t off = 0; off < RC; off += PIECE) {
			size_t n = RC - off < PIECE ? RC - off : PIECE;
			if (kx_matstream_read(&ms, tmp, n, err, errsz) < 0)
				goto out;
			size_t bad = to_f32(tmp, n);
			if (bad < n) {
				errf(err, errsz, "gradient %zu, row %zu, column %zu is not a finite float32 value",
				     k + 1, (off + bad) / C + 1, (off + bad) % C + 1);
				goto out;
			}
			double *d = acc + off;
			if (*K == 0)
				for (size_t i = 0; i < n; i++)
					d[i] = 0.0 + tmp[i];
			else
				for (size_t i = 0; i < n; i++)
					d[i] += tmp[i];
		}
		++*K;
	}
	rc = 0;
out:
	free(tmp);
	kx_matstream_close(&ms);
	return rc;
}

void kx_lora_check_json(kx_buf *b, const kx_out *o, const kx_lora_check *chk, int has_grad)
{
	b->len = 0;
	kx_buf_puts(b, "{\"recon_max_abs\":");
	kx_out_num(o, b, chk->recon_max_abs);
	if (has_grad) {
		kx_buf_puts(b, ",\"cos_step\":");
		kx_out_num(o, b, chk->cos_step);
		kx_buf_puts(b, ",\"cos_bound\":");
		kx_out_num(o, b, chk->cos_bound);
	}
	kx_buf_putc(b, '}');
}

int kx_lora_save_factors(const char *prefix, int fmt, int npy_f64, const double *const mats[3],
                         size_t shapes[3][2], char *err, size_t errsz)
{
	static const char *const suf[3] = { "A", "B", "w0" };
	size_t plen = strlen(prefix) + 16;
	char *path = kx_malloc(plen);
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		snprintf(path, plen, "%s.%s.%s", prefix, suf[i],
		         fmt == KX_FMT_F32 ? "f32" : fmt == KX_FMT_F64 ? "f64" : "npy");
		rc = kx_save_matrix(path, mats[i], shapes[i][0], shapes[i][1], fmt, !npy_f64, err, errsz);
	}
	free(path);
	return rc;
}
