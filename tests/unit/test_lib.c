/* test_lib.c — the record library: number printing round trips, the number
 * parsers, .npy files, usage statistics.  Values are independent: exact
 * binary fractions, strtod itself, closed forms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kx.h"
#include "rng.h"
#include "usage.h"
#include "tap.h"

/* The definition of conventions.md 2, by printf and strtod. */
static void ref_shortest(char *b, double v)
{
	for (int p = 15; p < 17; p++) {
		snprintf(b, KX_NUMLEN, "%.*g", p, v);
		if (strtod(b, NULL) == v)
			return;
	}
	snprintf(b, KX_NUMLEN, "%.17g", v);
}

static int same_as_printf(double v)
{
	char a[KX_NUMLEN], b[KX_NUMLEN];
	if (!isfinite(v) || v == 0)
		return 1;
	kx_fmt_double(a, v, 0);
	ref_shortest(b, v);
	if (strcmp(a, b))
		printf("#   %.17g: fast '%s', printf '%s'\n", v, a, b);
	return !strcmp(a, b);
}

static void test_fmt_identity(void)
{
	kx_rng g;
	kx_rng_seed(&g, 99, 0);
	int ok = 1;
	for (int i = 0; i < 300000 && ok; i++) {
		uint64_t bits = kx_rng_next(&g);
		double v;
		memcpy(&v, &bits, 8);
		ok &= same_as_printf(v);
	}
	tap_ok(ok, "300000 random bit patterns: the fast formatter prints exactly what printf gives");
	ok = 1;
	for (int i = 0; i < 300000 && ok; i++) {
		double u = kx_rng_uniform(&g), z = kx_rng_normal(&g);
		ok &= same_as_printf(u) && same_as_printf(z) && same_as_printf(exp(20 * z)) &&
		      same_as_printf(u / (1 + exp(z))) && same_as_printf(ldexp(u, -(int)kx_rng_below(&g, 90)));
	}
	tap_ok(ok, "1.5 million typical values (uniforms, normals, exps, tiny probabilities): identical");
	ok = 1;
	for (int e = -30; e <= 30 && ok; e++)
		for (int d = 1; d < 1000 && ok; d++) {
			char s[32];
			snprintf(s, sizeof s, "%de%d", d, e);
			ok &= same_as_printf(strtod(s, NULL)) && same_as_printf(nextafter(strtod(s, NULL), 0)) &&
			      same_as_printf(nextafter(strtod(s, NULL), 1e300));
		}
	tap_ok(ok, "short decimals d*10^e and their neighbours: identical");
	ok = 1;
	for (int i = -1074; i < 1024 && ok; i++)
		ok &= same_as_printf(ldexp(1, i)) && same_as_printf(-ldexp(1, i)) && same_as_printf(ldexp(1, i) * 0.75);
	tap_ok(ok, "powers of two (binade bottoms) and 3/4 of them: identical");
}

static void test_fmt(void)
{
	char b[KX_NUMLEN];
	kx_fmt_double(b, 0.1, 0);
	tap_ok(!strcmp(b, "0.1"), "0.1 prints as 0.1 (shortest)");
	kx_fmt_double(b, 1.0 / 3, 0);
	tap_ok(!strcmp(b, "0.3333333333333333"), "1/3 prints with 16 digits");
	kx_fmt_double(b, 0.1 + 0.2, 0);
	tap_ok(!strcmp(b, "0.30000000000000004"), "0.1+0.2 needs 17 digits");
	kx_fmt_double(b, -0.0, 0);
	tap_ok(!strcmp(b, "0"), "-0 prints as 0");
	kx_fmt_double(b, NAN, 0);
	tap_ok(!strcmp(b, "NaN"), "NaN prints as NaN");
	kx_fmt_double(b, -INFINITY, 0);
	tap_ok(!strcmp(b, "-Infinity"), "-inf prints as -Infinity");
	kx_fmt_double(b, 3.14159, 3);
	tap_ok(!strcmp(b, "3.14"), "--digits 3");
	kx_fmt_float(b, 0.1f, 0);
	tap_ok(!strcmp(b, "0.1"), "float 0.1 prints as 0.1");
	kx_fmt_double(b, 5e-324, 0);
	tap_ok(strtod(b, NULL) == 5e-324, "the smallest subnormal reads back");
	/* round trip on many random doubles: every bit pattern class */
	kx_rng g;
	kx_rng_seed(&g, 11, 0);
	int ok = 1, okf = 1;
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = kx_rng_next(&g);
		double v;
		memcpy(&v, &bits, 8);
		if (!isfinite(v))
			continue;
		kx_fmt_double(b, v, 0);
		ok &= strtod(b, NULL) == v || (v == 0 && strtod(b, NULL) == 0);
		float f = (float)kx_rng_normal(&g);
		kx_fmt_float(b, f, 0);
		okf &= strtof(b, NULL) == f;
	}
	tap_ok(ok, "200000 random bit patterns: the printed double reads back exactly");
	tap_ok(okf, "200000 random floats: the printed float reads back exactly");
}

static void test_parse(void)
{
	kx_mat m = { 0 };
	char err[200];
	int rc = kx_parse_numarray("[1, -2.5e3 ,\"NaN\",\"-inf\",NaN,-Infinity,null,0.1]", 48, 1, &m, err, sizeof err);
	tap_ok(rc == 0 && m.n == 8 && m.rows == 1 && !m.batch, "a vector with every non-finite spelling");
	tap_ok(m.v[0] == 1 && m.v[1] == -2500 && isnan(m.v[2]) && m.v[3] == -INFINITY && isnan(m.v[4]) &&
	       m.v[5] == -INFINITY && isnan(m.v[6]) && m.v[7] == 0.1, "their values");
	rc = kx_parse_numarray("[[1,2],[3],[]]", 14, 1, &m, err, sizeof err);
	tap_ok(rc == 0 && m.batch && m.rows == 3 && KX_ROWLEN(&m, 1) == 1 && KX_ROWLEN(&m, 2) == 0,
	       "a ragged batch with an empty row");
	rc = kx_parse_numarray("[1,\"a\"]", 7, 1, &m, err, sizeof err);
	tap_ok(rc < 0 && !strcmp(err, "expected a number, got the string \"a\""), "a string is named in the message");
	rc = kx_parse_numarray("[1,[2]]", 7, 1, &m, err, sizeof err);
	tap_ok(rc < 0 && strstr(err, "mixing"), "a batch mixing numbers and arrays");
	rc = kx_parse_numarray("[1,true]", 8, 1, &m, err, sizeof err);
	tap_ok(rc < 0 && !strcmp(err, "expected a number, got true"), "true is not a number");
	rc = kx_parse_numarray("[1,2", 4, 1, &m, err, sizeof err);
	tap_ok(rc < 0 && !strncmp(err, "invalid JSON", 12), "an unclosed array is invalid JSON");
	rc = kx_parse_numarray("[01]", 4, 1, &m, err, sizeof err);
	tap_ok(rc < 0, "a leading zero is not JSON");
	rc = kx_parse_numarray("[1e400,-1e400,4.9e-324]", 23, 1, &m, err, sizeof err);
	tap_ok(rc == 0 && m.v[0] == INFINITY && m.v[1] == -INFINITY && m.v[2] == 4.9e-324,
	       "overflow gives infinities, subnormals are exact");
	/* the fast path and strtod agree on many decimal strings */
	kx_rng g;
	kx_rng_seed(&g, 5, 0);
	int ok = 1;
	for (int i = 0; i < 400000; i++) {
		char s[64];
		double v = (kx_rng_uniform(&g) - 0.5) * pow(10, (int)kx_rng_below(&g, 60) - 40);
		snprintf(s, sizeof s, "[%.*e]", (int)kx_rng_below(&g, 21), v);
		double d;
		kx_parse_numarray(s, strlen(s), 0, &m, err, sizeof err);
		s[strlen(s) - 1] = 0;
		d = strtod(s + 1, NULL);
		ok &= m.v[0] == d;
	}
	tap_ok(ok, "400000 decimals of 1 to 21 digits, 1e-40 to 1e20: the parser equals strtod bit for bit");
	ok = 1;
	for (int i = 0; i < 200000; i++) {       /* halfway cases: the decimal midpoint of two doubles */
		char s[80];
		double v = kx_rng_uniform(&g) * pow(10, -(int)kx_rng_below(&g, 25));
		snprintf(s, sizeof s, "[%.40e]", v + (nextafter(v, 1) - v) / 2);
		kx_parse_numarray(s, strlen(s), 0, &m, err, sizeof err);
		s[strlen(s) - 1] = 0;
		ok &= m.v[0] == strtod(s + 1, NULL);
		snprintf(s, sizeof s, "[%.18e]", v);
		kx_parse_numarray(s, strlen(s), 0, &m, err, sizeof err);
		s[strlen(s) - 1] = 0;
		ok &= m.v[0] == strtod(s + 1, NULL);
	}
	tap_ok(ok, "near-halfway decimals and 19-digit decimals: equal to strtod");
	double d;
	tap_ok(kx_parse_jsonnum(" \"Infinity\" ", 12, &d) == 0 && d == INFINITY, "a lone non-finite string");
	rc = kx_parse_textline("1, 2\t-inf nan 0x10 +3 .5", 24, &m, err, sizeof err);
	tap_ok(rc == 0 && m.n == 7 && m.v[2] == -INFINITY && isnan(m.v[3]) && m.v[4] == 16 && m.v[5] == 3 &&
	       m.v[6] == 0.5, "text: blanks and commas, strtod's syntax");
	rc = kx_parse_textline("1 abc", 5, &m, err, sizeof err);
	tap_ok(rc < 0 && !strcmp(err, "expected a number, got 'abc'"), "text: a word is named");
	kx_mat_free(&m);
	long long v;
	tap_ok(kx_parse_long("12", 0, 100, &v) == 0 && v == 12 && kx_parse_long("1.5", 0, 100, &v) < 0 &&
	       kx_parse_long("101", 0, 100, &v) < 0, "integer options: whole numbers in range");
	uint64_t u;
	tap_ok(kx_parse_u64("18446744073709551615", &u) == 0 && u == UINT64_MAX &&
	       kx_parse_u64("-1", &u) < 0 && kx_parse_u64("18446744073709551616", &u) < 0, "seeds: 0..2^64-1");
}

static void test_npy(void)
{
	char path[] = "/tmp/kx_test_npyXXXXXX";
	int fd = mkstemp(path);
	close(fd);
	char p2[64];
	snprintf(p2, sizeof p2, "%s.npy", path);
	double v[6] = { 1, 2.5, -3, 0.1, NAN, INFINITY };
	size_t shape[2] = { 2, 3 };
	char err[200];
	kx_array a;
	int rc = kx_npy_save(p2, v, 2, shape, 0, err, sizeof err);
	rc |= kx_load_array(p2, KX_FMT_NONE, 0, &a, err, sizeof err);
	tap_ok(rc == 0 && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.v[3] == 0.1 && isnan(a.v[4]),
	       ".npy <f8 round trip");
	kx_array_free(&a);
	rc = kx_npy_save(p2, v, 2, shape, 1, err, sizeof err);
	rc |= kx_load_array(p2, KX_FMT_NONE, 0, &a, err, sizeof err);
	tap_ok(rc == 0 && a.v[3] == (double)0.1f, ".npy <f4 round trip rounds once");
	kx_array_free(&a);
	kx_npy_writer w;
	rc = kx_npy_writer_open(&w, p2, 3, 0, err, sizeof err);
	for (int i = 0; i < 1000; i++)
		rc |= kx_npy_writer_row(&w, v);
	rc |= kx_npy_writer_close(&w, err, sizeof err);
	rc |= kx_load_array(p2, KX_FMT_NONE, 0, &a, err, sizeof err);
	tap_ok(rc == 0 && a.shape[0] == 1000 && a.shape[1] == 3 && a.v[2998] == 2.5, "streaming .npy writer patches the shape");
	kx_array_free(&a);
	FILE *f = fopen(p2, "w");
	fputs("[1,2,3]\n[4,5,6]\n", f);
	fclose(f);
	rc = kx_load_array(p2, KX_FMT_NONE, 0, &a, err, sizeof err);   /* named .npy, but JSON inside */
	tap_ok(rc < 0, "a .npy name with JSON inside is rejected");
	snprintf(p2, sizeof p2, "%s.jsonl", path);
	f = fopen(p2, "w");
	fputs("[1,2,3]\n\n[4,5,6]\n", f);
	fclose(f);
	rc = kx_load_array(p2, KX_FMT_NONE, 0, &a, err, sizeof err);
	tap_ok(rc == 0 && a.shape[0] == 2 && a.shape[1] == 3 && a.v[5] == 6, "JSON Lines of rows");
	kx_array_free(&a);
	f = fopen(p2, "w");
	fputs("[1,2,3]\n[4,5]\n", f);
	fclose(f);
	rc = kx_load_array(p2, KX_FMT_NONE, 0, &a, err, sizeof err);
	tap_ok(rc < 0 && strstr(err, "ragged"), "a ragged matrix is rejected");
	remove(p2);
	remove(path);
}

static void test_usage(void)
{
	kx_usage u;
	kx_usage_stats st;
	kx_usage_init(&u, 4);
	uint64_t idx[] = { 0, 0, 1, 3 };
	for (int i = 0; i < 4; i++)
		kx_usage_add(&u, idx[i]);
	kx_usage_stats_get(&u, &st);
	tap_ok(st.used == 3 && st.usage == 0.75, "used and usage");
	tap_near(st.entropy_bits, 1.5, 1e-15, 0, "entropy of (1/2, 1/4, 1/4) is 1.5 bits");
	tap_near(st.perplexity, pow(2, 1.5), 1e-15, 0, "perplexity = 2^entropy");
	kx_usage_free(&u);
	kx_usage_init(&u, 1ULL << 32);     /* hash table path */
	for (int i = 0; i < 4; i++)
		kx_usage_add(&u, idx[i] * 1000000000ULL);
	kx_usage_stats_get(&u, &st);
	tap_ok(st.used == 3 && fabs(st.entropy_bits - 1.5) < 1e-15, "2^32 codes: the hash table gives the same");
	kx_usage_free(&u);
	kx_usage_init(&u, 10);
	kx_usage_stats_get(&u, &st);
	tap_ok(st.used == 0 && isnan(st.entropy_bits), "no indices: entropy is null");
	kx_usage_free(&u);
}

int main(void)
{
	test_fmt();
	test_fmt_identity();
	test_parse();
	test_npy();
	test_usage();
	return tap_done();
}
