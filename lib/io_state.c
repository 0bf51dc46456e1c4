/*
 * io_state.c — sid-step's state object: strict parsing with cJSON (numbers
 * come from strtod, so a round-trip decimal reads back to the same double),
 * range checks, round-trip printing, and the atomic --save.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include "io_state.h"

const char *const sid_loss_words[] = { "sid", "l1", NULL };
const char *const sid_weight_words[] = { "dmd", "none", NULL };
const char *const sid_optimizer_words[] = { "adam", "sgd", NULL };
const char *const sid_fake_mode_words[] = { "sgd", "exact", NULL };

const char *const sid_config_keys[] = {
	"alpha", "loss", "weight", "lr", "fake_lr", "optimizer", "beta1", "beta2", "eps", "batch",
	"fake_steps", "fake_mode", "sigma_min", "sigma_max", "rho", "tmax", "p_mean", "p_std",
	"sigma_data", "weight_floor", NULL
};

int sid_word(const char *const *words, const char *s)
{
	for (int k = 0; words[k]; k++)
		if (!strcmp(words[k], s))
			return k;
	return -1;
}

/* ===== parsing ===== */

#define BIG (((long long)1 << 53) - 1)   /* integers beyond this are not exact in JSON */

typedef struct pctx {
	char *err;
	size_t errsz;
	size_t dim;      /* 0 until "dim" is read */
} pctx;

static int fail(pctx *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errsz, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *numtext(char *buf, double v)
{
	kx_fmt_double(buf, v, 0);
	return buf;
}

/* obj must be an object holding exactly the keys listed (plus "metrics" at
 * the top level); path names it in messages ("" for the top level). */
static int check_keys(pctx *p, const cJSON *obj, const char *path, const char *const *keys,
                      int allow_metrics)
{
	const char *dot = *path ? "." : "";
	for (const cJSON *it = obj->child; it; it = it->next) {
		int known = allow_metrics && !strcmp(it->string, "metrics");
		for (int k = 0; keys[k] && !known; k++)
			known = !strcmp(keys[k], it->string);
		if (!known) {
			if (!*path && !strcmp(it->string, "seed"))
				return fail(p, "seed: unknown key (the state carries its generator: "
				               "re-seed with --seed)");
			return fail(p, "%s%s%s: unknown key", path, dot, it->string);
		}
		for (const cJSON *jt = obj->child; jt != it; jt = jt->next)
			if (!strcmp(jt->string, it->string))
				return fail(p, "%s%s%s: duplicate key", path, dot, it->string);
	}
	for (int k = 0; keys[k]; k++) {
		const cJSON *it;
		for (it = obj->child; it; it = it->next)
			if (!strcmp(it->string, keys[k]))
				break;
		if (!it)
			return fail(p, "%s%s%s: missing", path, dot, keys[k]);
	}
	return 0;
}

static const cJSON *item(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int get_object(pctx *p, const cJSON *v, const char *name, const char *const *keys)
{
	if (!cJSON_IsObject(v))
		return fail(p, "%s: expected an object, got %s", name, kx_json_kind(v));
	return check_keys(p, v, name, keys, 0);
}

static int get_num(pctx *p, const cJSON *v, const char *name, double *out)
{
	if (!cJSON_IsNumber(v)) {
		if (cJSON_IsString(v)) {
			double d;
			const char *s = v->valuestring;
			if (kx_parse_jsonnum(s, strlen(s), &d) == 0 && !isfinite(d))
				return fail(p, "%s: expected a finite number, got \"%s\"", name, s);
		}
		return fail(p, "%s: expected a number, got %s", name, kx_json_kind(v));
	}
	if (!isfinite(v->valuedouble))
		return fail(p, "%s: expected a finite number, got one out of range", name);
	*out = v->valuedouble;
	return 0;
}

/* An integral JSON number (800 or 800.0) in [lo, hi]; want describes the
 * range for the message. */
static int get_int(pctx *p, const cJSON *v, const char *name, long long lo, long long hi,
                   const char *want, long long *out)
{
	double d = 0;
	char b[KX_NUMLEN];
	if (get_num(p, v, name, &d) < 0)
		return -1;
	if (d != floor(d))
		return fail(p, "%s: expected an integer, got %s", name, numtext(b, d));
	if (d < (double)lo || d > (double)hi)
		return fail(p, "%s: expected %s, got %s", name, want, numtext(b, d));
	*out = (long long)d;
	return 0;
}

/* A vector of exactly dim finite numbers (positive: every value > 0;
 * nonneg: every value >= 0, for Adam's second moments). */
static int get_vec(pctx *p, const cJSON *v, const char *name, double *out, int positive,
                   int nonneg)
{
	if (!cJSON_IsArray(v))
		return fail(p, "%s: expected an array of %zu numbers, got %s", name, p->dim,
		            kx_json_kind(v));
	size_t n = (size_t)cJSON_GetArraySize(v);
	if (n != p->dim)
		return fail(p, "%s: expected %zu number%s (dim), got %zu", name, p->dim,
		            p->dim == 1 ? "" : "s", n);
	size_t i = 0;
	char nm[160], b[KX_NUMLEN];
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		snprintf(nm, sizeof nm, "%s[%zu]", name, i);
		if (get_num(p, e, nm, &out[i]) < 0)
			return -1;
		if (positive && !(out[i] > 0))
			return fail(p, "%s: expected a number > 0, got %s", nm, numtext(b, out[i]));
		if (nonneg && !(out[i] >= 0))
			return fail(p, "%s: expected a number >= 0, got %s", nm, numtext(b, out[i]));
	}
	return 0;
}

static int get_word(pctx *p, const cJSON *v, const char *name, const char *const *words, int *out)
{
	if (!cJSON_IsString(v))
		return fail(p, "%s: expected a string, got %s", name, kx_json_kind(v));
	int k = sid_word(words, v->valuestring);
	if (k < 0) {
		char list[120] = "";
		for (int j = 0; words[j]; j++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
			         j ? (words[j + 1] ? ", " : " or ") : "", words[j]);
		return fail(p, "%s: expected %s, got \"%s\"", name, list, v->valuestring);
	}
	*out = k;
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int get_rng(pctx *p, const cJSON *v, kx_rng *g)
{
	static const char *const keys[] = { "words", "cached_normal", NULL };
	if (get_object(p, v, "rng", keys) < 0)
		return -1;
	const cJSON *w = item(v, "words");
	if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != 4)
		return fail(p, "rng.words: expected an array of 4 strings of 16 hex digits, got %s",
		            cJSON_IsArray(w) ? "another length" : kx_json_kind(w));
	int k = 0;
	uint64_t any = 0;
	for (const cJSON *e = w->child; e; e = e->next, k++) {
		const char *s = cJSON_IsString(e) ? e->valuestring : NULL;
		uint64_t x = 0;
		size_t n = s ? strlen(s) : 0;
		int ok = n == 16;
		for (size_t i = 0; ok && i < n; i++) {
			int h = hexval((unsigned char)s[i]);
			ok = h >= 0;
			x = (x << 4) | (uint64_t)(h < 0 ? 0 : h);
		}
		if (!ok && s)
			return fail(p, "rng.words[%d]: expected a string of 16 hex digits, got \"%.40s\"", k, s);
		if (!ok)
			return fail(p, "rng.words[%d]: expected a string of 16 hex digits, got %s", k,
			            kx_json_kind(e));
		g->s[k] = x;
		any |= x;
	}
	if (!any)
		return fail(p, "rng.words: all four words are zero (xoshiro256** would stay at zero)");
	const cJSON *c = item(v, "cached_normal");
	if (cJSON_IsNull(c)) {
		g->has_cached = 0;
		g->cached = 0;
		return 0;
	}
	g->has_cached = 1;
	return get_num(p, c, "rng.cached_normal", &g->cached);
}

static int get_config(pctx *p, const cJSON *v, sid_config *c)
{
	if (get_object(p, v, "config", sid_config_keys) < 0)
		return -1;
	/* types here, ranges in sid_config_check (after the command line) */
	double *nums[] = { &c->alpha, &c->lr, &c->fake_lr, &c->beta1, &c->beta2, &c->eps,
	                   &c->sigma_min, &c->sigma_max, &c->rho, &c->p_mean, &c->p_std,
	                   &c->sigma_data, &c->weight_floor };
	const char *nnames[] = { "alpha", "lr", "fake_lr", "beta1", "beta2", "eps", "sigma_min",
	                         "sigma_max", "rho", "p_mean", "p_std", "sigma_data", "weight_floor" };
	char nm[64];
	for (const char *const *k = sid_config_keys; *k; k++) {
		const cJSON *e = item(v, *k);
		snprintf(nm, sizeof nm, "config.%s", *k);
		int st = 0;
		if (!strcmp(*k, "loss"))
			st = get_word(p, e, nm, sid_loss_words, &c->loss);
		else if (!strcmp(*k, "weight"))
			st = get_word(p, e, nm, sid_weight_words, &c->weight);
		else if (!strcmp(*k, "optimizer"))
			st = get_word(p, e, nm, sid_optimizer_words, &c->optimizer);
		else if (!strcmp(*k, "fake_mode"))
			st = get_word(p, e, nm, sid_fake_mode_words, &c->fake_mode);
		else if (!strcmp(*k, "batch"))
			st = get_int(p, e, nm, -BIG, BIG, "an integer >= 1", &c->batch);
		else if (!strcmp(*k, "fake_steps"))
			st = get_int(p, e, nm, -BIG, BIG, "an integer >= 0", &c->fake_steps);
		else if (!strcmp(*k, "tmax"))
			st = get_int(p, e, nm, -BIG, BIG, "an integer from 0 to 1000", &c->tmax);
		else
			for (size_t j = 0; j < sizeof nums / sizeof nums[0]; j++)
				if (!strcmp(*k, nnames[j]))
					st = get_num(p, e, nm, nums[j]);
		if (st < 0)
			return -1;
	}
	return 0;
}

static int get_adam(pctx *p, const cJSON *v, const char *name, const char *b, sid_adam *a)
{
	char mb[16], vb[16], nm[64];
	snprintf(mb, sizeof mb, "m_%s", b);
	snprintf(vb, sizeof vb, "v_%s", b);
	const char *const keys[] = { "t", "m_mean", "v_mean", mb, vb, NULL };
	if (get_object(p, v, name, keys) < 0)
		return -1;
	snprintf(nm, sizeof nm, "%s.t", name);
	if (get_int(p, item(v, "t"), nm, 0, BIG, "an integer from 0 to 2^53-1", &a->t) < 0)
		return -1;
	double *vecs[] = { a->m_a, a->v_a, a->m_b, a->v_b };
	for (int k = 0; k < 4; k++) {
		snprintf(nm, sizeof nm, "%s.%s", name, keys[k + 1]);
		if (get_vec(p, item(v, keys[k + 1]), nm, vecs[k], 0, k % 2) < 0)
			return -1;
	}
	return 0;
}

/* Two named vectors of an object (data, gen, fake). */
static int get_pair(pctx *p, const cJSON *v, const char *name, const char *k1, const char *k2,
                    double *v1, double *v2, int positive2)
{
	const char *const keys[] = { k1, k2, NULL };
	char nm[64];
	if (get_object(p, v, name, keys) < 0)
		return -1;
	snprintf(nm, sizeof nm, "%s.%s", name, k1);
	if (get_vec(p, item(v, k1), nm, v1, 0, 0) < 0)
		return -1;
	snprintf(nm, sizeof nm, "%s.%s", name, k2);
	return get_vec(p, item(v, k2), nm, v2, positive2, 0);
}

static long long line_at(const char *text, const char *pos)
{
	long long line = 1;
	for (const char *q = text; q < pos; q++)
		line += *q == '\n';
	return line;
}

static int parse_tree(pctx *p, const cJSON *root, size_t len, sid_state *st)
{
	static const char *const top[] = { "format", "dim", "step", "rng", "config", "data", "gen",
	                                   "fake", "opt", NULL };
	if (!cJSON_IsObject(root))
		return fail(p, "expected a state object, got %s", kx_json_kind(root));
	const cJSON *f = item(root, "format");
	if (!f)
		return fail(p, "format: missing (expected \"" SID_FORMAT "\")");
	if (!cJSON_IsString(f) || strcmp(f->valuestring, SID_FORMAT))
		return fail(p, "format: expected \"" SID_FORMAT "\", got %s%s%s",
		            cJSON_IsString(f) ? "\"" : "", cJSON_IsString(f) ? f->valuestring
		            : kx_json_kind(f), cJSON_IsString(f) ? "\"" : "");
	if (check_keys(p, root, "", top, 1) < 0)
		return -1;
	long long dim;
	if (get_int(p, item(root, "dim"), "dim", 1, (long long)1 << 48, "an integer >= 1", &dim) < 0)
		return -1;
	/* Every vector must have dim numbers, so an honest dim is at most the
	 * input's length: allocate only then (a huge dim fails at the first vector). */
	size_t alloc = (size_t)dim <= len ? (size_t)dim : 1;
	if (sid_state_alloc(st, alloc) < 0)
		return fail(p, "out of memory for dim %lld", dim);
	p->dim = (size_t)dim;
	if (get_int(p, item(root, "step"), "step", 0, BIG, "an integer from 0 to 2^53-1",
	            &st->step) < 0 ||
	    get_rng(p, item(root, "rng"), &st->rng) < 0 ||
	    get_config(p, item(root, "config"), &st->cfg) < 0 ||
	    get_pair(p, item(root, "data"), "data", "mean", "std", st->data_mean, st->data_std, 1) < 0 ||
	    get_pair(p, item(root, "gen"), "gen", "mean", "scale", st->gen_mean, st->gen_scale, 0) < 0 ||
	    get_pair(p, item(root, "fake"), "fake", "mean", "logstd", st->fake_mean, st->fake_logstd,
	             0) < 0)
		return -1;
	static const char *const okeys[] = { "gen", "fake", NULL };
	const cJSON *o = item(root, "opt");
	if (get_object(p, o, "opt", okeys) < 0 ||
	    get_adam(p, item(o, "gen"), "opt.gen", "scale", &st->opt_gen) < 0 ||
	    get_adam(p, item(o, "fake"), "opt.fake", "logstd", &st->opt_fake) < 0)
		return -1;
	st->dim = p->dim;
	return 0;
}

int sid_state_parse(const char *text, size_t len, sid_state *st, long long *line, char *err,
                    size_t errsz)
{
	pctx p = { err, errsz, 0 };
	const char *s = text, *e = text + len;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	*line = s == e ? 1 : line_at(text, s);
	if (s == e)
		return fail(&p, "empty input (expected a state object; make one with --init)");
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(s, (size_t)(e - s), &end, 0);
	if (!root) {
		const char *ep = cJSON_GetErrorPtr();
		if (ep && ep >= s && ep <= e)
			*line = line_at(text, ep);
		return fail(&p, "not JSON (a syntax error)");
	}
	const char *q = end;
	while (q < e && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
		q++;
	int st_ = 0;
	if (q < e)
		st_ = fail(&p, "more input after the state (at line %lld): one state per run",
		           line_at(text, q));
	else
		st_ = parse_tree(&p, root, len, st);
	cJSON_Delete(root);
	return st_;
}

/* ===== ranges ===== */

int sid_config_check(const sid_config *c, char *err, size_t errsz)
{
	pctx p = { err, errsz, 0 };
	char b[KX_NUMLEN], b2[KX_NUMLEN];
	if (!(c->lr >= 0))
		return fail(&p, "config.lr: expected a number >= 0, got %s", numtext(b, c->lr));
	if (!(c->fake_lr >= 0))
		return fail(&p, "config.fake_lr: expected a number >= 0, got %s", numtext(b, c->fake_lr));
	if (!(c->beta1 >= 0 && c->beta1 < 1))
		return fail(&p, "config.beta1: expected a number in [0, 1), got %s", numtext(b, c->beta1));
	if (!(c->beta2 >= 0 && c->beta2 < 1))
		return fail(&p, "config.beta2: expected a number in [0, 1), got %s", numtext(b, c->beta2));
	if (!(c->eps >= 0))
		return fail(&p, "config.eps: expected a number >= 0, got %s", numtext(b, c->eps));
	if (c->batch < 1)
		return fail(&p, "config.batch: expected an integer >= 1, got %lld", c->batch);
	if (c->fake_steps < 0)
		return fail(&p, "config.fake_steps: expected an integer >= 0, got %lld", c->fake_steps);
	if (!(c->sigma_min > 0))
		return fail(&p, "config.sigma_min: expected a number > 0, got %s",
		            numtext(b, c->sigma_min));
	if (!(c->sigma_max >= c->sigma_min))
		return fail(&p, "config.sigma_min: expected a number <= sigma_max (%s), got %s",
		            numtext(b2, c->sigma_max), numtext(b, c->sigma_min));
	if (!(c->rho > 0))
		return fail(&p, "config.rho: expected a number > 0, got %s", numtext(b, c->rho));
	if (c->tmax < 0 || c->tmax > 1000)
		return fail(&p, "config.tmax: expected an integer from 0 to 1000, got %lld", c->tmax);
	if (!(c->p_std >= 0))
		return fail(&p, "config.p_std: expected a number >= 0, got %s", numtext(b, c->p_std));
	if (!(c->sigma_data > 0))
		return fail(&p, "config.sigma_data: expected a number > 0, got %s",
		            numtext(b, c->sigma_data));
	if (!(c->weight_floor > 0))
		return fail(&p, "config.weight_floor: expected a number > 0, got %s",
		            numtext(b, c->weight_floor));
	return 0;
}

/* ===== printing ===== */

/* Shortest round trip; -0 keeps its sign so that a state reads back exactly. */
static void put_num(kx_buf *b, double v)
{
	char t[KX_NUMLEN];
	if (v == 0 && signbit(v)) {
		kx_buf_puts(b, "-0");
		return;
	}
	kx_fmt_double(t, v, 0);
	kx_buf_puts(b, t);
}

/* A metrics number: non-finite as a string, or null when strict. */
static void put_metric(kx_buf *b, double v, int strict)
{
	char t[KX_NUMLEN];
	if (!isfinite(v)) {
		if (strict) {
			kx_buf_puts(b, "null");
		} else {
			kx_fmt_double(t, v, 0);
			kx_buf_printf(b, "\"%s\"", t);
		}
		return;
	}
	put_num(b, v);
}

static void put_vec(kx_buf *b, const double *v, size_t n, int metric, int strict)
{
	kx_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kx_buf_putc(b, ',');
		if (metric)
			put_metric(b, v[i], strict);
		else
			put_num(b, v[i]);
	}
	kx_buf_putc(b, ']');
}

static void put_key(kx_buf *b, const char *key, int first)
{
	kx_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
}

static void put_pair(kx_buf *b, const char *name, const char *k1, const double *v1,
                     const char *k2, const double *v2, size_t n)
{
	kx_buf_printf(b, ",\"%s\":{\"%s\":", name, k1);
	put_vec(b, v1, n, 0, 0);
	kx_buf_printf(b, ",\"%s\":", k2);
	put_vec(b, v2, n, 0, 0);
	kx_buf_putc(b, '}');
}

static void put_adam(kx_buf *b, const char *name, const char *vb, const sid_adam *a, size_t n)
{
	kx_buf_printf(b, "\"%s\":{\"t\":%lld,\"m_mean\":", name, a->t);
	put_vec(b, a->m_a, n, 0, 0);
	kx_buf_puts(b, ",\"v_mean\":");
	put_vec(b, a->v_a, n, 0, 0);
	kx_buf_printf(b, ",\"m_%s\":", vb);
	put_vec(b, a->m_b, n, 0, 0);
	kx_buf_printf(b, ",\"v_%s\":", vb);
	put_vec(b, a->v_b, n, 0, 0);
	kx_buf_putc(b, '}');
}

void sid_state_print(kx_buf *b, const sid_state *st, const sid_metrics *m, int strict)
{
	const sid_config *c = &st->cfg;
	size_t D = st->dim;
	kx_buf_printf(b, "{\"format\":\"%s\",\"dim\":%zu,\"step\":%lld,\"rng\":{\"words\":[", SID_FORMAT,
	              D, st->step);
	for (int k = 0; k < 4; k++)
		kx_buf_printf(b, "%s\"%016llx\"", k ? "," : "", (unsigned long long)st->rng.s[k]);
	kx_buf_puts(b, "],\"cached_normal\":");
	if (st->rng.has_cached)
		put_num(b, st->rng.cached);
	else
		kx_buf_puts(b, "null");
	kx_buf_puts(b, "},\"config\":{");
	const double nums[] = { c->alpha, 0, 0, c->lr, c->fake_lr, 0, c->beta1, c->beta2, c->eps, 0, 0,
	                        0, c->sigma_min, c->sigma_max, c->rho, 0, c->p_mean, c->p_std,
	                        c->sigma_data, c->weight_floor };
	for (int k = 0; sid_config_keys[k]; k++) {
		const char *key = sid_config_keys[k];
		put_key(b, key, k == 0);
		if (!strcmp(key, "loss"))
			kx_buf_printf(b, "\"%s\"", sid_loss_words[c->loss]);
		else if (!strcmp(key, "weight"))
			kx_buf_printf(b, "\"%s\"", sid_weight_words[c->weight]);
		else if (!strcmp(key, "optimizer"))
			kx_buf_printf(b, "\"%s\"", sid_optimizer_words[c->optimizer]);
		else if (!strcmp(key, "fake_mode"))
			kx_buf_printf(b, "\"%s\"", sid_fake_mode_words[c->fake_mode]);
		else if (!strcmp(key, "batch"))
			kx_buf_printf(b, "%lld", c->batch);
		else if (!strcmp(key, "fake_steps"))
			kx_buf_printf(b, "%lld", c->fake_steps);
		else if (!strcmp(key, "tmax"))
			kx_buf_printf(b, "%lld", c->tmax);
		else
			put_num(b, nums[k]);
	}
	kx_buf_putc(b, '}');
	put_pair(b, "data", "mean", st->data_mean, "std", st->data_std, D);
	put_pair(b, "gen", "mean", st->gen_mean, "scale", st->gen_scale, D);
	put_pair(b, "fake", "mean", st->fake_mean, "logstd", st->fake_logstd, D);
	kx_buf_puts(b, ",\"opt\":{");
	put_adam(b, "gen", "scale", &st->opt_gen, D);
	kx_buf_putc(b, ',');
	put_adam(b, "fake", "logstd", &st->opt_fake, D);
	kx_buf_printf(b, "},\"metrics\":{\"step\":%lld", m->step);
	const char *lk[] = { "loss_fake", "loss_gen", "l1", "l2" };
	const double lv[] = { m->loss_fake, m->loss_gen, m->l1, m->l2 };
	for (int k = 0; k < 4; k++) {
		put_key(b, lk[k], 0);
		if (k == 0 ? m->has_fake : m->has_gen)
			put_metric(b, lv[k], strict);
		else
			kx_buf_puts(b, "null");
	}
	put_key(b, "kl", 0);
	put_metric(b, m->dist.kl, strict);
	put_key(b, "w2", 0);
	put_metric(b, m->dist.w2, strict);
	put_key(b, "fake_w2", 0);
	put_metric(b, m->dist.fake_w2, strict);
	put_key(b, "mean", 0);
	put_vec(b, st->gen_mean, D, 1, strict);
	put_key(b, "scale", 0);
	put_vec(b, st->gen_scale, D, 1, strict);
	kx_buf_puts(b, "}}");
}

/* ===== atomic save ===== */

int sid_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errsz)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (!tmp) {
		snprintf(err, errsz, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errsz, "%s: cannot create a temporary file: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	FILE *f = fdopen(fd, "wb");
	int bad = !f;
	if (f) {
		bad = fwrite(data, 1, len, f) != len;
		bad |= fclose(f) != 0;
	} else {
		close(fd);
	}
	if (bad || rename(tmp, path) != 0) {
		snprintf(err, errsz, "%s: cannot save the state: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
