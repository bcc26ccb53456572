/* cli.h -- the command-line checks both programs of 03-udp share.
 *
 * Python gets int("abc") -> ValueError for free; in C, atoi("abc") quietly returns 0.
 * These helpers say "no" instead, so a program can print one clear line and exit 2.
 * They are pure functions (no I/O): a fuzzer can call them directly.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

/* Parse TEXT as a whole decimal number in [MIN, MAX]. Returns 0 and stores it in
 * *VALUE, or -1 (nothing stored) on anything else: "", "12x", "-", overflow. */
int parse_long(const char *text, long min, long max, long *value);

/* Parse TEXT as a number of seconds: a decimal such as "2", "0.05" or "1e-3", at least
 * 0 and at most one day. Returns 0 and stores it, or -1. */
int parse_seconds(const char *text, double *value);

/* Parse TEXT as a port number: 1 to 5 digits (no sign, no spaces), MIN to 65535.
 * Servers pass MIN 0 (port 0: the kernel picks a free port), clients 1. Returns 0 and
 * stores it, or -1 (nothing stored) for "", "abc", "-1", "+80", " 80", "70000",
 * "000080". */
int parse_port(const char *text, int min, int *port);

/* The options of the two programs; the caller fills in the defaults. */
struct udp_options {
    const char *host; /* -H/--host HOST */
    int port;         /* -p/--port PORT */
    int min_port;     /* 0 for the server (port 0: the kernel picks), 1 for the client */
    bool quiet;       /* -q/--quiet: the server does not log each datagram */
    bool upper;       /* -u/--upper: the server replies upper-cased */
    long buffer_size; /* -b/--buffer BYTES: the server's receive buffer, 1 to 65536 */
    double timeout;   /* -t/--timeout SECONDS: the client's wait for each reply, above 0 */
    long tries;       /* -r/--tries N: how often the client sends before giving up, 1 to 100 */
};

/* Parse ARGV with getopt_long for the options named in ACCEPTED, a subset of
 * "Hpqubtr" (-h/--help is always there), into *OPTIONS. Other arguments (words) are
 * refused as bad usage unless TAKES_ARGUMENTS. Returns -1 when the program goes on
 * (optind is then its first other argument), else the exit status to return at once:
 * 0 after -h (usage printed on stdout), 2 after bad usage (see usage_error). */
int parse_udp_options(int argc, char *argv[], const char *program, const char *usage,
                      const char *accepted, bool takes_arguments, struct udp_options *options);

/* Bad usage: print "PROGRAM: PROBLEM" (when FORMAT is not NULL) and then USAGE, both
 * to stderr, and return 2, the exit status for bad usage: `return usage_error(...);`.
 * With FORMAT NULL only the usage line is printed (getopt already named the problem). */
int usage_error(const char *program, const char *usage, const char *format, ...);

#endif
