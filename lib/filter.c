/* filter.c — the read-process-write loop every filter program runs
 * (conventions.md 1 and 4: one output per input, nothing lost, -K). */
#include <string.h>
#include "kx.h"

int kx_filter(const kx_common *c, kx_reader *rd, kx_out *o, kx_process_fn fn,
              void *ctx, kx_counts *counts)
{
	kx_rec rec = { 0 };
	kx_result res;
	char err[512], where[300];
	int status = 0;
	kx_counts cnt = { 0 };
	for (;;) {
		err[0] = 0;
		int st = kx_read(rd, &rec, err, sizeof err);
		if (st == 0)
			break;
		cnt.records++;
		if (st > 0) {
			memset(&res, 0, sizeof res);
			st = fn(ctx, &rec, &res, err, sizeof err);
			if (st == KX_OK || (st == KX_FATAL && res.n > 0))
				kx_write(o, &rec, &res);
			if (st == KX_OK || st == KX_SKIP)
				continue;
			if (st == KX_FATAL) {
				fflush(o->f);
				kx_error("%s: %s", kx_rec_where(&rec, where, sizeof where), err);
				status = 1;
				break;
			}
		}
		cnt.bad++;
		fflush(o->f);           /* what came before the message is out before it */
		kx_error("%s: %s", kx_rec_where(&rec, where, sizeof where), err);
		status = 1;
		if (!c->keep_going)
			break;
	}
	kx_rec_free(&rec);
	if (counts)
		*counts = cnt;
	return status;
}
