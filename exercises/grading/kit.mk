# The student kit's Makefile: the lecture folders' examples, and your graded exercises.
# Every folder has its own Makefile and works alone too (make -C 02-tcp-echo test).
#
#   make              build every program: the examples, and your exercises
#   make test         run the examples' tests, then grade your exercises: a score table;
#                     the exit status is non-zero until everything passes
#   make test EX=05-chat-server       grade one exercise only (no examples)
#   make grade        grade for autograders: results.json (Gradescope); in grading-logs/
#                     junit.xml, prairielearn.json, results.tap and Check's TAP and XML logs
#   make submission   submission.zip: exactly the files you edit, to hand in
#   make help         every target and option
#
# Options passed down to every folder: CC=clang, SANITIZE=address, SANITIZE=thread.

# The lecture folders (whichever this kit has), then the exercises.
EXAMPLES ?= $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))
EX       ?=

MAKEFLAGS += --no-print-directory
SHELL := /bin/sh
# $(call q,TEXT): TEXT as one shell word, whatever it holds (a folder named
# "My Course & Jane's" has a space, a & and a quote).
q = '$(subst ','\'',$(1))'

.PHONY: all test grade submission memcheck helgrind demo clean deps help

all:
	@set -e; for d in $(EXAMPLES) exercises; do $(MAKE) -C $$d all; done

help:
	@echo 'Targets:'
	@echo '  make              build every program (examples and exercises)'
	@echo '  make test         install Check/valgrind if missing, run the examples'"'"' tests, grade'
	@echo '                    your exercises; exit status non-zero until everything passes'
	@echo '  make test EX=05-chat-server    grade one exercise (no examples)'
	@echo '  make grade        results.json (Gradescope); JUnit, PrairieLearn, TAP in grading-logs/'
	@echo '  make submission   submission.zip: exactly the files you edit, to hand in'
	@echo '  make memcheck     every test, and every program it starts, under valgrind'
	@echo '  make helgrind     the same under valgrind'"'"'s race detector'
	@echo '  make demo         a guided tour of the examples (needs only cc and make)'
	@echo '  make clean        remove everything built'
	@echo '  make deps         only install (or name) the missing test dependencies'
	@echo 'Options: CC=clang, SANITIZE=address (ASan+UBSan), SANITIZE=thread (TSan),'
	@echo '         EXAMPLES="01-threads 02-tcp-echo" (which example folders make test runs)'
	@echo 'One folder alone: make -C 01-threads test;  one exercise: make -C exercises/01-event test'

# --- Test dependencies (the same as the course repository's) ---------------------------
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

# --- Testing and grading ------------------------------------------------------------------
# The examples first (each folder's own tests), then the exercises' score table. One line
# at the end says what failed.
test: deps
	@failed=; \
	if [ -z "$(EX)" ]; then \
	  for d in $(EXAMPLES); do \
	    echo "=============== $$d ==============="; \
	    $(MAKE) -C $$d test || failed="$$failed $$d"; \
	  done; \
	  echo; \
	  if [ -z "$$failed" ]; then echo "examples: all $(words $(EXAMPLES)) folders passed their tests"; \
	  else echo "examples: FAILED in$$failed"; fi; \
	fi; \
	echo "=============== exercises ==============="; \
	$(MAKE) -C exercises test EX="$(EX)" || failed="$$failed exercises"; \
	if [ -z "$$failed" ]; then echo "make test: PASS: examples and exercises, full score"; \
	else echo "make test: not yet: FAILED in$$failed (see above)"; exit 1; fi

grade:
	@$(MAKE) -C exercises grade EX="$(EX)" RESULTS=$(call q,$(CURDIR)/results.json) \
	  LOGS=$(call q,$(CURDIR)/grading-logs)

submission:
	@$(MAKE) -C exercises submission SUBMISSION=$(call q,$(CURDIR)/submission.zip)

memcheck helgrind: deps
	@failed=; for d in $(EXAMPLES) exercises; do $(MAKE) -C $$d $@ || failed="$$failed $$d"; done; \
	if [ -n "$$failed" ]; then echo "make $@: FAILED in$$failed"; exit 1; fi

demo:
	@set -e; for d in $(EXAMPLES); do \
	  echo; echo "=============== $$d ==============="; $(MAKE) -C $$d demo; done

clean:
	@for d in $(EXAMPLES) exercises; do $(MAKE) -C $$d clean; done
	rm -rf results.json grading-logs submission.zip
