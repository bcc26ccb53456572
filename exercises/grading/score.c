/* score.c -- turn the exercises' test logs into a score: one scoring, several writers (the
 * score table; Gradescope's results.json; TAP; JUnit XML for CodeGrade and CI readers;
 * PrairieLearn's results.json).
 *
 * The points of each graded test are written next to the test, in its suite's table:
 *     GRADED(recv_line_eintr, 2, 10),          test name, points, timeout in seconds
 * Check writes what happened to each test in a TAP log (CK_TAP_LOG_FILE_NAME):
 *     ok 3 - check_line_io.c:recv_line_eintr:recv_line_eintr: Passed
 *     not ok 4 - check_line_io.c:recv_line_too_long:recv_line_too_long: <message>
 * and how long each took in its XML log. This program joins them. It needs nothing but a C
 * compiler: no Python, no JSON or XML library (a student's machine may have neither).
 *
 * Usage: score [-f FORMAT [-o FILE]]... [-j RESULTS.json] [-e pass|fail|any] [-t TITLE]
 *              [-m CHANGED] [-N NOTES] [-V VISIBILITY] [-T SECONDS] [-v]
 *              EXERCISE_DIR LOG_DIR [EXERCISE_DIR LOG_DIR ...]
 *   A LOG_DIR holds what grading/grade.sh left there for its exercise:
 *     suites            the suites' sources, one path (relative to EXERCISE_DIR) a line
 *     problem           only when the exercise was not graded (a submission without its
 *                       file): why, in one line; every test then scores 0
 *     build-failed.log  only when the exercise did not compile: the compiler's output
 *     check_NAME.tap    one TAP log per suite (check_NAME.xml: the same, with durations)
 *     run.log           grading/run_bounded's report on the test run: its time limit, how
 *                       long it took, whether the limit was reached, how much output was
 *                       cut, how many processes it left behind (killed)
 *   -f FORMAT  also write FORMAT: json (Gradescope), tap, junit or prairielearn; to the FILE
 *              of the -o that follows it, or to stdout (the table then goes to stderr).
 *              Repeat -f (each with its -o) for several.
 *   -j FILE    the same as -f json -o FILE
 *   -e pass    exit 0 only when every graded test passed (the default)
 *   -e fail    exit 0 only when every graded test failed (proving that no test passes
 *              against an untouched stub)
 *   -e any     exit 0 whatever the score (autograders read the file, not the status)
 *   -t TITLE   a title above the table
 *   -m FILE    the list of grading files that differ from the handout (one a line), to
 *              repeat as a warning in the table and in every results file
 *   -N FILE    more notes for the table and every results file, one a line (the
 *              autograder's: files of a submission it ignored)
 *   -V WHAT    Gradescope's visibility of the results and of each test: visible (the
 *              default), hidden, after_due_date or after_published
 *   -T SECONDS how long the whole grading took (Gradescope's execution_time); without it
 *              the sum of the test runs' times
 *   -v         above the table, list the failed tests with the first line of their message
 * Exit status: 0 or 1 as -e says; 2 for bad usage or a file it cannot write; 3 when the
 * logs and the tables disagree (a test without points: the grading itself is broken).
 *
 * What is shown is bounded: a test's output keeps its first 4 KiB, a compiler's output its
 * last 6000 bytes, each with a note of how many bytes were cut (a student's program may
 * print megabytes into a message).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "score"
#define USAGE                                                                                      \
    "Usage: score [-f json|tap|junit|prairielearn [-o FILE]]... [-j RESULTS.json] "                \
    "[-e pass|fail|any] [-t TITLE] [-m CHANGED] [-N NOTES] [-V VISIBILITY] [-T SECONDS] [-v] "     \
    "EXERCISE_DIR LOG_DIR ..."
#define TEST_OUTPUT_CAP 4096 /* bytes of one test's output kept */
#define BUILD_LOG_CAP   6000 /* bytes of a compiler's output kept (its end: the errors) */

struct test {
    char name[128];
    int points;
    int timeout; /* seconds, from its GRADED row */
    bool ran;
    bool passed;
    char *skipped;   /* why it passed without running its checks here (this system lacks
                        what it needs: /proc, prlimit, LD_PRELOAD), else NULL */
    double duration; /* seconds, from Check's XML log; < 0 when not known */
    char *output;    /* Check's message, or why the test did not run */
};

/* grading/run_bounded's report on an exercise's test run (run.log). */
struct run_report {
    bool present;
    long time_limit, output_bytes, output_cut, stray_killed;
    double elapsed;
    bool timed_out;
};

struct exercise {
    char name[128];
    struct test *tests;
    size_t count;
    char *problem;   /* why it was not graded, else NULL */
    char *build_log; /* the compiler's output when it did not build, else NULL */
    struct run_report run;
    int passed, score, max_score, skipped;
};

/* The whole scoring: what every writer writes from. */
struct grading {
    struct exercise *ex;
    size_t n;
    int checks, passed, score, max_score;
    double execution_time;
    char *text;  /* the table and the notes: what a person reads */
    char *notes; /* the notes alone (time limits, cut output, strays, changed files) */
    const char *visibility;
};

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (p == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *text)
{
    size_t len = strlen(text);
    return memcpy(xrealloc(NULL, len + 1), text, len + 1);
}

/* The whole file PATH, NUL-terminated, or NULL when it cannot be read. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t len = 0, cap = 4096;
    char *text = xrealloc(NULL, cap);
    for (size_t n; (n = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (cap - len < 2)
            text = xrealloc(text, cap *= 2);
    }
    fclose(f);
    text[len] = '\0';
    return text;
}

/* A growing text. */
struct text {
    char *data;
    size_t len, cap;
};

static void add(struct text *t, const char *format, ...)
{
    va_list args;
    if (t->data == NULL) {
        t->data = xrealloc(NULL, t->cap = 256);
        t->data[0] = '\0';
    }
    for (;;) {
        va_start(args, format);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, format, args);
        va_end(args);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
        t->data = xrealloc(t->data, t->cap);
    }
}

/* TEXT cut to its first CAP bytes, with a note of how many were cut (in place). */
static char *cap_head(char *text, size_t cap)
{
    size_t len = strlen(text);
    if (len <= cap)
        return text;
    char note[96];
    int n = snprintf(note, sizeof note, "\n... %zu bytes cut\n", len - cap);
    text = xrealloc(text, cap + (size_t)n + 1);
    memcpy(text + cap, note, (size_t)n + 1);
    return text;
}

/* --- Reading the tables and the logs ----------------------------------------------------- */

/* Append "GRADED(name, points, timeout)" rows of the suite SOURCE to E. Returns how many. */
static int read_points(struct exercise *e, const char *source)
{
    char *text = read_file(source);
    char *save = NULL;
    int rows = 0;
    if (text == NULL)
        return -1;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        int points, timeout;
        line += strspn(line, " \t");
        if (strncmp(line, "GRADED(", 7) != 0 ||
            sscanf(line + 7, " %127[A-Za-z0-9_] , %d , %d )", name, &points, &timeout) != 3)
            continue;
        e->tests = xrealloc(e->tests, (e->count + 1) * sizeof *e->tests);
        struct test *t = &e->tests[e->count++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", name);
        t->points = points;
        t->timeout = timeout;
        t->duration = -1;
        rows++;
    }
    free(text);
    return rows;
}

static struct test *find_test(struct exercise *e, const char *name)
{
    for (size_t i = 0; i < e->count; i++)
        if (strcmp(e->tests[i].name, name) == 0)
            return &e->tests[i];
    return NULL;
}

/* Append TEXT (LEN bytes) and a newline to *OUTPUT. */
static void append_line(char **output, const char *text, size_t len)
{
    size_t old = *output != NULL ? strlen(*output) : 0;
    *output = xrealloc(*output, old + len + 2);
    memcpy(*output + old, text, len);
    (*output)[old + len] = '\n';
    (*output)[old + len + 1] = '\0';
}

/* Read the TAP log PATH into E's tests. Returns 0, or -1 when a test in it has no points. */
static int read_tap(struct exercise *e, const char *path)
{
    char *text = read_file(path);
    struct test *last = NULL;
    int status = 0;
    if (text == NULL)
        return 0; /* the suite did not run: its tests stay "did not run" */
    for (char *line = text, *next; *line != '\0'; line = next) {
        char *end = strchr(line, '\n');
        next = end != NULL ? end + 1 : line + strlen(line);
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        bool ok = strncmp(line, "ok ", 3) == 0, not_ok = strncmp(line, "not ok ", 7) == 0;
        char *dash = (ok || not_ok) ? strstr(line, " - ") : NULL;
        if (dash == NULL || dash > line + len) {
            /* A message with newlines goes on over several lines; "1..N" ends the log. */
            if (last != NULL && strncmp(line, "1..", 3) != 0)
                append_line(&last->output, line, len);
            continue;
        }
        /* "FILE:TCASE:TEST: MESSAGE": the test's name is the third field. */
        char *field = dash + 3, *colon1 = memchr(field, ':', len - (size_t)(field - line));
        char *colon2 = colon1 ? memchr(colon1 + 1, ':', len - (size_t)(colon1 + 1 - line)) : NULL;
        char *colon3 = colon2 ? memchr(colon2 + 1, ':', len - (size_t)(colon2 + 1 - line)) : NULL;
        if (colon3 == NULL) {
            last = NULL;
            continue;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(colon3 - colon2 - 1), colon2 + 1);
        last = find_test(e, name);
        if (last == NULL) {
            fprintf(stderr, "%s: %s: test %s has no GRADED(...) row in its suite\n", PROGRAM, path,
                    name);
            status = -1;
            continue;
        }
        const char *message = colon3 + 1 + (colon3[1] == ' ');
        last->ran = true;
        last->passed = ok;
        free(last->output);
        last->output = NULL;
        append_line(&last->output, message, len - (size_t)(message - line));
    }
    free(text);
    return status;
}

/* The skip notes the harness wrote (KIT_SKIP_LOG: "TEST: REASON" lines, grade.sh puts them
 * in LOGS/skips): a test that passed there without its checks, because this system lacks
 * what they need, says so in its output, and the exercise's notes count it. A missing
 * facility never costs a point, and nobody is left to think a check ran that did not. */
static void read_skips(struct exercise *e, const char *logs)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/skips", logs);
    char *text = read_file(path);
    for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
        char *end = strchr(line, '\n');
        next = end != NULL ? end + 1 : line + strlen(line);
        if (end != NULL)
            *end = '\0';
        char *colon = strstr(line, ": ");
        if (colon == NULL)
            continue;
        *colon = '\0';
        struct test *t = find_test(e, line);
        if (t == NULL || t->skipped != NULL)
            continue;
        t->skipped = cap_head(xstrdup(colon + 2), 200);
        e->skipped++;
    }
    free(text);
}

/* The text between <TAG> and </TAG> after *AT, before LIMIT, into OUT; moves *AT past it. */
static bool xml_element(const char **at, const char *limit, const char *tag, char *out, size_t size)
{
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *start = strstr(*at, open);
    if (start == NULL || start >= limit)
        return false;
    start += strlen(open);
    const char *end = strstr(start, close);
    if (end == NULL || end >= limit)
        return false;
    snprintf(out, size, "%.*s", (int)(end - start), start);
    *at = end + strlen(close);
    return true;
}

/* How long each test took, from Check's XML log PATH (<test>...<id>NAME</id>...
 * <duration>SECONDS</duration>...</test>). A log that is missing or cut short is fine. */
static void read_durations(struct exercise *e, const char *path)
{
    char *text = read_file(path);
    if (text == NULL)
        return;
    for (const char *at = text; (at = strstr(at, "<test ")) != NULL;) {
        const char *end = strstr(at, "</test>");
        if (end == NULL)
            break;
        char id[128], duration[32];
        const char *p = at;
        if (xml_element(&p, end, "id", id, sizeof id) &&
            xml_element(&p, end, "duration", duration, sizeof duration)) {
            struct test *t = find_test(e, id);
            if (t != NULL)
                t->duration = strtod(duration, NULL);
        }
        at = end;
    }
    free(text);
}

static void read_report(struct run_report *r, const char *path)
{
    char *text = read_file(path), *save = NULL;
    memset(r, 0, sizeof *r);
    if (text == NULL)
        return;
    r->present = true;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char key[32];
        double value;
        if (sscanf(line, "%31s %lf", key, &value) != 2)
            continue;
        if (strcmp(key, "time_limit_s") == 0)
            r->time_limit = (long)value;
        else if (strcmp(key, "elapsed_s") == 0)
            r->elapsed = value;
        else if (strcmp(key, "timed_out") == 0)
            r->timed_out = value != 0;
        else if (strcmp(key, "output_bytes") == 0)
            r->output_bytes = (long)value;
        else if (strcmp(key, "output_cut") == 0)
            r->output_cut = (long)value;
        else if (strcmp(key, "stray_killed") == 0)
            r->stray_killed = (long)value;
    }
    free(text);
}

/* Load exercise DIR with the logs in LOGS. Returns 0, or -1 when the grading is broken. */
static int load_exercise(struct exercise *e, const char *dir, const char *logs)
{
    char path[4096], *save = NULL;
    int status = 0;

    memset(e, 0, sizeof *e);
    /* The name is the folder's: "exercises/01-event/" -> "01-event". */
    snprintf(path, sizeof path, "%s", dir);
    for (size_t len = strlen(path); len > 1 && path[len - 1] == '/';)
        path[--len] = '\0';
    const char *base = strrchr(path, '/');
    snprintf(e->name, sizeof e->name, "%s", base != NULL ? base + 1 : path);

    snprintf(path, sizeof path, "%s/problem", logs);
    e->problem = read_file(path);
    if (e->problem != NULL) {
        e->problem[strcspn(e->problem, "\n")] = '\0';
        e->problem = cap_head(e->problem, 1000);
    }
    snprintf(path, sizeof path, "%s/build-failed.log", logs);
    e->build_log = e->problem == NULL ? read_file(path) : NULL;
    snprintf(path, sizeof path, "%s/run.log", logs);
    read_report(&e->run, path);

    snprintf(path, sizeof path, "%s/suites", logs);
    char *suites = read_file(path);
    if (suites == NULL) {
        fprintf(stderr, "%s: %s: no list of suites (did grade.sh run?)\n", PROGRAM, path);
        return -1;
    }
    for (char *suite = strtok_r(suites, "\n", &save); suite != NULL;
         suite = strtok_r(NULL, "\n", &save)) {
        char source[4096];
        snprintf(source, sizeof source, "%s/%s.c", dir, suite);
        int rows = read_points(e, source);
        if (rows <= 0) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, source,
                    rows < 0 ? strerror(errno) : "no GRADED(...) rows");
            status = -1;
            continue;
        }
        const char *name = strrchr(suite, '/');
        name = name != NULL ? name + 1 : suite;
        if (e->problem != NULL || e->build_log != NULL)
            continue;
        snprintf(path, sizeof path, "%s/%s.tap", logs, name);
        if (read_tap(e, path) != 0)
            status = -1;
        snprintf(path, sizeof path, "%s/%s.xml", logs, name);
        read_durations(e, path);
    }
    free(suites);
    read_skips(e, logs);
    for (size_t i = 0; i < e->count; i++) {
        struct test *t = &e->tests[i];
        if (e->problem != NULL) {
            t->output = xstrdup("not graded: see this exercise's first test");
        } else if (e->build_log != NULL) {
            t->output = xstrdup("not run: the exercise did not compile (see the compiler's "
                                "messages in this exercise's first test)");
        } else if (!t->ran && e->run.timed_out) {
            char why[256];
            snprintf(why, sizeof why,
                     "not run: this exercise's time limit (%ld s for all its tests) was reached "
                     "before this test finished; the tests that finished keep their points",
                     e->run.time_limit);
            t->output = xstrdup(why);
        } else if (!t->ran) {
            t->output = xstrdup("did not run: its suite crashed, was stopped, or was not built");
        } else {
            t->output = cap_head(t->output, TEST_OUTPUT_CAP);
        }
        if (t->skipped != NULL && t->passed) {
            struct text note = {NULL, 0, 0};
            add(&note, "skipped here (%s): its points are given; %s", t->skipped,
                t->output != NULL ? t->output : "");
            free(t->output);
            t->output = note.data;
        }
    }
    if (e->count > 0 && (e->problem != NULL || e->build_log != NULL)) {
        struct text first = {NULL, 0, 0};
        if (e->problem != NULL) {
            add(&first, "not graded: %s", e->problem);
        } else {
            size_t len = strlen(e->build_log);
            const char *tail =
                len > BUILD_LOG_CAP ? e->build_log + len - BUILD_LOG_CAP : e->build_log;
            if (tail != e->build_log)
                add(&first,
                    "the exercise did not compile (its first %zu bytes of messages cut, "
                    "the last %d kept):\n%s",
                    len - BUILD_LOG_CAP, BUILD_LOG_CAP, tail);
            else
                add(&first, "the exercise did not compile:\n%s", tail);
        }
        free(e->tests[0].output);
        e->tests[0].output = first.data;
    }
    return status;
}

/* --- The scoring, and the text a person reads ---------------------------------------------- */

static void score_all(struct grading *g, const char *title, const char *expect, bool verbose,
                      const char *changed, const char *more_notes, struct text *details,
                      int *passing_stub_tests)
{
    struct text table = {NULL, 0, 0}, notes = {NULL, 0, 0};
    if (title != NULL)
        add(&table, "%s\n", title);
    add(&table, "%-24s %9s %11s\n", "exercise", "checks", "points");
    for (size_t i = 0; i < g->n; i++) {
        struct exercise *e = &g->ex[i];
        for (size_t j = 0; j < e->count; j++) {
            struct test *t = &e->tests[j];
            e->max_score += t->points;
            if (t->passed) {
                e->passed++;
                e->score += t->points;
            }
            if (!t->passed && verbose) {
                const char *out = t->output != NULL ? t->output : "";
                add(details, "  FAILED %s: %s (%d point%s): %.*s\n", e->name, t->name, t->points,
                    t->points == 1 ? "" : "s", (int)strcspn(out, "\n"), out);
            }
            if (t->passed && strcmp(expect, "fail") == 0) {
                add(details, "  PASSES AGAINST THE STUB: %s: %s\n", e->name, t->name);
                (*passing_stub_tests)++;
            }
        }
        char count[32], points[32];
        snprintf(count, sizeof count, "%d/%zu", e->passed, e->count);
        snprintf(points, sizeof points, "%d/%d", e->score, e->max_score);
        const char *why = e->problem != NULL     ? "   (not graded)"
                          : e->build_log != NULL ? "   (did not compile)"
                          : e->run.timed_out     ? "   (time limit reached)"
                                                 : "";
        add(&table, "%-24s %9s %11s%s\n", e->name, count, points, why);
        g->checks += (int)e->count;
        g->passed += e->passed;
        g->score += e->score;
        g->max_score += e->max_score;

        if (e->problem != NULL)
            add(&notes, "  %s: not graded: %s\n", e->name, e->problem);
        for (size_t j = 0; j < e->count; j++)
            if (e->tests[j].skipped != NULL && e->tests[j].passed)
                add(&notes, "  %s: %s skipped here (%s); its points are given\n", e->name,
                    e->tests[j].name, e->tests[j].skipped);
        if (e->run.timed_out)
            add(&notes,
                "  %s: its tests reached their time limit (%ld s) and were stopped: the tests "
                "that had not finished score 0\n",
                e->name, e->run.time_limit);
        if (e->run.stray_killed > 0)
            add(&notes,
                "  %s: %ld process%s started by its tests %s still running when they ended, "
                "and %s killed\n",
                e->name, e->run.stray_killed, e->run.stray_killed == 1 ? "" : "es",
                e->run.stray_killed == 1 ? "was" : "were",
                e->run.stray_killed == 1 ? "was" : "were");
        if (e->run.output_cut > 0)
            add(&notes,
                "  %s: its tests printed %ld bytes; %ld were kept (the first and the last "
                "part), %ld bytes cut\n",
                e->name, e->run.output_bytes, e->run.output_bytes - e->run.output_cut,
                e->run.output_cut);
    }
    for (const char *line = more_notes; line != NULL && *line != '\0';) {
        size_t len = strcspn(line, "\n");
        if (len > 0)
            add(&notes, "  %.*s\n", (int)(len > 1000 ? 1000 : len), line);
        line += len + (line[len] == '\n');
    }
    char count[32], points[32];
    snprintf(count, sizeof count, "%d/%d", g->passed, g->checks);
    snprintf(points, sizeof points, "%d/%d", g->score, g->max_score);
    add(&table, "%-24s %9s %11s\n", "total", count, points);
    if (notes.len > 0)
        add(&table, "notes:\n%s", notes.data);
    if (changed != NULL && changed[0] != '\0') {
        const char *warning = "WARNING: these grading files differ from the handout, so this "
                              "score may not be the one the course's grader gives:\n";
        add(&table, "%s%s", warning, changed);
        add(&notes, "%s%s", warning, changed);
    }
    g->text = table.data;
    g->notes = notes.data != NULL ? notes.data : xstrdup("");
}

/* --- Writing text safely: JSON strings, XML text ---------------------------------------------- */

/* The length of the valid UTF-8 sequence at S (its code point in *CP), or 0 when the bytes
 * there are not one: a stray continuation byte, an overlong form, a surrogate, or beyond
 * U+10FFFF. */
static int utf8_sequence(const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0];
    int extra = c < 0x80             ? 0
                : (c & 0xe0) == 0xc0 ? 1
                : (c & 0xf0) == 0xe0 ? 2
                : (c & 0xf8) == 0xf0 ? 3
                                     : -1;
    if (extra < 0)
        return 0;
    unsigned value = extra == 0 ? c : c & (0x3fu >> extra);
    for (int i = 1; i <= extra; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        value = value << 6 | (s[i] & 0x3fu);
    }
    static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
    if (value < least[extra] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *cp = value;
    return extra + 1;
}

/* Write TEXT as a JSON string: quotes, backslashes and control bytes escaped, and any byte
 * that is not part of valid UTF-8 replaced with U+FFFD (a JSON file must be UTF-8; a test's
 * message may quote binary data). */
static void json_string(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', f);
    while (*s != '\0') {
        unsigned cp;
        int len = utf8_sequence(s, &cp);
        if (len == 0) {
            fputs("\\ufffd", f);
            s++;
        } else if (cp == '"' || cp == '\\') {
            fprintf(f, "\\%c", (int)cp);
            s++;
        } else if (cp == '\n') {
            fputs("\\n", f);
            s++;
        } else if (cp == '\t') {
            fputs("\\t", f);
            s++;
        } else if (cp < 0x20 || cp == 0x7f) {
            fprintf(f, "\\u%04x", cp);
            s++;
        } else {
            fwrite(s, 1, (size_t)len, f);
            s += len;
        }
    }
    fputc('"', f);
}

/* Write TEXT as XML character data (or, with ATTRIBUTE, as an attribute's value): markup
 * escaped, and what XML 1.0 cannot hold at all (control bytes, invalid UTF-8, U+FFFE and
 * U+FFFF) replaced with U+FFFD. In an attribute, newlines and tabs are written as character
 * references, or a reader would turn them into spaces. */
static void xml_text(FILE *f, const char *text, bool attribute)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s != '\0') {
        unsigned cp;
        int len = utf8_sequence(s, &cp);
        if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
            cp == 0xffff) {
            fputs("\xef\xbf\xbd", f);
            s += len > 0 ? len : 1;
            continue;
        }
        switch (cp) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs(attribute ? "&quot;" : "\"", f);
            break;
        case '\n':
            fputs(attribute ? "&#10;" : "\n", f);
            break;
        case '\t':
            fputs(attribute ? "&#9;" : "\t", f);
            break;
        case '\r':
            fputs("&#13;", f);
            break;
        default:
            fwrite(s, 1, (size_t)len, f);
        }
        s += len;
    }
}

/* The first line of TEXT, at most 200 bytes, in a static buffer. */
static const char *first_line(const char *text)
{
    static char line[256];
    size_t len = strcspn(text, "\n");
    snprintf(line, sizeof line, "%.*s", (int)(len > 200 ? 200 : len), text);
    return line;
}

static const char *output_of(const struct test *t)
{
    return t->output != NULL ? t->output : "";
}

/* G's text and, after it, each exercise's time limit ("01-event 95 s, ..."), so that every
 * results file says what the limits were. free() it. */
static char *text_with_limits(const struct grading *g)
{
    struct text t = {NULL, 0, 0};
    add(&t, "%stime limit of each exercise's tests:", g->text);
    bool any = false;
    for (size_t i = 0; i < g->n; i++) {
        if (!g->ex[i].run.present)
            continue;
        add(&t, "%s %s %ld s", any ? "," : "", g->ex[i].name, g->ex[i].run.time_limit);
        any = true;
    }
    add(&t, "%s\n", any ? "" : " none recorded");
    return t.data;
}

/* --- The writers ------------------------------------------------------------------------------ */

/* Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder
 * Specifications"): the score, its text, and one entry per graded test. */
static void write_gradescope(FILE *f, const struct grading *g)
{
    fprintf(f, "{\n  \"score\": %d,\n  \"max_score\": %d,\n  \"execution_time\": %.0f,\n", g->score,
            g->max_score, g->execution_time);
    fprintf(f, "  \"visibility\": \"%s\",\n  \"output_format\": \"text\",\n", g->visibility);
    fputs("  \"test_output_format\": \"text\",\n  \"output\": ", f);
    char *text = text_with_limits(g);
    json_string(f, text);
    free(text);
    fputs(",\n  \"extra_data\": {\"time_limit_s\": {", f);
    bool first = true;
    for (size_t i = 0; i < g->n; i++) {
        if (!g->ex[i].run.present)
            continue;
        fputs(first ? "" : ", ", f);
        json_string(f, g->ex[i].name);
        fprintf(f, ": %ld", g->ex[i].run.time_limit);
        first = false;
    }
    fputs("}},\n  \"tests\": [", f);
    first = true;
    for (size_t i = 0; i < g->n; i++) {
        const struct exercise *e = &g->ex[i];
        for (size_t j = 0; j < e->count; j++) {
            const struct test *t = &e->tests[j];
            char name[300];
            snprintf(name, sizeof name, "%s: %s", e->name, t->name);
            fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
            json_string(f, name);
            fprintf(f, ", \"number\": \"%zu.%zu\", \"score\": %d, \"max_score\": %d, ", i + 1,
                    j + 1, t->passed ? t->points : 0, t->points);
            fprintf(f, "\"status\": \"%s\", \"visibility\": \"%s\", \"tags\": [",
                    t->passed ? "passed" : "failed", g->visibility);
            json_string(f, e->name);
            fputs("], \"output_format\": \"text\", \"output\": ", f);
            json_string(f, output_of(t));
            fprintf(f, ", \"extra_data\": {\"exercise\": ");
            json_string(f, e->name);
            fprintf(f, ", \"time_limit_s\": %ld, \"timeout_s\": %d}}", e->run.time_limit,
                    t->timeout);
            first = false;
        }
    }
    fputs("\n  ]\n}\n", f);
}

/* PrairieLearn's external grader results (docs.prairielearn.com, "External grading"):
 * gradable, a score from 0 to 1, and tests with points and max_points. gradable stays true
 * for a submission that does not compile (its exercises score 0; it was graded). */
static void write_prairielearn(FILE *f, const struct grading *g)
{
    double score = g->max_score > 0 ? (double)g->score / g->max_score : 0;
    fprintf(f, "{\n  \"gradable\": true,\n  \"score\": %.6f,\n  \"message\": ", score);
    char summary[128];
    snprintf(summary, sizeof summary, "%d of %d points, %d of %d checks passed", g->score,
             g->max_score, g->passed, g->checks);
    json_string(f, summary);
    fputs(",\n  \"output\": ", f);
    char *text = text_with_limits(g);
    json_string(f, text);
    free(text);
    fputs(",\n  \"tests\": [", f);
    bool first = true;
    for (size_t i = 0; i < g->n; i++) {
        const struct exercise *e = &g->ex[i];
        char description[256];
        snprintf(description, sizeof description, "exercise %s (time limit of its tests: %ld s)",
                 e->name, e->run.time_limit);
        for (size_t j = 0; j < e->count; j++) {
            const struct test *t = &e->tests[j];
            char name[300];
            snprintf(name, sizeof name, "%s: %s", e->name, t->name);
            fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
            json_string(f, name);
            fputs(", \"description\": ", f);
            json_string(f, description);
            fprintf(f, ", \"points\": %d, \"max_points\": %d, \"message\": ",
                    t->passed ? t->points : 0, t->points);
            json_string(f, t->passed ? "passed" : first_line(output_of(t)));
            fputs(", \"output\": ", f);
            json_string(f, output_of(t));
            fputc('}', f);
            first = false;
        }
    }
    fputs("\n  ]\n}\n", f);
}

/* JUnit XML, as CI servers and CodeGrade read it: a testsuite per exercise, a testcase per
 * graded test (a <failure> when it failed, an <error> when it did not run). The points are
 * the testcase's weight attribute and the suite's properties. */
static void write_junit(FILE *f, const struct grading *g)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    int failures = 0, errors = 0;
    for (size_t i = 0; i < g->n; i++)
        for (size_t j = 0; j < g->ex[i].count; j++)
            if (!g->ex[i].tests[j].passed)
                g->ex[i].tests[j].ran ? failures++ : errors++;
    fprintf(f,
            "<testsuites name=\"exercises\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
            "time=\"%.3f\">\n",
            g->checks, failures, errors, g->execution_time);
    for (size_t i = 0; i < g->n; i++) {
        const struct exercise *e = &g->ex[i];
        int ex_failures = 0, ex_errors = 0;
        double time = 0;
        for (size_t j = 0; j < e->count; j++) {
            if (!e->tests[j].passed)
                e->tests[j].ran ? ex_failures++ : ex_errors++;
            if (e->tests[j].duration > 0)
                time += e->tests[j].duration;
        }
        fputs("  <testsuite name=\"", f);
        xml_text(f, e->name, true);
        fprintf(f, "\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" skipped=\"0\" time=\"%.3f\">\n",
                e->count, ex_failures, ex_errors, time);
        fprintf(f,
                "    <properties>\n      <property name=\"score\" value=\"%d\"/>\n"
                "      <property name=\"max_score\" value=\"%d\"/>\n"
                "      <property name=\"time_limit_s\" value=\"%ld\"/>\n    </properties>\n",
                e->score, e->max_score, e->run.time_limit);
        for (size_t j = 0; j < e->count; j++) {
            const struct test *t = &e->tests[j];
            fputs("    <testcase classname=\"", f);
            xml_text(f, e->name, true);
            fprintf(f, "\" name=\"%s\" weight=\"%d\" time=\"%.3f\"", t->name, t->points,
                    t->duration > 0 ? t->duration : 0);
            if (t->passed) {
                fputs("/>\n", f);
                continue;
            }
            const char *element = t->ran ? "failure" : "error";
            fprintf(f, ">\n      <%s message=\"", element);
            xml_text(f, first_line(output_of(t)), true);
            fprintf(f, "\" type=\"%s\">", t->ran ? "failed" : "not run");
            xml_text(f, output_of(t), false);
            fprintf(f, "</%s>\n    </testcase>\n", element);
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("  <system-out>", f);
    char *text = text_with_limits(g);
    xml_text(f, text, false);
    free(text);
    fputs("</system-out>\n</testsuites>\n", f);
}

/* TAP (version 13): one line per graded test, its points, and for a failure its output as
 * a YAML block (a JSON string is a valid YAML scalar). */
static void write_tap(FILE *f, const struct grading *g)
{
    fprintf(f, "TAP version 13\n1..%d\n", g->checks);
    int number = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct exercise *e = &g->ex[i];
        fprintf(f, "# %s: %d/%d points, time limit %ld s\n", e->name, e->score, e->max_score,
                e->run.time_limit);
        for (size_t j = 0; j < e->count; j++) {
            const struct test *t = &e->tests[j];
            fprintf(f, "%s %d - %s: %s (%d/%d points)\n", t->passed ? "ok" : "not ok", ++number,
                    e->name, t->name, t->passed ? t->points : 0, t->points);
            if (t->passed)
                continue;
            fputs("  ---\n  message: ", f);
            json_string(f, output_of(t));
            fprintf(f, "\n  points: %d\n  ...\n", t->points);
        }
    }
    fprintf(f, "# total: %d/%d points, %d/%d checks\n", g->score, g->max_score, g->passed,
            g->checks);
}

/* --- main ------------------------------------------------------------------------------------ */

struct output {
    const char *format; /* json, tap, junit, prairielearn */
    const char *path;   /* NULL: stdout */
};

static int write_output(const struct output *o, const struct grading *g)
{
    FILE *f = o->path != NULL ? fopen(o->path, "w") : stdout;
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, o->path, strerror(errno));
        return -1;
    }
    if (strcmp(o->format, "json") == 0)
        write_gradescope(f, g);
    else if (strcmp(o->format, "prairielearn") == 0)
        write_prairielearn(f, g);
    else if (strcmp(o->format, "junit") == 0)
        write_junit(f, g);
    else
        write_tap(f, g);
    if (o->path != NULL ? fclose(f) != 0 : fflush(f) != 0) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, o->path != NULL ? o->path : "stdout",
                strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    const char *expect = "pass", *title = NULL, *changed_list = NULL, *visibility = "visible";
    const char *notes_file = NULL;
    struct output outputs[16];
    size_t n_outputs = 0;
    double execution_time = -1;
    bool verbose = false, to_stdout = false;
    int opt, status = 0;

    while ((opt = getopt(argc, argv, "f:o:j:e:t:m:N:V:T:vh")) != -1) {
        switch (opt) {
        case 'f':
        case 'j':
            if (n_outputs == sizeof outputs / sizeof outputs[0]) {
                fprintf(stderr, "%s: too many outputs\n", PROGRAM);
                return 2;
            }
            if (opt == 'j') {
                outputs[n_outputs++] = (struct output){"json", optarg};
                break;
            }
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "tap") != 0 &&
                strcmp(optarg, "junit") != 0 && strcmp(optarg, "prairielearn") != 0) {
                fprintf(stderr, "%s: -f %s: expected json, tap, junit or prairielearn\n%s\n",
                        PROGRAM, optarg, USAGE);
                return 2;
            }
            outputs[n_outputs++] = (struct output){optarg, NULL};
            break;
        case 'o':
            if (n_outputs == 0 || outputs[n_outputs - 1].path != NULL) {
                fprintf(stderr, "%s: -o %s: give it after the -f FORMAT it is for\n%s\n", PROGRAM,
                        optarg, USAGE);
                return 2;
            }
            outputs[n_outputs - 1].path = optarg;
            break;
        case 'e':
            expect = optarg;
            break;
        case 't':
            title = optarg;
            break;
        case 'm':
            changed_list = optarg;
            break;
        case 'N':
            notes_file = optarg;
            break;
        case 'V':
            visibility = optarg;
            break;
        case 'T': {
            char *end;
            execution_time = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || execution_time < 0) {
                fprintf(stderr, "%s: -T %s: expected seconds\n%s\n", PROGRAM, optarg, USAGE);
                return 2;
            }
            break;
        }
        case 'v':
            verbose = true;
            break;
        case 'h':
            puts(USAGE);
            return 0;
        default:
            fprintf(stderr, "%s\n", USAGE);
            return 2;
        }
    }
    if (strcmp(expect, "pass") != 0 && strcmp(expect, "fail") != 0 && strcmp(expect, "any") != 0) {
        fprintf(stderr, "%s: -e %s: expected pass, fail or any\n%s\n", PROGRAM, expect, USAGE);
        return 2;
    }
    if (strcmp(visibility, "visible") != 0 && strcmp(visibility, "hidden") != 0 &&
        strcmp(visibility, "after_due_date") != 0 && strcmp(visibility, "after_published") != 0) {
        fprintf(stderr, "%s: -V %s: expected visible, hidden, after_due_date or after_published\n",
                PROGRAM, visibility);
        return 2;
    }
    if (optind >= argc || (argc - optind) % 2 != 0) {
        fprintf(stderr, "%s: expected pairs EXERCISE_DIR LOG_DIR\n%s\n", PROGRAM, USAGE);
        return 2;
    }
    for (size_t i = 0; i < n_outputs; i++)
        to_stdout = to_stdout || outputs[i].path == NULL;

    struct grading g;
    memset(&g, 0, sizeof g);
    g.visibility = visibility;
    g.n = (size_t)(argc - optind) / 2;
    g.ex = xrealloc(NULL, g.n * sizeof *g.ex);
    for (size_t i = 0; i < g.n; i++)
        if (load_exercise(&g.ex[i], argv[optind + 2 * i], argv[optind + 2 * i + 1]) != 0)
            status = 3;
    if (execution_time >= 0) {
        g.execution_time = execution_time;
    } else {
        for (size_t i = 0; i < g.n; i++)
            g.execution_time += g.ex[i].run.elapsed;
    }

    /* The table, and above it (with -v) what failed and why. */
    struct text details = {NULL, 0, 0};
    int passing_stub_tests = 0;
    char *changed = changed_list != NULL ? read_file(changed_list) : NULL;
    char *more_notes = notes_file != NULL ? read_file(notes_file) : NULL;
    score_all(&g, title, expect, verbose, changed, more_notes, &details, &passing_stub_tests);
    free(changed);
    free(more_notes);
    FILE *people = to_stdout ? stderr : stdout;
    if (details.len > 0)
        fputs(details.data, people);
    fputs(g.text, people);
    fflush(people);
    for (size_t i = 0; i < n_outputs; i++)
        if (write_output(&outputs[i], &g) != 0)
            status = 2;

    if (status == 0 && strcmp(expect, "pass") == 0 && g.passed != g.checks)
        status = 1;
    if (status == 0 && strcmp(expect, "fail") == 0 && passing_stub_tests > 0)
        status = 1;
    for (size_t i = 0; i < g.n; i++) {
        for (size_t j = 0; j < g.ex[i].count; j++)
            free(g.ex[i].tests[j].output);
        free(g.ex[i].tests);
        free(g.ex[i].build_log);
        free(g.ex[i].problem);
    }
    free(g.ex);
    free(g.text);
    free(g.notes);
    free(details.data);
    return status;
}
