/* rawblk.c — raw records a block at a time, for a program's fast path: the
 * operands in order (none, or "-": stdin), each read in blocks of whole
 * records with one fread, the record numbers and the trailing partial record
 * handled as kx_read handles them (conventions 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"

static char *stdin_only[] = { "-" };

void kx_rawblk_open(kx_rawblk *b, int nfiles, char **files, size_t rec, size_t per_block)
{
	*b = (kx_rawblk){ .files = nfiles > 0 ? files : stdin_only, .nfiles = nfiles > 0 ? nfiles : 1,
	                  .rec = rec, .per = per_block ? per_block : 1 };
	b->buf = kx_malloc(b->per * rec);
}

static void close_file(kx_rawblk *b)
{
	if (b->f && b->f != stdin)
		fclose(b->f);
	b->f = NULL;
}

long kx_rawblk_next(kx_rawblk *b, char *err, size_t errsz)
{
	for (;;) {
		if (!b->f) {
			if (b->fi >= b->nfiles)
				return 0;
			b->src = b->files[b->fi++];
			b->f = stdin;
			if (strcmp(b->src, "-")) {
				if (!(b->f = fopen(b->src, "rb")))
					kx_die("%s:", b->src);
			} else {
				b->src = "stdin";
			}
			b->recno = 0;
			b->n = 0;
			b->tail = 0;
			b->eof = 0;
		}
		b->recno += (long long)b->n;       /* the records handed out before */
		b->n = 0;
		if (b->tail) {                     /* the partial record after the last block */
			snprintf(err, errsz, "%s: record %lld: trailing partial record (%zu of %zu bytes)",
			         b->src, b->recno + 1, b->tail, b->rec);
			b->tail = 0;
			close_file(b);
			return -1;
		}
		if (b->eof) {
			close_file(b);
			continue;
		}
		size_t got = fread(b->buf, 1, b->per * b->rec, b->f);
		if (got < b->per * b->rec) {
			if (ferror(b->f))
				kx_die("%s: read error:", b->src);
			b->eof = 1;
			b->tail = got % b->rec;
		}
		b->n = got / b->rec;
		if (b->n)
			return (long)b->n;
	}
}

void kx_rawblk_close(kx_rawblk *b)
{
	close_file(b);
	free(b->buf);
	b->buf = NULL;
}
