# The kit's top-level Makefile: it only walks the folders. Every folder has its own
# Makefile and works alone too (make -C 02-tcp-echo test).
#
#   make              build every program of every folder
#   make test         run every folder's tests; one summary line at the end
#   make help         list every target and option
#
# Options passed down to every folder:
#   CC=clang                use clang instead of the default compiler
#   SANITIZE=address        build with AddressSanitizer + UndefinedBehaviorSanitizer
#   SANITIZE=thread         build with ThreadSanitizer

FOLDERS := 01-threads 02-tcp-echo 03-udp 04-threaded-server 05-select-server \
           06-poll-async 07-timers-queues exercises
# Only the folders that exist yet take part (the kit is built folder by folder).
FOLDERS := $(wildcard $(FOLDERS))

# The folders' own make runs print their "Entering directory" lines only when asked, and
# build with every core (tests still run one suite at a time: their timings stay honest).
MAKEFLAGS += --no-print-directory
ifeq ($(filter -j%,$(MAKEFLAGS)),)
  MAKEFLAGS += -j$(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
endif
SHELL := /bin/bash

# CC=... and SANITIZE=... given on the command line reach every folder by themselves:
# make passes command-line variables down to the folders' own make runs.

.PHONY: copies-check all test memcheck helgrind demo bench fuzz clean help deps format format-check handout grade \
        check-grading

all:
	@set -e; for d in $(FOLDERS); do $(MAKE) -C $$d all; done

help:
	@echo 'Targets:'
	@echo '  make              build every program of every folder'
	@echo '  make test         install Check/valgrind if missing, run every folder'"'"'s tests,'
	@echo '                    print one summary line; exit status non-zero on any failure'
	@echo '  make memcheck     every suite and every server under valgrind (leaks, bad memory use)'
	@echo '  make helgrind     the threaded programs under valgrind'"'"'s race detector'
	@echo '  make demo         a guided tour: each folder runs its programs (needs only cc and make)'
	@echo '  make bench        every echo server model under loadgen: table, CSV, SVG plot'
	@echo '                    (about 2 minutes; BENCH_FLAGS="-d 5 -r 3" for longer runs)'
	@echo '  make fuzz         run every libFuzzer harness for FUZZ_SECONDS (default 60) each (clang)'
	@echo '  make clean        remove everything built'
	@echo '  make deps         only install (or name) the missing test dependencies'
	@echo '  make handout      the student kit, without solutions: handout/netprog-kit.tar.gz'
	@echo '  make grade        grade the exercises: results.json (Gradescope), TAP/XML in grading-logs/'
	@echo '  make check-grading  the student kit end to end: handout, stub scores 0, solutions full marks'
	@echo '  make classroom DIR=path  a GitHub Classroom template repository (one grader step per exercise)'
	@echo '  make gradescope   Gradescope'"'"'s autograder: handout/autograder.zip (EX="01-event ..." for some)'
	@echo '  make submission   the zip a student hands in (the files they edit): handout/submission.zip'
	@echo '  make format       apply .clang-format to every C file (format-check: only check)'
	@echo '  make help         this list'
	@echo 'Options: CC=clang, SANITIZE=address (ASan+UBSan), SANITIZE=thread (TSan)'
	@echo 'One folder alone: make -C 01-threads test  (any target above works there too)'

# --- Test dependencies -------------------------------------------------------------
# Check (libcheck) and valgrind are the only things the tests need beyond cc and make.
# When they are missing we install them where we can do it without asking (root with
# apt-get, or passwordless sudo); otherwise we stop with one line naming the command.
DEBIAN_PACKAGES := check libsubunit-dev pkg-config valgrind
HAVE_DEPS = command -v pkg-config >/dev/null 2>&1 && pkg-config --exists check \
            && command -v valgrind >/dev/null 2>&1

deps:
	@if $(HAVE_DEPS); then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo='sudo -n'; \
	  else sudo=no; fi; \
	  if [ "$$sudo" != no ]; then \
	    echo "make: installing the test dependencies: $(DEBIAN_PACKAGES)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    $$sudo apt-get update -qq >/dev/null && \
	    $$sudo apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	  fi; \
	fi; \
	if $(HAVE_DEPS); then exit 0; fi; \
	echo "make: the tests need Check (libcheck), pkg-config and valgrind; install them with:" \
	     "sudo apt-get install $(DEBIAN_PACKAGES) (Debian/Ubuntu)," \
	     "sudo dnf install check-devel pkgconf valgrind (Fedora)," \
	     "brew install check pkg-config (macOS Homebrew; valgrind is not available there)" >&2; \
	exit 1

# --- Running every folder ------------------------------------------------------------
NPROC := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

# run-all TARGET,JOBS: run TARGET in every folder, JOBS folders at a time, even when one
# fails. A line per folder as it finishes; the whole output of a folder that failed; then
# one summary line with Check's totals. Each folder's whole output is kept in
# .logs/FOLDER.TARGET.log. (With a bash older than 4.3, without `wait -n`: one at a time.)
# JOBS=1 on the command line runs one folder at a time anyway.
define run-all
	@mkdir -p .logs; failed=; checks=0; failures=0; start=$$SECONDS; \
	one() { \
	  local log=.logs/$$1.$(1).log t=$$SECONDS rc; \
	  $(MAKE) -C $$1 $(1) > $$log 2>&1; rc=$$?; echo $$rc > $$log.rc; \
	  local n=$$(awk -F'Checks: ' 'NF > 1 { n += $$2 + 0 } END { print n + 0 }' $$log); \
	  if [ $$rc = 0 ]; then echo "  PASS  $$1 ($$n checks, $$((SECONDS - t)) s)"; \
	  else echo "  FAIL  $$1 ($$((SECONDS - t)) s): its output follows at the end"; fi; }; \
	parallel=no; if [ $(or $(JOBS),$(2)) -gt 1 ] && help wait 2>/dev/null | grep -q -- '-n'; then parallel=yes; fi; \
	for d in $(FOLDERS); do \
	  if [ $$parallel = yes ]; then \
	    while [ "$$(jobs -rp | wc -l)" -ge $(or $(JOBS),$(2)) ]; do wait -n; done; one $$d & \
	  else one $$d; fi; \
	done; wait; \
	for d in $(FOLDERS); do log=.logs/$$d.$(1).log; \
	  while read -r n f e; do checks=$$((checks + n)); failures=$$((failures + f + e)); \
	  done < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' $$log); \
	  if [ "$$(cat $$log.rc)" != 0 ]; then failed="$$failed $$d"; \
	    echo; echo "=============== $$d: make $(1) ==============="; cat $$log; fi; \
	done; \
	if [ -z "$$failed" ]; then \
	  echo "make $(1): PASS: all $(words $(FOLDERS)) folders, $$checks checks, $$failures failed ($$((SECONDS - start)) s)"; \
	else \
	  echo "make $(1): FAIL in$$failed ($$checks checks, $$failures failed)"; exit 1; \
	fi
endef

# One folder per core: tests mostly wait (on sockets, timers, child processes), and
# valgrind runs a program on one core at a time. Every deadline in the tests is scaled
# for a slow machine (CK_TIMEOUT_MULTIPLIER under valgrind).
test: deps copies-check
	$(call run-all,test,$(NPROC))

# Folders include nothing from each other, so the kit's shared test files are copied into
# each: the fault-injection shim, the fuzz corpus replayer and the harness (whose
# 07-timers-queues copy has additions of its own, each marked "Added for 07-timers-queues").
# The copies must not drift apart.
SHARED_TEST_FILES := tests/fault_inject.c tests/fuzz_replay.c tests/harness.c tests/harness.h

copies-check:
	@status=0; for f in $(SHARED_TEST_FILES); do \
	  first=; for c in $(addsuffix /$$f,$(FOLDERS)) exercises/*/$$f; do \
	    [ -f "$$c" ] || continue; \
	    case $$c in 07-timers-queues/tests/harness.*) continue;; esac; \
	    if [ -z "$$first" ]; then first=$$c; \
	    elif ! cmp -s "$$first" "$$c"; then \
	      echo "make: $$c differs from $$first (they must be the same file)" >&2; status=1; fi; \
	  done; \
	done; exit $$status

memcheck: deps
	$(call run-all,memcheck,$(NPROC))

helgrind: deps
	$(call run-all,helgrind,$(NPROC))

demo:
	@set -e; for d in $(FOLDERS); do \
	  echo; echo "=============== $$d ==============="; $(MAKE) -C $$d demo; done

clean:
	@for d in $(FOLDERS); do $(MAKE) -C $$d clean; done

# --- The student kit and autograding (exercises/INSTRUCTORS.md says more) ---------------
# handout: every lecture folder there is, and the exercises without their solutions, with
# a Makefile whose `make test` grades them. grade: the exercises as they are in this tree
# (copy a student's files in first); EX=05-chat-server grades one.
HANDOUT ?= handout/netprog-kit.tar.gz

handout:
	@$(MAKE) -C exercises handout HANDOUT='$(abspath $(HANDOUT))'

grade:
	@$(MAKE) -C exercises grade RESULTS='$(abspath results.json)' LOGS='$(abspath grading-logs)'

# The grading's own test: the student kit end to end (about a minute; CI runs it).
check-grading:
	@$(MAKE) -C exercises selftest

# The platforms' packages and a student's zip (exercises/INSTRUCTORS.md, "Autograding"):
# classroom DIR=path, a GitHub Classroom template repository; gradescope, Gradescope's
# autograder.zip (GRADESCOPE=path.zip, EX="01-event 02-line-io" for some exercises);
# submission, the zip of the files the students edit (here: the stubs).
.PHONY: classroom gradescope submission
DIR        ?= handout/classroom
GRADESCOPE ?= handout/autograder.zip
SUBMISSION ?= handout/submission.zip
# $(call abs-path,PATH): sets $$p to PATH made absolute from here, whatever it holds.
abs-path = p='$(subst ','\'',$(1))'; case $$p in /*) ;; *) p="$$(pwd)/$$p" ;; esac

classroom:
	@$(call abs-path,$(DIR)); $(MAKE) -C exercises classroom DIR="$$p"

gradescope:
	@$(call abs-path,$(GRADESCOPE)); $(MAKE) -C exercises gradescope GRADESCOPE="$$p" EX="$(EX)"

submission:
	@$(call abs-path,$(SUBMISSION)); $(MAKE) -C exercises submission SUBMISSION="$$p"

# --- Benchmark --------------------------------------------------------------------------------
# Every echo server model of the kit under 06-poll-async's loadgen; bench.sh skips a model
# whose folder is not built, and writes its results to 06-poll-async/bench-results/.
BENCH_FOLDERS := $(wildcard 02-tcp-echo 04-threaded-server 05-select-server 06-poll-async)
BENCH_FLAGS   ?=

bench:
	@for d in $(BENCH_FOLDERS); do \
	  $(MAKE) -C $$d all || echo "make bench: $$d did not build: its models will be skipped"; done
	@./06-poll-async/bench.sh $(BENCH_FLAGS) \
	  'baseline:1,10,100,1000,5000:06-poll-async/baseline_echo' \
	  'echo_server (iterative):1,10,100,1000:02-tcp-echo/echo_server' \
	  'threaded_server:1,10,100,1000:04-threaded-server/threaded_server' \
	  'forking_server:1,10,100,1000:04-threaded-server/forking_server' \
	  'pool_server:1,10,100,1000:04-threaded-server/pool_server' \
	  'select_echo:1,10,100,1000:05-select-server/select_echo' \
	  'async_echo -b poll:1,10,100,1000,5000:06-poll-async/async_echo -b poll' \
	  'async_echo -b epoll:1,10,100,1000,5000:06-poll-async/async_echo -b epoll'

# --- Fuzzing ---------------------------------------------------------------------------
# Every folder with parsers has libFuzzer harnesses (tests/fuzz_*.c; clang only). make test
# already replays their saved corpora with any compiler; this runs the fuzzers themselves,
# FUZZ_SECONDS each, and fails if one finds a crash (saved in the folder's .fuzz/).
FUZZ_SECONDS ?= 60

fuzz:
	@status=0; for d in $(FOLDERS); do \
	  if grep -q '^fuzz:' $$d/Makefile; then \
	    $(MAKE) -C $$d fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) || status=1; fi; \
	done; exit $$status

# --- Style -----------------------------------------------------------------------------
C_FILES = $(shell find $(FOLDERS) -name '*.[ch]')

format:
	clang-format -i $(C_FILES)

format-check:
	@clang-format --dry-run --Werror $(C_FILES) && echo "format-check: every C file matches .clang-format"
