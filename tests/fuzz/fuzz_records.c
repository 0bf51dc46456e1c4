/*
 * fuzz_records.c — the programs' own record shapes on arbitrary bytes.  The
 * first byte picks the parser:
 *   0  sid-step's state object (sid_state_parse); a state that parses must
 *      print and parse again to the same text (round trip);
 *   1  lora-init's layer records: overrides, "w0" and "grads" matrices;
 *   2  vq-encode's partial objects (k-means map step) into a K=2, D=2 merge;
 *   3  vq-encode's records: vectors, and q/k/v attention matrices.
 * Nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "kx.h"
#include "io_state.h"
#include "io_lora.h"
#include "io_vq.h"
#include "kmeans.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sid_shape(const char *s, size_t n)
{
	sid_state st;
	memset(&st, 0, sizeof st);
	long long line;
	char err[256];
	if (sid_state_parse(s, n, &st, &line, err, sizeof err) == 0) {
		sid_config_check(&st.cfg, err, sizeof err);
		kx_buf a = { 0 }, b = { 0 };
		sid_metrics m;
		memset(&m, 0, sizeof m);
		sid_state_print(&a, &st, &m, 0);
		sid_state s2;
		memset(&s2, 0, sizeof s2);
		if (sid_state_parse(a.s, a.len, &s2, &line, err, sizeof err) != 0)
			abort();                       /* what we print must read back */
		sid_state_print(&b, &s2, &m, 0);
		if (a.len != b.len || memcmp(a.s, b.s, a.len))
			abort();                       /* and print the same */
		sid_state_free(&s2);
		kx_buf_free(&a);
		kx_buf_free(&b);
		(void)m;
	}
	sid_state_free(&st);
}

static void record_shapes(int which, const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
	if (!f)
		return;
	kx_reader *rd = kx_reader_open_stream(KX_FMT_JSON, 1, size ? f : NULL, "fuzz");
	if (!size) {
		kx_reader_close(rd);
		fclose(f);
		return;
	}
	kx_rec rec = { 0 };
	kx_mat m = { 0 }, tmp = { 0 };
	char err[256];
	kx_km_acc acc;
	kx_km_acc_init(&acc, 2, 2);
	kx_partial_cands pc = { 0 };
	for (int n = 0; n < 1000; n++) {
		int st = kx_read(rd, &rec, err, sizeof err);
		if (st == 0)
			break;
		if (st < 0)
			continue;
		if (which == 1 && rec.kind == KX_REC_OBJECT) {
			kx_lora_opts o;
			memset(&o, 0, sizeof o);
			kx_lora_overrides(&rec, &o, err, sizeof err);
			const kx_span *w0 = kx_rec_span(&rec, "w0"), *gs = kx_rec_span(&rec, "grads");
			size_t R = 0, C = 0;
			int flat = 0;
			if (w0 && kx_lora_read_matrix(&m, "\"w0\"", w0->val, w0->vallen, o.rows, o.cols, &R, &C,
			                              &flat, err, sizeof err) == 0 && gs && R * C < ((size_t)1 << 16)) {
				double *accg = calloc(R * C > 0 ? R * C : 1, sizeof *accg);
				kx_lora_read_grads(&m, gs->val, gs->vallen, o.rows, o.cols, R, C, flat, accg, err, sizeof err);
				free(accg);
			}
		} else if (which == 2 && rec.json) {
			long long cnt = 0;
			kx_partial_read(rec.json, &acc, &pc, &cnt, err, sizeof err);
		} else if (which == 3) {
			size_t D = 0, rows, cols;
			const double *v;
			int batch;
			kx_rec_vectors(&rec, "x", &tmp, &D, &v, &rows, &batch, err, sizeof err);
			if (rec.kind == KX_REC_OBJECT) {
				kx_rec_matrix(&rec, "q", 1, &m, &cols, err, sizeof err);
				kx_rec_matrix(&rec, "k", 0, &m, &cols, err, sizeof err);
			}
		}
	}
	kx_partial_cands_sort(&pc);
	kx_partial_cands_free(&pc);
	kx_km_acc_free(&acc);
	kx_rec_free(&rec);
	kx_mat_free(&m);
	kx_mat_free(&tmp);
	kx_reader_close(rd);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 4;
	if (which == 0)
		sid_shape((const char *)data + 1, size - 1);
	else
		record_shapes(which, data + 1, size - 1);
	return 0;
}
