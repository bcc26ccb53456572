#!/bin/sh
# make-submission.sh -- what you hand in: a zip of exactly the files you edit (the "you
# edit" column of exercises/README.md), listed, with a warning for every exercise whose
# file is still the stub as it was handed out, or missing. `make submission` at the top of
# the kit runs it; upload the zip it writes (Gradescope takes it as it is).
#
# Usage: make-submission.sh [OUTPUT.zip]      (default: submission.zip at the kit's top)
# Needs: sh, cksum, zip.
set -u

here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
exercises=$(dirname "$here")
kit=$(dirname "$exercises")
out=${1:-$kit/submission.zip}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac

if ! command -v zip > /dev/null 2>&1; then
    echo "make submission: needs zip: sudo apt-get install zip (Debian/Ubuntu)," \
        "sudo dnf install zip (Fedora); macOS has it" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/submission.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The files, from the list the handout carries (grading/SUBMIT, via edit-list.sh).
sh "$here/edit-list.sh" > "$tmp/list" || exit 1
: > "$tmp/names"
count=0 stubs= missing=
while read -r ex file crc size; do
    path=exercises/$ex/$file
    if [ ! -f "$kit/$path" ]; then
        missing="$missing $path"
        continue
    fi
    note=
    # shellcheck disable=SC2046 # "CRC SIZE" into $1 $2
    set -- $(cksum < "$kit/$path")
    if [ "$1 $2" = "$crc $size" ]; then
        note="   <- still the stub as handed out: scores 0"
        case " $stubs " in *" $ex "*) ;; *) stubs="$stubs $ex" ;; esac
    fi
    echo "$path" >> "$tmp/names"
    echo "  $path$note" >> "$tmp/listing"
    count=$((count + 1))
done < "$tmp/list"

if [ "$count" -eq 0 ]; then
    echo "make submission: none of the files you edit is there (${missing# }); nothing to hand in" >&2
    exit 1
fi
# Written in the temporary folder and moved: a half-written zip never takes the old one's place.
if ! (cd "$kit" && zip -q -X "$tmp/submission.zip" -@ < "$tmp/names"); then
    echo "make submission: zip failed" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")" && mv -f "$tmp/submission.zip" "$out" || exit 1
echo "submission: $out ($count files):"
cat "$tmp/listing"
for path in $missing; do
    echo "WARNING: $path is missing: that exercise scores 0"
done
for ex in $stubs; do
    echo "WARNING: $ex is still the stub as it was handed out: it scores 0"
done
echo "Hand in this file as it is (Gradescope: upload it; GitHub Classroom: commit and push instead)."
