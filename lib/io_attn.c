/*
 * io_attn.c — attn-scale-sweep's input records into score samples
 * (attn-scale.md 4.1, 4.7); see io_attn.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_attn.h"
#include "attn.h"

void kx_attn_store_free(kx_attn_store *st)
{
	free(st->s);
	free(st->off);
	free(st->work);
	kx_mat_free(&st->q);
	kx_mat_free(&st->k);
	kx_mat_free(&st->sc);
}

static void push_sample(kx_attn_store *st, const double *s, size_t n)
{
	if (st->ns + n > st->scap) {
		st->scap = 2 * (st->ns + n);
		st->s = kx_realloc(st->s, st->scap * sizeof *st->s);
	}
	if (st->T + 2 > st->ocap) {
		st->ocap = 2 * (st->T + 2);
		st->off = kx_realloc(st->off, st->ocap * sizeof *st->off);
	}
	if (st->T == 0) {
		st->off[0] = 0;
		st->n = n;
	} else if (n != st->n) {
		st->n_varies = 1;
	}
	if (s)
		memcpy(st->s + st->ns, s, n * sizeof *s);
	st->ns += n;
	st->off[++st->T] = st->ns;
}

/* Every number finite; with masked, -Infinity (a masked score) is allowed too. */
static int all_finite(const kx_mat *m, const char *name, int masked, char *err, size_t errsz)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i] - m->v[i] != 0 && !(masked && m->v[i] < 0)) {
			char num[KX_NUMLEN];
			kx_fmt_double(num, m->v[i], 0);
			snprintf(err, errsz, "%s holds a non-finite number (%s); every number must be finite%s",
			         name, num, masked ? " or -Infinity (masked)" : "");
			return -1;
		}
	return 0;
}


/* Score rows m (a vector or a batch): validate, then keep them. */
static int take_scores(kx_attn_store *st, const kx_attn_rd_opts *ro, const kx_mat *m,
                       const char *name, char *err, size_t errsz)
{
	if (m->rows == 0 || m->n == 0) {
		snprintf(err, errsz, "empty score vector");
		return -1;
	}
	size_t n = KX_ROWLEN(m, 0);
	for (size_t r = 0; r < m->rows; r++)
		if (KX_ROWLEN(m, r) != n) {
			snprintf(err, errsz, "%s row %zu has %zu values, expected %zu (the length of row 0)",
			         name, r, KX_ROWLEN(m, r), n);
			return -1;
		}
	if (n == 0) {
		snprintf(err, errsz, "empty score vector");
		return -1;
	}
	if (all_finite(m, name, 1, err, errsz) < 0)
		return -1;
	if (ro->n_check && n != (size_t)ro->n_check) {
		snprintf(err, errsz, "%zu scores, expected %lld (-n)", n, ro->n_check);
		return -1;
	}
	/* Masked (-Infinity) scores get p = 0: their e_i = e^-inf = 0 adds exactly
	 * nothing, so they are dropped and the sample keeps its unmasked keys. */
	for (size_t r = 0; r < m->rows; r++) {
		size_t live = 0;
		for (size_t i = 0; i < n; i++)
			live += KX_ROW(m, r)[i] > -INFINITY;
		if (live == 0) {
			snprintf(err, errsz, m->rows > 1 ? "every score of row %zu is masked (-Infinity)"
			                                 : "every score is masked (-Infinity)", r);
			return -1;
		}
	}
	if (n > st->wcap) {
		st->wcap = n;
		st->work = kx_realloc(st->work, st->wcap * sizeof *st->work);
	}
	for (size_t r = 0; r < m->rows; r++) {
		const double *row = KX_ROW(m, r);
		size_t live = 0;
		for (size_t i = 0; i < n; i++)
			if (row[i] > -INFINITY)
				st->work[live++] = row[i];
		push_sample(st, st->work, live);
	}
	return 0;
}

static int take_qk(kx_attn_store *st, const kx_attn_rd_opts *ro, const kx_rec *rec, char *err,
                   size_t errsz)
{
	int a = kx_rec_mat(rec, "q", 1, &st->q, err, errsz);
	if (a == 1) {
		snprintf(err, errsz, "\"k\" without \"q\"");
		return -1;
	}
	int b = a < 0 ? -1 : kx_rec_mat(rec, "k", 1, &st->k, err, errsz);
	if (b == 1)
		snprintf(err, errsz, "\"q\" without \"k\"");
	if (a < 0 || b != 0)
		return -1;
	const kx_mat *q = &st->q, *k = &st->k;
	if (q->rows == 0 || KX_ROWLEN(q, 0) == 0) {
		snprintf(err, errsz, "empty q");
		return -1;
	}
	if (k->rows == 0 || k->n == 0) {
		snprintf(err, errsz, "empty k");
		return -1;
	}
	if (!k->batch) {
		snprintf(err, errsz, "\"k\" must be an array of rows (one per key), even for one key");
		return -1;
	}
	size_t d = KX_ROWLEN(q, 0);
	if (ro->d_check && d != (size_t)ro->d_check) {
		snprintf(err, errsz, "q has %zu values, expected %lld (-d)", d, ro->d_check);
		return -1;
	}
	for (size_t r = 1; r < q->rows; r++)
		if (KX_ROWLEN(q, r) != d) {
			snprintf(err, errsz, "q row %zu has %zu values, expected %zu (the length of q row 0)",
			         r, KX_ROWLEN(q, r), d);
			return -1;
		}
	for (size_t r = 0; r < k->rows; r++)
		if (KX_ROWLEN(k, r) != d) {
			snprintf(err, errsz, "k row %zu has %zu values, expected %zu (the length of q)", r,
			         KX_ROWLEN(k, r), d);
			return -1;
		}
	if (all_finite(q, "q", 0, err, errsz) < 0 || all_finite(k, "k", 0, err, errsz) < 0)
		return -1;
	size_t n = k->rows;
	if (ro->n_check && n != (size_t)ro->n_check) {
		snprintf(err, errsz, "k has %zu rows, expected %lld (-n)", n, ro->n_check);
		return -1;
	}
	if (2 * d > st->wcap) {
		st->wcap = 2 * d;
		st->work = kx_realloc(st->work, st->wcap * sizeof *st->work);
	}
	/* Finite q and k can still give a score beyond the double range (|q.k| >
	 * 1.8e308: +-Infinity, or NaN from Infinity - Infinity), which would make
	 * every statistic NaN: such a record is bad, and the store is left as it was. */
	size_t T0 = st->T, ns0 = st->ns, n0 = st->n;
	int n_varies0 = st->n_varies;
	for (size_t r = 0; r < q->rows; r++) {
		push_sample(st, NULL, n);
		double *s = st->s + st->ns - n;
		kx_attn_scores(KX_ROW(q, r), k->v, n, d, ro->norm, st->work, s);
		for (size_t i = 0; i < n; i++)
			if (s[i] - s[i] != 0) {
				if (q->rows > 1)
					snprintf(err, errsz, "the score of q row %zu and k row %zu is beyond the "
					         "double range; scale q and k down", r, i);
				else
					snprintf(err, errsz, "the score of q and k row %zu is beyond the double "
					         "range; scale q and k down", i);
				st->T = T0, st->ns = ns0, st->n = n0, st->n_varies = n_varies0;
				return -1;
			}
	}
	if (T0 == 0)
		st->d = d;
	else if (d != st->d)
		st->d_varies = 1;
	return 0;
}

int kx_attn_take_record(kx_attn_store *st, const kx_attn_rd_opts *ro, const kx_rec *rec,
                        char *err, size_t errsz)
{
	int type;
	if (rec->kind == KX_REC_ARRAY || rec->kind == KX_REC_BATCH) {
		type = 2;
	} else if (rec->kind == KX_REC_OBJECT) {
		int qk = kx_rec_span(rec, "q") || kx_rec_span(rec, "k");
		int sc = kx_rec_span(rec, ro->key) != NULL;
		if (qk && sc) {
			snprintf(err, errsz, "the object has both q/k and \"%s\"; expected one of them", ro->key);
			return -1;
		}
		if (!qk && !sc) {
			snprintf(err, errsz, "expected \"q\" and \"k\", or \"%s\", in the object", ro->key);
			return -1;
		}
		type = qk ? 1 : 2;
	} else {
		snprintf(err, errsz, "expected an object with \"q\" and \"k\" or \"%s\", or an array of "
		         "scores, got %s", ro->key,
		         rec->kind == KX_REC_NUMBER ? "a number" : kx_json_kind(rec->json));
		return -1;
	}
	if (st->type && type != st->type) {
		snprintf(err, errsz, "a %s record after %s records (the first record decides the type)",
		         type == 1 ? "q/k" : "score", st->type == 1 ? "q/k" : "score");
		return -1;
	}
	int rc;
	if (type == 1) {
		rc = take_qk(st, ro, rec, err, errsz);
	} else if (rec->kind == KX_REC_OBJECT) {
		rc = kx_rec_mat(rec, ro->key, 1, &st->sc, err, errsz);
		if (rc == 0)
			rc = take_scores(st, ro, &st->sc, ro->key, err, errsz);
	} else {
		rc = take_scores(st, ro, &rec->x, "scores", err, errsz);
	}
	if (rc == 0)
		st->type = type;
	return rc;
}
