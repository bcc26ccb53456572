/* fuzz_cli.c -- libFuzzer harness for the command-line number parsers of cli.c:
 * parse_port (every network program's -p), parse_long and parse_seconds (every other
 * number on a command line).
 *
 * master: 02-tcp-echo/tests/fuzz_cli.c; edit there, then run `make sync` at the top of the
 * kit (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * The input is one command-line argument (an argument ends at its first NUL byte). Each
 * parser's answer is compared with a reference written here from its documented
 * contract, independently (digit by digit, without strtol or strtod), and any
 * difference aborts:
 * - parse_port(TEXT, MIN) accepts exactly the strings of 1 to 5 ASCII digits whose value
 *   is MIN..65535, and stores that value; anything else is refused and nothing is
 *   stored. Both MINs the programs use are checked: 0 (servers) and 1 (clients).
 * - parse_long(TEXT, MIN, MAX) accepts exactly an optional sign and decimal digits,
 *   nothing else (no blanks), whose value is in [MIN, MAX] (overflow refused), and
 *   stores that value; refused, it stores nothing. The ranges the programs use are
 *   checked, and the whole of a long.
 * - parse_seconds accepts exactly a decimal: digits with an optional fraction (".5",
 *   "5." and "5.25" too) and an optional exponent ("1e-3"), no sign, no blanks, no hex,
 *   no "inf" or "nan", whose value is at most 86400; it stores that value (to within
 *   rounding); refused, it stores nothing. Values within rounding of 86400 may go
 *   either way.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer) and, with tests/fuzz_replay.c instead
 * of libFuzzer, by `make test`, which replays tests/corpus/cli.
 */
#include "../cli.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "fuzz_cli: %s:%d: property broken: %s\n", __FILE__, __LINE__,          \
                    #condition);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* parse_port's contract: 1 to 5 digits, value in [MIN, 65535]. */
static int reference_port(const char *text, int min, int *port)
{
    size_t len = strlen(text);
    int value = 0;

    if (len < 1 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(text[i]))
            return -1;
        value = value * 10 + (text[i] - '0'); /* at most 99999: no overflow */
    }
    if (value < min || value > 65535)
        return -1;
    *port = value;
    return 0;
}

/* parse_long's contract: [+-]?[0-9]+ in [MIN, MAX]. Returns 0 and the value, or -1. */
static int reference_long(const char *text, long min, long max, long *value)
{
    int negative = 0;
    if (*text == '+' || *text == '-')
        negative = *text++ == '-';
    if (*text == '\0')
        return -1;
    /* The magnitude, in a type wider than any long's; past it, surely out of range. */
    unsigned long long magnitude = 0;
    int overflow = 0;
    for (; *text != '\0'; text++) {
        if (!is_digit(*text))
            return -1;
        if (magnitude > (ULLONG_MAX - 9) / 10)
            overflow = 1;
        else
            magnitude = magnitude * 10 + (unsigned long long)(*text - '0');
    }
    if (overflow || magnitude > (unsigned long long)LONG_MAX + (unsigned long long)negative)
        return -1;
    long v = negative
                 ? (magnitude == (unsigned long long)LONG_MAX + 1 ? LONG_MIN : -(long)magnitude)
                 : (long)magnitude;
    if (v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

/* parse_seconds' grammar: (D+ (. D*)? | . D+) ([eE] [+-]? D+)?. Returns 0 and the value
 * (long double, from the digits), or -1. */
static int reference_seconds(const char *text, long double *value)
{
    long double mantissa = 0;
    long exponent = 0; /* value = mantissa * 10^exponent */
    int digits = 0, significant = 0;
    for (; is_digit(*text); text++, digits++) {
        if (significant < 40) {
            mantissa = mantissa * 10 + (*text - '0');
            significant += mantissa > 0;
        } else {
            exponent++;
        }
    }
    if (*text == '.') {
        for (text++; is_digit(*text); text++, digits++) {
            if (significant < 40) {
                mantissa = mantissa * 10 + (*text - '0');
                significant += mantissa > 0;
                exponent--;
            }
        }
    }
    if (digits == 0)
        return -1;
    if (*text == 'e' || *text == 'E') {
        text++;
        int negative = 0;
        if (*text == '+' || *text == '-')
            negative = *text++ == '-';
        if (!is_digit(*text))
            return -1;
        long e = 0;
        for (; is_digit(*text); text++)
            if (e < 100000)
                e = e * 10 + (*text - '0');
        exponent += negative ? -e : e;
    }
    if (*text != '\0')
        return -1;
    *value = mantissa == 0 ? 0 : mantissa * powl(10, (long double)exponent);
    return 0;
}

static void check_port(const char *text, int min)
{
    int got = -7, expected = -7;
    int rc = parse_port(text, min, &got), reference = reference_port(text, min, &expected);
    CHECK(rc == reference);
    CHECK(got == expected); /* the value when accepted; untouched (-7) when refused */
}

static void check_long(const char *text, long min, long max)
{
    long got = 12345678, want = 12345678;
    int rc = parse_long(text, min, max, &got);
    int expected = reference_long(text, min, max, &want);
    CHECK(rc == expected);
    CHECK(got == want);
}

static void check_seconds(const char *text)
{
    double got = -42;
    long double want = 0;
    int rc = parse_seconds(text, &got);
    int grammar = reference_seconds(text, &want);
    if (grammar != 0)
        CHECK(rc == -1);
    else if (fabsl(want - 86400) > 1e-6L)
        CHECK(rc == (want <= 86400 ? 0 : -1));
    if (rc == 0) {
        CHECK(got >= 0 && got <= 86400);
        CHECK(fabsl((long double)got - want) <= 1e-12L * (want > 1 ? want : 1));
    } else {
        CHECK(got == -42);
    }
}

/* The ranges the programs give parse_long, and the whole of a long. */
static const long ranges[][2] = {
    {0, 1000000},         {1, 100},   {1, 256},   {0, 1000},
    {1, 10000},           {1, 65536}, {0, 65535}, {64, 1L << 40},
    {LONG_MIN, LONG_MAX}, {-5, 5},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an argument: up to its first NUL */

    check_port(text, 0);
    check_port(text, 1);
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        check_long(text, ranges[i][0], ranges[i][1]);
    check_seconds(text);
    free(text);
    return 0;
}
