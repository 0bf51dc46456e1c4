/* io_vq.c — summary objects and the k-means partial object (see io_vq.h). */
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "io_vq.h"

/* ===== summaries ====================================================== */

void kx_sum_open(kx_buf *b)
{
	b->len = 0;
	kx_buf_putc(b, '{');
}

void kx_sum_key(kx_buf *b, const char *k)
{
	if (b->len > 1)          /* the buffer starts with '{' */
		kx_buf_putc(b, ',');
	kx_buf_json_str(b, k);
	kx_buf_putc(b, ':');
}

void kx_sum_num(kx_buf *b, const char *k, double v)
{
	char t[KX_NUMLEN];
	kx_sum_key(b, k);
	if (v != v) {
		kx_buf_puts(b, "null");            /* undefined (e.g. a mean over nothing) */
	} else if (v - v != 0) {
		kx_buf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	} else {
		kx_fmt_double(t, v, 0);
		kx_buf_puts(b, t);
	}
}

void kx_sum_int(kx_buf *b, const char *k, long long v)
{
	kx_sum_key(b, k);
	kx_buf_printf(b, "%lld", v);
}

void kx_sum_usage(kx_buf *b, const kx_usage *u)
{
	kx_usage_stats st;
	kx_usage_stats_get(u, &st);
	kx_sum_int(b, "used", (long long)st.used);
	kx_sum_num(b, "usage", st.usage);
	kx_sum_num(b, "entropy_bits", st.entropy_bits);
	kx_sum_num(b, "perplexity", st.perplexity);
}

void kx_sum_vec(kx_buf *b, const char *k, const double *v, size_t n)
{
	char t[KX_NUMLEN];
	kx_sum_key(b, k);
	kx_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		kx_fmt_double(t, v[i], 0);
		kx_buf_printf(b, "%s%s", i ? "," : "", t);
	}
	kx_buf_putc(b, ']');
}

void kx_sum_close(kx_buf *b) { kx_buf_puts(b, "}\n"); }

/* ===== codebook files ================================================ */

int kx_load_codebook(const char *path, size_t dim, kx_array *a, size_t *K, size_t *D, char *err,
                     size_t errsz)
{
	if (kx_load_array(path, KX_FMT_NONE, dim, a, err, errsz) < 0)
		return -1;
	*K = a->shape[0];
	*D = a->ndim == 1 ? 1 : a->shape[1];
	if (a->ndim > 2)
		snprintf(err, errsz, "expected a K x D matrix, got %d dimensions", a->ndim);
	else if (!*K || !*D)
		snprintf(err, errsz, "the codebook is empty");
	else if (dim && dim != *D)
		snprintf(err, errsz, "--dim %zu disagrees with the codebook's width %zu", dim, *D);
	else
		err[0] = 0;
	for (size_t i = 0; !err[0] && i < a->size; i++)
		if (!(a->v[i] - a->v[i] == 0))
			snprintf(err, errsz, "row %zu: the codebook holds a non-finite value", i / *D);
	if (err[0])
		kx_array_free(a);
	return err[0] ? -1 : 0;
}

/* ===== assign results ================================================ */

void kx_vq_assign_result(const kx_out *o, kx_result *res, kx_buf *jb, const int *fields, int nf,
                         const long long *ix, const double *ds, const double *qu, size_t R,
                         size_t N, size_t D, int B)
{
	static const char *const names[] = { "index", "dist", "quantized" };
	int json = o->fmt == KX_FMT_JSON;
	res->per_row = B;
	for (int k = 0; k < nf; k++) {
		const char *name = names[fields[k]];
		switch (fields[k]) {
		case KX_VQ_F_INDEX:
			if (!B && N == 1) kx_res_int(res, name, ix[0]);
			else if (!B || N == 1) kx_res_ivec(res, name, ix, B ? R : N);
			else kx_res_imat(res, name, ix, NULL, R, N);
			break;
		case KX_VQ_F_DIST:
			if (!B && N == 1) kx_res_num(res, name, ds[0]);
			else if (!B || N == 1) kx_res_vec(res, name, ds, B ? R : N);
			else kx_res_matc(res, name, ds, R, N);
			break;
		default:
			/* text and raw output flatten a record's N x D codewords to one row */
			if (!B && (N == 1 || !json)) kx_res_vec(res, name, qu, N * D);
			else if (!B || N == 1 || !json) kx_res_matc(res, name, qu, B ? R : N, B ? N * D : D);
			else {
				jb->len = 0;
				kx_buf_putc(jb, '[');
				for (size_t i = 0; i < R; i++) {
					kx_buf_puts(jb, i ? ",[" : "[");
					for (size_t m = 0; m < N; m++) {
						if (m)
							kx_buf_putc(jb, ',');
						kx_out_vec(o, jb, qu + (i * N + m) * D, D);
					}
					kx_buf_putc(jb, ']');
				}
				kx_buf_putc(jb, ']');
				kx_res_json(res, name, jb->s);
			}
		}
	}
}

/* ===== vectors of a record ========================================== */

int kx_rec_vectors(const kx_rec *in, const char *key, kx_mat *tmp, size_t *D, const double **v,
                   size_t *rows, int *batch, char *err, size_t errsz)
{
	const kx_mat *x = &in->x;
	if (in->kind == KX_REC_OBJECT) {
		int st = kx_rec_mat(in, key, 1, tmp, err, errsz);
		if (st == 1)
			snprintf(err, errsz, "no \"%s\" in the object", key);
		if (st)
			return -1;
		x = tmp;
	} else if (in->kind != KX_REC_ARRAY && in->kind != KX_REC_BATCH && in->kind != KX_REC_NUMBER) {
		snprintf(err, errsz, "expected an array of numbers or an object, got %s", kx_json_kind(in->json));
		return -1;
	}
	if (x->rows == 0 || (x->rows == 1 && KX_ROWLEN(x, 0) == 0)) {
		snprintf(err, errsz, "empty vector");
		return -1;
	}
	if (!*D)
		*D = KX_ROWLEN(x, 0);
	for (size_t r = 0; r < x->rows; r++) {
		if (KX_ROWLEN(x, r) == *D)
			continue;
		if (x->batch)
			snprintf(err, errsz, "row %zu: expected %zu values, got %zu", r, *D, KX_ROWLEN(x, r));
		else
			snprintf(err, errsz, "expected %zu values, got %zu", *D, KX_ROWLEN(x, r));
		return -1;
	}
	for (size_t i = 0; i < x->n; i++)
		if (!(x->v[i] - x->v[i] == 0)) {
			snprintf(err, errsz, "expected finite numbers, got %s at position %zu",
			         x->v[i] != x->v[i] ? "NaN" : x->v[i] > 0 ? "Infinity" : "-Infinity", i % *D);
			return -1;
		}
	*v = x->v;
	*rows = x->rows;
	*batch = x->batch;
	return 0;
}

/* ===== matrix fields ================================================= */

int kx_rec_matrix(const kx_rec *in, const char *key, int required, kx_mat *m, size_t *cols,
                  char *err, size_t errsz)
{
	int st = kx_rec_mat(in, key, 1, m, err, errsz);
	if (st == 1 && required)
		snprintf(err, errsz, "missing \"%s\"", key);
	if (st == 1)
		return required ? -1 : 1;
	if (st < 0)
		return -1;
	if (!m->batch || m->rows == 0) {
		snprintf(err, errsz, "\"%s\" must be a non-empty array of rows", key);
		return -1;
	}
	if (!(*cols = kx_mat_cols(m))) {
		snprintf(err, errsz, "\"%s\" is ragged (its rows differ in length, or are empty)", key);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++)
		if (!(m->v[i] - m->v[i] == 0)) {
			snprintf(err, errsz, "\"%s\" holds a non-finite number (row %zu)", key, i / *cols);
			return -1;
		}
	return 0;
}

/* ===== writing a partial ============================================== */

/* The layers of cells exact sums as nl matrices of (cells/cols, cols), or
 * (cols = 0) a flat list of nl numbers for one cell. */
static void put_layers(const kx_out *o, kx_buf *b, const kx_xsum *s, size_t cells, size_t cols)
{
	double *L = kx_malloc(cells * KX_XSUM_MAXLAYERS * sizeof *L);
	int nl = 1;
	for (size_t i = 0; i < cells; i++) {
		double t[KX_XSUM_MAXLAYERS];
		int n = kx_xsum_layers(s, i, t, KX_XSUM_MAXLAYERS);
		if (n < 0)
			kx_die("out of memory");
		for (int l = 0; l < KX_XSUM_MAXLAYERS; l++)
			L[l * cells + i] = l < n ? t[l] : 0;     /* cells needing fewer layers hold 0 */
		if (n > nl)
			nl = n;
	}
	kx_buf_putc(b, '[');
	for (int l = 0; l < nl; l++) {
		if (l)
			kx_buf_putc(b, ',');
		if (!cols) {
			kx_out_num(o, b, L[l * cells]);
			continue;
		}
		kx_buf_putc(b, '[');
		for (size_t r = 0; r < cells / cols; r++) {
			if (r)
				kx_buf_putc(b, ',');
			kx_out_vec(o, b, L + l * cells + r * cols, cols);
		}
		kx_buf_putc(b, ']');
	}
	kx_buf_putc(b, ']');
	free(L);
}

void kx_partial_write(const kx_out *o, kx_buf *b, const kx_km_acc *acc, kx_km_far *far,
                      long long n)
{
	int any_empty = 0;
	for (size_t k = 0; k < acc->K; k++)
		any_empty |= acc->counts[k] == 0;
	kx_buf_printf(b, "{\"k\":%zu,\"dim\":%zu,\"n\":%lld,\"counts\":[", acc->K, acc->D, n);
	for (size_t k = 0; k < acc->K; k++)
		kx_buf_printf(b, "%s%lld", k ? "," : "", acc->counts[k]);
	kx_buf_puts(b, "],\"sums\":");
	put_layers(o, b, &acc->sums, acc->K * acc->D, acc->D);
	kx_buf_puts(b, ",\"inertia\":");
	put_layers(o, b, &acc->obj, 1, 0);
	kx_buf_puts(b, ",\"far\":[");
	/* no empty codeword here means none overall: nothing can be relocated */
	kx_km_far_sort(far);
	for (size_t i = 0; any_empty && i < far->n; i++) {
		const kx_km_cand *e = &far->e[i];
		kx_buf_puts(b, i ? ",{\"d2\":" : "{\"d2\":");
		kx_out_num(o, b, e->d2);
		kx_buf_printf(b, ",\"from\":%lld,\"x\":", e->from);
		kx_out_vec(o, b, e->x, acc->D);
		kx_buf_putc(b, '}');
	}
	kx_buf_puts(b, "]}\n");
}

/* ===== reading partials =============================================== */

/* A JSON array of exactly n numbers into out.  cJSON reads numbers with
 * strtod, so the shortest round-trip text comes back exactly. */
static int jvec(const cJSON *a, double *out, size_t n)
{
	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
		return -1;
	size_t i = 0;
	for (const cJSON *e = a->child; e; e = e->next) {
		if (!cJSON_IsNumber(e))
			return -1;
		out[i++] = e->valuedouble;
	}
	return 0;
}

static int whole(const cJSON *v, double lo, double hi)
{
	return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble < hi &&
	       v->valuedouble == (double)(long long)v->valuedouble;
}

static const cJSON *item(const cJSON *p, const char *k) { return cJSON_GetObjectItemCaseSensitive(p, k); }

int kx_partial_read(const cJSON *p, kx_km_acc *acc, kx_partial_cands *pc, long long *n,
                    char *err, size_t errsz)
{
	const size_t K = acc->K, D = acc->D;
	const cJSON *k = item(p, "k"), *d = item(p, "dim"), *cnt = item(p, "counts");
	const cJSON *sums = item(p, "sums"), *in = item(p, "inertia"), *far = item(p, "far");
	if (!cJSON_IsObject(p) || !cJSON_IsNumber(k) || !cJSON_IsNumber(d) || !cJSON_IsArray(cnt) ||
	    !cJSON_IsArray(sums) || !cJSON_IsArray(in) || !cJSON_IsArray(far)) {
		snprintf(err, errsz, "expected a partial object (k, dim, n, counts, sums, inertia, far) "
		         "from vq-encode --partial");
		return -1;
	}
	if (k->valuedouble != (double)K || d->valuedouble != (double)D) {
		snprintf(err, errsz, "the partial has k = %g and dim = %g, the codebook %zu and %zu",
		         k->valuedouble, d->valuedouble, K, D);
		return -1;
	}
	pc->D = D;
	double *row = kx_malloc((K > D ? K : D) * sizeof *row);
	const char *bad = jvec(cnt, row, K) ? "counts" : NULL;
	for (size_t j = 0; !bad && j < K; j++) {
		if (!(row[j] >= 0 && row[j] < 9e15 && row[j] == (double)(long long)row[j]))
			bad = "counts";
		acc->counts[j] += (long long)row[j];
		*n += (long long)row[j];
	}
	int rc = KX_XSUM_OK;
	for (const cJSON *L = sums->child; !bad && L; L = L->next) {
		if (!cJSON_IsArray(L) || (size_t)cJSON_GetArraySize(L) != K)
			bad = "sums";
		size_t r = 0;
		for (const cJSON *R = bad ? NULL : L->child; !bad && R; R = R->next, r++) {
			if (jvec(R, row, D))
				bad = "sums";
			for (size_t j = 0; !bad && j < D && rc == KX_XSUM_OK; j++)
				rc = kx_xsum_add(&acc->sums, r * D + j, row[j]);
		}
	}
	for (const cJSON *e = in->child; !bad && e && rc == KX_XSUM_OK; e = e->next) {
		if (!cJSON_IsNumber(e))
			bad = "inertia";
		else
			rc = kx_xsum_add(&acc->obj, 0, e->valuedouble);
	}
	for (const cJSON *e = far->child; !bad && e; e = e->next) {
		if (pc->n == pc->cap) {
			pc->cap = 2 * pc->cap + 16;
			pc->c = kx_realloc(pc->c, pc->cap * sizeof *pc->c);
			pc->xs = kx_realloc(pc->xs, pc->cap * D * sizeof *pc->xs);
		}
		const cJSON *d2 = item(e, "d2"), *fr = item(e, "from");
		if (!cJSON_IsNumber(d2) || !whole(fr, 0, (double)K) || jvec(item(e, "x"), pc->xs + pc->n * D, D))
			bad = "far";
		else
			pc->c[pc->n] = (kx_km_cand){ d2->valuedouble, (long long)fr->valuedouble,
			                             (long long)pc->n, NULL }, pc->n++;
	}
	free(row);
	if (bad)
		snprintf(err, errsz, "the partial's \"%s\" is malformed", bad);
	else if (rc == KX_XSUM_NOMEM)
		kx_die("out of memory");
	else if (rc != KX_XSUM_OK)
		snprintf(err, errsz, "an exact sum overflows the double range");
	return bad || rc != KX_XSUM_OK ? -1 : 0;
}

void kx_partial_cands_sort(kx_partial_cands *pc)
{
	for (size_t i = 0; i < pc->n; i++)
		pc->c[i].x = pc->xs + i * pc->D;
	kx_km_cand_sort(pc->c, pc->n);   /* row = read order: equal d2 keep it */
}

void kx_partial_cands_free(kx_partial_cands *pc)
{
	free(pc->c);
	free(pc->xs);
	*pc = (kx_partial_cands){ 0 };
}
