# exercise.mk -- the build and test rules every exercise shares. Each exercise's Makefile
# names its parts and includes this file. Given: you need not change it (the graders
# check that it is the one you were given).
#
#   make              build the exercise's programs from your files
#   make test         build and run the graded tests; print your score for this exercise
#   make memcheck     the tests, and every program they start, under valgrind
#   make helgrind     the same under valgrind's race detector
#   make clean        remove everything built
#
# Options: CC=clang, SANITIZE=address (ASan + UBSan) or SANITIZE=thread (TSan), DEBUG=1
# (-O0 -g3, for gdb), PORTABLE=1 (the fallbacks a system without Linux's extras runs).
# One test alone: make && CK_RUN_CASE=recv_line_eintr ./tests/check_line_io
#
# Instructors: VARIANT=solution builds and tests the reference solution instead: the
# files in solution/ take the place of the student's files of the same name, and
# everything built goes into solution/, so that the stub and the solution live side by side.
#
# The exercise's Makefile sets, before `include ../exercise.mk`:
#   EXERCISE         its name (01-event)
#   PROGRAMS         the programs it builds (empty for a library exercise)
#   TESTS            its suites: tests/check_NAME, built from tests/check_NAME.c
#   NAME_SOURCES     for each program and each suite (by file name): the exercise's own .c
#                    files it is built from (the student's files)
#   NAME_COMMON      the given modules of ../common it needs (cli.c net.c)
#   HARNESS_FLAGS    (rarely) flags for compiling the test harness, e.g. to rename one of
#                    its functions that the exercise's own code defines too

COMMON  := ../common
TESTLIB := ../tests
GRADING := ../grading

# --- Which files: the student's, or the reference solution's -------------------------------
VARIANT ?=
ifeq ($(VARIANT),solution)
  OUT    := solution/
  RUNDIR := solution
else ifeq ($(VARIANT),)
  OUT    :=
  RUNDIR := .
else
  $(error VARIANT=$(VARIANT) is unknown: leave it out, or VARIANT=solution)
endif
# pick: each named file, from solution/ when building the solution and it is there.
pick = $(foreach f,$(1),$(if $(and $(OUT),$(wildcard solution/$(f))),solution/$(f),$(f)))

# --- Flags (the same as every folder of the kit) --------------------------------------------
WARNINGS := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wmissing-prototypes
ifeq ($(DEBUG),1)
  CFLAGS ?= -O0 -g3
else
  CFLAGS ?= -O2 -g
endif
# PORTABLE=1: as a system without Linux's extras builds (no MSG_NOSIGNAL, no
# pthread_condattr_setclock, ...): the fallbacks a Mac runs are then tested here.
ifeq ($(PORTABLE),1)
  PORTABILITY := -DKIT_PORTABLE
endif
ifeq ($(SANITIZE),address)
  SANITIZER := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
  SANITIZER := -fsanitize=thread
else ifneq ($(SANITIZE),)
  $(error SANITIZE=$(SANITIZE) is unknown: use SANITIZE=address or SANITIZE=thread)
endif
ALL_CFLAGS := $(WARNINGS) -D_POSIX_C_SOURCE=200809L -pthread $(PORTABILITY) $(SANITIZER) $(CFLAGS) \
              -I. -I$(COMMON)
LDLIBS     := -pthread -lm

# Check (libcheck) is only needed for the tests: `make` works without it.
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
# The suppressions by a relative path from where the suites run (. or solution/): RUN_UNDER
# is split at spaces, and the kit's own path may hold some ("My Course").
HELGRIND := valgrind -q --error-exitcode=99 --tool=helgrind \
            --suppressions=$(if $(OUT),../)../helgrind.supp
# Under valgrind everything runs 10-50 times slower: Check's timeouts (and the
# harness's own deadlines) scale by this factor.
SLOW     := CK_TIMEOUT_MULTIPLIER=20

HEADERS      := $(wildcard *.h) $(wildcard $(COMMON)/*.h)
TEST_HEADERS := $(TESTLIB)/harness.h $(TESTLIB)/graded.h
BUILT_PROGRAMS := $(addprefix $(OUT),$(PROGRAMS))
BUILT_TESTS    := $(addprefix $(OUT),$(TESTS))
# The fault-injection library some tests preload into your program (tests/fault_inject.c
# says how it works): where the harness looks for it, next to the built tests.
SHIM           := $(OUT)tests/fault_inject.so

.PHONY: all build test memcheck helgrind clean layout run-tests check-deps FORCE

all: $(BUILT_PROGRAMS)

build: $(BUILT_PROGRAMS) $(BUILT_TESTS) $(SHIM)

# --- Building ---------------------------------------------------------------------------------
# Everything is rebuilt when the compiler or the flags change (CC=clang, SANITIZE=...):
# .build-flags holds the last command line and is rewritten only when it differs.
$(OUT).build-flags: FORCE
	@echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS)' > $@

define program_rule
$(OUT)$(1): $(call pick,$($(1)_SOURCES)) $(addprefix $(COMMON)/,$($(1)_COMMON)) $(HEADERS) \
            $(OUT).build-flags
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$(filter %.c,$$^) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# The harness (a verbatim copy of 01-threads/tests/harness.c) is compiled once per exercise,
# on its own, so that HARNESS_FLAGS reach it alone.
$(OUT)tests/harness.o: $(TESTLIB)/harness.c $(TESTLIB)/harness.h $(OUT).build-flags | check-deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(HARNESS_FLAGS) -c -o $@ $<

# Preloaded into sanitized and valgrind'd programs alike: built without sanitizers.
$(SHIM): $(TESTLIB)/fault_inject.c $(OUT).build-flags
	@mkdir -p $(dir $@)
	$(CC) $(WARNINGS) -D_POSIX_C_SOURCE=200809L $(PORTABILITY) -fPIC -shared -O2 -g -o $@ $< -ldl -pthread

define test_rule
$(OUT)$(1): $(1).c $(call pick,$($(notdir $(1))_SOURCES)) \
            $(addprefix $(COMMON)/,$($(notdir $(1))_COMMON)) $(OUT)tests/harness.o \
            $(TESTLIB)/graded.c $(HEADERS) $(TEST_HEADERS) $(OUT).build-flags | check-deps
	$$(CC) $$(ALL_CFLAGS) -I$(TESTLIB) $$(CHECK_CFLAGS) -o $$@ $$(filter %.c %.o,$$^) \
	  $$(CHECK_LIBS) $$(LDLIBS)
endef
$(foreach t,$(TESTS),$(eval $(call test_rule,$(t))))

check-deps:
	@pkg-config --exists check 2>/dev/null || { echo "$(EXERCISE): the tests need Check" \
	  "(libcheck) and pkg-config: run 'make deps' at the top of the kit, or install them:" \
	  "sudo apt-get install check libsubunit-dev pkg-config (Debian/Ubuntu)," \
	  "sudo dnf install check-devel pkgconf (Fedora), brew install check pkg-config (macOS)" >&2; \
	  exit 1; }

# --- Testing and grading ----------------------------------------------------------------------
# make test: ../grading/grade.sh builds, runs every suite with Check's TAP log on, and turns
# the logs into the score (the same path the kit's `make test` and `make grade` take).
test:
	@CC='$(CC)' sh $(GRADING)/grade.sh $(if $(VARIANT),-v $(VARIANT)) .

# For grade.sh: where the suites run, and which they are.
layout:
	@echo $(RUNDIR) $(TESTS)

# For grade.sh: run every suite (already built), each writing its TAP and XML logs into
# the folder named by the environment variable LOGDIR (an environment variable, not a make
# one: the path may hold spaces and quotes). A failing suite does not stop the others: the
# logs say what failed.
run-tests:
	@: "$${LOGDIR:?make run-tests: LOGDIR must name the folder for the logs (grade.sh sets it)}"; \
	for t in $(TESTS); do \
	  name=$$(basename $$t); \
	  ( cd $(RUNDIR) && CK_TAP_LOG_FILE_NAME="$$LOGDIR/$$name.tap" \
	    CK_XML_LOG_FILE_NAME="$$LOGDIR/$$name.xml" ./$$t ) || :; \
	done

memcheck: build
	@if [ -n "$(SANITIZE)" ]; then echo "$(EXERCISE): memcheck needs a build without SANITIZE" >&2; exit 2; fi
	@status=0; for t in $(TESTS); do \
	  echo "valgrind $(OUT)$$t"; \
	  ( cd $(RUNDIR) && $(SLOW) RUN_UNDER="$(VALGRIND)" $(VALGRIND) ./$$t ) || status=1; \
	done; exit $$status

helgrind: build
	@if [ -n "$(SANITIZE)" ]; then echo "$(EXERCISE): helgrind needs a build without SANITIZE" >&2; exit 2; fi
	@status=0; for t in $(TESTS); do \
	  echo "helgrind $(OUT)$$t"; \
	  ( cd $(RUNDIR) && $(SLOW) RUN_UNDER="$(HELGRIND)" $(HELGRIND) ./$$t ) || status=1; \
	done; exit $$status

clean:
	rm -f $(PROGRAMS) $(TESTS) .build-flags tests/*.o tests/*.so tests/*.tap tests/*.xml \
	  tests/*.log tests/suites
	rm -f $(addprefix solution/,$(PROGRAMS) $(TESTS) .build-flags)
	rm -f solution/tests/*.o solution/tests/*.so solution/tests/*.tap solution/tests/*.xml \
	  solution/tests/*.log solution/tests/suites
	@rmdir solution/tests 2>/dev/null || :
