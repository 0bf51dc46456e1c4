/*
 * fuzz_numarray.c — the number parsers on arbitrary bytes: JSON arrays of
 * numbers and batches, single JSON numbers, text lines; every value parsed
 * is printed back with the shortest formatter and must read back exactly.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "kx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kx_mat m = { 0 };
	char err[256], num[KX_NUMLEN];
	const char *s = (const char *)data;
	for (int mode = 0; mode < 3; mode++) {
		int rc = mode == 2 ? kx_parse_textline(s, size, &m, err, sizeof err)
		                   : kx_parse_numarray(s, size, mode, &m, err, sizeof err);
		if (rc < 0)
			continue;
		for (size_t i = 0; i < m.n; i++) {
			kx_fmt_double(num, m.v[i], 0);
			double back = strtod(num, NULL);
			if (isfinite(m.v[i]) && back != m.v[i] && !(back == 0 && m.v[i] == 0))
				abort();      /* the formatter must round-trip */
		}
	}
	double d;
	kx_parse_jsonnum(s, size, &d);
	kx_mat_free(&m);
	return 0;
}
