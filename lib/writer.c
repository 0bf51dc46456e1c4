/*
 * writer.c — output records.  A record is built whole in a buffer and
 * written at once, so no partial record ever reaches the output.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kx.h"
#include "vexp.h"      /* KX_CLONES */

/* ----- building results ----- */

static kx_field *add(kx_result *r, const char *name, int type)
{
	if (r->n >= KX_MAXFIELDS)
		kx_die("internal error: too many output fields");
	kx_field *f = &r->f[r->n++];
	*f = (kx_field){ .name = name, .type = type };
	return f;
}

kx_field *kx_res_num(kx_result *r, const char *name, double v) { kx_field *f = add(r, name, KX_F_NUM); f->num = v; return f; }
kx_field *kx_res_int(kx_result *r, const char *name, long long v) { kx_field *f = add(r, name, KX_F_INT); f->i = v; return f; }
kx_field *kx_res_str(kx_result *r, const char *name, const char *s) { kx_field *f = add(r, name, KX_F_STR); f->s = s; return f; }
kx_field *kx_res_bool(kx_result *r, const char *name, int v) { kx_field *f = add(r, name, KX_F_BOOL); f->i = !!v; return f; }
kx_field *kx_res_null(kx_result *r, const char *name) { return add(r, name, KX_F_NULL); }
kx_field *kx_res_json(kx_result *r, const char *name, const char *json) { kx_field *f = add(r, name, KX_F_JSON); f->s = json; return f; }

kx_field *kx_res_vec(kx_result *r, const char *name, const double *d, size_t n)
{
	kx_field *f = add(r, name, KX_F_VEC);
	f->d = d;
	f->n = n;
	return f;
}

kx_field *kx_res_ivec(kx_result *r, const char *name, const long long *v, size_t n)
{
	kx_field *f = add(r, name, KX_F_IVEC);
	f->iv = v;
	f->n = n;
	return f;
}

kx_field *kx_res_mat(kx_result *r, const char *name, const double *d, const size_t *off, size_t rows)
{
	kx_field *f = add(r, name, KX_F_MAT);
	f->d = d;
	f->off = off;
	f->rows = rows;
	f->n = rows ? off[rows] - off[0] : 0;
	return f;
}

kx_field *kx_res_matc(kx_result *r, const char *name, const double *d, size_t rows, size_t cols)
{
	kx_field *f = add(r, name, KX_F_MAT);
	f->d = d;
	f->rows = rows;
	f->cols = cols;
	f->n = rows * cols;
	return f;
}

kx_field *kx_res_imat(kx_result *r, const char *name, const long long *v, const size_t *off,
                      size_t rows, size_t cols)
{
	kx_field *f = add(r, name, KX_F_IMAT);
	f->iv = v;
	f->off = off;
	f->rows = rows;
	f->cols = cols;
	f->n = off ? (rows ? off[rows] - off[0] : 0) : rows * cols;
	return f;
}

kx_field *kx_res_entries(kx_result *r, const char *name, const double *d, const kx_mat *x)
{
	return x->batch ? kx_res_mat(r, name, d, x->off, x->rows) : kx_res_vec(r, name, d, x->n);
}

kx_field *kx_res_rows(kx_result *r, const char *name, const double *d, const kx_mat *x)
{
	return x->batch ? kx_res_vec(r, name, d, x->rows) : kx_res_num(r, name, d[0]);
}

kx_field *kx_res_irows(kx_result *r, const char *name, const long long *v, const kx_mat *x)
{
	return x->batch ? kx_res_ivec(r, name, v, x->rows) : kx_res_int(r, name, v[0]);
}

/* Row r of a MAT/IMAT field: [*b, *e). */
static void row_range(const kx_field *f, size_t r, size_t *b, size_t *e)
{
	if (f->off) {
		*b = f->off[r];
		*e = f->off[r + 1];
	} else {
		*b = r * f->cols;
		*e = (r + 1) * f->cols;
	}
}

/* The row starting at s of a field's values; an empty field may have no
 * array at all (NULL + 0 is undefined in C, found by AFL++ with UBSan). */
static const double *mat_row(const double *d, size_t s)
{
	return d ? d + s : d;
}

static const long long *imat_row(const long long *iv, size_t s)
{
	return iv ? iv + s : iv;
}

/* ----- output ----- */

void kx_out_open(kx_out *o, const kx_common *c, int fmt)
{
	*o = (kx_out){ .fmt = fmt, .digits = c->digits, .strict = c->strict_json,
	               .unbuffered = c->unbuffered };
	if (c->output && strcmp(c->output, "-")) {
		o->f = fopen(c->output, "wb");
		if (!o->f)
			kx_die("%s:", c->output);
		o->path = c->output;
	} else {
		o->f = stdout;
		o->path = "stdout";
		if (isatty(STDOUT_FILENO))
			o->unbuffered = 1;
	}
	/* 256 KiB writes: fewer system calls.  glibc takes the size only with the
	 * caller's buffer (with NULL it keeps st_blksize): stdout gets a static
	 * one, once (it is flushed at exit, after kx_out_close), a file its own,
	 * freed after its fclose. */
	if (!o->unbuffered) {
		if (o->f == stdout) {
			static char stdout_buf[1 << 18];
			static int stdout_set;
			if (!stdout_set)
				setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
			stdout_set = 1;
		} else {
			o->fbuf = kx_malloc(1 << 18);
			setvbuf(o->f, o->fbuf, _IOFBF, 1 << 18);
		}
	}
}

void kx_out_num(const kx_out *o, kx_buf *b, double v)
{
	char tmp[KX_NUMLEN];
	size_t n = kx_fmt_double(tmp, v, o->digits);
	if (o->fmt == KX_FMT_JSON && !(v - v == 0)) {     /* NaN or infinite */
		if (o->strict) {
			kx_buf_put(b, "null", 4);
			return;
		}
		kx_buf_putc(b, '"');
		kx_buf_put(b, tmp, n);
		kx_buf_putc(b, '"');
		return;
	}
	kx_buf_put(b, tmp, n);
}

void kx_out_vec(const kx_out *o, kx_buf *b, const double *v, size_t n)
{
	int json = o->fmt == KX_FMT_JSON;
	if (json)
		kx_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kx_buf_putc(b, json ? ',' : ' ');
		kx_out_num(o, b, v[i]);
	}
	if (json)
		kx_buf_putc(b, ']');
}

static void out_ivec(const kx_out *o, kx_buf *b, const long long *v, size_t n)
{
	int json = o->fmt == KX_FMT_JSON;
	if (json)
		kx_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kx_buf_putc(b, json ? ',' : ' ');
		kx_buf_printf(b, "%lld", v[i]);
	}
	if (json)
		kx_buf_putc(b, ']');
}

/* A field's whole value (JSON), or its value in one text cell. */
static void out_value(const kx_out *o, kx_buf *b, const kx_field *f)
{
	int json = o->fmt == KX_FMT_JSON;
	size_t s, e;
	switch (f->type) {
	case KX_F_NUM: kx_out_num(o, b, f->num); break;
	case KX_F_INT: kx_buf_printf(b, "%lld", f->i); break;
	case KX_F_BOOL: kx_buf_puts(b, f->i ? "true" : "false"); break;
	case KX_F_NULL: kx_buf_puts(b, json ? "null" : "NaN"); break;
	case KX_F_STR:
		if (json)
			kx_buf_json_str(b, f->s);
		else
			kx_buf_puts(b, f->s);
		break;
	case KX_F_JSON: kx_buf_puts(b, f->s); break;
	case KX_F_VEC: kx_out_vec(o, b, f->d, f->n); break;
	case KX_F_IVEC: out_ivec(o, b, f->iv, f->n); break;
	case KX_F_MAT:
	case KX_F_IMAT:
		if (json)
			kx_buf_putc(b, '[');
		for (size_t r = 0; r < f->rows; r++) {
			if (r)
				kx_buf_putc(b, json ? ',' : '\n');
			row_range(f, r, &s, &e);
			if (f->type == KX_F_MAT)
				kx_out_vec(o, b, mat_row(f->d, s), e - s);
			else
				out_ivec(o, b, imat_row(f->iv, s), e - s);
		}
		if (json)
			kx_buf_putc(b, ']');
		break;
	}
}

/* Row r of a per-row field, as one text cell. */
static void out_row_value(const kx_out *o, kx_buf *b, const kx_field *f, size_t r)
{
	size_t s, e;
	switch (f->type) {
	case KX_F_VEC: kx_out_num(o, b, f->d[r]); break;
	case KX_F_IVEC: kx_buf_printf(b, "%lld", f->iv[r]); break;
	case KX_F_MAT: row_range(f, r, &s, &e); kx_out_vec(o, b, mat_row(f->d, s), e - s); break;
	case KX_F_IMAT: row_range(f, r, &s, &e); out_ivec(o, b, imat_row(f->iv, s), e - s); break;
	default: out_value(o, b, f);
	}
}

static int dropped(const kx_result *r, const char *name)
{
	for (const char *const *d = r->drop; d && *d; d++)
		if (!strcmp(*d, name))
			return 1;
	return 0;
}

static void write_json(kx_out *o, const kx_rec *in, const kx_result *r)
{
	kx_buf *b = &o->buf;
	if (in && in->kind == KX_REC_OBJECT && !r->fresh) {
		char done[KX_MAXFIELDS] = { 0 };
		int first = 1;
		kx_buf_putc(b, '{');
		for (size_t i = 0; i < in->nfields; i++) {
			const kx_span *sp = &in->fields[i];
			if (dropped(r, sp->name))
				continue;
			if (!first)
				kx_buf_putc(b, ',');
			first = 0;
			kx_buf_put(b, sp->key, sp->keylen);
			kx_buf_putc(b, ':');
			int k;
			for (k = 0; k < r->n; k++)
				if (!done[k] && !strcmp(r->f[k].name, sp->name))
					break;
			if (k < r->n) {
				out_value(o, b, &r->f[k]);
				done[k] = 1;
			} else {
				kx_buf_put(b, sp->val, sp->vallen);
			}
		}
		for (int k = 0; k < r->n; k++) {
			if (done[k])
				continue;
			if (!first)
				kx_buf_putc(b, ',');
			first = 0;
			kx_buf_json_str(b, r->f[k].name);
			kx_buf_putc(b, ':');
			out_value(o, b, &r->f[k]);
		}
		kx_buf_putc(b, '}');
	} else if (r->n == 1 && !r->object) {
		out_value(o, b, &r->f[0]);
	} else {
		kx_buf_putc(b, '{');
		for (int k = 0; k < r->n; k++) {
			if (k)
				kx_buf_putc(b, ',');
			kx_buf_json_str(b, r->f[k].name);
			kx_buf_putc(b, ':');
			out_value(o, b, &r->f[k]);
		}
		kx_buf_putc(b, '}');
	}
	kx_buf_putc(b, '\n');
}

static void write_text(kx_out *o, const kx_result *r)
{
	kx_buf *b = &o->buf;
	if (r->per_row) {
		size_t rows = 0;
		for (int k = 0; k < r->n; k++) {
			const kx_field *f = &r->f[k];
			size_t fr = (f->type == KX_F_VEC || f->type == KX_F_IVEC) ? f->n : f->rows;
			if (fr > rows)
				rows = fr;
		}
		for (size_t row = 0; row < rows; row++) {
			for (int k = 0; k < r->n; k++) {
				if (k)
					kx_buf_putc(b, '\t');
				out_row_value(o, b, &r->f[k], row);
			}
			kx_buf_putc(b, '\n');
		}
		return;
	}
	for (int k = 0; k < r->n; k++) {
		if (k)
			kx_buf_putc(b, '\t');
		out_value(o, b, &r->f[k]);
	}
	kx_buf_putc(b, '\n');
}

void kx_buf_put_raw(kx_buf *b, int fmt, double v)
{
	if (fmt == KX_FMT_F32) {
		float f = (float)v;             /* one rounding from double */
		kx_buf_put(b, (const char *)&f, 4);
	} else if (fmt == KX_FMT_F64) {
		kx_buf_put(b, (const char *)&v, 8);
	} else {
		uint32_t u = (uint32_t)v;       /* an index or a digit: < 2^32 */
		kx_buf_put(b, (const char *)&u, 4);
	}
}

static void put_raw(kx_out *o, double v)
{
	kx_buf_put_raw(&o->buf, o->fmt, v);
}

/* n doubles to floats, one rounding each (wide clones: IEEE conversion, the
 * same bits on every clone) */
KX_CLONES void kx_narrow_f64(const double *restrict v, size_t n, char *restrict dst)
{
	for (size_t i = 0; i < n; i++) {
		float f = (float)v[i];
		memcpy(dst + 4 * i, &f, 4);
	}
}

/* A whole vector at once: one reservation, one conversion loop. */
static void put_raw_vec(kx_out *o, const double *v, size_t n)
{
	if (o->fmt == KX_FMT_U32) {
		for (size_t i = 0; i < n; i++)
			put_raw(o, v[i]);
		return;
	}
	size_t w = o->fmt == KX_FMT_F32 ? 4 : 8;
	kx_buf *b = &o->buf;
	kx_buf_put(b, "", 0);
	if (b->len + n * w + 1 > b->cap) {
		b->cap = b->len + n * w + 1;
		b->s = kx_realloc(b->s, b->cap);
	}
	char *dst = b->s + b->len;
	if (w == 4)
		kx_narrow_f64(v, n, dst);             /* one rounding from double */
	else
		memcpy(dst, v, n * 8);
	b->len += n * w;
	b->s[b->len] = 0;
}

static void put_raw_int(kx_out *o, long long v)
{
	if (o->fmt == KX_FMT_U32) {
		uint32_t u = (uint32_t)v;
		kx_buf_put(&o->buf, (const char *)&u, 4);
	} else {
		put_raw(o, (double)v);
	}
}

static void write_raw(kx_out *o, const kx_result *r)
{
	if (r->n != 1)
		kx_die("internal error: raw output needs exactly one field, got %d", r->n);
	const kx_field *f = &r->f[0];
	size_t s, e;
	switch (f->type) {
	case KX_F_NUM: put_raw(o, f->num); break;
	case KX_F_INT: case KX_F_BOOL: put_raw_int(o, f->i); break;
	case KX_F_NULL: put_raw(o, NAN); break;
	case KX_F_VEC:
		put_raw_vec(o, f->d, f->n);
		break;
	case KX_F_IVEC:
		for (size_t i = 0; i < f->n; i++)
			put_raw_int(o, f->iv[i]);
		break;
	case KX_F_MAT:
	case KX_F_IMAT:
		for (size_t row = 0; row < f->rows; row++) {
			row_range(f, row, &s, &e);
			if (f->type == KX_F_MAT)
				put_raw_vec(o, f->d + s, e - s);
			else
				for (size_t i = s; i < e; i++)
					put_raw_int(o, f->iv[i]);
		}
		break;
	default:
		kx_die("internal error: field '%s' cannot be written raw", f->name);
	}
}

_Noreturn static void write_failed(kx_out *o)
{
	if (errno == EPIPE) {           /* a closed pipe: end quietly, as the shell expects */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(1);
	}
	kx_die("write error on %s:", o->path);
}

void kx_out_flush(kx_out *o)
{
	if (o->buf.len && fwrite(o->buf.s, 1, o->buf.len, o->f) != o->buf.len)
		write_failed(o);
	o->buf.len = 0;
	if (o->unbuffered && fflush(o->f))
		write_failed(o);
}

void kx_write(kx_out *o, const kx_rec *in, const kx_result *r)
{
	o->buf.len = 0;
	switch (o->fmt) {
	case KX_FMT_JSON: write_json(o, in, r); break;
	case KX_FMT_TEXT: write_text(o, r); break;
	default: write_raw(o, r); break;
	}
	kx_out_flush(o);
}

void kx_out_close(kx_out *o)
{
	errno = 0;
	if (fflush(o->f) || ferror(o->f))
		write_failed(o);
	if (fclose(o->f))
		write_failed(o);
	free(o->fbuf);                       /* after the fclose that used it */
	o->fbuf = NULL;
	kx_buf_free(&o->buf);
}
