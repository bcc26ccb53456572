/* fuzz_cli.c -- a libFuzzer harness for the command-line number parsers (cli.h):
 * parse_long and parse_seconds, each compared with a reference written here from their
 * documented contracts, without strtol or strtod.
 *
 * `make fuzz` builds it with clang's libFuzzer and runs it; `make test` links it with
 * fuzz_replay.c instead and replays tests/corpus/cli/.
 *
 * The first byte of the input chooses the parser (and, for parse_long, the range the
 * programs use); the rest, up to a NUL, is the command-line argument. Properties:
 * - parse_long accepts exactly an optional sign and decimal digits, nothing else (no
 *   blanks), whose value is in [MIN, MAX] (overflow refused), and stores that value;
 *   refused, it stores nothing;
 * - parse_seconds accepts exactly a decimal: digits with an optional fraction (".5",
 *   "5." and "5.25" too) and an optional exponent ("1e-3"), no sign, no blanks, no hex,
 *   no "inf" or "nan", whose value is at most 86400; it stores that value (to within
 *   rounding); refused, it stores nothing. Values within rounding of 86400 may go
 *   either way.
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
    if (overflow || magnitude > (unsigned long long)LONG_MAX + negative)
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

/* The ranges the programs give parse_long. */
static const long ranges[][2] = {
    {0, 1000000}, {1, 100}, {1, 256}, {0, 1000}, {1, 10000}, {LONG_MIN, LONG_MAX}, {-5, 5},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    size_t nranges = sizeof ranges / sizeof ranges[0];
    size_t choice = data[0] % (nranges + 1);
    if (choice < nranges) {
        long min = ranges[choice][0], max = ranges[choice][1];
        long got = 12345678, want = 0;
        int rc = parse_long(text, min, max, &got);
        int expected = reference_long(text, min, max, &want);
        CHECK(rc == expected);
        CHECK(rc == 0 ? got == want : got == 12345678);
    } else {
        double got = -42;
        long double want = 0;
        int rc = parse_seconds(text, &got);
        int grammar = reference_seconds(text, &want);
        if (grammar != 0) {
            CHECK(rc == -1);
        } else if (fabsl(want - 86400) > 1e-6L) {
            CHECK(rc == (want <= 86400 ? 0 : -1));
        }
        if (rc == 0) {
            CHECK(got >= 0 && got <= 86400);
            CHECK(fabsl((long double)got - want) <= 1e-12L * (want > 1 ? want : 1));
        } else {
            CHECK(got == -42);
        }
    }
    free(text);
    return 0;
}
