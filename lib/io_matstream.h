/*
 * io_matstream.h — read a matrix file in pieces, so a stack of K gradients
 * never has to sit in memory at once (lora.md 8.6).  .npy (v1-3, <f4/<f8, C
 * order) and raw f32/f64 files are streamed; JSON files and standard input
 * are loaded whole with kx_load_array (they are parsed or read once anyway).
 * Format rules as kx_load_array: the name (.npy, .f32, .f64, .json, ...),
 * else the first bytes; raw data only by name or fmt.
 *
 * Ownership: the stream owns its FILE and buffers; kx_matstream_close frees
 * them.  Errors return -1 with a message in err (no program name, no path).
 */
#ifndef KX_IO_MATSTREAM_H
#define KX_IO_MATSTREAM_H

#include <stdio.h>
#include "kx.h"

typedef struct kx_matstream {
	int ndim;            /* 1, 2 or 3 */
	size_t shape[3];     /* the file's shape (raw: (values/dim, dim)) */
	size_t size;         /* values in all */
	/* private */
	FILE *f;             /* streamed files */
	int f32;             /* 4-byte values */
	size_t pos;          /* values delivered so far */
	kx_array whole;      /* JSON and stdin: the loaded array */
	unsigned char *buf;  /* conversion buffer */
	size_t bufcap;
} kx_matstream;

/* Open path (fmt: KX_FMT_NONE, or F32/F64 for raw names; dim: values per raw row). */
int kx_matstream_open(kx_matstream *s, const char *path, int fmt, size_t dim, char *err,
                      size_t errsz);
/* The next n values (in C order) into v. */
int kx_matstream_read(kx_matstream *s, double *v, size_t n, char *err, size_t errsz);
void kx_matstream_close(kx_matstream *s);

#endif
