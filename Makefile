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
	rm -rf build build-san build-fuzz bin

clean: clean-objs
	rm -rf examples/out bench/out tests/out

.PHONY: all deps units fuzz-replay check sanitize demo bench install uninstall clean clean-objs

# The kernel timer used by bench/*.sh.
$(B)/bench/kernel: bench/kernel.c $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkexue.a $(LDLIBS)

# The zoh timer used by bench/hippo-discretize.sh (hippo_zoh in-process).
bench: $(B)/bench/kernel_hippo
$(B)/bench/kernel_hippo: bench/kernel_hippo.c $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkexue.a $(LDLIBS)

# The block normal generator's timer (lib/rng.c): build/bench/kernel_rng.
bench: $(B)/bench/kernel_rng
$(B)/bench/kernel_rng: bench/kernel_rng.c $(B)/libkexue.a $(LIBHDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkexue.a $(LDLIBS)

# libFuzzer builds of the harnesses (clang, ASan, UBSan), run for FUZZ_SECONDS
# each over tests/fuzz/corpus/NAME, which grows with what they find.
FUZZ_SECONDS ?= 60
FUZZCC ?= clang
fuzz: deps-fuzz
	@mkdir -p build-fuzz/lib
	@for f in $(LIBSRC); do $(FUZZCC) $(WARN) $(FPFLAGS) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	    -c $$f -o build-fuzz/lib/$$(basename $$f .c).o || exit 1; done
	@ar rcs build-fuzz/libkexue.a build-fuzz/lib/*.o
	@for h in $(FUZZSRC); do n=$$(basename $$h .c); \
	    $(FUZZCC) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build-fuzz/$$n $$h build-fuzz/libkexue.a $(LDLIBS) || exit 1; done
	@for h in $(FUZZSRC); do n=$$(basename $$h .c); c=tests/fuzz/corpus/$${n#fuzz_}; mkdir -p $$c; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	    build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=tests/fuzz/crashes/ $$c 2>&1 | tail -2; done

deps-fuzz:
	@scripts/install-deps fuzz
.PHONY: fuzz deps-fuzz

# The bats suites with every program run under valgrind (memcheck): an error or
# a definite leak makes the program exit 99, which fails the test.
valgrind: all
	@mkdir -p build/vg-bin
	@for p in $(BUILT); do printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite "%s" "$$@"\n' \
	    "$(CURDIR)/$(BIN)/$$p" > build/vg-bin/$$p; chmod +x build/vg-bin/$$p; done
	@KX_VALGRIND=1 PYTHON=$(PYTHON) KX_BIN=$(CURDIR)/build/vg-bin KX_BUILD=$(CURDIR)/$(B) tests/run bats
.PHONY: valgrind
