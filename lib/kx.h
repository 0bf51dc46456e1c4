/*
 * kx.h — the toolbox's shared record library: options, errors, buffers, number
 * printing, record streams (JSON Lines, text, raw f32/f64), output records, and
 * the filter loop every program runs.  conventions.md is the contract; this
 * header is how a program reaches it.
 *
 * Ownership rule, once for the whole library: functions never take ownership of
 * what they are given.  What a function returns in a struct it owns (kx_rec,
 * kx_mat, kx_buf) is freed by the matching *_free / *_close call; pointers into
 * a kx_rec stay valid until the next kx_read on the same reader.
 *
 * Kernels (softmax.h, entmax.h, ...) never include this file: they are pure
 * functions over arrays.  Only cmd/ and the I/O files of lib/ use it.
 */
#ifndef KX_H
#define KX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <getopt.h>

#define KX_VERSION "0.1.0"

/* ===== errors and messages (err.c) =================================== */

extern const char *kx_prog;   /* program name used in every message */
extern int kx_quiet;          /* -q: no warnings, no progress */

void kx_init(const char *prog);      /* set kx_prog; call first in main */
/* "PROG: msg" on stderr.  A trailing ':' in fmt appends strerror(errno). */
void kx_error(const char *fmt, ...);
void kx_warn(const char *fmt, ...);  /* "PROG: warning: msg" unless -q */
_Noreturn void kx_die(const char *fmt, ...);          /* kx_error, exit 1 */
/* A program that holds records back (a tile of vectors searched together)
 * registers how to write them: kx_die calls fn(arg) once, before its message,
 * so a file that cannot be opened or read still finds every earlier record
 * written (conventions 4).  fn NULL removes it; a kx_die inside fn skips it. */
void kx_on_die(void (*fn)(void *), void *arg);
_Noreturn void kx_usage_error(const char *fmt, ...);  /* msg + hint, exit 2 */
/* Allocation that never returns NULL: out of memory is exit 1 with a message. */
void *kx_malloc(size_t n);
void *kx_calloc(size_t n, size_t size);
void *kx_realloc(void *p, size_t n);
char *kx_strdup(const char *s);
/* Progress line on a terminal's stderr, rate-limited to ~10/s; "" erases it. */
void kx_progress(const char *fmt, ...);
void kx_progress_done(void);

/* ===== growable byte buffer (buf.c) ================================== */

typedef struct kx_buf {
	char *s;       /* bytes, NUL-terminated after every put */
	size_t len;    /* bytes used, excluding the NUL */
	size_t cap;    /* bytes allocated */
} kx_buf;

void kx_buf_put(kx_buf *b, const char *s, size_t n);
void kx_buf_puts(kx_buf *b, const char *s);
void kx_buf_putc(kx_buf *b, char c);
void kx_buf_printf(kx_buf *b, const char *fmt, ...);
void kx_buf_json_str(kx_buf *b, const char *s);   /* quoted, escaped */
void kx_buf_free(kx_buf *b);
/* v as one raw value: KX_FMT_F32 (one rounding), F64, or U32 (an index, < 2^32). */
void kx_buf_put_raw(kx_buf *b, int fmt, double v);
/* The raw float32 conversions of the reader and the writer (AVX-512, AVX2
 * and baseline clones, the same bits): src (n little-endian floats) widened
 * exactly into dst (n); v (n) rounded once each into dst (n floats). */
void kx_widen_f32(const unsigned char *restrict src, size_t n, double *restrict dst);
void kx_narrow_f64(const double *restrict v, size_t n, char *restrict dst);

/* ===== numbers (fmt.c) =============================================== */

/* Shortest decimal among %.15g, %.16g, %.17g that reads back to v (digits = 0),
 * or %.{digits}g.  f32: %.6g..%.9g against float.  Non-finite: "NaN",
 * "Infinity", "-Infinity".  -0 prints as 0.  Returns the length; dst holds
 * at least KX_NUMLEN bytes. */
#define KX_NUMLEN 40
size_t kx_fmt_double(char *dst, double v, int digits);
size_t kx_fmt_float(char *dst, float v, int digits);
/* Parse a whole string as a number the way the command line accepts it:
 * strtod syntax plus "inf"/"infinity"/"nan" in any case.  0 ok, -1 not a number. */
int kx_parse_double(const char *s, double *out);
/* Integer options: the whole string is a decimal integer in [lo, hi]. */
int kx_parse_long(const char *s, long long lo, long long hi, long long *out);
int kx_parse_u64(const char *s, uint64_t *out);   /* 0 .. 2^64-1 */

/* ===== formats and common options (opts.c) =========================== */

enum { KX_FMT_NONE = 0, KX_FMT_AUTO, KX_FMT_JSON, KX_FMT_TEXT, KX_FMT_F32,
       KX_FMT_F64, KX_FMT_U32, KX_FMT_NPY };

/* What conventions.md section 3 gives every program. */
typedef struct kx_common {
	int in_fmt;          /* -i: KX_FMT_AUTO (default), JSON, TEXT, F32, F64 */
	int out_fmt;         /* -O: KX_FMT_NONE = the input's; JSON, TEXT, F32, F64, U32 */
	long long dim;       /* -d N; 0 when not given */
	const char *fields;  /* -f LIST as typed; NULL when not given */
	const char *key;     /* --key NAME; NULL when not given */
	const char *output;  /* -o FILE; NULL = stdout */
	int keep_going;      /* -K */
	int unbuffered;      /* -u (also set when stdout is a terminal) */
	int digits;          /* --digits N (1..17); 0 = shortest round trip */
	int strict_json;     /* --strict-json: null for non-finite numbers */
	int quiet;           /* -q */
	int stats;           /* --stats */
	int seed_given;      /* -s given */
	uint64_t seed;       /* -s N (default 0) */
} kx_common;

/* A program's description for kx_getopt.  Long-only program options use
 * values 256..0xFFF; the library reserves 0x1000 and up. */
enum { KX_ACCEPT_SEED = 1 };
typedef struct kx_cli {
	const char *name;               /* program name */
	const char *help;               /* full --help text (stdout, exit 0) */
	const char *shortopts;          /* the program's own short options, getopt syntax */
	const struct option *longopts;  /* the program's own long options, {0} ended; may be NULL */
	unsigned accept;                /* KX_ACCEPT_* */
} kx_cli;

void kx_common_init(kx_common *c);
/* getopt_long over the common options and the program's.  Handles the common
 * ones itself (-h and -V exit 0; bad values exit 2) and returns the next
 * program option with optarg set, or -1 at the end (optind is the first
 * operand).  An unknown option or a missing argument is a usage error. */
int kx_getopt(const kx_cli *cli, kx_common *c, int argc, char **argv);
/* Format names: "json", "text", "f32", "f64", "u32", "auto"; -1 if unknown. */
int kx_fmt_parse(const char *s);
const char *kx_fmt_name(int fmt);

/* -f LIST against the program's known field names (NULL-terminated).  Writes
 * the indices into idx (in the order given) and returns their count; an
 * unknown or repeated name is a usage error.  NULL list returns 0. */
int kx_fields_parse(const char *list, const char *const *known, int *idx, int max);

/* ===== numeric arrays (numparse.c) =================================== */

/* Rows of doubles, ragged allowed: row r is v[off[r] .. off[r+1]).  A vector
 * is one row with batch = 0; a JSON array of arrays is a batch (batch = 1).
 * The struct owns v and off; reuse it across records, free with kx_mat_free. */
typedef struct kx_mat {
	double *v;       /* all values, row after row */
	size_t n;        /* values in all */
	size_t *off;     /* rows + 1 offsets */
	size_t rows;     /* number of rows */
	int batch;       /* 1: came as an array of arrays */
	size_t vcap, ocap;   /* allocated sizes */
} kx_mat;

void kx_mat_free(kx_mat *m);
void kx_mat_clear(kx_mat *m);                       /* zero rows, keep memory */
void kx_mat_push_row(kx_mat *m, const double *v, size_t n);
size_t kx_mat_cols(const kx_mat *m);                /* common row length, 0 if ragged or empty */
#define KX_ROW(m, r) ((m)->v + (m)->off[r])
#define KX_ROWLEN(m, r) ((m)->off[(r) + 1] - (m)->off[r])

/* Parse JSON text [s, s+len) holding an array of numbers, or (allow_batch)
 * an array of arrays of numbers, into m.  Numbers: JSON numbers, the strings
 * "NaN" "Infinity" "-Infinity" "inf" "-inf" "nan" (any case), the bare tokens
 * NaN Infinity -Infinity, and null (NaN).  Empty vectors are allowed here (the
 * caller decides).  0 ok; -1 with a message in err (e.g. "expected a number,
 * got the string \"a\""). */
int kx_parse_numarray(const char *s, size_t len, int allow_batch, kx_mat *m,
                      char *err, size_t errsz);
/* One number in the same spellings (a whole JSON value). */
int kx_parse_jsonnum(const char *s, size_t len, double *out);
/* A text line: numbers separated by blanks or commas, strtod syntax. */
int kx_parse_textline(const char *s, size_t len, kx_mat *m, char *err, size_t errsz);

/* ===== input records (reader.c) ====================================== */

enum {
	KX_REC_ARRAY = 1,  /* a JSON array of numbers, a text line, or a raw record: x has 1 row */
	KX_REC_BATCH,      /* a JSON array of arrays of numbers: x has its rows */
	KX_REC_OBJECT,     /* a JSON object: json and fields are set; x is empty */
	KX_REC_NUMBER,     /* a bare JSON number (-i json): x holds one value */
	KX_REC_OTHER       /* another JSON value (string, true, ...): json is set */
};

struct cJSON;
typedef struct kx_span {     /* one top-level field of an object record, as typed */
	const char *name;    /* the key, unescaped (points into the cJSON tree) */
	const char *key;     /* the key's text with quotes, in the line */
	size_t keylen;
	const char *val;     /* the value's text, in the line */
	size_t vallen;
} kx_span;

typedef struct kx_rec {
	int kind;              /* KX_REC_* */
	int fmt;               /* the format it was read in: KX_FMT_JSON, TEXT, F32, F64 */
	const char *src;       /* file name, or "stdin" */
	long long line;        /* 1-based line (json, text) */
	long long recno;       /* 1-based record number within its source (raw) */
	uint64_t index;        /* 0-based index over the whole input, blank lines excluded:
	                        * the k of conventions 5 */
	kx_mat x;              /* numbers for ARRAY, BATCH, NUMBER */
	struct cJSON *json;    /* parsed value for OBJECT and OTHER (NaN tokens made strings) */
	const char *text;      /* the line as read (json), NUL-terminated */
	size_t len;
	kx_span *fields;       /* OBJECT: its top-level fields, in order */
	size_t nfields, fcap;
} kx_rec;

typedef struct kx_reader kx_reader;

/* Open the operands (none, or "-": stdin) in order.  fmt: KX_FMT_AUTO, JSON,
 * TEXT, F32 or F64; dim: values per raw record (>= 1).  A file that cannot be
 * opened is reported when it is reached (exit 1). */
kx_reader *kx_reader_open(int fmt, size_t dim, int nfiles, char **files);
/* The same over one stream the caller owns (and closes), named name in messages. */
kx_reader *kx_reader_open_stream(int fmt, size_t dim, FILE *f, const char *name);
/* The format of the stream: resolves auto by peeking at the first non-blank
 * byte ([ or { json, anything else text; json on empty input). */
int kx_reader_format(kx_reader *r);
/* Next record into rec (reusing its memory).  1: a record; 0: end of input;
 * -1: a bad record, message in err (where is in rec->src/line/recno): the
 * caller reports it and may go on.  I/O errors are fatal (exit 1). */
int kx_read(kx_reader *r, kx_rec *rec, char *err, size_t errsz);
void kx_reader_close(kx_reader *r);

/* Raw records a block at a time (rawblk.c), for a program's fast path that
 * works on many records at once: the operands in order (none, or "-": stdin),
 * each read in blocks of per_block whole records of rec bytes.  The caller
 * owns the struct; buf is ours (freed by kx_rawblk_close). */
typedef struct {
	char **files;
	int nfiles, fi;
	FILE *f;
	const char *src;          /* the current file's name, "stdin" for standard input */
	size_t rec, per;          /* bytes per record, records per block */
	unsigned char *buf;       /* the block: n records of rec bytes (malloc-aligned) */
	size_t n, tail;
	long long recno;          /* records of this file before the block (the first is recno + 1) */
	int eof;
} kx_rawblk;
void kx_rawblk_open(kx_rawblk *b, int nfiles, char **files, size_t rec, size_t per_block);
/* The next block's number of records (> 0, in b->buf); 0 at the end of the
 * input; -1 when the current file ended in a partial record (message in err:
 * "SRC: record N: trailing partial record (T of R bytes)"), the next call goes
 * on with the next file.  A file that cannot be opened or read ends the
 * program (kx_die, whose kx_on_die hook writes what the caller holds back). */
long kx_rawblk_next(kx_rawblk *b, char *err, size_t errsz);
void kx_rawblk_close(kx_rawblk *b);
void kx_rec_free(kx_rec *rec);
/* "stdin:3" or "data.f32: record 4", for messages. */
const char *kx_rec_where(const kx_rec *rec, char *buf, size_t n);
/* Read a whole file ("-" = stdin) into a NUL-terminated buffer; NULL + errno. */
char *kx_slurp(const char *path, size_t *len);

/* Object access (OBJECT records).  Each returns 0 when found and well-formed,
 * 1 when the key is absent, -1 with a message in err when it is malformed. */
struct cJSON *kx_rec_get(const kx_rec *rec, const char *key);
const kx_span *kx_rec_span(const kx_rec *rec, const char *key);
/* A vector, or (allow_batch) a batch, of numbers under key, parsed from the
 * field's own text (any length, every non-finite spelling). */
int kx_rec_mat(const kx_rec *rec, const char *key, int allow_batch, kx_mat *m,
               char *err, size_t errsz);
/* An integral number (1 and 1.0 alike; not "1", not true). */
int kx_rec_int(const kx_rec *rec, const char *key, long long *v, char *err, size_t errsz);
int kx_rec_num(const kx_rec *rec, const char *key, double *v, char *err, size_t errsz);
/* One JSON value of already validated text at p (no leading blanks): returns
 * the character after it (strings, nested arrays and objects skipped whole). */
const char *kx_json_skip(const char *p, const char *end);
/* Describe a JSON value for messages: "a string", "an object", "true", ... */
const char *kx_json_kind(const struct cJSON *v);

/* ===== output records (writer.c) ===================================== */

enum { KX_F_NUM = 1, KX_F_INT, KX_F_STR, KX_F_BOOL, KX_F_NULL, KX_F_JSON,
       KX_F_VEC, KX_F_IVEC, KX_F_MAT, KX_F_IMAT };

/* One output field.  The pointers are borrowed until kx_write returns. */
typedef struct kx_field {
	const char *name;
	int type;               /* KX_F_* */
	double num;             /* NUM */
	long long i;            /* INT, BOOL */
	const char *s;          /* STR (unescaped), JSON (raw JSON text) */
	const double *d;        /* VEC: n values; MAT: rows by off (or by cols) */
	const long long *iv;    /* IVEC, IMAT */
	size_t n;               /* VEC, IVEC: values */
	const size_t *off;      /* MAT, IMAT: rows + 1 offsets, or NULL with cols */
	size_t rows, cols;      /* MAT, IMAT */
} kx_field;

#define KX_MAXFIELDS 32
typedef struct kx_result {
	kx_field f[KX_MAXFIELDS];
	int n;
	int per_row;        /* batch result: a VEC/IVEC holds one value per row, a
	                     * MAT/IMAT one row per row; text output writes a line per row */
	int object;         /* always write an object (a fresh record), even with one field */
	int fresh;          /* ignore the input object: write only these fields */
	const char *const *drop;  /* input keys not echoed (NULL-terminated), or NULL */
} kx_result;

/* Builders: each appends a field and returns it. */
kx_field *kx_res_num(kx_result *r, const char *name, double v);
kx_field *kx_res_int(kx_result *r, const char *name, long long v);
kx_field *kx_res_str(kx_result *r, const char *name, const char *s);
kx_field *kx_res_bool(kx_result *r, const char *name, int v);
kx_field *kx_res_null(kx_result *r, const char *name);
kx_field *kx_res_json(kx_result *r, const char *name, const char *json);
kx_field *kx_res_vec(kx_result *r, const char *name, const double *d, size_t n);
kx_field *kx_res_ivec(kx_result *r, const char *name, const long long *v, size_t n);
kx_field *kx_res_mat(kx_result *r, const char *name, const double *d, const size_t *off,
                     size_t rows);
kx_field *kx_res_matc(kx_result *r, const char *name, const double *d, size_t rows,
                      size_t cols);   /* equal-length rows */
kx_field *kx_res_imat(kx_result *r, const char *name, const long long *v,
                      const size_t *off, size_t rows, size_t cols);

/* Results of a record read as rows x (kx_mat): a per-entry field (one value
 * per entry of x) is a vector for a vector record and one row per row for a
 * batch; a per-row field (one value per row of x) is a number, or a list with
 * one value per row.  Set r->per_row = x->batch for text output. */
kx_field *kx_res_entries(kx_result *r, const char *name, const double *d, const kx_mat *x);
kx_field *kx_res_rows(kx_result *r, const char *name, const double *d, const kx_mat *x);
kx_field *kx_res_irows(kx_result *r, const char *name, const long long *v, const kx_mat *x);

typedef struct kx_out {
	FILE *f;             /* stdout or the -o file */
	const char *path;    /* for messages */
	int fmt;             /* KX_FMT_JSON, TEXT, F32, F64, U32 */
	int digits, strict, unbuffered;
	kx_buf buf;          /* one record is built here, then written at once */
	char *fbuf;          /* stdio's buffer for an -o file (ours, freed at close) */
} kx_out;

/* Open -o (or stdout); fmt is the resolved output format. */
void kx_out_open(kx_out *o, const kx_common *c, int fmt);
/* Write one record: JSON (bare value for one field on a non-object record,
 * else an object; object input: every field kept as typed, results appended
 * or replaced in place), text (fields by tab, values by space, a line per row
 * of a per_row result), or raw (exactly one field).  in may be NULL.  Write
 * errors exit 1; a closed pipe ends the program quietly. */
void kx_write(kx_out *o, const kx_rec *in, const kx_result *r);
/* Append one value to o->buf in the output's JSON style (for KX_F_JSON text). */
void kx_out_num(const kx_out *o, kx_buf *b, double v);
void kx_out_vec(const kx_out *o, kx_buf *b, const double *v, size_t n);
/* Emit o->buf as is (already a whole record), then clear it. */
void kx_out_flush(kx_out *o);
/* Flush and close; a failed write or close exits 1.  Call before exit. */
void kx_out_close(kx_out *o);

/* ===== the filter loop (filter.c) ==================================== */

/* Called once per good record.  Fill res (clear on entry) and return:
 *   KX_OK      write res;
 *   KX_SKIP    write nothing for this record (not an error);
 *   KX_BAD     a bad record: message in err, nothing written;
 *   KX_FATAL   write res (if res->n > 0), report err, stop with exit 1 (no -K). */
enum { KX_OK = 0, KX_SKIP = 1, KX_BAD = -1, KX_FATAL = -2 };
typedef int (*kx_process_fn)(void *ctx, kx_rec *in, kx_result *res, char *err, size_t errsz);

typedef struct kx_counts {
	long long records;    /* records read (good and bad) */
	long long bad;        /* bad records */
} kx_counts;

/* Read every record, process, write, report bad records as PROG: WHERE: msg.
 * Stops at the first bad record unless -K.  Returns the exit status (0 or 1). */
int kx_filter(const kx_common *c, kx_reader *rd, kx_out *o, kx_process_fn fn,
              void *ctx, kx_counts *counts);

/* ===== matrices in files (matfile.c, npy.c) ========================== */

/* A dense array of doubles in C order, up to 3 dimensions. */
typedef struct kx_array {
	double *v;          /* owned; free with kx_array_free */
	int ndim;           /* 1, 2 or 3 */
	size_t shape[3];
	size_t size;        /* product of the shape */
} kx_array;

void kx_array_free(kx_array *a);
/* Load a matrix file: .npy (v1-3, <f4/<f8, C order), JSON (one array of arrays,
 * or JSON Lines of row arrays; a flat array is 1-D), raw (.f32/.f64 or fmt
 * F32/F64) with cols = dim.  The format follows the name, else the first
 * bytes (\x93NUMPY, '[').  fmt: KX_FMT_NONE, or F32/F64 for raw files.  0 ok;
 * -1 with a message in err (no program name, no path). */
int kx_load_array(const char *path, int fmt, size_t dim, kx_array *a, char *err, size_t errsz);
/* Write an .npy file (v1.0, <f8, or <f4 when f32), atomically (tmp + rename). */
int kx_npy_save(const char *path, const double *v, int ndim, const size_t *shape, int f32,
                char *err, size_t errsz);

/* The same for raw little-endian values (n of them, f32 or f64), atomically. */
int kx_raw_save(const char *path, const double *v, size_t n, int f32, char *err, size_t errsz);

/* A streaming .npy writer for a (rows, cols) array whose rows arrive one by
 * one; the shape is patched in at close (the file must be seekable). */
typedef struct kx_npy_writer {
	FILE *f;
	size_t cols, rows;
	int f32;
	long shape_pos;      /* where the header's shape text starts */
} kx_npy_writer;
int kx_npy_writer_open(kx_npy_writer *w, const char *path, size_t cols, int f32,
                       char *err, size_t errsz);
int kx_npy_writer_row(kx_npy_writer *w, const double *row);
int kx_npy_writer_close(kx_npy_writer *w, char *err, size_t errsz);

#endif
