/*
 * fuzz_jsonl.c — the record reader and writer on arbitrary bytes.  The first
 * byte picks the format (auto, json, text, f32, f64) and the raw width; every
 * record is read, its object fields are looked up the ways the programs do,
 * and it is written back as JSON and text (pass-through included) to
 * /dev/null.  Nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const int fmts[] = { KX_FMT_AUTO, KX_FMT_JSON, KX_FMT_TEXT, KX_FMT_F32, KX_FMT_F64 };
	int fmt = fmts[data[0] % 5];
	size_t dim = 1 + (data[0] >> 4);
	FILE *f = fmemopen((void *)(data + 1), size - 1 > 0 ? size - 1 : 1, "rb");
	if (!f)
		return 0;
	if (size == 1) {
		fclose(f);
		f = fopen("/dev/null", "rb");
	}
	kx_reader *rd = kx_reader_open_stream(fmt, dim, f, "fuzz");
	kx_out o = { .f = fopen("/dev/null", "wb"), .path = "null", .fmt = KX_FMT_JSON };
	kx_rec rec = { 0 };
	kx_mat m = { 0 };
	char err[256];
	for (int n = 0; n < 10000; n++) {
		int st = kx_read(rd, &rec, err, sizeof err);
		if (st == 0)
			break;
		if (st < 0)
			continue;
		kx_result res;
		memset(&res, 0, sizeof res);
		long long t;
		double u;
		if (rec.kind == KX_REC_OBJECT) {
			if (kx_rec_mat(&rec, "x", 1, &m, err, sizeof err) == 0)
				kx_res_mat(&res, "p", m.v, m.off, m.rows);
			kx_rec_int(&rec, "t", &t, err, sizeof err);
			kx_rec_num(&rec, "u", &u, err, sizeof err);
			kx_rec_get(&rec, "q");
		} else if (rec.kind != KX_REC_OTHER) {
			kx_res_mat(&res, "x", rec.x.v, rec.x.off, rec.x.rows);
			res.per_row = rec.x.batch;
		}
		kx_res_num(&res, "n", 0.5);
		kx_res_str(&res, "s", "a\"b\\\n");
		o.fmt = KX_FMT_JSON;
		kx_write(&o, &rec, &res);
		o.fmt = KX_FMT_TEXT;
		kx_write(&o, &rec, &res);
	}
	kx_rec_free(&rec);
	kx_mat_free(&m);
	kx_reader_close(rd);
	fclose(f);
	fclose(o.f);
	kx_buf_free(&o.buf);
	return 0;
}
