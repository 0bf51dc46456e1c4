/*
 * tap.h — a minimal TAP producer for the C unit tests.  Each test binary
 * prints "ok N - what" / "not ok N - what" lines and returns non-zero when
 * any failed (tests/run counts the lines).
 */
#ifndef KX_TAP_H
#define KX_TAP_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void tap_ok(int cond, const char *what)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, what);
}

/* |got - want| <= atol + rtol |want|, NaN equal to NaN, infinities exact. */
static int tap_close(double got, double want, double rtol, double atol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= atol + rtol * fabs(want);
}

static void tap_near(double got, double want, double rtol, double atol, const char *what)
{
	int ok = tap_close(got, want, rtol, atol);
	tap_ok(ok, what);
	if (!ok)
		printf("#   got %.17g, want %.17g\n", got, want);
}

static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
