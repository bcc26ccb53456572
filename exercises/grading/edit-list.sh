#!/bin/sh
# edit-list.sh -- the files a student edits, one line each: "EXERCISE FILE CRC SIZE", where
# CRC and SIZE are the POSIX cksum of the stub as handed out. In the student kit they are
# read from grading/SUBMIT (which make-handout.sh writes); in the instructors' repository
# they are the names of each exercise's solution/*.c, with the stubs as they are now.
# make-submission.sh, make-gradescope.sh and make-classroom.sh read this list.
#
# Usage: edit-list.sh [EXERCISE...]   (default: every exercise)
set -u
here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
exercises=$(dirname "$here")

if [ -f "$here/SUBMIT" ]; then
    if [ $# -eq 0 ]; then
        cat "$here/SUBMIT"
    else
        for ex in "$@"; do
            awk -v ex="$ex" '$1 == ex' "$here/SUBMIT"
        done
    fi
    exit 0
fi
[ $# -gt 0 ] || set -- $(cd "$exercises" && ls -d [0-9][0-9]-*/ | sed 's,/$,,')
for ex in "$@"; do
    for solution in "$exercises/$ex"/solution/*.c; do
        [ -f "$solution" ] || continue
        file=$(basename "$solution")
        if [ -f "$exercises/$ex/$file" ]; then
            # shellcheck disable=SC2046 # "CRC SIZE" into $1 $2
            set -- $(cksum < "$exercises/$ex/$file")
            echo "$ex $file $1 $2"
        else
            echo "$ex $file - -"
        fi
    done
done
