/* score.c -- turn the exercises' test logs into a score table and Gradescope's results.json.
 *
 * The points of each graded test are written next to the test, in its suite's table:
 *     GRADED(recv_line_eintr, 2, 10),          test name, points, timeout in seconds
 * Check writes what happened to each test in a TAP log (CK_TAP_LOG_FILE_NAME):
 *     ok 3 - check_line_io.c:recv_line_eintr:recv_line_eintr: Passed
 *     not ok 4 - check_line_io.c:recv_line_too_long:recv_line_too_long: <message>
 * This program joins the two. It needs nothing but a C compiler: no Python, no JSON
 * library (a student's machine may have neither).
 *
 * Usage: score [-j RESULTS.json] [-e pass|fail|any] [-t TITLE] [-m CHANGED] [-v]
 *              EXERCISE_DIR LOG_DIR [EXERCISE_DIR LOG_DIR ...]
 *   A LOG_DIR holds what grading/grade.sh left there for its exercise:
 *     suites            the suites' sources, one path (relative to EXERCISE_DIR) a line
 *     build-failed.log  only when the exercise did not compile: the compiler's output
 *     check_NAME.tap    one TAP log per suite
 *   -j FILE   also write Gradescope's results.json to FILE
 *   -e pass   exit 0 only when every graded test passed (the default)
 *   -e fail   exit 0 only when every graded test failed (proving that no test passes
 *             against an untouched stub)
 *   -e any    exit 0 whatever the score (autograders read the file, not the status)
 *   -t TITLE  a title above the table
 *   -m FILE   the list of grading files that differ from the handout (one a line), to
 *             repeat as a warning in the table and in results.json
 *   -v        above the table, list the failed tests with the first line of their message
 * Exit status: 0 or 1 as -e says; 2 for bad usage or a file it cannot write; 3 when the
 * logs and the tables disagree (a test without points: the grading itself is broken).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "score"
#define USAGE                                                                                      \
    "Usage: score [-j RESULTS.json] [-e pass|fail|any] [-t TITLE] [-m CHANGED] [-v] "              \
    "EXERCISE_DIR LOG_DIR ..."

struct test {
    char name[128];
    int points;
    bool ran;
    bool passed;
    char *output; /* Check's message, or why the test did not run */
};

struct exercise {
    char name[128];
    struct test *tests;
    size_t count;
    char *build_log; /* the compiler's output when it did not build, else NULL */
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

    snprintf(path, sizeof path, "%s/build-failed.log", logs);
    e->build_log = read_file(path);

    snprintf(path, sizeof path, "%s/suites", logs);
    char *suites = read_file(path);
    if (suites == NULL) {
        fprintf(stderr, "%s: %s: no list of suites (did grade.sh run?)\n", PROGRAM, path);
        return -1;
    }
    for (char *suite = strtok_r(suites, " \n", &save); suite != NULL;
         suite = strtok_r(NULL, " \n", &save)) {
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
        snprintf(path, sizeof path, "%s/%s.tap", logs, name != NULL ? name + 1 : suite);
        if (e->build_log == NULL && read_tap(e, path) != 0)
            status = -1;
    }
    free(suites);
    for (size_t i = 0; i < e->count; i++) {
        struct test *t = &e->tests[i];
        if (e->build_log != NULL)
            t->output = xstrdup("not run: the exercise did not compile (see the compiler's "
                                "messages in this exercise's first test)");
        else if (!t->ran)
            t->output = xstrdup("did not run: its suite crashed, was stopped, or was not built");
    }
    if (e->build_log != NULL && e->count > 0) {
        free(e->tests[0].output);
        size_t len = strlen(e->build_log);
        const char *tail = len > 6000 ? e->build_log + len - 6000 : e->build_log;
        e->tests[0].output = xrealloc(NULL, strlen(tail) + 64);
        sprintf(e->tests[0].output, "the exercise did not compile:\n%s", tail);
    }
    return status;
}

/* --- Output ----------------------------------------------------------------------------- */

/* A growing text (the table goes both to stdout and into results.json). */
struct text {
    char *data;
    size_t len, cap;
};

static void add(struct text *t, const char *format, ...)
{
    va_list args;
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

/* Write TEXT as a JSON string: quotes, backslashes and control bytes escaped, and any byte
 * that is not part of valid UTF-8 replaced with U+FFFD (a JSON file must be UTF-8; a test's
 * message may quote binary data). */
static void json_string(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', f);
    while (*s != '\0') {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            s++;
        } else if (c == '\n') {
            fputs("\\n", f);
            s++;
        } else if (c == '\t') {
            fputs("\\t", f);
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            s++;
        } else if (c < 0x80) {
            fputc(c, f);
            s++;
        } else {
            int extra = (c & 0xe0) == 0xc0   ? 1
                        : (c & 0xf0) == 0xe0 ? 2
                        : (c & 0xf8) == 0xf0 ? 3
                                             : -1;
            bool valid = extra > 0 && !(c == 0xc0 || c == 0xc1 || c > 0xf4);
            for (int i = 1; valid && i <= extra; i++)
                valid = (s[i] & 0xc0) == 0x80;
            if (valid) {
                fwrite(s, 1, (size_t)extra + 1, f);
                s += extra + 1;
            } else {
                fputs("\\ufffd", f);
                s++;
            }
        }
    }
    fputc('"', f);
}

static int write_json(const char *path, struct exercise *ex, size_t n, const struct text *table,
                      int score, int max_score)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, path, strerror(errno));
        return -1;
    }
    fprintf(f, "{\n  \"score\": %d,\n  \"max_score\": %d,\n  \"visibility\": \"visible\",\n", score,
            max_score);
    fputs("  \"output\": ", f);
    json_string(f, table->data);
    fputs(",\n  \"tests\": [", f);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < ex[i].count; j++) {
            struct test *t = &ex[i].tests[j];
            char name[300];
            snprintf(name, sizeof name, "%s: %s", ex[i].name, t->name);
            fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
            json_string(f, name);
            fprintf(f, ", \"score\": %d, \"max_score\": %d, \"status\": \"%s\", \"output\": ",
                    t->passed ? t->points : 0, t->points, t->passed ? "passed" : "failed");
            json_string(f, t->output != NULL ? t->output : "");
            fputc('}', f);
            first = false;
        }
    }
    fputs("\n  ]\n}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    const char *json = NULL, *expect = "pass", *title = NULL, *changed_list = NULL;
    bool verbose = false;
    int opt, status = 0;

    while ((opt = getopt(argc, argv, "j:e:t:m:vh")) != -1) {
        switch (opt) {
        case 'j':
            json = optarg;
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
    if (optind >= argc || (argc - optind) % 2 != 0) {
        fprintf(stderr, "%s: expected pairs EXERCISE_DIR LOG_DIR\n%s\n", PROGRAM, USAGE);
        return 2;
    }

    size_t n = (size_t)(argc - optind) / 2;
    struct exercise *ex = xrealloc(NULL, n * sizeof *ex);
    for (size_t i = 0; i < n; i++)
        if (load_exercise(&ex[i], argv[optind + 2 * i], argv[optind + 2 * i + 1]) != 0)
            status = 3;

    /* The table, and above it (with -v) what failed and why. */
    struct text table = {xrealloc(NULL, 256), 0, 256}, details = {xrealloc(NULL, 256), 0, 256};
    int checks = 0, passed = 0, score = 0, max_score = 0, passing_stub_tests = 0;
    table.data[0] = details.data[0] = '\0';
    if (title != NULL)
        add(&table, "%s\n", title);
    add(&table, "%-24s %9s %11s\n", "exercise", "checks", "points");
    for (size_t i = 0; i < n; i++) {
        int ex_passed = 0, ex_score = 0, ex_max = 0;
        for (size_t j = 0; j < ex[i].count; j++) {
            struct test *t = &ex[i].tests[j];
            ex_max += t->points;
            if (t->passed) {
                ex_passed++;
                ex_score += t->points;
            }
            if (!t->passed && verbose) {
                const char *out = t->output != NULL ? t->output : "";
                add(&details, "  FAILED %s: %s (%d point%s): %.*s\n", ex[i].name, t->name,
                    t->points, t->points == 1 ? "" : "s", (int)strcspn(out, "\n"), out);
            }
            if (t->passed && strcmp(expect, "fail") == 0) {
                add(&details, "  PASSES AGAINST THE STUB: %s: %s\n", ex[i].name, t->name);
                passing_stub_tests++;
            }
        }
        char count[32], points[32];
        snprintf(count, sizeof count, "%d/%zu", ex_passed, ex[i].count);
        snprintf(points, sizeof points, "%d/%d", ex_score, ex_max);
        add(&table, "%-24s %9s %11s%s\n", ex[i].name, count, points,
            ex[i].build_log != NULL ? "   (did not compile)" : "");
        checks += (int)ex[i].count;
        passed += ex_passed;
        score += ex_score;
        max_score += ex_max;
    }
    char count[32], points[32];
    snprintf(count, sizeof count, "%d/%d", passed, checks);
    snprintf(points, sizeof points, "%d/%d", score, max_score);
    add(&table, "%-24s %9s %11s\n", "total", count, points);

    char *changed = changed_list != NULL ? read_file(changed_list) : NULL;
    if (changed != NULL && changed[0] != '\0')
        add(&table,
            "WARNING: these grading files differ from the handout, so this score may not be the "
            "one the course's grader gives:\n%s",
            changed);
    free(changed);

    if (details.len > 0)
        printf("%s", details.data);
    printf("%s", table.data);
    fflush(stdout);
    if (json != NULL && write_json(json, ex, n, &table, score, max_score) != 0)
        status = 2;

    if (status == 0 && strcmp(expect, "pass") == 0 && passed != checks)
        status = 1;
    if (status == 0 && strcmp(expect, "fail") == 0 && passing_stub_tests > 0)
        status = 1;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < ex[i].count; j++)
            free(ex[i].tests[j].output);
        free(ex[i].tests);
        free(ex[i].build_log);
    }
    free(ex);
    free(table.data);
    free(details.data);
    return status;
}
