# rules.mk -- how every folder of the kit builds, tests and fuzzes its programs. A folder's
# Makefile says what the folder has, then includes this file (TLPI's Makefile.inc idea).
#
# master: 01-threads/rules.mk; edit there, then run `make sync` at the top of the kit
# (every folder holds an identical copy, so that each still builds alone).
#
# The folder's Makefile sets, before `include rules.mk`:
#   FOLDER     its name (02-tcp-echo), for messages
#   PROGRAMS   one program per .c file (echo_server from echo_server.c)
#   COMMON     the folder's modules that every program is linked with (cli.c net.c)
#   TESTS      its Check suites: tests/check_NAME, each built from tests/check_NAME.c and
#              tests/harness.c
#   FUZZERS    its libFuzzer harnesses: tests/fuzz_NAME.c, whose saved inputs in
#              tests/corpus/NAME `make test` replays (tests/replay_NAME, any compiler)
# and, as plain make prerequisites, what else a program, suite or fuzzer is built from:
#   echo_client: text.c text.h
#   tests/check_text tests/replay_text tests/fuzz_text: text.c text.h
# Optional: LIBS (more libraries for the programs), BENCH (06's `make bench`).
#
# Targets: all, test, memcheck, helgrind, demo, fuzz, clean.
# Options: CC=clang, SANITIZE=address (ASan + UBSan) or SANITIZE=thread (TSan), DEBUG=1
# (-O0 -g3, for gdb), PORTABLE=1 (every Linux-only call switched off, as on macOS),
# BUSY=N (make test with N CPU-burning loops beside it; BUSY=all: one per CPU),
# RUN_UNDER=... (a prefix for every program the tests start), FUZZ_SECONDS=N.

.PHONY: all test memcheck helgrind demo fuzz clean check-deps FORCE
.DEFAULT_GOAL := all

# --- Flags ----------------------------------------------------------------------------------
WARNINGS := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wmissing-prototypes
ifeq ($(DEBUG),1)
  CFLAGS ?= -O0 -g3
else
  CFLAGS ?= -O2 -g
endif
ifeq ($(SANITIZE),address)
  SANITIZER := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
  SANITIZER := -fsanitize=thread
else ifneq ($(SANITIZE),)
  $(error SANITIZE=$(SANITIZE) is unknown: use SANITIZE=address or SANITIZE=thread)
endif
# PORTABLE=1: build as a system without Linux's extras would (no epoll, no MSG_NOSIGNAL,
# no pthread_condattr_setclock, ...): the fallbacks a Mac runs are then tested here.
ifeq ($(PORTABLE),1)
  PORTABILITY := -DKIT_PORTABLE
endif
BASE_CFLAGS := $(WARNINGS) -D_POSIX_C_SOURCE=200809L -pthread $(PORTABILITY)
ALL_CFLAGS  := $(BASE_CFLAGS) $(SANITIZER) $(CFLAGS)
LDLIBS      := -pthread -lm

# Check (libcheck) is only needed for the tests: `make` and `make demo` work without it.
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
# A folder's helgrind.supp says why each of its entries is not our bug. (A relative
# path: RUN_UNDER is split at spaces, and the folder's own path may hold some.)
HELGRIND := valgrind -q --error-exitcode=99 --tool=helgrind \
            $(if $(wildcard helgrind.supp),--suppressions=helgrind.supp)
# Under valgrind everything runs 10-50 times slower: Check's timeouts (and the harness's
# own deadlines) scale by this factor.
SLOW := CK_TIMEOUT_MULTIPLIER=20

SHIM    := $(if $(wildcard tests/fault_inject.c),tests/fault_inject.so)
REPLAYS := $(FUZZERS:%=tests/replay_%)
FUZZ_BINARIES := $(FUZZERS:%=tests/fuzz_%)

all: $(PROGRAMS)

# --- Building ---------------------------------------------------------------------------------
# Everything is rebuilt when the compiler or the flags change (CC=clang, SANITIZE=...):
# .build-flags holds the last command line and is rewritten only when it differs.
.build-flags: FORCE
	@echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS)' > $@

# One program per .c file, linked with the folder's common modules and whatever else
# the folder's Makefile lists for it.
%: %.c $(COMMON) $(COMMON:.c=.h) .build-flags
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS) $(LIBS)

tests/%: tests/%.c tests/harness.c tests/harness.h .build-flags | check-deps
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -o $@ $(filter %.c,$^) $(CHECK_LIBS) $(LDLIBS)

# The fault shim is preloaded into plain, sanitized and valgrind'd programs alike: it is
# built without sanitizer flags.
tests/fault_inject.so: tests/fault_inject.c .build-flags
	$(CC) $(BASE_CFLAGS) -fPIC -shared -O2 -g -o $@ $< -ldl

# A fuzz harness linked with fuzz_replay.c instead of libFuzzer: any compiler, any SANITIZE.
tests/replay_%: tests/fuzz_replay.c tests/fuzz_%.c .build-flags
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

check-deps:
	@pkg-config --exists check 2>/dev/null || { echo "$(FOLDER): the tests need Check" \
	  "(libcheck) and pkg-config: run 'make deps' at the top of the kit, or install them:" \
	  "sudo apt-get install check libsubunit-dev pkg-config (Debian/Ubuntu)," \
	  "sudo dnf install check-devel pkgconf (Fedora), brew install check pkg-config (macOS)" >&2; \
	  exit 1; }

# --- Checking ---------------------------------------------------------------------------------
# BUSY=N: N loops that burn a CPU each run beside the tests, as on a lab server that a
# whole class shares; they are stopped when the tests end, however they end (the trap),
# and on Ctrl-C (they are in make's process group, which the terminal signals).
define start-busy
n='$(BUSY)'; if [ "$$n" = all ]; then n=$$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2); fi; \
busy=; i=0; while [ "$$i" -lt "$${n:-0}" ]; do sh -c 'while :; do :; done' & busy="$$busy $$!"; i=$$((i + 1)); done; \
trap 'if [ -n "$$busy" ]; then kill $$busy 2>/dev/null; fi' EXIT INT TERM; \
[ -z "$$busy" ] || echo "$(FOLDER): $$n busy loop(s) running beside the tests (BUSY=$(BUSY))";
endef

test: $(PROGRAMS) $(TESTS) $(SHIM) $(REPLAYS)
	@$(start-busy) status=0; for t in $(TESTS); do ./$$t || status=1; done; \
	for f in $(FUZZERS); do ./tests/replay_$$f tests/corpus/$$f || status=1; done; exit $$status

memcheck: $(PROGRAMS) $(TESTS) $(SHIM) $(REPLAYS)
	@if [ -n "$(SANITIZE)" ]; then echo "$(FOLDER): memcheck needs a build without SANITIZE" >&2; exit 2; fi
	@status=0; for t in $(TESTS); do \
	  echo "valgrind $$t"; $(SLOW) RUN_UNDER="$(VALGRIND)" $(VALGRIND) ./$$t || status=1; \
	done; \
	for f in $(FUZZERS); do \
	  echo "valgrind tests/replay_$$f"; $(VALGRIND) ./tests/replay_$$f tests/corpus/$$f || status=1; \
	done; exit $$status

helgrind: $(PROGRAMS) $(TESTS) $(SHIM)
	@if [ -n "$(SANITIZE)" ]; then echo "$(FOLDER): helgrind needs a build without SANITIZE" >&2; exit 2; fi
	@status=0; for t in $(TESTS); do \
	  echo "helgrind $$t"; $(SLOW) RUN_UNDER="$(HELGRIND)" $(HELGRIND) ./$$t || status=1; \
	done; exit $$status

demo: $(PROGRAMS)
	@sh ./demo.sh

# --- Fuzzing (clang and its libFuzzer runtime only) -------------------------------------------
# Each harness runs FUZZ_SECONDS, starting from its saved inputs (tests/corpus/NAME, read
# only); what it finds new goes to .fuzz/NAME (scratch, not committed), a crash to
# .fuzz/NAME-crash-*, and make fuzz fails. A crash input, once fixed, belongs in
# tests/corpus/NAME under a name that says what it found: make test then replays it. To keep
# a few new inputs: ./tests/fuzz_NAME -merge=1 NEWDIR tests/corpus/NAME .fuzz/NAME
# FUZZ_COPIES=no (the top-level make fuzz): a harness that is a copy of another folder's
# master is fuzzed there only (the same code, fuzzed once).
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ_CFLAGS  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 $(BASE_CFLAGS)

tests/fuzz_%: tests/fuzz_%.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lm

fuzz:
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
	  'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return (int)(d && n) * 0; }' | \
	  $(FUZZ_CC) -fsanitize=fuzzer -x c -o /dev/null - >/dev/null 2>&1 || { \
	  echo "$(FOLDER): make fuzz needs clang and its libFuzzer runtime (Debian/Ubuntu:" \
	    "sudo apt-get install clang libclang-rt-dev)" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(FUZZ_BINARIES)
	@mkdir -p .fuzz; status=0; for f in $(FUZZERS); do \
	  master=$$(head -n 15 tests/fuzz_$$f.c | sed -n 's/.*master: \([^ ;,]*\).*/\1/p'); \
	  case "$$master" in ""|$(FOLDER)/*) ;; *) if [ "$(FUZZ_COPIES)" = no ]; then \
	    echo "fuzz $$f: a copy of $$master, fuzzed there (FUZZ_COPIES=no)"; continue; fi;; esac; \
	  mkdir -p .fuzz/$$f; echo "fuzz $$f: $(FUZZ_SECONDS) s"; \
	  ./tests/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix=.fuzz/$$f-crash- .fuzz/$$f tests/corpus/$$f > .fuzz/$$f.log 2>&1 || status=1; \
	  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
	    .fuzz/$$f.log | sed 's/^/  /'; \
	  if ls .fuzz/$$f-crash-* >/dev/null 2>&1; then status=1; \
	    echo "  CRASH: $$(ls .fuzz/$$f-crash-* | tr '\n' ' ')(log: .fuzz/$$f.log)"; \
	  elif [ $$status != 0 ]; then echo "  FAILED: the log follows"; tail -40 .fuzz/$$f.log; fi; \
	done; exit $$status

clean:
	rm -f $(PROGRAMS) $(TESTS) $(SHIM) $(REPLAYS) $(FUZZ_BINARIES) .build-flags
	rm -rf .fuzz
