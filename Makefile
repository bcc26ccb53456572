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
ifeq ($(filter -j% --jobserver%,$(MAKEFLAGS)),)
  MAKEFLAGS += -j$(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
endif
SHELL := /bin/bash

# CC=... and SANITIZE=... given on the command line reach every folder by themselves:
# make passes command-line variables down to the folders' own make runs.

.PHONY: test-portable portable-check setup-check valgrind-deps sync copies-check all test memcheck helgrind demo bench fuzz clean help deps format format-check handout grade \
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
	@echo '  make grade        grade the exercises: results.json (Gradescope), JUnit, PrairieLearn, TAP'
	@echo '  make check-grading  the student kit end to end: handout, stub scores 0, solutions full marks'
	@echo '  make classroom DIR=path  a GitHub Classroom template repository (one grader step per exercise)'
	@echo '  make gradescope   Gradescope'"'"'s autograder: handout/autograder.zip (EX="01-event ..." for some)'
	@echo '  make submission   the zip a student hands in (the files they edit): handout/submission.zip'
	@echo '  make format       apply .clang-format to every C file (format-check: only check)'
	@echo '  make help         this list'
	@echo 'Options: CC=clang, SANITIZE=address (ASan+UBSan), SANITIZE=thread (TSan)'
	@echo 'One folder alone: make -C 01-threads test  (any target above works there too)'

# --- Test dependencies -------------------------------------------------------------
# `make test` needs Check (libcheck) and pkg-config beyond cc and make; `make memcheck` and
# `make helgrind` need valgrind too. When they are missing we install them where we can do
# it without asking (root, or passwordless sudo) with apt-get, dnf or apk; otherwise we stop
# with one line naming the command to run.
DEBIAN_PACKAGES := check libsubunit-dev pkg-config
FEDORA_PACKAGES := check-devel pkgconf
ALPINE_PACKAGES := check-dev pkgconf
HAVE_TEST_DEPS   = command -v pkg-config >/dev/null 2>&1 && pkg-config --exists check
HAVE_VALGRIND    = command -v valgrind >/dev/null 2>&1

# install-deps WHAT,DEBIAN,FEDORA,ALPINE,HAVE: install the packages if HAVE fails and we may.
define install-deps
if $(5); then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo='sudo -n'; \
	else sudo=no; fi; \
	if [ "$$sudo" != no ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing $(1): $(2)"; export DEBIAN_FRONTEND=noninteractive; \
	    $$sudo apt-get update -qq >/dev/null && $$sudo apt-get install -y -qq $(2) >/dev/null; \
	  elif command -v dnf >/dev/null 2>&1; then \
	    echo "make: installing $(1): $(3)"; $$sudo dnf install -y -q $(3) >/dev/null; \
	  elif command -v apk >/dev/null 2>&1; then \
	    echo "make: installing $(1): $(4)"; $$sudo apk add -q $(4) >/dev/null; \
	  fi; \
	fi; \
	if $(5); then exit 0; fi; \
	echo "make: $(1) are missing; install them with:" \
	     "sudo apt-get install $(2) (Debian, Ubuntu, WSL)," \
	     "sudo dnf install $(3) (Fedora)," \
	     "sudo apk add $(4) (Alpine)," \
	     "$(6)" >&2; \
	exit 1
endef

deps:
	@$(call install-deps,the test dependencies (Check and pkg-config),$(DEBIAN_PACKAGES),$(FEDORA_PACKAGES),$(ALPINE_PACKAGES),$(HAVE_TEST_DEPS),brew install check pkg-config (macOS))
	@( $(call install-deps,liburing (06: async_echo -b uring),liburing-dev,liburing-devel,liburing-dev,$(HAVE_URING),io_uring is Linux only) ) || \
	  echo "make: (not needed: 06-poll-async builds without its io_uring backend until then)" >&2

# liburing, for 06's io_uring backend: wanted on Linux, never needed (06 builds without it).
HAVE_URING = [ "$$(uname -s)" != Linux ] || pkg-config --exists liburing 2>/dev/null

valgrind-deps: deps
	@$(call install-deps,valgrind,valgrind,valgrind,valgrind,$(HAVE_VALGRIND),valgrind does not run on current macOS: use the dev container (README: On your machine))

# --- Running every folder ------------------------------------------------------------
NPROC := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

# BUSY=N (or BUSY=all, one per CPU): N loops that each burn a CPU run beside make test, the
# way a lab server that a whole class shares or a laptop with a browser open is busy. They
# start once here (the folders get BUSY= empty) and are stopped however the run ends: the
# trap, and Ctrl-C, which the terminal sends to the whole process group, loops included.
# (Started from a command substitution, they are not this shell's jobs: `jobs` and `wait`
# below see only the folders.)
define busy-loops
n='$(BUSY)'; if [ "$$n" = all ]; then n=$(NPROC); fi; busy=; i=0; \
while [ "$$i" -lt "$${n:-0}" ]; do \
  busy="$$busy $$(sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $$!)"; i=$$((i + 1)); done; \
trap 'if [ -n "$$busy" ]; then kill $$busy 2>/dev/null; fi' EXIT INT TERM; \
[ -z "$$busy" ] || echo "make: $$n busy loop(s) beside the tests (BUSY=$(BUSY))";
endef

# run-all TARGET,JOBS: run TARGET in every folder, JOBS folders at a time, even when one
# fails. A line per folder as it finishes; the whole output of a folder that failed; then
# one summary line with Check's totals. Each folder's whole output is kept in
# .logs/FOLDER.TARGET.log. (With a bash older than 4.3, without `wait -n`: one at a time.)
# JOBS=1 on the command line runs one folder at a time anyway.
define run-all
	@mkdir -p .logs; failed=; checks=0; failures=0; skips=0; start=$$SECONDS; \
	$(busy-loops) \
	one() { \
	  local log=.logs/$$1.$(1).log t=$$SECONDS rc; \
	  rm -f $$log.skips; \
	  KIT_SKIP_LOG="$$PWD/$$log.skips" $(MAKE) -C $$1 $(1) BUSY= > $$log 2>&1; rc=$$?; echo $$rc > $$log.rc; \
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
	for d in $(FOLDERS); do if [ -s .logs/$$d.$(1).log.skips ]; then \
	  skips=$$((skips + $$(wc -l < .logs/$$d.$(1).log.skips))); \
	  sed "s|^|  skipped in $$d: |" .logs/$$d.$(1).log.skips; fi; done; \
	skipped=; [ $$skips = 0 ] || skipped=", $$skips skipped (the lines above say why)"; \
	if [ -z "$$failed" ]; then \
	  echo "make $(1): PASS: all $(words $(FOLDERS)) folders, $$checks checks, $$failures failed$$skipped ($$((SECONDS - start)) s)"; \
	else \
	  echo "make $(1): FAIL in$$failed ($$checks checks, $$failures failed$$skipped)"; exit 1; \
	fi
endef

# One folder per core: tests mostly wait (on sockets, timers, child processes), and
# valgrind runs a program on one core at a time. Every deadline in the tests is scaled
# for a slow machine (CK_TIMEOUT_MULTIPLIER under valgrind).
test: deps copies-check
	$(call run-all,test,$(NPROC))

# --- One version of what folders share (KIT.md) ---------------------------------------
# Folders include nothing from each other, so a file that several of them need (cli.c,
# net.c, the test harness, the fault shim, the fuzz replayer, the make rules) stands in
# each as a copy of one master, which every copy names in its first lines:
# "master: 02-tcp-echo/net.c". `make sync` copies each master over its copies; `make test`
# first checks that every copy is still byte-identical to its master, and stops, naming
# the file, when one was edited alone.
# shared-files prints "MASTER COPY" for every copy (the master itself is skipped).
define shared-files
	find $(FOLDERS) -type f \( -name '*.[ch]' -o -name '*.mk' \) -not -path '*/corpus/*' | sort | \
	while IFS= read -r f; do \
	  m=$$(head -n 15 "$$f" | sed -n 's/.*master: \([^ ;,]*\).*/\1/p' | head -n 1); \
	  if [ -n "$$m" ] && [ "$$m" != "$$f" ]; then printf '%s %s\n' "$$m" "$$f"; fi; \
	done
endef

sync:
	@$(shared-files) | while read -r master copy; do \
	  if [ ! -f "$$master" ]; then echo "make sync: $$copy names a master that is not there: $$master" >&2; exit 1; fi; \
	  cmp -s "$$master" "$$copy" || { cp "$$master" "$$copy" && echo "make sync: $$copy <- $$master"; }; \
	done

copies-check:
	@$(shared-files) | { status=0; while read -r master copy; do \
	  if [ ! -f "$$master" ]; then echo "make: $$copy names a master that is not there: $$master" >&2; status=1; \
	  elif ! cmp -s "$$master" "$$copy"; then \
	    echo "make: $$copy differs from its master $$master: edit the master, then run make sync" >&2; status=1; fi; \
	done; exit $$status; }

# --- Every machine: the dev container and CI install the same packages -------------------
# setup-check: .devcontainer/packages.txt is the one list; the Dockerfile and .ci/run both
# install from it (and nothing else), the dev container can trace (valgrind, gdb, strace
# need ptrace), builds the kit once created, and brings the C extension; scripts keep LF
# line endings; every package the Makefile installs is on the list; on Debian every name
# on the list is a package apt knows.
PACKAGE_LIST := .devcontainer/packages.txt

setup-check:
	@status=0; fail() { echo "setup-check: $$*" >&2; status=1; }; \
	list=$$(sed 's/#.*//' $(PACKAGE_LIST) 2>/dev/null | tr -s ' \t' '\n\n' | grep -v '^$$'); \
	[ -n "$$list" ] || fail "$(PACKAGE_LIST) lists no package"; \
	grep -q 'COPY packages.txt' .devcontainer/Dockerfile && \
	  grep -q "sed 's/#.\*//' /tmp/packages.txt | xargs apt-get install" .devcontainer/Dockerfile || \
	  fail ".devcontainer/Dockerfile does not install $(PACKAGE_LIST)"; \
	[ "$$(grep -c 'apt-get install' .devcontainer/Dockerfile)" = 1 ] || \
	  fail ".devcontainer/Dockerfile installs packages that are not on the list"; \
	grep -q '$(PACKAGE_LIST)' .ci/run || fail ".ci/run does not install $(PACKAGE_LIST)"; \
	[ "$$(grep -c 'apt-get install' .ci/run)" = 1 ] || fail ".ci/run installs packages that are not on the list"; \
	for want in '"SYS_PTRACE"' '"seccomp=unconfined"' '"postCreateCommand": "make"' \
	            '"ms-vscode.cpptools"' '"dockerfile": "Dockerfile"'; do \
	  grep -qF "$$want" .devcontainer/devcontainer.json || fail ".devcontainer/devcontainer.json lacks $$want"; \
	done; \
	grep -q '^\* text=auto eol=lf' .gitattributes 2>/dev/null || fail ".gitattributes does not keep LF line endings"; \
	for p in $(DEBIAN_PACKAGES) valgrind liburing-dev; do \
	  echo "$$list" | grep -qx "$$p" || fail "make deps installs $$p, which $(PACKAGE_LIST) lacks"; done; \
	if command -v apt-cache >/dev/null 2>&1 && [ -f /etc/debian_version ]; then \
	  for p in $$list; do apt-cache show "$$p" >/dev/null 2>&1 || fail "$$p is not a Debian package here"; done; fi; \
	[ $$status = 0 ] && echo "setup-check: the dev container and CI install the same $$(echo "$$list" | wc -l) packages"; \
	exit $$status

# test-portable: make test with every Linux-only path switched off (PORTABLE=1: the code a
# Mac runs, run here), then proof from the binaries themselves that none of them still names
# a Linux-only call: no epoll, no pthread_condattr_setclock, no accept4 (nm).
LINUX_ONLY_SYMBOLS := epoll_create|epoll_create1|epoll_ctl|epoll_wait|pthread_condattr_setclock|accept4

test-portable:
	@$(MAKE) --no-print-directory test PORTABLE=1
	@$(MAKE) --no-print-directory portable-check

portable-check:
	@status=0; n=0; \
	for flags in $$(find $(FOLDERS) -name .build-flags); do \
	  grep -q -- -DKIT_PORTABLE "$$flags" || { echo "portable-check: $$flags: not a PORTABLE=1 build" >&2; status=1; }; \
	done; \
	for f in $$(find $(FOLDERS) -type f \( -perm -u+x -o -name '*.so' \) ! -name '*.sh' ! -path '*/corpus/*'); do \
	  nm "$$f" >/dev/null 2>&1 || continue; n=$$((n + 1)); \
	  names=$$(nm "$$f" | grep -wE '$(LINUX_ONLY_SYMBOLS)' | awk '{print $$NF}' | sort -u | tr '\n' ' '); \
	  [ -z "$$names" ] || { echo "portable-check: $$f names $$names" >&2; status=1; }; \
	done; \
	[ $$status = 0 ] && echo "portable-check: $$n PORTABLE=1 binaries, none names $(LINUX_ONLY_SYMBOLS)"; exit $$status

memcheck: valgrind-deps
	$(call run-all,memcheck,$(NPROC))

helgrind: valgrind-deps
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
	@$(call abs-path,$(HANDOUT)); $(MAKE) -C exercises handout HANDOUT="$$p"

grade:
	@$(MAKE) -C exercises grade RESULTS="$$(pwd)/results.json" LOGS="$$(pwd)/grading-logs"

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
	  if grep -qE '^(fuzz:|FUZZERS *:?=)' $$d/Makefile; then \
	    $(MAKE) -C $$d fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_COPIES=no || status=1; fi; \
	done; exit $$status

# --- Style -----------------------------------------------------------------------------
C_FILES = $(shell find $(FOLDERS) -name '*.[ch]')

format:
	clang-format -i $(C_FILES)

format-check:
	@clang-format --dry-run --Werror $(C_FILES) && echo "format-check: every C file matches .clang-format"
