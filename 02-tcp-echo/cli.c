/* cli.c -- strict number parsing and table-driven options (see cli.h).
 *
 * master: 01-threads/cli.c; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int parse_long(const char *text, long min, long max, long *value)
{
    char *end;

    /* strtol skips leading blanks (" 5", "\t5", "\n5"): a number starts with a sign or
     * a digit. (The fuzzer found that the blanks got through.) */
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
 * hexadecimal ("0x10" is 16) and "inf" or "nan" (the fuzzer found them getting through). */
static bool is_decimal(const char *text)
{
    size_t digits = 0;
    for (; is_digit(*text); text++)
        digits++;
    if (*text == '.')
        for (text++; is_digit(*text); text++)
            digits++;
    if (digits == 0)
        return false;
    if (*text == 'e' || *text == 'E') {
        text++;
        if (*text == '+' || *text == '-')
            text++;
        if (!is_digit(*text))
            return false;
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

int parse_port(const char *text, int min, int *port)
{
    long value;

    /* parse_long would take "+80" and "-0": a port is digits and nothing else, and at
     * most 5 of them (the fuzzer found that "000080" got through strtol). */
    size_t digits = 0;
    for (const char *p = text; *p != '\0'; p++, digits++)
        if (!is_digit(*p) || digits == 5)
            return -1;
    if (parse_long(text, min, 65535, &value) != 0)
        return -1;
    *port = (int)value;
    return 0;
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

/* --- The options, in a table --------------------------------------------------------- */

/* Store ARG as option O asks. Returns 0, or 2 after printing the bad-usage message. */
static int store_value(const struct cli_option *o, const char *arg, const char *program,
                       const char *usage)
{
    char expected[160];
    long number;
    double seconds;
    int port;

    switch (o->kind) {
    case CLI_FLAG:
        *(bool *)o->value = true;
        return 0;
    case CLI_TEXT:
        *(const char **)o->value = arg;
        return 0;
    case CLI_INT:
    case CLI_LONG:
        if (parse_long(arg, (long)o->min, (long)o->max, &number) == 0) {
            if (o->kind == CLI_INT)
                *(int *)o->value = (int)number;
            else
                *(long *)o->value = number;
            return 0;
        }
        snprintf(expected, sizeof expected, "%.0f to %.0f", o->min, o->max);
        break;
    case CLI_SECONDS: /* MAX 0: as much as parse_seconds takes (a day) */
        if (parse_seconds(arg, &seconds) == 0 && seconds >= o->min &&
            (o->max <= 0 || seconds <= o->max)) {
            *(double *)o->value = seconds;
            return 0;
        }
        if (o->max <= 0 && o->min <= 0)
            snprintf(expected, sizeof expected, "seconds");
        else
            snprintf(expected, sizeof expected, "%g to %g seconds", o->min,
                     o->max > 0 ? o->max : 86400);
        break;
    case CLI_PORT:
        if (parse_port(arg, (int)o->min, &port) == 0) {
            *(int *)o->value = port;
            return 0;
        }
        snprintf(expected, sizeof expected, "%d to 65535", (int)o->min);
        break;
    case CLI_CHOICE:
        expected[0] = '\0';
        for (int i = 0; o->choices[i] != NULL; i++) {
            if (strcmp(arg, o->choices[i]) == 0) {
                *(int *)o->value = i;
                return 0;
            }
            size_t used = strlen(expected);
            snprintf(expected + used, sizeof expected - used, "%s%s", i > 0 ? " or " : "",
                     o->choices[i]);
        }
        break;
    }
    return usage_error(program, usage, "bad %s '%s': expected %s", o->what, arg,
                       o->expected != NULL ? o->expected : expected);
}

int parse_options(int argc, char *argv[], const char *program, const char *usage,
                  const struct cli_option *options, bool takes_arguments)
{
    /* getopt_long's two descriptions of the same options: "n:qh" and {"count", ...}.
     * An option with no letter gets a number above any character as its name. */
    struct option long_options[CLI_MAX_OPTIONS + 2];
    char short_options[2 * CLI_MAX_OPTIONS + 2];
    size_t used = 0, n = 0;
    int opt;

    for (; options[n].name != NULL; n++) {
        if (n == CLI_MAX_OPTIONS) { /* a programming error, said at once */
            fprintf(stderr, "%s: more than %d options: raise CLI_MAX_OPTIONS\n", program,
                    CLI_MAX_OPTIONS);
            return 2;
        }
        int has_argument = options[n].kind == CLI_FLAG ? no_argument : required_argument;
        long_options[n] =
            (struct option){options[n].name, has_argument, NULL,
                            options[n].letter != 0 ? options[n].letter : 256 + (int)n};
        if (options[n].letter != 0) {
            short_options[used++] = (char)options[n].letter;
            if (has_argument == required_argument)
                short_options[used++] = ':';
        }
    }
    long_options[n] = (struct option){"help", no_argument, NULL, 'h'};
    long_options[n + 1] = (struct option){0};
    short_options[used++] = 'h';
    short_options[used] = '\0';

    while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        if (opt == 'h') {
            puts(usage);
            return 0;
        }
        size_t i = 0;
        while (i < n && long_options[i].val != opt)
            i++;
        if (i == n) /* '?': getopt already named the problem */
            return usage_error(program, usage, NULL);
        int status = store_value(&options[i], optarg, program, usage);
        if (status != 0)
            return status;
    }
    if (!takes_arguments && optind < argc)
        return usage_error(program, usage, "unexpected argument '%s'", argv[optind]);
    return -1;
}

int parse_net_options(int argc, char *argv[], const char *program, const char *usage,
                      const char *common, const struct cli_option *options, bool takes_arguments,
                      struct net_options *net)
{
    const struct cli_option shared[] = {
        {'H', "host", CLI_TEXT, &net->host, "host", 0, 0, NULL, NULL},
        {'p', "port", CLI_PORT, &net->port, "port", net->min_port, 65535, NULL, NULL},
        {'q', "quiet", CLI_FLAG, &net->quiet, "quiet", 0, 0, NULL, NULL},
    };
    struct cli_option all[CLI_MAX_OPTIONS + 1];
    size_t n = 0;

    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        if (strchr(common, shared[i].letter) != NULL)
            all[n++] = shared[i];
    for (size_t i = 0; options != NULL && options[i].name != NULL && n < CLI_MAX_OPTIONS + 1; i++)
        all[n++] = options[i];
    if (n == CLI_MAX_OPTIONS + 1) {
        fprintf(stderr, "%s: more than %d options: raise CLI_MAX_OPTIONS\n", program,
                CLI_MAX_OPTIONS);
        return 2;
    }
    all[n] = (struct cli_option){0};
    return parse_options(argc, argv, program, usage, all, takes_arguments);
}
