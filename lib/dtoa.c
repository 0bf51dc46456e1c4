/*
 * dtoa.c — the shortest round-trip decimal of a double, fast and exact.
 *
 * conventions.md 2 defines the output: the first of %.15g, %.16g, %.17g that
 * reads back to the same double.  glibc's printf and strtod do that with
 * multi-precision arithmetic (about 1 us a number); this file gives the very
 * same strings with four-limb integer arithmetic, for every double whose
 * 17-digit scale factor 10^k has 0 <= k <= 44 and whose binary exponent is
 * <= 0 (1e-28 < |v| < 2^53, the values these programs print); others go
 * back to printf.  The unit test compares it with the printf method.
 *
 *   v = m 2^q (m < 2^53, q <= 0).  P digits: N = round(m 10^k / 2^-q),
 *   k = P - 1 - E, E = floor(log10 v).  N 10^-k reads back to v iff it lies
 *   in v's rounding interval:  L < N 2^(2-q) < U  with U = (4m+2) 10^k and
 *   L = (4m-2) 10^k ((4m-1) 10^k at the bottom of a binade); on a bound, the
 *   tie goes to v when m is even.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kx.h"

int kx_dtoa_shortest(char *dst, double v, size_t *len);

/* 10^k as three little-endian 64-bit limbs, k = 0..44 (generated with Python's
 * integers; the unit test checks every entry by multiplication). */
static const uint64_t pow10_limbs[45][3] = {
	{ 0x0000000000000001ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x000000000000000aULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x0000000000000064ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x00000000000003e8ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x0000000000002710ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x00000000000186a0ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x00000000000f4240ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x0000000000989680ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x0000000005f5e100ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x000000003b9aca00ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x00000002540be400ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x000000174876e800ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x000000e8d4a51000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x000009184e72a000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x00005af3107a4000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x00038d7ea4c68000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x002386f26fc10000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x016345785d8a0000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x0de0b6b3a7640000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x8ac7230489e80000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL },
	{ 0x6bc75e2d63100000ULL, 0x0000000000000005ULL, 0x0000000000000000ULL },
	{ 0x35c9adc5dea00000ULL, 0x0000000000000036ULL, 0x0000000000000000ULL },
	{ 0x19e0c9bab2400000ULL, 0x000000000000021eULL, 0x0000000000000000ULL },
	{ 0x02c7e14af6800000ULL, 0x000000000000152dULL, 0x0000000000000000ULL },
	{ 0x1bcecceda1000000ULL, 0x000000000000d3c2ULL, 0x0000000000000000ULL },
	{ 0x161401484a000000ULL, 0x0000000000084595ULL, 0x0000000000000000ULL },
	{ 0xdcc80cd2e4000000ULL, 0x000000000052b7d2ULL, 0x0000000000000000ULL },
	{ 0x9fd0803ce8000000ULL, 0x00000000033b2e3cULL, 0x0000000000000000ULL },
	{ 0x3e25026110000000ULL, 0x00000000204fce5eULL, 0x0000000000000000ULL },
	{ 0x6d7217caa0000000ULL, 0x00000001431e0faeULL, 0x0000000000000000ULL },
	{ 0x4674edea40000000ULL, 0x0000000c9f2c9cd0ULL, 0x0000000000000000ULL },
	{ 0xc0914b2680000000ULL, 0x0000007e37be2022ULL, 0x0000000000000000ULL },
	{ 0x85acef8100000000ULL, 0x000004ee2d6d415bULL, 0x0000000000000000ULL },
	{ 0x38c15b0a00000000ULL, 0x0000314dc6448d93ULL, 0x0000000000000000ULL },
	{ 0x378d8e6400000000ULL, 0x0001ed09bead87c0ULL, 0x0000000000000000ULL },
	{ 0x2b878fe800000000ULL, 0x0013426172c74d82ULL, 0x0000000000000000ULL },
	{ 0xb34b9f1000000000ULL, 0x00c097ce7bc90715ULL, 0x0000000000000000ULL },
	{ 0x00f436a000000000ULL, 0x0785ee10d5da46d9ULL, 0x0000000000000000ULL },
	{ 0x098a224000000000ULL, 0x4b3b4ca85a86c47aULL, 0x0000000000000000ULL },
	{ 0x5f65568000000000ULL, 0xf050fe938943acc4ULL, 0x0000000000000002ULL },
	{ 0xb9f5610000000000ULL, 0x6329f1c35ca4bfabULL, 0x000000000000001dULL },
	{ 0x4395ca0000000000ULL, 0xdfa371a19e6f7cb5ULL, 0x0000000000000125ULL },
	{ 0xa3d9e40000000000ULL, 0xbc627050305adf14ULL, 0x0000000000000b7aULL },
	{ 0x6682e80000000000ULL, 0x5bd86321e38cb6ceULL, 0x00000000000072cbULL },
	{ 0x011d100000000000ULL, 0x9673df52e37f2410ULL, 0x0000000000047bf1ULL },
};

typedef struct { uint64_t w[4]; } u256;   /* little-endian limbs */

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;
static void mul64(uint64_t x, uint64_t y, uint64_t *hi, uint64_t *lo)
{
	u128 p = (u128)x * y;
	*lo = (uint64_t)p;
	*hi = (uint64_t)(p >> 64);
}
#else
static void mul64(uint64_t x, uint64_t y, uint64_t *hi, uint64_t *lo)
{
	uint64_t xl = x & 0xffffffffu, xh = x >> 32, yl = y & 0xffffffffu, yh = y >> 32;
	uint64_t ll = xl * yl, lh = xl * yh, hl = xh * yl, hh = xh * yh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	*lo = (mid << 32) | (ll & 0xffffffffu);
	*hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
#endif

/* a * 10^k, a < 2^64 */
static u256 mul_pow10(uint64_t a, int k)
{
	u256 r = { { 0, 0, 0, 0 } };
	uint64_t carry = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t hi, lo;
		mul64(a, pow10_limbs[k][i], &hi, &lo);
		lo += carry;
		hi += lo < carry;
		r.w[i] = lo;
		carry = hi;
	}
	r.w[3] = carry;
	return r;
}

static u256 shl(uint64_t a, int s)        /* a << s, s < 256 - 64 */
{
	u256 r = { { 0, 0, 0, 0 } };
	int limb = s / 64, bit = s % 64;
	r.w[limb] = a << bit;
	if (bit && limb + 1 < 4)
		r.w[limb + 1] = a >> (64 - bit);
	return r;
}

static int cmp(const u256 *a, const u256 *b)
{
	for (int i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* round(p / 2^s), half to even, and floor(p / 2^s) in *fl; p < 2^256, the
 * result must fit 64 bits. */
static uint64_t shr_round(const u256 *p, int s, uint64_t *fl)
{
	if (s == 0)
		return *fl = p->w[0];
	int limb = s / 64, bit = s % 64;
	uint64_t q = p->w[limb] >> bit;
	if (bit && limb + 1 < 4)
		q |= p->w[limb + 1] << (64 - bit);
	*fl = q;
	/* remainder against half = 2^(s-1) */
	int hl = (s - 1) / 64, hb = (s - 1) % 64;
	int gt = 0, eq = 1;
	uint64_t top = p->w[hl] & ((hb == 63 ? ~0ULL : ((1ULL << (hb + 1)) - 1)));
	uint64_t half = 1ULL << hb;
	if (top > half)
		gt = 1, eq = 0;
	else if (top < half)
		eq = 0;
	for (int i = hl - 1; eq && i >= 0; i--)
		if (p->w[i])
			gt = 1, eq = 0;
	if (gt || (eq && (q & 1)))
		q++;
	return q;
}

static const uint64_t p10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
	1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
	1000000000000000000ULL, 10000000000000000000ULL
};

/* P significant digits of m 2^q: N (exactly P digits) and E, or 0 to fall
 * back.  E is right when the truncated m 10^k 2^q has P digits; a rounding
 * that carries to 10^P gives 10^(P-1) with E + 1, as printf does. */
static int digits(uint64_t m, int q, int P, int E, uint64_t *N, int *Eout)
{
	for (int tries = 0; tries < 3; tries++) {
		int k = P - 1 - E;
		if (k < 0 || k > 44 || -q > 190)
			return 0;
		u256 prod = mul_pow10(m, k);
		uint64_t fl, n = shr_round(&prod, -q, &fl);
		if (fl < p10[P - 1]) {
			E--;
			continue;
		}
		if (fl >= p10[P]) {
			E++;
			continue;
		}
		if (n == p10[P]) {
			n = p10[P - 1];
			E++;
		}
		*N = n;
		*Eout = E;
		return 1;
	}
	return 0;
}

/* Where does the decimal N 10^-k lie against the rounding interval of
 * m 2^q (q <= 0)?  -1 below it, 0 inside (rounds to m 2^q), +1 above. */
static int against(uint64_t N, int k, uint64_t m, int q, int low_binade)
{
	u256 a = shl(N, 2 - q);
	u256 U = mul_pow10(4 * m + 2, k);
	u256 L = mul_pow10(low_binade ? 4 * m - 1 : 4 * m - 2, k);
	int cu = cmp(&a, &U), cl = cmp(&a, &L);
	if (cu < 0 && cl > 0)
		return 0;
	if (cu == 0)                     /* a tie goes to the even mantissa */
		return (m & 1) ? 1 : 0;
	if (cl == 0)
		return (m & 1) ? -1 : 0;
	return cu > 0 ? 1 : -1;
}

/* Does N 10^-(P-1-E) read back to m 2^q? */
static int reads_back(uint64_t N, int P, int E, uint64_t m, int q, int low_binade)
{
	return against(N, P - 1 - E, m, q, low_binade) == 0;
}

/* The double nearest to w 10^-k (0 <= k <= 44, w > 0), correctly rounded:
 * an estimate within a few ulps, then the exact interval test moves it.
 * Returns 0 when the value is outside this method's range (use strtod). */
int kx_decimal_to_double(uint64_t w, int k, double *out);
int kx_decimal_to_double(uint64_t w, int k, double *out)
{
	static const double p22[23] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	if (k < 0 || k > 44 || w == 0)
		return 0;
	double d = (double)w;
	d = k > 22 ? d / p22[22] / p22[k - 22] : d / p22[k];
	for (int it = 0; it < 8; it++) {
		uint64_t bits;
		memcpy(&bits, &d, 8);
		int be = (int)((bits >> 52) & 0x7ff);
		if (be == 0 || be == 0x7ff)
			return 0;
		uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
		int q = be - 1075;
		if (q > 0 || 2 - q > 190)
			return 0;
		int side = against(w, k, m, q, m == (1ULL << 52) && be > 1);
		if (side == 0) {
			*out = d;
			return 1;
		}
		d = nextafter(d, side > 0 ? INFINITY : 0);
	}
	return 0;
}

/* Write N (P digits, decimal exponent E) as printf's %.Pg would. */
static size_t format_g(char *dst, int neg, uint64_t N, int P, int E)
{
	char d[20];
	for (int i = P - 1; i >= 0; i--) {
		d[i] = (char)('0' + N % 10);
		N /= 10;
	}
	int nd = P;
	while (nd > 1 && d[nd - 1] == '0')
		nd--;                          /* %g drops trailing zeros */
	char *p = dst;
	if (neg)
		*p++ = '-';
	if (E < -4 || E >= P) {              /* d.ddde+XX */
		*p++ = d[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, d + 1, (size_t)nd - 1);
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = E < 0 ? '-' : '+';
		int x = E < 0 ? -E : E;
		if (x >= 100)
			*p++ = (char)('0' + x / 100);
		*p++ = (char)('0' + x / 10 % 10);
		*p++ = (char)('0' + x % 10);
	} else if (E >= 0) {                 /* ddd.ddd */
		int ip = E + 1;
		for (int i = 0; i < ip; i++)
			*p++ = i < nd ? d[i] : '0';
		if (nd > ip) {
			*p++ = '.';
			memcpy(p, d + ip, (size_t)(nd - ip));
			p += nd - ip;
		}
	} else {                             /* 0.000ddd */
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -E - 1; i++)
			*p++ = '0';
		memcpy(p, d, (size_t)nd);
		p += nd;
	}
	*p = 0;
	return (size_t)(p - dst);
}

int kx_dtoa_shortest(char *dst, double v, size_t *len)
{
	uint64_t bits;
	memcpy(&bits, &v, 8);
	int neg = (int)(bits >> 63);
	int be = (int)((bits >> 52) & 0x7ff);
	if (be == 0 || be == 0x7ff)
		return 0;                        /* zero, subnormal, non-finite: printf */
	uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
	int q = be - 1075;
	if (q > 0)
		return 0;
	int low = (m == (1ULL << 52)) && be > 1;
	double a = neg ? -v : v;
	int E0 = (int)floor(log10(a));
	for (int P = 15; P <= 17; P++) {
		uint64_t N;
		int E;
		if (!digits(m, q, P, E0, &N, &E))
			return 0;
		if (P == 17 || reads_back(N, P, E, m, q, low)) {
			*len = format_g(dst, neg, N, P, E);
			return 1;
		}
	}
	return 0;
}
