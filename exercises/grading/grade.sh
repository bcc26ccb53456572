#!/bin/sh
# grade.sh -- build, test and score exercises. Every grading command goes through here:
# `make test` in one exercise, `make test` and `make grade` at the top of the student kit,
# the instructor's `make test` that proves the solutions pass and the stubs fail, and the
# Gradescope and GitHub Classroom autograders.
#
# Usage: grade.sh [-v solution] [-e pass|fail|any] [-j RESULTS.json] [-x JUNIT.xml]
#                 [-p PRAIRIELEARN.json] [-a RESULTS.tap] [-l LOG_DIR] [-n NOT_GRADED_DIR]
#                 [-N NOTES] [-V VISIBILITY] [-t TITLE] [-q] EXERCISE_DIR...
#   -v solution  build the reference solution (solution/*.c) instead of the student's files
#   -e WHAT      pass: exit 0 only when every graded test passes (the default);
#                fail: only when every graded test fails (an untouched stub must fail all);
#                any: whatever the score (make grade: the results file is the answer)
#   -j FILE      also write Gradescope's results.json there; always written, even when an
#                exercise does not compile (its tests score 0, the compiler's output is
#                their output) or the scorer itself fails (a file with 0 that says why)
#   -x FILE      also write JUnit XML (CodeGrade, CI servers)
#   -p FILE      also write PrairieLearn's results.json
#   -a FILE      also write one TAP stream for every exercise
#   -l DIR       keep the logs in DIR/EXERCISE/ (TAP and XML from Check, build.log, the
#                tests' output, run.log); default: each exercise's own tests/ folder
#   -n DIR       exercises not to grade: DIR/EXERCISE holds why (one line, such as "the
#                submission has no event.c"); they score 0 with that message
#   -N FILE      more notes for the results, one a line (the autograder's)
#   -V WHAT      Gradescope's visibility of the results (visible, hidden, after_due_date,
#                after_published)
#   -t TITLE     a title above the score table
#   -q           quiet: no Check output, only the table
# Environment (seconds, bytes):
#   GRADE_TIME_LIMIT   the time limit of each exercise's tests; default: the sum of its
#                      tests' own timeouts (their GRADED rows, times CK_TIMEOUT_MULTIPLIER)
#                      plus 30 s. At the limit every process of the run is killed, the tests
#                      that had not finished score 0, and the results say so.
#   GRADE_BUILD_LIMIT  the time limit of each exercise's build (default 300)
#   GRADE_OUTPUT_CAP   how much of an exercise's output is shown and kept: the first and the
#                      last half of it, with "... N bytes cut" between (default 131072)
# Every build and every test run goes through grading/run_bounded: in a session of its
# own, and when it ends every process it left behind is killed (also one that called
# setsid(); run_bounded.c says how).
# Needs: sh, make, a C compiler, cksum (POSIX). Not Python. Any folder name works (spaces,
# quotes, &): every path is quoted, and reaches make only as an environment variable.
set -u

here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
root=$(dirname "$here")             # exercises
variant= expect=pass json= junit= prairielearn= tap= logroot= not_graded= notes= visibility= title= quiet=
usage() {
    echo "Usage: grade.sh [-v solution] [-e pass|fail|any] [-j RESULTS.json] [-x JUNIT.xml]" \
        "[-p PRAIRIELEARN.json] [-a RESULTS.tap] [-l LOG_DIR] [-n NOT_GRADED_DIR] [-N NOTES]" \
        "[-V VISIBILITY]" \
        "[-t TITLE] [-q] EXERCISE_DIR..." >&2
    exit 2
}
while getopts v:e:j:x:p:a:l:n:N:V:t:q opt; do
    case $opt in
    v) variant=$OPTARG ;;
    e) expect=$OPTARG ;;
    j) json=$OPTARG ;;
    x) junit=$OPTARG ;;
    p) prairielearn=$OPTARG ;;
    a) tap=$OPTARG ;;
    l) logroot=$OPTARG ;;
    n) not_graded=$OPTARG ;;
    N) notes=$OPTARG ;;
    V) visibility=$OPTARG ;;
    t) title=$OPTARG ;;
    q) quiet=yes ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
: "${CC:=cc}" "${MAKE:=make}"
: "${GRADE_BUILD_LIMIT:=300}" "${GRADE_OUTPUT_CAP:=131072}"
make_q="$MAKE --no-print-directory"
started=$(date +%s)

# json_text TEXT: TEXT as the inside of a JSON string (quotes, backslashes, control bytes).
json_text() {
    printf '%s' "$1" | tr -d '\000-\011\013-\037' | sed 's/\\/\\\\/g; s/"/\\"/g' |
        awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'
}
# A results file is promised even when nothing else works: this one says why.
fallback_results() {
    message=$(json_text "$1")
    if [ -n "$json" ]; then
        printf '{"score": 0, "max_score": 0, "output": "%s", "tests": []}\n' "$message" > "$json"
    fi
    if [ -n "$prairielearn" ]; then
        # gradable false: the grader failed, not the submission (PrairieLearn then does not
        # count the attempt against the student).
        printf '{"gradable": false, "score": 0, "message": "%s", "tests": []}\n' "$message" \
            > "$prairielearn"
    fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/grade.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM # run_bounded has stopped what it ran; the EXIT trap cleans up
changed=$work/changed

# --- 1. Are the grading files the ones handed out? ---------------------------------------------
# The handout lists them with their POSIX cksum (CRC and size) in grading/CHECKSUMS. Edits
# are allowed, but the score then says it may not be the official one.
: > "$changed"
if [ -f "$here/CHECKSUMS" ]; then
    (
        cd "$root" || exit 1
        while read -r crc size path; do
            if [ ! -f "$path" ]; then
                echo "  exercises/$path (missing)"
                continue
            fi
            # shellcheck disable=SC2046 # split "CRC SIZE" into $1 $2
            set -- $(cksum < "$path")
            [ "$1 $2" = "$crc $size" ] || echo "  exercises/$path (changed)"
        done < grading/CHECKSUMS
    ) > "$changed"
    if [ -s "$changed" ]; then
        echo "WARNING: these grading files differ from the handout; the course's grader uses"
        echo "the original ones, so your score there may differ from the one below:"
        cat "$changed"
    fi
fi

# --- 2. The grading's own programs (grading/score.c, grading/run_bounded.c) ----------------------
# build_tool NAME: compile grading/NAME.c into grading/NAME unless it is there and newer.
build_tool() {
    tool=$here/$1
    if [ -x "$tool" ] && [ ! "$here/$1.c" -nt "$tool" ]; then return 0; fi
    # Built under a temporary name and renamed: two graders at once never see half a file.
    if ! $CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$tool.$$" "$here/$1.c" 2> "$work/cc"; then
        cat "$work/cc" >&2
        rm -f "$tool.$$"
        echo "grade.sh: cannot build the grader's grading/$1.c with $CC" >&2
        fallback_results "grading failed: the grader's own exercises/grading/$1.c did not compile with $CC"
        exit 2
    fi
    mv -f "$tool.$$" "$tool"
}
build_tool score
build_tool run_bounded
score=$here/score
bounded=$here/run_bounded

# time_limit EXERCISE_DIR SUITE...: the seconds its tests may take in all.
time_limit() {
    if [ -n "${GRADE_TIME_LIMIT:-}" ]; then
        echo "$GRADE_TIME_LIMIT"
        return
    fi
    dir=$1
    shift
    for suite in "$@"; do cat "$dir/$suite.c"; done 2> /dev/null |
        sed -n 's/^[[:space:]]*GRADED([A-Za-z0-9_]*, *[0-9]*, *\([0-9]*\)).*/\1/p' |
        awk -v m="${CK_TIMEOUT_MULTIPLIER:-1}" '{ s += $1 }
            END { m = m + 0 > 1 ? m + 0 : 1; t = s * m; printf "%d\n", (t == int(t) ? t : int(t) + 1) + 30 }'
}

# --- 3. Build every exercise (at once: compiling is most of the wait), then run each ----------
# $work/list: the exercise's folder and its log folder, on two lines each.
: > "$work/list"
for ex in "$@"; do
    ex=$(cd "$ex" && pwd) || exit 2
    name=$(basename "$ex")
    layout=$(LOGDIR= $make_q -s -C "$ex" layout ${variant:+VARIANT=$variant} 2> /dev/null) ||
        layout=". $(cd "$ex" && ls tests/check_*.c 2> /dev/null | sed 's/\.c$//' | tr '\n' ' ')"
    rundir=${layout%% *}
    if [ -n "$logroot" ]; then logs=$logroot/$name; else logs=$ex/$rundir/tests; fi
    mkdir -p "$logs" && logs=$(cd "$logs" && pwd) || exit 2
    rm -f "$logs"/*.tap "$logs"/*.xml "$logs/build.log" "$logs/build-failed.log" "$logs/built" \
        "$logs/problem" "$logs/run.log" "$logs/output.log"
    # shellcheck disable=SC2086 # the suites are words
    printf '%s\n' ${layout#* } > "$logs/suites"
    printf '%s\n%s\n' "$ex" "$logs" >> "$work/list"
    if [ -n "$not_graded" ] && [ -f "$not_graded/$name" ]; then
        cp "$not_graded/$name" "$logs/problem"
        continue
    fi
    (
        "$bounded" -q -t "$GRADE_BUILD_LIMIT" -c "$GRADE_OUTPUT_CAP" -o "$logs/build.log" -- \
            $make_q -C "$ex" build ${variant:+VARIANT=$variant} && touch "$logs/built"
    ) < /dev/null &
done
wait

while IFS= read -r ex <&3 && IFS= read -r logs <&3; do
    name=$(basename "$ex")
    if [ -f "$logs/problem" ]; then
        echo "$name: not graded: $(cat "$logs/problem")"
        continue
    fi
    if [ ! -f "$logs/built" ]; then
        cp "$logs/build.log" "$logs/build-failed.log"
        echo "$name: did not build:"
        sed 's/^/    /' "$logs/build.log"
        continue
    fi
    rm -f "$logs/built"
    # shellcheck disable=SC2046 # the suites are words
    limit=$(time_limit "$ex" $(cat "$logs/suites"))
    verbosity=${CK_VERBOSITY:-normal}
    if [ -n "$quiet" ]; then verbosity=silent; else echo "== $name"; fi
    # LOGDIR reaches the suites through the environment: a make variable on the command line
    # would be re-read by make and by the shell, and a path with a quote would break it.
    # KIT_SKIP_LOG: where the harness notes a check skipped for want of /proc, prlimit or
    # LD_PRELOAD; the scorer names each one (its points are given).
    rm -f "$logs/skips"
    LOGDIR=$logs KIT_SKIP_LOG=$logs/skips CK_VERBOSITY=$verbosity \
        "$bounded" ${quiet:+-q} -t "$limit" -c "$GRADE_OUTPUT_CAP" -o "$logs/output.log" \
        -r "$logs/run.log" -- $make_q -s -C "$ex" run-tests ${variant:+VARIANT=$variant} < /dev/null
done 3< "$work/list"

[ -n "$quiet" ] || echo
# The scorer's arguments: the options, then each exercise's folder and logs.
set -- -e "$expect" -m "$changed" -T $(($(date +%s) - started))
[ -z "$json" ] || set -- "$@" -f json -o "$json"
[ -z "$junit" ] || set -- "$@" -f junit -o "$junit"
[ -z "$prairielearn" ] || set -- "$@" -f prairielearn -o "$prairielearn"
[ -z "$tap" ] || set -- "$@" -f tap -o "$tap"
[ -z "$visibility" ] || set -- "$@" -V "$visibility"
[ -z "$notes" ] || set -- "$@" -N "$notes"
[ -z "$title" ] || set -- "$@" -t "$title"
while IFS= read -r ex <&3 && IFS= read -r logs <&3; do
    set -- "$@" "$ex" "$logs"
done 3< "$work/list"
"$score" "$@"
status=$?
if { [ -n "$json" ] && [ ! -s "$json" ]; } || { [ -n "$prairielearn" ] && [ ! -s "$prairielearn" ]; }; then
    fallback_results "grading failed: the scorer did not write the results (exit status $status)"
fi
exit $status
