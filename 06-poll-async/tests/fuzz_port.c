/* fuzz_port.c -- libFuzzer harness for the command-line port parser (cli.c).
 *
 * Every program of the folder takes -p PORT through parse_port(): digits only, no
 * sign, no spaces, MIN..65535 (servers MIN 0, clients MIN 1). The input (up to its
 * first NUL) is the argument; the harness compares parse_port with a reference
 * written here from that rule (no strtol), for both minimums, and checks that
 * parse_long agrees with it on every accepted port. abort() on any difference.
 */
#include "../cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The rule, spelled out: -1, or 0 with the value in *PORT. */
static int reference_port(const char *text, long min, long *port)
{
    long value = 0;
    if (*text == '\0')
        return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        value = value * 10 + (*p - '0');
        if (value > 65535)
            return -1; /* stays > 65535 whatever digits follow (leading zeros came first) */
    }
    if (value < min)
        return -1;
    *port = value;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    check(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    for (long min = 0; min <= 1; min++) {
        long got = -7, want = -7;
        int rc = parse_port(text, min, &got), expected = reference_port(text, min, &want);
        check(rc == expected);
        if (rc == 0) {
            check(got == want);
            long again = -7;
            check(parse_long(text, min, 65535, &again) == 0 && again == want);
        } else {
            check(got == -7); /* nothing stored on failure */
        }
    }
    free(text);
    return 0;
}
