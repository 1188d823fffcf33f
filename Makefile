# faultline - build, test, demo, install.
#
#   make                 build ./faultline (release flags)
#   make test            unit, end-to-end, CLI and fuzz-corpus tests, plain
#                        and under AddressSanitizer + UBSan
#   make demo            run the main job on the embedded default
#   make SANITIZE=1      build with ASan + UBSan (objects in build/asan)
#   make install PREFIX=/usr/local DESTDIR=
#   make fuzz            run each libFuzzer target for FUZZ_SECONDS
#   make valgrind        valgrind memcheck over the end-to-end runs
#   make clean
#
# Missing Debian packages are installed by scripts/deps.sh the first time
# (and whenever the stamp is gone).

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 60

# --- layered flags: standard, warnings, optimisation, hardening, deps ----
STD_FLAGS  = -std=c11
WARN_FLAGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wpointer-arith -Wvla -Wundef
OPT_FLAGS ?= -O2 -g
HARDEN_FLAGS = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now
PKGS = rdkafka libpcre2-8 libzstd libmicrohttpd yaml-0.1
# msgpack-c is "msgpack" in Debian 12 and "msgpack-c" upstream since 6.0
MSGPACK_PC := $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(MSGPACK_PC) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) $(MSGPACK_PC) 2>/dev/null)

ifeq ($(SANITIZE),1)
  BUILD = build/asan
  SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
  OPT_FLAGS = -O1 -g
  HARDEN_FLAGS = -fPIE
else
  BUILD = build/rel
  SAN_FLAGS =
endif

CFLAGS_ALL = $(STD_FLAGS) $(WARN_FLAGS) $(OPT_FLAGS) $(HARDEN_FLAGS) \
             $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(HARDEN_LDFLAGS) -Wl,--as-needed $(LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lm -lpthread

LIB_SRC  = $(wildcard common/*.c ingest/*.c detect/*.c rca/*.c) \
           cli/pipeline.c cli/replay.c cli/config.c cli/options.c
MAIN_SRC = cli/main.c cli/demo.c cli/consume.c cli/state.c cli/metrics.c \
           cli/templates.c
UNIT_SRC = $(wildcard tests/unit/*.c)
DEMO_DATA = $(wildcard fixtures/surge_breaks_update/*)

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ = $(MAIN_SRC:%.c=$(BUILD)/%.o) $(BUILD)/cli/demo_data.o
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/%.o)
DEPS_STAMP = build/.deps-ok

ifeq ($(SANITIZE),1)
all: $(BUILD)/faultline
else
all: faultline
faultline: $(BUILD)/faultline
	cp $< $@
endif

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(dir $@)
	@sh scripts/deps.sh
	@touch $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/cli/demo_data.o: cli/demo_data.S $(DEMO_DATA) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(BUILD)/libfaultline.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/faultline: $(MAIN_OBJ) $(BUILD)/libfaultline.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# cli/state.o: the checkpoint container, for tests/unit/test_ckpt_file.c
$(BUILD)/unit_tests: $(UNIT_OBJ) $(BUILD)/cli/state.o $(BUILD)/libfaultline.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# the mock Kafka cluster as a process, for tests over real TCP
$(BUILD)/mock_cluster: tests/kafka/mock_cluster.c | $(DEPS_STAMP)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBS_ALL)

# fuzz targets: a standalone driver replays the saved corpus (make test);
# with clang's libFuzzer they explore (make fuzz)
FUZZ_TARGETS = $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.c)))
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(BUILD)/libfaultline.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

build/libfuzzer/%: tests/fuzz/%.c $(LIB_SRC) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
	    -o $@ $^ $(LIBS_ALL)

.PHONY: all test test-unit test-e2e test-cli test-fuzz demo install clean fuzz \
        bench bench-nab eval check-format docs valgrind test-report-browser

unit: $(BUILD)/unit_tests

test: | $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/faultline build/asan/unit_tests \
	    $(FUZZ_TARGETS:%=build/asan/fuzz/%)
	@$(MAKE) --no-print-directory build/rel/unit_tests build/rel/mock_cluster
	@sh tests/run.sh

demo: faultline
	./faultline demo

# valgrind memcheck over the end-to-end runs (slow; not part of make test)
valgrind: build/rel/faultline
	sh tests/valgrind.sh build/rel/faultline

eval: faultline
	python3 tests/eval.py --faultline ./faultline --seeds 11,12,13,14,15

# the HTML report rendered in headless Chromium (Debian chromium): no
# console error or CSP violation; not in make test (too heavy to share)
test-report-browser: faultline
	sh tests/report/run.sh ./faultline --browser

bench: faultline
	sh bench/run.sh
	sh bench/decoders.sh

# NAB subset (/work/shared/data/nab): standard, low-FP, low-FN scores
bench-nab: faultline
	sh bench/nab/run.sh ./faultline

fuzz: $(FUZZ_TARGETS:%=build/libfuzzer/%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz-corpus/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    build/libfuzzer/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        build/fuzz-corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# docs/CONFIG.md and README.md's configuration section, generated from the
# key table in cli/config.c (commit the result)
docs: faultline
	./faultline config --reference > docs/CONFIG.md
	mkdir -p build
	./faultline config --reference=readme > build/readme-config.md
	awk 'FNR == NR { s = s $$0 "\n"; next } \
	     /<!-- config-reference:end -->/ { skip = 0 } \
	     !skip { print } \
	     /<!-- config-reference:begin -->/ { printf "%s", s; skip = 1 }' \
	    build/readme-config.md README.md > build/README.md.new
	mv build/README.md.new README.md

install: faultline
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 faultline $(DESTDIR)$(PREFIX)/bin/faultline

check-format:
	clang-format --dry-run --Werror $(LIB_SRC) $(MAIN_SRC) */*.h

clean:
	rm -rf build/rel build/asan build/libfuzzer faultline faultline-demo

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
