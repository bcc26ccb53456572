#!/bin/sh
# make-classroom.sh -- write a GitHub Classroom template repository: the student kit (the
# handout, without solutions), its .gitignore, a README for students, and the autograding:
#   .github/workflows/classroom.yml   the current Classroom form: a job named
#       run-autograding-tests that installs the Debian packages, builds, runs one grader
#       step per exercise (education/autograding-command-grader@v1, with that exercise's
#       points), and reports them all (education/autograding-grading-reporter@v1)
#   .github/classroom/autograding.json   the same tests for classrooms still on the older
#       runner (education/autograding@v1)
# It is a git repository with one commit: push it to GitHub, mark it a template, and pick
# it as the assignment's starter code. `make classroom DIR=...` runs it.
#
# A grader step is `make -C exercises test EX=NAME`: it exits 0 only when every test of
# that exercise passes, so Classroom gives an exercise all its points or none (its log
# shows the score table with each test). For points per test, use Gradescope or the kit's
# results.json.
#
# Usage: make-classroom.sh DIR      (DIR must not exist, or be empty)
# Needs: sh, git, tar, gzip, cksum.
set -eu

[ $# -eq 1 ] || { echo "Usage: make-classroom.sh DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
dir=$1
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2> /dev/null)" ]; then
    echo "make classroom: $dir exists and is not empty: give a new folder (DIR=...)" >&2
    exit 1
fi
command -v git > /dev/null 2>&1 || { echo "make classroom: needs git" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/classroom.XXXXXX")
trap 'rm -rf "$stage"' EXIT
sh "$here/make-handout.sh" "$stage/kit.tar.gz" > /dev/null
tar -C "$stage" -xzf "$stage/kit.tar.gz"
kit=$stage/netprog-kit

# Each exercise: its points and the sum of its tests' timeouts (their GRADED rows).
for ex in "$kit"/exercises/[0-9][0-9]-*/; do
    name=$(basename "$ex")
    sed -n 's/^[[:space:]]*GRADED([A-Za-z0-9_]*, *\([0-9]*\), *\([0-9]*\)).*/\1 \2/p' \
        "$ex"tests/check_*.c | awk -v n="$name" '{ p += $1; t += $2 } END { print n, p, t }'
done > "$stage/exercises"

packages="build-essential check libsubunit-dev pkg-config"
install="sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends $packages"

# --- The workflow (YAML) ------------------------------------------------------------------
# A step's id: letters, digits, _ (ex_01_event); the reporter reads each step's result from
# the environment variable ID_RESULTS, the id upper-cased. The timeout is in minutes: the
# exercise's own time limit (grade.sh: its tests' timeouts + 30 s) and its build, rounded up.
mkdir -p "$kit/.github/workflows" "$kit/.github/classroom"
{
    cat << EOF
# GitHub Classroom autograding, written by the kit's make classroom: one grader step per
# exercise, each worth that exercise's points, all collected by the reporter. A step runs
# the exercise's graded tests (make -C exercises test EX=NAME) and scores its points when
# every test passes; its log shows the score table, test by test.
name: Autograding Tests
"on":
  - push
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Install the test dependencies (Check, pkg-config)
        run: $install
      - name: Build (an exercise that does not compile scores 0 in its step below)
        run: make -k -C exercises all
        continue-on-error: true
EOF
    while read -r name points timeouts; do
        id=ex_$(echo "$name" | tr -c 'A-Za-z0-9\n' '_')
        minutes=$(((timeouts + 30 + 300 + 59) / 60))
        cat << EOF
      - name: $name
        id: $id
        uses: education/autograding-command-grader@v1
        with:
          test-name: $name
          setup-command: ""
          command: make -C exercises test EX=$name
          timeout: $minutes
          max-score: $points
EOF
    done < "$stage/exercises"
    cat << EOF
      - name: Autograding Reporter
        uses: education/autograding-grading-reporter@v1
        env:
EOF
    runners=
    while read -r name points timeouts; do
        id=ex_$(echo "$name" | tr -c 'A-Za-z0-9\n' '_')
        upper=$(echo "$id" | tr 'a-z' 'A-Z')
        echo "          ${upper}_RESULTS: \"\${{steps.$id.outputs.result}}\""
        runners="$runners${runners:+,}$id"
    done < "$stage/exercises"
    cat << EOF
        with:
          runners: $runners
EOF
} > "$kit/.github/workflows/classroom.yml"

# --- The same for the older runner (JSON) --------------------------------------------------
{
    echo '{'
    echo '  "tests": ['
    first=yes
    while read -r name points timeouts; do
        minutes=$(((timeouts + 30 + 300 + 59) / 60))
        setup=
        [ "$first" = no ] || setup=$install
        [ "$first" = yes ] || echo ','
        printf '    {"name": "%s", "setup": "%s", "run": "make -C exercises test EX=%s", ' \
            "$name" "$setup" "$name"
        printf '"input": "", "output": "", "comparison": "included", "timeout": %d, "points": %d}' \
            "$minutes" "$points"
        first=no
    done < "$stage/exercises"
    echo
    echo '  ]'
    echo '}'
} > "$kit/.github/classroom/autograding.json"

# --- The students' README: how to hand in, then the kit's README ------------------------------
{
    cat "$here/CLASSROOM-README.md"
    echo
    cat "$kit/README.md"
} > "$stage/README.md"
mv "$stage/README.md" "$kit/README.md"

# --- One commit ----------------------------------------------------------------------------
mkdir -p "$dir"
cp -R "$kit/." "$dir/"
(
    cd "$dir"
    git init -q .
    git symbolic-ref HEAD refs/heads/main
    git add -A -f . # everything: the kit holds no build products yet
    git -c user.name="netprog kit" -c user.email="netprog-kit@localhost" \
        -c commit.gpgsign=false commit -q -m "The netprog kit's exercises, with GitHub Classroom autograding"
)
total=$(awk '{ s += $2 } END { print s }' "$stage/exercises")
echo "classroom: $dir (a git repository, one commit): $(wc -l < "$stage/exercises" | tr -d ' ')" \
    "grader steps, $total points; push it to GitHub and make it the assignment's template"
