#!/bin/sh
# selftest.sh -- the tests of the grading itself: a scripted run of the student kit, as a
# student and an autograder would use it. Run by `make test` in exercises/.
#
#  0. exercises/README.md's points table agrees with the tests' GRADED tables.
#  1. make-handout.sh writes the kit; it holds no solution, and the checksums of its tests.
#  2. Unpacked in a temporary folder: `make test` runs the examples' tests (01-threads only:
#     see below) and grades the untouched stubs: every exercise 0 points, exit status not 0.
#  3. `make grade` writes results.json: valid JSON (checked by json_check.c, not Python),
#     0 points of the right total, every test failed; also when an exercise does not compile
#     (that exercise's tests then carry the compiler's message).
#  4. The reference solutions copied in: `make test` gives full marks and exit status 0;
#     `make grade` agrees (for one exercise: every exercise's tests already ran twice).
#  5. One solution broken (02-line-io's recv_line stops looking for '\n'): exactly the
#     expected checks fail (read from Check's TAP log), and the table shows the points left.
#  6. A test file edited: `make test` says which file was changed.
# Why only 01-threads among the examples: step 2 proves the kit's `make test` runs the
# examples' suites and reports them; running every lecture folder's suites again here would
# double the time of the course's `make test`, which runs them all anyway.
#
# Needs: sh, make, a C compiler, tar, gzip, cksum, Check. Prints one line per check and a
# summary; exit status 1 when a check failed.
set -u

here=$(cd "$(dirname "$0")" && pwd) # exercises/grading
exercises=$(dirname "$here")
: "${CC:=cc}"
# The kit runs as on a fresh machine: none of this make's settings reach it (the compiler
# is passed on explicitly).
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE VARIANT EX 2> /dev/null || :

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kit-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
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
in_log() { grep -q -- "$1" "$log"; }
not_in_log() { ! grep -q -- "$1" "$log"; }

# The graded tests of every exercise, from the suites' tables: "EXERCISE: TEST POINTS".
all_points=$tmp/points
for ex in "$exercises"/[0-9][0-9]-*/; do
    name=$(basename "$ex")
    sed -n 's/^[[:space:]]*GRADED(\([A-Za-z0-9_]*\), *\([0-9]*\),.*/\1 \2/p' "$ex"tests/check_*.c |
        while read -r test points; do echo "$name: $test $points"; done
done > "$all_points"
total=$(awk '{ s += $3 } END { print s }' "$all_points")
count=$(wc -l < "$all_points" | tr -d ' ')

# json_check RESULTS: valid JSON, consistent; prints "score S", "max_score M", "tests N",
# and one "passed NAME" / "failed NAME" line per test, into $tmp/json.
json=$tmp/json_check
if ! $CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$json" "$here/json_check.c"; then
    echo "selftest: cannot build grading/json_check.c" >&2
    exit 1
fi
json_is() { # json_is FILE SCORE MAX TESTS
    "$json" "$1" > "$tmp/json" 2> "$log" &&
        grep -qx "score $2" "$tmp/json" && grep -qx "max_score $3" "$tmp/json" &&
        grep -qx "tests $4" "$tmp/json"
}

echo "grading self-test: $count graded tests, $total points, in a kit unpacked in $tmp"

# --- 0. The points the students read are the points the tests give -------------------------------
wrong=
for ex in "$exercises"/[0-9][0-9]-*/; do
    name=$(basename "$ex")
    want=$(awk -v n="$name:" '$1 == n { s += $3 } END { print s + 0 }' "$all_points")
    said=$(sed -n "s/^| \[$name\](.*| \([0-9]*\) |\$/\1/p" "$exercises/README.md")
    [ "$said" = "$want" ] || wrong="$wrong $name (README: ${said:-none}, tests: $want)"
done
check "exercises/README.md gives each exercise the points of its tests${wrong:+:$wrong}" \
    test -z "$wrong"

# --- 1. The handout ----------------------------------------------------------------------------
sh "$here/make-handout.sh" "$tmp/kit.tar.gz" > "$log" 2>&1
check "make-handout.sh writes the kit" test -s "$tmp/kit.tar.gz"
tar -tzf "$tmp/kit.tar.gz" > "$tmp/listing"
check "the kit holds no solution and no instructors' file" \
    sh -c "! grep -E '/solution/|INSTRUCTORS|selftest|make-handout|json_check|exercises/demo.sh|/hardening/|\\.so\$' '$tmp/listing'"
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
check "the kit holds the lecture folder 01-threads, a Makefile, a README and the checksums" \
    sh -c "grep -qx 'netprog-kit/01-threads/Makefile' '$tmp/listing' &&
           grep -qx 'netprog-kit/Makefile' '$tmp/listing' && grep -qx 'netprog-kit/README.md' '$tmp/listing' &&
           grep -qx 'netprog-kit/exercises/grading/CHECKSUMS' '$tmp/listing'"
tar -C "$tmp" -xzf "$tmp/kit.tar.gz"

# --- 2. The stubs: score 0, the examples pass ----------------------------------------------------
kit_make test EXAMPLES=01-threads
status=$?
check "make test on the untouched kit exits non-zero" test $status -ne 0
check "make test ran the examples' tests, and they passed" in_log "examples: all 1 folders passed"
check "make test printed the score table: 0/$count checks, 0/$total points" \
    in_log "^total  *0/$count  *0/$total\$"
check "make test says nothing about changed files" not_in_log "differ from the handout"

# --- 3. make grade: results.json, also when an exercise does not compile -------------------------
kit_make grade
check "make grade exits 0 and writes results.json: 0 of $total points, $count tests" \
    json_is "$kit/results.json" 0 "$total" "$count"
check "results.json: every test failed" sh -c "! grep -q '^passed ' '$tmp/json'"
check "make grade wrote Check's TAP and XML logs" \
    test -s "$kit/grading-logs/05-chat-server/check_chat_server.tap" -a \
    -s "$kit/grading-logs/05-chat-server/check_chat_server.xml"
cp "$kit/exercises/01-event/event.c" "$tmp/event.c"
echo "this line is not C;" >> "$kit/exercises/01-event/event.c"
kit_make grade EX=01-event
event_total=$(awk '$1 == "01-event:" { s += $3; n++ } END { print s }' "$all_points")
event_count=$(grep -c '^01-event:' "$all_points")
check "an exercise that does not compile still gets results.json: 0 of $event_total, $event_count tests" \
    json_is "$kit/results.json" 0 "$event_total" "$event_count"
check "... with the compiler's message in it" grep -q 'did not compile.*error' "$kit/results.json"
cp "$tmp/event.c" "$kit/exercises/01-event/event.c"

# --- 4. The reference solutions: full score ---------------------------------------------------------
for ex in "$exercises"/[0-9][0-9]-*/; do
    cp "$ex"solution/*.c "$kit/exercises/$(basename "$ex")/"
done
kit_make test EXAMPLES=
status=$?
check "with the reference solutions, make test exits 0" test $status -eq 0
check "... and prints $count/$count checks, $total/$total points" \
    in_log "^total  *$count/$count  *$total/$total\$"
kit_make grade EX=01-event
check "make grade agrees (01-event): $event_total of $event_total points" \
    json_is "$kit/results.json" "$event_total" "$event_total" "$event_count"

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
if cmp -s "$tmp/failed" "$tmp/expected"; then
    pass "exactly the $expected_count expected checks of 02-line-io fail"
else
    diff "$tmp/expected" "$tmp/failed" > "$log"
    fail "exactly the $expected_count expected checks of 02-line-io fail (diff: expected vs failed)"
fi
line_count=$(grep -c '^02-line-io:' "$all_points")
line_total=$(awk '$1 == "02-line-io:" { s += $3 } END { print s }' "$all_points")
kept=$(awk 'NR == FNR { bad[$1] = 1; next } $1 == "02-line-io:" && !($2 in bad) { s += $3 }
            END { print s }' "$tmp/expected" "$all_points")
check "the table gives 02-line-io $((line_count - expected_count))/$line_count checks, $kept/$line_total points" \
    in_log "^02-line-io  *$((line_count - expected_count))/$line_count  *$kept/$line_total\$"
cp "$tmp/line_io.good.c" "$line_io"

# --- 6. A changed test file is reported -----------------------------------------------------------
echo "/* a student's edit */" >> "$kit/exercises/01-event/tests/check_event.c"
kit_make test EX=01-event
check "make test names the test file that was changed" \
    in_log "exercises/01-event/tests/check_event.c (changed)"
kit_make grade EX=01-event
check "results.json says so too" grep -q 'check_event.c (changed)' "$kit/results.json"

echo "grading self-test: $checks checks, $failed failed ($(($(date +%s) - started)) s)"
[ "$failed" -eq 0 ]
