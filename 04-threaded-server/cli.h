/* cli.h -- the command-line checks every program of 04-threaded-server shares.
 *
 * Python gets int("abc") -> ValueError for free; in C, atoi("abc") quietly returns 0.
 * These helpers say "no" instead, so a program can print one clear line and exit 2.
 * They are pure functions (no I/O except usage_error), easy to test and to fuzz.
 */
#ifndef CLI_H
#define CLI_H

/* Parse TEXT as a whole decimal number in [MIN, MAX]. Returns 0 and stores it in
 * *VALUE, or -1 (nothing stored) on anything else: "", "12x", "-", overflow. */
int parse_long(const char *text, long min, long max, long *value);

/* Parse TEXT as a TCP port: 1 to 5 digits only (no sign, no spaces), MIN..65535.
 * Servers pass MIN 0 (port 0: the kernel picks a free one), clients MIN 1. Returns 0
 * and stores it, or -1 for "", "abc", "-1", "+5", "70000", "000080". */
int parse_port(const char *text, long min, long *port);

/* Parse TEXT as a number of seconds: a decimal such as "2", "0.05" or "1e-3", at least
 * 0 and at most one day. Returns 0 and stores it, or -1. */
int parse_seconds(const char *text, double *value);

/* Bad usage: print "PROGRAM: PROBLEM" (when FORMAT is not NULL) and then USAGE, both
 * to stderr, and return 2, the exit status for bad usage: `return usage_error(...);`.
 * With FORMAT NULL only the usage line is printed (getopt already named the problem). */
int usage_error(const char *program, const char *usage, const char *format, ...);

#endif
