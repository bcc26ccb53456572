#!/bin/sh
# grade.sh -- build, test and score exercises. Every grading command goes through here:
# `make test` in one exercise, `make test` and `make grade` at the top of the student kit,
# and the instructor's `make test` that proves the solutions pass and the stubs fail.
#
# Usage: grade.sh [-v solution] [-e pass|fail|any] [-j RESULTS.json] [-l LOG_DIR]
#                 [-t TITLE] [-q] EXERCISE_DIR...
#   -v solution  build the reference solution (solution/*.c) instead of the student's files
#   -e WHAT      pass: exit 0 only when every graded test passes (the default);
#                fail: only when every graded test fails (an untouched stub must fail all);
#                any: whatever the score (make grade: the results file is the answer)
#   -j FILE      also write Gradescope's results.json there; always written, even when an
#                exercise does not compile (its tests score 0, the compiler's output is
#                their output)
#   -l DIR       keep the logs in DIR/EXERCISE/ (TAP and XML from Check, build.log);
#                default: each exercise's own tests/ folder
#   -t TITLE     a title above the score table
#   -q           quiet: no Check output, only the table
# Needs: sh, make, a C compiler, cksum (POSIX). Not Python.
set -u

here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
root=$(dirname "$here")             # exercises
variant= expect=pass json= logroot= title= quiet=
usage() {
    echo "Usage: grade.sh [-v solution] [-e pass|fail|any] [-j RESULTS.json] [-l LOG_DIR] [-t TITLE] [-q] EXERCISE_DIR..." >&2
    exit 2
}
while getopts v:e:j:l:t:q opt; do
    case $opt in
    v) variant=$OPTARG ;;
    e) expect=$OPTARG ;;
    j) json=$OPTARG ;;
    l) logroot=$OPTARG ;;
    t) title=$OPTARG ;;
    q) quiet=yes ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
: "${CC:=cc}" "${MAKE:=make}"
make_q="$MAKE --no-print-directory"

# A results file is promised even when nothing else works: this one says why.
fallback_json() {
    [ -n "$json" ] || return 0
    printf '{"score": 0, "max_score": 0, "output": "%s", "tests": []}\n' "$1" > "$json"
}

# --- 1. Are the grading files the ones handed out? ---------------------------------------------
# The handout lists them with their POSIX cksum (CRC and size) in grading/CHECKSUMS. Edits
# are allowed, but the score then says it may not be the official one.
changed=$(mktemp "${TMPDIR:-/tmp}/grade-changed.XXXXXX") || exit 2
trap 'rm -f "$changed"' EXIT
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

# --- 2. The scorer (grading/score.c) --------------------------------------------------------------
score=$here/score
if [ ! -x "$score" ] || [ "$here/score.c" -nt "$score" ]; then
    # Built under a temporary name and renamed: two graders at once never see half a file.
    if ! $CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$score.$$" "$here/score.c" 2> "$changed.cc"; then
        cat "$changed.cc" >&2
        rm -f "$changed.cc" "$score.$$"
        echo "grade.sh: cannot build the scorer grading/score.c with $CC" >&2
        fallback_json "grading failed: the grader's own scorer (exercises/grading/score.c) did not compile with $CC"
        exit 2
    fi
    rm -f "$changed.cc"
    mv -f "$score.$$" "$score"
fi

# --- 3. Build every exercise (at once: compiling is most of the wait), then run each ----------
pairs=
for ex in "$@"; do
    ex=$(cd "$ex" && pwd) || exit 2
    name=$(basename "$ex")
    layout=$($make_q -s -C "$ex" layout ${variant:+VARIANT=$variant} 2> /dev/null) ||
        layout=". $(cd "$ex" && ls tests/check_*.c 2> /dev/null | sed 's/\.c$//' | tr '\n' ' ')"
    rundir=${layout%% *}
    if [ -n "$logroot" ]; then logs=$logroot/$name; else logs=$ex/$rundir/tests; fi
    mkdir -p "$logs" && logs=$(cd "$logs" && pwd) || exit 2
    rm -f "$logs"/*.tap "$logs"/*.xml "$logs/build.log" "$logs/build-failed.log" "$logs/built"
    # shellcheck disable=SC2086 # the suites are words
    printf '%s\n' ${layout#* } > "$logs/suites"
    (
        $make_q -C "$ex" build ${variant:+VARIANT=$variant} > "$logs/build.log" 2>&1 &&
            touch "$logs/built"
    ) &
    pairs="$pairs $ex $logs"
done
wait

# shellcheck disable=SC2086 # $pairs is a list of words (no spaces in the kit's paths)
set -- $pairs
while [ $# -gt 0 ]; do
    ex=$1 logs=$2
    shift 2
    name=$(basename "$ex")
    if [ ! -f "$logs/built" ]; then
        cp "$logs/build.log" "$logs/build-failed.log"
        echo "$name: did not build:"
        sed 's/^/    /' "$logs/build.log"
        continue
    fi
    rm -f "$logs/built"
    if [ -n "$quiet" ]; then
        CK_VERBOSITY=silent $make_q -s -C "$ex" run-tests ${variant:+VARIANT=$variant} LOGDIR="$logs"
    else
        echo "== $name"
        $make_q -s -C "$ex" run-tests ${variant:+VARIANT=$variant} LOGDIR="$logs"
    fi
done

echo
set -- -e "$expect" -m "$changed"
[ -z "$json" ] || set -- "$@" -j "$json"
[ -z "$title" ] || set -- "$@" -t "$title"
# shellcheck disable=SC2086 # $pairs is a list of words (no spaces in the kit's paths)
"$score" "$@" $pairs
status=$?
if [ -n "$json" ] && [ ! -s "$json" ]; then
    fallback_json "grading failed: the scorer did not write the results (exit status $status)"
fi
exit $status
