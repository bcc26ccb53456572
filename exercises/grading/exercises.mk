# exercises/Makefile -- the graded exercises of the student kit.
#
#   make              build every exercise's programs from your files
#   make test         grade every exercise: its tests, then a score table; the exit status
#                     is non-zero until every graded test passes
#   make test EX=05-chat-server       grade one exercise
#   make grade        the same, written for autograders: results.json (Gradescope), and
#                     in LOGS junit.xml (CodeGrade, CI), prairielearn.json, results.tap and
#                     Check's own TAP and XML logs (RESULTS=..., LOGS=..., EX=...)
#   make submission   the zip to hand in: exactly the files you edit (SUBMISSION=...)
#   make memcheck     your exercises' tests, and the programs they start, under valgrind
#   make helgrind     the same under valgrind's race detector
#   make clean        remove everything built
#
# Options: CC=clang, SANITIZE=address (ASan + UBSan) or SANITIZE=thread (TSan).
# Inside one exercise's folder, `make test` grades that one.

EXERCISES := $(sort $(patsubst %/,%,$(wildcard [0-9][0-9]-*/)))
EX        ?=
SELECTED  := $(if $(EX),$(patsubst %/,%,$(EX)),$(EXERCISES))
RESULTS   ?= $(CURDIR)/../results.json
LOGS      ?= $(CURDIR)/../grading-logs
SUBMISSION ?= $(CURDIR)/../submission.zip

MAKEFLAGS += --no-print-directory
GRADE := CC='$(CC)' sh grading/grade.sh
# $(call q,TEXT): TEXT as one shell word, whatever it holds (a folder named
# "My Course & Jane's" has a space, a & and a quote).
q = '$(subst ','\'',$(1))'

.PHONY: all test grade submission memcheck helgrind clean check-ex

all:
	@set -e; for ex in $(EXERCISES); do $(MAKE) -C $$ex all; done

check-ex:
	@for ex in $(SELECTED); do [ -f $$ex/Makefile ] || { \
	  echo "make: there is no exercise '$$ex'; the exercises are: $(EXERCISES)" >&2; exit 2; }; done

test: check-ex
	@$(GRADE) -t "Your score" $(SELECTED)

grade: check-ex
	@$(GRADE) -e any -j $(call q,$(RESULTS)) -x $(call q,$(LOGS)/junit.xml) \
	  -p $(call q,$(LOGS)/prairielearn.json) -a $(call q,$(LOGS)/results.tap) \
	  -l $(call q,$(LOGS)) $(SELECTED)
	@echo "results: "$(call q,$(RESULTS))"; JUnit, PrairieLearn, TAP, Check's logs: "$(call q,$(LOGS))/

submission:
	@sh grading/make-submission.sh $(call q,$(SUBMISSION))

memcheck helgrind: check-ex
	@status=0; for ex in $(SELECTED); do $(MAKE) -C $$ex $@ || status=1; done; exit $$status

clean:
	@for ex in $(EXERCISES); do $(MAKE) -C $$ex clean; done
	rm -f grading/score grading/run_bounded
