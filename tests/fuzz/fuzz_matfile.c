/*
 * fuzz_matfile.c — matrix files (.npy v1-3, JSON, JSON Lines, raw) on
 * arbitrary bytes: the first byte picks the file name's ending and the raw
 * width; the rest is written to a temporary file and loaded.
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "kx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const ends[] = { ".npy", ".json", ".jsonl", ".f32", ".f64", ".dat" };
	char path[64];
	snprintf(path, sizeof path, "/tmp/kx_fuzz_%d%s", (int)getpid(), ends[data[0] % 6]);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	kx_array a;
	char err[256];
	if (kx_load_array(path, data[0] & 0x80 ? KX_FMT_F32 : KX_FMT_NONE, (data[0] >> 4) & 7, &a, err,
	                  sizeof err) == 0)
		kx_array_free(&a);
	remove(path);
	return 0;
}
