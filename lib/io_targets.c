/* io_targets.c — "t", "v" and "g" of object records (io_targets.h). */
#include <math.h>
#include <stdio.h>
#include "io_targets.h"

int kx_rec_targets(const kx_rec *in, const kx_mat *x, const char *why, long *t,
                   char *err, size_t errsz)
{
	if (!kx_rec_span(in, "t")) {
		snprintf(err, errsz, "%s needs \"t\" (the target index)", why);
		return -1;
	}
	if (!x->batch) {
		long long tv;
		if (kx_rec_int(in, "t", &tv, err, errsz) != 0)
			return -1;
		if (tv < 0 || (size_t)tv >= x->n) {
			snprintf(err, errsz, "\"t\" is %lld, out of range for a row of %zu values", tv, x->n);
			return -1;
		}
		t[0] = (long)tv;
		return 0;
	}
	kx_mat tm = { 0 };
	char perr[200];
	int st = -1;
	if (kx_rec_mat(in, "t", 0, &tm, perr, sizeof perr) != 0 || tm.n != x->rows) {
		snprintf(err, errsz, "\"t\" must be a list of %zu targets, one per row", x->rows);
		goto done;
	}
	for (size_t r = 0; r < x->rows; r++) {
		double d = tm.v[r];
		if (!isfinite(d) || d != floor(d)) {
			snprintf(err, errsz, "\"t\"[%zu] is not an integer", r);
			goto done;
		}
		if (d < 0 || d >= (double)KX_ROWLEN(x, r)) {
			snprintf(err, errsz, "\"t\"[%zu] is %.0f, out of range for a row of %zu values", r, d,
			         KX_ROWLEN(x, r));
			goto done;
		}
		t[r] = (long)d;
	}
	st = 0;
done:
	kx_mat_free(&tm);
	return st;
}

int kx_rec_like(const kx_rec *in, const char *key, const char *why, const kx_mat *x,
                kx_mat *m, char *err, size_t errsz)
{
	int st = kx_rec_mat(in, key, 1, m, err, errsz);
	if (st == 1) {
		snprintf(err, errsz, "%s needs \"%s\"", why, key);
		return -1;
	}
	if (st < 0)
		return -1;
	if (m->batch != x->batch || m->rows != x->rows) {
		snprintf(err, errsz, "\"%s\" has %zu rows, x has %zu", key, m->rows, x->rows);
		return -1;
	}
	for (size_t r = 0; r < x->rows; r++)
		if (KX_ROWLEN(m, r) != KX_ROWLEN(x, r)) {
			snprintf(err, errsz, "\"%s\" has %zu values, x has %zu", key, KX_ROWLEN(m, r),
			         KX_ROWLEN(x, r));
			return -1;
		}
	return 0;
}

const kx_mat *kx_rec_rows(const kx_rec *in, const char *key, const char *need, const char *why,
                          size_t dim, kx_mat *xo, size_t *maxrow, char *err, size_t errsz)
{
	const kx_mat *x;
	switch (in->kind) {
	case KX_REC_ARRAY:
	case KX_REC_BATCH:
		if (need) {
			snprintf(err, errsz, "%s needs an object record with \"%s\"", why, need);
			return NULL;
		}
		x = &in->x;
		break;
	case KX_REC_OBJECT: {
		int st = kx_rec_mat(in, key, 1, xo, err, errsz);
		if (st == 1)
			snprintf(err, errsz, "no \"%s\" in the object", key);
		if (st != 0)
			return NULL;
		x = xo;
		break;
	}
	default:
		snprintf(err, errsz, "expected an array of numbers or an object, got %s",
		         in->kind == KX_REC_NUMBER ? "a number" : kx_json_kind(in->json));
		return NULL;
	}
	if (x->rows == 0) {          /* [[]] has one empty row; [] none: both are empty */
		snprintf(err, errsz, "empty vector");
		return NULL;
	}
	*maxrow = 0;
	for (size_t r = 0; r < x->rows; r++) {
		size_t len = KX_ROWLEN(x, r);
		if (len == 0) {
			if (x->batch)
				snprintf(err, errsz, "empty row %zu in the batch", r);
			else
				snprintf(err, errsz, "empty vector");
			return NULL;
		}
		if (dim && len != dim) {
			snprintf(err, errsz, "expected %zu values, got %zu", dim, len);
			return NULL;
		}
		if (len > *maxrow)
			*maxrow = len;
	}
	return x;
}
