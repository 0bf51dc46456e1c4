/* test_rng.c — the generator's known answers (conventions.md 5; lora.md 7.1;
 * attn-scale.md 4.4), pinned so a change can never pass unnoticed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"
#include "vmath.h"
#include "tap.h"

/* |got - want| in units of the last place of want (long double reference). */
static double ulps(double got, long double want)
{
	double w = fabs((double)want);
	double u = nextafter(w, INFINITY) - w;
	return (double)fabsl((long double)got - want) / u;
}

/* The same loop over vmath.h compiled for three instruction sets: gcc
 * vectorises it with SSE2, AVX2 and AVX-512; the bits must not differ. */
#define VM_LOOP(name, attr) \
	attr static void name(const double *x, const double *th, double *l, double *s, double *c, size_t n) \
	{ \
		for (size_t i = 0; i < n; i++) { \
			l[i] = kx_log_pos(x[i]); \
			kx_sincos_2pi(th[i], &s[i], &c[i]); \
		} \
	}
VM_LOOP(vm_base, )
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
VM_LOOP(vm_avx2, __attribute__((target("avx2"))))
VM_LOOP(vm_avx512, __attribute__((target("avx512f"))))
#define VM_CLONES 1
#endif

static const struct {
	uint64_t seed;
	uint64_t state[4], out[4];
	double uni[4], nor[4];
} ka[] = {
	{ 0, { 0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL, 0x06c45d188009454fULL, 0xf88bb8a8724c81ecULL },
	  { 0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL, 0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL },
	  { 0.6012629994179048, 0.7477740925472398, 0.10301998939503632, 0.4165890778296456 },
	  { -0.01896499060631051, -1.3559302271143727, -0.40372109705088766, 0.23335097938940202 } },
	{ 42, { 0x989b3f130a063869ULL, 0x290db4bf2570ded7ULL, 0x2a990be63a01b2d5ULL, 0x0c4b6b24ef01890eULL },
	  { 0xb462ccca6b95e916ULL, 0xdcc682e2fceb679bULL, 0xcdb5d6caea1791caULL, 0x39fd2ac2b7055753ULL },
	  { 0.7046325678052977, 0.8624040416879502, 0.8035558934589899, 0.22651927236349434 },
	  { 1.0135608044283277, -1.1881771018453364, 0.26520024011674737, 1.7844953065446403 } },
	{ 12345, { 0x7fb6fc5796d17578ULL, 0x754815eddc74663eULL, 0x89cfc8704f7e2f30ULL, 0xfc0ce1a042542133ULL },
	  { 0xd5ed67e03afc744dULL, 0xd1784183c4d0617fULL, 0x95033bb1e9e898c4ULL, 0x6d30aef80d6611a1ULL },
	  { 0.8356537744939361, 0.818241209669226, 0.5820805844649918, 0.4265241008373766 },
	  { 0.7901040635391875, -1.728379431559388, -1.1826721228217314, 0.5884045815500376 } },
	{ 0xffffffffffffffffULL,
	  { 0xa577782bc52a9f5aULL, 0xb485244380e590beULL, 0x5176985d86cff511ULL, 0x07508e53b617b6c7ULL },
	  { 0xb3afeed42d38b55bULL, 0xab3eb9a3960e89a9ULL, 0x25c542baba284f1aULL, 0x8fa2afc568dfbda9ULL },
	  { 0.7019032733926192, 0.6689258598690292, 0.14754120882767652, 0.5610761506039798 },
	  { -0.758721771292548, -1.3583135838943015, -0.5239347498890001, -0.21154951535274993 } },
};

int main(void)
{
	char what[160];
	for (size_t c = 0; c < sizeof ka / sizeof ka[0]; c++) {
		kx_rng g;
		kx_rng_seed(&g, ka[c].seed, 0);
		int ok = 1;
		for (int i = 0; i < 4; i++)
			ok &= g.s[i] == ka[c].state[i];
		snprintf(what, sizeof what, "seed %llu: splitmix64 fills the state words", (unsigned long long)ka[c].seed);
		tap_ok(ok, what);
		ok = 1;
		for (int i = 0; i < 4; i++)
			ok &= kx_rng_next(&g) == ka[c].out[i];
		snprintf(what, sizeof what, "seed %llu: first xoshiro256** outputs", (unsigned long long)ka[c].seed);
		tap_ok(ok, what);
		kx_rng_seed(&g, ka[c].seed, 0);
		ok = 1;
		for (int i = 0; i < 4; i++)
			ok &= kx_rng_uniform(&g) == ka[c].uni[i];
		snprintf(what, sizeof what, "seed %llu: first uniforms, bit for bit", (unsigned long long)ka[c].seed);
		tap_ok(ok, what);
		kx_rng_seed(&g, ka[c].seed, 0);
		ok = 1;
		for (int i = 0; i < 4; i++)
			ok &= tap_close(kx_rng_normal(&g), ka[c].nor[i], 1e-15, 1e-16);
		snprintf(what, sizeof what, "seed %llu: first Box-Muller normals", (unsigned long long)ka[c].seed);
		tap_ok(ok, what);
	}
	/* the published reference: from the state {1, 2, 3, 4} */
	kx_rng g = { { 1, 2, 3, 4 }, 0, 0 };
	uint64_t ref[4] = { 11520, 0, 1509978240, 1215971899390074240ULL };
	int ok = 1;
	for (int i = 0; i < 4; i++)
		ok &= kx_rng_next(&g) == ref[i];
	tap_ok(ok, "xoshiro256** from {1,2,3,4} gives the reference outputs");
	tap_ok(kx_mix64(0) == 0, "mix(0) = 0");
	tap_ok(kx_mix64(1) == 0x5692161D100B05E5ULL, "mix(1) = 0x5692161D100B05E5");
	kx_rng_seed(&g, 1, 0);
	tap_ok(kx_rng_next(&g) == 0xFC72158253F7415EULL && kx_rng_next(&g) == 0x1FDD9141B20D58B1ULL,
	       "seed 1: first outputs");
	/* record k starts at mix(S) + k */
	kx_rng a, b;
	kx_rng_seed(&a, 7, 3);
	kx_rng_seed_state(&b, kx_mix64(7) + 3);
	tap_ok(a.s[0] == b.s[0] && a.s[3] == b.s[3], "record k of seed S starts splitmix64 at mix(S)+k");
	/* the cached normal survives uniform draws */
	kx_rng_seed(&a, 0, 0);
	kx_rng_normal(&a);
	kx_rng_uniform(&a);
	tap_near(kx_rng_normal(&a), -1.3559302271143727, 1e-15, 1e-16, "a uniform draw leaves the cached normal alone");
	/* vmath.h: log below 1 ulp on 1 - u, sincos below 1 ulp on 2 pi u, u
	 * uniform (10^6 each), and near the multiples of pi/2 where the
	 * reduction cancels; the three instruction sets agree bit for bit. */
	{
		enum { N = 1000000 };
		double *x = malloc(N * sizeof *x), *th = malloc(N * sizeof *th);
		double *out = malloc(6 * (size_t)N * sizeof *out);
		kx_rng_seed(&a, 11, 0);
		for (int i = 0; i < N; i++) {
			x[i] = 1.0 - kx_rng_uniform(&a);
			th[i] = 6.283185307179586 * kx_rng_uniform(&a);
		}
		x[0] = 0x1p-53;
		x[1] = 1;
		x[2] = 0.5;
		x[3] = 1 - 0x1p-53;
		for (int k = 1; k <= 4; k++)            /* around k pi/2 */
			for (int j = 0; j < 40; j++) {
				double y = k * 1.5707963267948966;
				for (int m = 0; m < j / 2; m++)
					y = nextafter(y, j % 2 ? 10.0 : 0.0);
				th[(k - 1) * 40 + j] = y;
			}
		th[200] = 0;
		double *l = out, *s = out + N, *c = out + 2 * (size_t)N;
		vm_base(x, th, l, s, c, N);
		double el = 0, es = 0, ec = 0;
		for (int i = 0; i < N; i++) {
			double e = x[i] == 1 ? (l[i] == 0 ? 0 : 9) : ulps(l[i], logl(x[i]));
			el = e > el ? e : el;
			e = ulps(s[i], sinl(th[i]));
			es = th[i] == 0 ? (s[i] == 0 ? es : 9) : e > es ? e : es;
			e = ulps(c[i], cosl(th[i]));
			ec = e > ec ? e : ec;
		}
		/* the reference needs long double wider than double (valgrind
		 * computes x87 arithmetic in double: skip there) */
		volatile long double one = 1;
		if (one + 0x1p-60L != one) {
			snprintf(what, sizeof what, "kx_log_pos below 1 ulp on 10^6 points (max %.3f)", el);
			tap_ok(el < 1, what);
			snprintf(what, sizeof what, "kx_sincos_2pi below 1 ulp (max sin %.3f, cos %.3f)", es, ec);
			tap_ok(es < 1 && ec < 1, what);
		} else {
			tap_ok(1, "# SKIP long double is not wider than double here (valgrind)");
			tap_ok(1, "# SKIP long double is not wider than double here (valgrind)");
		}
#ifdef VM_CLONES
		double *l2 = out + 3 * (size_t)N, *s2 = out + 4 * (size_t)N, *c2 = out + 5 * (size_t)N;
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx2")) {
			vm_avx2(x, th, l2, s2, c2, N);
			tap_ok(!memcmp(l, l2, 3 * (size_t)N * sizeof *l), "log and sincos: AVX2 code = baseline, bit for bit");
		} else {
			tap_ok(1, "# SKIP no AVX2");
		}
		if (__builtin_cpu_supports("avx512f")) {
			vm_avx512(x, th, l2, s2, c2, N);
			tap_ok(!memcmp(l, l2, 3 * (size_t)N * sizeof *l), "log and sincos: AVX-512 code = baseline, bit for bit");
		} else {
			tap_ok(1, "# SKIP no AVX-512 (or valgrind)");
		}
#endif
		free(x);
		free(th);
		free(out);
	}
	/* the vectorisable uniform is the uniform, bit for bit */
	{
		int same = 1;
		kx_rng_seed(&a, 13, 0);
		uint64_t edge[] = { 0, 1ULL << 11, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFF800ULL, 0x800ULL | (1ULL << 63) };
		for (int i = 0; i < 1000000 + 5; i++) {
			uint64_t x = i < 5 ? edge[i] : kx_rng_next(&a);
			double u = kx_unit53(x), want = (double)(x >> 11) * 0x1.0p-53;
			same &= !memcmp(&u, &want, sizeof u);
		}
		tap_ok(same, "kx_unit53(x) = (x >> 11) 2^-53 bit for bit (10^6 outputs and the edges)");
	}
	/* the block generator = the scalar one, value for value and in its final
	 * state, whatever the block sizes and wherever the cached value falls */
	{
		enum { N = 200003 };
		double *u = malloc(N * sizeof *u), *v = malloc(N * sizeof *v);
		for (uint64_t seed = 0; seed < 3; seed++) {
			kx_rng_seed(&a, seed, 0);
			kx_rng_seed(&b, seed, 0);
			for (int i = 0; i < N; i++)
				u[i] = kx_rng_normal(&a);
			size_t i = 0, k = 1;
			while (i < N) {
				size_t m = (k * 7919 + seed) % 1500;   /* 0, odd and even sizes, >1024 pairs */
				if (m > N - i)
					m = N - i;
				kx_rng_normals(&b, v + i, m);
				i += m;
				k++;
			}
			int same = !memcmp(u, v, N * sizeof *u) && !memcmp(a.s, b.s, sizeof a.s)
			           && a.has_cached == b.has_cached && (!a.has_cached || a.cached == b.cached);
			snprintf(what, sizeof what, "seed %llu: kx_rng_normals = %d kx_rng_normal draws, bit for bit, same state",
			         (unsigned long long)seed, N);
			tap_ok(same, what);
		}
		/* mixed with uniform draws between the blocks */
		kx_rng_seed(&a, 5, 0);
		kx_rng_seed(&b, 5, 0);
		int same = 1;
		for (int r = 0; r < 100; r++) {
			size_t m = (size_t)(r * 37) % 11;
			kx_rng_normals(&b, v, m);
			for (size_t j = 0; j < m; j++)
				same &= kx_rng_normal(&a) == v[j];
			same &= kx_rng_uniform(&a) == kx_rng_uniform(&b);
		}
		tap_ok(same, "kx_rng_normals between uniform draws: the cached value is shared as by kx_rng_normal");
		/* kx_rng_uniforms: n kx_rng_uniform draws, and the cached normal is left alone */
		same = 1;
		kx_rng_seed(&a, 9, 0);
		kx_rng_seed(&b, 9, 0);
		(void)kx_rng_normal(&a);             /* a cached second normal in both */
		(void)kx_rng_normal(&b);
		for (int r = 0; r < 200; r++) {
			size_t m = (size_t)(r * 53) % 1031;
			kx_rng_uniforms(&b, v, m);
			for (size_t j = 0; j < m; j++)
				same &= kx_rng_uniform(&a) == v[j];
		}
		same &= !memcmp(a.s, b.s, sizeof a.s) && a.has_cached == b.has_cached && a.cached == b.cached;
		same &= kx_rng_normal(&a) == kx_rng_normal(&b);
		tap_ok(same, "kx_rng_uniforms = kx_rng_uniform draws, bit for bit, same state and cached normal");
		free(u);
		free(v);
	}
	/* Lemire: below(n) in range, and uniform enough over 6 bins */
	kx_rng_seed(&a, 3, 0);
	long cnt[6] = { 0 };
	int inrange = 1;
	for (int i = 0; i < 60000; i++) {
		uint64_t v = kx_rng_below(&a, 6);
		inrange &= v < 6;
		if (v < 6) cnt[v]++;
	}
	int flat = 1;
	for (int i = 0; i < 6; i++)
		flat &= cnt[i] > 9500 && cnt[i] < 10500;
	tap_ok(inrange && flat, "below(6): in range, counts within 5% of 10000");
	return tap_done();
}
