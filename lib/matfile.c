/* matfile.c — matrices given in files (conventions.md 1): .npy, JSON or
 * JSON Lines of rows, raw f32/f64 with a row width. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"

int kx_npy_parse(const unsigned char *buf, size_t len, kx_array *a, size_t *data_off,
                 int *f32, char *err, size_t errsz);

static void errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

void kx_array_free(kx_array *a)
{
	free(a->v);
	*a = (kx_array){ 0 };
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int load_npy(const char *buf, size_t len, kx_array *a, char *err, size_t errsz)
{
	size_t off;
	int f32;
	if (kx_npy_parse((const unsigned char *)buf, len, a, &off, &f32, err, errsz) < 0)
		return -1;
	size_t w = f32 ? 4 : 8;
	if (len - off < a->size * w) {
		errf(err, errsz, ".npy data is truncated (%zu of %zu bytes)", len - off, a->size * w);
		return -1;
	}
	a->v = kx_malloc(a->size * sizeof *a->v);
	for (size_t i = 0; i < a->size; i++) {
		if (f32) {
			float f;
			memcpy(&f, buf + off + 4 * i, 4);
			a->v[i] = f;
		} else {
			memcpy(&a->v[i], buf + off + 8 * i, 8);
		}
	}
	return 0;
}

static int load_json(const char *buf, size_t len, kx_array *a, char *err, size_t errsz)
{
	kx_mat m = { 0 };
	char perr[200];
	int rc = -1;
	if (kx_parse_numarray(buf, len, 1, &m, perr, sizeof perr) == 0) {
		if (!m.batch) {
			a->ndim = 1;
			a->shape[0] = m.n;
		} else {
			a->ndim = 2;
			a->shape[0] = m.rows;
			a->shape[1] = m.rows ? KX_ROWLEN(&m, 0) : 0;
		}
	} else {
		/* JSON Lines: one row array per line */
		kx_mat row = { 0 };
		kx_mat_clear(&m);
		m.batch = 1;
		const char *p = buf, *end = buf + len;
		long long line = 0;
		while (p < end) {
			const char *e = memchr(p, '\n', (size_t)(end - p));
			if (!e)
				e = end;
			line++;
			const char *q = p;
			while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < e) {
				if (kx_parse_numarray(q, (size_t)(e - q), 0, &row, perr, sizeof perr) < 0) {
					errf(err, errsz, "line %lld: %s", line, perr);
					kx_mat_free(&row);
					goto out;
				}
				kx_mat_push_row(&m, row.v, row.n);
			}
			p = e + 1;
		}
		kx_mat_free(&row);
		a->ndim = 2;
		a->shape[0] = m.rows;
		a->shape[1] = m.rows ? KX_ROWLEN(&m, 0) : 0;
	}
	if (a->ndim == 2)
		for (size_t r = 0; r < m.rows; r++)
			if (KX_ROWLEN(&m, r) != a->shape[1]) {
				errf(err, errsz, "ragged matrix: row %zu has %zu values, row 1 has %zu", r + 1,
				     KX_ROWLEN(&m, r), a->shape[1]);
				goto out;
			}
	a->size = m.n;
	a->v = m.v;
	m.v = NULL;
	rc = 0;
out:
	kx_mat_free(&m);
	return rc;
}

static int load_raw(const char *buf, size_t len, int f32, size_t dim, kx_array *a, char *err,
                    size_t errsz)
{
	size_t w = f32 ? 4 : 8;
	if (len % w || (dim && len % (w * dim))) {
		errf(err, errsz, "%zu bytes is not a whole number of rows of %zu %s values", len,
		     dim ? dim : 1, f32 ? "f32" : "f64");
		return -1;
	}
	a->size = len / w;
	if (dim) {
		a->ndim = 2;
		a->shape[0] = a->size / dim;
		a->shape[1] = dim;
	} else {
		a->ndim = 1;
		a->shape[0] = a->size;
	}
	a->v = kx_malloc(a->size * sizeof *a->v);
	for (size_t i = 0; i < a->size; i++) {
		if (f32) {
			float f;
			memcpy(&f, buf + 4 * i, 4);
			a->v[i] = f;
		} else {
			memcpy(&a->v[i], buf + 8 * i, 8);
		}
	}
	return 0;
}

int kx_load_array(const char *path, int fmt, size_t dim, kx_array *a, char *err, size_t errsz)
{
	*a = (kx_array){ 0 };
	size_t len;
	char *buf = kx_slurp(path, &len);
	if (!buf) {
		errf(err, errsz, "%s", strerror(errno));
		return -1;
	}
	int rc;
	const char *p = buf;
	while (p < buf + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (ends_with(path, ".npy") || (len >= 6 && !memcmp(buf, "\x93NUMPY", 6)))
		rc = load_npy(buf, len, a, err, errsz);
	else if (ends_with(path, ".f32") || (fmt == KX_FMT_F32 && !ends_with(path, ".f64")))
		rc = load_raw(buf, len, 1, dim, a, err, errsz);
	else if (ends_with(path, ".f64") || fmt == KX_FMT_F64)
		rc = load_raw(buf, len, 0, dim, a, err, errsz);
	else if (ends_with(path, ".json") || ends_with(path, ".jsonl") || ends_with(path, ".ndjson") ||
	         (p < buf + len && *p == '['))
		rc = load_json(buf, len, a, err, errsz);
	else {
		errf(err, errsz, "unknown matrix format (name it .npy, .json, .jsonl, .f32 or .f64, "
		                 "or give -i f32|f64 for raw data)");
		rc = -1;
	}
	free(buf);
	if (rc < 0)
		kx_array_free(a);
	return rc;
}
