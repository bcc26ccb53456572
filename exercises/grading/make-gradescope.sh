#!/bin/sh
# make-gradescope.sh -- write Gradescope's autograder.zip ("Autograder Specifications":
# setup.sh and run_autograder at the root of the zip). `make gradescope` runs it.
#
# Usage: make-gradescope.sh OUTPUT.zip [EXERCISE...]   (default: every exercise)
# Environment, baked into the zip's config:
#   GRADE_TIME_LIMIT       seconds for each exercise's tests (default: grade.sh's, the sum of
#                          their own timeouts + 30 s)
#   GRADE_BUILD_LIMIT      seconds for each exercise's build (default 300)
#   GRADESCOPE_VISIBILITY  visible (default), hidden, after_due_date or after_published
#
# In the zip:
#   setup.sh         installs the packages on Gradescope's Ubuntu image, builds the grader's
#                    programs (grading/gradescope-setup.sh)
#   run_autograder   grades one submission (grading/gradescope-run_autograder.sh says how)
#   kit/exercises/   the student kit's exercises, as handed out (no solutions): the
#                    grader copies the submission's files into a fresh copy of it
#   tools/json_check.c   checks results.json before it is handed in
#   config           the exercises to grade and the settings above
# Needs: sh, tar, gzip, cksum, zip.
set -eu

[ $# -ge 1 ] || { echo "Usage: make-gradescope.sh OUTPUT.zip [EXERCISE...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
out=$1
shift
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
command -v zip > /dev/null 2>&1 || {
    echo "make gradescope: needs zip (sudo apt-get install zip)" >&2
    exit 1
}

stage=$(mktemp -d "${TMPDIR:-/tmp}/gradescope.XXXXXX")
trap 'rm -rf "$stage"' EXIT
sh "$here/make-handout.sh" "$stage/kit.tar.gz" > /dev/null
tar -C "$stage" -xzf "$stage/kit.tar.gz"
zip_root=$stage/autograder
mkdir -p "$zip_root/kit" "$zip_root/tools"
mv "$stage/netprog-kit/exercises" "$zip_root/kit/exercises"
for ex in "$@"; do
    [ -d "$zip_root/kit/exercises/$ex" ] || {
        echo "make gradescope: there is no exercise '$ex'" >&2
        exit 2
    }
done
[ $# -gt 0 ] || set -- $(cd "$zip_root/kit/exercises" && ls -d [0-9][0-9]-*/ | sed 's,/$,,')

cp "$here/gradescope-setup.sh" "$zip_root/setup.sh"
cp "$here/gradescope-run_autograder.sh" "$zip_root/run_autograder"
chmod +x "$zip_root/setup.sh" "$zip_root/run_autograder"
cp "$here/json_check.c" "$zip_root/tools/json_check.c"
{
    echo "exercises $*"
    echo "time_limit ${GRADE_TIME_LIMIT:-}"
    echo "build_limit ${GRADE_BUILD_LIMIT:-}"
    echo "visibility ${GRADESCOPE_VISIBILITY:-visible}"
} > "$zip_root/config"

# The worst case, for Gradescope's own timeout: every build at its limit (they run at
# once), then every exercise's tests at theirs.
worst=${GRADE_BUILD_LIMIT:-300}
points=0
for ex in "$@"; do
    set -- $(sed -n 's/^[[:space:]]*GRADED([A-Za-z0-9_]*, *\([0-9]*\), *\([0-9]*\)).*/\1 \2/p' \
        "$zip_root/kit/exercises/$ex"/tests/check_*.c | awk '{ p += $1; t += $2 } END { print p, t }')
    points=$((points + $1))
    worst=$((worst + ${GRADE_TIME_LIMIT:-$(($2 + 30))}))
done

(cd "$zip_root" && zip -q -r -X "$stage/autograder.zip" setup.sh run_autograder config tools kit)
mkdir -p "$(dirname "$out")"
mv -f "$stage/autograder.zip" "$out"
echo "gradescope: $out: exercises $(sed -n 's/^exercises //p' "$zip_root/config"); $points points"
echo "  Upload it as the assignment's autograder (Ubuntu image). A submission takes about a"
echo "  minute; its worst case (every test at its time limit) is $(((worst + 59) / 60)) minutes:"
echo "  set the assignment's autograder timeout above that, or lower the limit per exercise"
echo "  (make gradescope GRADE_TIME_LIMIT=SECONDS)."
