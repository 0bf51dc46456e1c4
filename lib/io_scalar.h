/*
 * io_scalar.h — a stream of scalars, one per record (hippo-discretize's
 * samples): a JSON number, an object holding it under a key, a text line of one
 * number, or a raw record of one value.  Arrays are rejected, not guessed at.
 */
#ifndef KX_IO_SCALAR_H
#define KX_IO_SCALAR_H

#include "kx.h"

/* The finite number in rec (under key for an object).  0 ok; -1 with a message
 * in err: "expected one number per record, got an array of 3", "no \"u\" in the
 * object", "expected a finite sample", ... */
int kx_rec_scalar(const kx_rec *rec, const char *key, double *u, char *err, size_t errsz);

#endif
