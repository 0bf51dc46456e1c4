/*
 * kmeans.c — exact sums, k-means initialisation, Lloyd's loop, and the
 * update pieces shared with the map/merge steps (quantize.md 2.4, 2.5).
 * Shape alphabet: N vectors of width D, K codewords.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmeans.h"
#include "vq.h"

/* ===== exact sums ===================================================== */

/* Shewchuk's grow-expansion as in CPython's math.fsum: after each add the
 * partials are non-overlapping and increasing in magnitude, and their real
 * sum is exactly the sum of everything added.  Needs round-to-nearest
 * double arithmetic without extended precision (x86-64 SSE2; the
 * fast-math flags would break it). */

static double *parts(kx_xcell *c) { return c->heap ? c->heap : c->inl; }
static const double *cparts(const kx_xcell *c) { return c->heap ? c->heap : c->inl; }

int kx_xsum_init(kx_xsum *s, size_t ncells)
{
	s->ncells = ncells;
	s->c = calloc(ncells ? ncells : 1, sizeof *s->c);
	return s->c ? KX_XSUM_OK : KX_XSUM_NOMEM;
}

void kx_xsum_clear_cell(kx_xsum *s, size_t i) { s->c[i].n = 0; }

void kx_xsum_clear(kx_xsum *s)
{
	for (size_t i = 0; i < s->ncells; i++)
		s->c[i].n = 0;
}

void kx_xsum_free(kx_xsum *s)
{
	for (size_t i = 0; s->c && i < s->ncells; i++)
		free(s->c[i].heap);
	free(s->c);
	s->c = NULL;
	s->ncells = 0;
}

static int cell_add(kx_xcell *c, double x)
{
	double *p = parts(c);
	int i = 0;
	for (int j = 0; j < c->n; j++) {
		/* Knuth's two-sum: hi = fl(x + y), lo = the exact error, for any
		 * magnitudes and without a branch (the same pair as fsum's
		 * sorted fast two-sum) */
		double y = p[j], hi = x + y, bp = hi - x, lo = (x - (hi - bp)) + (y - bp);
		if (lo != 0)
			p[i++] = lo;
		x = hi;
	}
	c->n = i;
	if (x == 0)
		return KX_XSUM_OK;
	if (!isfinite(x))
		return KX_XSUM_OVERFLOW;
	int cap = c->heap ? c->cap : 4;
	if (i >= cap) {
		int ncap = 2 * cap;
		double *h = malloc((size_t)ncap * sizeof *h);
		if (!h)
			return KX_XSUM_NOMEM;
		memcpy(h, p, (size_t)i * sizeof *h);
		free(c->heap);
		c->heap = h;
		c->cap = ncap;
		p = h;
	}
	p[i] = x;
	c->n = i + 1;
	return KX_XSUM_OK;
}

int kx_xsum_add(kx_xsum *s, size_t i, double x) { return cell_add(&s->c[i], x); }

static double round_parts(const double *p, int n)
{
	/* CPython's final step: sum from the top while exact; then the
	 * half-way correction so that ties round to even across partials. */
	double hi = 0, lo = 0;
	if (n > 0) {
		hi = p[--n];
		while (n > 0) {
			double x = hi, y = p[--n];
			hi = x + y;
			lo = y - (hi - x);
			if (lo != 0)
				break;
		}
		if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
			double y = lo * 2, x = hi + y;
			if (y == x - hi)
				hi = x;
		}
	}
	return hi;
}

double kx_xsum_round(const kx_xsum *s, size_t i) { return round_parts(cparts(&s->c[i]), s->c[i].n); }

int kx_xsum_layers(const kx_xsum *s, size_t i, double *out, int max)
{
	/* the remainder after each layer is kept exactly in a private copy */
	const kx_xcell *src = &s->c[i];
	kx_xcell t = { 0 };
	t.n = src->n;
	if (src->n > 4) {
		t.heap = malloc((size_t)src->n * sizeof *t.heap);
		if (!t.heap)
			return KX_XSUM_NOMEM;
		t.cap = src->n;
	}
	memcpy(parts(&t), cparts(src), (size_t)src->n * sizeof(double));
	int nl = 0;
	do {
		double r = round_parts(parts(&t), t.n);
		out[nl++] = r;
		if (!isfinite(r) || cell_add(&t, -r) != KX_XSUM_OK)
			break;
	} while (t.n > 0 && nl < max);
	free(t.heap);
	return nl;
}

/* ===== one update's statistics ======================================== */

int kx_km_acc_init(kx_km_acc *a, size_t K, size_t D)
{
	*a = (kx_km_acc){ .K = K, .D = D };
	a->counts = calloc(K, sizeof *a->counts);
	if (!a->counts || kx_xsum_init(&a->sums, K * D) || kx_xsum_init(&a->obj, 1)) {
		kx_km_acc_free(a);
		return KX_XSUM_NOMEM;
	}
	return KX_XSUM_OK;
}

void kx_km_acc_clear(kx_km_acc *a)
{
	memset(a->counts, 0, a->K * sizeof *a->counts);
	kx_xsum_clear(&a->sums);
	kx_xsum_clear(&a->obj);
}

void kx_km_acc_free(kx_km_acc *a)
{
	free(a->counts);
	a->counts = NULL;
	kx_xsum_free(&a->sums);
	kx_xsum_free(&a->obj);
}

int kx_km_acc_add(kx_km_acc *a, const double *x, long long k, double d2)
{
	a->counts[k]++;
	int rc = kx_xsum_add(&a->obj, 0, d2);
	for (size_t j = 0; j < a->D && rc == KX_XSUM_OK; j++)
		rc = kx_xsum_add(&a->sums, (size_t)k * a->D + j, x[j]);
	return rc;
}

/* ===== empty-rule candidates ========================================== */

/* a is worse than b: smaller d2, or equal d2 and a later row */
static int worse(const kx_km_cand *a, const kx_km_cand *b)
{
	return a->d2 < b->d2 || (a->d2 == b->d2 && a->row > b->row);
}

int kx_km_far_init(kx_km_far *f, size_t cap, size_t D)
{
	*f = (kx_km_far){ .cap = cap, .D = D };
	f->e = malloc((cap ? cap : 1) * sizeof *f->e);
	f->xs = malloc((cap ? cap : 1) * (D ? D : 1) * sizeof *f->xs);
	if (!f->e || !f->xs) {
		kx_km_far_free(f);
		return KX_XSUM_NOMEM;
	}
	return KX_XSUM_OK;
}

void kx_km_far_free(kx_km_far *f)
{
	free(f->e);
	free(f->xs);
	f->e = NULL;
	f->xs = NULL;
}

static void sift_down(kx_km_cand *e, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(&e[l], &e[m]))
			m = l;
		if (r < n && worse(&e[r], &e[m]))
			m = r;
		if (m == i)
			return;
		kx_km_cand t = e[i];
		e[i] = e[m];
		e[m] = t;
		i = m;
	}
}

void kx_km_far_push(kx_km_far *f, double d2, long long row, long long from, const double *x)
{
	/* only d2 > 0 can be relocated (2.4: a candidate with d2 <= 0 ends the rule) */
	if (!(d2 > 0) || f->cap == 0)
		return;
	kx_km_cand c = { d2, from, row, NULL };
	if (f->n < f->cap) {
		size_t i = f->n++;
		double *xr = f->xs + i * f->D;
		memcpy(xr, x, f->D * sizeof *xr);
		c.x = xr;
		while (i > 0 && worse(&c, &f->e[(i - 1) / 2])) {   /* sift up: worst at the root */
			f->e[i] = f->e[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		f->e[i] = c;
		return;
	}
	if (!worse(&f->e[0], &c))
		return;
	double *xr = (double *)f->e[0].x;     /* reuse the evicted entry's row */
	memcpy(xr, x, f->D * sizeof *xr);
	c.x = xr;
	f->e[0] = c;
	sift_down(f->e, f->n, 0);
}

static int cand_cmp(const void *pa, const void *pb)
{
	const kx_km_cand *a = pa, *b = pb;
	return worse(b, a) ? -1 : worse(a, b) ? 1 : 0;
}

void kx_km_cand_sort(kx_km_cand *c, size_t n)
{
	if (n > 1)             /* qsort(NULL, 0) is undefined */
		qsort(c, n, sizeof *c, cand_cmp);
}
void kx_km_far_sort(kx_km_far *f) { kx_km_cand_sort(f->e, f->n); }

long kx_km_relocate(kx_km_acc *a, const kx_km_cand *cand, size_t ncand)
{
	const size_t D = a->D;
	size_t next = 0;
	long moved = 0;
	for (size_t k = 0; k < a->K; k++) {
		if (a->counts[k] != 0)
			continue;
		if (next >= ncand || !(cand[next].d2 > 0))
			break;                       /* no candidate left: stop altogether */
		const kx_km_cand *p = &cand[next++];
		size_t from = (size_t)p->from;
		for (size_t j = 0; j < D; j++) {
			int rc = kx_xsum_add(&a->sums, from * D + j, -p->x[j]);
			kx_xsum_clear_cell(&a->sums, k * D + j);
			if (rc == KX_XSUM_OK)
				rc = kx_xsum_add(&a->sums, k * D + j, p->x[j]);
			if (rc != KX_XSUM_OK)
				return rc;
		}
		a->counts[from]--;               /* a donor left empty is refilled at its turn if from > k */
		a->counts[k] = 1;
		moved++;
	}
	return moved;
}

int kx_km_centroids(const kx_km_acc *a, const double *Cold, double *Cnew)
{
	const size_t D = a->D;
	for (size_t k = 0; k < a->K; k++) {
		double *c_k = Cnew + k * D;
		if (a->counts[k] == 0) {
			if (Cnew != Cold)
				memcpy(c_k, Cold + k * D, D * sizeof *c_k);
			continue;
		}
		for (size_t j = 0; j < D; j++) {
			/* the rounded exact sum, divided once: fl(fsum(points) / n) */
			double s = kx_xsum_round(&a->sums, k * D + j);
			if (!isfinite(s))
				return KX_XSUM_OVERFLOW;
			c_k[j] = s / (double)a->counts[k];
		}
	}
	return KX_XSUM_OK;
}

/* ===== initialisation ================================================= */

/* D2[i] = min(D2[i], |x_i - c|^2) over the rows of X (N, D) (first: D2[i] =
 * the distance).  Four rows at a time: four independent dependency chains
 * instead of one, each still summed in the order of kx_vq_sqdist, so every
 * value is bit for bit the reference one. */
static void d2_update(const double *X, size_t N, size_t D, const double *c, double *D2, int first)
{
	size_t i = 0;
	for (; i + 4 <= N; i += 4) {
		const double *x0 = X + i * D, *x1 = x0 + D, *x2 = x1 + D, *x3 = x2 + D;
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		for (size_t j = 0; j < D; j++) {
			double e0 = x0[j] - c[j], e1 = x1[j] - c[j], e2 = x2[j] - c[j], e3 = x3[j] - c[j];
			s0 += e0 * e0;
			s1 += e1 * e1;
			s2 += e2 * e2;
			s3 += e3 * e3;
		}
		double s[4] = { s0, s1, s2, s3 };
		for (int k = 0; k < 4; k++)
			if (first || s[k] < D2[i + k])
				D2[i + k] = s[k];
	}
	for (; i < N; i++) {
		double d = kx_vq_sqdist(X + i * D, c, D);
		if (first || d < D2[i])
			D2[i] = d;
	}
}

int kx_km_init(const double *X, size_t N, size_t D, size_t K, int method, kx_rng *g, double *C)
{
	/* X: (N, D), N >= K; C: (K, D) out.  D2: (N) the squared distance of
	 * each row to the nearest chosen codeword, by the reference formula
	 * (never a GEMM: the draws compare against its running sums). */
	size_t *pick = malloc(K * sizeof *pick);
	double *D2 = malloc(N * sizeof *D2);
	unsigned char *chosen = calloc(N, 1);
	size_t *perm = NULL;
	int rc = KX_XSUM_NOMEM;
	if (!pick || !D2 || !chosen)
		goto done;
	if (method == KX_KM_FIRST) {
		for (size_t m = 0; m < K; m++)
			pick[m] = m;
	} else if (method == KX_KM_RANDOM) {
		/* partial Fisher-Yates over 0..N-1 */
		if (!(perm = malloc(N * sizeof *perm)))
			goto done;
		for (size_t i = 0; i < N; i++)
			perm[i] = i;
		for (size_t j = 0; j < K; j++) {
			size_t r = j + (size_t)kx_rng_below(g, N - j), t = perm[j];
			perm[j] = perm[r];
			perm[r] = t;
			pick[j] = perm[j];
		}
	} else {
		size_t p = method == KX_KM_KMEANSPP ? (size_t)kx_rng_below(g, N) : 0;
		for (size_t m = 0;; m++) {
			pick[m] = p;
			chosen[p] = 1;
			d2_update(X, N, D, X + p * D, D2, m == 0);
			if (m + 1 == K)
				break;
			size_t lowest = 0;                 /* the lowest row not chosen yet */
			while (chosen[lowest])
				lowest++;
			if (method == KX_KM_KMEANSPP) {
				double total = 0;
				for (size_t i = 0; i < N; i++)
					total += D2[i];
				if (total == 0) {
					p = lowest;
					continue;
				}
				/* D2 sampling (Arthur & Vassilvitskii), one trial per step */
				double r = kx_rng_uniform(g) * total, run = 0;
				size_t last = N;
				p = N;
				for (size_t i = 0; i < N; i++) {
					if (D2[i] > 0)
						last = i;
					run += D2[i];
					if (run > r) {
						p = i;
						break;
					}
				}
				if (p == N)
					p = last;                  /* rounding left no row: the last with D2 > 0 */
			} else {                            /* maximin: the first largest D2 */
				p = 0;
				for (size_t i = 1; i < N; i++)
					if (D2[i] > D2[p])
						p = i;
				if (!(D2[p] > 0))
					p = lowest;
			}
		}
	}
	for (size_t m = 0; m < K; m++)
		memcpy(C + m * D, X + pick[m] * D, D * sizeof *C);
	rc = KX_XSUM_OK;
done:
	free(pick);
	free(D2);
	free(chosen);
	free(perm);
	return rc;
}

/* ===== Lloyd's loop =================================================== */

void kx_km_run_free(kx_km_run *r)
{
	free(r->history);
	free(r->assign);
	r->history = NULL;
	r->assign = NULL;
}

int kx_km_train(const double *X, size_t N, size_t D, size_t K, double *C, long iters, int empty,
                kx_km_run *run, kx_km_progress_fn cb, void *ctx)
{
	/* X: (N, D); C: (K, D) in: initial codebook, out: final.  a, prev: (N)
	 * assignments of this and the previous step; d2: (N) their distances. */
	*run = (kx_km_run){ 0 };
	long long *a = malloc(N * sizeof *a), *prev = malloc(N * sizeof *prev);
	double *d2 = malloc(N * sizeof *d2);
	size_t hcap = iters < 63 ? (size_t)iters + 1 : 64;
	run->history = malloc(hcap * sizeof *run->history);
	kx_km_acc acc;
	kx_km_far far = { 0 };
	int rc = kx_km_acc_init(&acc, K, D);
	if (rc == KX_XSUM_OK)
		rc = kx_km_far_init(&far, K, D);
	if (!a || !prev || !d2 || !run->history)
		rc = KX_XSUM_NOMEM;
	int reloc_prev = 0;
	for (long it = 0; rc == KX_XSUM_OK; it++) {
		kx_vq_book book;
		if (kx_vq_book_init(&book, C, K, D, KX_VQ_L2) < 0) {
			rc = KX_XSUM_NOMEM;
			break;
		}
		rc = kx_vq_search(&book, X, N, 1, KX_VQ_AUTO, a, d2) < 0 ? KX_XSUM_NOMEM : KX_XSUM_OK;
		kx_vq_book_free(&book);
		kx_km_acc_clear(&acc);
		for (size_t i = 0; i < N && rc == KX_XSUM_OK; i++)
			rc = kx_km_acc_add(&acc, X + i * D, a[i], d2[i]);
		if (rc != KX_XSUM_OK)
			break;
		double obj = kx_xsum_round(&acc.obj, 0);
		if (!isfinite(obj)) {
			rc = KX_XSUM_OVERFLOW;
			break;
		}
		if (run->nhist == hcap) {
			double *h = realloc(run->history, 2 * hcap * sizeof *h);
			if (!h) {
				rc = KX_XSUM_NOMEM;
				break;
			}
			run->history = h;
			hcap *= 2;
		}
		run->history[run->nhist++] = obj;
		run->inertia = obj;
		run->iters = it;
		if (cb)
			cb(ctx, it, obj);
		/* would the empty rule move anything now?  Only with an empty
		 * codeword and a vector not sitting on its codeword (obj > 0 is
		 * exactly "some d2 > 0": the sum is exact) */
		int any_empty = 0;
		for (size_t k = 0; k < K; k++)
			any_empty |= acc.counts[k] == 0;
		int would = empty == KX_KM_FARTHEST && any_empty && obj > 0;
		if (it > 0 && !reloc_prev && !would && !memcmp(a, prev, N * sizeof *a)) {
			run->converged = 1;        /* one more update would change nothing */
			break;
		}
		if (it == iters)
			break;
		long moved = 0;
		if (would) {
			far.n = 0;
			for (size_t i = 0; i < N; i++)
				kx_km_far_push(&far, d2[i], (long long)i, a[i], X + i * D);
			kx_km_far_sort(&far);
			moved = kx_km_relocate(&acc, far.e, far.n);
			if (moved < 0) {
				rc = (int)moved;
				break;
			}
		}
		rc = kx_km_centroids(&acc, C, C);
		reloc_prev = moved > 0;
		long long *t = a;
		a = prev;
		prev = t;
	}
	if (rc == KX_XSUM_OK) {
		run->assign = a;
		a = NULL;
	}
	free(a);
	free(prev);
	free(d2);
	kx_km_acc_free(&acc);
	kx_km_far_free(&far);
	if (rc != KX_XSUM_OK)
		kx_km_run_free(run);
	return rc;
}

/* ===== EMA codebook updates =========================================== */

int kx_ema_init(kx_ema *e, const double *C, size_t K, size_t D)
{
	*e = (kx_ema){ .K = K, .D = D };
	e->cnt = malloc(K * sizeof *e->cnt);
	e->sum = malloc(K * D * sizeof *e->sum);
	if (!e->cnt || !e->sum) {
		kx_ema_free(e);
		return KX_XSUM_NOMEM;
	}
	for (size_t k = 0; k < K; k++)
		e->cnt[k] = 1;                   /* lucidrains and Transformer-VQ start at 1 */
	memcpy(e->sum, C, K * D * sizeof *e->sum);
	return KX_XSUM_OK;
}

void kx_ema_free(kx_ema *e)
{
	free(e->cnt);
	free(e->sum);
	e->cnt = e->sum = NULL;
}

long kx_ema_update(kx_ema *e, const double *X, size_t n, const long long *a, const double *d2,
                   double decay, double eps, double dead, double *C)
{
	/* nb, sb: (K), (K, D) this batch's counts and sums (plain, row order) */
	const size_t K = e->K, D = e->D;
	double *nb = calloc(K, sizeof *nb), *sb = calloc(K * D, sizeof *sb);
	kx_km_cand *order = NULL;
	long moved = KX_XSUM_NOMEM;
	if (!nb || !sb)
		goto done;
	for (size_t i = 0; i < n; i++) {
		nb[a[i]] += 1;
		for (size_t j = 0; j < D; j++)
			sb[(size_t)a[i] * D + j] += X[i * D + j];
	}
	double tot = 0;
	for (size_t k = 0; k < K; k++) {
		e->cnt[k] = decay * e->cnt[k] + (1 - decay) * nb[k];
		for (size_t j = 0; j < D; j++)
			e->sum[k * D + j] = decay * e->sum[k * D + j] + (1 - decay) * sb[k * D + j];
		tot += e->cnt[k];
	}
	for (size_t k = 0; k < K; k++) {
		/* Laplace smoothing keeps a code with N_k -> 0 finite (sonnet, eps 1e-5) */
		double nt = (e->cnt[k] + eps) / (tot + (double)K * eps) * tot;
		for (size_t j = 0; j < D; j++)
			C[k * D + j] = e->sum[k * D + j] / nt;
	}
	moved = 0;
	if (!(dead > 0) || n == 0)
		goto done;
	if (!(order = malloc(n * sizeof *order))) {
		moved = KX_XSUM_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (kx_km_cand){ d2[i], a[i], (long long)i, X + i * D };
	kx_km_cand_sort(order, n);          /* largest error first, ties by the lowest row */
	for (size_t k = 0, p = 0; k < K && p < n; k++) {
		if (!(e->cnt[k] < dead))
			continue;
		const double *x = order[p++].x;
		e->cnt[k] = dead;
		for (size_t j = 0; j < D; j++) {
			C[k * D + j] = x[j];
			e->sum[k * D + j] = dead * x[j];
		}
		moved++;
	}
done:
	free(nb);
	free(sb);
	free(order);
	return moved;
}
