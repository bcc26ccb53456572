/* cli.c -- strict number parsing for the 05-select-server programs (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int parse_long(const char *text, long min, long max, long *value)
{
    char *end;

    errno = 0;
    long parsed = strtol(text, &end, 10);
    /* strtol accepts leading spaces and stops at the first bad character: insist
     * that it consumed everything, that there was something, and no overflow. */
    if (end == text || *end != '\0' || errno == ERANGE || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

int parse_port(const char *text, long min, long *port)
{
    /* strtol would also take " 80", "+80" and "-0": a port is digits and nothing else,
     * and at most five of them ("000080" is not a port a user means; the fuzzer found
     * that strtol took it). */
    size_t digits = 0;
    for (const char *p = text; *p != '\0'; p++, digits++)
        if (*p < '0' || *p > '9' || digits == 5)
            return -1;
    return parse_long(text, min, 65535, port);
}

int usage_error(const char *program, const char *usage, const char *format, ...)
{
    if (format != NULL) {
        va_list args;
        va_start(args, format);
        fprintf(stderr, "%s: ", program);
        vfprintf(stderr, format, args);
        fputc('\n', stderr);
        va_end(args);
    }
    fprintf(stderr, "%s\n", usage);
    return 2;
}
