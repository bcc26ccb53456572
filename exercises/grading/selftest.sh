#!/bin/sh
# selftest.sh -- the tests of the grading itself: a scripted run of the student kit, as a
# student and an autograder would use it. `make selftest` in exercises/ and
# `make check-grading` at the top run it (CI too).
#
#  0. exercises/README.md's points table agrees with the tests' GRADED tables; the grading's
#     own C files build with the kit's strict flags.
#  1. make-handout.sh writes the kit; it holds no solution, its checksums, its .gitignore
#     and the list of the files students edit (grading/SUBMIT).
#  2. Unpacked in a temporary folder: `make test` runs the examples' tests (01-threads only:
#     see below) and grades the untouched stubs: every exercise 0 points, exit status not 0.
#  3. `make grade` writes results.json (valid JSON, checked by json_check.c, not Python),
#     0 points of the right total, every test failed, and beside it JUnit XML (xmllint),
#     PrairieLearn's results and TAP; also when an exercise does not compile (that
#     exercise's tests then carry the compiler's message).
#  4. The reference solutions copied in: `make test` gives full marks and exit status 0;
#     `make grade` agrees; `make submission` zips exactly the files students edit.
#  5. One solution broken (02-line-io's recv_line stops looking for '\n'): exactly the
#     expected checks fail, in the table, in Check's TAP log and in every results format
#     (Gradescope, JUnit: one testcase per graded check, PrairieLearn: score in 0..1, TAP).
#  6. A test file edited: `make test` says which file was changed.
#  7. Hostile student code (01-event's solution changed three ways): processes left behind
#     that called setsid() are gone when make grade returns; 50 MB of debug output is cut
#     to what the cap keeps, with "... N bytes cut"; tests that hang are stopped at the
#     exercise's time limit, which the results state. The score is unharmed where it should be.
#  8. make gradescope's autograder.zip, its run_autograder run in a temporary root laid out
#     like Gradescope's (with a space in its path): full score for the solutions (the zip
#     `make submission` wrote), 0 for the stubs, and for a submission with a missing file, a
#     file that does not compile and an extra file: 0 for those exercises with a message
#     saying why, the rest graded; a scorer whose results are not valid JSON: 0 and a
#     message, still valid JSON.
#  9. Any folder name: the kit's files (git ls-files) copied into a folder named
#     "My Course & Jane's"; there: make -C 02-tcp-echo test (its fault-shim tests), the
#     exercises' make grade, make handout and the unpacked handout's make grade (results
#     compared with step 5's), make classroom (its workflow parsed with libyaml: the job
#     run-autograding-tests, one grader step per exercise with its points, the reporter;
#     autograding.json; a git repository with one commit; its grader commands give 0 on
#     the stubs and full points on the solutions), and make bench's plot (bench.sh, two
#     short runs: labelled axes and legend, the starved connections marked); the shipped
#     07-timers-queues/hosts.csv holds only loopback hosts.
# Why only 01-threads among the examples in step 2: it proves the kit's `make test` runs the
# examples' suites and reports them; running every lecture folder's suites again here would
# double the time of the course's `make test`, which runs them all anyway.
#
# Needs: sh, make, a C compiler, tar, gzip, cksum, Check; zip, unzip, git, xmllint
# (libxml2-utils), libyaml (libyaml-dev), gnuplot (gnuplot-nox). Prints one line per check
# and a summary; exit status 1 when a check failed.
set -u
set -u

here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
exercises=$(dirname "$here")
repo=$(dirname "$exercises")
: "${CC:=cc}"
# The kit runs as on a fresh machine: none of this make's settings reach it (the compiler
# is passed on explicitly).
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE VARIANT EX GRADE_TIME_LIMIT 2> /dev/null || :

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kit-selftest.XXXXXX")
hostile=$tmp/hostile
# Whatever a hostile test left running is ended here too, by its pid (never by name).
cleanup() {
    for f in "$hostile"/pids/*; do
        [ -f "$f" ] || continue
        pid=$(basename "$f")
        if grep -q check_event "/proc/$pid/cmdline" 2> /dev/null; then kill -KILL "$pid" 2> /dev/null; fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kit=$tmp/netprog-kit
log=$tmp/log
checks=0
failed=0
started=$(date +%s)

pass() {
    checks=$((checks + 1))
    echo "  ok    $1  [$(($(date +%s) - started)) s]"
}
fail() {
    checks=$((checks + 1))
    failed=$((failed + 1))
    echo "  FAIL  $1"
    if [ -s "$log" ]; then
        # The kit is removed at the end: keep the whole output where it can be read.
        kept=$(mktemp "${TMPDIR:-/tmp}/kit-selftest-failure.XXXXXX")
        cp "$log" "$kept"
        echo "        its whole output: $kept; the failures in it and its last lines:"
        grep -E ':[FE]:|FAIL' "$log" | head -n 10 | sed 's/^/        | /'
        tail -n 10 "$log" | sed 's/^/        | /'
    fi
}
# check DESCRIPTION COMMAND...: pass when the command succeeds.
check() {
    what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
# kit_make ARGS...: make in the kit, output into $log; returns make's status.
kit_make() {
    make -C "$kit" CC="$CC" "$@" > "$log" 2>&1
}
# in_make DIR ARGS...: the same in another folder.
in_make() {
    dir=$1
    shift
    make -C "$dir" CC="$CC" "$@" > "$log" 2>&1
}
in_log() { grep -q -- "$1" "$log"; }
not_in_log() { ! grep -q -- "$1" "$log"; }
# same FILE1 FILE2: the two files are the same (else their difference replaces the log).
same() {
    cmp -s "$1" "$2" && return 0
    diff "$1" "$2" > "$log" 2>&1
    return 1
}
# copy_solutions DIR EXERCISE...: the reference solution's files into DIR/exercises/.
copy_solutions() {
    dir=$1
    shift
    for ex in "$@"; do cp "$exercises/$ex"/solution/*.c "$dir/exercises/$ex/"; done
}

# The graded tests of every exercise, from the suites' tables: "EXERCISE: TEST POINTS".
all_points=$tmp/points
for ex in "$exercises"/[0-9][0-9]-*/; do
    name=$(basename "$ex")
    sed -n 's/^[[:space:]]*GRADED(\([A-Za-z0-9_]*\), *\([0-9]*\),.*/\1 \2/p' "$ex"tests/check_*.c |
        while read -r test points; do echo "$name: $test $points"; done
done > "$all_points"
total=$(awk '{ s += $3 } END { print s }' "$all_points")
count=$(wc -l < "$all_points" | tr -d ' ')
ex_total() { awk -v n="$1:" '$1 == n { s += $3 } END { print s + 0 }' "$all_points"; }
ex_count() { grep -c "^$1:" "$all_points"; }
all_exercises=$(cd "$exercises" && ls -d [0-9][0-9]-*/ | sed 's,/$,,' | tr '\n' ' ')

# The grading's own checkers (not Python): json_check (JSON), yaml_check (libyaml).
json=$tmp/json_check
if ! $CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$json" "$here/json_check.c"; then
    echo "selftest: cannot build grading/json_check.c" >&2
    exit 1
fi
yaml=$tmp/yaml_check
if ! $CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$yaml" "$here/yaml_check.c" \
    $(pkg-config --cflags --libs yaml-0.1 2> /dev/null || echo -lyaml); then
    echo "selftest: cannot build grading/yaml_check.c: it needs libyaml (sudo apt-get install libyaml-dev)" >&2
    exit 1
fi
for tool in zip unzip git xmllint gnuplot; do
    command -v "$tool" > /dev/null 2>&1 || {
        echo "selftest: needs $tool (Debian: zip unzip git libxml2-utils gnuplot-nox)" >&2
        exit 1
    }
done
# json_is FILE SCORE MAX TESTS: valid Gradescope results; prints "score S", "max_score M",
# "tests N", and one "passed NAME" / "failed NAME" line per test, into $tmp/json.
json_is() {
    "$json" "$1" > "$tmp/json" 2> "$log" &&
        grep -qx "score $2" "$tmp/json" && grep -qx "max_score $3" "$tmp/json" &&
        grep -qx "tests $4" "$tmp/json"
}

echo "grading self-test: $count graded tests, $total points, in a kit unpacked in $tmp"

# --- 0. The points the students read are the points the tests give -------------------------------
wrong=
for ex in "$exercises"/[0-9][0-9]-*/; do
    name=$(basename "$ex")
    want=$(ex_total "$name")
    said=$(sed -n "s/^| \[$name\](.*| \([0-9]*\) |\$/\1/p" "$exercises/README.md")
    [ "$said" = "$want" ] || wrong="$wrong $name (README: ${said:-none}, tests: $want)"
done
check "exercises/README.md gives each exercise the points of its tests${wrong:+:$wrong}" \
    test -z "$wrong"
: > "$log"
for c in score run_bounded json_check; do
    $CC -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wmissing-prototypes \
        -D_POSIX_C_SOURCE=200809L -O2 -o "$tmp/strict" "$here/$c.c" >> "$log" 2>&1 || echo "$c" >> "$log"
done
check "the grading's C files build with the kit's strict flags (-Wall -Wextra -Wpedantic -Werror)" \
    test ! -s "$log"

# --- 1. The handout ----------------------------------------------------------------------------
sh "$here/make-handout.sh" "$tmp/kit.tar.gz" > "$log" 2>&1
check "make-handout.sh writes the kit" test -s "$tmp/kit.tar.gz"
tar -tzf "$tmp/kit.tar.gz" > "$tmp/listing"
check "the kit holds no solution and no instructors' file" \
    sh -c "! grep -E '/solution/|INSTRUCTORS|selftest|make-handout|make-classroom|make-gradescope|gradescope-|json_check|yaml_check|exercises/demo.sh|/hardening/|\\.so\$' '$tmp/listing'"
missing=
for ex in "$exercises"/[0-9][0-9]-*/; do
    name=$(basename "$ex")
    for f in "$ex"*.c "$ex"tests/check_*.c "$ex"README.md "$ex"Makefile; do
        grep -qx "netprog-kit/exercises/$name/${f#"$ex"}" "$tmp/listing" || missing="$missing ${f#"$exercises"/}"
    done
done
check "the kit holds every exercise's stubs, tests, README and Makefile${missing:+ (missing:$missing)}" \
    test -z "$missing"
check "the kit holds the fault-injection library's source, and its checksum" \
    sh -c "grep -qx 'netprog-kit/exercises/tests/fault_inject.c' '$tmp/listing'"
check "the kit holds the lecture folder 01-threads, a Makefile, a README, a .gitignore and the checksums" \
    sh -c "grep -qx 'netprog-kit/01-threads/Makefile' '$tmp/listing' &&
           grep -qx 'netprog-kit/Makefile' '$tmp/listing' && grep -qx 'netprog-kit/README.md' '$tmp/listing' &&
           grep -qx 'netprog-kit/.gitignore' '$tmp/listing' &&
           grep -qx 'netprog-kit/exercises/grading/CHECKSUMS' '$tmp/listing'"
tar -C "$tmp" -xzf "$tmp/kit.tar.gz"
# SUBMIT: exactly the solutions' file names, each with its stub's checksum.
for ex in "$exercises"/[0-9][0-9]-*/; do
    for f in "$ex"solution/*.c; do
        set -- $(cksum < "$ex$(basename "$f")")
        echo "$(basename "$ex") $(basename "$f") $1 $2"
    done
done > "$tmp/submit.expected"
check "grading/SUBMIT lists exactly the files students edit, with their stubs' checksums" \
    same "$tmp/submit.expected" "$kit/exercises/grading/SUBMIT"

# --- 2. The stubs: score 0, the examples pass ----------------------------------------------------
kit_make test EXAMPLES=01-threads
status=$?
check "make test on the untouched kit exits non-zero" test $status -ne 0
check "make test ran the examples' tests, and they passed" in_log "examples: all 1 folders passed"
check "make test printed the score table: 0/$count checks, 0/$total points" \
    in_log "^total  *0/$count  *0/$total\$"
check "make test says nothing about changed files" not_in_log "differ from the handout"

# --- 3. make grade: results in every format, also when an exercise does not compile ----------------
kit_make grade
check "make grade exits 0 and writes results.json: 0 of $total points, $count tests" \
    json_is "$kit/results.json" 0 "$total" "$count"
check "results.json: every test failed" sh -c "! grep -q '^passed ' '$tmp/json'"
check "make grade wrote Check's TAP and XML logs" \
    test -s "$kit/grading-logs/05-chat-server/check_chat_server.tap" -a \
    -s "$kit/grading-logs/05-chat-server/check_chat_server.xml"
logs=$kit/grading-logs
check "make grade wrote well-formed JUnit XML (xmllint) with one testcase per graded check" \
    sh -c "xmllint --noout '$logs/junit.xml' && [ \$(grep -c '<testcase ' '$logs/junit.xml') -eq $count ]"
check "... PrairieLearn's results: gradable, score 0, $count tests" \
    sh -c "'$json' -m prairielearn '$logs/prairielearn.json' > '$tmp/pl' && grep -qx 'gradable true' '$tmp/pl' &&
           grep -qx 'score 0' '$tmp/pl' && grep -qx 'tests $count' '$tmp/pl'"
check "... and one TAP stream: 1..$count, $count not ok" \
    sh -c "grep -qx '1..$count' '$logs/results.tap' && [ \$(grep -c '^not ok ' '$logs/results.tap') -eq $count ]"
cp "$kit/exercises/01-event/event.c" "$tmp/event.c"
echo "this line is not C;" >> "$kit/exercises/01-event/event.c"
kit_make grade EX=01-event
event_total=$(ex_total 01-event)
event_count=$(ex_count 01-event)
check "an exercise that does not compile still gets results.json: 0 of $event_total, $event_count tests" \
    json_is "$kit/results.json" 0 "$event_total" "$event_count"
check "... with the compiler's message in it" grep -q 'did not compile.*error' "$kit/results.json"
check "... and in the JUnit XML (well-formed), as errors: not run" \
    sh -c "xmllint --noout '$logs/junit.xml' && grep -q 'errors=\"$event_count\"' '$logs/junit.xml'"
cp "$tmp/event.c" "$kit/exercises/01-event/event.c"

# --- 4. The reference solutions: full score ---------------------------------------------------------
# shellcheck disable=SC2086 # the exercises are words
copy_solutions "$kit" $all_exercises
kit_make test EXAMPLES=
status=$?
check "with the reference solutions, make test exits 0" test $status -eq 0
check "... and prints $count/$count checks, $total/$total points" \
    in_log "^total  *$count/$count  *$total/$total\$"
kit_make grade EX=01-event
check "make grade agrees (01-event): $event_total of $event_total points" \
    json_is "$kit/results.json" "$event_total" "$event_total" "$event_count"
# A system without /proc, prlimit or LD_PRELOAD (macOS): simulated with the harness's override.
(KIT_HIDE=proc,prlimit,preload && export KIT_HIDE && kit_make grade EX=04-bounded-server)
bounded_total=$(ex_total 04-bounded-server)
bounded_count=$(ex_count 04-bounded-server)
check "with /proc, prlimit and LD_PRELOAD hidden, 04-bounded-server still scores $bounded_total of $bounded_total" \
    json_is "$kit/results.json" "$bounded_total" "$bounded_total" "$bounded_count"
check "... and the results name each check skipped, and why" \
    sh -c "grep -q 'skipped here (needs Linux (/proc))' '$kit/results.json' &&
           grep -q 'skipped here (needs Linux (LD_PRELOAD))' '$kit/results.json'"
kit_make submission
unzip -Z1 "$kit/submission.zip" 2> /dev/null | LC_ALL=C sort > "$tmp/zipped"
awk '{ print "exercises/" $1 "/" $2 }' "$tmp/submit.expected" | LC_ALL=C sort > "$tmp/zip.expected"
check "make submission zips exactly the files students edit" same "$tmp/zip.expected" "$tmp/zipped"
check "... and warns about no stub" not_in_log "still the stub"
cp "$kit/submission.zip" "$tmp/solutions.zip"
cp "$tmp/event.c" "$kit/exercises/01-event/event.c"
kit_make submission
check "make submission warns about an exercise still at its stub (01-event) and no other" \
    sh -c "grep -q 'WARNING: 01-event is still the stub' '$log' && [ \$(grep -c 'is still the stub' '$log') -eq 1 ]"
copy_solutions "$kit" 01-event

# --- 5. A broken solution: exactly the expected checks fail -------------------------------------------
# recv_line no longer looks for '\n': it reads until the caller's buffer is full or the peer
# closes. These are the checks that must catch it, and only these: every recv_line test that
# reads a line (not the end-of-stream, error and send_all ones), the two fault-injection
# tests that use recv_line among them.
expected="line_echo_under_fault_injection
recv_line_assembles_bytes_sent_one_at_a_time
recv_line_handles_line_longer_than_buffer
recv_line_keeps_binary_and_nul_bytes
recv_line_reads_one_line
recv_line_reports_line_longer_than_limit
recv_line_retries_after_eintr
recv_line_returns_many_lines_from_one_segment
recv_line_returns_rest_when_peer_closes_mid_line
recv_line_survives_random_segmentation
recv_line_under_fault_injection"
expected_count=$(echo "$expected" | wc -l | tr -d ' ')
line_io=$kit/exercises/02-line-io/line_io.c
sed "s/memchr(start, '\\\\n', buffered)/NULL/" "$line_io" > "$tmp/line_io.c"
check "the newline handling was found and removed from 02-line-io's solution" \
    sh -c "! cmp -s '$line_io' '$tmp/line_io.c'"
cp "$line_io" "$tmp/line_io.good.c"
cp "$tmp/line_io.c" "$line_io"
kit_make test EX=02-line-io
status=$?
check "with recv_line broken, make test EX=02-line-io exits non-zero" test $status -ne 0
# The failed checks, from the TAP log Check wrote: "not ok N - FILE:CASE:TEST: message".
sed -n 's/^not ok [0-9]* - [^:]*:[^:]*:\([^:]*\):.*/\1/p' \
    "$kit/exercises/02-line-io/tests/check_line_io.tap" | LC_ALL=C sort > "$tmp/failed"
echo "$expected" > "$tmp/expected"
check "exactly the $expected_count expected checks of 02-line-io fail (Check's TAP log)" \
    same "$tmp/expected" "$tmp/failed"
line_count=$(ex_count 02-line-io)
line_total=$(ex_total 02-line-io)
kept=$(awk 'NR == FNR { bad[$1] = 1; next } $1 == "02-line-io:" && !($2 in bad) { s += $3 }
            END { print s }' "$tmp/expected" "$all_points")
check "the table gives 02-line-io $((line_count - expected_count))/$line_count checks, $kept/$line_total points" \
    in_log "^02-line-io  *$((line_count - expected_count))/$line_count  *$kept/$line_total\$"
# Every format, from the one scoring: the same tests failed, the same points.
kit_make grade EX="01-event 02-line-io"
both_count=$((event_count + line_count))
both_kept=$((event_total + kept))
both_total=$((event_total + line_total))
sed 's/^/failed 02-line-io: /' "$tmp/expected" > "$tmp/failed.expected"
check "results.json: $both_kept of $both_total points, the same $expected_count tests failed" \
    sh -c "'$json' '$kit/results.json' > '$tmp/reference' && grep -qx 'score $both_kept' '$tmp/reference' &&
           grep '^failed ' '$tmp/reference' | LC_ALL=C sort | cmp -s - '$tmp/failed.expected'"
sed -n 's/.*<testcase classname="02-line-io" name="\([A-Za-z0-9_]*\)"[^/]*>$/\1/p' "$logs/junit.xml" |
    LC_ALL=C sort > "$tmp/junit.failed"
check "JUnit XML: well-formed, $both_count testcases, a <failure> for exactly those $expected_count" \
    sh -c "xmllint --noout '$logs/junit.xml' && [ \$(grep -c '<testcase ' '$logs/junit.xml') -eq $both_count ] &&
           [ \$(grep -c '<failure ' '$logs/junit.xml') -eq $expected_count ] && cmp -s '$tmp/expected' '$tmp/junit.failed'"
pl_score=$(awk -v k="$both_kept" -v t="$both_total" 'BEGIN { printf "%g", k / t }')
check "PrairieLearn: gradable, score $pl_score (in 0..1), the same tests failed" \
    sh -c "'$json' -m prairielearn '$logs/prairielearn.json' > '$tmp/pl' && grep -qx 'gradable true' '$tmp/pl' &&
           grep -qx 'score $pl_score' '$tmp/pl' && grep '^failed ' '$tmp/pl' | LC_ALL=C sort | cmp -s - '$tmp/failed.expected'"
check "TAP: 1..$both_count, $expected_count not ok" \
    sh -c "grep -qx '1..$both_count' '$logs/results.tap' && [ \$(grep -c '^not ok ' '$logs/results.tap') -eq $expected_count ]"
cp "$tmp/line_io.good.c" "$line_io"

# --- 6. A changed test file is reported -----------------------------------------------------------
cp "$kit/exercises/01-event/tests/check_event.c" "$tmp/check_event.c"
echo "/* a student's edit */" >> "$kit/exercises/01-event/tests/check_event.c"
kit_make test EX=01-event
check "make test names the test file that was changed" \
    in_log "exercises/01-event/tests/check_event.c (changed)"
kit_make grade EX=01-event
check "results.json says so too" grep -q 'check_event.c (changed)' "$kit/results.json"
cp "$tmp/check_event.c" "$kit/exercises/01-event/tests/check_event.c"

# --- 7. Hostile student code ------------------------------------------------------------------------
# 01-event's solution with one function wrapped: event_init (or event_wait) does something
# hostile first, then the real work. SELFTEST_HOSTILE_DIR tells it where to leave its traces.
event=$kit/exercises/01-event/event.c
good_event=$exercises/01-event/solution/event.c
# hostile FUNCTION BODY: the solution, with FUNCTION renamed real_FUNCTION and a new
# FUNCTION (BODY, which calls real_FUNCTION) after it.
hostile() {
    sed "s/^\\(int\\|bool\\) $1(/static \\1 real_$1(/" "$good_event" > "$event"
    cat >> "$event" << EOF

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
/* Hostile (grading/selftest.sh, step 7). */
$2
EOF
}
mkdir -p "$hostile/pids"
export SELFTEST_HOSTILE_DIR="$hostile"

# a. A process left behind, in a session of its own: each event_init forks a child that
#    calls setsid() and forks a grandchild that waits forever (pause), noting its pid.
hostile event_init 'int event_init(struct event *e)
{
    pid_t child = fork();
    if (child == 0) {
        setsid();
        if (fork() == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/pids/%ld", getenv("SELFTEST_HOSTILE_DIR"), (long)getpid());
            FILE *f = fopen(path, "w");
            if (f != NULL)
                fclose(f);
            for (;;)
                pause();
        }
        _exit(0);
    }
    if (child > 0)
        waitpid(child, NULL, 0);
    return real_event_init(e);
}'
kit_make grade EX=01-event
left=0 seen=0
for f in "$hostile"/pids/*; do
    [ -f "$f" ] || continue
    seen=$((seen + 1))
    if grep -q check_event "/proc/$(basename "$f")/cmdline" 2> /dev/null; then left=$((left + 1)); fi
done
check "code that leaves setsid()'d processes behind: all $seen of them are gone when make grade returns ($left left)" \
    test "$seen" -gt 0 -a "$left" -eq 0
check "... the results say they were killed, and the score is unharmed ($event_total/$event_total)" \
    sh -c "json_ok() { '$json' '$kit/results.json' > '$tmp/json' && grep -qx 'score $event_total' '$tmp/json'; };
           json_ok && grep -q 'started by its tests were still running when they ended' '$kit/results.json'"

# b. 50 MB of debug lines, printed once in the whole run.
hostile event_init 'int event_init(struct event *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/printed", getenv("SELFTEST_HOSTILE_DIR"));
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd >= 0) {
        static char line[1024];
        close(fd);
        memset(line, 120, sizeof line - 1); /* x */
        line[sizeof line - 1] = (char)10;
        for (int i = 0; i < 50 * 1024; i++)
            fwrite(line, 1, sizeof line, stdout);
        fflush(stdout);
    }
    return real_event_init(e);
}'
kit_make grade EX=01-event
size=$(wc -c < "$log" | tr -d ' ')
check "code that prints 50 MB: make grade shows $size bytes, with a '... N bytes cut' note" \
    sh -c "[ $size -lt 1048576 ] && grep -q '^\\.\\.\\. [0-9]* bytes cut' '$log'"
check "... the results say how much was printed and cut; the score is unharmed; results.json is small" \
    sh -c "'$json' '$kit/results.json' > '$tmp/json' && grep -qx 'score $event_total' '$tmp/json' &&
           grep -q 'its tests printed 5[0-9]* bytes' '$kit/results.json' &&
           [ \$(wc -c < '$kit/results.json') -lt 65536 ]"

# c. Tests that hang (event_wait never returns), with a time limit of 2 s for the exercise.
hostile event_wait 'bool event_wait(struct event *e, double timeout)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pids/%ld", getenv("SELFTEST_HOSTILE_DIR"), (long)getpid());
    FILE *f = fopen(path, "w");
    if (f != NULL)
        fclose(f);
    for (;;)
        pause();
    return real_event_wait(e, timeout);
}'
rm -f "$hostile"/pids/*
GRADE_TIME_LIMIT=2 make -C "$kit" CC="$CC" grade EX=01-event > "$log" 2>&1
elapsed=$(sed -n 's/^elapsed_s //p' "$logs/01-event/run.log")
left=0 seen=0
for f in "$hostile"/pids/*; do
    [ -f "$f" ] || continue
    seen=$((seen + 1))
    if grep -q check_event "/proc/$(basename "$f")/cmdline" 2> /dev/null; then left=$((left + 1)); fi
done
check "tests that hang are stopped at the exercise's time limit of 2 s (the run took ${elapsed:-?} s), nothing left running" \
    sh -c "grep -qx 'timed_out 1' '$logs/01-event/run.log' && awk 'BEGIN { exit !(${elapsed:-99} < 4) }' &&
           [ $seen -gt 0 ] && [ $left -eq 0 ]"
check "... the table and every results file state the limit; what did not finish scores 0" \
    sh -c "grep -q '^01-event .*(time limit reached)' '$log' &&
           grep -q '\"time_limit_s\": {\"01-event\": 2}' '$kit/results.json' &&
           grep -q 'time limit (2 s for all its tests) was reached' '$kit/results.json' &&
           grep -q 'name=\"time_limit_s\" value=\"2\"' '$logs/junit.xml' &&
           '$json' '$kit/results.json' > '$tmp/json' && ! grep -qx 'score $event_total' '$tmp/json'"
unset SELFTEST_HOSTILE_DIR
copy_solutions "$kit" 01-event

# --- 8. Gradescope ------------------------------------------------------------------------------------
# The zip, and a root laid out like Gradescope's (source/ unpacked from the zip,
# submission/, results/), with a space in its path.
sh "$here/make-gradescope.sh" "$tmp/autograder.zip" > "$log" 2>&1
check "make gradescope writes autograder.zip with setup.sh and run_autograder at its root" \
    sh -c "unzip -Z1 '$tmp/autograder.zip' > '$tmp/zip.list' && grep -qx setup.sh '$tmp/zip.list' &&
           grep -qx run_autograder '$tmp/zip.list' && grep -qx kit/exercises/grading/grade.sh '$tmp/zip.list' &&
           ! grep -q /solution/ '$tmp/zip.list'"
gs="$tmp/gradescope root/autograder"
mkdir -p "$gs/source"
(cd "$gs/source" && unzip -q "$tmp/autograder.zip")
cp "$gs/source/run_autograder" "$gs/run_autograder"
# autograde ZIP_OR_DIR: a fresh submission from it, then run_autograder as Gradescope does.
autograde() {
    rm -rf "$gs/submission" "$gs/results"
    mkdir -p "$gs/submission"
    case $1 in
    *.zip) (cd "$gs/submission" && unzip -q "$1") ;;
    *) cp -R "$1/." "$gs/submission/" ;;
    esac
    (cd "$gs" && AUTOGRADER_ROOT=$gs sh ./run_autograder) > "$log" 2>&1
}
autograde "$tmp/solutions.zip"
check "Gradescope, the solutions (the zip make submission wrote): $total of $total points, $count tests" \
    json_is "$gs/results/results.json" "$total" "$total" "$count"
mkdir -p "$tmp/stubs"
while read -r ex file crc size; do
    mkdir -p "$tmp/stubs/exercises/$ex" && cp "$exercises/$ex/$file" "$tmp/stubs/exercises/$ex/"
done < "$tmp/submit.expected"
autograde "$tmp/stubs"
check "Gradescope, the stubs: 0 of $total points, $count tests" \
    json_is "$gs/results/results.json" 0 "$total" "$count"
# A submission as a student might make it: a folder zipped whole (queue.c deep inside),
# event.c that does not compile, every other file missing, and an extra file.
queue_total=$(ex_total 07-bounded-queue)
mkdir -p "$tmp/bad/my work/exercises/07-bounded-queue"
cp "$exercises/07-bounded-queue/solution/queue.c" "$tmp/bad/my work/exercises/07-bounded-queue/"
echo "this line is not C;" > "$tmp/bad/event.c"
echo "my notes" > "$tmp/bad/notes.txt"
autograde "$tmp/bad"
r=$gs/results/results.json
check "Gradescope, a bad submission: valid results, only 07-bounded-queue's $queue_total points" \
    json_is "$r" "$queue_total" "$total" "$count"
check "... 01-event: 0 and the compiler's message; the missing files named; notes.txt listed as ignored" \
    sh -c "grep -q 'did not compile.*error' '$r' && grep -q 'not graded: the submission has no line_io.c' '$r' &&
           grep -q 'not graded: the submission has no chat_frame.c.*; the submission has no chat_server.c' '$r' &&
           grep -q 'ignored (they are not files you edit): .*notes.txt' '$r'"
# A scorer whose results are not valid JSON (the grader's fault, not the student's).
cp "$gs/source/kit/exercises/grading/score.c" "$tmp/score.c"
cat > "$gs/source/kit/exercises/grading/score.c" << 'EOF'
#include <stdio.h>
#include <string.h>
int main(int argc, char *argv[])
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-o") == 0) {
            FILE *f = fopen(argv[i + 1], "w");
            if (f != NULL && fputs("{\"score\": 23, \"tests\": [", f) >= 0)
                fclose(f);
        }
    return 0;
}
EOF
autograde "$tmp/bad"
check "Gradescope, a grader whose results are not valid JSON: valid results, 0 points, a message saying so" \
    sh -c "json_ok() { '$json' '$r' > '$tmp/json' && grep -qx 'score 0' '$tmp/json'; };
           json_ok && grep -q 'results were not valid' '$r'"
cp "$tmp/score.c" "$gs/source/kit/exercises/grading/score.c"

# --- 9. Any folder name; GitHub Classroom; the bench plot; hosts.csv ---------------------------------------
# The kit's own files (what git has or would add), copied into a folder named like a
# student's; every step there must give what it gives elsewhere.
spaced="$tmp/My Course & Jane's/netprog kit"
mkdir -p "$spaced"
if git -C "$repo" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    git -C "$repo" ls-files --cached --others --exclude-standard
else
    (cd "$repo" && find . -type f ! -path '*/.git/*' | sed 's|^\./||')
fi > "$tmp/files"
while IFS= read -r f; do
    [ -f "$repo/$f" ] || continue
    mkdir -p "$spaced/$(dirname "$f")" && cp -p "$repo/$f" "$spaced/$f"
done < "$tmp/files"
# (Paths here hold a quote: the checks are functions given them as arguments, never sh -c.)
in_make "$spaced/02-tcp-echo" test
status=$?
passes_with_shim() {
    [ "$1" -eq 0 ] && grep -q 'Checks: ' "$log" && ! grep -q 'Failures: [1-9]\|Errors: [1-9]' "$log" &&
        ! grep -q 'cannot be preloaded' "$log"
}
check "in \"My Course & Jane's\": make -C 02-tcp-echo test passes, its fault-shim tests too" \
    passes_with_shim "$status"
in_make "$spaced/exercises" handout HANDOUT="$spaced/handout/kit.tar.gz"
check "... make handout writes the kit" test -s "$spaced/handout/kit.tar.gz"
# GitHub Classroom's template repository, made there too (checked below).
classroom="$tmp/My Course & Jane's/classroom repo"
in_make "$spaced/exercises" classroom DIR="$classroom"
# The state of step 5 (01-event solved, 02-line-io broken), graded there as here.
copy_solutions "$spaced" 01-event
cp "$tmp/line_io.c" "$spaced/exercises/02-line-io/line_io.c"
in_make "$spaced/exercises" grade EX="01-event 02-line-io"
same_results() { "$json" "$1" > "$tmp/spaced.json" 2> "$log" && same "$tmp/reference" "$tmp/spaced.json"; }
check "... the exercises' make grade gives step 5's results, test by test" \
    same_results "$spaced/results.json"
unpacked="$tmp/My Course & Jane's/unpacked 'kit'"
mkdir -p "$unpacked"
tar -C "$unpacked" -xzf "$spaced/handout/kit.tar.gz"
copy_solutions "$unpacked/netprog-kit" 01-event
cp "$tmp/line_io.c" "$unpacked/netprog-kit/exercises/02-line-io/line_io.c"
in_make "$unpacked/netprog-kit" grade EX="01-event 02-line-io"
check "... the unpacked handout's make grade gives them too" \
    same_results "$unpacked/netprog-kit/results.json"
in_make "$unpacked/netprog-kit" test EX=01-event
check "... and its make test EX=01-event passes" test $? -eq 0

# GitHub Classroom: the template repository made above.
one_clean_commit() {
    [ "$(git -C "$1" rev-list --count HEAD)" -eq 1 ] && [ -z "$(git -C "$1" status --porcelain)" ] &&
        git -C "$1" ls-files > "$tmp/tracked" && grep -qx .gitignore "$tmp/tracked" &&
        grep -qx exercises/grading/SUBMIT "$tmp/tracked" && grep -qx .github/classroom/autograding.json "$tmp/tracked" &&
        ! grep -q /solution/ "$tmp/tracked"
}
check "make classroom writes a git repository with one commit and nothing left out of it" \
    one_clean_commit "$classroom"
"$yaml" "$classroom/.github/workflows/classroom.yml" > "$tmp/workflow" 2> "$log"
check "its workflow parses as YAML (libyaml) and names the job run-autograding-tests" \
    grep -q '^jobs\.run-autograding-tests\.runs-on=ubuntu-latest$' "$tmp/workflow"
# One grader step per exercise, with its points; the reporter collecting them all.
steps=jobs.run-autograding-tests.steps
wrong= ids= graders=0
: > "$tmp/autograding.expected"
for ex in $all_exercises; do
    step=$(grep -F "].with.test-name=$ex" "$tmp/workflow" | sed -n "s/^$steps\\[\\([0-9]*\\)\\].*/\\1/p")
    id=$(sed -n "s/^$steps\\[$step\\]\\.id=//p" "$tmp/workflow")
    timeout=$(sed -n "s/^$steps\\[$step\\]\\.with\\.timeout=\\([0-9][0-9]*\\)$/\\1/p" "$tmp/workflow")
    grep -qx "$steps\\[$step\\]\\.uses=education/autograding-command-grader@v1" "$tmp/workflow" &&
        grep -qx "$steps\\[$step\\]\\.with\\.command=make -C exercises test EX=$ex" "$tmp/workflow" &&
        grep -qx "$steps\\[$step\\]\\.with\\.max-score=$(ex_total "$ex")" "$tmp/workflow" &&
        [ -n "$timeout" ] &&
        grep -qx "$steps\\[[0-9]*\\]\\.env\\.$(echo "$id" | tr 'a-z' 'A-Z')_RESULTS=\${{steps\\.$id\\.outputs\\.result}}" "$tmp/workflow" ||
        wrong="$wrong $ex"
    ids="$ids${ids:+,}$id"
    echo "test $ex|make -C exercises test EX=$ex|$(ex_total "$ex")|$timeout" >> "$tmp/autograding.expected"
done
graders=$(grep -c '\.uses=education/autograding-command-grader@v1$' "$tmp/workflow")
reporter_ok() {
    [ -z "$wrong" ] && [ "$graders" -eq "$(echo $all_exercises | wc -w)" ] &&
        grep -q '\.uses=education/autograding-grading-reporter@v1$' "$tmp/workflow" &&
        grep -qx "$steps\\[[0-9]*\\]\\.with\\.runners=$ids" "$tmp/workflow"
}
check "one grader step per exercise (its command, points, timeout), each read by the reporter${wrong:+ (wrong:$wrong)}" \
    reporter_ok
"$json" -m classroom "$classroom/.github/classroom/autograding.json" > "$tmp/autograding" 2> "$log"
check "its autograding.json (older runner) holds the same tests, points and timeouts" \
    same "$tmp/autograding.expected" "$tmp/autograding"
# Its grader commands, run as the workflow runs them: 0 on the stubs, all points on the solutions.
grep "^$steps\\[[0-9]*\\]\\.with\\.command=" "$tmp/workflow" | sed 's/^[^=]*=//' > "$tmp/commands"
# run_commands: how many of the commands pass in the classroom repository.
run_commands() {
    n=0
    while IFS= read -r command; do
        # shellcheck disable=SC2086 # a command of the workflow: "make -C exercises test EX=NAME"
        (cd "$classroom" && $command) > "$log" 2>&1 < /dev/null && n=$((n + 1))
    done < "$tmp/commands"
    echo "$n"
}
total_commands=$(wc -l < "$tmp/commands" | tr -d ' ')
# On the stubs all at once (they fail at once, whatever the machine's load; only building
# them takes time), each with its own log; the exit statuses are counted after.
i=0
while IFS= read -r command; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # as above
    ( (cd "$classroom" && $command) > "$tmp/stub$i.log" 2>&1 < /dev/null; echo $? > "$tmp/stub$i.status") &
done < "$tmp/commands"
wait
passed=0
for f in "$tmp"/stub*.status; do [ "$(cat "$f")" != 0 ] || passed=$((passed + 1)); done
cat "$tmp"/stub*.log > "$log"
check "its $total_commands grader commands on the stubs: none passes (0 points)" \
    test "$total_commands" -gt 0 -a "$passed" -eq 0 -a "$(ls "$tmp"/stub*.status | wc -l)" -eq "$total_commands"
# shellcheck disable=SC2086 # the exercises are words
copy_solutions "$classroom" $all_exercises
passed=$(run_commands)
check "... on the solutions: all $total_commands pass (all $total points)" test "$passed" -eq "$total_commands"

# The bench plot, from two short runs of 06-poll-async/bench.sh there: the baseline, and
# the iterative server, which serves 1 of 10 connections and starves 9.
: > "$log"
for p in 06-poll-async:loadgen 06-poll-async:baseline_echo 02-tcp-echo:echo_server; do
    make -s -C "$spaced/${p%%:*}" "${p#*:}" CC="$CC" >> "$log" 2>&1
done
(cd "$spaced" && bash 06-poll-async/bench.sh -d 0.5 'baseline:1,10:06-poll-async/baseline_echo' \
    'echo_server (iterative):10:02-tcp-echo/echo_server') >> "$log" 2>&1
svg=$spaced/06-poll-async/bench-results/bench.svg
svg_has() {
    for text in "$@"; do grep -qF ">$text<" "$svg" || return 1; done
}
svg_labelled() {
    xmllint --noout "$svg" 2>> "$log" && svg_has 'connections (log scale)' \
        'round trips per second (all connections)' \
        'p99 latency of a round trip (microseconds, log scale)' baseline
}
check "bench.sh draws bench.svg (well-formed), its axes and legend labelled" svg_labelled
check "... and marks the starved connections: 9/10 starved, no p99 point at 10" \
    svg_has '9/10 starved' 'echo_server (iterative): no point at 10'

# The shipped hosts file probes only this machine.
hosts=$repo/07-timers-queues/hosts.csv
awk -F, '!/^[[:space:]]*(#|$)/ { h = $(NF - 1); gsub(/[[:space:]"]/, "", h); print h }' "$hosts" > "$tmp/hosts"
check "07-timers-queues/hosts.csv holds only loopback hosts ($(tr '\n' ' ' < "$tmp/hosts"))" \
    sh -c "[ -s '$tmp/hosts' ] && ! grep -qvE '^(127\\.[0-9.]+|::1|localhost)\$' '$tmp/hosts'"

echo "grading self-test: $checks checks, $failed failed ($(($(date +%s) - started)) s)"
[ "$failed" -eq 0 ]
