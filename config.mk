# config.mk — what a packager edits; the Makefile proper does not change.
VERSION   = 0.1.0
PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man
CC       ?= cc
# The user's CFLAGS replace these; the warnings and the standard always apply.
CFLAGS   ?= -O3 -g
WARN      = -std=c11 -Wall -Wextra -Wpedantic
# Floating-point exception flags are never read: this lets gcc vectorise
# branch-free clamps.  Values, NaN and infinities are unchanged (not -ffast-math).
FPFLAGS   = -fno-trapping-math
CPPFLAGS += -D_GNU_SOURCE -Ilib -I/usr/include/cjson
# --as-needed: a program that calls no BLAS or LAPACK routine does not load
# them (softmax starts in half the time).  LAPACKE is linked from Debian's
# static liblapacke.a: its Fortran routines come from libopenblas, and the
# shared liblapacke would load liblapack, libblas and libtmglib as well
# (1.2 ms of every hippo-discretize run).
LDLIBS    = -Wl,--as-needed -lcjson -Wl,-Bstatic -llapacke -Wl,-Bdynamic -lopenblas -lm
# Python with Debian's numpy and scipy, for tests and benchmarks.
PYTHON   ?= /usr/bin/python3
