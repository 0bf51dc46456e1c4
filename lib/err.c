/* err.c — messages, exit status and checked allocation (conventions.md 4). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kx.h"

const char *kx_prog = "kexue";
int kx_quiet;
static int progress_shown;

/* OpenBLAS's own API (cblas.h), referenced weakly: a program that calls no
 * BLAS routine is linked without OpenBLAS (-Wl,--as-needed in config.mk) and
 * finds this null, so it starts without loading the library. */
void openblas_set_num_threads(int n) __attribute__((weak));
/* OpenBLAS (pthreads build) starts its worker threads when it is loaded; they
 * spin in sched_yield for a while before sleeping, a third of a short run's
 * CPU time.  With one thread they are never used: join them.  Exported by
 * libopenblas (its fork handler uses it); weak, so a build without it skips. */
int blas_thread_shutdown_(void) __attribute__((weak));

void kx_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	kx_prog = slash ? slash + 1 : prog;
	/* One BLAS thread unless the user asks for more: a filter scales out by
	 * processes (GNU parallel), and a thread pool fighting other processes
	 * made small jobs several times slower (measured on hippo-discretize).
	 * Joining the idle workers took a zoh build at N = 256 from 20 ms of
	 * CPU to 13 ms; the results are the same bits. */
	if (openblas_set_num_threads && !getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS")) {
		openblas_set_num_threads(1);
		if (blas_thread_shutdown_)
			blas_thread_shutdown_();
	}
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;
	kx_progress_done();
	fprintf(stderr, "%s: %s", kx_prog, prefix);
	vfprintf(stderr, fmt, ap);
	size_t n = strlen(fmt);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void kx_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void kx_warn(const char *fmt, ...)
{
	if (kx_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

static void (*die_fn)(void *);
static void *die_arg;

void kx_on_die(void (*fn)(void *), void *arg)
{
	die_fn = fn;
	die_arg = arg;
}

void kx_die(const char *fmt, ...)
{
	void (*fn)(void *) = die_fn;
	die_fn = NULL;                  /* once: a kx_die inside fn does not come back here */
	if (fn) {
		int saved = errno;
		fn(die_arg);
		fflush(stdout);
		errno = saved;
	}
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(1);
}

void kx_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", kx_prog);
	exit(2);
}

void *kx_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		kx_die("out of memory");
	return p;
}

void *kx_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		kx_die("out of memory");
	return p;
}

void *kx_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		kx_die("out of memory");
	return p;
}

char *kx_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(kx_malloc(n), s, n);
}

/* ----- progress: one line on a terminal's stderr, rewritten in place ----- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void kx_progress(const char *fmt, ...)
{
	static double start, last;
	static int tty = -1;
	if (kx_quiet)
		return;
	if (tty < 0) {
		tty = isatty(STDERR_FILENO);
		start = now();
	}
	if (!tty)
		return;
	double t = now();
	if (t - start < 1.0 || t - last < 0.1)
		return;
	last = t;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\r\033[K%s: ", kx_prog);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = 1;
}

void kx_progress_done(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}
