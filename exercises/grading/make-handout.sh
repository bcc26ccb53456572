#!/bin/sh
# make-handout.sh -- write the student kit: a tar.gz of the lecture folders and the
# exercises, without the reference solutions. `make handout` at the top runs it.
#
# Usage: make-handout.sh OUTPUT.tar.gz
#
# What goes in (as netprog-kit/ inside the archive):
#   every numbered lecture folder there is (01-threads/, 02-tcp-echo/, ...), as it is;
#   exercises/ without: each exercise's solution/, INSTRUCTORS.md, demo.sh (it shows the
#   solutions), hardening/ (checks of the solutions), and the grading files only
#   instructors use (this script, selftest.sh, json_check.c, yaml_check.c, the classroom
#   and Gradescope packagers and their templates); with tests/fault_inject.c,
#   the fault-injection library some graded tests preload into the student's programs;
#   exercises/Makefile   <- grading/exercises.mk  (grades the student's files)
#   Makefile             <- grading/kit.mk        (examples' tests, then the score table)
#   README.md            <- grading/KIT-README.md
#   .gitignore           <- grading/kit.gitignore
#   .clang-format
#   exercises/grading/SUBMIT: the files the students edit, "EXERCISE FILE CRC SIZE" with
#   the stub's cksum (grading/edit-list.sh);
#   exercises/grading/CHECKSUMS: the POSIX cksum (CRC and size) of every file that grades
#   (tests, harness, grading scripts, Makefiles, given modules), so that `make test` can say
#   when one of them was changed.
# Only source files are copied: in a git checkout the files git tracks or would track (so no
# build products), elsewhere the files a build does not make (see copy_list).
set -eu

[ $# -eq 1 ] || { echo "Usage: make-handout.sh OUTPUT.tar.gz" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
exercises=$(dirname "$here")
root=$(dirname "$exercises")
out=$1
case $out in /*) ;; *) out=$(pwd)/$out ;; esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/handout.XXXXXX")
trap 'rm -rf "$stage"' EXIT
kit=$stage/netprog-kit
mkdir -p "$kit"

# copy_list DIR: the source files under DIR (relative to the repository's root), one a line.
copy_list() {
    if git -C "$root" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
        git -C "$root" ls-files --cached --others --exclude-standard -- "$1" |
            while read -r f; do [ -f "$root/$f" ] && echo "$f"; done
    else
        # The kit's .gitignore in words: built programs have no extension; Makefiles and
        # the fuzzers' saved inputs (tests/corpus/) do not either but are sources; logs,
        # objects, stamps and the fault-injection library are built.
        (cd "$root" && find "$1" -type f \( -name '*.*' -o -name Makefile -o -path '*/tests/corpus/*' \) \
            ! -name '*.o' ! -name '*.log' ! -name '*.tap' ! -name '*.xml' ! -name '*.trs' \
            ! -name '.build-flags' ! -name 'vgcore.*' ! -name '*.tar.gz' ! -name '*.so' \
            ! -path '*/.fuzz/*' | sort)
    fi
}

# copy DIR: copy its source files into the kit, except what instructors keep.
copy() {
    copy_list "$1" | while read -r f; do
        case $f in
        exercises/*/solution/* | exercises/INSTRUCTORS.md | exercises/Makefile) continue ;;
        exercises/hardening/*) continue ;; # the reference solutions' own checks
        exercises/grading/make-handout.sh | exercises/grading/selftest.sh) continue ;;
        exercises/grading/json_check.c | exercises/grading/yaml_check.c) continue ;;
        exercises/grading/make-classroom.sh | exercises/grading/make-gradescope.sh) continue ;;
        exercises/grading/gradescope-* | exercises/grading/CLASSROOM-README.md) continue ;;
        exercises/grading/kit.gitignore | exercises/grading/CHECKSUMS) continue ;;
        exercises/grading/SUBMIT) continue ;; # written below
        exercises/demo.sh) continue ;; # runs the reference solutions
        esac
        mkdir -p "$kit/$(dirname "$f")"
        cp -p "$root/$f" "$kit/$f"
    done
}

folders=
for d in "$root"/[0-9][0-9]-*/; do
    [ -d "$d" ] || continue
    name=$(basename "$d")
    copy "$name"
    folders="$folders $name"
done
copy exercises
cp "$here/exercises.mk" "$kit/exercises/Makefile"
cp "$here/kit.mk" "$kit/Makefile"
cp "$here/KIT-README.md" "$kit/README.md"
cp "$here/kit.gitignore" "$kit/.gitignore"
[ ! -f "$root/.clang-format" ] || cp "$root/.clang-format" "$kit/.clang-format"

# The files the students edit, with the stubs' checksums (make submission warns about a
# file that is still the stub; the autograders copy exactly these from a submission).
sh "$here/edit-list.sh" > "$kit/exercises/grading/SUBMIT"

# The files that grade, with their checksums (paths relative to exercises/).
(
    cd "$kit/exercises"
    find Makefile exercise.mk helgrind.supp common tests grading [0-9][0-9]-*/Makefile \
        [0-9][0-9]-*/tests -type f ! -name CHECKSUMS | LC_ALL=C sort |
        while read -r f; do
            # shellcheck disable=SC2046 # "CRC SIZE" into $1 $2
            set -- $(cksum < "$f")
            echo "$1 $2 $f"
        done
) > "$stage/CHECKSUMS"
mv "$stage/CHECKSUMS" "$kit/exercises/grading/CHECKSUMS"

# Nothing of the solutions may be in it.
if find "$kit" -path '*/solution*' | grep -q .; then
    echo "make-handout.sh: a solution file slipped into the kit" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
tar -C "$stage" -czf "$out" netprog-kit
echo "handout: $out (lecture folders:$folders; exercises: $(cd "$kit/exercises" && ls -d [0-9][0-9]-* | tr '\n' ' '))"
