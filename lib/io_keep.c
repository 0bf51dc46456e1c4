/* io_keep.c — keep an object record past the next kx_read (io_keep.h). */
#include <stdlib.h>
#include <string.h>
#include "io_keep.h"

void kx_keep(kx_kept *k, const kx_rec *rec)
{
	size_t nf = rec->nfields;
	k->text.len = 0;
	k->names.len = 0;
	kx_buf_put(&k->text, rec->text, rec->len);
	if (k->rec.fcap < nf) {
		k->rec.fcap = nf;
		k->rec.fields = kx_realloc(k->rec.fields, nf * sizeof *k->rec.fields);
	}
	/* names first (the buffer may move while it grows), then the pointers */
	size_t *noff = kx_malloc((nf + 1) * sizeof *noff);
	for (size_t i = 0; i < nf; i++) {
		noff[i] = k->names.len;
		kx_buf_put(&k->names, rec->fields[i].name, strlen(rec->fields[i].name) + 1);
	}
	for (size_t i = 0; i < nf; i++) {
		const kx_span *sp = &rec->fields[i];
		k->rec.fields[i] = (kx_span){ .name = k->names.s + noff[i],
			.key = k->text.s + (sp->key - rec->text), .keylen = sp->keylen,
			.val = k->text.s + (sp->val - rec->text), .vallen = sp->vallen };
	}
	free(noff);
	k->rec.kind = KX_REC_OBJECT;
	k->rec.fmt = rec->fmt;
	k->rec.text = k->text.s;
	k->rec.len = rec->len;
	k->rec.nfields = nf;
	k->valid = 1;
}

void kx_kept_free(kx_kept *k)
{
	kx_buf_free(&k->text);
	kx_buf_free(&k->names);
	free(k->rec.fields);
	memset(k, 0, sizeof *k);
}
