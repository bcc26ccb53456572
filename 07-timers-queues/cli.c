/* cli.c -- strict number parsing for the 01-threads programs (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int parse_long(const char *text, long min, long max, long *value)
{
    char *end;

    /* strtol skips leading blanks (" 5", "\t5", "\n5"): a number starts with a sign or
     * a digit. (fuzz_cli found that the blanks got through.) */
    if (!is_digit(text[0]) && text[0] != '+' && text[0] != '-')
        return -1;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    /* strtol stops at the first bad character: insist that it consumed everything,
     * that there was something, and no overflow. */
    if (end == text || *end != '\0' || errno == ERANGE || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

/* TEXT is a decimal as parse_seconds takes it: digits with an optional fraction and
 * exponent ("2", "0.05", ".5", "5.", "1e-3"). strtod would take more: blanks, a sign,
 * hexadecimal ("0x10" is 16) and "inf" or "nan" (fuzz_cli found them getting through). */
static int is_decimal(const char *text)
{
    size_t digits = 0;
    for (; is_digit(*text); text++)
        digits++;
    if (*text == '.')
        for (text++; is_digit(*text); text++)
            digits++;
    if (digits == 0)
        return 0;
    if (*text == 'e' || *text == 'E') {
        text++;
        if (*text == '+' || *text == '-')
            text++;
        if (!is_digit(*text))
            return 0;
        while (is_digit(*text))
            text++;
    }
    return *text == '\0';
}

int parse_seconds(const char *text, double *value)
{
    if (!is_decimal(text))
        return -1;
    /* A decimal cannot be negative or NaN. Too big, strtod gives HUGE_VAL, refused
     * below; too small ("1e-400"), a value next to 0, which is fine: 0 s is allowed. */
    double parsed = strtod(text, NULL);
    if (parsed > 86400)
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
