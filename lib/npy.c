/* npy.c — NumPy .npy files: read v1-3 (<f4, <f8, C order), write v1.0. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kx.h"

static void errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* Parse the header dict: 'descr', 'fortran_order', 'shape'. */
int kx_npy_parse(const unsigned char *buf, size_t len, kx_array *a, size_t *data_off,
                 int *f32, char *err, size_t errsz);

int kx_npy_parse(const unsigned char *buf, size_t len, kx_array *a, size_t *data_off,
                 int *f32, char *err, size_t errsz)
{
	if (len < 10 || memcmp(buf, "\x93NUMPY", 6)) {
		errf(err, errsz, "not an .npy file");
		return -1;
	}
	int major = buf[6];
	size_t hlen, hstart;
	if (major == 1) {
		hlen = buf[8] | (size_t)buf[9] << 8;
		hstart = 10;
	} else if (major == 2 || major == 3) {
		if (len < 12) {
			errf(err, errsz, "truncated .npy header");
			return -1;
		}
		hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
		hstart = 12;
	} else {
		errf(err, errsz, ".npy version %d is not supported (1 to 3)", major);
		return -1;
	}
	if (hstart + hlen > len || hlen > 1 << 20) {
		errf(err, errsz, "truncated .npy header");
		return -1;
	}
	char *h = kx_malloc(hlen + 1);
	memcpy(h, buf + hstart, hlen);
	h[hlen] = 0;
	int rc = -1;
	char *d = strstr(h, "'descr'"), *fo = strstr(h, "'fortran_order'"), *sh = strstr(h, "'shape'");
	if (!d || !fo || !sh) {
		errf(err, errsz, "malformed .npy header");
		goto out;
	}
	d = strchr(d + 7, '\'');
	if (!d) {
		errf(err, errsz, "malformed .npy header");
		goto out;
	}
	if (!strncmp(d, "'<f8'", 5))
		*f32 = 0;
	else if (!strncmp(d, "'<f4'", 5))
		*f32 = 1;
	else {
		char *e = strchr(d + 1, '\'');
		errf(err, errsz, ".npy dtype %.*s is not supported (<f4 or <f8)", e ? (int)(e - d + 1) : 8, d);
		goto out;
	}
	char *v = fo + 15;
	while (*v == ' ' || *v == ':')
		v++;
	if (!strncmp(v, "True", 4)) {
		errf(err, errsz, ".npy file in Fortran order is not supported (C order only)");
		goto out;
	}
	char *p = strchr(sh, '(');
	if (!p) {
		errf(err, errsz, "malformed .npy shape");
		goto out;
	}
	p++;
	a->ndim = 0;
	a->size = 1;
	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			break;
		char *e;
		unsigned long long n = strtoull(p, &e, 10);
		if (e == p || a->ndim == 3) {
			errf(err, errsz, a->ndim == 3 ? ".npy arrays of more than 3 dimensions are not supported"
			                              : "malformed .npy shape");
			goto out;
		}
		a->shape[a->ndim++] = (size_t)n;
		a->size *= (size_t)n;
		p = e;
	}
	if (a->ndim == 0) {           /* a scalar: treat as one value */
		a->ndim = 1;
		a->shape[0] = 1;
	}
	*data_off = hstart + hlen;
	rc = 0;
out:
	free(h);
	return rc;
}

static int write_header(FILE *f, int ndim, const size_t *shape, int f32, long *shape_pos)
{
	char dict[256];
	int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
	                 f32 ? "<f4" : "<f8");
	if (shape_pos)
		*shape_pos = 10 + n;
	char sh[128] = "";
	if (ndim == 1)
		snprintf(sh, sizeof sh, "%zu,), }", shape[0]);
	else if (ndim == 2)
		snprintf(sh, sizeof sh, "%zu, %zu), }", shape[0], shape[1]);
	else
		snprintf(sh, sizeof sh, "%zu, %zu, %zu), }", shape[0], shape[1], shape[2]);
	/* room for the shape to grow (streaming writer patches it at close) */
	char full[512];
	int m = snprintf(full, sizeof full, "%s%s", dict, sh);
	size_t total = 10 + (size_t)m + 1;
	size_t pad = (64 - total % 64) % 64;
	if (shape_pos)
		pad += 64;                 /* the streaming writer's shape may grow by up to 64 chars */
	unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0 };
	size_t hlen = (size_t)m + pad + 1;
	pre[8] = (unsigned char)(hlen & 0xff);
	pre[9] = (unsigned char)(hlen >> 8);
	if (fwrite(pre, 1, 10, f) != 10 || fwrite(full, 1, (size_t)m, f) != (size_t)m)
		return -1;
	for (size_t i = 0; i < pad; i++)
		if (fputc(' ', f) == EOF)
			return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}

/* The values as little-endian f32 or f64, converted a piece at a time into
 * one buffer and written with one fwrite per piece (not one per value). */
static int write_values(FILE *f, const double *v, size_t n, int f32)
{
	unsigned char buf[65536];
	size_t w = f32 ? 4 : 8, per = sizeof buf / w;
	for (size_t off = 0; off < n; off += per) {
		size_t k = n - off < per ? n - off : per;
		if (f32) {
			for (size_t i = 0; i < k; i++) {
				float x = (float)v[off + i];
				memcpy(buf + 4 * i, &x, 4);
			}
		} else {
			memcpy(buf, v + off, 8 * k);
		}
		if (fwrite(buf, w, k, f) != k)
			return -1;
	}
	return 0;
}

/* Write the values (and the .npy header when ndim > 0) under a temporary
 * name in the same directory, then rename: a reader never sees half a file. */
static int save_atomic(const char *path, const double *v, size_t n, int ndim, const size_t *shape,
                       int f32, char *err, size_t errsz)
{
	size_t plen = strlen(path) + 32;
	char *tmp = kx_malloc(plen);
	snprintf(tmp, plen, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		errf(err, errsz, "%s: cannot create: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	int bad = (ndim > 0 && write_header(f, ndim, shape, f32, NULL)) || write_values(f, v, n, f32);
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path)) {
		errf(err, errsz, "%s: write error: %s", path, strerror(errno));
		remove(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int kx_npy_save(const char *path, const double *v, int ndim, const size_t *shape, int f32,
                char *err, size_t errsz)
{
	size_t n = 1;
	for (int i = 0; i < ndim; i++)
		n *= shape[i];
	return save_atomic(path, v, n, ndim, shape, f32, err, errsz);
}

int kx_raw_save(const char *path, const double *v, size_t n, int f32, char *err, size_t errsz)
{
	return save_atomic(path, v, n, 0, NULL, f32, err, errsz);
}

int kx_npy_writer_open(kx_npy_writer *w, const char *path, size_t cols, int f32,
                       char *err, size_t errsz)
{
	*w = (kx_npy_writer){ .cols = cols, .f32 = f32 };
	w->f = fopen(path, "wb");
	if (!w->f) {
		errf(err, errsz, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	size_t shape[2] = { 0, cols };
	if (write_header(w->f, 2, shape, f32, &w->shape_pos)) {
		errf(err, errsz, "%s: write error: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int kx_npy_writer_row(kx_npy_writer *w, const double *row)
{
	w->rows++;
	return write_values(w->f, row, w->cols, w->f32);
}

int kx_npy_writer_close(kx_npy_writer *w, char *err, size_t errsz)
{
	/* Rewrite the shape in place: the header was padded with 64 spaces. */
	char sh[160];
	int n = snprintf(sh, sizeof sh, "%zu, %zu), }", w->rows, w->cols);
	int bad = fflush(w->f) || fseek(w->f, w->shape_pos, SEEK_SET) ||
	          fwrite(sh, 1, (size_t)n, w->f) != (size_t)n;
	/* the old shape text was shorter or equal: blank what is left of it */
	char old[64];
	size_t o0 = (size_t)snprintf(old, sizeof old, "0, %zu), }", w->cols);
	for (size_t i = (size_t)n; !bad && i < o0; i++)
		bad = fputc(' ', w->f) == EOF;
	bad |= fclose(w->f) != 0;
	w->f = NULL;
	if (bad) {
		errf(err, errsz, "write error: %s", strerror(errno));
		return -1;
	}
	return 0;
}
