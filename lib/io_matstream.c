/* io_matstream.c — matrix files read in pieces (see io_matstream.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "io_matstream.h"

int kx_npy_parse(const unsigned char *buf, size_t len, kx_array *a, size_t *data_off,
                 int *f32, char *err, size_t errsz);     /* npy.c */

static void errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int load_whole(kx_matstream *s, const char *path, int fmt, size_t dim, char *err,
                      size_t errsz)
{
	if (kx_load_array(path, fmt, dim, &s->whole, err, errsz) < 0)
		return -1;
	s->ndim = s->whole.ndim;
	memcpy(s->shape, s->whole.shape, sizeof s->shape);
	s->size = s->whole.size;
	return 0;
}

int kx_matstream_open(kx_matstream *s, const char *path, int fmt, size_t dim, char *err,
                      size_t errsz)
{
	*s = (kx_matstream){ 0 };
	if (!strcmp(path, "-"))
		return load_whole(s, path, fmt, dim, err, errsz);
	int rawname = ends_with(path, ".f32") || ends_with(path, ".f64");
	int named = ends_with(path, ".npy") || ends_with(path, ".json") || ends_with(path, ".jsonl") ||
	            ends_with(path, ".ndjson");
	FILE *f = fopen(path, "rb");
	if (!f) {
		errf(err, errsz, "%s", strerror(errno));
		return -1;
	}
	struct stat st;
	unsigned char head[12];
	size_t got = fread(head, 1, sizeof head, f);
	if (fstat(fileno(f), &st) < 0) {
		errf(err, errsz, "%s", strerror(errno));
		fclose(f);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	/* the order of kx_load_array: .npy name or magic, then raw by name or fmt, then JSON */
	int raw = rawname || (!named && (fmt == KX_FMT_F32 || fmt == KX_FMT_F64));
	if (!rawname && (ends_with(path, ".npy") || (got >= 6 && !memcmp(head, "\x93NUMPY", 6)))) {
		if (got < 10) {
			errf(err, errsz, "not an .npy file");
			fclose(f);
			return -1;
		}
		size_t hlen = head[6] == 1 ? (head[8] | (size_t)head[9] << 8)
		            : got < 12 ? 0 : (head[8] | (size_t)head[9] << 8 | (size_t)head[10] << 16 |
		                              (size_t)head[11] << 24);
		size_t hsize = (head[6] == 1 ? 10 : 12) + hlen;
		if (hlen > 1 << 20 || hsize > len)
			hsize = got;                 /* kx_npy_parse reports the truncation */
		unsigned char *h = kx_malloc(hsize);
		memcpy(h, head, got < hsize ? got : hsize);
		size_t rest = hsize > got ? hsize - got : 0;
		int bad = rest && fread(h + got, 1, rest, f) != rest;
		kx_array a = { 0 };
		size_t off = 0;
		int f32 = 0;
		if (bad || kx_npy_parse(h, hsize, &a, &off, &f32, err, errsz) < 0) {
			if (bad)
				errf(err, errsz, "truncated .npy header");
			free(h);
			fclose(f);
			return -1;
		}
		free(h);
		if (len - off < a.size * (f32 ? 4 : 8)) {
			errf(err, errsz, ".npy data is truncated (%zu of %zu bytes)", len - off,
			     a.size * (f32 ? 4 : 8));
			fclose(f);
			return -1;
		}
		if (fseek(f, (long)off, SEEK_SET) < 0) {
			errf(err, errsz, "%s", strerror(errno));
			fclose(f);
			return -1;
		}
		s->f = f;
		s->f32 = f32;
		s->ndim = a.ndim;
		memcpy(s->shape, a.shape, sizeof s->shape);
		s->size = a.size;
		return 0;
	}
	if (raw) {
		int f32 = ends_with(path, ".f32") || (!ends_with(path, ".f64") && fmt == KX_FMT_F32);
		size_t w = f32 ? 4 : 8;
		if (!dim || len % (w * dim)) {
			errf(err, errsz, "%zu bytes is not a whole number of rows of %zu %s values", len,
			     dim ? dim : 1, f32 ? "f32" : "f64");
			fclose(f);
			return -1;
		}
		rewind(f);
		s->f = f;
		s->f32 = f32;
		s->ndim = 2;
		s->shape[0] = len / w / dim;
		s->shape[1] = dim;
		s->size = len / w;
		return 0;
	}
	fclose(f);
	return load_whole(s, path, fmt, dim, err, errsz);
}

int kx_matstream_read(kx_matstream *s, double *v, size_t n, char *err, size_t errsz)
{
	if (n > s->size - s->pos) {
		errf(err, errsz, "only %zu values left, %zu wanted", s->size - s->pos, n);
		return -1;
	}
	if (!s->f) {
		memcpy(v, s->whole.v + s->pos, n * sizeof *v);
		s->pos += n;
		return 0;
	}
	size_t w = s->f32 ? 4 : 8;
	if (s->bufcap < n * w) {
		s->bufcap = n * w;
		s->buf = kx_realloc(s->buf, s->bufcap);
	}
	if (fread(s->buf, w, n, s->f) != n) {
		errf(err, errsz, ferror(s->f) ? "read error: %s" : "the file ended early", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (s->f32) {
			float x;
			memcpy(&x, s->buf + 4 * i, 4);
			v[i] = x;                    /* widened exactly */
		} else {
			memcpy(&v[i], s->buf + 8 * i, 8);
		}
	}
	s->pos += n;
	return 0;
}

void kx_matstream_close(kx_matstream *s)
{
	if (s->f)
		fclose(s->f);
	kx_array_free(&s->whole);
	free(s->buf);
	*s = (kx_matstream){ 0 };
}
