/*
 * io_state.h — sid-step's state object (sid.md §5.1, §6.5): parse one state
 * from JSON text (strictly: every key required, unknown keys rejected, every
 * number finite), check a configuration's ranges, print a state or a metrics
 * object in round-trip form, and write a file atomically.
 *
 * Ownership: sid_state_parse allocates the state's vectors (sid_state_alloc);
 * the caller frees them with sid_state_free, also after a failed parse.
 * Text functions append to a caller-owned kx_buf.
 */
#ifndef KX_IO_STATE_H
#define KX_IO_STATE_H

#include <stddef.h>
#include "kx.h"
#include "sid.h"

#define SID_FORMAT "sid-step/1"

/* Word tables of the config's enumerations, NULL-terminated, indexed by the
 * SID_* constants of sid.h. */
extern const char *const sid_loss_words[];       /* "sid", "l1" */
extern const char *const sid_weight_words[];     /* "dmd", "none" */
extern const char *const sid_optimizer_words[];  /* "adam", "sgd" */
extern const char *const sid_fake_mode_words[];  /* "sgd", "exact" */
/* Index of s in words, or -1. */
int sid_word(const char *const *words, const char *s);

/* The config keys in the state's order (sid.md §5.1), NULL-terminated. */
extern const char *const sid_config_keys[];
enum { SID_NCONFIG = 20 };

/* What the metrics object holds besides the state's own vectors (mean and
 * scale are st->gen_mean and st->gen_scale). */
typedef struct sid_metrics {
	long long step;
	int has_fake, has_gen;       /* losses computed in this step (else null) */
	double loss_fake, loss_gen, l1, l2;
	sid_dist dist;
} sid_metrics;

/* Parse text[0, len) as exactly one state object into st.  0 ok; -1 with a
 * message in err ("config.batch: expected an integer >= 1, got 0") and *line
 * set to the line to report (a syntax error's line, else the line where the
 * state begins).  The config's ranges are not checked here (the command line
 * may still change it): call sid_config_check. */
int sid_state_parse(const char *text, size_t len, sid_state *st, long long *line, char *err,
                    size_t errsz);

/* The ranges of sid.md §6.3, including sigma_min <= sigma_max.  0 ok; -1 with
 * a message "config.KEY: expected ..., got ..." in err. */
int sid_config_check(const sid_config *c, char *err, size_t errsz);

/* Append the state as one compact line (no newline) with its metrics object.
 * Every number is printed in shortest round-trip form (-0 as -0); strict:
 * null instead of "NaN"/"Infinity" in the metrics object. */
void sid_state_print(kx_buf *b, const sid_state *st, const sid_metrics *m, int strict);

/* Write len bytes to path atomically: a temporary file in path's directory,
 * then rename(2).  0 ok; -1 with a message (ending in strerror) in err. */
int sid_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errsz);

#endif
