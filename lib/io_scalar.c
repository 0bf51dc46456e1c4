/* io_scalar.c — one finite number per record (io_scalar.h). */
#include "io_scalar.h"

int kx_rec_scalar(const kx_rec *rec, const char *key, double *u, char *err, size_t errsz)
{
	switch (rec->kind) {
	case KX_REC_NUMBER:
		*u = rec->x.v[0];
		break;
	case KX_REC_ARRAY:
		if (rec->fmt == KX_FMT_JSON) {
			snprintf(err, errsz, "expected one number per record, got an array of %zu", rec->x.n);
			return -1;
		}
		if (rec->x.n != 1) {
			snprintf(err, errsz, "expected one number per record, got %zu numbers", rec->x.n);
			return -1;
		}
		*u = rec->x.v[0];
		break;
	case KX_REC_BATCH:
		snprintf(err, errsz, "expected one number per record, got an array of %zu", rec->x.rows);
		return -1;
	case KX_REC_OBJECT: {
		int st = kx_rec_num(rec, key, u, err, errsz);
		if (st == 1)
			snprintf(err, errsz, "no \"%s\" in the object", key);
		if (st)
			return -1;
		break;
	}
	default:
		snprintf(err, errsz, "expected a number, got %s", kx_json_kind(rec->json));
		return -1;
	}
	if (!(*u - *u == 0)) {        /* NaN or infinite: it would poison every later state */
		snprintf(err, errsz, "expected a finite sample");
		return -1;
	}
	return 0;
}
