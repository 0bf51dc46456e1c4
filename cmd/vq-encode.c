/*
 * vq-encode — vector quantisation with an explicit codebook: nearest
 * codewords (l2, cosine, ip) with the exact GEMM fast path, k-means training
 * with exact sums, its map/merge pair, and the Transformer-VQ identity.
 * Posts: Su Jianlin, kexue.fm/archives/9826 and 9844; spec: quantize.md.
 * Leaves out: EMA online training, residual VQ, --max-points (later).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"
#include "io_vq.h"
#include "kmeans.h"
#include "rng.h"
#include "tvq.h"
#include "usage.h"
#include "vq.h"

static const char help[] =
"usage: vq-encode -c FILE [-n N] [-m l2|cosine|ip] [--beta B] [--stats|--stats-only] [FILE...]\n"
"       vq-encode -t K [-c INIT] [--iters N] [--init M] [--empty R] [--redo R] [-s SEED] [FILE...]\n"
"       vq-encode -c CUR --partial [FILE...]      k-means map step (one JSON object)\n"
"       vq-encode -c CUR --merge [PARTIAL...]     k-means merge step (the next codebook)\n"
"       vq-encode -A [-c FILE] [--causal [--block L] [--bias LIST]] [--scale S] [FILE...]\n"
"       vq-encode -c INIT --online [--decay D] [--laplace E] [--dead T] [--save FILE] [FILE...]\n"
"Quantise vectors against a codebook (quantize.md 2, 3).\n"
"  -c, --codebook FILE  K x D codebook: .npy, .json, .jsonl, .f32/.f64 with --dim\n"
"  -n, --neighbors N    the N nearest codewords (1..K; default 1)\n"
"  -m, --metric M       l2 (default), cosine, ip (assign only)\n"
"      --beta B         commit_loss = B * mse in the summary (default 0.25)\n"
"      --stats-only     write the summary instead of the records\n"
"  -t, --train K        k-means over all input; writes K codeword rows\n"
"      --iters N        at most N updates (default 25)\n"
"      --init M         kmeans++ (default), random, first, maximin\n"
"      --empty R        empty codewords: farthest (default) or keep\n"
"      --redo R         R runs from seeds seed..seed+R-1, lowest inertia kept\n"
"      --partial        map step: assign to CUR, emit exact partial sums\n"
"      --merge          merge step: combine partials into the next codebook\n"
"  -A, --attention      records {\"q\",\"k\",\"v\"[,\"codebook\"]}: the Transformer-VQ identity\n"
"      --causal         causal attention; --block L (default 1), --bias b0,..,bw\n"
"      --scale S        score scale (default dk^-1/2)\n"
"      --online         EMA codebook: each record is a batch, assigned then learnt from\n"
"      --decay D, --laplace E, --dead T   EMA decay (0.99), smoothing (1e-5), dead-code threshold (0)\n"
"      --save FILE      the final EMA codebook (.npy or JSON Lines)\n"
"Fields: index dist quantized (assign); codes quadratic linear exact max_abs_diff\n"
"max_rel_diff vq_error flops (-A).\n"
"Common: -i -O -d -f --key -o -K -u --digits --strict-json -q --stats -s -h -V; see vq-encode(1).\n";

enum { M_ASSIGN, M_TRAIN, M_PARTIAL, M_MERGE, M_ATTN, M_ONLINE };
enum { F_INDEX = KX_VQ_F_INDEX, F_DIST = KX_VQ_F_DIST, F_QUANT = KX_VQ_F_QUANT, NAF };
static const char *const afields[] = { "index", "dist", "quantized", NULL };
enum { G_CODES, G_QUAD, G_LIN, G_EXACT, G_ABS, G_REL, G_VQERR, G_FLOPS, NGF };
static const char *const gfields[] = { "codes", "quadratic", "linear", "exact", "max_abs_diff",
                                       "max_rel_diff", "vq_error", "flops", NULL };
static const char *const metrics[] = { "l2", "cosine", "ip", NULL };
static const char *const inits[] = { "kmeans++", "random", "first", "maximin", NULL };
static const char *const empties[] = { "farthest", "keep", NULL };

enum { O_BETA = 256, O_STATS_ONLY, O_ITERS, O_INIT, O_EMPTY, O_REDO, O_PARTIAL, O_MERGE,
       O_CAUSAL, O_BLOCK, O_SCALE, O_BIAS, O_ONLINE, O_DECAY, O_LAPLACE, O_DEAD, O_SAVE };
static const struct option longopts[] = {
	{ "codebook", required_argument, NULL, 'c' }, { "neighbors", required_argument, NULL, 'n' },
	{ "metric", required_argument, NULL, 'm' }, { "train", required_argument, NULL, 't' },
	{ "attention", no_argument, NULL, 'A' }, { "beta", required_argument, NULL, O_BETA },
	{ "stats-only", no_argument, NULL, O_STATS_ONLY }, { "iters", required_argument, NULL, O_ITERS },
	{ "init", required_argument, NULL, O_INIT }, { "empty", required_argument, NULL, O_EMPTY },
	{ "redo", required_argument, NULL, O_REDO }, { "partial", no_argument, NULL, O_PARTIAL },
	{ "merge", no_argument, NULL, O_MERGE }, { "causal", no_argument, NULL, O_CAUSAL },
	{ "block", required_argument, NULL, O_BLOCK }, { "scale", required_argument, NULL, O_SCALE },
	{ "bias", required_argument, NULL, O_BIAS }, { "online", no_argument, NULL, O_ONLINE },
	{ "decay", required_argument, NULL, O_DECAY }, { "laplace", required_argument, NULL, O_LAPLACE },
	{ "dead", required_argument, NULL, O_DEAD }, { "save", required_argument, NULL, O_SAVE }, { 0 }
};

#define TILE 4096        /* vectors gathered before one search (2.2) */
#define QMAX 256         /* records gathered before one search */

typedef struct {
	kx_common *com;
	int mode, metric, empty, stats_only, fields[NGF], nfields, want[NGF];
	size_t K, D, N;        /* codebook K x D (D = 0 until known); N neighbours */
	double *C;             /* (K, D) the codebook (-c, or trained) */
	kx_vq_book book;
	const char *key;
	double beta;
	kx_out out;
	/* gathered vectors and their records (assign, partial) */
	double *X;
	size_t nx, capx;
	kx_rec *q;
	size_t nq, *qrow0, *qrows;
	int *qbatch;
	long long *idx;
	double *dist, *quant;
	size_t capr;
	kx_mat xo;             /* x of an object record */
	kx_buf jb;             /* JSON text of a 3-D field */
	/* summaries */
	kx_usage use;
	kx_xsum sq;            /* exact sum of ||x - q||^2 */
	int sq_inf;            /* it left the double range */
	kx_km_acc acc;         /* --partial */
	kx_km_far far;
	long long rows_seen;
	kx_ema ema;            /* --online */
	double decay, eps, dead;
	/* -A */
	kx_tvq_cfg tc;
	int scale_given;
	double *bias;
	kx_mat mq, mk, mv, mc;
	double *Oq, *Ol, *Oe, *Kh;
	long long *z;
	size_t capa;
	int flushing;                 /* inside flush_assign (kx_die's hook stays out) */
} ctx_t;

static void die_xsum(int rc)
{
	if (rc == KX_XSUM_NOMEM)
		kx_die("out of memory");
	kx_die("an exact sum overflows the double range");
}

static int pick(const char *opt, const char *arg, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	kx_buf b = { 0 };
	for (int i = 0; names[i]; i++)
		kx_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	kx_usage_error("%s: expected one of %s, got '%s'", opt, b.s, arg);
}

/* ===== reading vectors ================================================ */

static void push_rows(ctx_t *c, const double *v, size_t rows)
{
	if ((c->nx + rows) * c->D > c->capx) {
		c->capx = 2 * (c->nx + rows) * c->D;
		c->X = kx_realloc(c->X, c->capx * sizeof *c->X);
	}
	memcpy(c->X + c->nx * c->D, v, rows * c->D * sizeof *v);
	c->nx += rows;
}

/* Search the gathered vectors: idx, dist (nx, N); quantised rows if asked. */
static void search(ctx_t *c)
{
	if (c->nx * c->N > c->capr) {
		c->capr = 2 * c->nx * c->N;
		c->idx = kx_realloc(c->idx, c->capr * sizeof *c->idx);
		c->dist = kx_realloc(c->dist, c->capr * sizeof *c->dist);
		if (c->want[F_QUANT])
			c->quant = kx_realloc(c->quant, c->capr * c->D * sizeof *c->quant);
	}
	/* without distances to report, count or learn from, a query whose GEMM
	 * filter leaves one candidate needs no direct re-computation */
	int need_dist = c->want[F_DIST] || c->stats_only || c->com->stats || c->mode != M_ASSIGN;
	if (kx_vq_search(&c->book, c->X, c->nx, c->N, KX_VQ_AUTO, c->idx, need_dist ? c->dist : NULL) < 0)
		kx_die("out of memory");
	if (c->want[F_QUANT])
		for (size_t i = 0; i < c->nx * c->N; i++)
			memcpy(c->quant + i * c->D, c->C + c->idx[i] * c->D, c->D * sizeof *c->quant);
}

/* ===== assign ========================================================= */

static void write_rec(ctx_t *c, size_t r)
{
	kx_result res;
	memset(&res, 0, sizeof res);
	size_t row0 = c->qrow0[r], N = c->N, D = c->D;
	kx_vq_assign_result(&c->out, &res, &c->jb, c->fields, c->nfields, c->idx + row0 * N,
	                    c->want[F_DIST] ? c->dist + row0 * N : NULL, c->quant ? c->quant + row0 * N * D : NULL,
	                    c->qrows[r], N, D, c->qbatch[r]);
	kx_write(&c->out, &c->q[r], &res);
}

/* Add the searched vectors to the usage counts and the loss (the summary). */
static void count_assign(ctx_t *c)
{
	for (size_t i = 0; (c->stats_only || c->com->stats) && i < c->nx; i++) {
		long long k = c->idx[i * c->N];
		if (kx_usage_add(&c->use, (uint64_t)k) < 0)
			kx_die("out of memory");
		double e = c->metric == KX_VQ_L2 ? c->dist[i * c->N]
		         : kx_vq_sqdist(c->X + i * c->D, c->C + k * c->D, c->D);
		int rc = c->sq_inf ? 0 : kx_xsum_add(&c->sq, 0, e);
		if (rc == KX_XSUM_NOMEM)
			die_xsum(rc);
		c->sq_inf |= rc != 0;      /* a loss beyond the double range: Infinity */
	}
}

static void flush_assign(ctx_t *c)
{
	if (c->nx && !c->flushing) {
		c->flushing = 1;
		search(c);
		count_assign(c);
		if (!c->stats_only)
			for (size_t r = 0; r < c->nq; r++)
				write_rec(c, r);
		if (c->mode == M_ONLINE) {      /* learn from the batch just assigned (2.6) */
			long long *a = kx_malloc(c->nx * sizeof *a);
			double *d2 = kx_malloc(c->nx * sizeof *d2);
			for (size_t i = 0; i < c->nx; i++) {
				a[i] = c->idx[i * c->N];
				d2[i] = c->dist[i * c->N];
			}
			kx_vq_book_free(&c->book);
			if (kx_ema_update(&c->ema, c->X, c->nx, a, d2, c->decay, c->eps, c->dead, c->C) < 0 ||
			    kx_vq_book_init(&c->book, c->C, c->K, c->D, KX_VQ_L2) < 0)
				kx_die("out of memory");
			free(a);
			free(d2);
		}
		c->flushing = 0;
	}
	c->nx = c->nq = 0;
}

/* kx_die's hook: the tile held back is written before a file that cannot be
 * opened or read stops the program (not when the die comes from the flush). */
static void die_flush(void *arg)
{
	ctx_t *c = arg;
	if (!c->flushing) {
		flush_assign(c);
		fflush(c->out.f);
	}
}

/* ===== raw fast path ================================================== */

/* Raw vectors in, raw values (or only the summary) out: blocks of TILE
 * records are read with one fread, searched, and written with one write
 * instead of a record at a time through the reader, read_loop and the
 * writer (whose per-record cost exceeds the search's for small K and D).
 * The messages, -K, the partial-record rule, record numbers and the bytes
 * written are those of read_loop; -u (or a terminal) takes read_loop. */

static void raw_flush(ctx_t *c)
{
	if (!c->nx)
		return;
	search(c);
	count_assign(c);
	if (!c->stats_only) {
		/* the one field of every vector, flattened as the writer does */
		kx_buf *b = &c->out.buf;
		size_t n = c->nx * c->N;
		int fmt = c->out.fmt;
		b->len = 0;
		for (size_t i = 0; i < n; i++)
			switch (c->fields[0]) {
			case F_INDEX: kx_buf_put_raw(b, fmt, (double)c->idx[i]); break;
			case F_DIST: kx_buf_put_raw(b, fmt, c->dist[i]); break;
			default:
				for (size_t j = 0; j < c->D; j++)
					kx_buf_put_raw(b, fmt, c->quant[i * c->D + j]);
			}
		kx_out_flush(&c->out);
	}
	c->nx = 0;
}

/* kx_die's hook on the raw path: the vectors gathered are written first. */
static void raw_die_flush(void *arg)
{
	ctx_t *c = arg;
	if (!c->flushing) {
		c->flushing = 1;
		raw_flush(c);
		fflush(c->out.f);
	}
}

static int raw_assign(ctx_t *c, int in_fmt, int nfiles, char **files)
{
	const size_t D = c->D, w = in_fmt == KX_FMT_F32 ? 4 : 8, rec = w * D;
	int status = 0;
	char err[512];
	if (c->capx < TILE * D) {
		c->capx = TILE * D;
		c->X = kx_realloc(c->X, c->capx * sizeof *c->X);
	}
	kx_rawblk rb;
	kx_rawblk_open(&rb, nfiles, files, rec, TILE);
	kx_on_die(raw_die_flush, c);
	long got;
	while ((status == 0 || c->com->keep_going) && (got = kx_rawblk_next(&rb, err, sizeof err)) != 0) {
		if (got < 0) {                     /* a trailing partial record */
			raw_flush(c);
			fflush(c->out.f);
			kx_error("%s", err);
			status = 1;
			continue;
		}
		for (size_t k = 0; k < (size_t)got; k++) {
			double *x = c->X + c->nx * D;
			int finite = 1;
			if (w == 4) {
				const float *p = (const float *)rb.buf + k * D;
				for (size_t j = 0; j < D; j++) {
					x[j] = p[j];              /* widened exactly */
					finite &= x[j] - x[j] == 0;
				}
			} else {
				const double *p = (const double *)rb.buf + k * D;
				for (size_t j = 0; j < D; j++) {
					x[j] = p[j];
					finite &= x[j] - x[j] == 0;
				}
			}
			if (finite) {
				if (++c->nx == TILE)
					raw_flush(c);
				continue;
			}
			size_t j = 0;
			while (x[j] - x[j] == 0)
				j++;
			raw_flush(c);              /* every earlier record is written first */
			fflush(c->out.f);          /* and reaches the output before the message */
			kx_error("%s: record %lld: expected finite numbers, got %s at position %zu", rb.src,
			         rb.recno + (long long)k + 1,
			         x[j] != x[j] ? "NaN" : x[j] > 0 ? "Infinity" : "-Infinity", j);
			status = 1;
			if (!c->com->keep_going)
				break;
		}
	}
	kx_on_die(NULL, NULL);
	if (status == 0 || c->com->keep_going)
		raw_flush(c);
	kx_rawblk_close(&rb);
	return status;
}

/* ===== the summaries ================================================== */

/* Write a summary: --stats-only to the output, --stats to standard error. */
static void emit_summary(ctx_t *c, kx_buf *b)
{
	kx_sum_close(b);
	if (c->stats_only) {
		kx_buf_put(&c->out.buf, b->s, b->len);
		kx_out_flush(&c->out);
	} else if (c->com->stats) {
		fflush(c->out.f);        /* the summary comes after the data */
		fputs(b->s, stderr);
	}
	kx_buf_free(b);
}

static void assign_summary(ctx_t *c)
{
	kx_buf b = { 0 };
	kx_sum_open(&b);
	double N = (double)c->use.count, sq = c->sq_inf ? INFINITY : kx_xsum_round(&c->sq, 0);
	kx_sum_int(&b, "count", (long long)c->use.count);
	kx_sum_int(&b, "codebook_size", (long long)c->K);
	kx_sum_usage(&b, &c->use);
	double mean = N > 0 ? sq / N : NAN, mse = N > 0 ? sq / (N * (double)c->D) : NAN;
	kx_sum_num(&b, "sqdist_mean", mean);
	kx_sum_num(&b, "mse", mse);
	kx_sum_num(&b, "codebook_loss", mse);      /* same value as the commitment term (2.3) */
	kx_sum_num(&b, "commit_loss", c->beta * mse);
	kx_usage_stats st;
	kx_usage_stats_get(&c->use, &st);
	kx_sum_int(&b, "dead", (long long)(c->K - st.used));
	emit_summary(c, &b);
}

/* ===== the input loop shared by assign, train and partial ============= */

typedef void (*rows_fn)(ctx_t *c);

/* Read every record; each good one's vectors are gathered, and flush runs
 * on a full tile, before a bad record is reported, and at the end.  Assign
 * keeps the records for writing; an object record (whose text lives in the
 * reader's buffer) is flushed at once. */
static int read_loop(ctx_t *c, kx_reader *rd, rows_fn flush, int keep_recs)
{
	char err[512], where[300];
	int status = 0;
	if (keep_recs) {
		c->q = kx_calloc(QMAX, sizeof *c->q);
		c->qrow0 = kx_calloc(QMAX, sizeof *c->qrow0);
		c->qrows = kx_calloc(QMAX, sizeof *c->qrows);
		c->qbatch = kx_calloc(QMAX, sizeof *c->qbatch);
	}
	kx_rec one = { 0 };
	for (;;) {
		kx_rec *in = keep_recs ? &c->q[c->nq] : &one;
		err[0] = 0;
		int st = kx_read(rd, in, err, sizeof err);
		if (st == 0)
			break;
		const double *v;
		size_t rows;
		int batch;
		if (st > 0 && kx_rec_vectors(in, c->key, &c->xo, &c->D, &v, &rows, &batch, err, sizeof err) == 0) {
			if (keep_recs) {
				c->qrow0[c->nq] = c->nx;
				c->qrows[c->nq] = rows;
				c->qbatch[c->nq++] = batch;
			}
			push_rows(c, v, rows);
			if (c->nx >= TILE || (keep_recs && (c->nq == QMAX || in->kind == KX_REC_OBJECT ||
			                                    c->out.unbuffered || c->mode == M_ONLINE)))
				flush(c);
			continue;
		}
		flush(c);               /* every earlier record is written first */
		fflush(c->out.f);       /* and reaches the output before the message */
		kx_error("%s: %s", kx_rec_where(in, where, sizeof where), err);
		status = 1;
		if (!c->com->keep_going)
			break;
	}
	if (status == 0 || c->com->keep_going)
		flush(c);
	for (size_t i = 0; keep_recs && i < QMAX; i++)
		kx_rec_free(&c->q[i]);
	kx_rec_free(&one);
	return status;
}

/* ===== train ========================================================== */

static void no_flush(ctx_t *c) { (void)c; }

static void progress(void *ctx, long it, double obj)
{
	(void)ctx;
	kx_progress("iteration %ld, objective %.6g", it, obj);
}

static void write_codebook(ctx_t *c, const double *C, const char *o, kx_out *out)
{
	size_t n = o ? strlen(o) : 0;
	if (n >= 4 && !strcmp(o + n - 4, ".npy")) {
		char err[300];
		size_t shape[2] = { c->K, c->D };
		if (kx_npy_save(o, C, 2, shape, out->fmt == KX_FMT_F32, err, sizeof err) < 0)
			kx_die("%s: %s", o, err);
		return;
	}
	for (size_t k = 0; k < c->K; k++) {
		kx_result res;
		memset(&res, 0, sizeof res);
		kx_res_vec(&res, "codeword", C + k * c->D, c->D);
		kx_write(out, NULL, &res);
	}
}

static int train(ctx_t *c, kx_reader *rd, long iters, int init, int empty, long redo)
{
	int status = read_loop(c, rd, no_flush, 0);
	if (status && !c->com->keep_going)
		return status;
	size_t N = c->nx, K = c->K, D = c->D;
	if (N < K)
		kx_die("need at least %zu vectors, got %zu", K, N);
	if (N < 39 * K)
		kx_warn("%zu vectors for %zu codewords: fewer than 39 per codeword", N, K);
	double *best = kx_malloc(K * D * sizeof *best), *Cr = kx_malloc(K * D * sizeof *Cr);
	kx_km_run run, keep = { 0 };
	uint64_t seed = c->com->seed;
	for (long r = 0; r < redo; r++) {
		if (c->C) {
			memcpy(Cr, c->C, K * D * sizeof *Cr);
		} else {
			kx_rng g;
			kx_rng_seed(&g, c->com->seed + (uint64_t)r, 0);
			if (kx_km_init(c->X, N, D, K, init, &g, Cr))
				kx_die("out of memory");
		}
		int rc = kx_km_train(c->X, N, D, K, Cr, iters, empty, &run, progress, NULL);
		if (rc)
			die_xsum(rc);
		if (r == 0 || run.inertia < keep.inertia) {      /* the first on ties */
			kx_km_run_free(&keep);
			keep = run;
			seed = c->com->seed + (uint64_t)r;
			memcpy(best, Cr, K * D * sizeof *best);
		} else {
			kx_km_run_free(&run);
		}
	}
	kx_progress_done();
	if (!c->stats_only)
		write_codebook(c, best, c->com->output, &c->out);
	if (c->stats_only || c->com->stats) {
		kx_usage_init(&c->use, K);
		for (size_t i = 0; i < N; i++)
			kx_usage_add(&c->use, (uint64_t)keep.assign[i]);
		kx_buf b = { 0 };
		kx_sum_open(&b);
		kx_sum_int(&b, "k", (long long)K);
		kx_sum_int(&b, "n", (long long)N);
		kx_sum_key(&b, "seed");
		if (c->C)
			kx_buf_puts(&b, "null");      /* -c INIT: nothing was drawn */
		else
			kx_buf_printf(&b, "%llu", (unsigned long long)seed);
		kx_sum_int(&b, "iters", keep.iters);
		kx_sum_key(&b, "converged");
		kx_buf_puts(&b, keep.converged ? "true" : "false");
		kx_sum_num(&b, "inertia", keep.inertia);
		kx_sum_vec(&b, "history", keep.history, keep.nhist);
		kx_sum_usage(&b, &c->use);
		emit_summary(c, &b);
	}
	kx_km_run_free(&keep);
	free(best);
	free(Cr);
	return status;
}

/* ===== map and merge ================================================== */

static void flush_partial(ctx_t *c)
{
	if (!c->nx)
		return;
	search(c);
	for (size_t i = 0; i < c->nx; i++) {
		const double *x = c->X + i * c->D;
		int rc = kx_km_acc_add(&c->acc, x, c->idx[i], c->dist[i]);
		if (rc)
			die_xsum(rc);
		kx_km_far_push(&c->far, c->dist[i], c->rows_seen++, c->idx[i], x);
	}
	c->nx = 0;
}

static int partial(ctx_t *c, kx_reader *rd)
{
	if (kx_km_acc_init(&c->acc, c->K, c->D) || kx_km_far_init(&c->far, c->K, c->D))
		kx_die("out of memory");
	int status = read_loop(c, rd, flush_partial, 0);
	if (status && !c->com->keep_going)
		return status;
	c->out.digits = 0;          /* a partial's numbers must read back exactly (2.5) */
	kx_partial_write(&c->out, &c->out.buf, &c->acc, &c->far, c->rows_seen);
	kx_out_flush(&c->out);
	return status;
}

static int merge(ctx_t *c, kx_reader *rd)
{
	if (kx_km_acc_init(&c->acc, c->K, c->D))
		kx_die("out of memory");
	kx_rec in = { 0 };
	char err[512], where[300];
	kx_partial_cands pc = { 0 };
	long long n = 0;
	int st;
	while ((st = kx_read(rd, &in, err, sizeof err)) != 0) {
		if (st > 0 && in.kind != KX_REC_OBJECT) {
			snprintf(err, sizeof err, "expected a partial object, got %s",
			         in.kind == KX_REC_OTHER ? kx_json_kind(in.json)
			         : in.kind == KX_REC_NUMBER ? "a number" : "an array");
			st = -1;
		}
		if (st < 0 || kx_partial_read(in.json, &c->acc, &pc, &n, err, sizeof err) < 0)
			kx_die("%s: %s", kx_rec_where(&in, where, sizeof where), err);
	}
	kx_rec_free(&in);
	if (n < (long long)c->K)
		kx_die("need at least %zu vectors, got %lld", c->K, n);
	if (kx_usage_init(&c->use, c->K) < 0)
		kx_die("out of memory");
	for (size_t k = 0; k < c->K; k++)       /* usage before any relocation */
		kx_usage_addn(&c->use, k, (uint64_t)c->acc.counts[k]);
	kx_partial_cands_sort(&pc);              /* the global candidate order (shard order in) */
	long moved = c->empty == KX_KM_FARTHEST ? kx_km_relocate(&c->acc, pc.c, pc.n) : 0;
	if (moved < 0)
		die_xsum((int)moved);
	double *Cn = kx_malloc(c->K * c->D * sizeof *Cn);
	int rc = kx_km_centroids(&c->acc, c->C, Cn);
	if (rc)
		die_xsum(rc);
	if (!c->stats_only)
		write_codebook(c, Cn, c->com->output, &c->out);
	kx_buf b = { 0 };
	kx_sum_open(&b);
	kx_sum_int(&b, "k", (long long)c->K);
	kx_sum_int(&b, "n", n);
	kx_sum_num(&b, "inertia", kx_xsum_round(&c->acc.obj, 0));
	kx_sum_int(&b, "relocated", moved);
	kx_sum_usage(&b, &c->use);
	emit_summary(c, &b);
	free(Cn);
	kx_partial_cands_free(&pc);
	return 0;
}

/* ===== attention ====================================================== */

static int attention(void *vc, kx_rec *in, kx_result *res, char *err, size_t errsz)
{
	ctx_t *c = vc;
	if (in->kind != KX_REC_OBJECT) {
		snprintf(err, errsz, "expected an object with \"q\", \"k\", \"v\", got %s",
		         in->kind == KX_REC_OTHER ? kx_json_kind(in->json) : "an array");
		return KX_BAD;
	}
	size_t dk, dk2, dv, dc = c->D, nc = c->K;
	if (kx_rec_matrix(in, "q", 1, &c->mq, &dk, err, errsz) || kx_rec_matrix(in, "k", 1, &c->mk, &dk2, err, errsz) ||
	    kx_rec_matrix(in, "v", 1, &c->mv, &dv, err, errsz))
		return KX_BAD;
	int st = kx_rec_matrix(in, "codebook", 0, &c->mc, &dc, err, errsz);
	if (st < 0)
		return KX_BAD;
	const double *C = st == 0 ? c->mc.v : c->C;
	nc = st == 0 ? c->mc.rows : nc;
	size_t n = c->mq.rows;
	if (!C) {
		snprintf(err, errsz, "no codebook: give -c FILE or a \"codebook\" field");
		return KX_BAD;
	}
	if (c->mk.rows != n || c->mv.rows != n || dk2 != dk || dc != dk) {
		snprintf(err, errsz, "shapes disagree: q %zux%zu, k %zux%zu, v %zux%zu, codebook %zux%zu "
		         "(want n x dk, n x dk, n x dv, c x dk)", n, dk, c->mk.rows, dk2, c->mv.rows, dv, nc, dc);
		return KX_BAD;
	}
	if (n * (dk > dv ? dk : dv) > c->capa) {
		c->capa = n * (dk > dv ? dk : dv);
		double **a[] = { &c->Oq, &c->Ol, &c->Oe, &c->Kh };
		for (int i = 0; i < 4; i++)
			*a[i] = kx_realloc(*a[i], c->capa * sizeof **a[i]);
		c->z = kx_realloc(c->z, n * sizeof *c->z);
	}
	kx_tvq_cfg cfg = c->tc;
	if (!c->scale_given)
		cfg.scale = kx_tvq_default_scale(dk);
	int *w = c->want, quad = w[G_QUAD] || w[G_ABS] || w[G_REL] || w[G_VQERR];
	kx_tvq_out r = { .z = c->z, .Kh = c->Kh, .quadratic = quad ? c->Oq : NULL,
	                 .linear = w[G_LIN] || w[G_ABS] || w[G_REL] ? c->Ol : NULL,
	                 .exact = w[G_EXACT] || w[G_VQERR] ? c->Oe : NULL };
	if (kx_tvq_identity(&cfg, c->mq.v, c->mk.v, c->mv.v, n, dk, dv, C, nc, &r) < 0)
		kx_die("out of memory");
	kx_sum_open(&c->jb);
	kx_sum_num(&c->jb, "quadratic", r.cost.quadratic);
	kx_sum_num(&c->jb, "linear", r.cost.linear);
	kx_sum_num(&c->jb, "assign", r.cost.assign);
	kx_sum_num(&c->jb, "ratio", r.cost.ratio);
	kx_buf_putc(&c->jb, '}');
	for (int k = 0; k < c->nfields; k++) {
		const char *name = gfields[c->fields[k]];
		switch (c->fields[k]) {
		case G_CODES: kx_res_ivec(res, name, c->z, n); break;
		case G_QUAD: kx_res_matc(res, name, c->Oq, n, dv); break;
		case G_LIN: kx_res_matc(res, name, c->Ol, n, dv); break;
		case G_EXACT: kx_res_matc(res, name, c->Oe, n, dv); break;
		case G_ABS: kx_res_num(res, name, r.max_abs_diff); break;
		case G_REL: kx_res_num(res, name, r.max_rel_diff); break;
		case G_VQERR: kx_res_num(res, name, r.vq_error); break;
		default: kx_res_json(res, name, c->jb.s);
		}
	}
	return KX_OK;
}

/* ===== main =========================================================== */

static long long num_opt(const char *opt, const char *arg, long long lo, long long hi)
{
	long long v;
	if (kx_parse_long(arg, lo, hi, &v) < 0)
		kx_usage_error("%s: expected a whole number from %lld to %lld, got '%s'", opt, lo, hi, arg);
	return v;
}

static double real_opt(const char *opt, const char *arg, double lo, double hi)
{
	double v;
	if (kx_parse_double(arg, &v) < 0 || !(v >= lo && v <= hi))
		kx_usage_error("%s: expected a number from %g to %g, got '%s'", opt, lo, hi, arg);
	return v;
}

int main(int argc, char **argv)
{
	kx_init(argv[0]);
	kx_common com;
	kx_common_init(&com);
	kx_cli cli = { "vq-encode", help, "c:n:m:t:A", longopts, KX_ACCEPT_SEED };
	ctx_t c = { .com = &com, .beta = 0.25, .N = 1, .decay = 0.99, .eps = 1e-5 };
	const char *cb = NULL, *bias = NULL, *save = NULL;
	long long tK = 0, nn = 1, iters = 25, redo = 1, block = 1;
	int init = 0, given[512] = { 0 }, nmodes = 0, o;
	while ((o = kx_getopt(&cli, &com, argc, argv)) != -1) {
		given[o < 512 ? o : 0] = 1;
		switch (o) {
		case 'c': cb = optarg; break;
		case 'n': nn = num_opt("-n", optarg, 1, (long long)1 << 40); break;
		case 'm': c.metric = pick("-m", optarg, metrics); break;
		case 't': tK = num_opt("-t", optarg, 1, (long long)1 << 40); c.mode = M_TRAIN; nmodes++; break;
		case 'A': c.mode = M_ATTN; nmodes++; break;
		case O_PARTIAL: c.mode = M_PARTIAL; nmodes++; break;
		case O_MERGE: c.mode = M_MERGE; nmodes++; break;
		case O_BETA:
			if (kx_parse_double(optarg, &c.beta) < 0 || !(c.beta >= 0 && c.beta - c.beta == 0))
				kx_usage_error("--beta: expected a finite number >= 0, got '%s'", optarg);
			break;
		case O_STATS_ONLY: c.stats_only = 1; break;
		case O_ITERS: iters = num_opt("--iters", optarg, 0, (long long)1 << 40); break;
		case O_INIT: init = pick("--init", optarg, inits); break;
		case O_EMPTY: c.empty = pick("--empty", optarg, empties); break;
		case O_REDO: redo = num_opt("--redo", optarg, 1, 1000000); break;
		case O_CAUSAL: c.tc.causal = 1; break;
		case O_BLOCK: block = num_opt("--block", optarg, 1, (long long)1 << 40); break;
		case O_SCALE:
			if (kx_parse_double(optarg, &c.tc.scale) < 0 || !(c.tc.scale - c.tc.scale == 0))
				kx_usage_error("--scale: expected a finite number, got '%s'", optarg);
			c.scale_given = 1;
			break;
		case O_BIAS: bias = optarg; break;
		case O_ONLINE: c.mode = M_ONLINE; nmodes++; break;
		case O_DECAY: c.decay = real_opt("--decay", optarg, 0, 1); break;
		case O_LAPLACE: c.eps = real_opt("--laplace", optarg, 0, 1e300); break;
		case O_DEAD: c.dead = real_opt("--dead", optarg, 0, 1e300); break;
		case O_SAVE: save = optarg; break;
		}
	}
	/* ----- usage errors, before anything is read ----- */
	if (nmodes > 1)
		kx_usage_error("use at most one of -t, --partial, --merge, -A, --online");
	int m = c.mode, raw_in = com.in_fmt == KX_FMT_F32 || com.in_fmt == KX_FMT_F64;
	if (m == M_ASSIGN && !cb)
		kx_usage_error("--codebook FILE is required (or --train K)");
	if ((m == M_PARTIAL || m == M_MERGE || m == M_ONLINE) && !cb)
		kx_usage_error("%s needs -c, the current codebook", m == M_PARTIAL ? "--partial" : m == M_MERGE ?
		               "--merge" : "--online");
	if (m != M_ONLINE && (given[O_DECAY] || given[O_LAPLACE] || given[O_DEAD] || save))
		kx_usage_error("--decay, --laplace, --dead and --save belong to --online");
	if (c.metric != KX_VQ_L2 && m != M_ASSIGN)
		kx_usage_error("-m %s is for assigning only: -t, --partial, --merge, -A and --online use l2", metrics[c.metric]);
	if (m != M_ASSIGN && m != M_ONLINE && (given['n'] || given[O_BETA]))
		kx_usage_error("%s belongs to assign mode", given['n'] ? "-n" : "--beta");
	if (m != M_TRAIN && (given[O_ITERS] || given[O_INIT] || given[O_REDO]))
		kx_usage_error("--iters, --init and --redo belong to -t");
	if (m != M_TRAIN && m != M_MERGE && given[O_EMPTY])
		kx_usage_error("--empty belongs to -t and --merge");
	if (m == M_TRAIN && cb && (given[O_INIT] || redo > 1))
		kx_usage_error("--init and --redo do not go with -c: the initial codebook is the file's");
	if (m != M_ATTN && (c.tc.causal || c.scale_given))
		kx_usage_error("%s belongs to -A", c.tc.causal ? "--causal" : "--scale");
	if ((given[O_BLOCK] || bias) && !c.tc.causal)
		kx_usage_error("%s needs --causal", bias ? "--bias" : "--block");
	if (bias) {
		kx_mat bm = { 0 };
		char e[200];
		int ok = kx_parse_textline(bias, strlen(bias), &bm, e, sizeof e) == 0 && bm.n > 0;
		for (size_t i = 0; ok && i < bm.n; i++)
			ok = bm.v[i] - bm.v[i] == 0;
		if (!ok)
			kx_usage_error("--bias: expected finite numbers b0,b1,...,bw, got '%s'", bias);
		if (bm.n - 1 > (size_t)block)
			kx_usage_error("--bias: the window w = %zu is longer than the block (%lld)", bm.n - 1, block);
		c.bias = bm.v;
		c.tc.bias = c.bias;
		c.tc.nbias = bm.n;
		free(bm.off);
	}
	c.tc.block = (size_t)block;
	if ((m == M_ATTN || m == M_MERGE) && (com.in_fmt == KX_FMT_TEXT || raw_in))
		kx_usage_error("%s reads JSON objects, not -i %s", m == M_ATTN ? "-A" : "--merge", kx_fmt_name(com.in_fmt));
	int out_fmt = com.out_fmt ? com.out_fmt : raw_in ? com.in_fmt : KX_FMT_NONE;
	if ((m == M_ATTN || m == M_PARTIAL) && out_fmt && out_fmt != KX_FMT_JSON)
		kx_usage_error("%s writes JSON only, not -O %s", m == M_ATTN ? "-A" : "--partial", kx_fmt_name(out_fmt));
	if ((m == M_ATTN || m == M_PARTIAL) && (com.stats || c.stats_only))
		kx_usage_error("%s has no summary (--stats)", m == M_ATTN ? "-A" : "--partial");
	if ((m == M_TRAIN || m == M_MERGE) && out_fmt == KX_FMT_U32)
		kx_usage_error("-O u32: a codebook is not made of indices");
	if (m == M_TRAIN && raw_in && !com.dim && !cb)
		kx_usage_error("raw input needs --dim (or -c INIT)");
	int raw_out = out_fmt == KX_FMT_F32 || out_fmt == KX_FMT_F64 || out_fmt == KX_FMT_U32;
	if (m == M_ASSIGN || m == M_ONLINE) {
		c.nfields = kx_fields_parse(com.fields, afields, c.fields, NAF);
		if (!com.fields && raw_out)
			c.fields[c.nfields++] = out_fmt == KX_FMT_U32 ? F_INDEX : F_QUANT;
		else if (!com.fields) {
			c.fields[c.nfields++] = F_INDEX;
			c.fields[c.nfields++] = F_DIST;
		}
		if (raw_out && c.nfields > 1 && !c.stats_only)
			kx_usage_error("raw output (-O %s) carries one field: choose it with -f", kx_fmt_name(out_fmt));
		if (out_fmt == KX_FMT_U32 && c.fields[0] != F_INDEX && !c.stats_only)
			kx_usage_error("-O u32 writes indices: the field '%s' is not an integer", afields[c.fields[0]]);
	} else if (m == M_ATTN) {
		c.nfields = kx_fields_parse(com.fields, gfields, c.fields, NGF);
		for (int f = 0; !com.fields && f < NGF; f++)
			if (f != G_EXACT)
				c.fields[c.nfields++] = f;
	} else if (com.fields) {
		kx_usage_error("-f chooses assign or -A fields; %s writes %s", m == M_PARTIAL ? "--partial" :
		               "this mode", m == M_PARTIAL ? "one object" : "codebook rows");
	}
	for (int k = 0; k < c.nfields; k++)
		c.want[c.fields[k]] = 1;
	c.key = com.key ? com.key : "x";

	/* ----- the codebook: a bad file is exit 1, before any input ----- */
	kx_array cba = { 0 };
	if (cb) {
		char err[300];
		if (kx_load_codebook(cb, (size_t)com.dim, &cba, &c.K, &c.D, err, sizeof err) < 0)
			kx_die("%s: %s", cb, err);
		if (m == M_TRAIN && c.K != (size_t)tK)
			kx_die("%s: the initial codebook has %zu rows, -t asks for %lld", cb, c.K, tK);
		c.C = cba.v;
		if (nn > (long long)c.K)
			kx_usage_error("-n %lld: the codebook has %zu codewords", nn, c.K);
	}
	if (m == M_TRAIN) {
		c.K = (size_t)tK;
		if (!cb)
			c.D = (size_t)com.dim;
	}
	c.N = (size_t)nn;
	if (m == M_ONLINE && kx_ema_init(&c.ema, c.C, c.K, c.D))
		kx_die("out of memory");
	if ((m == M_ASSIGN || m == M_PARTIAL || m == M_ONLINE) && kx_vq_book_init(&c.book, c.C, c.K, c.D, c.metric) < 0)
		kx_die("out of memory");

	kx_reader *rd = kx_reader_open(m == M_MERGE ? KX_FMT_JSON : com.in_fmt,
	                               raw_in ? (c.D ? c.D : (size_t)com.dim) : 0, argc - optind, argv + optind);
	int in_fmt = kx_reader_format(rd);
	if (!out_fmt)
		out_fmt = in_fmt;
	if (c.stats_only)
		out_fmt = KX_FMT_JSON;
	kx_out_open(&c.out, &com, out_fmt);
	int status = 0;
	switch (m) {
	case M_ASSIGN:
	case M_ONLINE:
		if (kx_usage_init(&c.use, c.K) < 0 || kx_xsum_init(&c.sq, 1))
			kx_die("out of memory");
		if (m == M_ASSIGN && raw_in && (c.stats_only || raw_out) && !c.out.unbuffered)
			status = raw_assign(&c, in_fmt, argc - optind, argv + optind);
		else {
			kx_on_die(die_flush, &c);
			status = read_loop(&c, rd, flush_assign, 1);
			kx_on_die(NULL, NULL);
		}
		if (c.stats_only || com.stats)
			assign_summary(&c);
		if (save) {
			kx_common sc = com;
			kx_out so;
			sc.output = save;
			kx_out_open(&so, &sc, KX_FMT_JSON);
			write_codebook(&c, c.C, save, &so);
			kx_out_close(&so);
		}
		break;
	case M_TRAIN: status = train(&c, rd, (long)iters, init, c.empty, (long)redo); break;
	case M_PARTIAL: status = partial(&c, rd); break;
	case M_MERGE: status = merge(&c, rd); break;
	default: status = kx_filter(&com, rd, &c.out, attention, &c, NULL);
	}
	kx_out_close(&c.out);
	kx_reader_close(rd);
	kx_array_free(&cba);
	kx_vq_book_free(&c.book);
	kx_usage_free(&c.use);
	kx_xsum_free(&c.sq);
	kx_km_acc_free(&c.acc);
	kx_km_far_free(&c.far);
	kx_ema_free(&c.ema);
	void *owned[] = { c.X, c.q, c.qrow0, c.qrows, c.qbatch, c.idx, c.dist, c.quant, c.bias,
	                  c.Oq, c.Ol, c.Oe, c.Kh, c.z };
	for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
		free(owned[i]);
	kx_mat *ms[] = { &c.xo, &c.mq, &c.mk, &c.mv, &c.mc };
	for (int i = 0; i < 5; i++)
		kx_mat_free(ms[i]);
	kx_buf_free(&c.jb);
	return status;
}
