#!/bin/sh
# run_autograder -- Gradescope runs this for every submission (as root, in /autograder).
# make gradescope wrote it from the kit's exercises/grading/gradescope-run_autograder.sh.
#
# 1. Writes a results file at once (0 points, "the autograder stopped before it
#    finished"), so that Gradescope gets an answer whatever happens next.
# 2. Copies the pristine kit (source/kit) to a fresh folder, and into it, by their
#    exercise's name, exactly the files students edit (grading/SUBMIT), found in the
#    submission at exercises/NAME/FILE, NAME/FILE, FILE, or anywhere below by that name
#    (a zip of a folder). A file that is missing, a symbolic link, or larger than 1 MiB:
#    that exercise is not graded, scores 0, and the results say why. Other files in the
#    submission are ignored, and the results list them.
# 3. Grades (grading/grade.sh: builds, runs every suite bounded in time and output, kills
#    whatever a student's code leaves running) into results.json.
# 4. Checks that file (tools/json_check) before handing it in: results that are not valid
#    JSON are replaced by 0 points and a message that says so.
#
# AUTOGRADER_ROOT (default /autograder) is the root it works in: the self-test
# (selftest.sh) runs it in a temporary folder laid out like Gradescope's, with source/,
# submission/ and results/. The settings make gradescope was given are in source/config.
set -u
root=${AUTOGRADER_ROOT:-/autograder}
source=$root/source
submission=$root/submission
results=$root/results
out=$results/results.json
mkdir -p "$results" || exit 1

# json_text TEXT: TEXT as the inside of a JSON string.
json_text() {
    printf '%s' "$1" | tr -d '\000-\011\013-\037' | sed 's/\\/\\\\/g; s/"/\\"/g' |
        awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'
}
# answer MESSAGE: results with 0 points that say MESSAGE.
answer() {
    printf '{"score": 0, "max_score": 0, "output": "%s", "tests": []}\n' "$(json_text "$1")" > "$out"
}
give_up() {
    answer "$1"
    echo "run_autograder: $1" >&2
    exit 0
}

answer "The autograder stopped before it finished grading, so nothing is known about your\
 submission: tell your instructor."
[ -d "$source/kit/exercises/grading" ] ||
    give_up "The autograder is broken: $source/kit/exercises is missing. Tell your instructor."
work=$(mktemp -d "${TMPDIR:-/tmp}/autograder.XXXXXX") || give_up "The autograder cannot make a temporary folder."
trap 'rm -rf "$work"' EXIT
cp -R "$source/kit" "$work/kit" || give_up "The autograder cannot copy its kit. Tell your instructor."
exercises=$work/kit/exercises

# The settings (source/config: "key value" lines, written by make gradescope).
selected= visibility=
if [ -f "$source/config" ]; then
    while read -r key value; do
        case $key in
        exercises) selected=$value ;;
        time_limit) if [ -n "$value" ]; then GRADE_TIME_LIMIT=$value && export GRADE_TIME_LIMIT; fi ;;
        build_limit) if [ -n "$value" ]; then GRADE_BUILD_LIMIT=$value && export GRADE_BUILD_LIMIT; fi ;;
        visibility) visibility=$value ;;
        esac
    done < "$source/config"
fi
[ -n "$selected" ] || selected=$(cd "$exercises" && ls -d [0-9][0-9]-*/ | sed 's,/$,,' | tr '\n' ' ')

# --- 2. The student's files --------------------------------------------------------------------
mkdir -p "$work/not-graded"
: > "$work/used"
: > "$work/notes"
# not_graded EXERCISE WHY: that exercise scores 0, and its results say WHY.
not_graded() {
    if [ -s "$work/not-graded/$1" ]; then
        printf '; %s' "$2" >> "$work/not-graded/$1"
    else
        printf '%s' "$2" > "$work/not-graded/$1"
    fi
}
# find_file EXERCISE FILE: the submission's copy of FILE, on stdout; 1 when there is none,
# 2 when there are several and none is in a folder named EXERCISE.
find_file() {
    for rel in "exercises/$1/$2" "$1/$2" "$2"; do
        if [ -e "$submission/$rel" ] || [ -L "$submission/$rel" ]; then
            echo "$submission/$rel"
            return 0
        fi
    done
    find "$submission" -name "$2" \( -type f -o -type l \) 2> /dev/null > "$work/candidates"
    match=$(grep "/$1/$2\$" "$work/candidates" | head -n 1)
    if [ -n "$match" ]; then
        echo "$match"
    elif [ "$(wc -l < "$work/candidates")" -eq 1 ]; then
        cat "$work/candidates"
    elif [ -s "$work/candidates" ]; then
        return 2
    else
        return 1
    fi
}
# shellcheck disable=SC2086 # the exercises are words
sh "$exercises/grading/edit-list.sh" $selected > "$work/list" ||
    give_up "The autograder cannot read its list of files (grading/SUBMIT). Tell your instructor."
while read -r ex file crc size; do
    found=$(find_file "$ex" "$file")
    case $? in
    1)
        not_graded "$ex" "the submission has no $file (looked for exercises/$ex/$file, $ex/$file, $file, and for $file in any folder)"
        continue
        ;;
    2)
        not_graded "$ex" "the submission has several files named $file and none in a folder named $ex: put it at exercises/$ex/$file"
        continue
        ;;
    esac
    shown=${found#"$submission"/}
    echo "$shown" >> "$work/used"
    if [ -L "$found" ] || [ ! -f "$found" ]; then
        not_graded "$ex" "$shown is not a regular file (a symbolic link or a folder)"
    elif [ "$(wc -c < "$found")" -gt 1048576 ]; then
        not_graded "$ex" "$shown is $(wc -c < "$found" | tr -d ' ') bytes: more than 1 MiB, not a source file"
    else
        cp "$found" "$exercises/$ex/$file" || not_graded "$ex" "$shown cannot be read"
    fi
done < "$work/list"
# Every other file of the submission is ignored, and the results say which.
(cd "$submission" 2> /dev/null && find . \( -type f -o -type l \) | sed 's|^\./||') |
    LC_ALL=C sort > "$work/all"
LC_ALL=C sort "$work/used" | LC_ALL=C comm -23 "$work/all" - > "$work/ignored"
if [ -s "$work/ignored" ]; then
    count=$(wc -l < "$work/ignored" | tr -d ' ')
    names=$(head -n 20 "$work/ignored" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
    [ "$count" -le 20 ] || names="$names, and $((count - 20)) more"
    echo "the submission's other files were ignored (they are not files you edit): $names" > "$work/notes"
fi

# --- 3. Grade -----------------------------------------------------------------------------------
set --
for ex in $selected; do set -- "$@" "$exercises/$ex"; done
sh "$exercises/grading/grade.sh" -q -e any -j "$work/results.json" -l "$work/logs" \
    -n "$work/not-graded" -N "$work/notes" ${visibility:+-V "$visibility"} "$@"
echo "run_autograder: grade.sh exited with status $?"

# --- 4. Check the results before handing them in ------------------------------------------------
check=$source/tools/json_check
if [ ! -x "$check" ]; then
    check=$work/json_check
    ${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$check" "$source/tools/json_check.c" ||
        give_up "The autograder cannot build its results checker. Tell your instructor."
fi
if "$check" "$work/results.json" > /dev/null 2> "$work/json-error"; then
    cp "$work/results.json" "$out.tmp" && mv -f "$out.tmp" "$out"
    echo "run_autograder: wrote $out"
else
    give_up "The grader's results were not valid ($(head -n 1 "$work/json-error")), so no score\
 could be given: this is the autograder's fault, not your code's. Tell your instructor."
fi
