/* fuzz_port.c -- libFuzzer harness for parse_port() (cli.c), the command-line port parser
 * every program of this folder uses for -p.
 *
 * The property, checked against an independent reference written here (no strtol): a port
 * is 1 to 5 ASCII digits and nothing else, with a value from MIN (0 for servers, 1 for
 * clients) to 65535. parse_port must accept exactly those strings, store exactly their
 * value, and reject everything else ("", "abc", " 80", "+80", "-1", "70000", "000080")
 * without touching *port. The fuzzer's bytes are the text (up to the first NUL, as argv
 * would carry it); the same text is checked with MIN 0 and with MIN 1.
 *
 * Run by `make fuzz` (clang, libFuzzer); `make test` replays tests/corpus/port.
 */
#include "../cli.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: -1 unless TEXT is 1..5 digits; else their value. */
static long reference_port(const char *text)
{
    size_t len = strlen(text);
    long value = 0;
    if (len < 1 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* argv strings are NUL-terminated and cannot hold a NUL: cut at the first one. */
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';

    long expected = reference_port(text);
    for (long min = 0; min <= 1; min++) {
        long port = -12345; /* must stay as it is when the text is rejected */
        int rc = parse_port(text, min, &port);
        bool valid = expected >= min && expected <= 65535;
        if (valid && (rc != 0 || port != expected))
            abort(); /* a good port refused, or read as another number */
        if (!valid && (rc != -1 || port != -12345))
            abort(); /* a bad one accepted, or *port written anyway */
    }
    free(text);
    return 0;
}
