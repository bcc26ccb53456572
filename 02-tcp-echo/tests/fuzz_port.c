/* fuzz_port.c -- libFuzzer harness for the command-line number parsers of cli.c:
 * parse_port (every program's -p), parse_long (which it builds on) and parse_seconds.
 *
 * The input is one command-line argument (an argument ends at its first NUL byte).
 * Each parser's answer is compared with a reference computed here, independently
 * (digit by digit, without strtol), and any difference aborts:
 * - parse_port(TEXT, MIN) accepts exactly the strings of 1 to 5 ASCII digits whose
 *   value is MIN..65535, and stores that value; anything else is rejected and nothing
 *   is stored. Both MINs the programs use are checked: 0 (servers) and 1 (clients).
 * - parse_long(TEXT, MIN, MAX) is strtol's grammar made strict: optional leading
 *   white space, an optional sign, one or more digits, nothing after, no overflow, and
 *   the value within [MIN, MAX]; then it stores the value, else nothing.
 * - parse_seconds accepts only values in [0, 86400] (never NaN), and never "".
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer) and, with tests/fuzz_replay.c instead
 * of libFuzzer, by `make test`, which replays tests/corpus/port.
 */
#include "../cli.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* C's isspace() in the "C" locale, which strtol uses here. */
static int reference_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The reference port parser: 1 to 5 digits, value in [MIN, 65535]. */
static int reference_port(const char *text, int min, int *port)
{
    size_t len = strlen(text);
    int value = 0;

    if (len < 1 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0'); /* at most 99999: no overflow */
    }
    if (value < min || value > 65535)
        return -1;
    *port = value;
    return 0;
}

/* The reference strict strtol: see the header. */
static int reference_long(const char *text, long min, long max, long *result)
{
    const char *p = text;
    int negative = 0;
    /* The magnitude, saturated just above what a long can hold. */
    unsigned long long magnitude = 0, limit = (unsigned long long)LONG_MAX + 1;

    while (reference_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) /* (above LIMIT / 10, one more digit is too many) */
        magnitude =
            magnitude > limit / 10 ? limit + 1 : magnitude * 10 + (unsigned long long)(*p - '0');
    if (*p != '\0')
        return -1;
    if (magnitude > limit || (!negative && magnitude == limit))
        return -1; /* overflow */
    long value = negative ? (magnitude == limit ? LONG_MIN : -(long)magnitude) : (long)magnitude;
    if (value < min || value > max)
        return -1;
    *result = value;
    return 0;
}

static void check_port(const char *text, int min)
{
    int got = -7, expected = -7;
    int rc = parse_port(text, min, &got), reference = reference_port(text, min, &expected);
    if (rc != reference || got != expected)
        abort();
}

static void check_long(const char *text, long min, long max)
{
    long got = -7, expected = -7;
    int rc = parse_long(text, min, max, &got),
        reference = reference_long(text, min, max, &expected);
    if (rc != reference || got != expected)
        abort();
}

static void check_seconds(const char *text)
{
    double value = -1;
    if (parse_seconds(text, &value) == 0 && (text[0] == '\0' || !(value >= 0 && value <= 86400)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an argument: up to its first NUL */

    check_port(text, 0);
    check_port(text, 1);
    /* the ranges the programs ask for (-b, -r) and the whole of a long */
    check_long(text, 1, 65536);
    check_long(text, 1, 100);
    check_long(text, 0, 65535);
    check_long(text, LONG_MIN, LONG_MAX);
    check_seconds(text);
    free(text);
    return 0;
}
