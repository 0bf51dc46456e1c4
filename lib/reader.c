/*
 * reader.c — input records from the operands in order: JSON Lines (arrays,
 * batches, objects whose fields keep their exact text), text lines, raw
 * little-endian f32/f64.  Memory is one line (or one raw record) at a time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "kx.h"
#include "vexp.h"      /* KX_CLONES */

enum { KX_READ_BUF = 1 << 18 };

struct kx_reader {
	int fmt;              /* requested: AUTO, JSON, TEXT, F32, F64 */
	int resolved;         /* JSON or TEXT once auto is resolved */
	size_t dim;           /* raw: values per record */
	int nfiles;
	char **files;
	int cur;              /* index of the open operand, -1 before the first */
	FILE *f;
	const char *src;      /* its name for messages */
	long long line, recno;
	uint64_t index;       /* records so far, over all operands */
	char *lbuf;           /* getline buffer */
	size_t lcap;
	ssize_t llen;
	int pending;          /* a line read ahead by kx_reader_format */
	kx_buf sub;           /* the line with bare NaN tokens quoted, for cJSON */
	unsigned char *raw;   /* one raw record */
	int borrowed;         /* f belongs to the caller (kx_reader_open_stream) */
	char *fbuf;           /* stdio's buffer for the operand files (KX_READ_BUF) */
};

kx_reader *kx_reader_open(int fmt, size_t dim, int nfiles, char **files)
{
	kx_reader *r = kx_calloc(1, sizeof *r);
	static char *stdin_only[] = { "-" };
	r->fmt = fmt;
	r->dim = dim ? dim : 1;
	r->nfiles = nfiles > 0 ? nfiles : 1;
	r->files = nfiles > 0 ? files : stdin_only;
	r->cur = -1;
	if (fmt == KX_FMT_JSON || fmt == KX_FMT_TEXT)
		r->resolved = fmt;
	return r;
}

kx_reader *kx_reader_open_stream(int fmt, size_t dim, FILE *f, const char *name)
{
	kx_reader *r = kx_reader_open(fmt, dim, 0, NULL);
	r->f = f;
	r->src = name;
	r->cur = 0;
	r->nfiles = 1;
	r->borrowed = 1;
	return r;
}

/* Open the next operand; 0 when there is none left. */
static int next_file(kx_reader *r)
{
	if (r->f && r->f != stdin && !r->borrowed)
		fclose(r->f);
	r->f = NULL;
	if (++r->cur >= r->nfiles)
		return 0;
	const char *path = r->files[r->cur];
	if (!strcmp(path, "-")) {
		r->f = stdin;
		r->src = "stdin";
	} else {
		r->f = fopen(path, "rb");
		if (!r->f)
			kx_die("%s:", path);
		r->src = path;
	}
	/* 256 KiB reads instead of stdio's 4 KiB: a raw stream makes 64 times fewer
	 * system calls (before any read on the stream, as setvbuf requires).
	 * glibc takes the size only with the caller's buffer (with NULL it keeps
	 * st_blksize): stdin gets a static one, once; a file the reader's own,
	 * which the previous file, closed above, no longer uses. */
	if (r->f == stdin) {
		static char stdin_buf[KX_READ_BUF];
		static int stdin_set;
		if (!stdin_set)
			setvbuf(stdin, stdin_buf, _IOFBF, sizeof stdin_buf);
		stdin_set = 1;
	} else {
		if (!r->fbuf)
			r->fbuf = kx_malloc(KX_READ_BUF);
		setvbuf(r->f, r->fbuf, _IOFBF, KX_READ_BUF);
	}
	r->line = 0;
	r->recno = 0;
	return 1;
}

/* Next non-blank line into lbuf; 0 at the end of all input. */
static int next_line(kx_reader *r)
{
	if (r->pending) {
		r->pending = 0;
		return 1;
	}
	for (;;) {
		if (!r->f && !next_file(r))
			return 0;
		errno = 0;
		r->llen = getline(&r->lbuf, &r->lcap, r->f);
		if (r->llen < 0) {
			if (ferror(r->f))
				kx_die("%s: read error:", r->src);
			if (!next_file(r))
				return 0;
			continue;
		}
		r->line++;
		while (r->llen > 0 && (r->lbuf[r->llen - 1] == '\n' || r->lbuf[r->llen - 1] == '\r'))
			r->lbuf[--r->llen] = 0;
		const char *p = r->lbuf;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (p < r->lbuf + r->llen)
			return 1;
	}
}

int kx_reader_format(kx_reader *r)
{
	if (r->fmt == KX_FMT_F32 || r->fmt == KX_FMT_F64)
		return r->fmt;
	if (!r->resolved) {
		if (next_line(r)) {
			r->pending = 1;
			const char *p = r->lbuf;
			while (*p == ' ' || *p == '\t')
				p++;
			r->resolved = (*p == '[' || *p == '{') ? KX_FMT_JSON : KX_FMT_TEXT;
		} else {
			r->resolved = KX_FMT_JSON;
		}
	}
	return r->resolved;
}

static void errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* ----- JSON ----- */

static int is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

/* Copy the line for cJSON: the bare tokens NaN, Infinity, -Infinity become
 * strings, and numbers longer than cJSON reads (63 characters) become 0 (the
 * library reads numbers from the original text, never from cJSON). */
static const char *cjson_text(kx_reader *r, const char *s, size_t len)
{
	kx_buf *b = &r->sub;
	b->len = 0;
	const char *end = s + len;
	for (const char *p = s; p < end;) {
		if (*p == '"') {
			const char *q = p + 1;
			while (q < end && *q != '"')
				q += (*q == '\\') ? 2 : 1;
			q = q < end ? q + 1 : end;
			kx_buf_put(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		int prev_word = p > s && is_word(p[-1]);
		if (!prev_word) {
			static const char *const words[] = { "-Infinity", "Infinity", "NaN" };
			int hit = 0;
			for (int i = 0; i < 3 && !hit; i++) {
				size_t n = strlen(words[i]);
				if ((size_t)(end - p) >= n && !strncmp(p, words[i], n) &&
				    (p + n == end || !is_word(p[n]))) {
					kx_buf_putc(b, '"');
					kx_buf_put(b, p, n);
					kx_buf_putc(b, '"');
					p += n;
					hit = 1;
				}
			}
			if (hit)
				continue;
			if (*p == '-' || (*p >= '0' && *p <= '9')) {
				const char *q = p + 1;
				while (q < end && (is_word(*q) || *q == '+' || *q == '-'))
					q++;
				if (q - p > 60)
					kx_buf_putc(b, '0');
				else
					kx_buf_put(b, p, (size_t)(q - p));
				p = q;
				continue;
			}
		}
		kx_buf_putc(b, *p++);
	}
	if (!b->s)
		kx_buf_puts(b, "");
	return b->s;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Skip one JSON value of already validated text. */
const char *kx_json_skip(const char *p, const char *end)
{
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\')
				p++;
		return p + 1;
	}
	if (*p == '[' || *p == '{') {
		int depth = 0;
		for (; p < end; p++) {
			if (*p == '"') {
				for (p++; p < end && *p != '"'; p++)
					if (*p == '\\')
						p++;
			} else if (*p == '[' || *p == '{') {
				depth++;
			} else if (*p == ']' || *p == '}') {
				if (--depth == 0)
					return p + 1;
			}
		}
		return end;
	}
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t')
		p++;
	return p;
}

/* The top-level fields of a validated object, with their text. */
static void object_spans(kx_rec *rec)
{
	const char *p = rec->text, *end = rec->text + rec->len;
	cJSON *child = rec->json->child;
	rec->nfields = 0;
	p = skip_ws(p, end) + 1;     /* past '{' */
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			break;
		const char *k = p;
		p = kx_json_skip(p, end);
		size_t klen = (size_t)(p - k);
		p = skip_ws(p, end) + 1;  /* past ':' */
		p = skip_ws(p, end);
		const char *v = p;
		p = kx_json_skip(p, end);
		if (rec->nfields == rec->fcap) {
			rec->fcap = rec->fcap ? 2 * rec->fcap : 16;
			rec->fields = kx_realloc(rec->fields, rec->fcap * sizeof *rec->fields);
		}
		rec->fields[rec->nfields++] = (kx_span){
			.name = child ? child->string : "", .key = k, .keylen = klen,
			.val = v, .vallen = (size_t)(p - v) };
		if (child)
			child = child->next;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		else
			break;
	}
}

const char *kx_json_kind(const cJSON *v)
{
	if (!v) return "nothing";
	if (cJSON_IsString(v)) return "a string";
	if (cJSON_IsNumber(v)) return "a number";
	if (cJSON_IsArray(v)) return "an array";
	if (cJSON_IsObject(v)) return "an object";
	if (cJSON_IsTrue(v)) return "true";
	if (cJSON_IsFalse(v)) return "false";
	if (cJSON_IsNull(v)) return "null";
	return "an unknown value";
}

static int json_record(kx_reader *r, kx_rec *rec, char *err, size_t errsz)
{
	const char *s = r->lbuf;
	size_t len = (size_t)r->llen;
	const char *p = skip_ws(s, s + len);
	char ferr[200];
	rec->text = s;
	rec->len = len;
	if (*p == '[') {
		if (kx_parse_numarray(p, len - (size_t)(p - s), 1, &rec->x, ferr, sizeof ferr) == 0) {
			rec->kind = rec->x.batch ? KX_REC_BATCH : KX_REC_ARRAY;
			return 1;
		}
		/* Not an array of numbers: is it JSON at all? */
		rec->json = cJSON_ParseWithOpts(cjson_text(r, s, len), NULL, 1);
		if (!rec->json) {
			errf(err, errsz, "%s", strncmp(ferr, "invalid JSON", 12) ? "invalid JSON" : ferr);
			return -1;
		}
		errf(err, errsz, "%s", ferr);
		return -1;
	}
	if (*p != '{') {
		double v;
		if (kx_parse_jsonnum(p, len - (size_t)(p - s), &v) == 0) {
			kx_mat_clear(&rec->x);
			kx_mat_push_row(&rec->x, &v, 1);
			rec->kind = KX_REC_NUMBER;
			return 1;
		}
	}
	rec->json = cJSON_ParseWithOpts(cjson_text(r, s, len), NULL, 1);
	if (!rec->json) {
		errf(err, errsz, "invalid JSON");
		return -1;
	}
	if (cJSON_IsObject(rec->json)) {
		rec->kind = KX_REC_OBJECT;
		object_spans(rec);
	} else {
		rec->kind = KX_REC_OTHER;
	}
	return 1;
}

/* ----- raw ----- */

/* n little-endian floats, widened exactly (wide clones: the conversion is
 * exact, so every clone gives the same values) */
KX_CLONES void kx_widen_f32(const unsigned char *restrict src, size_t n, double *restrict dst)
{
	for (size_t i = 0; i < n; i++) {
		float f;
		memcpy(&f, src + 4 * i, 4);
		dst[i] = f;
	}
}

static int raw_record(kx_reader *r, kx_rec *rec, char *err, size_t errsz)
{
	size_t w = r->fmt == KX_FMT_F32 ? 4 : 8, need = w * r->dim;
	if (!r->raw)
		r->raw = kx_malloc(need);
	for (;;) {
		if (!r->f && !next_file(r))
			return 0;
		size_t got = fread(r->raw, 1, need, r->f);
		if (got == 0) {
			if (ferror(r->f))
				kx_die("%s: read error:", r->src);
			if (!next_file(r))
				return 0;
			continue;
		}
		r->recno++;
		rec->src = r->src;
		rec->recno = r->recno;
		rec->line = 0;
		if (got < need) {
			if (ferror(r->f))
				kx_die("%s: read error:", r->src);
			errf(err, errsz, "trailing partial record (%zu of %zu bytes)", got, need);
			return -1;
		}
		kx_mat_clear(&rec->x);
		if (rec->x.vcap < r->dim) {
			rec->x.vcap = r->dim;
			rec->x.v = kx_realloc(rec->x.v, r->dim * sizeof *rec->x.v);
		}
		if (w == 4) {
			kx_widen_f32(r->raw, r->dim, rec->x.v);
		} else {
			memcpy(rec->x.v, r->raw, need);
		}
		rec->x.n = r->dim;
		rec->x.off[1] = rec->x.n;
		rec->x.rows = 1;
		rec->kind = KX_REC_ARRAY;
		return 1;
	}
}

int kx_read(kx_reader *r, kx_rec *rec, char *err, size_t errsz)
{
	if (rec->json) {
		cJSON_Delete(rec->json);
		rec->json = NULL;
	}
	rec->nfields = 0;
	rec->kind = 0;
	if (r->fmt == KX_FMT_F32 || r->fmt == KX_FMT_F64) {
		rec->fmt = r->fmt;
		int st = raw_record(r, rec, err, errsz);
		if (st != 0)
			rec->index = r->index++;
		return st;
	}
	kx_reader_format(r);
	if (!next_line(r))
		return 0;
	rec->fmt = r->resolved;
	rec->src = r->src;
	rec->line = r->line;
	rec->recno = ++r->recno;
	rec->index = r->index++;
	if (r->resolved == KX_FMT_TEXT) {
		rec->text = r->lbuf;
		rec->len = (size_t)r->llen;
		if (kx_parse_textline(r->lbuf, (size_t)r->llen, &rec->x, err, errsz) < 0)
			return -1;
		rec->kind = KX_REC_ARRAY;
		return 1;
	}
	return json_record(r, rec, err, errsz);
}

void kx_reader_close(kx_reader *r)
{
	if (!r)
		return;
	if (r->f && r->f != stdin && !r->borrowed)
		fclose(r->f);
	free(r->fbuf);                        /* after the fclose that last used it */
	free(r->lbuf);
	free(r->raw);
	kx_buf_free(&r->sub);
	free(r);
}

void kx_rec_free(kx_rec *rec)
{
	if (rec->json)
		cJSON_Delete(rec->json);
	kx_mat_free(&rec->x);
	free(rec->fields);
	*rec = (kx_rec){ 0 };
}

const char *kx_rec_where(const kx_rec *rec, char *buf, size_t n)
{
	if (rec->fmt == KX_FMT_F32 || rec->fmt == KX_FMT_F64)
		snprintf(buf, n, "%s: record %lld", rec->src ? rec->src : "stdin", rec->recno);
	else
		snprintf(buf, n, "%s:%lld", rec->src ? rec->src : "stdin", rec->line);
	return buf;
}

char *kx_slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	kx_buf b = { 0 };
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		kx_buf_put(&b, chunk, n);
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		kx_buf_free(&b);
		return NULL;
	}
	if (!b.s)
		kx_buf_puts(&b, "");
	if (len)
		*len = b.len;
	return b.s;
}

/* ----- object access ----- */

cJSON *kx_rec_get(const kx_rec *rec, const char *key)
{
	if (rec->kind != KX_REC_OBJECT)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(rec->json, key);
}

const kx_span *kx_rec_span(const kx_rec *rec, const char *key)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (!strcmp(rec->fields[i].name, key))
			return &rec->fields[i];
	return NULL;
}

int kx_rec_mat(const kx_rec *rec, const char *key, int allow_batch, kx_mat *m,
               char *err, size_t errsz)
{
	const kx_span *sp = kx_rec_span(rec, key);
	if (!sp)
		return 1;
	char ferr[200];
	if (sp->vallen == 0 || sp->val[0] != '[') {
		errf(err, errsz, "\"%s\" holds %s, expected an array of numbers", key,
		     kx_json_kind(kx_rec_get(rec, key)));
		return -1;
	}
	if (kx_parse_numarray(sp->val, sp->vallen, allow_batch, m, ferr, sizeof ferr) < 0) {
		errf(err, errsz, "\"%s\": %s", key, ferr);
		return -1;
	}
	return 0;
}

int kx_rec_num(const kx_rec *rec, const char *key, double *v, char *err, size_t errsz)
{
	const kx_span *sp = kx_rec_span(rec, key);
	if (!sp)
		return 1;
	if (kx_parse_jsonnum(sp->val, sp->vallen, v) < 0) {
		errf(err, errsz, "\"%s\" holds %s, expected a number", key,
		     kx_json_kind(kx_rec_get(rec, key)));
		return -1;
	}
	return 0;
}

int kx_rec_int(const kx_rec *rec, const char *key, long long *v, char *err, size_t errsz)
{
	const kx_span *sp = kx_rec_span(rec, key);
	if (!sp)
		return 1;
	double d;
	cJSON *j = kx_rec_get(rec, key);
	if (!cJSON_IsNumber(j) || kx_parse_jsonnum(sp->val, sp->vallen, &d) < 0) {
		errf(err, errsz, "\"%s\" holds %s, expected an integer", key, kx_json_kind(j));
		return -1;
	}
	if (!(d == d) || d > 9.2e18 || d < -9.2e18 || d != (double)(long long)d) {
		errf(err, errsz, "\"%s\" is %.*s, expected an integer", key, (int)(sp->vallen > 40 ? 40 : sp->vallen), sp->val);
		return -1;
	}
	*v = (long long)d;
	return 0;
}
