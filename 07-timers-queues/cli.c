/* cli.c -- strict number parsing for the 01-threads programs (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int parse_seconds(const char *text, double *value)
{
    char *end;

    errno = 0;
    double parsed = strtod(text, &end);
    /* !(x >= 0) also rejects NaN, which every comparison answers with false. */
    if (end == text || *end != '\0' || errno == ERANGE || !(parsed >= 0) || parsed > 86400)
        return -1;
    *value = parsed;
    return 0;
}

void sleep_seconds(double seconds)
{
    struct timespec left;

    left.tv_sec = (time_t)seconds;
    left.tv_nsec = (long)((seconds - floor(seconds)) * 1e9);
    /* nanosleep writes the time still to sleep into its second argument when a
     * signal interrupts it: sleeping again for that remainder keeps the total. */
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
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
