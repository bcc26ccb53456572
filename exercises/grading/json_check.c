/* json_check.c -- check a Gradescope results.json, for the grading self-test (selftest.sh).
 *
 * A strict JSON parser (RFC 8259: objects, arrays, strings with every escape, numbers,
 * true/false/null, nothing after the value) that also reads what Gradescope reads: the
 * top-level "score" and "max_score", and for each entry of "tests" its "name", "score",
 * "max_score" and "status". It prints
 *     score S
 *     max_score M
 *     tests N
 *     passed NAME            one line per test that passed
 *     failed NAME            one line per test that failed
 * and exits 0 when the file is valid JSON, every test has the four fields, the status is
 * "passed" or "failed" and agrees with the points, and the scores add up. Otherwise it says
 * what is wrong and exits 1. Written in C so that the self-test needs no Python.
 *
 * Usage: json_check RESULTS.json
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *p, *end;
    const char *error;
};

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) != NULL)
        ps->p++;
}

static bool fail(struct parser *ps, const char *why)
{
    if (ps->error == NULL)
        ps->error = why;
    return false;
}

static bool expect(struct parser *ps, char c)
{
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p != c)
        return fail(ps, "unexpected character");
    ps->p++;
    return true;
}

/* A string; its bytes (escapes decoded, \u kept as '?') into OUT when OUT is not NULL. */
static bool parse_string(struct parser *ps, char *out, size_t size)
{
    size_t n = 0;
    if (!expect(ps, '"'))
        return false;
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if ((unsigned char)c < 0x20)
            return fail(ps, "control character in a string");
        if (c == '\\') {
            if (ps->p >= ps->end)
                return fail(ps, "unfinished escape");
            char e = *ps->p++;
            if (e == 'u') {
                for (int i = 0; i < 4; i++, ps->p++)
                    if (ps->p >= ps->end || strchr("0123456789abcdefABCDEF", *ps->p) == NULL)
                        return fail(ps, "bad \\u escape");
                c = '?';
            } else if (strchr("\"\\/bfnrt", e) != NULL) {
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            } else {
                return fail(ps, "bad escape");
            }
        }
        if (out != NULL && n + 1 < size)
            out[n++] = c;
    }
    if (out != NULL)
        out[n] = '\0';
    if (ps->p >= ps->end)
        return fail(ps, "unfinished string");
    ps->p++;
    return true;
}

static bool parse_number(struct parser *ps, double *value)
{
    const char *start = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail(ps, "bad number");
    if (*ps->p == '0')
        ps->p++;
    else
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "bad fraction");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "bad exponent");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (value != NULL) {
        char text[64];
        snprintf(text, sizeof text, "%.*s", (int)(ps->p - start), start);
        *value = strtod(text, NULL);
    }
    return true;
}

/* What the caller wants to know about the value being parsed (all optional). */
struct found {
    double number;
    bool is_number;
    char text[256];
    bool is_string;
};

static bool parse_value(struct parser *ps, struct found *found, int depth);

/* An object. For each member, ON_MEMBER (when not NULL) is told its key and value. */
static bool parse_object(struct parser *ps, int depth,
                         void (*on_member)(void *, const char *, const struct found *), void *ctx)
{
    if (!expect(ps, '{'))
        return false;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return true;
    }
    for (;;) {
        char key[64];
        struct found value;
        skip_space(ps);
        memset(&value, 0, sizeof value);
        if (!parse_string(ps, key, sizeof key) || !expect(ps, ':') ||
            !parse_value(ps, &value, depth + 1))
            return false;
        if (on_member != NULL)
            on_member(ctx, key, &value);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        return expect(ps, '}');
    }
}

static bool parse_value(struct parser *ps, struct found *found, int depth)
{
    if (depth > 64)
        return fail(ps, "nested too deeply");
    skip_space(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end");
    switch (*ps->p) {
    case '{':
        return parse_object(ps, depth, NULL, NULL);
    case '[':
        ps->p++;
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return true;
        }
        for (;;) {
            if (!parse_value(ps, NULL, depth + 1))
                return false;
            skip_space(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            return expect(ps, ']');
        }
    case '"':
        if (found != NULL)
            found->is_string = true;
        return parse_string(ps, found != NULL ? found->text : NULL, sizeof found->text);
    default:
        for (const char *const *word = (const char *const[]){"true", "false", "null", NULL}; *word;
             word++) {
            size_t len = strlen(*word);
            if ((size_t)(ps->end - ps->p) >= len && memcmp(ps->p, *word, len) == 0) {
                ps->p += len;
                return true;
            }
        }
        if (found != NULL)
            found->is_number = true;
        return parse_number(ps, found != NULL ? &found->number : NULL);
    }
}

/* --- What Gradescope reads ----------------------------------------------------------------- */

struct test_entry {
    char name[256], status[16];
    double score, max_score;
    int fields; /* bit mask: name 1, score 2, max_score 4, status 8 */
};

static void on_test_member(void *ctx, const char *key, const struct found *v)
{
    struct test_entry *t = ctx;
    if (strcmp(key, "name") == 0 && v->is_string) {
        snprintf(t->name, sizeof t->name, "%s", v->text);
        t->fields |= 1;
    } else if (strcmp(key, "score") == 0 && v->is_number) {
        t->score = v->number;
        t->fields |= 2;
    } else if (strcmp(key, "max_score") == 0 && v->is_number) {
        t->max_score = v->number;
        t->fields |= 4;
    } else if (strcmp(key, "status") == 0 && v->is_string) {
        snprintf(t->status, sizeof t->status, "%s", v->text);
        t->fields |= 8;
    }
}

int main(int argc, char *argv[])
{
    if (argc != 2) {
        fprintf(stderr, "Usage: json_check RESULTS.json\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "json_check: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    static char text[1 << 22];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);

    /* 1. Strictly valid JSON, one value, nothing after it. */
    struct parser ps = {text, text + len, NULL};
    if (!parse_value(&ps, NULL, 0) || (skip_space(&ps), ps.p != ps.end)) {
        fprintf(stderr, "json_check: %s: not valid JSON at byte %ld: %s\n", argv[1],
                (long)(ps.p - text), ps.error != NULL ? ps.error : "text after the value");
        return 1;
    }

    /* 2. The fields, by walking the top-level object by hand. */
    double score = -1, max_score = -1, sum = 0, sum_max = 0;
    int tests = 0, problems = 0;
    ps = (struct parser){text, text + len, NULL};
    expect(&ps, '{');
    for (;;) {
        char key[64];
        skip_space(&ps);
        if (*ps.p == '}')
            break;
        parse_string(&ps, key, sizeof key);
        expect(&ps, ':');
        skip_space(&ps);
        if (strcmp(key, "tests") == 0 && *ps.p == '[') {
            ps.p++;
            for (skip_space(&ps); *ps.p != ']'; skip_space(&ps)) {
                struct test_entry t;
                memset(&t, 0, sizeof t);
                parse_object(&ps, 1, on_test_member, &t);
                tests++;
                if (t.fields != 15) {
                    fprintf(stderr, "json_check: test %d lacks name, score, max_score or status\n",
                            tests);
                    problems++;
                } else if (!((strcmp(t.status, "passed") == 0 && t.score == t.max_score) ||
                             (strcmp(t.status, "failed") == 0 && t.score == 0))) {
                    fprintf(stderr, "json_check: %s: status %s with %g of %g points\n", t.name,
                            t.status, t.score, t.max_score);
                    problems++;
                }
                sum += t.score;
                sum_max += t.max_score;
                printf("%s %s\n", t.status, t.name);
                skip_space(&ps);
                if (*ps.p == ',')
                    ps.p++;
            }
            ps.p++;
        } else {
            struct found v;
            memset(&v, 0, sizeof v);
            parse_value(&ps, &v, 1);
            if (strcmp(key, "score") == 0 && v.is_number)
                score = v.number;
            if (strcmp(key, "max_score") == 0 && v.is_number)
                max_score = v.number;
        }
        skip_space(&ps);
        if (*ps.p == ',')
            ps.p++;
    }
    printf("score %g\nmax_score %g\ntests %d\n", score, max_score, tests);
    if (score < 0 || max_score < 0) {
        fprintf(stderr, "json_check: no top-level score or max_score\n");
        problems++;
    }
    if (tests > 0 && (score != sum || max_score != sum_max)) {
        fprintf(stderr, "json_check: score %g/%g, but the tests add up to %g/%g\n", score,
                max_score, sum, sum_max);
        problems++;
    }
    return problems == 0 ? 0 : 1;
}
