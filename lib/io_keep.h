/*
 * io_keep.h — keep an object record past the next kx_read (the reader reuses
 * its line buffer): its text, field names and spans copied into memory of its
 * own, so that kx_write can echo its fields later (hippo-discretize's run mode
 * writes the last sample's record at the end of the stream).
 */
#ifndef KX_IO_KEEP_H
#define KX_IO_KEEP_H

#include "kx.h"

typedef struct kx_kept {
	kx_rec rec;          /* an OBJECT record whose pointers point into text and names */
	kx_buf text, names;  /* owned copies */
	int valid;           /* 1 after kx_keep */
} kx_kept;

/* Copy rec (an OBJECT record) into k, replacing what k held. */
void kx_keep(kx_kept *k, const kx_rec *rec);
void kx_kept_free(kx_kept *k);

#endif
