/* json_check.c -- check a results file the grading wrote, for the grading self-test
 * (selftest.sh) and for the Gradescope autograder (run_autograder checks its own results
 * before handing them in).
 *
 * A strict JSON parser (RFC 8259: objects, arrays, strings with every escape, numbers,
 * true/false/null, nothing after the value; invalid UTF-8 is an error) into a small tree,
 * then the checks of one format:
 *
 *   -m gradescope (the default): Gradescope's results.json. Prints
 *         score S / max_score M / tests N, and "passed NAME" or "failed NAME" per test;
 *       valid when there are a top-level score and max_score, every test has a name, a
 *       score, a max_score and a status ("passed" with full points, "failed" with 0), the
 *       scores add up, and the optional fields have the types and values Gradescope takes
 *       (execution_time a number; output_format, test_output_format one of text, html,
 *       simple_format, md, ansi; visibility one of visible, hidden, after_due_date,
 *       after_published; tags an array of strings; extra_data an object).
 *   -m prairielearn: PrairieLearn's external grader results. Prints gradable G / score S /
 *       tests N and "passed NAME"/"failed NAME" per test; valid when gradable is a boolean,
 *       score a number from 0 to 1, each test has a name, points and max_points with
 *       0 <= points <= max_points, and the score is the tests' points over their max_points.
 *   -m classroom: GitHub Classroom's .github/classroom/autograding.json. Prints
 *       "test NAME|RUN|POINTS|TIMEOUT" per test; valid when each test has a string name and
 *       run, and numbers points and timeout (minutes, 1 to 360).
 *   -m any: only valid JSON.
 *
 * Exit status 0 when valid, 1 (with what is wrong on stderr) otherwise, 2 for bad usage.
 * Written in C so that neither the self-test nor the autograder needs Python.
 *
 * Usage: json_check [-m gradescope|prairielearn|classroom|any] FILE.json
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- The tree ---------------------------------------------------------------------------- */

enum kind { NUL, BOOLEAN, NUMBER, STRING, ARRAY, OBJECT };

struct value {
    enum kind kind;
    bool boolean;
    double number;
    char *string;        /* STRING: the decoded bytes (\u escapes as UTF-8) */
    char *key;           /* a member of an OBJECT: its key */
    struct value *child; /* ARRAY, OBJECT: the first element or member */
    struct value *next;  /* the next element or member */
};

struct parser {
    const char *p, *end;
    const char *error;
};

static bool fail(struct parser *ps, const char *why)
{
    if (ps->error == NULL)
        ps->error = why;
    return false;
}

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) != NULL && *ps->p != '\0')
        ps->p++;
}

static bool expect(struct parser *ps, char c)
{
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p != c)
        return fail(ps, "unexpected character");
    ps->p++;
    return true;
}

static struct value *new_value(enum kind kind)
{
    struct value *v = calloc(1, sizeof *v);
    if (v == NULL) {
        fprintf(stderr, "json_check: out of memory\n");
        exit(2);
    }
    v->kind = kind;
    return v;
}

/* Append the UTF-8 form of code point CP to OUT (at *N; OUT has room). */
static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xc0 | cp >> 6);
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xe0 | cp >> 12);
        out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (char)(0xf0 | cp >> 18);
        out[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static bool hex4(struct parser *ps, unsigned *cp)
{
    *cp = 0;
    for (int i = 0; i < 4; i++, ps->p++) {
        if (ps->p >= ps->end)
            return fail(ps, "bad \\u escape");
        char c = *ps->p;
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16)
            return fail(ps, "bad \\u escape");
        *cp = *cp << 4 | d;
    }
    return true;
}

/* A string, decoded into a new malloc'd buffer. Raw bytes must be valid UTF-8. */
static bool parse_string(struct parser *ps, char **out)
{
    if (!expect(ps, '"'))
        return false;
    /* Decoded text is never longer than its source. */
    char *text = malloc((size_t)(ps->end - ps->p) + 1);
    size_t n = 0;
    if (text == NULL)
        return fail(ps, "out of memory");
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            free(text);
            return fail(ps, "control character in a string");
        }
        if (c == '\\') {
            ps->p++;
            if (ps->p >= ps->end) {
                free(text);
                return fail(ps, "unfinished escape");
            }
            char e = *ps->p++;
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e == 'u') {
                unsigned cp, low;
                if (!hex4(ps, &cp)) {
                    free(text);
                    return false;
                }
                if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair */
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                        free(text);
                        return fail(ps, "lone surrogate in a \\u escape");
                    }
                    ps->p += 2;
                    if (!hex4(ps, &low) || low < 0xdc00 || low > 0xdfff) {
                        free(text);
                        return fail(ps, "bad surrogate pair");
                    }
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    free(text);
                    return fail(ps, "lone surrogate in a \\u escape");
                }
                put_utf8(text, &n, cp);
            } else if (e != '\0' && simple != NULL) {
                text[n++] = e == 'n'   ? '\n'
                            : e == 't' ? '\t'
                            : e == 'r' ? '\r'
                            : e == 'b' ? '\b'
                            : e == 'f' ? '\f'
                                       : e;
            } else {
                free(text);
                return fail(ps, "bad escape");
            }
            continue;
        }
        /* Raw bytes: one valid UTF-8 sequence (no overlong form, no surrogate). */
        int extra = c < 0x80             ? 0
                    : (c & 0xe0) == 0xc0 ? 1
                    : (c & 0xf0) == 0xe0 ? 2
                    : (c & 0xf8) == 0xf0 ? 3
                                         : -1;
        unsigned cp = extra <= 0 ? c : c & (0x3fu >> extra);
        if (extra < 0 || ps->end - ps->p <= extra) {
            free(text);
            return fail(ps, "invalid UTF-8");
        }
        for (int i = 1; i <= extra; i++) {
            unsigned char k = (unsigned char)ps->p[i];
            if ((k & 0xc0) != 0x80) {
                free(text);
                return fail(ps, "invalid UTF-8");
            }
            cp = cp << 6 | (k & 0x3fu);
        }
        static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            free(text);
            return fail(ps, "invalid UTF-8");
        }
        memcpy(text + n, ps->p, (size_t)extra + 1);
        n += (size_t)extra + 1;
        ps->p += extra + 1;
    }
    if (ps->p >= ps->end) {
        free(text);
        return fail(ps, "unfinished string");
    }
    ps->p++;
    text[n] = '\0';
    *out = text;
    return true;
}

static bool digits(struct parser *ps)
{
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return false;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    return true;
}

static bool parse_number(struct parser *ps, double *value)
{
    const char *start = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '0')
        ps->p++;
    else if (!digits(ps))
        return fail(ps, "bad number");
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!digits(ps))
            return fail(ps, "bad fraction");
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!digits(ps))
            return fail(ps, "bad exponent");
    }
    char text[64];
    snprintf(text, sizeof text, "%.*s", (int)(ps->p - start), start);
    *value = strtod(text, NULL);
    return true;
}

static bool parse_value(struct parser *ps, struct value **out, int depth)
{
    if (depth > 64)
        return fail(ps, "nested too deeply");
    skip_space(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end");
    char c = *ps->p;
    if (c == '{' || c == '[') {
        struct value *v = new_value(c == '{' ? OBJECT : ARRAY), **tail = &v->child;
        *out = v;
        ps->p++;
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == (c == '{' ? '}' : ']')) {
            ps->p++;
            return true;
        }
        for (;;) {
            char *key = NULL;
            if (c == '{' && (!(skip_space(ps), parse_string(ps, &key)) || !expect(ps, ':')))
                return false;
            if (!parse_value(ps, tail, depth + 1))
                return false;
            (*tail)->key = key;
            tail = &(*tail)->next;
            skip_space(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            return expect(ps, c == '{' ? '}' : ']');
        }
    }
    if (c == '"') {
        *out = new_value(STRING);
        return parse_string(ps, &(*out)->string);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(words[i]);
        if ((size_t)(ps->end - ps->p) >= len && memcmp(ps->p, words[i], len) == 0) {
            ps->p += len;
            *out = new_value(i < 2 ? BOOLEAN : NUL);
            (*out)->boolean = i == 0;
            return true;
        }
    }
    *out = new_value(NUMBER);
    return parse_number(ps, &(*out)->number);
}

/* The member KEY of object V, or NULL. */
static const struct value *member(const struct value *v, const char *key)
{
    if (v == NULL || v->kind != OBJECT)
        return NULL;
    for (const struct value *m = v->child; m != NULL; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

/* --- The checks -------------------------------------------------------------------------- */

static int problems;

static void problem(const char *format, const char *a, const char *b)
{
    fprintf(stderr, "json_check: ");
    fprintf(stderr, format, a, b);
    fputc('\n', stderr);
    problems++;
}

static bool is_kind(const struct value *v, enum kind kind)
{
    return v != NULL && v->kind == kind;
}

/* When V (member WHAT of WHERE) is there, it must be a string among the CHOICES. */
static void optional_choice(const struct value *where, const char *what, const char *const *choices)
{
    const struct value *v = member(where, what);
    if (v == NULL)
        return;
    for (; is_kind(v, STRING) && *choices != NULL; choices++)
        if (strcmp(v->string, *choices) == 0)
            return;
    problem("%s: %s is not one of the values Gradescope takes", what,
            is_kind(v, STRING) ? v->string : "(not a string)");
}

static const char *const visibilities[] = {"visible", "hidden", "after_due_date", "after_published",
                                           NULL};
static const char *const formats[] = {"text", "html", "simple_format", "md", "ansi", NULL};

static void check_gradescope(const struct value *root)
{
    const struct value *score = member(root, "score"), *max = member(root, "max_score");
    const struct value *tests = member(root, "tests");
    double sum = 0, sum_max = 0;
    int n = 0;
    if (!is_kind(score, NUMBER) || !is_kind(max, NUMBER))
        problem("%sno top-level score or max_score%s", "", "");
    if (member(root, "execution_time") != NULL && !is_kind(member(root, "execution_time"), NUMBER))
        problem("%sexecution_time is not a number%s", "", "");
    if (member(root, "output") != NULL && !is_kind(member(root, "output"), STRING))
        problem("%soutput is not a string%s", "", "");
    if (member(root, "extra_data") != NULL && !is_kind(member(root, "extra_data"), OBJECT))
        problem("%sextra_data is not an object%s", "", "");
    optional_choice(root, "visibility", visibilities);
    optional_choice(root, "stdout_visibility", visibilities);
    optional_choice(root, "output_format", formats);
    optional_choice(root, "test_output_format", formats);
    if (tests != NULL && !is_kind(tests, ARRAY))
        problem("%stests is not an array%s", "", "");
    for (const struct value *t = tests != NULL ? tests->child : NULL; t != NULL; t = t->next, n++) {
        const struct value *name = member(t, "name"), *s = member(t, "score");
        const struct value *m = member(t, "max_score"), *status = member(t, "status");
        const struct value *tags = member(t, "tags");
        char label[300];
        snprintf(label, sizeof label, "test %d (%s)", n + 1,
                 is_kind(name, STRING) ? name->string : "no name");
        if (!is_kind(name, STRING) || !is_kind(s, NUMBER) || !is_kind(m, NUMBER) ||
            !is_kind(status, STRING)) {
            problem("%s: lacks a name, score, max_score or status%s", label, "");
            continue;
        }
        bool passed = strcmp(status->string, "passed") == 0;
        if (!((passed && s->number == m->number) ||
              (strcmp(status->string, "failed") == 0 && s->number == 0)))
            problem("%s: status %s does not agree with its points", label, status->string);
        optional_choice(t, "visibility", visibilities);
        optional_choice(t, "output_format", formats);
        if (member(t, "output") != NULL && !is_kind(member(t, "output"), STRING))
            problem("%s: output is not a string%s", label, "");
        if (tags != NULL) {
            bool strings = is_kind(tags, ARRAY);
            for (const struct value *g = strings ? tags->child : NULL; g != NULL; g = g->next)
                strings = strings && is_kind(g, STRING);
            if (!strings)
                problem("%s: tags is not an array of strings%s", label, "");
        }
        sum += s->number;
        sum_max += m->number;
        printf("%s %s\n", passed ? "passed" : "failed", name->string);
    }
    printf("score %g\nmax_score %g\ntests %d\n", is_kind(score, NUMBER) ? score->number : -1,
           is_kind(max, NUMBER) ? max->number : -1, n);
    if (n > 0 && is_kind(score, NUMBER) && is_kind(max, NUMBER) &&
        (score->number != sum || max->number != sum_max))
        problem("%sthe top-level score and max_score are not the sum of the tests'%s", "", "");
}

static void check_prairielearn(const struct value *root)
{
    const struct value *gradable = member(root, "gradable"), *score = member(root, "score");
    const struct value *tests = member(root, "tests");
    double points = 0, max_points = 0;
    int n = 0;
    if (!is_kind(gradable, BOOLEAN))
        problem("%sgradable is missing or not true/false%s", "", "");
    if (!is_kind(score, NUMBER) || score->number < 0 || score->number > 1)
        problem("%sscore is missing or not a number from 0 to 1%s", "", "");
    if (member(root, "message") != NULL && !is_kind(member(root, "message"), STRING))
        problem("%smessage is not a string%s", "", "");
    if (member(root, "output") != NULL && !is_kind(member(root, "output"), STRING))
        problem("%soutput is not a string%s", "", "");
    if (tests != NULL && !is_kind(tests, ARRAY))
        problem("%stests is not an array%s", "", "");
    for (const struct value *t = tests != NULL ? tests->child : NULL; t != NULL; t = t->next, n++) {
        const struct value *name = member(t, "name"), *p = member(t, "points");
        const struct value *m = member(t, "max_points");
        if (!is_kind(name, STRING) || !is_kind(p, NUMBER) || !is_kind(m, NUMBER) || p->number < 0 ||
            p->number > m->number) {
            problem("%s: lacks a name, or 0 <= points <= max_points does not hold%s",
                    is_kind(name, STRING) ? name->string : "a test", "");
            continue;
        }
        points += p->number;
        max_points += m->number;
        printf("%s %s\n", p->number == m->number ? "passed" : "failed", name->string);
    }
    printf("gradable %s\nscore %g\ntests %d\n",
           is_kind(gradable, BOOLEAN) && gradable->boolean ? "true" : "false",
           is_kind(score, NUMBER) ? score->number : -1, n);
    double off = is_kind(score, NUMBER) && max_points > 0 ? score->number - points / max_points : 0;
    if (n > 0 && (off > 1e-5 || off < -1e-5))
        problem("%sthe score is not the tests' points over their max_points%s", "", "");
}

static void check_classroom(const struct value *root)
{
    const struct value *tests = member(root, "tests");
    if (!is_kind(tests, ARRAY) || tests->child == NULL)
        problem("%sno tests array, or it is empty%s", "", "");
    for (const struct value *t = tests != NULL ? tests->child : NULL; t != NULL; t = t->next) {
        const struct value *name = member(t, "name"), *run = member(t, "run");
        const struct value *points = member(t, "points"), *timeout = member(t, "timeout");
        if (!is_kind(name, STRING) || !is_kind(run, STRING) || !is_kind(points, NUMBER) ||
            !is_kind(timeout, NUMBER) || timeout->number < 1 || timeout->number > 360) {
            problem("%s: needs a string name and run, numbers points and timeout (1-360 "
                    "minutes)%s",
                    is_kind(name, STRING) ? name->string : "a test", "");
            continue;
        }
        printf("test %s|%s|%g|%g\n", name->string, run->string, points->number, timeout->number);
    }
}

int main(int argc, char *argv[])
{
    const char *mode = "gradescope";
    int opt;
    while ((opt = getopt(argc, argv, "m:")) != -1) {
        if (opt != 'm') {
            fprintf(stderr, "Usage: json_check [-m gradescope|prairielearn|classroom|any] "
                            "FILE.json\n");
            return 2;
        }
        mode = optarg;
    }
    if (optind != argc - 1 ||
        (strcmp(mode, "gradescope") != 0 && strcmp(mode, "prairielearn") != 0 &&
         strcmp(mode, "classroom") != 0 && strcmp(mode, "any") != 0)) {
        fprintf(stderr, "Usage: json_check [-m gradescope|prairielearn|classroom|any] FILE.json\n");
        return 2;
    }
    const char *path = argv[optind];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "json_check: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char text[1 << 24];
    size_t len = fread(text, 1, sizeof text, f);
    bool too_big = len == sizeof text;
    fclose(f);
    if (too_big) {
        fprintf(stderr, "json_check: %s: larger than %zu bytes\n", path, sizeof text);
        return 1;
    }

    /* 1. Strictly valid JSON, one value, nothing after it. */
    struct parser ps = {text, text + len, NULL};
    struct value *root = NULL;
    if (!parse_value(&ps, &root, 0) || (skip_space(&ps), ps.p != ps.end)) {
        fprintf(stderr, "json_check: %s: not valid JSON at byte %ld: %s\n", path,
                (long)(ps.p - text), ps.error != NULL ? ps.error : "text after the value");
        return 1;
    }
    /* 2. The format's own rules. (The tree is not freed: the process ends here.) */
    if (strcmp(mode, "any") != 0 && !is_kind(root, OBJECT)) {
        fprintf(stderr, "json_check: %s: not a JSON object\n", path);
        return 1;
    }
    if (strcmp(mode, "gradescope") == 0)
        check_gradescope(root);
    else if (strcmp(mode, "prairielearn") == 0)
        check_prairielearn(root);
    else if (strcmp(mode, "classroom") == 0)
        check_classroom(root);
    return problems == 0 ? 0 : 1;
}
