/* test_rng.c — the generator's known answers (conventions.md 5; lora.md 7.1;
 * attn-scale.md 4.4), pinned so a change can never pass unnoticed. */
#include <stdio.h>
#include "rng.h"
#include "tap.h"

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
