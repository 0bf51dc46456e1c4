/*
 * fuzz_attn.c — attn-scale-sweep's --input records (lib/io_attn.c) on
 * arbitrary bytes.  The first byte picks the format (auto, json, text, f32,
 * f64), the score normalisation (sqrt-d, cos, none) and the score key
 * ("scores" or "s"); the second the -n and -d checks (a raw record is -n
 * scores, as in the program).  Every record goes through kx_attn_take_record
 * as the program reads it; then the store must be consistent (offsets,
 * lengths, -n, every score finite: masked ones dropped, q.k beyond the double
 * range refused) and the samples are swept at a few alphas as the program
 * does, each mean in [0, alpha].  Nothing may crash, leak or read out of
 * bounds.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "kx.h"
#include "attn.h"
#include "io_attn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_store(const kx_attn_store *st, const kx_attn_rd_opts *ro)
{
	if (st->T == 0)
		return;
	if (st->off[0] != 0 || st->off[st->T] != st->ns || st->ns > st->scap)
		abort();
	for (size_t t = 0; t < st->T; t++) {
		size_t len = st->off[t + 1] - st->off[t];
		if (st->off[t + 1] <= st->off[t])
			abort();                      /* every sample keeps a score */
		if (st->type == 1 && ro->n_check && len != (size_t)ro->n_check)
			abort();                      /* q/k: one score per key, -n keys */
		if (st->type == 2 && ro->n_check && len > (size_t)ro->n_check)
			abort();                      /* scores: -n, fewer when masked */
		if (!st->n_varies && len != st->n)
			abort();
	}
	for (size_t i = 0; i < st->ns; i++)
		if (!isfinite(st->s[i]))
			abort();                      /* masked scores dropped, q.k beyond range refused */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static const int fmts[] = { KX_FMT_AUTO, KX_FMT_JSON, KX_FMT_TEXT, KX_FMT_F32, KX_FMT_F64 };
	int fmt = fmts[data[0] % 5];
	int raw = fmt == KX_FMT_F32 || fmt == KX_FMT_F64;
	kx_attn_rd_opts ro = { data[1] & 7, (data[1] >> 3) & 7, (data[0] / 5) % 3,
	                       (data[0] / 15) % 2 ? "s" : "scores" };
	if (raw && !ro.n_check)
		ro.n_check = 1 + (data[1] >> 6);    /* raw input needs -n */
	FILE *f = size > 2 ? fmemopen((void *)(data + 2), size - 2, "rb") : fopen("/dev/null", "rb");
	if (!f)
		return 0;
	kx_reader *rd = kx_reader_open_stream(fmt, raw ? (size_t)ro.n_check : 0, f, "fuzz");
	kx_attn_store st = { 0 };
	kx_rec rec = { 0 };
	char err[512];
	for (int n = 0; n < 1000; n++) {
		int r = kx_read(rd, &rec, err, sizeof err);
		if (r == 0)
			break;
		if (r > 0)
			kx_attn_take_record(&st, &ro, &rec, err, sizeof err);
		check_store(&st, &ro);
	}
	kx_rec_free(&rec);
	kx_reader_close(rd);
	fclose(f);
	if (st.T) {
		kx_attn_to_gaps(st.s, st.off, st.T, 0);
		kx_attn_samples S = { st.s, st.off, st.T, 0, 1 };
		double *work = malloc(st.T * sizeof *work);
		static const double alphas[] = { 0, 0.05, 1, 20, 500 };
		for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++) {
			kx_attn_point pt;
			kx_attn_eval(&S, alphas[i], 1, work, &pt);
			if (!(pt.mean >= 0 && pt.mean <= alphas[i]))
				abort();                      /* G = alpha (1 - sum p^2) in [0, alpha] */
		}
		free(work);
	}
	kx_attn_store_free(&st);
	return 0;
}
