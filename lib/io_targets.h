/*
 * io_targets.h — the per-row arguments an object record may carry beside its
 * scores (softmax.md 4.5): the target "t" (an integer, or for a batch a list
 * with one integer per row) and a tangent or cotangent ("v", "g") with
 * exactly the shape of x.  Shared by the programs that take them; the
 * messages follow softmax.md 4.7.
 */
#ifndef KX_IO_TARGETS_H
#define KX_IO_TARGETS_H

#include "kx.h"

/* "t" of the object record in, checked against x (a vector or a batch):
 * integral (1 and 1.0 alike) and in [0, row length).  t: (x->rows) output,
 * owned by the caller.  why names the option that needs it ("--loss").
 * 0 ok; -1 with a message in err. */
int kx_rec_targets(const kx_rec *in, const kx_mat *x, const char *why, long *t,
                   char *err, size_t errsz);

/* The numbers under key ("v", "g") with exactly the shape of x, into m (the
 * caller's, reused across records).  why names the option ("--jvp").
 * 0 ok; -1 with a message in err (absent, malformed, or another shape). */
int kx_rec_like(const kx_rec *in, const char *key, const char *why, const kx_mat *x,
                kx_mat *m, char *err, size_t errsz);

/* The rows of scores of a record for the row-wise programs (softmax.md 4.5):
 * an array or a batch as read, or the vector or batch under key of an object
 * (parsed into xo, the caller's, reused across records).  need: the record key
 * ("t", "v" or "g") some option needs and why that option's name, or NULL:
 * an array record then is bad.  Every row must be non-empty and, when dim > 0,
 * hold dim values.  Returns the rows, with the longest row's length in
 * *maxrow, or NULL with a message in err. */
const kx_mat *kx_rec_rows(const kx_rec *in, const char *key, const char *need, const char *why,
                          size_t dim, kx_mat *xo, size_t *maxrow, char *err, size_t errsz);

#endif
