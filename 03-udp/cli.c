/* cli.c -- strict number parsing for the 03-udp programs (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int parse_port(const char *text, int min, int *port)
{
    long value;

    /* strtol would take " 80", "+80" and "-0": a port is digits and nothing else, and
     * at most 5 of them (65535 has 5: "000080" is a typo, not port 80). */
    size_t digits = 0;
    for (const char *p = text; *p != '\0'; p++, digits++)
        if (*p < '0' || *p > '9' || digits == 5)
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

int parse_udp_options(int argc, char *argv[], const char *program, const char *usage,
                      const char *accepted, bool takes_arguments, struct udp_options *options)
{
    static const struct option all_options[] = {
        {"host", required_argument, NULL, 'H'},   {"port", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},        {"upper", no_argument, NULL, 'u'},
        {"buffer", required_argument, NULL, 'b'}, {"timeout", required_argument, NULL, 't'},
        {"tries", required_argument, NULL, 'r'},  {"help", no_argument, NULL, 'h'},
    };
    struct option long_options[9] = {{0}};
    char short_options[24] = "";
    size_t used = 0; /* the length of short_options */
    int n = 0, opt;

    /* Keep the options this program takes: "Hpt" -> "H:p:t:h" and their long names. */
    for (size_t i = 0; i < sizeof all_options / sizeof all_options[0]; i++) {
        char letter = (char)all_options[i].val;
        if (letter != 'h' && strchr(accepted, letter) == NULL)
            continue;
        long_options[n++] = all_options[i];
        /* (Not strncat(short_options, &letter, 1): LETTER is no string, and valgrind's
         * overlap check, which counts the NUL that is not there, fails the program
         * whenever the compiler puts LETTER just before SHORT_OPTIONS.) */
        short_options[used++] = letter;
        if (all_options[i].has_arg == required_argument)
            short_options[used++] = ':';
        short_options[used] = '\0';
    }
    while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            options->host = optarg;
            break;
        case 'p':
            if (parse_port(optarg, options->min_port, &options->port) != 0)
                return usage_error(program, usage, "bad port '%s': expected %d to 65535", optarg,
                                   options->min_port);
            break;
        case 'q':
            options->quiet = true;
            break;
        case 'u':
            options->upper = true;
            break;
        case 'b':
            if (parse_long(optarg, 1, 65536, &options->buffer_size) != 0)
                return usage_error(program, usage, "bad buffer size '%s': expected 1 to 65536",
                                   optarg);
            break;
        case 't':
            if (parse_seconds(optarg, &options->timeout) != 0 || options->timeout <= 0)
                return usage_error(program, usage, "bad timeout '%s': expected seconds above 0",
                                   optarg);
            break;
        case 'r':
            if (parse_long(optarg, 1, 100, &options->tries) != 0)
                return usage_error(program, usage, "bad tries '%s': expected 1 to 100", optarg);
            break;
        case 'h':
            puts(usage);
            return 0;
        default: /* getopt already named the problem */
            return usage_error(program, usage, NULL);
        }
    }
    if (!takes_arguments && optind < argc)
        return usage_error(program, usage, "unexpected argument '%s'", argv[optind]);
    return -1;
}
