/* fmt.c — number printing (shortest round trip) and option number parsing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"

int kx_dtoa_shortest(char *dst, double v, size_t *len);

static size_t nonfinite(char *dst, double v)
{
	const char *s = isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
	size_t n = strlen(s);
	memcpy(dst, s, n + 1);
	return n;
}

size_t kx_fmt_double(char *dst, double v, int digits)
{
	if (!isfinite(v))
		return nonfinite(dst, v);
	if (v == 0) {                 /* -0 prints as 0 */
		dst[0] = '0';
		dst[1] = 0;
		return 1;
	}
	int n;
	if (digits > 0)
		return (size_t)snprintf(dst, KX_NUMLEN, "%.*g", digits, v);
	size_t len;
	if (kx_dtoa_shortest(dst, v, &len))   /* the same string, by integer arithmetic */
		return len;
	/* Shortest of %.15g, %.16g, %.17g that reads back exactly (%.17g always does). */
	for (int p = 15; p < 17; p++) {
		n = snprintf(dst, KX_NUMLEN, "%.*g", p, v);
		if (strtod(dst, NULL) == v)
			return (size_t)n;
	}
	return (size_t)snprintf(dst, KX_NUMLEN, "%.17g", v);
}

size_t kx_fmt_float(char *dst, float v, int digits)
{
	if (!isfinite(v))
		return nonfinite(dst, v);
	if (v == 0) {
		dst[0] = '0';
		dst[1] = 0;
		return 1;
	}
	if (digits > 0)
		return (size_t)snprintf(dst, KX_NUMLEN, "%.*g", digits, (double)v);
	int n;
	for (int p = 6; p < 9; p++) {
		n = snprintf(dst, KX_NUMLEN, "%.*g", p, (double)v);
		if (strtof(dst, NULL) == v)
			return (size_t)n;
	}
	return (size_t)snprintf(dst, KX_NUMLEN, "%.9g", (double)v);
}

int kx_parse_double(const char *s, double *out)
{
	if (!s || !*s || (*s != '-' && *s != '+' && *s != '.' && !(*s >= '0' && *s <= '9') &&
	                  *s != 'i' && *s != 'I' && *s != 'n' && *s != 'N'))
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int kx_parse_long(const char *s, long long lo, long long hi, long long *out)
{
	if (!s || !*s || !(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno == ERANGE || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int kx_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !(*s >= '0' && *s <= '9'))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}
