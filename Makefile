# kexue-tools — make (build), check, demo, bench, sanitize, install, clean.
include config.mk

PROGS   = softmax sparsemax hippo-discretize fsq-encode vq-encode lora-init \
          attn-scale-sweep sid-step
# Programs that exist in this tree (the others are added by their issues).
BUILT   = $(foreach p,$(PROGS),$(if $(wildcard cmd/$(p).c),$(p)))
B      ?= build
BIN    ?= bin
BINS    = $(BUILT:%=$(BIN)/%)
LIBSRC  = $(wildcard lib/*.c)
LIBOBJ  = $(LIBSRC:lib/%.c=$(B)/lib/%.o)
LIBHDR  = $(wildcard lib/*.h)
UNITSRC = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRC:tests/unit/%.c=$(B)/tests/%)
FUZZSRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ    = $(FUZZSRC:tests/fuzz/%.c=$(B)/fuzz/%)
ALLCFLAGS = $(WARN) $(FPFLAGS) $(CPPFLAGS) $(CFLAGS)

all: $(BINS)

$(B)/lib/%.o: lib/%.c $(LIBHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

# The generator's Box-Muller batches (lib/rng.c): sqrt without the errno
# branch, so that gcc vectorises them (the values are the same).
$(B)/lib/rng.o: FPFLAGS += -fno-math-errno

$(B)/libkexue.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BIN)/%: cmd/%.c $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkexue.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(B)/libkexue.a $(LDLIBS)

# The replay form of the fuzz harnesses (tests/fuzz/README): runs the saved corpus.
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(B)/libkexue.a $(LDLIBS)

deps:
	@scripts/install-deps

units: $(UNITS)
fuzz-replay: $(FUZZ)

check: deps all units fuzz-replay
	@PYTHON=$(PYTHON) KX_BIN=$(CURDIR)/$(BIN) KX_BUILD=$(CURDIR)/$(B) tests/run

# Everything again under AddressSanitizer and UndefinedBehaviorSanitizer, in build-san/.
sanitize: deps
	$(MAKE) B=build-san BIN=build-san/bin \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" all units fuzz-replay
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 PYTHON=$(PYTHON) \
	    KX_BIN=$(CURDIR)/build-san/bin KX_BUILD=$(CURDIR)/build-san tests/run

demo: deps all
	@PYTHON=$(PYTHON) KX_BIN=$(CURDIR)/bin examples/run

bench: deps all $(B)/bench/kernel
	@PYTHON=$(PYTHON) KX_BIN=$(CURDIR)/bin bench/run

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man7
	for p in $(BUILT); do cp -f $(BIN)/$$p $(DESTDIR)$(PREFIX)/bin/ && chmod 755 $(DESTDIR)$(PREFIX)/bin/$$p; done
	for p in $(BUILT); do cp -f man/$$p.1 $(DESTDIR)$(MANPREFIX)/man1/ && chmod 644 $(DESTDIR)$(MANPREFIX)/man1/$$p.1; done
	cp -f man/kexue-tools.7 $(DESTDIR)$(MANPREFIX)/man7/

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$p $(DESTDIR)$(MANPREFIX)/man1/$$p.1; done
	rm -f $(DESTDIR)$(MANPREFIX)/man7/kexue-tools.7

clean-objs:
	rm -rf build build-san build-fuzz build-afl bin

clean: clean-objs
	rm -rf examples/out bench/out tests/out

.PHONY: all deps units fuzz-replay check sanitize demo bench install uninstall clean clean-objs

# The in-process timers used by bench/*.sh: kernel (softmax, sparsemax),
# kernel_hippo (the zoh build), kernel_rng (the block normal generator).
bench: $(B)/bench/kernel_hippo $(B)/bench/kernel_rng
$(B)/bench/%: bench/%.c $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkexue.a $(LDLIBS)

# libFuzzer builds of the harnesses (clang, ASan, UBSan: undefined behaviour
# stops the run like a crash), run for FUZZ_SECONDS
# each over tests/fuzz/corpus/NAME, which grows with what they find.
# FUZZ_ONLY="attn jsonl" picks some harnesses (default: all).
FUZZ_SECONDS ?= 60
FUZZCC ?= clang
FUZZ_ONLY ?= $(FUZZSRC:tests/fuzz/fuzz_%.c=%)
FUZZSEL = $(FUZZ_ONLY:%=tests/fuzz/fuzz_%.c)
fuzz: deps-fuzz
	@mkdir -p build-fuzz/lib
	@for f in $(LIBSRC); do $(FUZZCC) $(WARN) $(FPFLAGS) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	    -c $$f -o build-fuzz/lib/$$(basename $$f .c).o || exit 1; done
	@rm -f build-fuzz/libkexue.a; ar rcs build-fuzz/libkexue.a $(LIBOBJ:$(B)/lib/%=build-fuzz/lib/%)
	@for h in $(FUZZSEL); do n=$$(basename $$h .c); \
	    $(FUZZCC) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o build-fuzz/$$n $$h build-fuzz/libkexue.a $(LDLIBS) || exit 1; done
	@for h in $(FUZZSEL); do n=$$(basename $$h .c); c=tests/fuzz/corpus/$${n#fuzz_}; mkdir -p $$c tests/fuzz/crashes; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	    build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=tests/fuzz/crashes/ $$c 2>&1 | tail -2; done

# AFL++ builds of the harnesses (afl-clang-fast, its libFuzzer driver, ASan and
# UBSan), in build-afl/; each is run for AFL_SECONDS by afl-fuzz over a copy of
# tests/fuzz/corpus/NAME, its findings in build-afl/out/NAME (AFL_SECONDS=0:
# build only).  New inputs worth keeping go back through libFuzzer's -merge
# (tests/fuzz/README).  Instrumentation: clang's own trace-pc-guard (LLVMNATIVE);
# AFL++ 4.04c's PCGUARD and CLASSIC passes crash clang 14 on lib/softmax.c.
AFLCC ?= afl-clang-fast
AFL_LLVM_INSTRUMENT ?= LLVMNATIVE
export AFL_LLVM_INSTRUMENT
AFL_SECONDS ?= 120
afl: deps-fuzz
	@mkdir -p build-afl/lib
	@for f in $(LIBSRC); do AFL_QUIET=1 AFL_USE_ASAN=1 AFL_USE_UBSAN=1 $(AFLCC) $(WARN) $(FPFLAGS) $(CPPFLAGS) -O1 -g \
	    -c $$f -o build-afl/lib/$$(basename $$f .c).o || exit 1; done
	@rm -f build-afl/libkexue.a; ar rcs build-afl/libkexue.a $(LIBOBJ:$(B)/lib/%=build-afl/lib/%)
	@for h in $(FUZZSEL); do n=$$(basename $$h .c); \
	    AFL_QUIET=1 AFL_USE_ASAN=1 AFL_USE_UBSAN=1 $(AFLCC) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer -o build-afl/$$n $$h \
	    build-afl/libkexue.a $(LDLIBS) || exit 1; done
	@[ "$(AFL_SECONDS)" -gt 0 ] || exit 0; \
	for h in $(FUZZSEL); do n=$$(basename $$h .c); c=$${n#fuzz_}; rm -rf build-afl/in/$$c; mkdir -p build-afl/in/$$c build-afl/out; \
	    ls tests/fuzz/corpus/$$c | head -200 | while read f; do cp tests/fuzz/corpus/$$c/$$f build-afl/in/$$c/; done; \
	    echo "afl: $$n for $(AFL_SECONDS) s"; \
	    AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
	    afl-fuzz -V $(AFL_SECONDS) -m none -i build-afl/in/$$c -o build-afl/out/$$c -- build-afl/$$n > build-afl/$$c.log 2>&1; \
	    grep -E 'execs_done|saved_crashes|saved_hangs|corpus_count' build-afl/out/$$c/default/fuzzer_stats | tr -s ' ' | tr '\n' ' '; echo; done

deps-fuzz:
	@scripts/install-deps fuzz
.PHONY: fuzz afl deps-fuzz

# The bats suites with every program run under valgrind (memcheck): an error or
# a definite leak makes the program exit 99, which fails the test.
valgrind: all
	@mkdir -p build/vg-bin
	@for p in $(BUILT); do printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite "%s" "$$@"\n' \
	    "$(CURDIR)/$(BIN)/$$p" > build/vg-bin/$$p; chmod +x build/vg-bin/$$p; done
	@KX_VALGRIND=1 PYTHON=$(PYTHON) KX_BIN=$(CURDIR)/build/vg-bin KX_BUILD=$(CURDIR)/$(B) tests/run bats
.PHONY: valgrind
