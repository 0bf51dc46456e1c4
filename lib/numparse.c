/*
 * numparse.c — fast, exact parsing of JSON arrays of numbers (vectors and
 * batches), single JSON numbers, and text lines.  Every number is correctly
 * rounded: the Clinger fast path where it is exact, strtod otherwise.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kx.h"

int kx_decimal_to_double(uint64_t w, int k, double *out);   /* dtoa.c */

/* ----- kx_mat ----- */

void kx_mat_free(kx_mat *m)
{
	free(m->v);
	free(m->off);
	*m = (kx_mat){ 0 };
}

void kx_mat_clear(kx_mat *m)
{
	m->n = 0;
	m->rows = 0;
	m->batch = 0;
	if (!m->ocap) {
		m->ocap = 16;
		m->off = kx_malloc(m->ocap * sizeof *m->off);
	}
	m->off[0] = 0;
}

static inline void push_val(kx_mat *m, double v)
{
	if (m->n == m->vcap) {
		m->vcap = m->vcap ? 2 * m->vcap : 64;
		m->v = kx_realloc(m->v, m->vcap * sizeof *m->v);
	}
	m->v[m->n++] = v;
}

static void end_row(kx_mat *m)
{
	if (m->rows + 2 > m->ocap) {
		m->ocap = m->ocap ? 2 * m->ocap : 16;
		m->off = kx_realloc(m->off, m->ocap * sizeof *m->off);
	}
	m->off[++m->rows] = m->n;
}

void kx_mat_push_row(kx_mat *m, const double *v, size_t n)
{
	if (!m->ocap)
		kx_mat_clear(m);
	for (size_t i = 0; i < n; i++)
		push_val(m, v[i]);
	end_row(m);
}

size_t kx_mat_cols(const kx_mat *m)
{
	if (!m->rows)
		return 0;
	size_t c = KX_ROWLEN(m, 0);
	for (size_t r = 1; r < m->rows; r++)
		if (KX_ROWLEN(m, r) != c)
			return 0;
	return c;
}

/* ----- numbers ----- */

static const double pow10tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* A JSON number at s (grammar checked).  Returns the end, or NULL when the
 * text there is not a JSON number. */
static const char *json_number(const char *s, const char *end, double *out)
{
	const char *p = s;
	int neg = 0;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || !(*p >= '0' && *p <= '9'))
		return NULL;
	uint64_t w = 0;
	int nd = 0, e10 = 0, exact = 1;
	if (*p == '0') {
		p++;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			if (nd < 19) {
				w = w * 10 + (uint64_t)(*p - '0');
				if (w || nd) nd++;
			} else {
				exact = 0;
			}
			p++;
		}
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !(*p >= '0' && *p <= '9'))
			return NULL;
		while (p < end && *p >= '0' && *p <= '9') {
			if (nd < 19) {
				w = w * 10 + (uint64_t)(*p - '0');
				if (w || nd) nd++;
				e10--;
			} else {
				exact = 0;
			}
			p++;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, ev = 0;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || !(*p >= '0' && *p <= '9'))
			return NULL;
		while (p < end && *p >= '0' && *p <= '9') {
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
			p++;
		}
		e10 += eneg ? -ev : ev;
	}
	/* Clinger's fast path: an exact mantissa below 2^53 and |e10| <= 22 is
	 * one correctly rounded operation on exact operands. */
	if (exact && w < (1ULL << 53) && e10 >= -22 && e10 <= 22) {
		double d = (double)w;
		d = e10 < 0 ? d / pow10tab[-e10] : d * pow10tab[e10];
		*out = neg ? -d : d;
		return p;
	}
	/* up to 19 exact digits and a negative exponent: the exact interval test */
	if (exact && e10 <= 0 && e10 >= -44 && w) {
		double d;
		if (kx_decimal_to_double(w, -e10, &d)) {
			*out = neg ? -d : d;
			return p;
		}
	}
	/* strtod needs a NUL-terminated copy when the token ends the buffer */
	char tmp[64], *heap = NULL, *q = tmp;
	size_t len = (size_t)(p - s);
	if (len >= sizeof tmp)
		q = heap = kx_malloc(len + 1);
	memcpy(q, s, len);
	q[len] = 0;
	*out = strtod(q, NULL);
	free(heap);
	return p;
}

/* The non-finite spellings: "NaN" "Infinity" "-Infinity" "inf" "-inf" "nan"
 * (any case) as the inside of a string. */
static int nonfinite_word(const char *s, size_t n, double *out)
{
	int neg = 0;
	if (n && *s == '-') {
		neg = 1;
		s++;
		n--;
	} else if (n && *s == '+') {
		s++;
		n--;
	}
	if ((n == 3 && !strncasecmp(s, "inf", 3)) || (n == 8 && !strncasecmp(s, "infinity", 8))) {
		*out = neg ? -INFINITY : INFINITY;
		return 1;
	}
	if (n == 3 && !strncasecmp(s, "nan", 3)) {
		*out = NAN;
		return 1;
	}
	return 0;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

static void errf(char *err, size_t n, const char *fmt, ...)
{
	if (!err || !n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* Scan a JSON string starting at the quote; returns the char after the
 * closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* One element value at p: sets *out.  Returns the end, or NULL with err. */
static const char *one_value(const char *p, const char *end, double *out, char *err, size_t errsz)
{
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		if (*p == '-' && end - p >= 9 && !strncmp(p, "-Infinity", 9) && (end - p == 9 || !is_word(p[9]))) {
			*out = -INFINITY;
			return p + 9;
		}
		const char *q = json_number(p, end, out);
		if (!q || (q < end && is_word(*q))) {
			errf(err, errsz, "invalid JSON: a malformed number");
			return NULL;
		}
		return q;
	}
	if (*p == '"') {
		const char *q = skip_string(p, end);
		if (!q) {
			errf(err, errsz, "invalid JSON: an unterminated string");
			return NULL;
		}
		if (nonfinite_word(p + 1, (size_t)(q - p - 2), out))
			return q;
		int len = (int)(q - p - 2);
		if (len > 40)
			errf(err, errsz, "expected a number, got the string \"%.40s...\"", p + 1);
		else
			errf(err, errsz, "expected a number, got the string \"%.*s\"", len, p + 1);
		return NULL;
	}
	static const struct { const char *w; double v; int ok; const char *what; } words[] = {
		{ "null", NAN, 1, "" }, { "NaN", NAN, 1, "" }, { "Infinity", INFINITY, 1, "" },
		{ "true", 0, 0, "true" }, { "false", 0, 0, "false" },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i].w);
		if ((size_t)(end - p) >= n && !strncmp(p, words[i].w, n) &&
		    ((size_t)(end - p) == n || !is_word(p[n]))) {
			if (!words[i].ok) {
				errf(err, errsz, "expected a number, got %s", words[i].what);
				return NULL;
			}
			*out = words[i].v;
			return p + n;
		}
	}
	if (*p == '{')
		errf(err, errsz, "expected a number, got an object");
	else if (*p == '[')
		errf(err, errsz, "expected a number, got an array");
	else
		errf(err, errsz, "invalid JSON: unexpected '%c'", *p);
	return NULL;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* Elements of one array of numbers, p just after '['.  Returns after ']'. */
static const char *num_list(const char *p, const char *end, kx_mat *m, char *err, size_t errsz,
                            int in_batch)
{
	p = skip_ws(p, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		if (p >= end) {
			errf(err, errsz, "invalid JSON: the array is not closed");
			return NULL;
		}
		double v;
		if (*p == '[') {
			errf(err, errsz, in_batch ? "expected a number, got an array"
			                          : "a batch mixing numbers and arrays");
			return NULL;
		}
		p = one_value(p, end, &v, err, errsz);
		if (!p)
			return NULL;
		push_val(m, v);
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']')
			return p + 1;
		errf(err, errsz, p < end ? "invalid JSON: expected ',' or ']' in an array"
		                         : "invalid JSON: the array is not closed");
		return NULL;
	}
}

int kx_parse_numarray(const char *s, size_t len, int allow_batch, kx_mat *m,
                      char *err, size_t errsz)
{
	const char *end = s + len, *p = skip_ws(s, end);
	kx_mat_clear(m);
	if (p >= end || *p != '[') {
		errf(err, errsz, "expected an array of numbers");
		return -1;
	}
	const char *q = skip_ws(p + 1, end);
	if (q < end && *q == '[') {
		if (!allow_batch) {
			errf(err, errsz, "expected a number, got an array");
			return -1;
		}
		m->batch = 1;
		p = q;
		for (;;) {
			if (p >= end || *p != '[') {
				errf(err, errsz, p < end && (*p == '-' || (*p >= '0' && *p <= '9') || *p == '"' || *p == 'n' || *p == 'N' || *p == 'I')
				     ? "a batch mixing numbers and arrays" : "expected an array of numbers");
				return -1;
			}
			p = num_list(p + 1, end, m, err, errsz, 1);
			if (!p)
				return -1;
			end_row(m);
			p = skip_ws(p, end);
			if (p < end && *p == ',') {
				p = skip_ws(p + 1, end);
				continue;
			}
			if (p < end && *p == ']') {
				p++;
				break;
			}
			errf(err, errsz, "invalid JSON: expected ',' or ']' in an array");
			return -1;
		}
	} else {
		p = num_list(p + 1, end, m, err, errsz, 0);
		if (!p)
			return -1;
		end_row(m);
	}
	p = skip_ws(p, end);
	if (p != end) {
		errf(err, errsz, "invalid JSON: unexpected text after the array");
		return -1;
	}
	return 0;
}

int kx_parse_jsonnum(const char *s, size_t len, double *out)
{
	const char *end = s + len, *p = skip_ws(s, end);
	if (p >= end)
		return -1;
	p = one_value(p, end, out, NULL, 0);
	if (!p)
		return -1;
	return skip_ws(p, end) == end ? 0 : -1;
}

int kx_parse_textline(const char *s, size_t len, kx_mat *m, char *err, size_t errsz)
{
	const char *end = s + len, *p = s;
	kx_mat_clear(m);
	for (;;) {
		while (p < end && (is_ws(*p) || *p == ','))
			p++;
		if (p >= end)
			break;
		const char *t = p;
		while (p < end && !is_ws(*p) && *p != ',')
			p++;
		double v;
		const char *q = json_number(t, p, &v);
		if (q != p) {
			/* not plain decimal: strtod's syntax (inf, nan, hex, leading +, .5) */
			char tmp[64];
			size_t n = (size_t)(p - t);
			if (n >= sizeof tmp || !(n > 0)) {
				errf(err, errsz, "expected a number, got '%.*s'", n > 40 ? 40 : (int)n, t);
				return -1;
			}
			memcpy(tmp, t, n);
			tmp[n] = 0;
			char *e;
			v = strtod(tmp, &e);
			if (*e || e == tmp) {
				errf(err, errsz, "expected a number, got '%s'", tmp);
				return -1;
			}
		}
		push_val(m, v);
	}
	end_row(m);
	return 0;
}
