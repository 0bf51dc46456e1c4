/*
 * io_lora.h — record and file I/O that lora-init needs beyond kx.h: typed
 * per-record overrides, a matrix (nested rows or flat with rows/cols) read
 * from a field's JSON text and rounded to float32, the top-level elements of
 * a JSON array, float32 matrices printed as JSON, and atomic matrix files.
 * Spec: lora.md 8.3, 8.5, 8.6.
 *
 * Conventions: 0 ok, -1 with a message in err (no program name, no place);
 * the record getters also return 0 when the key is absent, leaving *out as
 * it was.  Nothing here exits except on out of memory (kx_malloc).
 */
#ifndef KX_IO_LORA_H
#define KX_IO_LORA_H

#include <stdint.h>
#include "kx.h"
#include "lora.h"

/* Names of the enums of lora.h, in their order (NULL-terminated). */
extern const char *const kx_lora_methods[], *const kx_lora_directions[], *const kx_lora_ga_scales[],
                  *const kx_lora_scalings[], *const kx_lora_layouts[], *const kx_lora_svds[],
                  *const kx_lora_transforms[], *const kx_lora_corda_modes[];

/* The settings one record is computed with: the command line, then overrides. */
typedef struct {
	kx_lora_cfg cfg;
	int blog;              /* --layout blog */
	uint64_t seed;         /* --seed, or the record's own "seed" */
	int own_seed;          /* 1: the record gave "seed" (mix(R), no k added) */
	double lr;             /* --lr; 0 = off */
	double lr_ratio;       /* --lr-ratio number */
	int ratio_blog;        /* --lr-ratio blog */
	long long rows, cols;  /* --rows/--cols (record's layout); 0 = not given */
	int grad_sign;         /* --grad-transform sign: G = sign(G) after averaging */
} kx_lora_opts;

/* Apply a record's overrides (lora.md 8.3: rank method alpha scaling layout
 * direction ga_scale gamma grad_transform corda_mode seed svd niter
 * oversample lr lr_ratio rows cols) to o, checked like the options. */
int kx_lora_overrides(const kx_rec *in, kx_lora_opts *o, char *err, size_t errsz);

/* A string field: its index in names (NULL-terminated).  Unknown words give
 * "unknown KEY 'word'" and return -2, so the caller may say more. */
int kx_rec_word(const kx_rec *in, const char *key, const char *const *names, int *out, char *err,
                size_t errsz);
/* A finite number > 0. */
int kx_rec_posnum(const kx_rec *in, const char *key, double *out, char *err, size_t errsz);
/* An integer >= lo. */
int kx_rec_count(const kx_rec *in, const char *key, long long lo, long long *out, char *err,
                 size_t errsz);
/* An unsigned 64-bit integer read from the field's text: digits, a string
 * of digits, or an integral JSON number below 2^53 (5.0, 1e3).  *given = 1
 * when the key is present and good. */
int kx_rec_u64(const kx_rec *in, const char *key, uint64_t *out, int *given, char *err,
               size_t errsz);

/* The top-level elements of the JSON array text [s, s+len): up to max spans
 * into el/ellen; returns how many there are (call with max = 0 to count). */
size_t kx_json_split(const char *s, size_t len, const char **el, size_t *ellen, size_t max);

/* A matrix from JSON text: nested equal-length rows, or a flat row-major
 * array shaped by rows/cols (0 = not given; one of them is enough when the
 * length divides).  *R == 0 on entry: learn the shape (and *flat); else the
 * text must have shape R x C and the same form.  On success m->v holds the
 * R*C values rounded to float32; a value not finite as a float32 is an error
 * naming its [row][col].  name is used in messages (e.g. "\"grad\""). */
int kx_lora_read_matrix(kx_mat *m, const char *name, const char *s, size_t len, long long rows,
                        long long cols, size_t *R, size_t *C, int *flat, char *err, size_t errsz);

/* "grads": a non-empty JSON list of R x C matrices in w0's form (flat or
 * not), each rounded to float32; acc (R*C) = their mean (sum in double in
 * list order, then divided by the count; not rounded). */
int kx_lora_read_grads(kx_mat *m, const char *s, size_t len, long long rows, long long cols,
                       size_t R, size_t C, int flat, double *acc, char *err, size_t errsz);

/* CorDA's input statistics of a record (lora.md 8.3): "cov" (n x n) wins over
 * "x" (N x n, any N >= 1), both in the torch sense whatever the layout; C (n*n)
 * = cov, or x^T x / N.  Returns 1 when neither is present. */
int kx_lora_read_cov(kx_mat *mat, const kx_rec *in, size_t n, double *C, char *err, size_t errsz);
/* The same from values v (R, Cn) already read: a covariance (is_cov) or inputs. */
int kx_lora_cov_from(int is_cov, const double *v, size_t R, size_t Cn, size_t n, double *C, char *err,
                     size_t errsz);

/* The same from a matrix file (file mode's --cov or --x; raw files have n columns). */
int kx_lora_load_cov(const char *path, int is_cov, int fmt, size_t n, double *C, char *err,
                     size_t errsz);

/* --convert's record: "A", "B", "A0", "B0" (nested arrays in the record's
 * layout, blog = 1 for the blog layout), rounded to float32, into out[0..3]
 * (A, B, A0, B0) in the torch layout: A, A0 (r, n), B, B0 (m, r).  The caller
 * frees out[] with kx_array_free (also after an error). */
int kx_lora_read_convert(kx_mat *mat, const kx_rec *in, int blog, kx_array out[4], size_t *m,
                         size_t *n, size_t *r, char *err, size_t errsz);

/* b = the JSON text of a (rows, cols) matrix of float32 values, each the
 * shortest decimal that reads back to the same float32 (or digits digits);
 * non-finite values as "Infinity" strings, or null when strict. */
void kx_json_f32_matrix(kx_buf *b, const double *v, size_t rows, size_t cols, int digits,
                        int strict);

/* b = a float32 vector as JSON ([v,...]) or, when text, as values separated by one space. */
void kx_json_f32_vector(kx_buf *b, const double *v, size_t n, int digits, int strict, int text);

/* Raw data is never guessed: a .f32/.f64 name, or fmt F32/F64 on a name that
 * is not .npy or JSON. */
int kx_is_raw_name(const char *path, int fmt);
/* Write a (rows, cols) matrix to path atomically (a temporary name in the
 * same directory, renamed when complete): raw little-endian when fmt is
 * KX_FMT_F32 or F64, else .npy (<f4 when npy_f32, <f8 otherwise). */
int kx_save_matrix(const char *path, const double *v, size_t rows, size_t cols, int fmt,
                   int npy_f32, char *err, size_t errsz);

/* W0 from a matrix file (kx_load_array's formats; raw needs cols): 2-D, or
 * 1-D reshaped by cols (one row without it); rows/cols (0 = any) must agree.
 * On success *a owns the R*C values, rounded to float32.  .npy files and raw
 * files with cols are streamed straight into *a (no copy of the file). */
int kx_lora_load_w0(const char *path, int fmt, long long rows, long long cols, kx_array *a,
                    size_t *R, size_t *C, char *err, size_t errsz);
/* Add every R x C gradient of a file to acc (R*C) and count them in *K: the
 * file holds K gradients stacked by rows, (K R, C), or a 3-D .npy (K, R, C).
 * .npy and raw files are streamed in pieces of 32768 values; each gradient is
 * rounded to float32 first (lora.md 4.4 step 1).  When *K is 0 on entry the
 * first gradient sets acc (acc need not be zeroed): the sum is the same, in
 * the same order, as adding every gradient to zeros. */
int kx_lora_add_grad_file(const char *path, int fmt, size_t R, size_t C, double *acc, size_t *K,
                          char *err, size_t errsz);

/* --check's object {"recon_max_abs":..., "cos_step":..., "cos_bound":...} in
 * o's number style (cos_* only with a gradient). */
void kx_lora_check_json(kx_buf *b, const kx_out *o, const kx_lora_check *chk, int has_grad);
/* File mode's set (lora.md 8.6): PREFIX.A, PREFIX.B, PREFIX.w0 (mats[0..2],
 * shapes[i] = rows, cols) as .npy (<f4, or <f8 with npy_f64) or raw .f32/.f64
 * when fmt is KX_FMT_F32/F64, each written atomically. */
int kx_lora_save_factors(const char *prefix, int fmt, int npy_f64, const double *const mats[3],
                         size_t shapes[3][2], char *err, size_t errsz);

#endif
